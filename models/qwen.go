package models

import (
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/ollama/ollama/api"

	"github.com/deskhand/deskhand/actuation"
	"github.com/deskhand/deskhand/perception"
	"github.com/deskhand/deskhand/planner"
)

// Qwen's computer-use format, shared by Qwen2.5-VL, Qwen3-VL, Qwen3.5 and their GUI
// fine-tunes (GUI-Owl, UI-Venus, GroundNext, MAI-UI …). The system message is
// qwen-agent's NousFnCallPrompt with one tool, computer_use, whose JSON schema sits
// inside <tools></tools>; the model answers with prose and one or more
//
//	<tool_call>
//	{"name": "computer_use", "arguments": {"action": "left_click", "coordinate": [x, y]}}
//	</tool_call>
//
// Qwen3.5 writes the same call in Qwen3-Coder's XML form
// (<function=computer_use><parameter=action>left_click</parameter>…), and Ollama,
// given the tool, may hand the call back already parsed in Message.ToolCalls. Parse
// reads all three. The JSON is read leniently, because small models write single
// quotes, trailing commas, unquoted keys, numbers as strings and cut-off replies; a
// reply is repaired only where the meaning is certain (closing braces), never by
// guessing a value: the strict grammar of the shared reader (lenient.go).
//
// Mapping to contracts.md §2, where the schema is silent:
//   - left_click_drag names only its end: it drags from the point the previous call
//     of the same reply put the pointer on (a mouse_move or left_click, which the
//     drag then replaces, as Qwen's own evaluation scripts do), or from an explicit
//     start_coordinate. With neither, the reply is refused with a ParseError that
//     tells the model to send the mouse_move in the same reply: an adapter keeps no
//     state between replies, and guessing the pointer would drag from a wrong place.
//   - A click without a coordinate clicks the previous point of the same reply.
//   - scroll/hscroll "pixels": positive is up (right), negative down (left).
//     |pixels| ≤ 20 are wheel notches (OSWorld's Qwen3-VL agent and GUI-Owl's
//     computer tools hand the value to pyautogui.scroll, which counts clicks, and
//     the models write -3 or -5); larger values are pixels at 100 per notch, at
//     most 50 notches.
//   - terminate success/failure → done/fail, with the thought as text; right after
//     an answer it only ends the run with the answer's text. answer → done with its
//     text, or ask_user when the text is a question (ends in "?"): the run stops
//     and shows the text either way, with the right exit status. GUI-Owl's
//     interact → ask_user.
//   - wait "time" in seconds, 5 when missing, at most 60.
//   - A coordinate of four numbers is a box: its centre is used.
//
// Every coordinate goes through perception.Frame.ToScreen; one outside the image is
// an error (a *perception.OutsideError), never clamped.

// Qwen is the adapter for Qwen's computer_use tool calls. NewQwen25VL and NewQwen3VL
// return its two configurations.
type Qwen struct {
	name       string
	convention perception.Convention
	factor     int
	// prompt is the whole system text with the tool rendered inside <tools></tools>,
	// as qwen-agent's NousFnCallPrompt writes it.
	prompt string
	// tool is computer_use as an api.Tool for families Ollama gives a tools
	// capability (Qwen3-VL, Qwen3.5); nil means the tool lives in the system text.
	tool *api.Tool
	// valid are the actions the prompt offers, named in error messages.
	valid []string
}

const (
	qwenToolName = "computer_use"
	// qwenToolsHeader starts the tool part of a NousFnCallPrompt system message.
	qwenToolsHeader = "\n\n# Tools\n\n"
	// qwenResolution is the tool description's screen size line, JSON-escaped as it
	// sits in the prompt, with the placeholders qwen-agent's ComputerUse fills.
	qwenResolution = `\n* The screen's resolution is {display_width_px}x{display_height_px}.`

	qwenWaitDefault        = 5.0 // seconds, for a wait with no time
	qwenWaitMax            = 60.0
	qwenScrollDefault      = 3 // notches, for a scroll with a direction but no amount
	qwenScrollNotchLimit   = 20
	qwenScrollPerNotch     = 100 // pixels
	qwenScrollMaxNotches   = 50
	qwenDoneDefault        = "The model reported the task complete."
	qwenFailDefault        = "The model reported that it could not complete the task."
	qwenAskDefault         = "The model needs your help to go on."
	qwenCallOpen           = "<tool_call>"
	qwenCallClose          = "</tool_call>"
	qwenFunctionOpen       = "<function="
	qwenExampleCall        = `<tool_call>{"name": "computer_use", "arguments": {"action": …}}</tool_call>`
	qwenThinkOpen          = "<think>"
	qwenThinkClose         = "</think>"
	qwenNoCallMessageStart = "no tool call in the reply"
)

// qwenAliases are action names models write for computer_use actions.
var qwenAliases = map[string]string{
	"click": "left_click", "hover": "mouse_move", "move": "mouse_move", "move_mouse": "mouse_move",
	"drag": "left_click_drag", "hotkey": "key", "press": "key", "key_press": "key",
}

// qwenAllActions are every action Parse maps, whichever prompt was sent.
var qwenAllActions = []string{"key", "type", "mouse_move", "left_click", "left_click_drag", "right_click",
	"middle_click", "double_click", "triple_click", "scroll", "hscroll", "wait", "terminate", "answer", "interact"}

// Name is the adapter's --adapter name.
func (q *Qwen) Name() string { return q.name }

// Convention is how the model writes coordinates.
func (q *Qwen) Convention() perception.Convention { return q.convention }

// Grid is the family's image grid under Ollama's pixel cap (28 for Qwen2.5-VL, 32
// for Qwen3-VL), so the server does not resize what deskhand sends.
func (q *Qwen) Grid() perception.Grid { return perception.Grid{Factor: q.factor} }

// Start returns the opening messages: the system message, then the task as the first
// user message (the layout of Qwen's computer-use cookbook). Screenshots follow as
// their own user messages (Observe). Without a frame, a prompt that would name the
// image size leaves that line out rather than guess it: StartFrame fills it.
func (q *Qwen) Start(task string) []api.Message {
	return q.start(task, image.Point{})
}

// StartFrame is Start for a known first frame: the tool description then says the
// screen's resolution is the size of the image the model sees, as the cookbook
// does for Qwen2.5-VL. It is byte-stable for a given task and image size. The
// planner may use it through an interface check; it is not part of planner.Adapter.
func (q *Qwen) StartFrame(task string, f perception.Frame) []api.Message {
	return q.start(task, f.Image)
}

func (q *Qwen) start(task string, img image.Point) []api.Message {
	return []api.Message{
		{Role: "system", Content: q.system(img)},
		{Role: "user", Content: task},
	}
}

// system is the system message: with a real tool, only the text before the tool
// part, since Ollama's renderer appends the "# Tools" block itself.
func (q *Qwen) system(img image.Point) string {
	if q.tool != nil {
		head, _, _ := strings.Cut(q.prompt, qwenToolsHeader)
		return head
	}
	return q.textPrompt(img)
}

// textPrompt is the whole system prompt with the tool as text, its resolution line
// filled with img, or left out when img is unknown.
func (q *Qwen) textPrompt(img image.Point) string {
	if !strings.Contains(q.prompt, "{display_width_px}") {
		return q.prompt
	}
	if img.X <= 0 || img.Y <= 0 {
		return strings.Replace(q.prompt, qwenResolution, "", 1)
	}
	return strings.NewReplacer("{display_width_px}", strconv.Itoa(img.X), "{display_height_px}", strconv.Itoa(img.Y)).Replace(q.prompt)
}

// Observe returns the user message carrying the frame's image exactly as encoded,
// with note as its text when there is one.
func (q *Qwen) Observe(f perception.Frame, note string) api.Message {
	return observe(f, note)
}

// Configure sends computer_use as a real tool where the family has one; otherwise
// the request is plain text (Ollama rejects tools, and think=true, for Qwen2.5-VL).
// A tool family's thinking is left as the caller set it.
func (q *Qwen) Configure(req *api.ChatRequest) {
	req.Format = nil
	if q.tool == nil {
		req.Tools = nil
		req.Think = &api.ThinkValue{Value: false}
		return
	}
	req.Tools = api.Tools{*q.tool}
}

// ConfigureText is Configure for a server that failed on the model's tool call
// (Ollama answers HTTP 500 when it cannot parse one, ollama/ollama#14492): no tools,
// and the tool rendered into the system message as text, so the call comes back as
// <tool_call> text that Parse reads. It replaces req.Messages with a copy rather than
// editing the conversation. The planner may use it through an interface check.
func (q *Qwen) ConfigureText(req *api.ChatRequest) {
	req.Format = nil
	req.Tools = nil
	if q.tool == nil || len(req.Messages) == 0 || req.Messages[0].Role != "system" || req.Messages[0].Content != q.system(image.Point{}) {
		return
	}
	msgs := slices.Clone(req.Messages)
	msgs[0].Content = q.textPrompt(image.Point{})
	req.Messages = msgs
}

// Tool returns computer_use as sent in req.Tools, and whether the adapter sends it.
func (q *Qwen) Tool() (api.Tool, bool) {
	if q.tool == nil {
		return api.Tool{}, false
	}
	return *q.tool, true
}

// Parse turns a reply into actions in actuation space. The calls are read from
// Message.ToolCalls, else from Content, else from Thinking (thinking variants on
// Ollama may put the whole answer there). A reply that does not follow the grammar,
// or names a point outside the image, returns a *planner.ParseError.
func (q *Qwen) Parse(reply api.Message, f perception.Frame) (planner.Decision, error) {
	calls, thought, raw, err := qwenRead(reply)
	d := planner.Decision{Raw: raw, Thought: thought}
	// A frame that cannot map coordinates is the caller's bug, not the model's: it
	// must not be fed back to the model as bad output.
	if f.Bounds.Empty() {
		return d, fmt.Errorf("frame has empty bounds %v", f.Bounds)
	}
	if q.convention == perception.ImagePixels && (f.Image.X <= 0 || f.Image.Y <= 0) {
		return d, fmt.Errorf("frame has no image size")
	}
	if err != nil {
		return d, planner.BadOutput(raw, "%v", err)
	}
	acts, err := q.actions(calls, f, thought)
	if err != nil {
		// Keep the cause (an off-screen point is a *perception.OutsideError).
		return d, &planner.ParseError{Raw: raw, Reason: err.Error(), Err: err}
	}
	d.Actions = acts
	return d, nil
}

// HistoryMessage returns reply as it should be re-sent in the history: without
// <think> blocks (Ollama's renderers drop past thinking anyway), and, when the whole
// answer came in Thinking, with its tool calls moved to Content, so the model sees
// what it did instead of an empty turn. The planner uses it through an interface
// check; it is not part of planner.Adapter.
func (q *Qwen) HistoryMessage(reply api.Message) api.Message {
	outside, _ := qwenCutThink(reply.Content)
	m := api.Message{Role: "assistant", Content: strings.TrimSpace(outside), ToolCalls: reply.ToolCalls}
	if m.Content != "" || len(m.ToolCalls) > 0 {
		return m
	}
	m.Content = qwenCallText(reply.Content + "\n" + reply.Thinking)
	return m
}

// qwenCallText returns the <tool_call> blocks in s, one per line, or s trimmed when
// it has none.
func qwenCallText(s string) string {
	var blocks []string
	for rest := s; ; {
		i := strings.Index(rest, qwenCallOpen)
		if i < 0 {
			break
		}
		rest = rest[i:]
		j := strings.Index(rest, qwenCallClose)
		if j < 0 {
			blocks = append(blocks, strings.TrimSpace(rest))
			break
		}
		blocks = append(blocks, rest[:j+len(qwenCallClose)])
		rest = rest[j+len(qwenCallClose):]
	}
	if len(blocks) == 0 {
		return strings.TrimSpace(s)
	}
	return strings.Join(blocks, "\n")
}

// qwenCall is one computer_use call as the model wrote it.
type qwenCall struct {
	name string
	args map[string]any
	src  string
}

// errQwenNoCall means a text holds no tool call at all (as opposed to a broken one).
var errQwenNoCall = errors.New(qwenNoCallMessageStart + ": answer with " + qwenExampleCall)

// qwenRead finds the calls in a reply, with the thought and the raw text they came
// from. A reply whose text has no thought of its own takes the reasoning of a
// thinking variant, so the user sees why the model acts.
func qwenRead(reply api.Message) (calls []qwenCall, thought, raw string, err error) {
	calls, thought, raw, err = qwenReadCalls(reply)
	if thought == "" {
		before, _, _ := strings.Cut(reply.Thinking, qwenCallOpen)
		thought = qwenThought(before)
	}
	return calls, thought, raw, err
}

func qwenReadCalls(reply api.Message) (calls []qwenCall, thought, raw string, err error) {
	if len(reply.ToolCalls) > 0 {
		var rendered []string
		for _, tc := range reply.ToolCalls {
			name, _ := json.Marshal(tc.Function.Name)
			src := fmt.Sprintf("<tool_call>\n{\"name\": %s, \"arguments\": %s}\n</tool_call>", name, tc.Function.Arguments.String())
			rendered = append(rendered, src)
			calls = append(calls, qwenCall{name: tc.Function.Name, args: tc.Function.Arguments.ToMap(), src: src})
		}
		raw = strings.Join(rendered, "\n")
		if strings.TrimSpace(reply.Content) != "" {
			raw = reply.Content + "\n" + raw
		}
		outside, think := qwenCutThink(strings.ReplaceAll(reply.Content, "\r\n", "\n"))
		thought = qwenThought(outside)
		if thought == "" {
			thought = strings.TrimSpace(think)
		}
		return calls, thought, raw, nil
	}
	content, thinking := reply.Content, reply.Thinking
	if strings.TrimSpace(content) == "" {
		if strings.TrimSpace(thinking) == "" {
			return nil, "", content, errors.New("the reply is empty")
		}
		calls, thought, err = qwenScan(thinking)
		return calls, thought, thinking, err
	}
	calls, thought, err = qwenScan(content)
	if errors.Is(err, errQwenNoCall) && strings.TrimSpace(thinking) != "" {
		// Prose in Content, the call still inside the thinking: a thinking variant
		// that acted before it closed its reasoning.
		if c, t, terr := qwenScan(thinking); terr == nil {
			if thought != "" {
				t = thought
			}
			return c, t, thinking, nil
		}
	}
	return calls, thought, content, err
}

// qwenScan finds the calls and the thought in a text reply. Calls outside <think>
// blocks win; a model that never closed its thinking has them inside.
func qwenScan(text string) ([]qwenCall, string, error) {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	outside, think := qwenCutThink(text)
	calls, prose, err := qwenCalls(outside)
	if errors.Is(err, errQwenNoCall) && strings.TrimSpace(think) != "" {
		if c, p, terr := qwenCalls(think); !errors.Is(terr, errQwenNoCall) {
			return c, qwenThought(p), terr
		}
	}
	thought := qwenThought(prose)
	if thought == "" {
		thought = strings.TrimSpace(think)
	}
	return calls, thought, err
}

// qwenCutThink splits text into what is outside <think>…</think> blocks and what is
// inside. A closing tag with no opening one before it means the server ate the
// opening tag; an opening tag that is never closed runs to the end.
func qwenCutThink(text string) (outside, think string) {
	var out, th strings.Builder
	if i := strings.Index(text, qwenThinkClose); i >= 0 {
		if j := strings.Index(text, qwenThinkOpen); j < 0 || j > i {
			th.WriteString(text[:i])
			text = text[i+len(qwenThinkClose):]
		}
	}
	for {
		i := strings.Index(text, qwenThinkOpen)
		if i < 0 {
			out.WriteString(text)
			break
		}
		out.WriteString(text[:i])
		rest := text[i+len(qwenThinkOpen):]
		j := strings.Index(rest, qwenThinkClose)
		if th.Len() > 0 {
			th.WriteString("\n")
		}
		if j < 0 {
			th.WriteString(rest)
			break
		}
		th.WriteString(rest[:j])
		text = rest[j+len(qwenThinkClose):]
	}
	return out.String(), th.String()
}

// qwenThought cleans the prose before the first call into a thought.
func qwenThought(prose string) string {
	t := strings.TrimSpace(prose)
	t = strings.TrimSuffix(t, "```json")
	t = strings.TrimSuffix(t, "```")
	t = strings.TrimSpace(t)
	// The prompt behind Qwen2.5-VL's computer-use demo asks for
	// <thinking>…</thinking> before the call (and <conclusion> after it).
	if in, ok := strings.CutPrefix(t, "<thinking>"); ok {
		t, _, _ = strings.Cut(in, "</thinking>")
		t = strings.TrimSpace(t)
	}
	if len(t) >= 8 && strings.EqualFold(t[:8], "thought:") {
		t = strings.TrimSpace(t[8:])
	}
	return t
}

// qwenCalls finds the calls in a text with no <think> blocks, and the prose before
// the first one.
func qwenCalls(seg string) (calls []qwenCall, prose string, err error) {
	if i := strings.Index(seg, qwenCallOpen); i >= 0 {
		prose = seg[:i]
		rest := seg[i:]
		for n := 1; ; n++ {
			i := strings.Index(rest, qwenCallOpen)
			if i < 0 {
				break
			}
			body := rest[i+len(qwenCallOpen):]
			end, next := len(body), len(body)
			if j := strings.Index(body, qwenCallClose); j >= 0 {
				end, next = j, j+len(qwenCallClose)
			}
			if k := strings.Index(body[:end], qwenCallOpen); k >= 0 { // never closed; another begins
				end, next = k, k
			}
			c, err := qwenDecodeCall(body[:end])
			if err != nil {
				return calls, prose, fmt.Errorf("tool call %d: %w", n, err)
			}
			calls = append(calls, c)
			rest = body[next:]
		}
		return calls, prose, nil
	}
	if i := strings.Index(seg, qwenFunctionOpen); i >= 0 {
		prose = seg[:i]
		parts := strings.Split(seg[i:], qwenFunctionOpen)
		for n, p := range parts[1:] {
			c, err := qwenXMLCall(qwenFunctionOpen + p)
			if err != nil {
				return calls, prose, fmt.Errorf("tool call %d: %w", n+1, err)
			}
			calls = append(calls, c)
		}
		return calls, prose, nil
	}
	return qwenBareCalls(seg)
}

// qwenBareCalls finds calls written as bare JSON objects, without <tool_call> tags
// (in a ```json fence, or after "Action:").
func qwenBareCalls(seg string) (calls []qwenCall, prose string, err error) {
	var firstErr error
	for i := 0; i < len(seg); i++ {
		if seg[i] != '{' {
			continue
		}
		v, end, perr := jsonDecodeStrict(seg[i:])
		if perr != nil {
			if firstErr == nil && qwenCallLike(seg[i:]) {
				firstErr = fmt.Errorf("the tool call is not valid JSON: %w", perr)
			}
			continue
		}
		obj, ok := v.(map[string]any)
		if !ok || !qwenIsCall(obj) {
			continue
		}
		c, cerr := qwenCallFrom(obj, seg[i:i+end])
		if cerr != nil {
			return calls, prose, cerr
		}
		if len(calls) == 0 {
			prose = seg[:i]
		}
		calls = append(calls, c)
		i += end - 1
	}
	if len(calls) > 0 {
		return calls, prose, nil
	}
	if firstErr != nil {
		return nil, seg, firstErr
	}
	return nil, seg, errQwenNoCall
}

// qwenCallLike reports whether a broken JSON object was meant as a call.
func qwenCallLike(s string) bool {
	s = s[:min(len(s), 200)]
	return strings.Contains(s, `"action"`) || strings.Contains(s, `"arguments"`) || strings.Contains(s, `'action'`)
}

// qwenIsCall reports whether a JSON object is a tool call or bare arguments.
func qwenIsCall(obj map[string]any) bool {
	_, a := obj["arguments"]
	_, act := obj["action"]
	_, fn := obj["function"]
	return a || act || fn
}

// qwenDecodeCall decodes the body of one <tool_call> block.
func qwenDecodeCall(body string) (qwenCall, error) {
	s := strings.TrimSpace(body)
	if strings.HasPrefix(s, "```") {
		if nl := strings.IndexByte(s, '\n'); nl >= 0 {
			s = s[nl+1:]
		} else {
			s = ""
		}
		s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "```"))
	}
	if s == "" {
		return qwenCall{}, errors.New("the tool call is empty")
	}
	if strings.HasPrefix(s, qwenFunctionOpen) {
		return qwenXMLCall(s)
	}
	i := strings.IndexByte(s, '{')
	if i < 0 {
		return qwenCall{}, fmt.Errorf("no JSON object in %q", snippet(s))
	}
	v, _, err := jsonDecodeStrict(s[i:])
	if err != nil {
		return qwenCall{}, fmt.Errorf("the tool call is not valid JSON: %w", err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return qwenCall{}, fmt.Errorf("the tool call is not a JSON object: %q", snippet(s))
	}
	return qwenCallFrom(obj, s)
}

// qwenCallFrom reads {"name": …, "arguments": {…}}, its OpenAI form
// {"function": {…}}, or bare arguments {"action": …}.
func qwenCallFrom(obj map[string]any, src string) (qwenCall, error) {
	if fn, ok := obj["function"].(map[string]any); ok && obj["name"] == nil {
		obj = fn
	}
	name, _ := obj["name"].(string)
	c := qwenCall{name: name, src: src}
	switch a := obj["arguments"].(type) {
	case map[string]any:
		c.args = a
	case string:
		v, _, err := jsonDecodeStrict(strings.TrimSpace(a))
		m, ok := v.(map[string]any)
		if err != nil || !ok {
			return c, fmt.Errorf("the tool call's arguments are not a JSON object: %q", snippet(a))
		}
		c.args = m
	case nil:
		if p, ok := obj["parameters"].(map[string]any); ok {
			c.args = p
		} else if _, ok := obj["action"]; ok {
			c.args = obj
		} else {
			return c, fmt.Errorf("the tool call has no \"arguments\": %q", snippet(src))
		}
	default:
		return c, fmt.Errorf("the tool call's arguments are not a JSON object: %q", snippet(src))
	}
	return c, nil
}

// qwenXMLCall reads Qwen3-Coder's form (Qwen3.5):
//
//	<function=computer_use>
//	<parameter=action>
//	left_click
//	</parameter>
//	…
//	</function>
func qwenXMLCall(s string) (qwenCall, error) {
	rest := strings.TrimPrefix(s, qwenFunctionOpen)
	j := strings.IndexByte(rest, '>')
	if j < 0 {
		return qwenCall{}, fmt.Errorf("%q is cut off", snippet(s))
	}
	c := qwenCall{name: strings.TrimSpace(rest[:j]), args: map[string]any{}, src: s}
	rest = rest[j+1:]
	for {
		i := strings.Index(rest, "<parameter=")
		if i < 0 {
			break
		}
		rest = rest[i+len("<parameter="):]
		j := strings.IndexByte(rest, '>')
		if j < 0 {
			return c, fmt.Errorf("a <parameter=…> tag is cut off in %q", snippet(s))
		}
		key := strings.TrimSpace(rest[:j])
		rest = rest[j+1:]
		end := len(rest)
		for _, stop := range []string{"</parameter>", "<parameter=", "</function>"} {
			if k := strings.Index(rest, stop); k >= 0 && k < end {
				end = k
			}
		}
		val := strings.TrimSuffix(strings.TrimPrefix(rest[:end], "\n"), "\n")
		rest = strings.TrimPrefix(rest[end:], "</parameter>")
		c.args[key] = qwenXMLValue(key, val)
	}
	if len(c.args) == 0 {
		return c, fmt.Errorf("<function=%s> has no parameters", c.name)
	}
	return c, nil
}

// qwenXMLValue types a parameter's text: strings stay strings, arrays and numbers
// are decoded when they decode whole.
func qwenXMLValue(key, val string) any {
	switch key {
	case "text", "action", "status", "answer":
		return val
	}
	t := strings.TrimSpace(val)
	if v, end, err := jsonDecodeStrict(t); err == nil && end == len(t) {
		return v
	}
	return val
}

// actions maps calls to contract actions, through f.ToScreen for every point and
// actuation.Normalize for every action.
func (q *Qwen) actions(calls []qwenCall, f perception.Frame, thought string) ([]actuation.Action, error) {
	b := qwenBuilder{q: q, f: f, thought: thought, placed: -1, answered: -1}
	for i, c := range calls {
		if err := b.add(i+1, c); err != nil {
			return nil, err
		}
	}
	if len(b.out) == 0 {
		return nil, errors.New("no action in the reply")
	}
	for i, a := range b.out {
		n, err := actuation.Normalize(a, f.Bounds)
		if err != nil {
			return nil, fmt.Errorf("action %d: %w", i+1, err)
		}
		n.Thought = thought
		b.out[i] = n
	}
	return b.out, nil
}

// qwenBuilder turns the calls of one reply into actions, remembering where the
// reply last put the pointer.
type qwenBuilder struct {
	q       *Qwen
	f       perception.Frame
	thought string
	out     []actuation.Action
	// last is the last point the reply named, in actuation space; placed is the
	// index in out of the mouse_move or left_click that put the pointer there, or
	// -1; answered is the index of an answer action a terminate may complete.
	last     *image.Point
	placed   int
	answered int
}

func (b *qwenBuilder) add(n int, c qwenCall) error {
	act, err := b.actionName(c)
	if err != nil {
		return fmt.Errorf("tool call %d: %w", n, err)
	}
	wrap := func(err error) error {
		return fmt.Errorf("tool call %d (%s): %w", n, act, err)
	}
	args := c.args
	placed, answered := -1, -1
	switch act {
	case "left_click", "right_click", "middle_click", "double_click", "triple_click":
		p, err := b.point(args, act, true)
		if err != nil {
			return wrap(err)
		}
		button, clicks := "left", 1
		switch act {
		case "right_click":
			button = "right"
		case "middle_click":
			button = "middle"
		case "double_click":
			clicks = 2
		case "triple_click":
			clicks = 3
		}
		b.out = append(b.out, actuation.Action{Type: actuation.Click, X: actuation.Int(p.X), Y: actuation.Int(p.Y), Button: button, Clicks: clicks})
		if act == "left_click" {
			placed = len(b.out) - 1
		}
	case "mouse_move":
		p, err := b.point(args, act, false)
		if err != nil {
			return wrap(err)
		}
		b.out = append(b.out, actuation.Action{Type: actuation.Move, X: actuation.Int(p.X), Y: actuation.Int(p.Y)})
		placed = len(b.out) - 1
	case "left_click_drag":
		if err := b.drag(args); err != nil {
			return wrap(err)
		}
	case "key":
		keys, err := qwenKeys(qwenFirst(args, "keys", "key", "text"))
		if err != nil {
			return wrap(err)
		}
		b.out = append(b.out, actuation.Action{Type: actuation.Key, Keys: keys})
	case "type":
		text, ok := qwenText(qwenFirst(args, "text", "content", "value"))
		if !ok || text == "" {
			return wrap(errors.New(`type needs the "text" to type`))
		}
		b.out = append(b.out, actuation.Action{Type: actuation.TypeText, Text: text})
	case "scroll", "hscroll":
		a, err := b.scroll(args, act == "hscroll")
		if err != nil {
			return wrap(err)
		}
		b.out = append(b.out, a)
	case "wait":
		secs := qwenWaitDefault
		if v := qwenFirst(args, "time", "seconds", "duration"); v != nil {
			s, err := qwenNumber(v)
			if err != nil {
				return wrap(fmt.Errorf("time: %w", err))
			}
			if s < 0 {
				return wrap(fmt.Errorf("time %g is negative", s))
			}
			secs = math.Min(s, qwenWaitMax)
		}
		b.out = append(b.out, actuation.Action{Type: actuation.Wait, Seconds: secs})
	case "terminate":
		if err := b.terminate(args); err != nil {
			return wrap(err)
		}
	case "answer":
		text, _ := qwenText(qwenFirst(args, "text", "answer", "content"))
		text = strings.TrimSpace(text)
		if text == "" {
			return wrap(errors.New(`answer needs the "text" of the answer`))
		}
		t := actuation.Done
		if strings.HasSuffix(text, "?") {
			t = actuation.AskUser
		}
		b.out = append(b.out, actuation.Action{Type: t, Text: text})
		answered = len(b.out) - 1
	case "interact":
		text, _ := qwenText(qwenFirst(args, "text", "content"))
		b.out = append(b.out, actuation.Action{Type: actuation.AskUser, Text: b.orThought(strings.TrimSpace(text), qwenAskDefault)})
	}
	b.placed, b.answered = placed, answered
	return nil
}

// actionName returns the call's action, checked against the tool and the actions.
func (b *qwenBuilder) actionName(c qwenCall) (string, error) {
	name := strings.TrimSpace(c.name)
	act, _ := c.args["action"].(string)
	act = qwenCanonicalAction(act)
	if act == "" && name != "" && slices.Contains(qwenAllActions, qwenCanonicalAction(name)) {
		// {"name": "left_click", "arguments": {"coordinate": …}}: the action as the
		// function name.
		return qwenCanonicalAction(name), nil
	}
	if name != "" && name != qwenToolName && name != "computer" {
		return "", fmt.Errorf("unknown tool %q: the only tool is %s", name, qwenToolName)
	}
	if act == "" {
		if v, ok := c.args["action"]; ok {
			return "", fmt.Errorf("action %s is not a name: valid actions are %s", qwenShow(v), strings.Join(b.q.valid, ", "))
		}
		return "", fmt.Errorf(`no "action" in %q`, snippet(c.src))
	}
	if !slices.Contains(qwenAllActions, act) {
		return "", fmt.Errorf("unknown action %q: valid actions are %s", act, strings.Join(b.q.valid, ", "))
	}
	return act, nil
}

// qwenCanonicalAction lower-cases an action name and resolves aliases.
func qwenCanonicalAction(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.ReplaceAll(strings.ReplaceAll(s, " ", "_"), "-", "_")
	if a, ok := qwenAliases[s]; ok {
		return a
	}
	return s
}

// point maps the call's coordinate to actuation space. Without one, reuse takes the
// last point of the reply.
func (b *qwenBuilder) point(args map[string]any, act string, reuse bool) (image.Point, error) {
	p, ok, err := b.pointOf(args, "coordinate", "coordinates", "point", "position")
	if err != nil {
		return image.Point{}, err
	}
	if !ok {
		if reuse && b.last != nil {
			return *b.last, nil
		}
		return image.Point{}, fmt.Errorf(`%s needs a "coordinate": [x, y]`, act)
	}
	return p, nil
}

// pointOf maps the first of keys present in args (or "x" and "y") to actuation
// space and remembers it as the reply's last point.
func (b *qwenBuilder) pointOf(args map[string]any, keys ...string) (image.Point, bool, error) {
	v := qwenFirst(args, keys...)
	if v == nil {
		x, okx := args["x"]
		y, oky := args["y"]
		if !okx || !oky || keys[0] != "coordinate" {
			return image.Point{}, false, nil
		}
		v = []any{x, y}
	}
	x, y, err := qwenXY(v, 0)
	if err != nil {
		return image.Point{}, true, fmt.Errorf("%s: %w", keys[0], err)
	}
	p, err := b.f.ToScreen(x, y, b.q.convention)
	if err != nil {
		return image.Point{}, true, err
	}
	b.last = &p
	return p, true, nil
}

// drag maps left_click_drag: see the file comment for where it starts.
func (b *qwenBuilder) drag(args map[string]any) error {
	prev, prevPlaced := b.last, b.placed
	start, hasStart, err := b.pointOf(args, "start_coordinate", "coordinate1", "startCoordinate", "start")
	if err != nil {
		return err
	}
	if hasStart {
		prev, prevPlaced = &start, -1
	}
	end, ok, err := b.pointOf(args, "coordinate", "coordinate2", "end_coordinate", "end")
	if err != nil {
		return err
	}
	if !ok {
		return errors.New(`left_click_drag needs the "coordinate": [x, y] to drag to`)
	}
	if prev == nil {
		return errors.New("left_click_drag starts where the pointer is, and this reply does not say where that is: send a mouse_move to the start point and the left_click_drag in the same reply")
	}
	s := *prev
	if prevPlaced >= 0 && prevPlaced == len(b.out)-1 {
		// The mouse_move or left_click before was the drag's start, not an action of
		// its own: a click right before pressing would make a double-click drag.
		b.out = b.out[:prevPlaced]
	}
	b.out = append(b.out, actuation.Action{Type: actuation.Drag, X: actuation.Int(s.X), Y: actuation.Int(s.Y),
		X2: actuation.Int(end.X), Y2: actuation.Int(end.Y), Button: "left"})
	return nil
}

// scroll maps scroll and hscroll; see the file comment for the pixels convention.
func (b *qwenBuilder) scroll(args map[string]any, horizontal bool) (actuation.Action, error) {
	a := actuation.Action{Type: actuation.Scroll, Amount: qwenScrollDefault}
	dir, _ := qwenText(args["direction"])
	dir = strings.ToLower(strings.TrimSpace(dir))
	v := qwenFirst(args, "pixels", "amount", "scroll_amount")
	switch {
	case v != nil:
		px, err := qwenNumber(v)
		if err != nil {
			return a, fmt.Errorf("pixels: %w", err)
		}
		if px == 0 {
			return a, errors.New("a scroll of 0 pixels does nothing: positive pixels scroll up, negative down")
		}
		if dir == "" {
			switch {
			case horizontal && px > 0:
				dir = "right"
			case horizontal:
				dir = "left"
			case px > 0:
				dir = "up"
			default:
				dir = "down"
			}
		}
		a.Amount = qwenNotches(math.Abs(px))
	case dir == "":
		return a, errors.New(`scroll needs "pixels": positive scrolls up, negative down`)
	}
	switch dir {
	case "up", "down", "left", "right":
	default:
		return a, fmt.Errorf("direction %q is not up, down, left or right", dir)
	}
	a.Direction = dir
	p, ok, err := b.pointOf(args, "coordinate", "coordinates", "point", "position")
	if err != nil {
		return a, err
	}
	if ok {
		a.X, a.Y = actuation.Int(p.X), actuation.Int(p.Y)
	}
	return a, nil
}

// qwenNotches converts a scroll amount to wheel notches.
func qwenNotches(px float64) int {
	if px <= qwenScrollNotchLimit {
		return max(1, int(math.Round(px)))
	}
	return int(math.Max(1, math.Min(qwenScrollMaxNotches, math.Round(px/qwenScrollPerNotch))))
}

// terminate maps terminate, completing an answer just before it.
func (b *qwenBuilder) terminate(args map[string]any) error {
	status, _ := qwenText(args["status"])
	var t actuation.Type
	switch strings.ToLower(strings.TrimSpace(status)) {
	case "success", "succeeded", "successful", "done", "complete", "completed", "finished":
		t = actuation.Done
	case "failure", "fail", "failed", "infeasible", "error", "impossible":
		t = actuation.Fail
	case "":
		return errors.New(`terminate needs a "status": "success" or "failure"`)
	default:
		return fmt.Errorf(`status %q is not "success" or "failure"`, status)
	}
	if b.answered >= 0 && b.answered == len(b.out)-1 {
		// answer then terminate: one end, with the answer's text.
		if t == actuation.Fail {
			b.out[b.answered].Type = actuation.Fail
		}
		return nil
	}
	text, _ := qwenText(qwenFirst(args, "answer", "text", "message"))
	def := qwenDoneDefault
	if t == actuation.Fail {
		def = qwenFailDefault
	}
	b.out = append(b.out, actuation.Action{Type: t, Text: b.orThought(strings.TrimSpace(text), def)})
	return nil
}

// orThought returns text, else the reply's thought, else def.
func (b *qwenBuilder) orThought(text, def string) string {
	switch {
	case text != "":
		return text
	case b.thought != "":
		return b.thought
	}
	return def
}

// qwenFirst returns the value of the first of keys present in args.
func qwenFirst(args map[string]any, keys ...string) any {
	for _, k := range keys {
		if v, ok := args[k]; ok && v != nil {
			return v
		}
	}
	return nil
}

// qwenText reads a string argument; a number is typed as written.
func qwenText(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, true
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(t), true
	}
	return "", false
}

// qwenNumber reads a number, also from a string ("-300").
func qwenNumber(v any) (float64, error) {
	var x float64
	switch t := v.(type) {
	case float64:
		x = t
	case string:
		s := strings.TrimSpace(t)
		if !qwenNumeric(s) {
			return 0, fmt.Errorf("%q is not a number", snippet(t))
		}
		var err error
		if x, err = strconv.ParseFloat(s, 64); err != nil {
			return 0, fmt.Errorf("%q is not a number", snippet(t))
		}
	case []any:
		if len(t) == 1 {
			return qwenNumber(t[0])
		}
		return 0, fmt.Errorf("%s is not a number", qwenShow(v))
	default:
		return 0, fmt.Errorf("%s is not a number", qwenShow(v))
	}
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, fmt.Errorf("%s is not a finite number", qwenShow(v))
	}
	return x, nil
}

// qwenNumeric reports whether s is plain decimal notation (no "NaN", "Inf", "0x").
func qwenNumeric(s string) bool {
	if s == "" {
		return false
	}
	digits := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits = true
		case c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E':
		default:
			return false
		}
	}
	return digits
}

// qwenXY reads a point: [x, y], ["512", "300"], "512,300", "(512, 300)",
// {"x": 512, "y": 300}, or a box [x1, y1, x2, y2] (its centre).
func qwenXY(v any, depth int) (x, y float64, err error) {
	var nums []float64
	switch t := v.(type) {
	case []any:
		if len(t) == 1 && depth < 2 {
			return qwenXY(t[0], depth+1)
		}
		for _, e := range t {
			n, err := qwenNumber(e)
			if err != nil {
				return 0, 0, fmt.Errorf("%s is not [x, y]: %w", qwenShow(v), err)
			}
			nums = append(nums, n)
		}
	case string:
		nums, err = qwenNumbersIn(t)
		if err != nil {
			return 0, 0, err
		}
	case map[string]any:
		return qwenXY([]any{t["x"], t["y"]}, depth+1)
	default:
		return 0, 0, fmt.Errorf("%s is not [x, y]", qwenShow(v))
	}
	switch len(nums) {
	case 2:
		return nums[0], nums[1], nil
	case 4:
		return (nums[0] + nums[2]) / 2, (nums[1] + nums[3]) / 2, nil
	}
	return 0, 0, fmt.Errorf("%s has %d numbers, want [x, y]", qwenShow(v), len(nums))
}

// qwenNumbersIn reads the numbers written in a string such as "(512, 300)".
func qwenNumbersIn(s string) ([]float64, error) {
	var nums []float64
	for i := 0; i < len(s); {
		c := s[i]
		if !(c >= '0' && c <= '9' || (c == '-' || c == '.') && i+1 < len(s) && (s[i+1] >= '0' && s[i+1] <= '9' || s[i+1] == '.')) {
			i++
			continue
		}
		j := i + 1
		for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.') {
			j++
		}
		n, err := strconv.ParseFloat(s[i:j], 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not [x, y]", snippet(s))
		}
		nums = append(nums, n)
		i = j
	}
	return nums, nil
}

// qwenKeys reads the keys of a key action: ["ctrl", "s"], ["ctrl+s"], "Ctrl+S",
// "Return", each normalised to the contract's names.
func qwenKeys(v any) ([]string, error) {
	var parts []string
	switch t := v.(type) {
	case nil:
		return nil, errors.New(`key needs "keys", such as ["ctrl", "s"]`)
	case []any:
		for _, e := range t {
			s, ok := qwenText(e)
			if !ok {
				return nil, fmt.Errorf("keys: %s is not a key name", qwenShow(e))
			}
			parts = append(parts, s)
		}
	default:
		s, ok := qwenText(t)
		if !ok {
			return nil, fmt.Errorf("keys: %s is not a key name", qwenShow(t))
		}
		parts = []string{s}
	}
	var keys []string
	for _, p := range parts {
		if strings.TrimSpace(p) == "" && p != " " {
			continue
		}
		k, err := actuation.ParseKeys(p)
		if err != nil {
			return nil, fmt.Errorf("keys: %w", err)
		}
		keys = append(keys, k...)
	}
	if len(keys) == 0 {
		return nil, errors.New(`key needs "keys", such as ["ctrl", "s"]`)
	}
	return actuation.NormalizeKeys(keys)
}

// qwenShow renders a decoded value for an error message.
func qwenShow(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	return snippet(string(b))
}
