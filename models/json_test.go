package models

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ollama/ollama/api"

	"github.com/deskhand/deskhand/actuation"
	"github.com/deskhand/deskhand/perception"
	"github.com/deskhand/deskhand/planner"
)

const jsonCorpusDir = "testdata/json"

var _ planner.Adapter = (*JSON)(nil)

// The golden frame: a 2560x1440 second monitor to the right of a 1920-pixel one,
// sent to the model as the 1540x868 image the json grid makes of it. A reply's
// (x, y) lands at (1920 + floor(x/1000*2560), floor(y/1000*1440)).
var jsonGoldenFrame = perception.Frame{
	Monitor:  1,
	Bounds:   image.Rect(1920, 0, 4480, 1440),
	Captured: image.Pt(2560, 1440),
	Scale:    1,
	Image:    image.Pt(1540, 868),
}

// jsonGolden is what a corpus reply parses to, as stored in *.golden.json.
type jsonGolden struct {
	Bounds  image.Rectangle    `json:"bounds"`
	Image   image.Point        `json:"image"`
	Thought string             `json:"thought"`
	Actions []actuation.Action `json:"actions"`
	Error   string             `json:"error,omitempty"`
}

func TestJSONGolden(t *testing.T) {
	a := NewJSON()
	for _, name := range corpusNames(t, jsonCorpusDir, 30) {
		t.Run(strings.TrimSuffix(name, ".txt"), func(t *testing.T) {
			reply := corpusText(t, jsonCorpusDir, name)
			d, err := a.Parse(api.Message{Role: "assistant", Content: reply}, jsonGoldenFrame)
			g := jsonGolden{Bounds: jsonGoldenFrame.Bounds, Image: jsonGoldenFrame.Image, Thought: d.Thought, Actions: d.Actions}
			if g.Actions == nil {
				g.Actions = []actuation.Action{}
			}
			if d.Raw != reply {
				t.Errorf("Decision.Raw = %q, want the reply", d.Raw)
			}
			g.Error = checkParse(t, d, err, strings.HasPrefix(name, "err-"))
			checkGolden(t, filepath.Join(jsonCorpusDir, strings.TrimSuffix(name, ".txt")+".golden.json"), g)
		})
	}
}

// TestJSONGoldenNoStrays makes sure every golden file has its reply.
func TestJSONGoldenNoStrays(t *testing.T) { checkNoStrays(t, jsonCorpusDir, ".txt") }

// TestJSONToScreen checks where replies land on frames that make mistakes show: a
// monitor whose origin is not (0, 0) (left of and above the primary), an image much
// smaller than the screen, and a HiDPI capture. The expected points are worked out by
// hand (x/1000 of the monitor's width from its left edge, floored) and must also
// equal what Frame.ToScreen says.
func TestJSONToScreen(t *testing.T) {
	type pt = image.Point
	left := perception.Frame{Bounds: image.Rect(-2560, -360, 0, 1080), Captured: image.Pt(2560, 1440), Scale: 1, Image: image.Pt(1540, 868)}
	hidpi := perception.Frame{Bounds: image.Rect(0, 0, 1440, 900), Captured: image.Pt(2880, 1800), Scale: 2, Image: image.Pt(1428, 896)}
	cases := []struct {
		name  string
		frame perception.Frame
		reply string
		model [][2]float64 // what the model wrote, start then end
		want  []pt
	}{
		{"centre", left, `{"action":{"type":"click","x":500,"y":500}}`, [][2]float64{{500, 500}}, []pt{image.Pt(-1280, 360)}},
		{"origin", left, `{"action":{"type":"click","x":0,"y":0}}`, [][2]float64{{0, 0}}, []pt{image.Pt(-2560, -360)}},
		{"far corner", left, `{"action":{"type":"click","x":1000,"y":1000}}`, [][2]float64{{1000, 1000}}, []pt{image.Pt(-1, 1079)}},
		// 0.123*2560 = 314.9, 0.456*1440 = 656.6
		{"odd point", left, `{"action":{"type":"move","x":123,"y":456}}`, [][2]float64{{123, 456}}, []pt{image.Pt(-2560+314, -360+656)}},
		// 0.8125*2560 = 2080, 0.904*1440 = 1301.8
		{"float", left, `{"action":{"type":"click","x":812.5,"y":904}}`, [][2]float64{{812.5, 904}}, []pt{image.Pt(-2560+2080, -360+1301)}},
		// box centre (860, 65): 0.86*2560 = 2201.6, 0.065*1440 = 93.6
		{"box", left, `{"action":{"type":"click","box":[820,50,900,80]}}`, [][2]float64{{860, 65}}, []pt{image.Pt(-2560+2201, -360+93)}},
		// 0.2*2560 = 512, 0.64*1440 = 921.6; 0.7*2560 = 1792
		{"drag", left, `{"action":{"type":"drag","x":200,"y":640,"x2":700,"y2":640}}`, [][2]float64{{200, 640}, {700, 640}},
			[]pt{image.Pt(-2560+512, -360+921), image.Pt(-2560+1792, -360+921)}},
		// actuation space is logical points: 0.333*1440 = 479.5, 0.777*900 = 699.3
		{"hidpi", hidpi, `{"action":{"type":"click","x":333,"y":777}}`, [][2]float64{{333, 777}}, []pt{image.Pt(479, 699)}},
		{"hidpi corner", hidpi, `{"action":{"type":"click","x":1000,"y":1000}}`, [][2]float64{{1000, 1000}}, []pt{image.Pt(1439, 899)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkLanding(t, NewJSON(), c.frame, c.reply, c.model, c.want)
		})
	}
}

// TestJSONOutsideRejected checks that a point outside 0..1000 is refused with
// ToScreen's *OutsideError, never clamped onto the screen edge.
func TestJSONOutsideRejected(t *testing.T) {
	for _, reply := range []string{
		`{"action":{"type":"click","x":1001,"y":10}}`,
		`{"action":{"type":"click","x":10,"y":1000.5}}`,
		`{"action":{"type":"click","x":-1,"y":10}}`,
		`{"action":{"type":"move","point":[1920,1080]}}`,
		`{"action":{"type":"drag","x":10,"y":10,"x2":3000,"y2":10}}`,
		`{"action":{"type":"scroll","x":10,"y":1500,"direction":"down"}}`,
		`{"action":{"type":"click","x":"1e400","y":10}}`,
	} {
		_, err := NewJSON().Parse(api.Message{Content: reply}, jsonGoldenFrame)
		var pe *planner.ParseError
		if !errors.As(err, &pe) {
			t.Errorf("%s: got %v, want a *planner.ParseError", reply, err)
			continue
		}
		var oe *perception.OutsideError
		if !errors.As(err, &oe) && !strings.Contains(pe.Reason, "not a number") {
			t.Errorf("%s: %v does not carry a *perception.OutsideError", reply, err)
		}
	}
}

// TestJSONActionMapping spells out the contract mapping of each form, beyond the
// golden files, so a regression names the rule it broke. The frame maps 0..1000
// onto a 1000x1000 screen, so positions read back as written.
func TestJSONActionMapping(t *testing.T) {
	f := FrameFor(image.Pt(1001, 1001), image.Pt(1540, 868))
	i := actuation.Int
	click := func(x, y int, button string, clicks int) actuation.Action {
		return actuation.Action{Type: actuation.Click, X: i(x), Y: i(y), Button: button, Clicks: clicks}
	}
	key := func(keys ...string) actuation.Action { return actuation.Action{Type: actuation.Key, Keys: keys} }
	cases := []struct {
		reply string
		want  actuation.Action
	}{
		{`{"type":"click","x":10,"y":20}`, click(10, 20, "left", 1)},
		{`{"type":"click","x":10,"y":20,"button":"right","clicks":2}`, click(10, 20, "right", 2)},
		{`{"type":"click","x":10,"y":20,"button":"MIDDLE"}`, click(10, 20, "middle", 1)},
		{`{"type":"Left_Click","x":10,"y":20}`, click(10, 20, "left", 1)},
		{`{"type":"doubleClick","x":10,"y":20}`, click(10, 20, "left", 2)},
		{`{"type":"triple_click","x":10,"y":20}`, click(10, 20, "left", 3)},
		{`{"type":"right_click","x":10,"y":20}`, click(10, 20, "right", 1)},
		{`{"type":"middle_click","x":10,"y":20}`, click(10, 20, "middle", 1)},
		{`{"type":"click","x":10,"y":20,"double":true}`, click(10, 20, "left", 2)},
		{`{"type":"click","x":"10","y":" 20 "}`, click(10, 20, "left", 1)},
		{`{"type":"click","point":[10,20]}`, click(10, 20, "left", 1)},
		{`{"type":"click","coordinate":"(10, 20)"}`, click(10, 20, "left", 1)},
		{`{"type":"click","position":{"x":10,"y":20}}`, click(10, 20, "left", 1)},
		{`{"type":"click","box":[0,10,20,30]}`, click(10, 20, "left", 1)},
		{`{"type":"click","bbox":[[0,10],[20,30]]}`, click(10, 20, "left", 1)},
		{`{"type":"click","coordinate":[0,10,20,30]}`, click(10, 20, "left", 1)},
		{`{"type":"click","target":"the OK button","x":10,"y":20}`, click(10, 20, "left", 1)},
		{`{"type":"click","point":"Tab 2","coordinate":[10,20]}`, click(10, 20, "left", 1)},
		{`{"action":"click","x":10,"y":20}`, click(10, 20, "left", 1)},
		{`{"action":{"click":{"x":10,"y":20}}}`, click(10, 20, "left", 1)},
		{`{"name":"click","arguments":{"x":10,"y":20}}`, click(10, 20, "left", 1)},
		{`{"name":"computer_use","arguments":"{\"action\": \"left_click\", \"coordinate\": [10, 20]}"}`, click(10, 20, "left", 1)},
		{`{"type":"function","function":{"name":"computer","arguments":{"action":"double_click","coordinate":[10,20]}}}`, click(10, 20, "left", 2)},
		{`{type: click, x: 10, y: 20}`, click(10, 20, "left", 1)},
		{`{"type": "click" "x": 10 "y": 20}`, click(10, 20, "left", 1)},
		{`{"type":"hover","x":10,"y":20}`, actuation.Action{Type: actuation.Move, X: i(10), Y: i(20)}},
		{`{"type":"drag","x":1,"y":2,"x2":3,"y2":4}`, actuation.Action{Type: actuation.Drag, X: i(1), Y: i(2), X2: i(3), Y2: i(4), Button: "left"}},
		{`{"type":"drag","start_x":1,"start_y":2,"end_x":3,"end_y":4}`, actuation.Action{Type: actuation.Drag, X: i(1), Y: i(2), X2: i(3), Y2: i(4), Button: "left"}},
		{`{"type":"left_click_drag","start_coordinate":[1,2],"coordinate":[3,4]}`, actuation.Action{Type: actuation.Drag, X: i(1), Y: i(2), X2: i(3), Y2: i(4), Button: "left"}},
		{`{"type":"drag","coordinate":[[1,2],[3,4]]}`, actuation.Action{Type: actuation.Drag, X: i(1), Y: i(2), X2: i(3), Y2: i(4), Button: "left"}},
		{`{"type":"drag","path":[[1,2],[9,9],[3,4]]}`, actuation.Action{Type: actuation.Drag, X: i(1), Y: i(2), X2: i(3), Y2: i(4), Button: "left"}},
		{`{"type":"scroll","direction":"down"}`, actuation.Action{Type: actuation.Scroll, Direction: "down", Amount: 3}},
		{`{"type":"scroll","x":10,"y":20,"direction":"Downwards","amount":"5"}`, actuation.Action{Type: actuation.Scroll, X: i(10), Y: i(20), Direction: "down", Amount: 5}},
		{`{"type":"scroll_up","amount":-2}`, actuation.Action{Type: actuation.Scroll, Direction: "up", Amount: 2}},
		{`{"action":"scroll","coordinate":[10,20],"pixels":-300}`, actuation.Action{Type: actuation.Scroll, X: i(10), Y: i(20), Direction: "down", Amount: 3}},
		{`{"action":"hscroll","pixels":200}`, actuation.Action{Type: actuation.Scroll, Direction: "right", Amount: 3}},
		{`{"type":"type","text":"abc\n"}`, actuation.Action{Type: actuation.TypeText, Text: "abc\n"}},
		{`{"type":"type","text":"  keep spaces  "}`, actuation.Action{Type: actuation.TypeText, Text: "  keep spaces  "}},
		{`{"type":"type","text":"C:\\Users\\me \u00e9\ud83d\ude00"}`, actuation.Action{Type: actuation.TypeText, Text: `C:\Users\me é😀`}},
		{`{'type': 'type', 'text': 'say "hi"'}`, actuation.Action{Type: actuation.TypeText, Text: `say "hi"`}},
		{`{"type":"input_text","content":"x","press_enter":true}`, actuation.Action{Type: actuation.TypeText, Text: "x\n"}},
		{`{"type":"type","text":42}`, actuation.Action{Type: actuation.TypeText, Text: "42"}},
		{`{"type":"key","keys":["ctrl","S"]}`, key("ctrl", "s")},
		{`{"type":"key","keys":["Control+Shift+T"]}`, key("ctrl", "shift", "t")},
		{`{"type":"key","keys":"ctrl, s"}`, key("ctrl", "s")},
		{`{"type":"key","keys":"ctrl+,"}`, key("ctrl", ",")},
		{`{"type":"key","key":"Escape"}`, key("esc")},
		{`{"type":"hotkey","keys":"cmd+shift+z"}`, key("shift", "super", "z")},
		{`{"type":"press","key":"Page_Down"}`, key("pagedown")},
		{`{"type":"key","text":"ArrowUp"}`, key("up")},
		{`{"type":"press_enter"}`, key("enter")},
		{`{"type":"wait","seconds":2}`, actuation.Action{Type: actuation.Wait, Seconds: 2}},
		{`{"type":"wait"}`, actuation.Action{Type: actuation.Wait, Seconds: 1}},
		{`{"type":"sleep","ms":500}`, actuation.Action{Type: actuation.Wait, Seconds: 0.5}},
		{`{"type":"done","text":"Saved."}`, actuation.Action{Type: actuation.Done, Text: "Saved."}},
		{`{"thought":"All good.","type":"finish"}`, actuation.Action{Type: actuation.Done, Text: "All good.", Thought: "All good."}},
		{`{"action":"terminate","status":"success"}`, actuation.Action{Type: actuation.Done}},
		{`{"action":"terminate","status":"failure"}`, actuation.Action{Type: actuation.Fail}},
		{`{"type":"give_up","reason":"No network."}`, actuation.Action{Type: actuation.Fail, Text: "No network."}},
		{`{"type":"ask_user","question":"Which file?"}`, actuation.Action{Type: actuation.AskUser, Text: "Which file?"}},
		{`{"type":"answer","answer":"42"}`, actuation.Action{Type: actuation.Done, Text: "42"}},
	}
	for _, c := range cases {
		checkOneAction(t, NewJSON(), f, c.reply, c.want)
	}
}

func TestJSONParseErrors(t *testing.T) {
	cases := []struct{ reply, want string }{
		{"", "empty"},
		{"  \n", "empty"},
		{"I will click the button.", "no JSON object"},
		{"[1, 2, 3]", "no JSON object"},
		{`{"thought": "hmm"}`, `has no "action"`},
		{`{"thought": "hmm", "action": null}`, `has no "action"`},
		{`{"action": {"type": "teleport", "x": 1, "y": 2}}`, `unknown action "teleport": valid actions are click, move, drag, scroll, type, key, wait, done, fail, ask_user`},
		{`{"action": "zoom_in"}`, `unknown action "zoom_in"`},
		{`{"action": {"type": "click"}}`, `click needs a position: "x" and "y" from 0 to 1000`},
		{`{"action": {"type": "click", "x": 5}}`, `needs both "x" and "y"`},
		{`{"action": {"type": "click", "x": "five", "y": 5}}`, `"x" is not a number`},
		{`{"action": {"type": "click", "point": [1, 2, 3]}}`, `"point" has 3 numbers`},
		{`{"action": {"type": "click", "point": true}}`, `"point" must be [x, y]`},
		{`{"action": {"type": "click", "x": 5, "y": 5, "button": "left-ish"}}`, `button "left-ish" is not left, right or middle`},
		{`{"action": {"type": "click", "x": 5, "y": 5, "clicks": 1.5}}`, `"clicks" must be a whole number`},
		{`{"action": {"type": "click", "x": 5, "y": 5, "clicks": 4}}`, "clicks must be 1, 2 or 3"},
		{`{"action": {"type": "click", "x": 0.5, "y": 0.25}}`, "looks like fractions of 1"},
		{`{"action": {"type": "drag", "x": 5, "y": 5}}`, "drag needs an end position"},
		{`{"action": {"type": "drag"}}`, "drag needs a start position"},
		{`{"action": {"type": "scroll"}}`, `scroll needs a "direction"`},
		{`{"action": {"type": "scroll", "direction": "sideways"}}`, `direction "sideways" is not up, down, left or right`},
		{`{"action": {"type": "scroll", "direction": "down", "amount": 500}}`, "amount 500 is not between 1 and 50"},
		{`{"action": {"type": "type"}}`, `type needs the "text" to type`},
		{`{"action": {"type": "type", "text": ""}}`, `type needs the "text" to type`},
		{`{"action": {"type": "key"}}`, `key needs "keys"`},
		{`{"action": {"type": "key", "keys": []}}`, "empty key combination"},
		{`{"action": {"type": "key", "keys": ["ctrl", "blorp"]}}`, `unknown key "blorp"`},
		{`{"action": {"type": "key", "keys": [1, 2]}}`, "must list key names as strings"},
		{`{"action": {"type": "wait", "seconds": 600}}`, "not between 0 and 60 seconds"},
		{`{"action": {"type": "click", "x": 5, "y": 5`, `cut off inside "y"`},
		{`{"action": {"type": "type", "text": "rm -rf`, `cut off inside "text"`},
		{`{"action": {"type": "click", "x": 5, "y": 5, "but`, "cut off before the action was complete"},
		{`{"action": {"type": "click", "x": 5, "y": 5,`, "cut off before the action was complete"},
		{`{"action": {"type": "cli`, `cut off inside the action's "type"`},
		{`{"thought": "a long thought that never`, "cut off before its action"},
		{`{"thought": "x", "action": {"type": "click", "x": 5px}}`, "the JSON is malformed"},
		{`[{"type": "wait"}, {"type": "teleport"}]`, `unknown action "teleport"`},
		{`[{"type": "wait"}, {"type": "click", "x": 1, "y": 1001}]`, "action 2 (click): coordinate (1, 1001) is outside the screen the model saw"},
	}
	for _, c := range cases {
		_, err := NewJSON().Parse(api.Message{Content: c.reply}, jsonGoldenFrame)
		if err == nil || !errors.Is(err, planner.ErrBadOutput) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want a ParseError containing %q", c.reply, err, c.want)
		}
	}
}

// TestJSONSeveralActions checks that every object of a reply is kept, in order, and
// that the thought is shared.
func TestJSONSeveralActions(t *testing.T) {
	reply := "Thought: first click, then type.\n```json\n{\"type\": \"click\", \"x\": 500, \"y\": 500}\n```\nThen:\n" +
		"```json\n{\"type\": \"type\", \"text\": \"hi\"}\n```\n[{\"type\": \"key\", \"keys\": [\"enter\"]}, {\"type\": \"wait\", \"seconds\": 1}]"
	d, err := NewJSON().Parse(api.Message{Content: reply}, jsonGoldenFrame)
	if err != nil {
		t.Fatal(err)
	}
	var types []actuation.Type
	for _, a := range d.Actions {
		types = append(types, a.Type)
		if a.Thought != "first click, then type." {
			t.Errorf("action %v has thought %q", a, a.Thought)
		}
	}
	if want := []actuation.Type{actuation.Click, actuation.TypeText, actuation.Key, actuation.Wait}; !slices.Equal(types, want) {
		t.Errorf("got %v, want %v", types, want)
	}
}

func TestJSONParseThinkingFallback(t *testing.T) {
	a := NewJSON()
	reply := api.Message{Role: "assistant", Thinking: `{"thought": "Open the menu.", "action": {"type": "click", "x": 10, "y": 10}}`}
	d, err := a.Parse(reply, jsonGoldenFrame)
	if err != nil {
		t.Fatal(err)
	}
	if d.Thought != "Open the menu." || len(d.Actions) != 1 || d.Raw != reply.Thinking {
		t.Errorf("got %+v", d)
	}
	// Content wins when it holds the answer.
	reply.Content = `{"thought": "", "action": {"type": "wait", "seconds": 1}}`
	d, err = a.Parse(reply, jsonGoldenFrame)
	if err != nil || d.Actions[0].Type != actuation.Wait {
		t.Errorf("got %+v, %v", d, err)
	}
}

func TestJSONParseBadFrame(t *testing.T) {
	// A frame that cannot map is the caller's bug: not a ParseError the planner
	// would feed back to the model.
	_, err := NewJSON().Parse(api.Message{Content: `{"action": {"type": "wait"}}`}, perception.Frame{})
	if err == nil || errors.Is(err, planner.ErrBadOutput) {
		t.Errorf("got %v, want a plain error", err)
	}
}

// The SHA-256 of the embedded prompt. A change here must be deliberate: the prompt
// is the first tokens of every request.
const jsonPromptSHA = "f2818204401339070db3dda4a7ae27e4bae4c4db29c5bee7cc8af072fe70d4b9"

func TestJSONPromptStable(t *testing.T) {
	a := NewJSON()
	sum := sha256.Sum256([]byte(a.prompt))
	if got := hex.EncodeToString(sum[:]); got != jsonPromptSHA {
		t.Errorf("prompt SHA-256 is %s, want %s", got, jsonPromptSHA)
	}
	task := "Open the calculator and compute 12*7"
	m1, m2 := a.Start(task), NewJSON().Start(task)
	if len(m1) != 2 || m1[0].Role != "system" || m1[0].Content != a.prompt || m1[1].Role != "user" || m1[1].Content != "Task: "+task {
		t.Fatalf("Start = %+v", m1)
	}
	if !slices.EqualFunc(m1, m2, func(x, y api.Message) bool { return x.Role == y.Role && x.Content == y.Content }) {
		t.Error("Start is not byte-stable")
	}
	// The prompt teaches what the schema enforces: every action, the coordinate
	// system, one action per reply, done and ask_user.
	for _, s := range []string{
		"(0, 0) is the top-left corner and (1000, 1000) the bottom-right corner",
		"Exactly one action per reply", `Reply "done"`, `Reply "ask_user"`,
	} {
		if !strings.Contains(a.prompt, s) {
			t.Errorf("prompt lacks %q", s)
		}
	}
}

// TestJSONPromptExamples checks that each action the prompt shows is valid under the
// schema, fields in the schema's order (the grammar enforces that order, so an
// example in another order would teach the model something it cannot write), and
// parses to the action it describes; and that the prompt shows every action.
func TestJSONPromptExamples(t *testing.T) {
	schema := jsonDecodeOrdered(t, []byte(jsonSchema))
	var seen []string
	for _, line := range strings.Split(jsonPrompt, "\n") {
		if !strings.HasPrefix(line, `{"type": `) && !strings.HasPrefix(line, `{"thought": "The`) {
			continue
		}
		reply := line
		if strings.HasPrefix(line, `{"type": `) {
			reply = `{"thought": "t", "action": ` + line + `}`
		}
		if err := jsonValidate(schema, jsonDecodeOrdered(t, []byte(reply)), ""); err != nil {
			t.Errorf("prompt example %s: %v", line, err)
		}
		d, err := NewJSON().Parse(api.Message{Content: reply}, jsonGoldenFrame)
		if err != nil || len(d.Actions) != 1 {
			t.Errorf("prompt example %s: %v, %v", line, d.Actions, err)
			continue
		}
		seen = append(seen, string(d.Actions[0].Type))
	}
	want := []string{"click", "move", "drag", "scroll", "type", "key", "wait", "done", "fail", "ask_user", "click"}
	if !slices.Equal(seen, want) {
		t.Errorf("prompt examples are %v, want %v", seen, want)
	}
}

// TestJSONSchema checks the schema is what Ollama needs: valid JSON starting with
// '{' (the server refuses anything else as a format), thought before action, one
// alternative per contract action in contract order, "type" first in each, and
// required fields before optional ones (the grammar writes required ones first, so
// the written order is the generated order).
func TestJSONSchema(t *testing.T) {
	a := NewJSON()
	s := a.Schema()
	if !json.Valid(s) || s[0] != '{' {
		t.Fatalf("schema is not a JSON object: %s", s)
	}
	root := jsonDecodeOrdered(t, s).(jsonObj)
	if got := root.get("properties").(jsonObj).keys(); !slices.Equal(got, []string{"thought", "action"}) {
		t.Errorf("top-level properties in order %v, want thought, action", got)
	}
	if got := jsonStrings(root.get("required")); !slices.Equal(got, []string{"thought", "action"}) {
		t.Errorf("required = %v", got)
	}
	alts := root.get("properties").(jsonObj).get("action").(jsonObj).get("anyOf").([]any)
	var types []string
	for _, alt := range alts {
		o := alt.(jsonObj)
		props := o.get("properties").(jsonObj)
		keys := props.keys()
		types = append(types, props.get("type").(jsonObj).get("const").(string))
		req := jsonStrings(o.get("required"))
		if len(keys) == 0 || keys[0] != "type" || !slices.Equal(keys[:len(req)], req) {
			t.Errorf("%s: properties %v, required %v: want type first and required fields first", types[len(types)-1], keys, req)
		}
		if o.get("additionalProperties") != false {
			t.Errorf("%s: additionalProperties is not false", types[len(types)-1])
		}
		for _, k := range []string{"x", "y", "x2", "y2"} {
			if c, ok := props.get(k).(jsonObj); ok && (c.get("type") != "integer" || c.get("minimum") != 0.0 || c.get("maximum") != 1000.0) {
				t.Errorf("%s.%s is not an integer from 0 to 1000: %v", types[len(types)-1], k, c)
			}
		}
	}
	want := []string{"click", "move", "drag", "scroll", "type", "key", "wait", "done", "fail", "ask_user"}
	if !slices.Equal(types, want) {
		t.Errorf("schema actions %v, want %v", types, want)
	}
	// Every action type the schema allows parses to itself.
	for _, typ := range types {
		if _, ok := jsonVerbs[jsonSquash(typ)]; !ok || jsonVerbs[jsonSquash(typ)].typ != actuation.Type(typ) {
			t.Errorf("schema action %q does not parse to itself", typ)
		}
	}
	// Schema returns a copy: a caller cannot change the next request's format.
	s[0] = 'X'
	if a.Schema()[0] != '{' {
		t.Error("Schema shares its bytes")
	}
}

func TestJSONConfigure(t *testing.T) {
	think := &api.ThinkValue{Value: true}
	req := &api.ChatRequest{Tools: api.Tools{{Type: "function"}}, Format: json.RawMessage(`"json"`), Think: think,
		Options: map[string]any{"num_ctx": 16384}}
	NewJSON().Configure(req)
	if req.Tools != nil {
		t.Error("Configure left tools")
	}
	if string(req.Format) != jsonSchema {
		t.Errorf("Format = %s, want the schema's exact bytes", req.Format)
	}
	if req.Think != think || req.Options["num_ctx"] != 16384 {
		t.Error("Configure touched think or the runner options")
	}
	// On the wire the schema keeps its order: encoding/json compacts a RawMessage
	// but does not reorder it.
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, []byte(jsonSchema)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"format":`+compact.String())) {
		t.Errorf("request JSON does not carry the schema in order: %s", b)
	}
}

// TestJSONGrid pins the image sizes: 1540x868 for 16:9 screens (Mistral Small's own
// size, which it therefore leaves alone), multiples of 28, never over the cap, and
// small screens not upscaled past one step.
func TestJSONGrid(t *testing.T) {
	g := NewJSON().Grid()
	cases := []struct{ screen, want image.Point }{
		{image.Pt(1920, 1080), image.Pt(1540, 868)},
		{image.Pt(2560, 1440), image.Pt(1540, 868)},
		{image.Pt(3840, 2160), image.Pt(1540, 868)},
		{image.Pt(1366, 768), image.Pt(1372, 756)},
		{image.Pt(1280, 800), image.Pt(1288, 812)},
	}
	for _, c := range cases {
		got := g.Size(c.screen.X, c.screen.Y)
		if got != c.want {
			t.Errorf("Grid().Size(%v) = %v, want %v", c.screen, got, c.want)
		}
		if got.X%28 != 0 || got.Y%28 != 0 || got.X*got.Y > jsonMaxPixels || max(got.X, got.Y) > 1540 {
			t.Errorf("Grid().Size(%v) = %v breaks the grid", c.screen, got)
		}
	}
	if NewJSON().Convention() != perception.Relative1000 || NewJSON().Name() != "json" {
		t.Error("wrong name or convention")
	}
}

func FuzzJSONParse(f *testing.F) {
	for _, name := range corpusNames(f, jsonCorpusDir, 30) {
		f.Add(corpusText(f, jsonCorpusDir, name))
	}
	frames := []perception.Frame{
		jsonGoldenFrame,
		{Bounds: image.Rect(-1920, -200, 640, 1240), Captured: image.Pt(5120, 2880), Scale: 2, Image: image.Pt(1540, 868)},
		FrameFor(image.Pt(33, 33), image.Pt(56, 56)),
	}
	f.Fuzz(func(t *testing.T, reply string) {
		for _, fr := range frames {
			checkFuzzParse(t, NewJSON(), api.Message{Content: reply}, fr)
		}
	})
}

func BenchmarkJSONParse(b *testing.B) {
	reply := api.Message{Role: "assistant", Content: `{"thought": "The browser shows the search page. The search box is in the middle of the page and it is empty, so I click it before typing the query about tomorrow's weather in Paris.", "action": {"type": "click", "x": 500, "y": 420}}`}
	a := NewJSON()
	f := jsonGoldenFrame
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Parse(reply, f); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJSONParseMessy is a reply the format did not constrain: prose, a fence,
// single quotes, a string number.
func BenchmarkJSONParseMessy(b *testing.B) {
	reply := api.Message{Role: "assistant", Content: "To search for the weather, I need to click on the search bar in the middle of the page first, then type the query.\n\n```json\n" +
		"{'thought': 'Click the search bar.', 'action': {'type': 'left_click', 'x': '500', 'y': 420,}}\n```\n\nAfter that I will type the query."}
	a := NewJSON()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Parse(reply, jsonGoldenFrame); err != nil {
			b.Fatal(err)
		}
	}
}

// An order-keeping JSON decoder and a validator for the subset of JSON Schema that
// jsonSchema uses, so the tests can check order, which map-based decoding loses.

// jsonObj is a decoded object with its keys in order.
type jsonObj []jsonKV

type jsonKV struct {
	k string
	v any
}

func (o jsonObj) get(k string) any {
	for _, kv := range o {
		if kv.k == k {
			return kv.v
		}
	}
	return nil
}

func (o jsonObj) keys() []string {
	var ks []string
	for _, kv := range o {
		ks = append(ks, kv.k)
	}
	return ks
}

func jsonStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func jsonDecodeOrdered(t *testing.T, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	var read func() any
	read = func() any {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("decode %s: %v", b, err)
		}
		switch tok {
		case json.Delim('{'):
			var o jsonObj
			for dec.More() {
				k, _ := dec.Token()
				o = append(o, jsonKV{k.(string), read()})
			}
			dec.Token()
			return o
		case json.Delim('['):
			a := []any{}
			for dec.More() {
				a = append(a, read())
			}
			dec.Token()
			return a
		}
		return tok
	}
	return read()
}

// jsonValidate checks v against schema s, including that an object's keys come in
// the order of the schema's properties.
func jsonValidate(s any, v any, path string) error {
	so := s.(jsonObj)
	if alts, ok := so.get("anyOf").([]any); ok {
		var errs []string
		for _, alt := range alts {
			err := jsonValidate(alt, v, path)
			if err == nil {
				return nil
			}
			errs = append(errs, err.Error())
		}
		return fmt.Errorf("%s matches no alternative: %s", path, strings.Join(errs, "; "))
	}
	if c := so.get("const"); c != nil && c != v {
		return fmt.Errorf("%s is %v, want %v", path, v, c)
	}
	if e, ok := so.get("enum").([]any); ok && !slices.Contains(e, v) {
		return fmt.Errorf("%s is %v, not one of %v", path, v, e)
	}
	switch so.get("type") {
	case "object":
		o, ok := v.(jsonObj)
		if !ok {
			return fmt.Errorf("%s is not an object", path)
		}
		props := so.get("properties").(jsonObj)
		last := -1
		for _, kv := range o {
			i := slices.Index(props.keys(), kv.k)
			if i < 0 {
				return fmt.Errorf("%s has the extra key %q", path, kv.k)
			}
			if i < last {
				return fmt.Errorf("%s: key %q is out of the schema's order %v", path, kv.k, props.keys())
			}
			last = i
			if err := jsonValidate(props.get(kv.k), kv.v, path+"."+kv.k); err != nil {
				return err
			}
		}
		for _, r := range jsonStrings(so.get("required")) {
			if o.get(r) == nil {
				return fmt.Errorf("%s lacks %q", path, r)
			}
		}
	case "array":
		a, ok := v.([]any)
		if !ok {
			return fmt.Errorf("%s is not an array", path)
		}
		if n, ok := so.get("minItems").(float64); ok && float64(len(a)) < n {
			return fmt.Errorf("%s has fewer than %g items", path, n)
		}
		if n, ok := so.get("maxItems").(float64); ok && float64(len(a)) > n {
			return fmt.Errorf("%s has more than %g items", path, n)
		}
		for i, it := range a {
			if err := jsonValidate(so.get("items"), it, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case "string":
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("%s is not a string", path)
		}
		if n, ok := so.get("minLength").(float64); ok && float64(len(s)) < n {
			return fmt.Errorf("%s is shorter than %g", path, n)
		}
	case "integer":
		n, ok := v.(float64)
		if !ok || n != math.Trunc(n) {
			return fmt.Errorf("%s is not an integer", path)
		}
		if lo, ok := so.get("minimum").(float64); ok && n < lo {
			return fmt.Errorf("%s is below %g", path, lo)
		}
		if hi, ok := so.get("maximum").(float64); ok && n > hi {
			return fmt.Errorf("%s is above %g", path, hi)
		}
	}
	return nil
}

// TestJSONValidator makes sure the validator the schema tests rely on does reject.
func TestJSONValidator(t *testing.T) {
	schema := jsonDecodeOrdered(t, []byte(jsonSchema))
	for _, bad := range []string{
		`{"action": {"type": "click", "x": 1, "y": 2}, "thought": "t"}`,
		`{"thought": "t", "action": {"x": 1, "type": "click", "y": 2}}`,
		`{"thought": "t", "action": {"type": "click", "x": 1}}`,
		`{"thought": "t", "action": {"type": "click", "x": 1, "y": 1001}}`,
		`{"thought": "t", "action": {"type": "click", "x": 1, "y": 2.5}}`,
		`{"thought": "t", "action": {"type": "click", "x": 1, "y": 2, "why": "x"}}`,
		`{"thought": "t", "action": {"type": "tap", "x": 1, "y": 2}}`,
		`{"thought": "t", "action": {"type": "key", "keys": []}}`,
		`{"thought": "t", "action": {"type": "type", "text": ""}}`,
		`{"thought": "t", "action": {"type": "scroll", "x": 1, "y": 2, "direction": "sideways"}}`,
	} {
		if jsonValidate(schema, jsonDecodeOrdered(t, []byte(bad)), "") == nil {
			t.Errorf("validator accepted %s", bad)
		}
	}
}
