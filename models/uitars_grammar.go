package models

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/deskhand/deskhand/actuation"
	"github.com/deskhand/deskhand/perception"
)

// The UI-TARS grammar, as the models really write it:
//
//	Thought: <free text>                  (or Reflection: … Action_Summary: …, or Action_Summary: …)
//	Action: name(key='value', …)          (several calls separated by blank lines)
//
// Values are Python string literals ('…' or "…", with \' \" \n escapes) holding a
// point in one of several syntaxes: (x,y), <|box_start|>(x,y)<|box_end|>,
// <point>x y</point>, <bbox>x1 y1 x2 y2</bbox>, [x1,y1,x2,y2], (x1,y1,x2,y2).
// The parser is a hand-written scanner rather than regular expressions so that
// quotes, escapes and unbalanced input are handled in one place and never panic.

// parsedReply is a reply split into its thought and its calls.
type parsedReply struct {
	thought string
	calls   []call
}

// call is one action call as written: name(args).
type call struct {
	name string
	args []arg
	src  string
}

// arg is one argument; key is empty for a positional one. val is unescaped.
type arg struct {
	key string
	val string
}

// splitReply finds the thought and the action calls in a reply.
func splitReply(text string) (parsedReply, error) {
	var r parsedReply
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text, think := cutThink(text)
	text = cleanLines(text)

	head, section, ok := cutAction(text)
	if !ok {
		t := strings.TrimSpace(text)
		if answer, ok := answerBlock(t); ok {
			// The Seed/"omni" format answers a question with no action at all.
			r.thought = strings.TrimSpace(think)
			r.calls = []call{{name: "finished", args: []arg{{key: "content", val: answer}}, src: t}}
			return r, nil
		}
		if !startsWithCall(t) {
			r.thought = strings.TrimSpace(think)
			if t == "" {
				return r, fmt.Errorf("the reply is empty")
			}
			return r, fmt.Errorf("no \"Action:\" in the reply")
		}
		head, section = "", t
	}
	r.thought = thoughtOf(head)
	if r.thought == "" {
		r.thought = strings.TrimSpace(think)
	}
	calls, err := parseCalls(endOfSection(section))
	r.calls = calls
	if err != nil {
		return r, err
	}
	if len(calls) == 0 {
		return r, fmt.Errorf("\"Action:\" is followed by no action")
	}
	return r, nil
}

// cutThink removes the first <think>…</think> block (some servers and fine-tunes
// emit one before the Thought) and returns its text as a fallback thought. A closing
// tag without an opening one means the server ate the opening tag. UI-TARS's own
// parsers also accept a suffixed tag, <think_never_used_…>…</think_never_used_…>,
// which its later checkpoints write.
func cutThink(text string) (rest, think string) {
	if i, n, name := thinkTag(text, "</think"); i >= 0 {
		head := text[:i]
		open := "<" + name[2:]
		if j := strings.Index(head, open); j >= 0 {
			think, head = head[j+len(open):], head[:j]
		} else {
			think, head = head, ""
		}
		text = head + text[i+n:]
	}
	for i, n, _ := thinkTag(text, "<think"); i >= 0; i, n, _ = thinkTag(text, "<think") {
		text = text[:i] + text[i+n:] // an opening tag left alone, as in "<think>Action: …"
	}
	return text, think
}

// thinkTag finds the first tag that is prefix ("<think" or "</think") followed
// by letters, digits or underscores and ">", and returns where it starts, its
// length and the tag itself; i is -1 when there is none.
func thinkTag(text, prefix string) (i, n int, tag string) {
	for from := 0; ; {
		k := strings.Index(text[from:], prefix)
		if k < 0 {
			return -1, 0, ""
		}
		k += from
		e := k + len(prefix)
		for e < len(text) && (text[e] == '_' || isWord(text[e:e+1])) {
			e++
		}
		if e < len(text) && text[e] == '>' {
			return k, e + 1 - k, text[k : e+1]
		}
		from = k + len(prefix)
	}
}

// answerBlock returns the text of an <answer>…</answer> block that is all of t
// (a missing closing tag is forgiven: the reply may have been cut).
func answerBlock(t string) (string, bool) {
	rest, ok := strings.CutPrefix(t, "<answer>")
	if !ok {
		return "", false
	}
	rest, _, _ = strings.Cut(rest, "</answer>")
	rest = strings.TrimSpace(rest)
	return rest, rest != ""
}

// cleanLines drops what models wrap around the grammar: the ``` fence the prompt's
// Output Format shows, and end-of-turn tokens a server failed to strip.
func cleanLines(text string) string {
	for _, tok := range []string{"<|im_end|>", "<|endoftext|>", "<|im_start|>assistant"} {
		text = strings.ReplaceAll(text, tok, "")
	}
	lines := strings.Split(text, "\n")
	kept := lines[:0]
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "```") && isWord(t[3:]) || t == "<computer_env>" || t == "</computer_env>" {
			continue // <computer_env> wraps the action in the Seed/"omni" format
		}
		kept = append(kept, l)
	}
	return strings.Join(kept, "\n")
}

func isWord(s string) bool {
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// marker reports whether line (with leading space removed) starts with the marker
// word followed by an ASCII or full-width colon, and returns the offset after it.
func marker(line, word string) (int, bool) {
	if len(line) < len(word) || !strings.EqualFold(line[:len(word)], word) {
		return 0, false
	}
	i := len(word)
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	switch {
	case strings.HasPrefix(line[i:], ":"):
		return i + 1, true
	case strings.HasPrefix(line[i:], "："):
		return i + len("："), true
	}
	return 0, false
}

// cutAction splits text at its "Action:" marker: the first one at the start of a
// line (so "Action:" quoted inside a Thought or inside a typed text is not taken),
// else the last one anywhere.
func cutAction(text string) (head, section string, ok bool) {
	off := 0
	for _, line := range strings.SplitAfter(text, "\n") {
		trimmed := strings.TrimLeft(line, " \t")
		if n, ok := marker(trimmed, "Action"); ok {
			start := off + (len(line) - len(trimmed)) + n
			return text[:off], text[start:], true
		}
		off += len(line)
	}
	i := max(strings.LastIndex(text, "Action:"), strings.LastIndex(text, "Action："))
	if i < 0 {
		return "", "", false
	}
	n, _ := marker(text[i:], "Action")
	return text[:i], text[i+n:], true
}

// endOfSection cuts the action section where the model went on to write another
// step (a new Thought/Action pair it made up): only the first step is real.
func endOfSection(section string) string {
	nl := strings.IndexByte(section, '\n')
	if nl < 0 {
		return section
	}
	off := nl + 1
	for _, line := range strings.SplitAfter(section[off:], "\n") {
		t := strings.TrimLeft(line, " \t")
		for _, w := range []string{"Thought", "Reflection", "Action_Summary", "Action"} {
			if _, ok := marker(t, w); ok {
				return section[:off]
			}
		}
		off += len(line)
	}
	return section
}

// thoughtOf reads the thought from the text before "Action:". With Reflection and
// Action_Summary (UI-TARS's reflective format) the summary is the thought, as in
// UI-TARS's own parsers: it says what the action is for. Free text without a marker
// is kept as the thought too.
func thoughtOf(head string) string {
	h := strings.TrimSpace(head)
	if _, ok := marker(h, "Reflection"); ok {
		if i, n := findMarker(h, "Action_Summary"); i >= 0 {
			return strings.TrimSpace(h[i+n:])
		}
	}
	if i, n := findMarker(h, "Thought"); i >= 0 {
		return strings.TrimSpace(h[i+n:])
	}
	if i, n := findMarker(h, "Action_Summary"); i >= 0 {
		return strings.TrimSpace(h[i+n:])
	}
	return h
}

// findMarker returns the offset of the first word: (or word：) in s and the length
// of the marker, or -1.
func findMarker(s, word string) (int, int) {
	for i := 0; i+len(word) <= len(s); i++ {
		if n, ok := marker(s[i:], word); ok {
			return i, n
		}
	}
	return -1, 0
}

// startsWithCall reports whether s begins with name( — a bare call without "Action:".
func startsWithCall(s string) bool {
	p := &scanner{s: s}
	if p.ident() == "" {
		return false
	}
	p.skipSpace()
	return p.peek() == '('
}

// scanner reads calls from an action section.
type scanner struct {
	s string
	i int
}

func (p *scanner) eof() bool { return p.i >= len(p.s) }

func (p *scanner) peek() byte {
	if p.eof() {
		return 0
	}
	return p.s[p.i]
}

func (p *scanner) skipSpace() {
	for !p.eof() {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func isIdentByte(c byte, first bool) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || !first && c >= '0' && c <= '9'
}

// ident reads a Python identifier, or returns "" and reads nothing.
func (p *scanner) ident() string {
	start := p.i
	for !p.eof() && isIdentByte(p.s[p.i], p.i == start) {
		p.i++
	}
	return p.s[start:p.i]
}

// parseCalls reads the calls of an action section. Text after the last call that is
// not a call ("click(…) then wait for it") is ignored: what was written as calls is
// what the model asked for.
func parseCalls(section string) ([]call, error) {
	p := &scanner{s: section}
	var calls []call
	for {
		p.skipSpace()
		if p.eof() {
			return calls, nil
		}
		start := p.i
		name := p.ident()
		p.skipSpace()
		if name == "" || p.peek() != '(' {
			if len(calls) > 0 {
				return calls, nil
			}
			return calls, fmt.Errorf("expected an action such as click(...) after \"Action:\", got %q", snippet(section[start:]))
		}
		p.i++ // (
		args, err := p.args(name)
		if err != nil {
			return calls, err
		}
		calls = append(calls, call{name: name, args: args, src: strings.TrimSpace(section[start:p.i])})
	}
}

// args reads arguments up to and including the closing parenthesis. A missing final
// parenthesis at the very end of the reply is forgiven, as UI-TARS's own parser
// does; an unterminated string is not.
func (p *scanner) args(name string) ([]arg, error) {
	var args []arg
	for {
		p.skipSpace()
		if p.eof() {
			return args, nil
		}
		if p.peek() == ')' {
			p.i++
			return args, nil
		}
		var a arg
		save := p.i
		if k := p.ident(); k != "" {
			p.skipSpace()
			if p.peek() == '=' {
				p.i++
				a.key = k
			} else {
				p.i = save
			}
		} else {
			p.i = save
		}
		p.skipSpace()
		v, err := p.value(name, a.key)
		if err != nil {
			return nil, err
		}
		a.val = v
		args = append(args, a)
		p.skipSpace()
		switch {
		case p.eof():
			return args, nil
		case p.peek() == ',':
			p.i++
		case p.peek() == ')':
			p.i++
			return args, nil
		default:
			return nil, fmt.Errorf("%s(...): unexpected %q after %s", name, snippet(p.s[p.i:]), argName(a.key))
		}
	}
}

func argName(key string) string {
	if key == "" {
		return "an argument"
	}
	return key + "="
}

// value reads one argument value: a quoted string, or a bare token such as (x,y).
func (p *scanner) value(name, key string) (string, error) {
	switch c := p.peek(); c {
	case '\'', '"':
		start := p.i
		v, ok := p.quoted(c)
		if !ok {
			return "", fmt.Errorf("%s(...): unbalanced quotes: the string given as %s is never closed: %s", name, argName(key), snippet(p.s[start:]))
		}
		return v, nil
	}
	// Bare value: up to the next ',' or ')' outside brackets.
	start, depth := p.i, 0
	for !p.eof() {
		switch p.s[p.i] {
		case '(', '[':
			depth++
		case ']':
			depth--
		case ')':
			if depth == 0 {
				return strings.TrimSpace(p.s[start:p.i]), nil
			}
			depth--
		case ',':
			if depth == 0 {
				return strings.TrimSpace(p.s[start:p.i]), nil
			}
		case '\n':
			if depth <= 0 {
				return strings.TrimSpace(p.s[start:p.i]), nil
			}
		}
		p.i++
	}
	return strings.TrimSpace(p.s[start:]), nil
}

// quoted reads a Python-style string literal opened by q, unescaping \n \t \\ \' \".
// Models often forget to escape an apostrophe (type(content='It's done')), so a
// quote only closes the string when what follows could end the argument: ')' , a
// next key=, or the end of the reply. Anything else is part of the text.
func (p *scanner) quoted(q byte) (string, bool) {
	p.i++ // opening quote
	var b strings.Builder
	for !p.eof() {
		c := p.s[p.i]
		if c == '\\' && p.i+1 < len(p.s) {
			switch n := p.s[p.i+1]; n {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case '\\', '\'', '"':
				b.WriteByte(n)
			default:
				b.WriteByte('\\')
				b.WriteByte(n)
			}
			p.i += 2
			continue
		}
		if c == q && p.closes(p.i+1) {
			p.i++
			return b.String(), true
		}
		b.WriteByte(c)
		p.i++
	}
	return "", false
}

// closes reports whether a quote followed by s[j:] ends its argument.
func (p *scanner) closes(j int) bool {
	for j < len(p.s) && (p.s[j] == ' ' || p.s[j] == '\t') {
		j++
	}
	if j >= len(p.s) || p.s[j] == ')' {
		return true
	}
	if p.s[j] != ',' {
		return false
	}
	j++
	for j < len(p.s) && (p.s[j] == ' ' || p.s[j] == '\t' || p.s[j] == '\n') {
		j++
	}
	if j < len(p.s) && p.s[j] == ')' { // trailing comma
		return true
	}
	k := j
	for k < len(p.s) && isIdentByte(p.s[k], k == j) {
		k++
	}
	if k == j {
		return false
	}
	for k < len(p.s) && (p.s[k] == ' ' || p.s[k] == '\t') {
		k++
	}
	return k < len(p.s) && p.s[k] == '='
}

// snippet shortens s for an error message.
func snippet(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	const limit = 60
	if len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// short is the call as written, shortened, for error messages.
func (c call) short() string { return snippet(c.src) }

// get returns the first argument whose key is one of keys (case-insensitive).
func (c call) get(keys ...string) (string, bool) {
	for _, a := range c.args {
		for _, k := range keys {
			if a.key != "" && strings.EqualFold(a.key, k) {
				return a.val, true
			}
		}
	}
	return "", false
}

// positional returns the n-th argument written without a key.
func (c call) positional(n int) (string, bool) {
	for _, a := range c.args {
		if a.key == "" {
			if n == 0 {
				return a.val, true
			}
			n--
		}
	}
	return "", false
}

// Argument names that carry points, in every variant the UI-TARS family writes.
var (
	startKeys = []string{"start_box", "point", "start_point", "box"}
	endKeys   = []string{"end_box", "end_point"}
)

// actionKind says how buildActions treats an action.
type actionKind int

const (
	kindPlain   actionKind = iota
	kindPress              // press()/keydown(): a key that release() may follow
	kindRelease            // release()/keyup(): no action of its own
)

// action maps one call to a contract action.
func (c call) action(thought string, f perception.Frame, conv perception.Convention) (actuation.Action, actionKind, error) {
	name := strings.ToLower(c.name)
	point := func(keys []string, pos int, what string) (*int, *int, error) {
		v, ok := c.get(keys...)
		if !ok {
			v, ok = c.positional(pos)
		}
		if !ok || strings.TrimSpace(v) == "" {
			return nil, nil, fmt.Errorf("%s: no %s coordinates", c.short(), what)
		}
		x, y, err := boxCentre(v)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %v", c.short(), err)
		}
		pt, err := f.ToScreen(x, y, conv)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", c.short(), err)
		}
		return actuation.Int(pt.X), actuation.Int(pt.Y), nil
	}
	text := func(keys ...string) string {
		if v, ok := c.get(keys...); ok {
			return v
		}
		v, _ := c.positional(0)
		return v
	}
	keys := func() ([]string, error) {
		v := text("key", "hotkey", "keys", "press")
		ks, err := parseHotkey(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", c.short(), err)
		}
		return ks, nil
	}

	a := actuation.Action{Thought: thought}
	var err error
	if button, clicks, ok := clickKind(name); ok {
		a.Type, a.Button, a.Clicks = actuation.Click, button, clicks
		a.X, a.Y, err = point(startKeys, 0, "start")
		return a, kindPlain, err
	}
	switch name {
	case "hover", "mouse_move", "move_to", "move", "mouse_over":
		a.Type = actuation.Move
		a.X, a.Y, err = point(startKeys, 0, "start")
	case "drag", "select", "left_click_drag", "left_drag":
		a.Type, a.Button = actuation.Drag, "left"
		if a.X, a.Y, err = point(startKeys, 0, "start"); err != nil {
			return a, kindPlain, err
		}
		a.X2, a.Y2, err = point(endKeys, 1, "end")
	case "hotkey", "key", "press", "keydown", "key_down", "release", "keyup", "key_up":
		a.Type = actuation.Key
		a.Keys, err = keys()
		switch name {
		case "press", "keydown", "key_down":
			return a, kindPress, err
		case "release", "keyup", "key_up":
			return a, kindRelease, err
		}
	case "type":
		// A point sometimes written with type() is dropped: UI-TARS types where the
		// focus is, and clicks first with its own click() when it wants focus moved.
		a.Type = actuation.TypeText
		a.Text = text("content", "text")
	case "scroll":
		a.Type, a.Amount = actuation.Scroll, scrollNotches
		dir, ok := c.get("direction")
		if !ok {
			return a, kindPlain, fmt.Errorf("%s: scroll needs a direction", c.short())
		}
		a.Direction = strings.ToLower(strings.TrimSpace(dir))
		switch a.Direction {
		case "up", "down", "left", "right":
		default:
			return a, kindPlain, fmt.Errorf("%s: scroll direction %q is not up, down, left or right", c.short(), dir)
		}
		if _, ok := c.get(startKeys...); ok {
			a.X, a.Y, err = point(startKeys, -1, "scroll")
		}
	case "wait":
		a.Type, a.Seconds = actuation.Wait, waitSeconds
	case "finished", "finish":
		a.Type = actuation.Done
		a.Text = strings.TrimSpace(text("content", "answer", "text"))
		if a.Text == "" { // finished() has no report: the thought says what was done
			a.Text = thought
		}
	case "call_user":
		a.Type = actuation.AskUser
		a.Text = strings.TrimSpace(text("content", "text"))
		if a.Text == "" {
			a.Text = thought
		}
	case "error_env":
		a.Type, a.Text = actuation.Fail, thought
	default:
		return a, kindPlain, fmt.Errorf("unknown action %q (UI-TARS actions are click, left_double, right_single, hover, drag, hotkey, type, scroll, wait, finished, call_user)", c.name)
	}
	return a, kindPlain, err
}

// clickKind maps the click family to a button and a click count.
func clickKind(name string) (button string, clicks int, ok bool) {
	switch name {
	case "click", "left_single", "left_click", "single_click":
		return "left", 1, true
	case "left_double", "double_click", "left_double_click":
		return "left", 2, true
	case "left_triple", "triple_click":
		return "left", 3, true
	case "right_single", "right_click":
		return "right", 1, true
	case "middle", "middle_click", "middle_single":
		return "middle", 1, true
	}
	return "", 0, false
}

// parseHotkey turns UI-TARS key strings ('ctrl c', 'ctrl+c', 'Ctrl+S', 'page down')
// into canonical key names. The prompt asks for space-separated keys, so the
// two-word names models write are joined before splitting.
func parseHotkey(s string) ([]string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("no key given")
	}
	low := strings.ToLower(s)
	low = strings.NewReplacer(
		"page down", "pagedown", "page up", "pageup", "caps lock", "capslock",
		"print screen", "printscreen", "arrow up", "up", "arrow down", "down",
		"arrow left", "left", "arrow right", "right",
	).Replace(low)
	keys, err := actuation.ParseKeys(low)
	if err != nil {
		return nil, err
	}
	return keys, nil
}

// boxCentre reads a point or a box in any syntax UI-TARS writes and returns the
// point, or the centre of the box. The numbers are taken in order, whatever wraps
// them: (x,y), <|box_start|>(x,y)<|box_end|>, <point>x y</point>,
// <bbox>x1 y1 x2 y2</bbox>, [x1, y1, x2, y2], (x1,y1,x2,y2).
func boxCentre(v string) (x, y float64, err error) {
	var nums []float64
	for i := 0; i < len(v); {
		c := v[i]
		if c >= '0' && c <= '9' || c == '.' && i+1 < len(v) && v[i+1] >= '0' && v[i+1] <= '9' ||
			c == '-' && i+1 < len(v) && (v[i+1] >= '0' && v[i+1] <= '9' || v[i+1] == '.') {
			j := i + 1
			for j < len(v) && (v[j] >= '0' && v[j] <= '9' || v[j] == '.') {
				j++
			}
			f, perr := strconv.ParseFloat(v[i:j], 64)
			if perr != nil {
				return 0, 0, fmt.Errorf("bad number %q in %q", v[i:j], v)
			}
			nums = append(nums, f)
			if len(nums) > 4 {
				break
			}
			i = j
			continue
		}
		// Skip words whole, so the "1" of an x1 copied from the prompt's template is
		// not read as a coordinate.
		if isIdentByte(c, true) {
			for i < len(v) && isIdentByte(v[i], false) {
				i++
			}
			continue
		}
		i++
	}
	switch len(nums) {
	case 2:
		return nums[0], nums[1], nil
	case 4:
		return (nums[0] + nums[2]) / 2, (nums[1] + nums[3]) / 2, nil
	case 0:
		return 0, 0, fmt.Errorf("no coordinates in %q", snippet(v))
	}
	return 0, 0, fmt.Errorf("%q holds %d numbers, not a point (x,y) or a box (x1,y1,x2,y2)", snippet(v), len(nums))
}
