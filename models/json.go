package models

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/ollama/ollama/api"

	"github.com/deskhand/deskhand/actuation"
	"github.com/deskhand/deskhand/perception"
	"github.com/deskhand/deskhand/planner"
)

// jsonPrompt is the json adapter's system prompt, embedded byte for byte so the
// opening messages, and with them Ollama's prompt cache, never change.
//
//go:embed prompts/json.txt
var jsonPrompt string

// jsonObserveText goes with every screenshot. Small models drift out of the format
// over a long conversation, and a server that ignores format leaves the prompt as the
// only guide, so each turn repeats the shape of the answer.
const jsonObserveText = `This is the screen now. Reply with one JSON object: {"thought": "…", "action": {…}}.`

// jsonMaxPixels caps the image at 1540×868 for a 16:9 screen.
//
// The general models behind this adapter each resize images themselves, to sizes no
// one grid can match: Gemma 3 stretches every image to 896×896, Llama 3.2 Vision fits
// it into up to four 560-pixel tiles, LLaVA and Granite Vision tile it at 336 or 384,
// and Mistral Small 3.x keeps the aspect ratio with the longest side at most 1540 and
// both sides multiples of 14. Coordinates from 0 to 1000 survive any such stretch, so
// the choice is about detail and cost, not about the mapping. 1540×868 is exactly the
// image Mistral Small, the strongest of these at reading a screen, makes of a 16:9
// screen, so it sees the image unchanged; a multiple of 28 also leaves Qwen2.5-VL
// models run with --adapter json resizing nothing; and it is well above Gemma's 896
// and Llama's 1120 so their own downscale starts from a sharp image, while sending a
// third fewer pixels than Ollama's 2,097,152 cap.
const jsonMaxPixels = 1540 * 868

// JSON is the adapter for general vision models that were never trained on a GUI
// action format (Gemma 3, Llama 3.2 Vision, Mistral Small 3.x, MiniCPM-V, LLaVA,
// Granite Vision …). It asks for one JSON object per reply, enforced with a JSON
// schema sent as the request's format (jsonSchema), with positions from 0 to 1000 of
// the screenshot's width and height. Parse reads what such models write when the
// server ignores the schema too: fences, prose, several objects, truncated JSON.
type JSON struct {
	prompt string
	schema json.RawMessage
}

// NewJSON returns the json adapter.
func NewJSON() *JSON {
	return &JSON{prompt: jsonPrompt, schema: json.RawMessage(jsonSchema)}
}

// Name is the adapter's --adapter name.
func (j *JSON) Name() string { return "json" }

// Convention is how the model writes coordinates: 0..1000, as the prompt and the
// schema ask.
func (j *JSON) Convention() perception.Convention { return perception.Relative1000 }

// Schema returns the JSON schema sent as the request's format, as raw bytes in their
// written property order.
func (j *JSON) Schema() json.RawMessage { return slices.Clone(j.schema) }

// Grid is a 28-pixel grid capped at jsonMaxPixels; see jsonMaxPixels for why.
func (j *JSON) Grid() perception.Grid {
	return perception.Grid{Factor: 28, MaxPixels: jsonMaxPixels}
}

// Start returns the system prompt and the task as the first user message.
// Screenshots follow as their own user messages (Observe).
func (j *JSON) Start(task string) []api.Message {
	return []api.Message{
		{Role: "system", Content: j.prompt},
		{Role: "user", Content: "Task: " + task},
	}
}

// Observe returns the user message carrying the frame's image exactly as encoded,
// with note (what happened to the last action) before the reminder of the format.
func (j *JSON) Observe(f perception.Frame, note string) api.Message {
	text := jsonObserveText
	if n := strings.TrimSpace(note); n != "" {
		text = n + "\n\n" + text
	}
	m := observe(f, "")
	m.Content = text
	return m
}

// Configure sends the schema as the format and no tools: a grammar that forces the
// JSON would keep a tool call from being written anyway. Think is left as the caller
// set it. Most of these models cannot think, and Ollama only thinks for a model that
// can; one that can is still held to the schema, because with format set Ollama lets
// it think unconstrained first and switches the grammar on for the answer.
func (j *JSON) Configure(req *api.ChatRequest) {
	req.Tools = nil
	req.Format = j.Schema()
}

// Parse turns a reply into actions in actuation space. The reply is read from
// Content, or from Thinking when Content is empty. Every JSON object in it that names
// an action becomes an action, in order; a reply with none, or with an action that
// cannot be performed as written, returns a *planner.ParseError.
func (j *JSON) Parse(reply api.Message, f perception.Frame) (planner.Decision, error) {
	raw := reply.Content
	if strings.TrimSpace(raw) == "" && strings.TrimSpace(reply.Thinking) != "" {
		raw = reply.Thinking
	}
	d := planner.Decision{Raw: raw}
	// A frame that cannot map coordinates is the caller's bug, not the model's: it
	// must not be fed back to the model as bad output.
	if f.Bounds.Empty() {
		return d, fmt.Errorf("frame has empty bounds %v", f.Bounds)
	}
	r, err := jsonReadReply(raw)
	d.Thought = r.thought
	if err == nil {
		d.Actions, err = r.actions(f)
	}
	if err != nil {
		// Keep the cause: an off-screen point is a *perception.OutsideError.
		return d, &planner.ParseError{Raw: raw, Reason: err.Error(), Err: err}
	}
	return d, nil
}

// jsonReply is what a reply says: its thought and the action objects in it.
type jsonReply struct {
	thought string
	calls   []jsonCall
}

// jsonCall is one object that names an action.
type jsonCall struct {
	name string     // the action as written
	verb jsonVerb   // what it means
	src  []*jsonVal // objects to read fields from, the first that has a field wins
	lost bool       // the reply ended inside the object, after an unfinished field
}

// jsonVerb is what an action name means.
type jsonVerb struct {
	typ        actuation.Type
	button     string   // right_click …
	clicks     int      // double_click …
	direction  string   // scroll_down …
	keys       []string // press_enter …
	horizontal bool     // hscroll: the sign of "pixels" is left or right
	status     bool     // terminate: "status" says whether it is done or failed
}

// jsonVerbs maps action names, squashed by jsonSquash, to their meaning: the contract
// names, and what models write from habit (pyautogui, Qwen's computer_use, Anthropic's
// computer tool, UI-TARS, browser agents).
var jsonVerbs = func() map[string]jsonVerb {
	m := map[string]jsonVerb{}
	add := func(v jsonVerb, names ...string) {
		for _, n := range names {
			m[n] = v
		}
	}
	add(jsonVerb{typ: actuation.Click}, "click", "leftclick", "tap", "singleclick", "leftsingle", "mouseclick", "clickleft", "clickelement")
	add(jsonVerb{typ: actuation.Click, clicks: 2}, "doubleclick", "leftdouble", "dblclick", "doubletap", "doubleleftclick")
	add(jsonVerb{typ: actuation.Click, clicks: 3}, "tripleclick", "lefttriple")
	add(jsonVerb{typ: actuation.Click, button: "right"}, "rightclick", "rightsingle", "contextclick", "secondaryclick")
	add(jsonVerb{typ: actuation.Click, button: "middle"}, "middleclick", "middlesingle")
	add(jsonVerb{typ: actuation.Move}, "move", "hover", "mousemove", "movemouse", "moveto", "movepointer", "mouseover")
	add(jsonVerb{typ: actuation.Drag}, "drag", "leftclickdrag", "draganddrop", "dragto", "dragdrop", "swipe")
	add(jsonVerb{typ: actuation.Scroll}, "scroll", "mousescroll", "wheel", "scrollwheel", "vscroll")
	add(jsonVerb{typ: actuation.Scroll, horizontal: true}, "hscroll")
	add(jsonVerb{typ: actuation.Scroll, direction: "up"}, "scrollup")
	add(jsonVerb{typ: actuation.Scroll, direction: "down"}, "scrolldown")
	add(jsonVerb{typ: actuation.Scroll, direction: "left"}, "scrollleft")
	add(jsonVerb{typ: actuation.Scroll, direction: "right"}, "scrollright")
	add(jsonVerb{typ: actuation.TypeText}, "type", "typetext", "input", "inputtext", "write", "typing", "entertext", "typewrite", "textentry")
	add(jsonVerb{typ: actuation.Key}, "key", "press", "hotkey", "keypress", "presskey", "keyboard", "shortcut", "keycombination",
		"keycombo", "keys", "presskeys", "sendkeys")
	add(jsonVerb{typ: actuation.Key, keys: []string{"enter"}}, "enter", "pressenter", "pressreturn")
	add(jsonVerb{typ: actuation.Wait}, "wait", "sleep", "pause", "delay")
	add(jsonVerb{typ: actuation.Done}, "done", "finish", "finished", "complete", "completed", "taskcomplete", "taskcompleted",
		"answer", "finalanswer", "success")
	add(jsonVerb{typ: actuation.Done, status: true}, "terminate", "stop", "end")
	add(jsonVerb{typ: actuation.Fail}, "fail", "failed", "failure", "giveup", "error", "abort", "infeasible", "errorenv")
	add(jsonVerb{typ: actuation.AskUser}, "askuser", "ask", "calluser", "askhuman", "askforhelp", "userinput", "requestuser",
		"requestinput", "needhelp", "help", "clarify", "askquestion", "question")
	return m
}()

// jsonValidActions lists the contract's action names for error messages.
const jsonValidActions = "click, move, drag, scroll, type, key, wait, done, fail, ask_user"

// jsonSquash reduces an action name to its jsonVerbs key: "Left_Click", "left-click",
// "leftClick" and "left click()" are all "leftclick".
func jsonSquash(name string) string {
	s := strings.TrimSuffix(strings.TrimSpace(name), "()")
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '_' || c == '-' || c == ' ' || c == '.':
		case c >= 'A' && c <= 'Z':
			b = append(b, c+'a'-'A')
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

// jsonNameKeys are the fields that name an action, most specific first; jsonWrappers
// are names that only say "this is a tool call" and are looked through.
var (
	jsonNameKeys = []string{"action", "action_type", "type", "name", "command", "operation"}
	jsonWrappers = map[string]bool{
		"function": true, "functioncall": true, "toolcall": true, "tooluse": true, "tool": true,
		"computer": true, "computeruse": true, "mobileuse": true,
	}
	jsonArgKeys     = []string{"arguments", "parameters", "params", "args", "input"}
	jsonThoughtKeys = []string{"thought", "thoughts", "reasoning", "thinking", "rationale", "explanation", "analysis"}
)

// jsonReadReply finds the thought and the action objects in a reply.
func jsonReadReply(text string) (jsonReply, error) {
	var r jsonReply
	if strings.TrimSpace(text) == "" {
		return r, fmt.Errorf("the reply is empty")
	}
	text, think := jsonCutThink(text)
	vals, starts, synErr := jsonScan(text)
	w := jsonWalker{}
	for _, v := range vals {
		if err := w.walk(v, 0); err != nil {
			r.thought = w.thought
			return r, err
		}
	}
	r.thought, r.calls = w.thought, w.calls
	if r.thought == "" && len(starts) > 0 {
		r.thought = jsonProse(text[:starts[0]])
	}
	if r.thought == "" {
		r.thought = strings.TrimSpace(think)
	}
	if len(r.calls) > 0 {
		return r, nil
	}
	switch {
	case w.cut:
		return r, fmt.Errorf("the reply was cut off before its action was complete: keep the thought short")
	case w.objects > 0:
		return r, fmt.Errorf(`the JSON has no "action": add one, such as "action": {"type": "click", "x": 500, "y": 300}`)
	case synErr != nil:
		return r, fmt.Errorf("the JSON is malformed: %v", synErr)
	}
	return r, fmt.Errorf(`no JSON object in the reply: answer with one, such as {"thought": "…", "action": {"type": "click", "x": 500, "y": 300}}`)
}

// jsonCutThink removes a <think>…</think> block some models and servers leave in the
// content, and returns its text as a fallback thought. JSON after the block is the
// answer; JSON inside it is a draft, used only when there is nothing after it.
func jsonCutThink(text string) (rest, think string) {
	i := strings.Index(text, "</think>")
	if i < 0 {
		return strings.ReplaceAll(text, "<think>", ""), ""
	}
	head, tail := text[:i], text[i+len("</think>"):]
	if j := strings.Index(head, "<think>"); j >= 0 {
		head = head[j+len("<think>"):]
	}
	if strings.ContainsAny(tail, "{[") {
		return tail, head
	}
	return head + tail, ""
}

// jsonProse turns the text a model wrote before its JSON into a thought: without code
// fences, a "Thought:" label, or a trailing "Action:" line introducing the JSON.
func jsonProse(s string) string {
	var kept []string
	for _, l := range strings.Split(s, "\n") {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "```") || strings.HasPrefix(t, "<") && strings.HasSuffix(t, ">") && !strings.Contains(t, " ") {
			continue // a fence, or a tag such as <tool_call>
		}
		kept = append(kept, t)
	}
	for len(kept) > 0 {
		last := kept[len(kept)-1]
		if last != "" && !(strings.HasSuffix(last, ":") && len(last) <= 24) {
			break
		}
		kept = kept[:len(kept)-1]
	}
	out := strings.TrimSpace(strings.Join(kept, "\n"))
	for _, label := range []string{"Thought:", "**Thought:**", "Thoughts:", "Reasoning:"} {
		if len(out) >= len(label) && strings.EqualFold(out[:len(label)], label) {
			out = strings.TrimSpace(out[len(label):])
		}
	}
	return out
}

// jsonWalker collects the actions of the values found in a reply.
type jsonWalker struct {
	thought string
	calls   []jsonCall
	objects int  // objects seen that name no action
	cut     bool // a value without an action was cut off by the end of the reply
}

// jsonMaxWalk bounds how deep actions are looked for; the reader bounds nesting too.
const jsonMaxWalk = 8

func (w *jsonWalker) walk(v *jsonVal, depth int) error {
	if depth > jsonMaxWalk {
		return nil
	}
	switch v.kind {
	case jsonArray:
		for _, it := range v.items {
			if err := w.walk(it, depth+1); err != nil {
				return err
			}
		}
		if v.cut && len(w.calls) == 0 {
			w.cut = true
		}
		return nil
	case jsonObject:
	default:
		return nil
	}
	if w.thought == "" {
		for _, k := range jsonThoughtKeys {
			if t := v.get(k); t != nil && t.kind == jsonString && !t.cut && strings.TrimSpace(t.text) != "" {
				w.thought = strings.TrimSpace(t.text)
				break
			}
		}
	}
	before := len(w.calls)
	var err error
	if inner := jsonInner(v); inner != nil {
		err = w.walk(inner, depth+1)
	} else {
		err = w.call(v)
	}
	if err == nil && len(w.calls) == before {
		if v.cut {
			w.cut = true
		} else {
			w.objects++
		}
	}
	return err
}

// jsonInner returns what wraps the actions inside v: {"action": {…}}, {"actions":
// […]}, {"function": {…}} or {"tool_calls": […]}; nil when v itself is the action.
func jsonInner(v *jsonVal) *jsonVal {
	for _, k := range []string{"actions", "action", "function", "tool_calls"} {
		if a := v.get(k); a != nil && (a.kind == jsonArray || a.kind == jsonObject) {
			return a
		}
	}
	return nil
}

// call records v as an action if it names one.
func (w *jsonWalker) call(v *jsonVal) error {
	src := []*jsonVal{v}
	if args := jsonArgs(v); args != nil {
		src = []*jsonVal{args, v}
	}
	lost := false
	for _, s := range src {
		lost = lost || s.lost
	}
	unknown := ""
	for _, s := range src {
		for _, k := range jsonNameKeys {
			n := s.get(k)
			if n == nil || n.kind != jsonString {
				continue
			}
			if n.cut {
				return fmt.Errorf("the reply was cut off inside the action's %q", k)
			}
			if verb, ok := jsonVerbs[jsonSquash(n.text)]; ok {
				w.calls = append(w.calls, jsonCall{name: n.text, verb: verb, src: src, lost: lost})
				return nil
			}
			if unknown == "" && !jsonWrappers[jsonSquash(n.text)] && strings.TrimSpace(n.text) != "" {
				unknown = n.text
			}
		}
	}
	if unknown != "" {
		return fmt.Errorf("unknown action %q: valid actions are %s", unknown, jsonValidActions)
	}
	// {"click": {"x": 1, "y": 2}}: the action is the only key.
	var only string
	var body *jsonVal
	for i, k := range v.keys {
		if slices.Contains(jsonThoughtKeys, strings.ToLower(k)) {
			continue
		}
		if only != "" {
			return nil
		}
		only, body = k, v.items[i]
	}
	if verb, ok := jsonVerbs[jsonSquash(only)]; ok && body.kind == jsonObject {
		w.calls = append(w.calls, jsonCall{name: only, verb: verb, src: []*jsonVal{body, v}, lost: lost || body.lost})
	}
	return nil
}

// jsonArgs returns the arguments object of a tool-call-shaped object, also when the
// arguments are a JSON string as OpenAI-style APIs send them.
func jsonArgs(v *jsonVal) *jsonVal {
	for _, k := range jsonArgKeys {
		a := v.get(k)
		if a == nil {
			continue
		}
		if a.kind == jsonObject {
			return a
		}
		if a.kind == jsonString && strings.HasPrefix(strings.TrimSpace(a.text), "{") {
			r := jsonReader{s: a.text, i: strings.Index(a.text, "{")}
			if o, err := r.value(); err == nil && o.kind == jsonObject {
				return o
			}
		}
	}
	return nil
}

// actions maps every call to a contract action through f.
func (r jsonReply) actions(f perception.Frame) ([]actuation.Action, error) {
	out := make([]actuation.Action, 0, len(r.calls))
	for i, c := range r.calls {
		a, err := c.action(r.thought, f)
		if err == nil {
			a, err = actuation.Normalize(a, f.Bounds)
		}
		if err != nil {
			if c.lost {
				err = fmt.Errorf("the reply was cut off before the action was complete: %w", err)
			}
			if len(r.calls) > 1 {
				return nil, fmt.Errorf("action %d (%s): %w", i+1, c.name, err)
			}
			return nil, fmt.Errorf("%s: %w", c.name, err)
		}
		if c.lost {
			// The object ended after an unfinished field, which may have changed the
			// action (a button, a second click): not clear enough to act on.
			return nil, fmt.Errorf("%s: the reply was cut off before the action was complete", c.name)
		}
		a.Thought = r.thought
		out = append(out, a)
	}
	return out, nil
}

// get returns the first field named by one of keys in any of the call's objects.
func (c jsonCall) get(keys ...string) (*jsonVal, string) {
	for _, s := range c.src {
		for _, k := range keys {
			if v := s.get(k); v != nil && v.kind != jsonNull {
				return v, k
			}
		}
	}
	return nil, ""
}

// The fields each part of an action may be written in.
var (
	jsonStartArrays = []string{"start", "start_point", "start_coordinate", "start_position", "from", "start_box",
		"point", "coordinate", "coordinates", "position", "pos", "location", "xy", "center", "centre", "click_point", "target", "element"}
	jsonBoxKeys    = []string{"box", "bbox", "bounding_box", "rect", "element_box"}
	jsonEndArrays  = []string{"end", "end_point", "end_coordinate", "end_position", "to", "destination", "end_box", "target_coordinate", "coordinate2"}
	jsonPathKeys   = []string{"path", "points"}
	jsonTextKeys   = []string{"text", "content", "value", "string", "input", "query", "text_to_type"}
	jsonReplyKeys  = []string{"text", "content", "answer", "result", "summary", "message", "question", "reason", "final_answer", "response", "output", "explanation"}
	jsonKeysKeys   = []string{"keys", "key", "combo", "hotkey", "shortcut", "combination", "key_combination", "text", "value"}
	jsonClickKeys  = []string{"clicks", "num_clicks", "click_count", "count"}
	jsonAmountKeys = []string{"amount", "scroll_amount", "notches", "steps", "clicks", "times"}
)

// action builds the contract action of c, mapping every position through f.
func (c jsonCall) action(thought string, f perception.Frame) (actuation.Action, error) {
	v := c.verb
	a := actuation.Action{Type: v.typ, Button: v.button, Clicks: v.clicks, Direction: v.direction}
	var pts [][2]float64 // model coordinates, for the fraction check
	setPoint := func(p [2]float64, x, y **int) error {
		pts = append(pts, p)
		if err := jsonFractions(pts); err != nil {
			return err
		}
		sp, err := f.ToScreen(p[0], p[1], perception.Relative1000)
		if err != nil {
			return err
		}
		*x, *y = actuation.Int(sp.X), actuation.Int(sp.Y)
		return nil
	}
	switch v.typ {
	case actuation.Click, actuation.Move:
		p, ok, _, err := c.start(false)
		if err != nil {
			return a, err
		}
		if !ok {
			return a, fmt.Errorf(`%s needs a position: "x" and "y" from 0 to 1000`, v.typ)
		}
		if err := setPoint(p, &a.X, &a.Y); err != nil {
			return a, err
		}
		if v.typ == actuation.Move {
			return a, nil
		}
		if err := c.button(&a); err != nil {
			return a, err
		}
		if a.Clicks == 0 {
			if n, k := c.get(jsonClickKeys...); n != nil {
				clicks, err := jsonInt(n, k)
				if err != nil {
					return a, err
				}
				a.Clicks = clicks
			} else if d, _ := c.get("double", "double_click"); d != nil && d.kind == jsonBool && d.text == "true" {
				a.Clicks = 2
			}
		}
	case actuation.Drag:
		start, ok, used, err := c.start(true)
		if err != nil {
			return a, err
		}
		if !ok {
			return a, fmt.Errorf(`drag needs a start position: "x" and "y" from 0 to 1000`)
		}
		end, ok, err := c.end(used)
		if err != nil {
			return a, err
		}
		if !ok {
			return a, fmt.Errorf(`drag needs an end position: "x2" and "y2" from 0 to 1000`)
		}
		if err := setPoint(start, &a.X, &a.Y); err != nil {
			return a, err
		}
		if err := setPoint(end, &a.X2, &a.Y2); err != nil {
			return a, err
		}
		if err := c.button(&a); err != nil {
			return a, err
		}
	case actuation.Scroll:
		p, ok, _, err := c.start(false)
		if err != nil {
			return a, err
		}
		if ok {
			if err := setPoint(p, &a.X, &a.Y); err != nil {
				return a, err
			}
		}
		if err := c.scroll(&a); err != nil {
			return a, err
		}
	case actuation.TypeText:
		t, k := c.get(jsonTextKeys...)
		if t == nil || (t.kind != jsonString && t.kind != jsonNumber) || t.text == "" {
			return a, fmt.Errorf(`type needs the "text" to type`)
		}
		if t.cut {
			return a, fmt.Errorf("the reply was cut off inside %q", k)
		}
		a.Text = t.text
		if e, _ := c.get("enter", "press_enter", "submit"); e != nil && e.kind == jsonBool && e.text == "true" && !strings.HasSuffix(a.Text, "\n") {
			a.Text += "\n"
		}
	case actuation.Key:
		keys, err := c.keys()
		if err != nil {
			return a, err
		}
		a.Keys = keys
	case actuation.Wait:
		if s, k := c.get("seconds", "duration", "time", "secs", "sec"); s != nil {
			secs, err := jsonFloat(s, k)
			if err != nil {
				return a, err
			}
			a.Seconds = secs
		} else if s, k := c.get("ms", "milliseconds"); s != nil {
			ms, err := jsonFloat(s, k)
			if err != nil {
				return a, err
			}
			a.Seconds = ms / 1000
		}
	case actuation.Done, actuation.Fail, actuation.AskUser:
		if v.status {
			if s, _ := c.get("status", "result"); s != nil && s.kind == jsonString {
				switch strings.ToLower(strings.TrimSpace(s.text)) {
				case "failure", "fail", "failed", "error", "infeasible":
					a.Type = actuation.Fail
				}
			}
		}
		if t, k := c.get(jsonReplyKeys...); t != nil && t.kind == jsonString && strings.TrimSpace(t.text) != "" {
			if t.cut {
				return a, fmt.Errorf("the reply was cut off inside %q", k)
			}
			a.Text = strings.TrimSpace(t.text)
		} else {
			a.Text = thought
		}
	}
	return a, nil
}

// start finds the action's (first) position: "x" and "y", or a point, box or path
// written as an array, object or string. forDrag makes a path or a pair of points
// count as a drag's start.
func (c jsonCall) start(forDrag bool) (p [2]float64, ok bool, used string, err error) {
	for _, xy := range [][2]string{{"x", "y"}, {"x1", "y1"}, {"start_x", "start_y"}, {"from_x", "from_y"}} {
		p, ok, err = c.pair(xy)
		if ok || err != nil {
			return p, ok, xy[0], err
		}
	}
	for _, k := range jsonStartArrays {
		for _, s := range c.src {
			v := s.get(k)
			if v == nil || v.kind == jsonNull {
				continue
			}
			pts, err := jsonPoints(v, k)
			if err != nil {
				return p, false, k, err
			}
			switch {
			case len(pts) == 0: // a description such as "target": "the OK button"
				continue
			case len(pts) == 1:
				return pts[0], true, k, nil
			case !forDrag: // [[x1, y1], [x2, y2]] is a box: its centre
				return [2]float64{(pts[0][0] + pts[1][0]) / 2, (pts[0][1] + pts[1][1]) / 2}, true, k, nil
			default: // [[x1, y1], [x2, y2]]: the first is the start
				return pts[0], true, k + "[0]", nil
			}
		}
	}
	for _, k := range jsonBoxKeys {
		if v, _ := c.get(k); v != nil {
			b, err := jsonBox(v, k)
			if err != nil {
				return p, false, k, err
			}
			return b, true, k, nil
		}
	}
	if forDrag {
		if v, k := c.get(jsonPathKeys...); v != nil {
			pts, err := jsonPoints(v, k)
			if err != nil || len(pts) == 0 {
				return p, false, k, err
			}
			return pts[0], true, k + "[0]", nil
		}
	}
	return p, false, "", nil
}

// end finds a drag's end position; used names where the start was found, so that
// Anthropic's start_coordinate + coordinate and a pair of points both work.
func (c jsonCall) end(used string) (p [2]float64, ok bool, err error) {
	for _, xy := range [][2]string{{"x2", "y2"}, {"end_x", "end_y"}, {"to_x", "to_y"}} {
		if p, ok, err = c.pair(xy); ok || err != nil {
			return p, ok, err
		}
	}
	keys := jsonEndArrays
	if base, isPair := strings.CutSuffix(used, "[0]"); isPair {
		keys = append([]string{base}, keys...)
	} else if used != "coordinate" && used != "point" {
		keys = append(slices.Clone(keys), "coordinate", "point")
	}
	for _, k := range keys {
		v, _ := c.get(k)
		if v == nil {
			continue
		}
		pts, err := jsonPoints(v, k)
		if err != nil {
			return p, false, err
		}
		if len(pts) > 0 {
			return pts[len(pts)-1], true, nil
		}
	}
	return p, false, nil
}

// pair reads a position given as two fields, such as "x" and "y".
func (c jsonCall) pair(xy [2]string) (p [2]float64, ok bool, err error) {
	x, _ := c.get(xy[0])
	y, _ := c.get(xy[1])
	if x == nil && y == nil {
		return p, false, nil
	}
	if x == nil || y == nil {
		return p, false, fmt.Errorf("the position needs both %q and %q", xy[0], xy[1])
	}
	if p[0], err = jsonFloat(x, xy[0]); err != nil {
		return p, false, err
	}
	if p[1], err = jsonFloat(y, xy[1]); err != nil {
		return p, false, err
	}
	return p, true, nil
}

// button reads the mouse button, if the action name did not say.
func (c jsonCall) button(a *actuation.Action) error {
	if a.Button != "" {
		return nil
	}
	b, k := c.get("button", "mouse_button")
	if b == nil {
		return nil
	}
	if b.kind != jsonString || b.cut {
		return fmt.Errorf("%q must be left, right or middle", k)
	}
	s := strings.ToLower(strings.TrimSpace(b.text))
	switch s {
	case "primary":
		s = "left"
	case "secondary", "context":
		s = "right"
	case "wheel":
		s = "middle"
	}
	a.Button = s
	return nil
}

// scroll reads a scroll's direction and amount. Qwen's computer_use writes "pixels"
// instead, positive up (or right, for hscroll); its size is no notch count, so the
// amount stays the default.
func (c jsonCall) scroll(a *actuation.Action) error {
	if a.Direction == "" {
		if d, k := c.get("direction", "dir", "scroll_direction"); d != nil {
			if d.kind != jsonString || d.cut {
				return fmt.Errorf("%q must be up, down, left or right", k)
			}
			dir := strings.ToLower(strings.TrimSpace(d.text))
			a.Direction = strings.TrimSuffix(strings.TrimSuffix(dir, "wards"), "ward") // downwards, upward
		}
	}
	if a.Direction == "" {
		if px, k := c.get("pixels", "scroll_pixels"); px != nil {
			n, err := jsonFloat(px, k)
			if err != nil {
				return err
			}
			switch {
			case n > 0 && c.verb.horizontal:
				a.Direction = "right"
			case n < 0 && c.verb.horizontal:
				a.Direction = "left"
			case n > 0:
				a.Direction = "up"
			case n < 0:
				a.Direction = "down"
			}
		}
	}
	if a.Direction == "" {
		return fmt.Errorf(`scroll needs a "direction": up, down, left or right`)
	}
	if n, k := c.get(jsonAmountKeys...); n != nil {
		amount, err := jsonInt(n, k)
		if err != nil {
			return err
		}
		a.Amount = max(amount, -amount)
	}
	return nil
}

// keys reads a key or combination: a list (["ctrl", "s"], ["Control+S"]) or a string
// ("ctrl+s", "Ctrl S", "Return", "ctrl, s"), normalised to canonical names.
func (c jsonCall) keys() ([]string, error) {
	v, k := c.get(jsonKeysKeys...)
	if v == nil {
		if c.verb.keys != nil {
			return c.verb.keys, nil
		}
		return nil, fmt.Errorf(`key needs "keys", such as ["ctrl", "s"]`)
	}
	if v.cut {
		return nil, fmt.Errorf("the reply was cut off inside %q", k)
	}
	var parts []string
	switch v.kind {
	case jsonString:
		keys, err := actuation.ParseKeys(v.text)
		if err == nil || !strings.Contains(v.text, ",") {
			return keys, err
		}
		parts = strings.Split(v.text, ",") // "ctrl, s"
	case jsonArray:
		for _, it := range v.items {
			if it.kind != jsonString || it.cut {
				return nil, fmt.Errorf("%q must list key names as strings", k)
			}
			parts = append(parts, it.text)
		}
	default:
		return nil, fmt.Errorf("%q must be a key name or a list of key names", k)
	}
	// Each element is one key ("S" in ["ctrl", "S"] is the s key, not shift+s) unless
	// it is itself a combination ("ctrl+s").
	var keys []string
	for _, p := range parts {
		if _, err := actuation.NormalizeKey(p); err == nil || strings.TrimSpace(p) == "" {
			keys = append(keys, p)
			continue
		}
		sub, err := actuation.ParseKeys(p)
		if err != nil {
			return nil, err
		}
		keys = append(keys, sub...)
	}
	return actuation.NormalizeKeys(keys)
}

// jsonFractions rejects positions that are plainly fractions of 1 (LLaVA's boxes),
// not 0..1000: read as 0..1000 they would all land in the top-left corner.
func jsonFractions(pts [][2]float64) error {
	frac := false
	for _, p := range pts {
		for _, n := range p {
			if n < 0 || n > 1 {
				return nil
			}
			frac = frac || n != math.Trunc(n)
		}
	}
	if frac {
		p := pts[len(pts)-1]
		return fmt.Errorf("the position (%g, %g) looks like fractions of 1: write positions from 0 to 1000", p[0], p[1])
	}
	return nil
}

// jsonFloat reads a number written as a number or as a string ("512").
func jsonFloat(v *jsonVal, key string) (float64, error) {
	if v.cut {
		return 0, fmt.Errorf("the reply was cut off inside %q", key)
	}
	if v.kind != jsonNumber && v.kind != jsonString {
		return 0, fmt.Errorf("%q is not a number", key)
	}
	n, err := strconv.ParseFloat(strings.TrimSpace(v.text), 64)
	if err != nil || math.IsInf(n, 0) || math.IsNaN(n) {
		return 0, fmt.Errorf("%q is not a number: %q", key, v.text)
	}
	return n, nil
}

// jsonInt reads a whole number; 2.0 is 2, but 2.5 is refused rather than guessed.
func jsonInt(v *jsonVal, key string) (int, error) {
	n, err := jsonFloat(v, key)
	if err != nil {
		return 0, err
	}
	if n != math.Trunc(n) || math.Abs(n) > 1e6 {
		return 0, fmt.Errorf("%q must be a whole number, not %g", key, n)
	}
	return int(n), nil
}

// jsonPoints reads the points in v: [x, y] is one; [[x1, y1], [x2, y2]] two; a box
// [x1, y1, x2, y2] or {"x1": …} its centre; {"x": …, "y": …} one; a string holds
// its numbers ("512, 300", "(512,300)"). A string without two or four numbers is a
// description ("Tab 2") and holds none.
func jsonPoints(v *jsonVal, key string) ([][2]float64, error) {
	if v.cut {
		return nil, fmt.Errorf("the reply was cut off inside %q", key)
	}
	var nums []float64
	switch v.kind {
	case jsonObject:
		c := jsonCall{src: []*jsonVal{v}}
		if p, ok, err := c.pair([2]string{"x", "y"}); ok || err != nil {
			return [][2]float64{p}, err
		}
		if b, err := jsonBox(v, key); err == nil {
			return [][2]float64{b}, nil
		}
		return nil, fmt.Errorf("%q must be [x, y]", key)
	case jsonString:
		var err error
		if nums, err = jsonNumbersIn(v.text); err != nil || len(nums) != 2 && len(nums) != 4 {
			return nil, nil // a description such as "the OK button" or "Tab 2"
		}
	case jsonArray:
		if len(v.items) > 0 && v.items[0].kind == jsonArray {
			var out [][2]float64
			for _, it := range v.items {
				pts, err := jsonPoints(it, key)
				if err != nil {
					return nil, err
				}
				out = append(out, pts...)
			}
			return out, nil
		}
		for _, it := range v.items {
			n, err := jsonFloat(it, key)
			if err != nil {
				return nil, err
			}
			nums = append(nums, n)
		}
	default:
		return nil, fmt.Errorf("%q must be [x, y]", key)
	}
	switch len(nums) {
	case 2:
		return [][2]float64{{nums[0], nums[1]}}, nil
	case 4:
		return [][2]float64{{(nums[0] + nums[2]) / 2, (nums[1] + nums[3]) / 2}}, nil
	}
	return nil, fmt.Errorf("%q has %d numbers: want [x, y]", key, len(nums))
}

// jsonBox reads a box [x1, y1, x2, y2], [[x1, y1], [x2, y2]] or {"x1": …} and
// returns its centre.
func jsonBox(v *jsonVal, key string) ([2]float64, error) {
	if v.kind == jsonObject {
		c := jsonCall{src: []*jsonVal{v}}
		a, ok1, err1 := c.pair([2]string{"x1", "y1"})
		b, ok2, err2 := c.pair([2]string{"x2", "y2"})
		if ok1 && ok2 && err1 == nil && err2 == nil {
			return [2]float64{(a[0] + b[0]) / 2, (a[1] + b[1]) / 2}, nil
		}
		return [2]float64{}, fmt.Errorf("%q must be [x1, y1, x2, y2]", key)
	}
	pts, err := jsonPoints(v, key)
	if err != nil {
		return [2]float64{}, err
	}
	switch len(pts) {
	case 1:
		return pts[0], nil
	case 2:
		return [2]float64{(pts[0][0] + pts[1][0]) / 2, (pts[0][1] + pts[1][1]) / 2}, nil
	}
	return [2]float64{}, fmt.Errorf("%q must be [x1, y1, x2, y2]", key)
}

// jsonNumbersIn reads the numbers in a string such as "(512, 300)" or "512 300".
func jsonNumbersIn(s string) ([]float64, error) {
	var out []float64
	for i := 0; i < len(s); {
		c := s[i]
		if !(c >= '0' && c <= '9' || c == '-' || c == '.') {
			i++
			continue
		}
		j := i + 1
		for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.') {
			j++
		}
		if s[i:j] == "-" || s[i:j] == "." {
			i = j
			continue
		}
		n, err := strconv.ParseFloat(s[i:j], 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", s[i:j])
		}
		out = append(out, n)
		i = j
	}
	return out, nil
}

// jsonScan finds the JSON values in text that hold an object: a whole reply, JSON in
// ``` fences, or JSON among prose, in order. A '{' or '[' that starts no readable
// value is skipped; syntax is the first error of a '{' that looked like JSON (a
// quoted key), to explain a reply that has no readable object.
func jsonScan(text string) (vals []*jsonVal, starts []int, syntax error) {
	for i := 0; i < len(text); {
		k := strings.IndexAny(text[i:], "{[")
		if k < 0 {
			break
		}
		at := i + k
		r := jsonReader{s: text, i: at}
		v, err := r.value()
		if err != nil {
			if syntax == nil && text[at] == '{' {
				if t := strings.TrimLeft(text[at+1:], " \t\r\n"); t != "" && (t[0] == '"' || t[0] == '\'') {
					syntax = err
				}
			}
			i = at + 1
			continue
		}
		if v.hasObject() {
			vals, starts = append(vals, v), append(starts, at)
		}
		i = max(r.i, at+1)
	}
	return vals, starts, syntax
}
