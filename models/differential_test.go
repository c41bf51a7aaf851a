package models

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ollama/ollama/api"

	"github.com/deskhand/deskhand/actuation"
)

// The differential test compares deskhand's UI-TARS parser with UI-TARS's own, the
// npm package @ui-tars/action-parser that UI-TARS-desktop runs, on every corpus
// reply. reference.json holds that parser's output (parse.mjs writes it); the
// comparison runs without node, and TestDifferentialLive checks reference.json is
// still what the pinned package says.

const parserDir = "testdata/uitars-parser"

// npmDisagreements lists the corpus replies where the two parsers differ, and why.
// A listed reply must really differ (the test fails if it agrees, so the table
// stays true); an unlisted one must agree.
var npmDisagreements = map[string]string{
	// Bugs in @ui-tars/action-parser 1.2.3 (several are fixed in UI-TARS-desktop's
	// unreleased source, whose tests cover them).
	"15-click-double-quotes.txt":      `npm splits arguments on commas outside single quotes only, so start_box="(1500,930)" is cut at its comma and loses its point`,
	"15-type-double-quoted.txt":       `npm cuts content="Paris, France" at the comma (double quotes are not understood): it would type "Paris"`,
	"15-type-apostrophe.txt":          `an unescaped apostrophe ('It's done, I'll …') unbalances npm's quote matching and the text is cut at the comma; deskhand, like UI-TARS's Python parser, keeps the whole text`,
	"15-content-with-action-word.txt": `npm splits the whole reply on "Action:", including the one inside type(content='Action: wait()'), and runs wait() instead of typing`,
	"15-box-two-points.txt":           `npm glues "(1290,718)(1350,747)" into the numbers 1290, 7181350, 747 and clicks millions of pixels off-screen; deskhand reads the box's four numbers and clicks its centre`,
	"15-action-in-thought.txt":        `npm ends the Thought at the first "Action:" even inside quotes, so its thought is cut to 'I should avoid writing "'; the action agrees`,
	"15-type-escaped-quotes.txt":      `npm leaves the escapes \" and \' in the text; deskhand unescapes them as the prompt asks ("use escape characters") and as UI-TARS's Python parser (ast) does`,
	"15-code-fence.txt":               "npm cannot read an action followed by the closing ``` fence the prompt's Output Format shows; deskhand drops fence lines",
	"15-trailing-prose.txt":           `npm rejects "click(…) then wait for the page" as a whole; deskhand runs the call and ignores the prose after it`,
	"15-missing-close-paren.txt":      `npm rejects a call whose final ")" is missing at the end of the reply; deskhand, like UI-TARS's Python parser, adds it`,
	"15-repeated-steps.txt":           `the model wrote three made-up steps; npm runs the last one (finished(), ending the task unfinished), deskhand only the first, the step the screenshot was for`,
	"15-omni-answer.txt":              `npm 1.2.3 predates the Seed/"omni" format that UI-TARS-desktop's newer parser reads (its tests are the source): an <answer> block with no action; deskhand ends with the answer as that parser does`,
	"15-omni-computer-env.txt":        `npm 1.2.3 cannot read an action inside <computer_env> … </computer_env> (the "omni" format of UI-TARS-desktop's newer parser, whose tests are the source); deskhand drops the tag lines`,
	"15-think-never-used.txt":         `npm 1.2.3 knows neither the <think_never_used_…> tag nor <computer_env> (both from UI-TARS-desktop's newer parser's tests); deskhand takes the tag's text as the thought`,
	"15-err-outside.txt":              `by design: npm maps a point outside the image to a point off the screen and clicks there; deskhand rejects it so the model is asked again`,
	"10-err-outside.txt":              `by design: npm maps (1200, 400) on the 0..1000 scale off the screen; deskhand rejects it`,
	"15-err-three-numbers.txt":        `by design: npm reads (100,200,300) as a box whose y2 defaults to y1; three numbers are neither a point nor a box, so deskhand rejects them`,
	"15-err-hold-key.txt":             `by design: press(ctrl) … click … release(ctrl) holds ctrl down across clicks, which deskhand's actions cannot express; npm emits the three actions, deskhand rejects the reply rather than click without ctrl`,
}

// reference is reference.json.
type reference struct {
	Parser    string `json:"parser"`
	ModelVer  string `json:"modelVer"`
	Scenarios []struct {
		Name   string `json:"name"`
		Screen [2]int `json:"screen"`
		Image  [2]int `json:"image"`
	} `json:"scenarios"`
	Files map[string]map[string]json.RawMessage `json:"files"`
}

// npmAction is one action as @ui-tars/action-parser returns it.
type npmAction struct {
	ActionType string         `json:"action_type"`
	Thought    string         `json:"thought"`
	Inputs     map[string]any `json:"action_inputs"`
}

// expected is an npm action turned into what deskhand should produce for it, with
// the npm parser's fractional screen coordinates.
type expected struct {
	typ         actuation.Type
	button      string
	clicks      int
	start, end  []float64
	text        string
	keys        []string
	direction   string
	compareText bool
}

func loadReference(t *testing.T) reference {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(parserDir, "reference.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r reference
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// coords reads an npm start_coords/end_coords value: nil when absent, empty or not
// two finite numbers (NaN becomes null in JSON).
func coords(v any) []float64 {
	l, ok := v.([]any)
	if !ok || len(l) != 2 {
		return nil
	}
	var out []float64
	for _, e := range l {
		f, ok := e.(float64)
		if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil
		}
		out = append(out, f)
	}
	return out
}

func str(m map[string]any, keys ...string) string {
	for _, k := range keys {
		if s, ok := m[k].(string); ok && s != "" {
			return s
		}
	}
	return ""
}

// convert maps one npm action to what deskhand should do. skip reports an action
// with no effect of its own (release after press); err says why the action is
// unusable, meaning UI-TARS-desktop would do nothing sensible with it either.
func convert(a npmAction) (e expected, skip bool, err error) {
	in := a.Inputs
	start, end := coords(in["start_coords"]), coords(in["end_coords"])
	needStart := func() error {
		if start == nil {
			return fmt.Errorf("%s has no usable point (UI-TARS-desktop would act wherever the pointer is)", a.ActionType)
		}
		return nil
	}
	if b, c, ok := clickKind(a.ActionType); ok {
		return expected{typ: actuation.Click, button: b, clicks: c, start: start}, false, needStart()
	}
	switch a.ActionType {
	case "hover", "mouse_move":
		return expected{typ: actuation.Move, start: start}, false, needStart()
	case "drag", "select", "left_click_drag":
		if end == nil {
			return e, false, fmt.Errorf("drag has no end point")
		}
		return expected{typ: actuation.Drag, start: start, end: end}, false, needStart()
	case "hotkey", "press", "keydown":
		keys, err := parseHotkey(str(in, "key", "hotkey", "press"))
		return expected{typ: actuation.Key, keys: keys}, false, err
	case "release", "keyup":
		return e, true, nil
	case "type":
		// UI-TARS-desktop turns a literal \n into Enter; the contract writes it as a
		// newline. Other escapes are left as npm gives them (see the table).
		text := strings.ReplaceAll(str(in, "content"), `\n`, "\n")
		if text == "" {
			return e, false, fmt.Errorf("type has no content")
		}
		return expected{typ: actuation.TypeText, text: text, compareText: true}, false, nil
	case "scroll":
		d := strings.ToLower(str(in, "direction"))
		if d != "up" && d != "down" && d != "left" && d != "right" {
			return e, false, fmt.Errorf("scroll direction %q", d)
		}
		return expected{typ: actuation.Scroll, direction: d, start: start}, false, nil
	case "wait":
		return expected{typ: actuation.Wait}, false, nil
	case "finished":
		c := str(in, "content")
		return expected{typ: actuation.Done, text: c, compareText: c != ""}, false, nil
	case "call_user":
		return expected{typ: actuation.AskUser}, false, nil
	}
	return e, false, fmt.Errorf("action %q is not one UI-TARS-desktop performs", a.ActionType)
}

// near reports whether deskhand's integer point is within one pixel of npm's.
func near(p *int, f float64) bool { return p != nil && math.Abs(float64(*p)-f) <= 1 }

// compare returns nil when deskhand's result agrees with the npm parser's.
func compare(ours []actuation.Action, thought string, oursErr error, npm []npmAction) error {
	var want []expected
	var unusable error
	for _, a := range npm {
		e, skip, err := convert(a)
		if err != nil && unusable == nil {
			unusable = err
		}
		if !skip && err == nil {
			want = append(want, e)
		}
	}
	if len(npm) == 0 {
		unusable = fmt.Errorf("no action")
	}
	if oursErr != nil {
		if unusable == nil {
			return fmt.Errorf("deskhand rejects the reply (%v) but npm gives usable actions %v", oursErr, npm)
		}
		return nil
	}
	if unusable != nil {
		return fmt.Errorf("deskhand gives %v but npm gives no usable action: %v", ours, unusable)
	}
	if len(ours) != len(want) {
		return fmt.Errorf("deskhand gives %d actions %v, npm %d %v", len(ours), ours, len(want), npm)
	}
	if npm[0].Thought != thought {
		return fmt.Errorf("thought differs: deskhand %q, npm %q", thought, npm[0].Thought)
	}
	for i, a := range ours {
		w := want[i]
		bad := func(format string, args ...any) error {
			return fmt.Errorf("action %d %v: %s", i+1, a, fmt.Sprintf(format, args...))
		}
		if a.Type != w.typ {
			return bad("npm says %s", w.typ)
		}
		if w.button != "" && (a.Button != w.button || a.Clicks != w.clicks) {
			return bad("npm says %s × %d", w.button, w.clicks)
		}
		if (w.start == nil) != (a.X == nil) || w.start != nil && !(near(a.X, w.start[0]) && near(a.Y, w.start[1])) {
			return bad("npm's point is %v", w.start)
		}
		if (w.end == nil) != (a.X2 == nil) || w.end != nil && !(near(a.X2, w.end[0]) && near(a.Y2, w.end[1])) {
			return bad("npm's end point is %v", w.end)
		}
		if w.compareText && a.Text != w.text {
			return bad("npm's text is %q", w.text)
		}
		if w.keys != nil && !slices.Equal(a.Keys, w.keys) {
			return bad("npm's keys are %v", w.keys)
		}
		if w.direction != "" && a.Direction != w.direction {
			return bad("npm's direction is %q", w.direction)
		}
	}
	return nil
}

func TestDifferential(t *testing.T) {
	ref := loadReference(t)
	if ref.Parser != "@ui-tars/action-parser@1.2.3" || len(ref.Scenarios) == 0 {
		t.Fatalf("unexpected reference.json header: %s, %d scenarios", ref.Parser, len(ref.Scenarios))
	}
	names := corpusNames(t, corpusDir, 40)
	for name := range ref.Files {
		if !slices.Contains(names, name) {
			t.Errorf("reference.json has %s, which is not in the corpus (regenerate it: go test ./models -update)", name)
		}
	}
	for key := range npmDisagreements {
		if !slices.Contains(names, key) {
			t.Errorf("npmDisagreements lists %s, which is not in the corpus", key)
		}
	}
	for _, name := range names {
		t.Run(strings.TrimSuffix(name, ".txt"), func(t *testing.T) {
			perScenario, ok := ref.Files[name]
			if !ok {
				t.Fatalf("reference.json lacks %s (regenerate it: go test ./models -update with node and npm ci)", name)
			}
			reason, listed := npmDisagreements[name]
			reply := corpusText(t, corpusDir, name)
			a := adapterFor(name)
			var diffs []string
			for _, sc := range ref.Scenarios {
				var npm []npmAction
				if err := json.Unmarshal(perScenario[sc.Name], &npm); err != nil {
					t.Fatalf("%s: npm output is not a list of actions: %s", sc.Name, perScenario[sc.Name])
				}
				screen, img := image.Pt(sc.Screen[0], sc.Screen[1]), image.Pt(sc.Image[0], sc.Image[1])
				d, err := a.Parse(api.Message{Content: reply}, FrameFor(screen, img))
				if cerr := compare(d.Actions, d.Thought, err, npm); cerr != nil {
					diffs = append(diffs, sc.Name+": "+cerr.Error())
				}
			}
			switch {
			case listed && len(diffs) == 0:
				t.Errorf("listed as disagreeing (%s) but the parsers agree: remove it from npmDisagreements", reason)
			case !listed && len(diffs) > 0:
				t.Errorf("deskhand and @ui-tars/action-parser disagree:\n%s", strings.Join(diffs, "\n"))
			case listed:
				t.Logf("known disagreement: %s\n%s", reason, strings.Join(diffs, "\n"))
			}
		})
	}
}

// TestDifferentialLive reruns parse.mjs with the pinned npm package and checks that
// reference.json is what it prints. CI installs the package first with
// `npm ci --prefix models/testdata/uitars-parser`; elsewhere the test skips when node
// or the package is missing. With -update it rewrites reference.json.
func TestDifferentialLive(t *testing.T) {
	node, err := exec.LookPath("node")
	modules := filepath.Join(parserDir, "node_modules", "@ui-tars", "action-parser")
	if err == nil {
		_, err = os.Stat(modules)
	}
	if err != nil {
		msg := fmt.Sprintf("node and %s are needed (npm ci --prefix %s): %v", modules, parserDir, err)
		if os.Getenv("DESKHAND_REQUIRE_DISPLAY") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	cmd := exec.Command(node, "parse.mjs")
	cmd.Dir = parserDir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node parse.mjs: %v\n%s", err, stderr.Bytes())
	}
	path := filepath.Join(parserDir, "reference.json")
	if *update {
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var gotV, wantV any
	if err := json.Unmarshal(out, &gotV); err != nil {
		t.Fatalf("parse.mjs printed invalid JSON: %v", err)
	}
	if err := json.Unmarshal(want, &wantV); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotV, wantV) {
		t.Errorf("reference.json is stale: parse.mjs now prints something else (go test ./models -update rewrites it)")
	}
}
