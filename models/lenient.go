package models

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// The lenient JSON reader both JSON-writing adapters use. Models write JSON that
// encoding/json refuses: single quotes and Python literals (True, None), unquoted
// keys, trailing or missing commas, raw newlines in strings, and replies cut off by
// the token limit. The reader never panics and bounds nesting at jsonMaxDepth.
//
// It has two grammars, because the adapters meet different models:
//
//   - Lax (the json adapter, for general models): also bare words as strings,
//     comments, Python tuples and JavaScript's undefined. The end of the reply cuts
//     nothing off with an error; it marks what it cut (jsonVal.cut, jsonVal.lost), so
//     the caller can tell a complete value from a guess and say which field was lost.
//   - Strict (Qwen's tool calls, jsonDecodeStrict): a reply that ends where only
//     closing brackets are missing is closed, but one that ends inside a string, a
//     number or after a key is an error, since the missing part could change the
//     meaning. A bare word that is no literal, a comment, or anything between values
//     but a comma is an error too, and a number is read as far as number characters
//     go and must be one whole: a tool call is repaired only where its meaning is
//     certain. Its error messages are the ones Qwen users have always seen.

// jsonKind is the kind of a jsonVal.
type jsonKind uint8

const (
	jsonNull jsonKind = iota
	jsonBool
	jsonNumber
	jsonString // also a bare word
	jsonArray
	jsonObject
)

// jsonVal is one value read leniently.
type jsonVal struct {
	kind  jsonKind
	text  string     // a string's contents, a number as written, "true" or "false"
	items []*jsonVal // an array's items, or an object's values
	keys  []string   // an object's keys, parallel to items
	// cut: the reply ended inside this value: a string or number may be incomplete,
	// a container lacks its closing bracket.
	cut bool
	// lost: the reply ended inside an object after a comma, a key or a colon, so a
	// field was started and never written.
	lost bool
}

// get returns the value of key in an object (the last one, as encoding/json does),
// matching keys without regard to case.
func (v *jsonVal) get(key string) *jsonVal {
	if v == nil || v.kind != jsonObject {
		return nil
	}
	for i := len(v.keys) - 1; i >= 0; i-- {
		if strings.EqualFold(v.keys[i], key) {
			return v.items[i]
		}
	}
	return nil
}

// hasObject reports whether v is or contains an object.
func (v *jsonVal) hasObject() bool {
	if v.kind == jsonObject {
		return true
	}
	for _, it := range v.items {
		if it.hasObject() {
			return true
		}
	}
	return false
}

// toAny returns v as encoding/json decodes into any: map[string]any (the last of
// duplicate keys wins), []any, string, float64, bool or nil.
func (v *jsonVal) toAny() any {
	switch v.kind {
	case jsonBool:
		return v.text == "true"
	case jsonNumber:
		n, _ := strconv.ParseFloat(v.text, 64) // checked by the strict reader
		return n
	case jsonString:
		return v.text
	case jsonArray:
		out := make([]any, len(v.items))
		for i, it := range v.items {
			out[i] = it.toAny()
		}
		return out
	case jsonObject:
		out := make(map[string]any, len(v.keys))
		for i, k := range v.keys {
			out[k] = v.items[i].toAny()
		}
		return out
	}
	return nil
}

// jsonDecodeStrict reads one value from the start of s with the strict grammar and
// returns it as toAny does, with where it ends.
func jsonDecodeStrict(s string) (v any, end int, err error) {
	r := jsonReader{s: s, strict: true}
	val, err := r.value()
	if err != nil {
		return nil, r.i, err
	}
	return val.toAny(), r.i, nil
}

// jsonMaxDepth bounds nesting, so hostile input cannot exhaust the stack.
const jsonMaxDepth = 32

// jsonSyntaxError says where a value stopped being JSON (lax grammar).
type jsonSyntaxError struct {
	at  int
	msg string
}

func (e *jsonSyntaxError) Error() string { return fmt.Sprintf("%s at byte %d", e.msg, e.at) }

type jsonReader struct {
	s      string
	i      int
	depth  int
	strict bool // the strict grammar; see the top of this file
}

func (r *jsonReader) errorf(format string, args ...any) error {
	return &jsonSyntaxError{at: r.i, msg: fmt.Sprintf(format, args...)}
}

// strictCutString is the strict grammar's error for a string the reply cut off.
func strictCutString(s string) error {
	return fmt.Errorf("a string in the JSON is cut off: %q", snippet(s))
}

func (r *jsonReader) eof() bool { return r.i >= len(r.s) }

// skip skips white space and, in the lax grammar, // or /* */ comments.
func (r *jsonReader) skip() {
	for r.i < len(r.s) {
		switch c := r.s[r.i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			r.i++
		case r.strict:
			return
		case c == '/' && r.i+1 < len(r.s) && r.s[r.i+1] == '/':
			if j := strings.IndexByte(r.s[r.i:], '\n'); j >= 0 {
				r.i += j + 1
			} else {
				r.i = len(r.s)
			}
		case c == '/' && r.i+1 < len(r.s) && r.s[r.i+1] == '*':
			if j := strings.Index(r.s[r.i+2:], "*/"); j >= 0 {
				r.i += j + 4
			} else {
				r.i = len(r.s)
			}
		default:
			return
		}
	}
}

// value reads one value at r.i (after white space).
func (r *jsonReader) value() (*jsonVal, error) {
	r.skip()
	if r.eof() {
		if r.strict {
			return nil, fmt.Errorf("the JSON is cut off where a value should be")
		}
		return &jsonVal{kind: jsonNull, cut: true}, nil
	}
	switch c := r.s[r.i]; {
	case c == '{':
		return r.object()
	case c == '[':
		return r.array(']')
	case c == '(' && !r.strict: // a Python tuple: (512, 300)
		return r.array(')')
	case c == '"' || c == '\'':
		s, cut := r.str(c)
		if cut && r.strict {
			return nil, strictCutString(s)
		}
		return &jsonVal{kind: jsonString, text: s, cut: cut}, nil
	case c == '-' || c == '+' || c == '.' || c >= '0' && c <= '9':
		return r.number()
	case r.wordByte(c, true):
		v := r.word()
		if r.strict && v.kind == jsonString {
			return nil, fmt.Errorf("unexpected %q in the JSON", snippet(v.text))
		}
		return v, nil
	case r.strict:
		return nil, fmt.Errorf("unexpected %q in the JSON at %q", c, snippet(r.s[r.i:]))
	default:
		return nil, r.errorf("unexpected %q", c)
	}
}

// enter counts one level of nesting, refusing too many.
func (r *jsonReader) enter() error {
	if r.depth >= jsonMaxDepth {
		if r.strict {
			return fmt.Errorf("the JSON is nested too deeply")
		}
		return r.errorf("nested too deeply")
	}
	r.depth++
	return nil
}

func (r *jsonReader) object() (*jsonVal, error) {
	if err := r.enter(); err != nil {
		return nil, err
	}
	defer func() { r.depth-- }()
	r.i++ // {
	v := &jsonVal{kind: jsonObject}
	end := func(lost bool) (*jsonVal, error) {
		v.cut, v.lost = true, lost
		return v, nil
	}
	afterComma := false
	for {
		r.skip()
		if r.eof() {
			return end(afterComma)
		}
		c := r.s[r.i]
		switch {
		case c == '}':
			r.i++
			return v, nil
		case c == ',':
			r.i++
			afterComma = true
			continue
		}
		var key string
		switch {
		case c == '"' || c == '\'':
			k, cut := r.str(c)
			if cut && r.strict {
				return nil, strictCutString(k)
			}
			if cut {
				return end(true)
			}
			key = k
		case r.wordByte(c, true):
			key = r.word().text
		case r.strict:
			return nil, fmt.Errorf("expected a key in the JSON at %q", snippet(r.s[r.i:]))
		default:
			return nil, r.errorf("unexpected %q where a key should be", c)
		}
		r.skip()
		switch {
		case r.eof() && r.strict:
			return nil, fmt.Errorf("the JSON is cut off after the key %q", key)
		case r.eof():
			return end(true)
		case r.s[r.i] != ':' && r.strict:
			return nil, fmt.Errorf("expected ':' after the key %q in the JSON", key)
		case r.s[r.i] != ':':
			return nil, r.errorf("expected ':' after %q", key)
		}
		r.i++
		r.skip()
		if r.eof() && !r.strict { // the strict value() refuses it
			return end(true)
		}
		val, err := r.value()
		if err != nil {
			return nil, err
		}
		v.keys, v.items = append(v.keys, key), append(v.items, val)
		if val.cut {
			return end(val.lost)
		}
		afterComma = false
		glued := r.i
		r.skip()
		if r.eof() {
			return end(false)
		}
		c = r.s[r.i]
		// A missing comma: a key follows. The lax grammar also takes an unquoted key,
		// but not a word glued to a number ("512px").
		missing := c == '"' || c == '\'' || !r.strict && r.wordByte(c, true)
		if !r.strict && r.i == glued && val.kind == jsonNumber {
			missing = false
		}
		switch {
		case c == ',' || c == '}' || missing:
		case r.strict:
			return nil, fmt.Errorf("expected ',' or '}' after %q in the JSON, found %q", key, snippet(r.s[r.i:]))
		default:
			return nil, r.errorf("unexpected %q after the value of %q", c, key)
		}
	}
}

// array reads an array, or in the lax grammar a tuple closed by ')'.
func (r *jsonReader) array(closer byte) (*jsonVal, error) {
	if err := r.enter(); err != nil {
		return nil, err
	}
	defer func() { r.depth-- }()
	r.i++ // [ or (
	v := &jsonVal{kind: jsonArray}
	for {
		r.skip()
		if r.eof() {
			v.cut = true
			return v, nil
		}
		switch r.s[r.i] {
		case closer:
			r.i++
			return v, nil
		case ',':
			r.i++
			continue
		}
		item, err := r.value()
		if err != nil {
			return nil, err
		}
		v.items = append(v.items, item)
		if item.cut {
			v.cut = true
			return v, nil
		}
		if r.strict {
			// Only a comma, the end, or (a missing comma) a string or number.
			r.skip()
			if !r.eof() && strings.IndexByte(`,]"'-0123456789`, r.s[r.i]) < 0 {
				return nil, fmt.Errorf("expected ',' or ']' in the JSON, found %q", snippet(r.s[r.i:]))
			}
		}
	}
}

// str reads a string quoted with q, unescaping JSON (and Python) escapes. cut
// reports that the reply ended before the closing quote. An unknown escape such as
// \q keeps its backslash (the strict grammar drops it), and a \u without four hex
// digits is kept as written (the strict grammar writes U+FFFD).
func (r *jsonReader) str(q byte) (s string, cut bool) {
	r.i++
	start := r.i
	j := start
	for j < len(r.s) && r.s[j] != q && r.s[j] != '\\' {
		j++
	}
	if j < len(r.s) && r.s[j] == q {
		r.i = j + 1
		return r.s[start:j], false
	}
	var b strings.Builder
	b.WriteString(r.s[start:j])
	r.i = j
	for r.i < len(r.s) {
		c := r.s[r.i]
		if c == q {
			r.i++
			return b.String(), false
		}
		if c != '\\' {
			b.WriteByte(c)
			r.i++
			continue
		}
		if r.i+1 >= len(r.s) {
			r.i = len(r.s)
			return b.String(), true
		}
		e := r.s[r.i+1]
		r.i += 2
		switch e {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case '"', '\'', '\\', '/':
			b.WriteByte(e)
		case 'u':
			if cp, ok := r.hex4(); ok {
				if utf16.IsSurrogate(cp) && strings.HasPrefix(r.s[r.i:], `\u`) {
					save := r.i
					r.i += 2
					if lo, ok := r.hex4(); ok && utf16.DecodeRune(cp, lo) != utf8.RuneError {
						cp = utf16.DecodeRune(cp, lo)
					} else {
						r.i = save
					}
				}
				b.WriteRune(cp) // a lone surrogate becomes U+FFFD
			} else if r.strict {
				b.WriteRune(utf8.RuneError)
			} else {
				b.WriteString(`\u`)
			}
		default:
			if !r.strict {
				b.WriteByte('\\')
			}
			b.WriteByte(e)
		}
	}
	return b.String(), true
}

// hex4 reads four hex digits.
func (r *jsonReader) hex4() (rune, bool) {
	if r.i+4 > len(r.s) {
		return 0, false
	}
	n, err := strconv.ParseUint(r.s[r.i:r.i+4], 16, 32)
	if err != nil {
		return 0, false
	}
	r.i += 4
	return rune(n), true
}

// number reads a number as written; converting it is left to the field that uses it.
// A number that runs to the end of the reply is cut: 30 may have been 300.
func (r *jsonReader) number() (*jsonVal, error) {
	if r.strict {
		return r.strictNumber()
	}
	start := r.i
	if c := r.s[r.i]; c == '-' || c == '+' {
		r.i++
	}
	digits := r.digits()
	if !r.eof() && r.s[r.i] == '.' {
		r.i++
		digits += r.digits()
	}
	if digits > 0 && !r.eof() && (r.s[r.i] == 'e' || r.s[r.i] == 'E') {
		save := r.i
		r.i++
		if !r.eof() && (r.s[r.i] == '+' || r.s[r.i] == '-') {
			r.i++
		}
		if r.digits() == 0 && !r.eof() {
			r.i = save
		}
	}
	if digits == 0 && !r.eof() {
		return nil, r.errorf("malformed number")
	}
	return &jsonVal{kind: jsonNumber, text: strings.TrimPrefix(r.s[start:r.i], "+"), cut: r.eof()}, nil
}

// strictNumber reads every number character and refuses what is not one number, so
// "1.2.3" or "1-2" is an error rather than two values.
func (r *jsonReader) strictNumber() (*jsonVal, error) {
	start := r.i
	for !r.eof() && strings.IndexByte("0123456789+-.eE", r.s[r.i]) >= 0 {
		r.i++
	}
	lit := r.s[start:r.i]
	if r.eof() {
		return nil, fmt.Errorf("the JSON is cut off in the number %q", lit)
	}
	lit = strings.TrimPrefix(lit, "+")
	if n, err := strconv.ParseFloat(lit, 64); err != nil || math.IsInf(n, 0) {
		return nil, fmt.Errorf("%q is not a number", snippet(r.s[start:r.i]))
	}
	return &jsonVal{kind: jsonNumber, text: lit}, nil
}

func (r *jsonReader) digits() int {
	n := 0
	for !r.eof() && r.s[r.i] >= '0' && r.s[r.i] <= '9' {
		r.i++
		n++
	}
	return n
}

// word reads a bare word: a Python or JavaScript literal, an unquoted key, or (lax)
// an unquoted string.
func (r *jsonReader) word() *jsonVal {
	start := r.i
	for !r.eof() && r.wordByte(r.s[r.i], r.i == start) {
		r.i++
	}
	w := r.s[start:r.i]
	v := &jsonVal{kind: jsonString, text: w, cut: r.eof()}
	switch w {
	case "true", "True":
		v.kind, v.text = jsonBool, "true"
	case "false", "False":
		v.kind, v.text = jsonBool, "false"
	case "null", "None":
		v.kind = jsonNull
	case "undefined":
		if !r.strict {
			v.kind = jsonNull
		}
	}
	return v
}

// wordByte reports whether c belongs in a bare word, first as its first byte. The
// strict grammar takes identifiers only; the lax one also non-ASCII letters and, after
// the first byte, '-', '.' and '+' ("ctrl+s", "v1.2").
func (r *jsonReader) wordByte(c byte, first bool) bool {
	switch {
	case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_':
		return true
	case !first && c >= '0' && c <= '9':
		return true
	}
	return !r.strict && (c >= 0x80 || !first && (c == '-' || c == '.' || c == '+'))
}
