package models

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/deskhand/deskhand/actuation"
	"github.com/deskhand/deskhand/perception"
	"github.com/deskhand/deskhand/planner"
	"github.com/deskhand/deskhand/planner/ollamatest"
)

// qwenSuite is one adapter's corpus: replies under dir, parsed against a
// 1920x1080 screen sent as the image deskhand sends for it on the adapter's grid.
type qwenSuite struct {
	adapter *Qwen
	dir     string
	image   image.Point
}

func qwenSuites() []qwenSuite {
	return []qwenSuite{
		{NewQwen25VL(), "testdata/qwen25vl", image.Pt(1904, 1064)},
		{NewQwen3VL(), "testdata/qwen3vl", image.Pt(1920, 1088)},
	}
}

var qwenScreen = image.Pt(1920, 1080)

func qwenReply(t testing.TB, dir, name string) api.Message {
	t.Helper()
	text := corpusText(t, dir, name)
	if strings.HasSuffix(name, ".txt") {
		return api.Message{Role: "assistant", Content: text}
	}
	var m api.Message
	if err := json.Unmarshal([]byte(text), &m); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}

func qwenStem(name string) string {
	return strings.TrimSuffix(strings.TrimSuffix(name, ".txt"), ".json")
}

// qwenGolden is what a corpus reply parses to, as stored in *.golden.json.
type qwenGolden struct {
	Adapter string             `json:"adapter"`
	Screen  image.Point        `json:"screen"`
	Image   image.Point        `json:"image"`
	Thought string             `json:"thought"`
	Actions []actuation.Action `json:"actions"`
	Error   string             `json:"error,omitempty"`
}

func TestQwenGolden(t *testing.T) {
	for _, s := range qwenSuites() {
		for _, name := range corpusNames(t, s.dir, 30) {
			t.Run(s.adapter.Name()+"/"+qwenStem(name), func(t *testing.T) {
				reply := qwenReply(t, s.dir, name)
				d, err := s.adapter.Parse(reply, FrameFor(qwenScreen, s.image))
				g := qwenGolden{Adapter: s.adapter.Name(), Screen: qwenScreen, Image: s.image, Thought: d.Thought, Actions: d.Actions}
				if g.Actions == nil {
					g.Actions = []actuation.Action{}
				}
				if strings.HasSuffix(name, ".txt") && strings.TrimSpace(reply.Content) != "" && d.Raw != reply.Content {
					t.Errorf("Decision.Raw = %q, want the reply", d.Raw)
				}
				g.Error = checkParse(t, d, err, strings.HasPrefix(name, "err-"))
				checkGolden(t, filepath.Join(s.dir, qwenStem(name)+".golden.json"), g)
			})
		}
	}
}

// TestQwenGoldenNoStrays makes sure every golden file has its reply.
func TestQwenGoldenNoStrays(t *testing.T) {
	for _, s := range qwenSuites() {
		checkNoStrays(t, s.dir, ".txt", ".json")
	}
}

// TestQwenToScreenMapping checks where replies land on a frame that is not the
// identity: a 2560x1440 monitor to the right of another, 200 px above the primary's
// top, captured at scale 1, sent as the grid's image. The expected points are worked
// out by hand from contracts.md §4 and must equal what Frame.ToScreen says.
func TestQwenToScreenMapping(t *testing.T) {
	bounds := image.Rect(1920, -200, 4480, 1240)
	type pt = image.Point
	cases := []struct {
		name    string
		adapter *Qwen
		img     image.Point
		args    string
		want    []pt // start, then end for a drag
		model   [][2]float64
	}{
		// (952.5/1904)*2560 = 1280.7 → 1920+1280; (532.5/1064)*1440 = 720.7 → -200+720
		{"25 centre", NewQwen25VL(), image.Pt(1904, 1064), `{"action": "left_click", "coordinate": [952, 532]}`,
			[]pt{image.Pt(3200, 520)}, [][2]float64{{952, 532}}},
		{"25 origin", NewQwen25VL(), image.Pt(1904, 1064), `{"action": "left_click", "coordinate": [0, 0]}`,
			[]pt{image.Pt(1920, -200)}, [][2]float64{{0, 0}}},
		{"25 last pixel", NewQwen25VL(), image.Pt(1904, 1064), `{"action": "left_click", "coordinate": [1903, 1063]}`,
			[]pt{image.Pt(4479, 1239)}, [][2]float64{{1903, 1063}}},
		// (1099.5/1904)*2560 = 1478.3; (64.5/1064)*1440 = 87.3
		{"25 strings", NewQwen25VL(), image.Pt(1904, 1064), `{"action": "left_click", "coordinate": ["1099", "64"]}`,
			[]pt{image.Pt(1920+1478, -200+87)}, [][2]float64{{1099, 64}}},
		// (714.5/1904)*2560 = 960.7, (530.5/1064)*1440 = 717.9, (1150.5/1904)*2560 = 1546.9
		{"25 drag", NewQwen25VL(), image.Pt(1904, 1064), `{"action": "left_click_drag", "start_coordinate": [714, 530], "coordinate": [1150, 530]}`,
			[]pt{image.Pt(1920+960, -200+717), image.Pt(1920+1546, -200+717)}, [][2]float64{{714, 530}, {1150, 530}}},
		// 500/1000*2560 = 1280, 500/1000*1440 = 720
		{"3 centre", NewQwen3VL(), image.Pt(1920, 1088), `{"action": "left_click", "coordinate": [500, 500]}`,
			[]pt{image.Pt(3200, 520)}, [][2]float64{{500, 500}}},
		{"3 corner", NewQwen3VL(), image.Pt(1920, 1088), `{"action": "left_click", "coordinate": [1000, 1000]}`,
			[]pt{image.Pt(4479, 1239)}, [][2]float64{{1000, 1000}}},
		// 130/1000*2560 = 332.8, 226/1000*1440 = 325.4
		{"3 floats", NewQwen3VL(), image.Pt(1920, 1088), `{"action": "mouse_move", "coordinate": [130.0, 226.4]}`,
			[]pt{image.Pt(1920+332, -200+326)}, [][2]float64{{130, 226.4}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := perception.Frame{Bounds: bounds, Captured: bounds.Size(), Scale: 1, Image: c.img}
			reply := `<tool_call>{"name": "computer_use", "arguments": ` + c.args + `}</tool_call>`
			checkLanding(t, c.adapter, f, reply, c.model, c.want)
		})
	}
}

// TestQwenOutsideRejected checks that a point outside the image is refused with
// ToScreen's error, never clamped onto the screen edge.
func TestQwenOutsideRejected(t *testing.T) {
	cases := []struct {
		adapter *Qwen
		args    string
	}{
		{NewQwen25VL(), `{"action": "left_click", "coordinate": [1905, 10]}`},
		{NewQwen25VL(), `{"action": "left_click", "coordinate": [10, 1065]}`},
		{NewQwen25VL(), `{"action": "mouse_move", "coordinate": [-1, 10]}`},
		{NewQwen25VL(), `{"action": "scroll", "coordinate": [10, 5000], "pixels": -3}`},
		{NewQwen3VL(), `{"action": "left_click", "coordinate": [1001, 10]}`},
		{NewQwen3VL(), `{"action": "left_click_drag", "start_coordinate": [10, 10], "coordinate": [10, 1200]}`},
	}
	for _, c := range cases {
		f := FrameFor(qwenScreen, c.adapter.Grid().Size(qwenScreen.X, qwenScreen.Y))
		_, err := c.adapter.Parse(api.Message{Content: `<tool_call>{"name": "computer_use", "arguments": ` + c.args + `}</tool_call>`}, f)
		var oe *perception.OutsideError
		if !errors.As(err, &oe) || !errors.Is(err, planner.ErrBadOutput) {
			t.Errorf("%s %s: got %v, want a ParseError wrapping *perception.OutsideError", c.adapter.Name(), c.args, err)
		}
	}
}

// TestQwenActionMapping spells out the contract mapping of each action, so a
// regression names the rule it broke.
func TestQwenActionMapping(t *testing.T) {
	f := FrameFor(image.Pt(1904, 1064), image.Pt(1904, 1064)) // identity for qwen25vl
	type A = actuation.Action
	i := actuation.Int
	click := func(x, y int, b string, n int) A {
		return A{Type: actuation.Click, X: i(x), Y: i(y), Button: b, Clicks: n}
	}
	cases := []struct {
		args string
		want []A
	}{
		{`{"action": "left_click", "coordinate": [10, 20]}`, []A{click(10, 20, "left", 1)}},
		{`{"action": "right_click", "coordinate": [10, 20]}`, []A{click(10, 20, "right", 1)}},
		{`{"action": "middle_click", "coordinate": [10, 20]}`, []A{click(10, 20, "middle", 1)}},
		{`{"action": "double_click", "coordinate": [10, 20]}`, []A{click(10, 20, "left", 2)}},
		{`{"action": "triple_click", "coordinate": [10, 20]}`, []A{click(10, 20, "left", 3)}},
		{`{"action": "click", "coordinate": [10, 20]}`, []A{click(10, 20, "left", 1)}},
		{`{"action": "Left Click", "coordinate": [10, 20]}`, []A{click(10, 20, "left", 1)}},
		{`{"action": "mouse_move", "coordinate": [10, 20]}`, []A{{Type: actuation.Move, X: i(10), Y: i(20)}}},
		{`{"action": "left_click_drag", "start_coordinate": [1, 2], "coordinate": [30, 40]}`, []A{{Type: actuation.Drag, X: i(1), Y: i(2), X2: i(30), Y2: i(40), Button: "left"}}},
		{`{"action": "left_click_drag", "coordinate1": [1, 2], "coordinate2": [30, 40]}`, []A{{Type: actuation.Drag, X: i(1), Y: i(2), X2: i(30), Y2: i(40), Button: "left"}}},
		{`{"action": "key", "keys": ["ctrl", "s"]}`, []A{{Type: actuation.Key, Keys: []string{"ctrl", "s"}}}},
		{`{"action": "key", "keys": ["Return"]}`, []A{{Type: actuation.Key, Keys: []string{"enter"}}}},
		{`{"action": "key", "keys": ["ctrl+s"]}`, []A{{Type: actuation.Key, Keys: []string{"ctrl", "s"}}}},
		{`{"action": "key", "keys": "Ctrl+Shift+Esc"}`, []A{{Type: actuation.Key, Keys: []string{"ctrl", "shift", "esc"}}}},
		{`{"action": "key", "keys": ["cmd", "space"]}`, []A{{Type: actuation.Key, Keys: []string{"super", "space"}}}},
		{`{"action": "key", "keys": ["s", "ctrl"]}`, []A{{Type: actuation.Key, Keys: []string{"ctrl", "s"}}}},
		{`{"action": "key", "keys": ["ArrowUp"]}`, []A{{Type: actuation.Key, Keys: []string{"up"}}}},
		{`{"action": "key", "keys": ["page_down"]}`, []A{{Type: actuation.Key, Keys: []string{"pagedown"}}}},
		{`{"action": "key", "keys": ["control", "alt", "Delete"]}`, []A{{Type: actuation.Key, Keys: []string{"ctrl", "alt", "delete"}}}},
		{`{"action": "key", "keys": ["F5"]}`, []A{{Type: actuation.Key, Keys: []string{"f5"}}}},
		{`{"action": "key", "text": "ctrl+a"}`, []A{{Type: actuation.Key, Keys: []string{"ctrl", "a"}}}},
		{`{"action": "hotkey", "keys": ["alt", "tab"]}`, []A{{Type: actuation.Key, Keys: []string{"alt", "tab"}}}},
		{`{"action": "type", "text": "abc\n"}`, []A{{Type: actuation.TypeText, Text: "abc\n"}}},
		{`{"action": "type", "text": "  keep spaces  "}`, []A{{Type: actuation.TypeText, Text: "  keep spaces  "}}},
		{`{"action": "type", "text": 12345}`, []A{{Type: actuation.TypeText, Text: "12345"}}},
		{`{"action": "scroll", "pixels": -5}`, []A{{Type: actuation.Scroll, Direction: "down", Amount: 5}}},
		{`{"action": "scroll", "pixels": 3}`, []A{{Type: actuation.Scroll, Direction: "up", Amount: 3}}},
		{`{"action": "scroll", "pixels": 20}`, []A{{Type: actuation.Scroll, Direction: "up", Amount: 20}}},
		{`{"action": "scroll", "pixels": -300}`, []A{{Type: actuation.Scroll, Direction: "down", Amount: 3}}},
		{`{"action": "scroll", "pixels": -850}`, []A{{Type: actuation.Scroll, Direction: "down", Amount: 9}}},
		{`{"action": "scroll", "pixels": 99999}`, []A{{Type: actuation.Scroll, Direction: "up", Amount: 50}}},
		{`{"action": "scroll", "pixels": 0.4}`, []A{{Type: actuation.Scroll, Direction: "up", Amount: 1}}},
		{`{"action": "scroll", "pixels": "-3", "coordinate": [10, 20]}`, []A{{Type: actuation.Scroll, X: i(10), Y: i(20), Direction: "down", Amount: 3}}},
		{`{"action": "scroll", "direction": "down"}`, []A{{Type: actuation.Scroll, Direction: "down", Amount: 3}}},
		{`{"action": "hscroll", "pixels": 5}`, []A{{Type: actuation.Scroll, Direction: "right", Amount: 5}}},
		{`{"action": "hscroll", "pixels": -5}`, []A{{Type: actuation.Scroll, Direction: "left", Amount: 5}}},
		{`{"action": "wait", "time": 2}`, []A{{Type: actuation.Wait, Seconds: 2}}},
		{`{"action": "wait", "time": "1.5"}`, []A{{Type: actuation.Wait, Seconds: 1.5}}},
		{`{"action": "wait"}`, []A{{Type: actuation.Wait, Seconds: 5}}},
		{`{"action": "wait", "time": 600}`, []A{{Type: actuation.Wait, Seconds: 60}}},
		{`{"action": "terminate", "status": "success"}`, []A{{Type: actuation.Done, Text: "The model reported the task complete."}}},
		{`{"action": "terminate", "status": "failure"}`, []A{{Type: actuation.Fail, Text: "The model reported that it could not complete the task."}}},
		{`{"action": "terminate", "status": "Success", "answer": "42"}`, []A{{Type: actuation.Done, Text: "42"}}},
		{`{"action": "answer", "text": "It is 42."}`, []A{{Type: actuation.Done, Text: "It is 42."}}},
		{`{"action": "answer", "text": "Which file do you mean?"}`, []A{{Type: actuation.AskUser, Text: "Which file do you mean?"}}},
		{`{"action": "interact", "text": "Please log in."}`, []A{{Type: actuation.AskUser, Text: "Please log in."}}},
		{`{"action": "left_click", "coordinate": [10, 20, 30, 40]}`, []A{click(20, 30, "left", 1)}},
		{`{"action": "left_click", "coordinate": {"x": 10, "y": 20}}`, []A{click(10, 20, "left", 1)}},
		{`{"action": "left_click", "x": 10, "y": 20}`, []A{click(10, 20, "left", 1)}},
		{`{"action": "left_click", "coordinate": [[10, 20]]}`, []A{click(10, 20, "left", 1)}},
	}
	for _, c := range cases {
		reply := api.Message{Content: `<tool_call>{"name": "computer_use", "arguments": ` + c.args + `}</tool_call>`}
		d, err := NewQwen25VL().Parse(reply, f)
		if err != nil {
			t.Errorf("%s: %v", c.args, err)
			continue
		}
		if len(d.Actions) != len(c.want) {
			t.Errorf("%s: got %v, want %v", c.args, d.Actions, c.want)
			continue
		}
		for k := range c.want {
			if d.Actions[k].String() != c.want[k].String() {
				t.Errorf("%s:\n got %v\nwant %v", c.args, d.Actions[k], c.want[k])
			}
		}
	}
}

// TestQwenSequences checks the rules that span calls of one reply.
func TestQwenSequences(t *testing.T) {
	f := FrameFor(image.Pt(1904, 1064), image.Pt(1904, 1064))
	call := func(args string) string {
		return `<tool_call>{"name": "computer_use", "arguments": ` + args + "}</tool_call>\n"
	}
	cases := []struct {
		reply string
		want  string // the actions' types and points, space separated
	}{
		{call(`{"action": "mouse_move", "coordinate": [1, 2]}`) + call(`{"action": "left_click_drag", "coordinate": [3, 4]}`), "drag(1,2)-(3,4)"},
		{call(`{"action": "left_click", "coordinate": [1, 2]}`) + call(`{"action": "left_click_drag", "coordinate": [3, 4]}`), "drag(1,2)-(3,4)"},
		// A right click is not where a drag starts from: it stays, and the drag
		// starts at its point.
		{call(`{"action": "right_click", "coordinate": [1, 2]}`) + call(`{"action": "left_click_drag", "coordinate": [3, 4]}`), "click(1,2) drag(1,2)-(3,4)"},
		{call(`{"action": "mouse_move", "coordinate": [1, 2]}`) + call(`{"action": "left_click"}`), "move(1,2) click(1,2)"},
		{call(`{"action": "mouse_move", "coordinate": [1, 2]}`) + call(`{"action": "scroll", "pixels": -2}`), "move(1,2) scroll"},
		{call(`{"action": "left_click", "coordinate": [1, 2]}`) + call(`{"action": "type", "text": "x"}`) + call(`{"action": "key", "keys": ["enter"]}`), "click(1,2) type key"},
		{call(`{"action": "answer", "text": "Yes."}`) + call(`{"action": "terminate", "status": "success"}`), "done"},
		{call(`{"action": "answer", "text": "No such file."}`) + call(`{"action": "terminate", "status": "failure"}`), "fail"},
		{call(`{"action": "terminate", "status": "success"}`) + call(`{"action": "answer", "text": "late"}`), "done done"},
	}
	for _, c := range cases {
		d, err := NewQwen25VL().Parse(api.Message{Content: c.reply}, f)
		if err != nil {
			t.Errorf("%s: %v", c.reply, err)
			continue
		}
		var got []string
		for _, a := range d.Actions {
			s := string(a.Type)
			if p, ok := a.Point(); ok && a.Type != actuation.Scroll {
				s += fmt.Sprintf("(%d,%d)", p.X, p.Y)
			}
			if e, ok := a.End(); ok {
				s += fmt.Sprintf("-(%d,%d)", e.X, e.Y)
			}
			got = append(got, s)
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("%s: got %s, want %s", c.reply, strings.Join(got, " "), c.want)
		}
	}
	d, _ := NewQwen25VL().Parse(api.Message{Content: call(`{"action": "answer", "text": "No such file."}`) + call(`{"action": "terminate", "status": "failure"}`)}, f)
	if d.Actions[0].Text != "No such file." {
		t.Errorf("answer text lost: %v", d.Actions)
	}
}

func TestQwenParseErrors(t *testing.T) {
	f := FrameFor(qwenScreen, image.Pt(1904, 1064))
	call := func(args string) string {
		return `<tool_call>{"name": "computer_use", "arguments": ` + args + `}</tool_call>`
	}
	cases := []struct{ reply, want string }{
		{"", "empty"},
		{"   \n", "empty"},
		{"I will open the browser.", "no tool call in the reply"},
		{"<tool_call></tool_call>", "the tool call is empty"},
		{"<tool_call>\nhello\n</tool_call>", "no JSON object"},
		{call(`{"action": "teleport", "coordinate": [1, 2]}`), `unknown action "teleport": valid actions are key, type, mouse_move`},
		{call(`{"action": 7}`), "is not a name"},
		{call(`{"coordinate": [1, 2]}`), `no "action"`},
		{`<tool_call>{"name": "mobile_use", "arguments": {"action": "click"}}</tool_call>`, `unknown tool "mobile_use"`},
		{`<tool_call>{"name": "computer_use"}</tool_call>`, `no "arguments"`},
		{`<tool_call>{"name": "computer_use", "arguments": 5}</tool_call>`, "arguments are not a JSON object"},
		{`<tool_call>{"name": "computer_use", "arguments": "{nope"}</tool_call>`, "arguments are not a JSON object"},
		{call(`{"action": "left_click"}`), `left_click needs a "coordinate"`},
		{call(`{"action": "mouse_move"}`), `mouse_move needs a "coordinate"`},
		{call(`{"action": "left_click", "coordinate": [1]}`), "1 is not [x, y]"},
		{call(`{"action": "left_click", "coordinate": [1, 2, 3]}`), "has 3 numbers"},
		{call(`{"action": "left_click", "coordinate": ["a", 2]}`), `"a" is not a number`},
		{call(`{"action": "left_click", "coordinate": "middle"}`), "has 0 numbers"},
		{call(`{"action": "left_click", "coordinate": 5}`), "is not [x, y]"},
		{call(`{"action": "left_click_drag", "coordinate": [1, 2]}`), "send a mouse_move to the start point"},
		{call(`{"action": "left_click_drag"}`), "needs the \"coordinate\""},
		{call(`{"action": "key"}`), `key needs "keys"`},
		{call(`{"action": "key", "keys": []}`), `key needs "keys"`},
		{call(`{"action": "key", "keys": ["ctrl", "blorp"]}`), `unknown key "blorp"`},
		{call(`{"action": "key", "keys": [{"k": 1}]}`), "is not a key name"},
		{call(`{"action": "type"}`), `type needs the "text"`},
		{call(`{"action": "type", "text": ""}`), `type needs the "text"`},
		{call(`{"action": "scroll"}`), `scroll needs "pixels"`},
		{call(`{"action": "scroll", "pixels": 0}`), "0 pixels does nothing"},
		{call(`{"action": "scroll", "pixels": "lots"}`), `"lots" is not a number`},
		{call(`{"action": "scroll", "pixels": -3, "direction": "sideways"}`), `direction "sideways"`},
		{call(`{"action": "wait", "time": -1}`), "negative"},
		{call(`{"action": "wait", "time": "NaN"}`), "not a number"},
		{call(`{"action": "terminate"}`), `terminate needs a "status"`},
		{call(`{"action": "terminate", "status": "maybe"}`), `status "maybe"`},
		{call(`{"action": "answer"}`), `answer needs the "text"`},
		{`<tool_call>{"name": "computer_use", "arguments": {"action": "type", "text": "cut`, `a string in the JSON is cut off: "cut"`},
		{`<tool_call>{"name": "computer_use", "arguments": {"action": "left_click", "coordinate": [5, 6`, `cut off in the number "6"`},
		{`<tool_call>{"name": "computer_use", "arguments": {"action"`, `cut off after the key "action"`},
		{`<tool_call>{"name": "computer_use", "arguments": {"action": `, "cut off where a value should be"},
		{`<tool_call>{"name": "computer_use", "arguments": {"action": @}}</tool_call>`, `unexpected '@'`},
		{`{"name": "computer_use", "arguments": {"action": "type", "text": "hel`, "not valid JSON"},
		{"<tool_call>\n<function=computer_use>\n</function>\n</tool_call>", "has no parameters"},
		{"<tool_call>\n<function=computer_use\n</tool_call>", "is cut off"},
		{call(`{"action": "left_click", "coordinate": [1, 2]}`) + call(`{"action": "fly"}`), `tool call 2: unknown action "fly"`},
	}
	for _, c := range cases {
		_, err := NewQwen25VL().Parse(api.Message{Content: c.reply}, f)
		if err == nil || !errors.Is(err, planner.ErrBadOutput) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want a ParseError containing %q", c.reply, err, c.want)
		}
	}
	// The qwen3vl adapter names its own, longer list of actions.
	_, err := NewQwen3VL().Parse(api.Message{Content: call(`{"action": "teleport"}`)}, FrameFor(qwenScreen, image.Pt(1920, 1088)))
	if err == nil || !strings.Contains(err.Error(), "triple_click, scroll, hscroll, wait, terminate, answer") {
		t.Errorf("qwen3vl error %v does not list its actions", err)
	}
}

func TestQwenThinkingFallback(t *testing.T) {
	a := NewQwen3VL()
	f := FrameFor(qwenScreen, image.Pt(1920, 1088))
	call := `<tool_call>{"name": "computer_use", "arguments": {"action": "left_click", "coordinate": [500, 500]}}</tool_call>`
	cases := []struct {
		name    string
		reply   api.Message
		raw     string
		thought string
	}{
		{"thinking only", api.Message{Thinking: "Click the middle.\n" + call}, "Click the middle.\n" + call, "Click the middle."},
		{"prose content, call in thinking", api.Message{Content: "Clicking.", Thinking: "Reasoning.\n" + call}, "Reasoning.\n" + call, "Clicking."},
		{"content wins", api.Message{Content: call, Thinking: "Reasoning."}, call, "Reasoning."},
		{"think block in content", api.Message{Content: "<think>\nReasoning.\n</think>\n\n" + call}, "<think>\nReasoning.\n</think>\n\n" + call, "Reasoning."},
		{"draft inside think is ignored", api.Message{Content: "<think>maybe " + strings.Replace(call, "500, 500", "1, 1", 1) + "</think>" + call}, "<think>maybe " + strings.Replace(call, "500, 500", "1, 1", 1) + "</think>" + call, "maybe " + strings.Replace(call, "500, 500", "1, 1", 1)},
	}
	for _, c := range cases {
		d, err := a.Parse(c.reply, f)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if d.Raw != c.raw || d.Thought != c.thought || len(d.Actions) != 1 || *d.Actions[0].X != 960 {
			t.Errorf("%s: got raw %q thought %q actions %v", c.name, d.Raw, d.Thought, d.Actions)
		}
	}
	// Prose in content and prose in thinking: the error is about the reply.
	_, err := a.Parse(api.Message{Content: "Let me see.", Thinking: "Hmm."}, f)
	if err == nil || !strings.Contains(err.Error(), "no tool call") {
		t.Errorf("got %v", err)
	}
}

// TestQwenToolCalls parses calls Ollama already extracted, including arguments as
// Qwen3.5's XML parser types them (numbers and arrays as strings when unsure).
func TestQwenToolCalls(t *testing.T) {
	args := func(kv ...any) api.ToolCallFunctionArguments {
		a := api.NewToolCallFunctionArguments()
		for i := 0; i < len(kv); i += 2 {
			a.Set(kv[i].(string), kv[i+1])
		}
		return a
	}
	reply := api.Message{Role: "assistant", Content: "Action: Open the file.", ToolCalls: []api.ToolCall{
		{Function: api.ToolCallFunction{Name: "computer_use", Arguments: args("action", "double_click", "coordinate", []any{250.0, 500.0})}},
		{Function: api.ToolCallFunction{Index: 1, Name: "computer_use", Arguments: args("action", "wait", "time", "2")}},
		{Function: api.ToolCallFunction{Index: 2, Name: "computer_use", Arguments: args("action", "scroll", "pixels", "-5", "coordinate", "[500, 500]")}},
	}}
	d, err := NewQwen3VL().Parse(reply, FrameFor(qwenScreen, image.Pt(1920, 1088)))
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"type":"click","x":480,"y":540,"button":"left","clicks":2,"thought":"Action: Open the file."} {"type":"wait","seconds":2,"thought":"Action: Open the file."} {"type":"scroll","x":960,"y":540,"direction":"down","amount":5,"thought":"Action: Open the file."}]`
	if got := actionsString(d.Actions); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if !strings.HasPrefix(d.Raw, "Action: Open the file.\n<tool_call>\n{\"name\": \"computer_use\", \"arguments\": {\"action\":\"double_click\"") {
		t.Errorf("Raw = %q", d.Raw)
	}
}

func actionsString(as []actuation.Action) string {
	var s []string
	for _, a := range as {
		s = append(s, a.String())
	}
	return "[" + strings.Join(s, " ") + "]"
}

func TestQwenParseBadFrame(t *testing.T) {
	reply := api.Message{Content: `<tool_call>{"name": "computer_use", "arguments": {"action": "wait"}}</tool_call>`}
	_, err := NewQwen25VL().Parse(reply, perception.Frame{Bounds: image.Rect(0, 0, 10, 10)})
	if err == nil || errors.Is(err, planner.ErrBadOutput) {
		t.Errorf("no image size: got %v, want a plain error", err)
	}
	_, err = NewQwen3VL().Parse(reply, perception.Frame{})
	if err == nil || errors.Is(err, planner.ErrBadOutput) {
		t.Errorf("empty bounds: got %v, want a plain error", err)
	}
}

// The SHA-256 of the embedded prompts. A change here must be deliberate: the
// prompt is the first tokens of every request, and the models were trained on
// these exact bytes (no trailing newline).
const (
	qwen25vlPromptSHA = "51e6f5161e1f6aeb2eb7c89a0cd33c9c9f780c877e71ad5ec8f9f925ad50a370"
	qwen3vlPromptSHA  = "6084d16a025c374a9523958d4438e1f068c73da969aa3002415da011ff85b37c"
)

func TestQwenPromptStable(t *testing.T) {
	task := "Open the calculator and compute 12*7"
	for _, c := range []struct {
		a   *Qwen
		sha string
	}{{NewQwen25VL(), qwen25vlPromptSHA}, {NewQwen3VL(), qwen3vlPromptSHA}} {
		sum := sha256.Sum256([]byte(c.a.prompt))
		if got := hex.EncodeToString(sum[:]); got != c.sha {
			t.Errorf("%s: prompt SHA-256 is %s, want %s", c.a.Name(), got, c.sha)
		}
		m1, m2 := c.a.Start(task), c.a.Start(task)
		if len(m1) != 2 || m1[0].Role != "system" || m1[1].Role != "user" || m1[1].Content != task {
			t.Fatalf("%s: Start = %+v", c.a.Name(), m1)
		}
		if m1[0].Content != m2[0].Content || m1[1].Content != m2[1].Content {
			t.Errorf("%s: Start is not byte-stable", c.a.Name())
		}
		if !strings.HasPrefix(c.a.prompt, "You are a helpful assistant.\n\n# Tools\n\nYou may call one or more functions") ||
			!strings.HasSuffix(c.a.prompt, "<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call>") {
			t.Errorf("%s: prompt is not qwen-agent's NousFnCallPrompt layout", c.a.Name())
		}
		f := perception.Frame{Image: image.Pt(1904, 1064)}
		s1, s2 := c.a.StartFrame(task, f), c.a.StartFrame(task, f)
		if s1[0].Content != s2[0].Content || s1[1].Content != task {
			t.Errorf("%s: StartFrame is not byte-stable", c.a.Name())
		}
	}
	// Qwen2.5-VL: the tool is text, and the resolution is the image the model sees.
	q25 := NewQwen25VL()
	sys := q25.Start("x")[0].Content
	if strings.Contains(sys, "resolution") || strings.Contains(sys, "{display") || !strings.Contains(sys, `"name": "computer_use"`) {
		t.Errorf("qwen25vl Start system prompt:\n%s", sys)
	}
	sys = q25.StartFrame("x", perception.Frame{Image: image.Pt(1904, 1064)})[0].Content
	if !strings.Contains(sys, `start applications.\n* Some applications`) || !strings.Contains(sys, `\n* The screen's resolution is 1904x1064.\n* Whenever you intend`) {
		t.Errorf("qwen25vl StartFrame system prompt lacks the resolution:\n%s", sys)
	}
	if q25.StartFrame("x", perception.Frame{})[0].Content != q25.Start("x")[0].Content {
		t.Error("StartFrame without an image size differs from Start")
	}
	// Qwen3-VL: the system message is what the cookbook puts before the tools, and
	// the tool is the one in the prompt, properties in order.
	q3 := NewQwen3VL()
	if got := q3.Start("x")[0].Content; got != "You are a helpful assistant." {
		t.Errorf("qwen3vl system message = %q", got)
	}
	if !strings.Contains(q3.prompt, `* The screen's resolution is 1000x1000.`) {
		t.Error("qwen3vl prompt does not declare the 1000x1000 screen")
	}
	tool, ok := q3.Tool()
	if !ok || tool.Type != "function" || tool.Function.Name != "computer_use" || !slices.Equal(tool.Function.Parameters.Required, []string{"action"}) {
		t.Fatalf("qwen3vl tool = %+v", tool)
	}
	var props []string
	for k := range tool.Function.Parameters.Properties.All() {
		props = append(props, k)
	}
	if want := []string{"action", "keys", "text", "coordinate", "pixels", "time", "status"}; !slices.Equal(props, want) {
		t.Errorf("tool properties %v, want %v", props, want)
	}
	act, _ := tool.Function.Parameters.Properties.Get("action")
	var enum []string
	for _, e := range act.Enum {
		enum = append(enum, e.(string))
	}
	if !slices.Equal(enum, q3.valid) {
		t.Errorf("tool enum %v differs from the actions errors name %v", enum, q3.valid)
	}
	if _, ok := q25.Tool(); ok {
		t.Error("qwen25vl sends a tool")
	}
	// The qwen25vl text prompt's enum is the list its errors name too.
	if !strings.Contains(q25.prompt, `"enum": ["`+strings.Join(q25.valid, `", "`)+`"]`) {
		t.Error("qwen25vl prompt enum differs from the actions errors name")
	}
	// Both tool definitions decode as the same schema qwen-agent would send.
	t25, err := qwenToolOf(q25.prompt)
	if err != nil || t25.Function.Name != "computer_use" {
		t.Errorf("qwen25vl tool: %v", err)
	}
	if _, err := qwenToolOf("no tools here"); err == nil {
		t.Error("qwenToolOf accepted a prompt without tools")
	}
}

func TestQwenConfigure(t *testing.T) {
	req := &api.ChatRequest{Tools: api.Tools{{Type: "function"}}, Format: json.RawMessage(`"json"`), Options: map[string]any{"num_ctx": 16384}}
	NewQwen25VL().Configure(req)
	if req.Tools != nil || req.Format != nil || req.Think == nil || req.Think.Bool() {
		t.Errorf("qwen25vl Configure left %+v", req)
	}
	think := &api.ThinkValue{Value: true}
	req = &api.ChatRequest{Format: json.RawMessage(`"json"`), Think: think, Options: map[string]any{"num_ctx": 16384}}
	q3 := NewQwen3VL()
	q3.Configure(req)
	if len(req.Tools) != 1 || req.Tools[0].Function.Name != "computer_use" || req.Format != nil || req.Think != think {
		t.Errorf("qwen3vl Configure left %+v", req)
	}
	if req.Options["num_ctx"] != 16384 {
		t.Error("Configure touched the runner options")
	}
	// The tools are byte-stable across requests, for Ollama's prompt cache.
	b1, _ := json.Marshal(req.Tools)
	req2 := &api.ChatRequest{}
	NewQwen3VL().Configure(req2)
	b2, _ := json.Marshal(req2.Tools)
	if !bytes.Equal(b1, b2) {
		t.Error("tools differ between requests")
	}

	// The text fallback: no tools, the tool in the system text, history untouched.
	msgs := append(q3.Start("task"), api.Message{Role: "user", Content: "note"})
	req = &api.ChatRequest{Messages: msgs}
	q3.Configure(req)
	q3.ConfigureText(req)
	if req.Tools != nil || req.Messages[0].Content != q3.prompt || msgs[0].Content != "You are a helpful assistant." || len(req.Messages) != 3 {
		t.Errorf("ConfigureText left tools %v, system %q, history %q", req.Tools, req.Messages[0].Content, msgs[0].Content)
	}
	// A conversation it did not start is left alone.
	req = &api.ChatRequest{Messages: []api.Message{{Role: "system", Content: "other"}}}
	q3.ConfigureText(req)
	if req.Messages[0].Content != "other" {
		t.Error("ConfigureText rewrote a foreign system message")
	}
}

func TestQwenGrid(t *testing.T) {
	cases := []struct {
		a    *Qwen
		conv perception.Convention
		size map[image.Point]image.Point
	}{
		{NewQwen25VL(), perception.ImagePixels, map[image.Point]image.Point{image.Pt(1920, 1080): image.Pt(1904, 1064), image.Pt(2560, 1440): image.Pt(1904, 1064), image.Pt(1280, 720): image.Pt(1288, 728)}},
		{NewQwen3VL(), perception.Relative1000, map[image.Point]image.Point{image.Pt(1920, 1080): image.Pt(1920, 1088), image.Pt(1280, 720): image.Pt(1280, 736), image.Pt(1366, 768): image.Pt(1376, 768)}},
	}
	for _, c := range cases {
		if c.a.Convention() != c.conv {
			t.Errorf("%s: convention %s", c.a.Name(), c.a.Convention())
		}
		for screen, want := range c.size {
			if got := c.a.Grid().Size(screen.X, screen.Y); got != want {
				t.Errorf("%s: Grid().Size(%v) = %v, want %v", c.a.Name(), screen, got, want)
			}
		}
	}
}

func TestQwenHistoryMessage(t *testing.T) {
	q := NewQwen3VL()
	call := `<tool_call>{"name": "computer_use", "arguments": {"action": "wait"}}</tool_call>`
	tc := []api.ToolCall{{Function: api.ToolCallFunction{Name: "computer_use"}}}
	cases := []struct {
		name string
		in   api.Message
		want api.Message
	}{
		{"plain", api.Message{Role: "assistant", Content: "Wait.\n" + call, Thinking: "x"}, api.Message{Role: "assistant", Content: "Wait.\n" + call}},
		{"think stripped", api.Message{Content: "<think>long</think>\n\n" + call}, api.Message{Role: "assistant", Content: call}},
		{"answer in thinking", api.Message{Thinking: "I should wait.\n" + call}, api.Message{Role: "assistant", Content: call}},
		{"unclosed think in content", api.Message{Content: "<think>I should wait.\n" + call}, api.Message{Role: "assistant", Content: call}},
		{"tool calls kept", api.Message{Content: "", Thinking: "why", ToolCalls: tc}, api.Message{Role: "assistant", ToolCalls: tc}},
		{"no call anywhere", api.Message{Thinking: " only thoughts "}, api.Message{Role: "assistant", Content: "only thoughts"}},
	}
	for _, c := range cases {
		got := q.HistoryMessage(c.in)
		if got.Role != c.want.Role || got.Content != c.want.Content || got.Thinking != "" || len(got.ToolCalls) != len(c.want.ToolCalls) {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
	}
}

// qwenFakeScreen is a 1920x1080 monitor at (0, 0) sent on the adapter's grid.
type qwenFakeScreen struct{}

func (qwenFakeScreen) Capture(ctx context.Context, g perception.Grid) (perception.Frame, error) {
	return perception.Frame{Bounds: image.Rect(0, 0, 1920, 1080), Captured: image.Pt(1920, 1080), Scale: 1,
		Image: g.Size(1920, 1080), Data: []byte("png"), MIME: "image/png"}, nil
}

func (qwenFakeScreen) Settle(ctx context.Context, max time.Duration) error { return ctx.Err() }

type qwenFakeHands struct {
	mu   sync.Mutex
	done []actuation.Action
}

func (h *qwenFakeHands) Do(ctx context.Context, a actuation.Action) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.done = append(h.done, a)
	return nil
}

// TestQwenAgentEndToEnd runs the planner with each adapter against the fake Ollama,
// which enforces capabilities as Ollama does: qwen2.5vl must get no tools and no
// thinking, qwen3-vl gets computer_use as a tool and answers with tool calls, then
// with a <tool_call> in its thinking.
func TestQwenAgentEndToEnd(t *testing.T) {
	srv := ollamatest.NewServer(
		ollamatest.Model{Name: "qwen2.5vl:7b", Capabilities: []string{"completion", "vision"}, Architecture: "qwen25vl"},
		ollamatest.Model{Name: "qwen3-vl:8b", Capabilities: []string{"completion", "vision", "tools", "thinking"}, Architecture: "qwen3vl"},
	)
	defer srv.Close()
	args := api.NewToolCallFunctionArguments()
	args.Set("action", "left_click")
	args.Set("coordinate", []any{250, 500})
	srv.Script(
		ollamatest.Reply{Content: "Click the box.\n<tool_call>\n{\"name\": \"computer_use\", \"arguments\": {\"action\": \"left_click\", \"coordinate\": [952, 532]}}\n</tool_call>"},
		ollamatest.Reply{Content: "<tool_call>\n{\"name\": \"computer_use\", \"arguments\": {\"action\": \"terminate\", \"status\": \"success\"}}\n</tool_call>"},
		ollamatest.Reply{ToolCalls: []api.ToolCall{{Function: api.ToolCallFunction{Name: "computer_use", Arguments: args}}}},
		ollamatest.Reply{Thinking: "Done.\n<tool_call>\n{\"name\": \"computer_use\", \"arguments\": {\"action\": \"answer\", \"text\": \"It is open.\"}}\n</tool_call>"},
	)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, c := range []struct {
		model string
		a     *Qwen
		want  image.Point
		text  string
	}{{"qwen2.5vl:7b", NewQwen25VL(), image.Pt(960, 540), qwenDoneDefault}, {"qwen3-vl:8b", NewQwen3VL(), image.Pt(480, 540), "It is open."}} {
		hands := &qwenFakeHands{}
		ag := &planner.Agent{Screen: qwenFakeScreen{}, Actuator: hands, Client: srv.Client(), Adapter: c.a,
			Policy: planner.ConfirmNone, Model: c.model, MaxSteps: 5}
		res, err := ag.Run(ctx, "open the box")
		if err != nil {
			t.Fatalf("%s: %v", c.model, err)
		}
		if res.Text != c.text || len(hands.done) != 1 || hands.done[0].Type != actuation.Click {
			t.Fatalf("%s: result %+v, actions %v", c.model, res, hands.done)
		}
		if p, _ := hands.done[0].Point(); p != c.want {
			t.Errorf("%s: clicked %v, want %v", c.model, p, c.want)
		}
	}
	var reqs []ollamatest.Request
	for _, r := range srv.ChatRequests() {
		if r.Chat != nil && len(r.Chat.Messages) > 0 { // not a model load
			reqs = append(reqs, r)
		}
	}
	if len(reqs) != 4 {
		t.Fatalf("%d chat requests", len(reqs))
	}
	r25, r3 := reqs[0].Chat, reqs[2].Chat
	if len(r25.Tools) != 0 || r25.Think == nil || r25.Think.Bool() || !strings.Contains(r25.Messages[0].Content, "<tools>") {
		t.Errorf("qwen2.5vl request: tools %v think %v system %q", r25.Tools, r25.Think, r25.Messages[0].Content)
	}
	if len(r3.Tools) != 1 || r3.Tools[0].Function.Name != "computer_use" || r3.Messages[0].Content != "You are a helpful assistant." {
		t.Errorf("qwen3-vl request: tools %v system %q", r3.Tools, r3.Messages[0].Content)
	}
	// The second qwen3-vl request re-sends the first reply's tool call as history.
	hist := reqs[3].Chat.Messages
	var sawCall bool
	for _, m := range hist {
		if m.Role == "assistant" && len(m.ToolCalls) == 1 && m.ToolCalls[0].Function.Name == "computer_use" {
			sawCall = true
		}
	}
	if !sawCall {
		t.Errorf("history lacks the tool call: %+v", hist)
	}
}

func FuzzQwen25VLParse(f *testing.F) {
	dir := "testdata/qwen25vl"
	for _, name := range corpusNames(f, dir, 30) {
		f.Add(qwenReply(f, dir, name).Content)
	}
	frames := []perception.Frame{
		FrameFor(qwenScreen, image.Pt(1904, 1064)),
		{Bounds: image.Rect(1920, -200, 4480, 1240), Captured: image.Pt(5120, 2880), Scale: 2, Image: image.Pt(1904, 1064)},
		FrameFor(image.Pt(33, 33), image.Pt(56, 56)),
	}
	a := NewQwen25VL()
	f.Fuzz(func(t *testing.T, reply string) {
		for _, fr := range frames {
			checkFuzzParse(t, a, api.Message{Content: reply}, fr)
		}
	})
}

func FuzzQwen3VLParse(f *testing.F) {
	dir := "testdata/qwen3vl"
	for _, name := range corpusNames(f, dir, 30) {
		m := qwenReply(f, dir, name)
		args := ""
		if len(m.ToolCalls) > 0 {
			args = m.ToolCalls[0].Function.Arguments.String()
		}
		f.Add(m.Content, m.Thinking, args)
	}
	frames := []perception.Frame{
		FrameFor(qwenScreen, image.Pt(1920, 1088)),
		{Bounds: image.Rect(-1080, 0, 0, 1920), Captured: image.Pt(1080, 1920), Scale: 1, Image: image.Pt(1088, 1920)},
	}
	a := NewQwen3VL()
	f.Fuzz(func(t *testing.T, content, thinking, args string) {
		m := api.Message{Role: "assistant", Content: content, Thinking: thinking}
		if args != "" {
			var tc api.ToolCallFunctionArguments
			if json.Unmarshal([]byte(args), &tc) == nil {
				m.ToolCalls = []api.ToolCall{{Function: api.ToolCallFunction{Name: "computer_use", Arguments: tc}}}
			}
		}
		for _, fr := range frames {
			checkFuzzParse(t, a, m, fr)
		}
		h := a.HistoryMessage(m)
		if h.Role != "assistant" {
			t.Fatalf("HistoryMessage role %q", h.Role)
		}
	})
}

// BenchmarkQwenParse measures one typical reply per adapter: a thought and two calls
// as text for Qwen2.5-VL, a tool call from Ollama for Qwen3-VL.
func BenchmarkQwenParse(b *testing.B) {
	text := api.Message{Role: "assistant", Content: "The search box is at the top of the page. I'll click it, then type the query and press Enter.\n" +
		"<tool_call>\n{\"name\": \"computer_use\", \"arguments\": {\"action\": \"left_click\", \"coordinate\": [952, 118]}}\n</tool_call>\n" +
		"<tool_call>\n{\"name\": \"computer_use\", \"arguments\": {\"action\": \"type\", \"text\": \"weather in Paris tomorrow\\n\"}}\n</tool_call>"}
	args := api.NewToolCallFunctionArguments()
	args.Set("action", "left_click")
	args.Set("coordinate", []any{500.0, 61.0})
	tool := api.Message{Role: "assistant", Content: "Action: Click the search bar.", ToolCalls: []api.ToolCall{{Function: api.ToolCallFunction{Name: "computer_use", Arguments: args}}}}
	for _, c := range []struct {
		name  string
		a     *Qwen
		reply api.Message
		img   image.Point
	}{{"qwen25vl-text", NewQwen25VL(), text, image.Pt(1904, 1064)}, {"qwen3vl-toolcall", NewQwen3VL(), tool, image.Pt(1920, 1088)}} {
		b.Run(c.name, func(b *testing.B) {
			f := FrameFor(image.Pt(2560, 1440), c.img)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.a.Parse(c.reply, f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
