package models

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"image"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ollama/ollama/api"

	"github.com/deskhand/deskhand/actuation"
	"github.com/deskhand/deskhand/perception"
	"github.com/deskhand/deskhand/planner"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata (and reference.json when node is installed)")

// The golden frame: a 1920x1080 screen sent as the 1904x1064 image deskhand sends
// for it on Qwen's grid.
var (
	goldenScreen = image.Pt(1920, 1080)
	goldenImage  = image.Pt(1904, 1064)
)

const corpusDir = "testdata/uitars"

// adapterFor returns the adapter a corpus file is written for: "10-" files are
// UI-TARS v1 (0..1000), the others UI-TARS-1.5 (pixels of the image).
func adapterFor(name string) *UITARS {
	if strings.HasPrefix(name, "10-") {
		return NewUITARS10()
	}
	return NewUITARS15()
}

// golden is what a corpus reply parses to, as stored in *.golden.json.
type golden struct {
	Adapter string             `json:"adapter"`
	Screen  image.Point        `json:"screen"`
	Image   image.Point        `json:"image"`
	Thought string             `json:"thought"`
	Actions []actuation.Action `json:"actions"`
	Error   string             `json:"error,omitempty"`
}

func TestGolden(t *testing.T) {
	for _, name := range corpusNames(t, corpusDir, 40) {
		t.Run(strings.TrimSuffix(name, ".txt"), func(t *testing.T) {
			a := adapterFor(name)
			reply := corpusText(t, corpusDir, name)
			d, err := a.Parse(api.Message{Role: "assistant", Content: reply}, FrameFor(goldenScreen, goldenImage))
			g := golden{Adapter: a.Name(), Screen: goldenScreen, Image: goldenImage, Thought: d.Thought, Actions: d.Actions}
			if g.Actions == nil {
				g.Actions = []actuation.Action{}
			}
			if d.Raw != reply {
				t.Errorf("Decision.Raw = %q, want the reply", d.Raw)
			}
			g.Error = checkParse(t, d, err, strings.HasPrefix(name, "15-err-") || strings.HasPrefix(name, "10-err-"))
			checkGolden(t, filepath.Join(corpusDir, strings.TrimSuffix(name, ".txt")+".golden.json"), g)
		})
	}
}

// TestGoldenNoStrays makes sure every golden file has its reply, so a renamed reply
// does not leave a stale expectation behind.
func TestGoldenNoStrays(t *testing.T) { checkNoStrays(t, corpusDir, ".txt") }

// TestToScreenMapping checks where replies land on real screen geometries: the same
// 1904x1064 image sent for a 1920x1080 and for a 2560x1440 screen, and a second
// monitor whose origin is not (0, 0). The expected points are worked out by hand from
// contracts.md §4 (centre of the image pixel, scaled to the screen) and must equal
// what Frame.ToScreen says.
func TestToScreenMapping(t *testing.T) {
	img := image.Pt(1904, 1064)
	type pt = image.Point
	cases := []struct {
		name    string
		adapter *UITARS
		reply   string
		bounds  image.Rectangle
		want    []pt // start, then end for a drag
	}{
		{"centre 1080p", NewUITARS15(), "Action: click(start_box='(952,532)')", image.Rect(0, 0, 1920, 1080), []pt{image.Pt(960, 540)}},
		{"centre 1440p", NewUITARS15(), "Action: click(start_box='(952,532)')", image.Rect(0, 0, 2560, 1440), []pt{image.Pt(1280, 720)}},
		{"origin 1080p", NewUITARS15(), "Action: click(start_box='(0,0)')", image.Rect(0, 0, 1920, 1080), []pt{image.Pt(0, 0)}},
		{"origin 1440p", NewUITARS15(), "Action: click(start_box='(0,0)')", image.Rect(0, 0, 2560, 1440), []pt{image.Pt(0, 0)}},
		{"last pixel 1080p", NewUITARS15(), "Action: click(start_box='(1903,1063)')", image.Rect(0, 0, 1920, 1080), []pt{image.Pt(1919, 1079)}},
		{"last pixel 1440p", NewUITARS15(), "Action: click(start_box='(1903,1063)')", image.Rect(0, 0, 2560, 1440), []pt{image.Pt(2559, 1439)}},
		// (1099.5/1904)*1920 = 1108.7, (64.5/1064)*1080 = 65.5
		{"search icon 1080p", NewUITARS15(), "Action: click(start_box='(1099,64)')", image.Rect(0, 0, 1920, 1080), []pt{image.Pt(1108, 65)}},
		// (1099.5/1904)*2560 = 1478.3, (64.5/1064)*1440 = 87.3
		{"search icon 1440p", NewUITARS15(), "Action: click(start_box='(1099,64)')", image.Rect(0, 0, 2560, 1440), []pt{image.Pt(1478, 87)}},
		// box centre (33, 44): (33.5/1904)*2560 = 45.04, (44.5/1064)*1440 = 60.2
		{"box centre 1440p", NewUITARS15(), "Action: click(start_box='[14, 33, 52, 55]')", image.Rect(0, 0, 2560, 1440), []pt{image.Pt(45, 60)}},
		{"drag 1440p", NewUITARS15(), "Action: drag(start_box='(714,530)', end_box='(1150,530)')", image.Rect(0, 0, 2560, 1440),
			// (714.5/1904)*2560 = 960.7, (530.5/1064)*1440 = 717.9, (1150.5/1904)*2560 = 1546.9
			[]pt{image.Pt(960, 717), image.Pt(1546, 717)}},
		{"second monitor", NewUITARS15(), "Action: click(start_box='(952,532)')", image.Rect(1920, 0, 4480, 1440), []pt{image.Pt(1920+1280, 720)}},
		{"relative centre 1440p", NewUITARS10(), "Action: click(start_box='(500,500)')", image.Rect(0, 0, 2560, 1440), []pt{image.Pt(1280, 720)}},
		{"relative corner 1080p", NewUITARS10(), "Action: click(start_box='(1000,1000)')", image.Rect(0, 0, 1920, 1080), []pt{image.Pt(1919, 1079)}},
		// 130/1000*2560 = 332.8, 226/1000*1440 = 325.4
		{"relative 1440p", NewUITARS10(), "Action: click(start_box='(130,226)')", image.Rect(0, 0, 2560, 1440), []pt{image.Pt(332, 325)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := perception.Frame{Bounds: c.bounds, Captured: c.bounds.Size(), Scale: 1, Image: img}
			r, err := splitReply(c.reply)
			if err != nil {
				t.Fatal(err)
			}
			x, y, err := boxCentre(firstPoint(r.calls[0]))
			if err != nil {
				t.Fatal(err)
			}
			checkLanding(t, c.adapter, f, c.reply, [][2]float64{{x, y}}, c.want)
		})
	}
}

func firstPoint(c call) string {
	v, _ := c.get(startKeys...)
	return v
}

// TestOutsideRejected checks that a point outside the image is refused with
// ToScreen's reason, never clamped onto the screen edge.
func TestOutsideRejected(t *testing.T) {
	cases := []struct {
		adapter *UITARS
		reply   string
	}{
		{NewUITARS15(), "Action: click(start_box='(1905,10)')"},
		{NewUITARS15(), "Action: click(start_box='(10,1065)')"},
		{NewUITARS15(), "Action: click(start_box='(-3,10)')"},
		{NewUITARS15(), "Action: drag(start_box='(10,10)', end_box='(3000,10)')"},
		{NewUITARS10(), "Action: click(start_box='(1001,10)')"},
		{NewUITARS10(), "Action: scroll(start_box='(10,1500)', direction='down')"},
	}
	for _, c := range cases {
		_, err := c.adapter.Parse(api.Message{Content: c.reply}, FrameFor(goldenScreen, goldenImage))
		var pe *planner.ParseError
		if !errors.As(err, &pe) {
			t.Errorf("%s: got %v, want a *planner.ParseError", c.reply, err)
			continue
		}
		if !strings.Contains(pe.Reason, "outside the screen the model saw") {
			t.Errorf("%s: reason %q does not carry ToScreen's error", c.reply, pe.Reason)
		}
	}
}

func TestParseThinkingFallback(t *testing.T) {
	a := NewUITARS15()
	reply := api.Message{Role: "assistant", Thinking: "Thought: Open the menu.\nAction: click(start_box='(10,10)')"}
	d, err := a.Parse(reply, FrameFor(goldenScreen, goldenImage))
	if err != nil {
		t.Fatal(err)
	}
	if d.Thought != "Open the menu." || len(d.Actions) != 1 || d.Raw != reply.Thinking {
		t.Errorf("got %+v", d)
	}
	// Content wins when it holds the answer.
	reply.Content = "Action: wait()"
	d, err = a.Parse(reply, FrameFor(goldenScreen, goldenImage))
	if err != nil || d.Actions[0].Type != actuation.Wait {
		t.Errorf("got %+v, %v", d, err)
	}
}

func TestParseBadFrame(t *testing.T) {
	// A frame that cannot map is the caller's bug: not a ParseError the planner
	// would feed back to the model.
	_, err := NewUITARS15().Parse(api.Message{Content: "Action: wait()"}, perception.Frame{Bounds: image.Rect(0, 0, 10, 10)})
	if err == nil || errors.Is(err, planner.ErrBadOutput) {
		t.Errorf("got %v, want a plain error", err)
	}
	_, err = NewUITARS10().Parse(api.Message{Content: "Action: wait()"}, perception.Frame{})
	if err == nil || errors.Is(err, planner.ErrBadOutput) {
		t.Errorf("got %v, want a plain error", err)
	}
}

// TestActionMapping spells out the contract mapping of each action, beyond the
// golden files, so a regression names the rule it broke.
func TestActionMapping(t *testing.T) {
	f := FrameFor(image.Pt(1904, 1064), image.Pt(1904, 1064)) // identity mapping
	cases := []struct {
		reply string
		want  actuation.Action
	}{
		{"Action: click(start_box='(10,20)')", actuation.Action{Type: actuation.Click, X: actuation.Int(10), Y: actuation.Int(20), Button: "left", Clicks: 1}},
		{"Action: left_double(start_box='(10,20)')", actuation.Action{Type: actuation.Click, X: actuation.Int(10), Y: actuation.Int(20), Button: "left", Clicks: 2}},
		{"Action: right_single(start_box='(10,20)')", actuation.Action{Type: actuation.Click, X: actuation.Int(10), Y: actuation.Int(20), Button: "right", Clicks: 1}},
		{"Action: middle_click(start_box='(10,20)')", actuation.Action{Type: actuation.Click, X: actuation.Int(10), Y: actuation.Int(20), Button: "middle", Clicks: 1}},
		{"Action: hover(start_box='(10,20)')", actuation.Action{Type: actuation.Move, X: actuation.Int(10), Y: actuation.Int(20)}},
		{"Action: drag(start_box='(10,20)', end_box='(30,40)')", actuation.Action{Type: actuation.Drag, X: actuation.Int(10), Y: actuation.Int(20), X2: actuation.Int(30), Y2: actuation.Int(40), Button: "left"}},
		{"Action: hotkey(key='ctrl c')", actuation.Action{Type: actuation.Key, Keys: []string{"ctrl", "c"}}},
		{"Action: hotkey(key='Ctrl+Shift+Esc')", actuation.Action{Type: actuation.Key, Keys: []string{"ctrl", "shift", "esc"}}},
		{"Action: hotkey(key='cmd space')", actuation.Action{Type: actuation.Key, Keys: []string{"super", "space"}}},
		{"Action: hotkey(key='arrowdown')", actuation.Action{Type: actuation.Key, Keys: []string{"down"}}},
		{"Action: type(content='abc\\n')", actuation.Action{Type: actuation.TypeText, Text: "abc\n"}},
		{"Action: type(content='  keep spaces  ')", actuation.Action{Type: actuation.TypeText, Text: "  keep spaces  "}},
		{"Action: type(content='C:\\\\Users\\\\me')", actuation.Action{Type: actuation.TypeText, Text: `C:\Users\me`}},
		{"Action: type(content='tab\\there')", actuation.Action{Type: actuation.TypeText, Text: "tab\there"}},
		{"Action: type(text='via text=')", actuation.Action{Type: actuation.TypeText, Text: "via text="}},
		{"Action: scroll(direction='DOWN')", actuation.Action{Type: actuation.Scroll, Direction: "down", Amount: 3}},
		{"Action: scroll(start_box='(10,20)', direction='left')", actuation.Action{Type: actuation.Scroll, X: actuation.Int(10), Y: actuation.Int(20), Direction: "left", Amount: 3}},
		{"Action: wait()", actuation.Action{Type: actuation.Wait, Seconds: 5}},
		{"Action: finished(content='All done.')", actuation.Action{Type: actuation.Done, Text: "All done."}},
		{"Thought: It is done.\nAction: finished()", actuation.Action{Type: actuation.Done, Text: "It is done.", Thought: "It is done."}},
		{"Thought: I need the password.\nAction: call_user()", actuation.Action{Type: actuation.AskUser, Text: "I need the password.", Thought: "I need the password."}},
		{"Thought: The VM is broken.\nAction: error_env()", actuation.Action{Type: actuation.Fail, Text: "The VM is broken.", Thought: "The VM is broken."}},
		{"Action: click('(10,20)')", actuation.Action{Type: actuation.Click, X: actuation.Int(10), Y: actuation.Int(20), Button: "left", Clicks: 1}},
		{"Action: click(start_box=(10,20))", actuation.Action{Type: actuation.Click, X: actuation.Int(10), Y: actuation.Int(20), Button: "left", Clicks: 1}},
		{"Action: hotkey('alt f4')", actuation.Action{Type: actuation.Key, Keys: []string{"alt", "f4"}}},
		{"Action: type(content='say 'hi', ok')", actuation.Action{Type: actuation.TypeText, Text: "say 'hi', ok"}},
		{"Action: type(content='a,b', )", actuation.Action{Type: actuation.TypeText, Text: "a,b"}},
	}
	for _, c := range cases {
		checkOneAction(t, NewUITARS15(), f, c.reply, c.want)
	}
}

// TestSeedFormat: the tags of the Seed ("omni") output format that
// UI-TARS-desktop's newer parser reads.
func TestSeedFormat(t *testing.T) {
	f := FrameFor(goldenScreen, goldenImage)
	for _, c := range []struct {
		reply   string
		thought string
		want    actuation.Action
	}{
		{"<answer>It is 2.</answer>", "", actuation.Action{Type: actuation.Done, Text: "It is 2."}},
		{"<think>easy</think>\n<answer>\nIt is 2.", "easy", actuation.Action{Type: actuation.Done, Text: "It is 2.", Thought: "easy"}},
		{"<think_never_used_5a>wait a bit</think_never_used_5a>\n<computer_env>\nAction: wait()\n</computer_env>", "wait a bit",
			actuation.Action{Type: actuation.Wait, Thought: "wait a bit"}},
		{"</think_2>Action: wait()", "", actuation.Action{Type: actuation.Wait}},
		{"<think_>x</think>\nThought: mine\nAction: wait()", "mine", actuation.Action{Type: actuation.Wait, Thought: "mine"}},
	} {
		d, err := NewUITARS15().Parse(api.Message{Content: c.reply}, f)
		if err != nil {
			t.Errorf("%q: %v", c.reply, err)
			continue
		}
		if d.Thought != c.thought || len(d.Actions) != 1 || d.Actions[0].Type != c.want.Type || d.Actions[0].Text != c.want.Text {
			t.Errorf("%q:\n got thought %q, %v\nwant thought %q, %v", c.reply, d.Thought, d.Actions, c.thought, c.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	f := FrameFor(goldenScreen, goldenImage)
	cases := []struct{ reply, want string }{
		{"", "empty"},
		{"Thought: hmm\nAction:", "no action"},
		{"Action: teleport(start_box='(1,2)')", `unknown action "teleport"`},
		{"Action: click()", "no start coordinates"},
		{"Action: click(start_box='=')", "no coordinates"},
		{"Action: click(start_box='(1,2,3)')", "3 numbers"},
		{"Action: drag(start_box='(1,2)')", "no end coordinates"},
		{"Action: type(content='oops)", "never closed"},
		{"Action: type(content='')", "no text to type"},
		{"Action: hotkey(key='')", "no key"},
		{"Action: hotkey(key='ctrl blorp')", `unknown key "blorp"`},
		{"Action: scroll(start_box='(1,2)')", "needs a direction"},
		{"Action: scroll(direction='down or up')", "not up, down, left or right"},
		{"Action: click(start_box=(1,2)\n foo)", "unexpected"},
		{"Action: click(start_box='(1,2)' x)", "never closed"},
		{"Action: 42", "expected an action"},
		{"Action: press(key='shift')\n\nclick(start_box='(1,2)')\n\nrelease(key='shift')", "holding shift down"},
		{"Action: release(key='shift')", "no action"},
		{"<answer></answer>", `no "Action:"`},
		{"<think_x>a</think_x> <answer> </answer>", `no "Action:"`},
		{"Thought: <answer>1</answer>", `no "Action:"`}, // not a bare answer: prose around it
	}
	for _, c := range cases {
		_, err := NewUITARS15().Parse(api.Message{Content: c.reply}, f)
		if err == nil || !errors.Is(err, planner.ErrBadOutput) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want a ParseError containing %q", c.reply, err, c.want)
		}
	}
}

// The SHA-256 of the embedded prompt templates. A change here must be deliberate:
// the prompt is the first tokens of every request, and editors like to strip the
// trailing space the official template has after "end of content.".
const (
	uitars15PromptSHA = "6e0940c3bb38b7e050a1de57d03c719851a067e89fe6b46a28d4cd6227409840"
	uitars10PromptSHA = "e8d593a36f24ce7b6b4636ad5f0ce83219e0ce7bd16cccc928d04c614ce205c8"
)

func TestPromptStable(t *testing.T) {
	for _, c := range []struct {
		a   *UITARS
		sha string
	}{{NewUITARS15(), uitars15PromptSHA}, {NewUITARS10(), uitars10PromptSHA}} {
		sum := sha256.Sum256([]byte(c.a.prompt))
		if got := hex.EncodeToString(sum[:]); got != c.sha {
			t.Errorf("%s: prompt template SHA-256 is %s, want %s", c.a.Name(), got, c.sha)
		}
		task := "Open the calculator and compute 12*7"
		m1, m2 := c.a.Start(task), c.a.Start(task)
		if len(m1) != 2 || m1[0].Role != "system" || m1[0].Content != "You are a helpful assistant." || m1[1].Role != "user" {
			t.Fatalf("%s: Start = %+v", c.a.Name(), m1)
		}
		if m1[1].Content != m2[1].Content || m1[0].Content != m2[0].Content {
			t.Errorf("%s: Start is not byte-stable", c.a.Name())
		}
		p := m1[1].Content
		if !strings.HasSuffix(p, "## User Instruction\n"+task+"\n") {
			t.Errorf("%s: prompt does not end with the instruction:\n%s", c.a.Name(), p)
		}
		if !strings.Contains(p, "- Use English in `Thought` part.") || strings.Contains(p, "{language}") || strings.Contains(p, "{instruction}") {
			t.Errorf("%s: placeholders not filled:\n%s", c.a.Name(), p)
		}
		if !strings.Contains(p, "call_user() # Submit the task and call the user when the task is unsolvable, or when you need the user's help.\n") {
			t.Errorf("%s: prompt lacks call_user()", c.a.Name())
		}
		if !strings.HasPrefix(p, "You are a GUI agent.") || len(m1[1].Images) != 0 {
			t.Errorf("%s: unexpected user message %+v", c.a.Name(), m1[1])
		}
		// One-pass substitution: a task mentioning a placeholder stays as written.
		odd := "type {language} and {instruction} literally"
		if got := c.a.Prompt(odd); !strings.HasSuffix(got, odd+"\n") {
			t.Errorf("%s: task with placeholders was rewritten: %q", c.a.Name(), got[len(got)-80:])
		}
	}
	// UI-TARS-1.5 keeps the official template's escapes and trailing space.
	p := NewUITARS15().Prompt("x")
	if !strings.Contains(p, `type(content='xxx') # Use escape characters \', \", and \n in content part`) ||
		!strings.Contains(p, "use \\n at the end of content. \n") {
		t.Error("uitars15 prompt lost the official type() line")
	}
}

func TestConfigure(t *testing.T) {
	req := &api.ChatRequest{Tools: api.Tools{{Type: "function"}}, Format: json.RawMessage(`"json"`), Options: map[string]any{"num_ctx": 16384}}
	NewUITARS15().Configure(req)
	if req.Tools != nil || req.Format != nil || req.Think == nil || req.Think.Bool() {
		t.Errorf("Configure left %+v", req)
	}
	if req.Options["num_ctx"] != 16384 {
		t.Error("Configure touched the runner options")
	}
}

func TestGrid(t *testing.T) {
	for _, a := range []*UITARS{NewUITARS15(), NewUITARS10()} {
		if got := a.Grid().Size(1920, 1080); got != image.Pt(1904, 1064) {
			t.Errorf("%s: Grid().Size(1920,1080) = %v", a.Name(), got)
		}
		if got := a.Grid().Size(2560, 1440); got != image.Pt(1904, 1064) {
			t.Errorf("%s: Grid().Size(2560,1440) = %v", a.Name(), got)
		}
	}
	if NewUITARS15().Convention() != perception.ImagePixels || NewUITARS10().Convention() != perception.Relative1000 {
		t.Error("wrong conventions")
	}
}

func TestHistoryMessage(t *testing.T) {
	in := api.Message{Role: "assistant", Content: "Thought: x\nAction: drag(start_box='(10,20)', end_box='(30, 40)')\n\nclick(start_box='<|box_start|>(1,2)<|box_end|>')"}
	got := NewUITARS15().HistoryMessage(in).Content
	want := "Thought: x\nAction: drag(start_box='<|box_start|>(10,20)<|box_end|>', end_box='<|box_start|>(30, 40)<|box_end|>')\n\nclick(start_box='<|box_start|>(1,2)<|box_end|>')"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func FuzzUITARSParse(f *testing.F) {
	for _, name := range corpusNames(f, corpusDir, 40) {
		f.Add(corpusText(f, corpusDir, name), !strings.HasPrefix(name, "10-"))
	}
	f.Add("Action: type(content='\\", true)
	f.Add("Action: click(start_box='(1e400,5)')", true)
	f.Add("</think><think>Action：", false)
	frames := []perception.Frame{
		FrameFor(goldenScreen, goldenImage),
		{Bounds: image.Rect(1920, -200, 4480, 1240), Captured: image.Pt(5120, 2880), Scale: 2, Image: goldenImage},
		FrameFor(image.Pt(33, 33), image.Pt(56, 56)),
	}
	f.Fuzz(func(t *testing.T, reply string, v15 bool) {
		a := NewUITARS10()
		if v15 {
			a = NewUITARS15()
		}
		for _, fr := range frames {
			checkFuzzParse(t, a, api.Message{Content: reply}, fr)
		}
	})
}

func BenchmarkUITARSParse(b *testing.B) {
	reply := api.Message{Role: "assistant", Content: "Thought: I've clicked the search bar of the browser. Now I'll type the query about tomorrow's weather in Paris and press Enter to run the search, then check the first result.\n" +
		"Action: click(start_box='<|box_start|>(952,420)<|box_end|>')\n\ntype(content='weather in Paris tomorrow\\n')"}
	a := NewUITARS15()
	f := FrameFor(image.Pt(2560, 1440), image.Pt(1904, 1064))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Parse(reply, f); err != nil {
			b.Fatal(err)
		}
	}
}
