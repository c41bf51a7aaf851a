package models

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

// jsonShow renders a value read by the lax grammar compactly, with "~" after a value
// the end of the text cut and "!" after an object that lost a started field.
func jsonShow(v *jsonVal) string {
	var b strings.Builder
	switch v.kind {
	case jsonNull:
		b.WriteString("null")
	case jsonBool, jsonNumber:
		b.WriteString(v.text)
	case jsonString:
		b.WriteString(strconv.Quote(v.text))
	case jsonArray, jsonObject:
		open, close := "[", "]"
		if v.kind == jsonObject {
			open, close = "{", "}"
		}
		b.WriteString(open)
		for i, it := range v.items {
			if i > 0 {
				b.WriteByte(',')
			}
			if v.kind == jsonObject {
				b.WriteString(strconv.Quote(v.keys[i]) + ":")
			}
			b.WriteString(jsonShow(it))
		}
		b.WriteString(close)
	}
	if v.cut {
		b.WriteByte('~')
	}
	if v.lost {
		b.WriteByte('!')
	}
	return b.String()
}

// TestLenientLax checks each leniency of the lax grammar (the json adapter's) and
// how it marks what the end of the text cut off.
func TestLenientLax(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"json", `{"a": 1, "b": [true, null, "x"]}`, `{"a":1,"b":[true,null,"x"]}`},
		{"single quotes", `{'a': 'it"s'}`, `{"a":"it\"s"}`},
		{"literals", `{a: True, b: None, c: False, d: undefined}`, `{"a":true,"b":null,"c":false,"d":null}`},
		{"bare words", `{action: left_click, keys: ctrl+s, v: v1.2, ключ: значение}`, `{"action":"left_click","keys":"ctrl+s","v":"v1.2","ключ":"значение"}`},
		{"trailing commas", `{"a": [1, 2,], }`, `{"a":[1,2]}`},
		{"missing commas", `{"a": 1 "b": 2 c: 3}`, `{"a":1,"b":2,"c":3}`},
		{"missing commas in an array", `[1 2 "x" {}]`, `[1,2,"x",{}]`},
		{"comments", "{\"a\": 1, // note\n \"b\": /* 2 */ 3}", `{"a":1,"b":3}`},
		{"tuple", `{"p": (512, 300)}`, `{"p":[512,300]}`},
		{"escapes", `{"a": "line\nbreak \u00e9 \ud83d\ude00 \' \/ \q \uZZ"}`, `{"a":"line\nbreak é 😀 ' / \\q \\uZZ"}`},
		{"lone surrogate", `["\ud800x"]`, "[\"\uFFFDx\"]"},
		{"raw newline", "{\"a\": \"raw\nnewline\"}", `{"a":"raw\nnewline"}`},
		{"numbers as written", `[-1.5e2, +3, .5, 5.]`, `[-1.5e2,3,.5,5.]`},
		{"duplicate keys kept", `{"a": 1, "A": 2}`, `{"a":1,"A":2}`},
		{"trailing text", `{"a": 1}} trailing`, `{"a":1}`},
		{"cut string", `{"a": "x`, `{"a":"x"~}~`},
		{"cut escape", `{"a": "x\`, `{"a":"x"~}~`},
		{"cut number", `{"a": 12`, `{"a":12~}~`},
		{"cut word", `{"a": tru`, `{"a":"tru"~}~`},
		{"cut after a key", `{"a"`, `{}~!`},
		{"cut key", `{"a`, `{}~!`},
		{"cut after a colon", `{"a":`, `{}~!`},
		{"cut after a comma", `{"a": 1,`, `{"a":1}~!`},
		{"cut after a value", `{"a": 1 `, `{"a":1}~`},
		{"only brackets missing", `{"a": {"b": [1, 2]`, `{"a":{"b":[1,2]}~}~`},
		{"lost inside", `{"a": {"b": 1,`, `{"a":{"b":1}~!}~!`},
		{"cut array", `[1, 2`, `[1,2~]~`},
		{"nothing", "  ", `null~`},
	}
	for _, c := range cases {
		r := jsonReader{s: c.in}
		v, err := r.value()
		if err != nil {
			t.Errorf("%s: %q: %v", c.name, c.in, err)
			continue
		}
		if got := jsonShow(v); got != c.want {
			t.Errorf("%s: %q = %s, want %s", c.name, c.in, got, c.want)
		}
	}
}

// TestLenientLaxErrors checks every error of the lax grammar, word for word: the
// json adapter shows them as "the JSON is malformed: …".
func TestLenientLaxErrors(t *testing.T) {
	cases := []struct{ in, want string }{
		{`{"a": @}`, `unexpected '@' at byte 6`},
		{`{1: 2}`, `unexpected '1' where a key should be at byte 1`},
		{`{"a" 1}`, `expected ':' after "a" at byte 5`},
		{`{"a": 1 ; }`, `unexpected ';' after the value of "a" at byte 8`},
		{`{"x": 5px}`, `unexpected 'p' after the value of "x" at byte 7`},
		{`{"a": 5"b": 1}`, `unexpected '"' after the value of "a" at byte 7`},
		{`[1}`, `unexpected '}' at byte 2`},
		{`(1]`, `unexpected ']' at byte 2`},
		{`[-x]`, `malformed number at byte 2`},
		{strings.Repeat("[", 100), `nested too deeply at byte 32`},
		{strings.Repeat(`{"a":`, 100), `nested too deeply at byte 160`},
	}
	for _, c := range cases {
		r := jsonReader{s: c.in}
		v, err := r.value()
		if err == nil || err.Error() != c.want {
			t.Errorf("%q: got %v, %v; want the error %q", c.in, v, err, c.want)
		}
	}
}

// TestJSONDecodeStrict checks what the strict grammar (Qwen's tool calls) repairs and
// what it refuses.
func TestJSONDecodeStrict(t *testing.T) {
	ok := []struct{ in, want string }{
		{`{"a": 1}`, `{"a":1}`},
		{`{'a': 'b'}`, `{"a":"b"}`},
		{`{a: True, b: None, c: False}`, `{"a":true,"b":null,"c":false}`},
		{`{"a": [1, 2,], }`, `{"a":[1,2]}`},
		{`{"a": 1 "b": 2}`, `{"a":1,"b":2}`},
		{`{"a": {"b": [1, 2]`, `{"a":{"b":[1,2]}}`},
		{`{"a": "x"`, `{"a":"x"}`},
		{`{"a": "x",`, `{"a":"x"}`},
		{`{"a": "line\nbreak \u00e9 \ud83d\ude00 \' \q"}`, `{"a":"line\nbreak é 😀 ' q"}`},
		{"{\"a\": \"raw\nnewline\"}", `{"a":"raw\nnewline"}`},
		{`{"a": -1.5e2}`, `{"a":-150}`},
		{`{"a": +3}`, `{"a":3}`},
		{`[1 2]`, `[1,2]`},
		{`{"a": 1}} trailing`, `{"a":1}`},
		// Where the strict grammar differs from the lax one.
		{`{"a": "\uZZ \ud800"}`, "{\"a\":\"\uFFFDZZ \uFFFD\"}"},
		{`{"a": 5"b": 1}`, `{"a":5,"b":1}`},
		{`{"a": 1, "a": 2}`, `{"a":2}`},
		{`{"a": true`, `{"a":true}`},
		{`[]`, `[]`},
	}
	for _, c := range ok {
		v, _, err := jsonDecodeStrict(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		b, _ := json.Marshal(v)
		if string(b) != c.want {
			t.Errorf("%q = %s, want %s", c.in, b, c.want)
		}
	}
	bad := []struct{ in, want string }{
		{`{"a": "x`, "cut off"},
		{`{"a": 12`, "cut off in the number"},
		{`{"a"`, "cut off after the key"},
		{`{"a":`, "cut off where a value"},
		{`{"a" 1}`, "expected ':'"},
		{`{"a": 1 ; }`, "expected ',' or '}'"},
		{`{"a": 1e999}`, "not a number"},
		{`{"a": 1.2.3}`, "not a number"},
		{`{"a": nope}`, `unexpected "nope"`},
		{`{1: 2}`, "expected a key"},
		{`[1 ; 2]`, "expected ',' or ']'"},
		{strings.Repeat("[", 100), "nested too deeply"},
		{strings.Repeat(`{"a":`, 100), "nested too deeply"},
	}
	for _, c := range bad {
		_, _, err := jsonDecodeStrict(c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want an error containing %q", c.in, err, c.want)
		}
	}
}

// TestJSONDecodeStrictErrors checks every error of the strict grammar word for word
// (Qwen users see them after "the tool call is not valid JSON: "), among them what
// the lax grammar would have taken.
func TestJSONDecodeStrictErrors(t *testing.T) {
	cases := []struct{ in, want string }{
		{``, `the JSON is cut off where a value should be`},
		{`{"a": `, `the JSON is cut off where a value should be`},
		{`{"a": "x`, `a string in the JSON is cut off: "x"`},
		{`{"a": "x\`, `a string in the JSON is cut off: "x"`},
		{`{"ac`, `a string in the JSON is cut off: "ac"`},
		{`{"a": 12`, `the JSON is cut off in the number "12"`},
		{`{"a"`, `the JSON is cut off after the key "a"`},
		{`{"a" 1}`, `expected ':' after the key "a" in the JSON`},
		{`{"a": 1 ; }`, `expected ',' or '}' after "a" in the JSON, found "; }"`},
		{`[1 ; 2]`, `expected ',' or ']' in the JSON, found "; 2]"`},
		{`{"a": 1.2.3}`, `"1.2.3" is not a number`},
		{`{"a": 1e999}`, `"1e999" is not a number`},
		{`{"a": nope}`, `unexpected "nope" in the JSON`},
		{`{"a": @}`, `unexpected '@' in the JSON at "@}"`},
		{`{1: 2}`, `expected a key in the JSON at "1: 2}"`},
		{`[1}`, `expected ',' or ']' in the JSON, found "}"`},
		{strings.Repeat("[", 100), `the JSON is nested too deeply`},
		// The lax grammar reads these.
		{`{"a": undefined}`, `unexpected "undefined" in the JSON`},
		{"{\"a\": 1, // note\n\"b\": 2}", `expected a key in the JSON at "// note"`},
		{`{"p": (1, 2)}`, `unexpected '(' in the JSON at "(1, 2)}"`},
		{`{"a": 1 b: 2}`, `expected ',' or '}' after "a" in the JSON, found "b: 2}"`},
		{`{a-b: 1}`, `expected ':' after the key "a" in the JSON`},
		{`[1-2]`, `"1-2" is not a number`},
		{`{"x": 5px}`, `expected ',' or '}' after "x" in the JSON, found "px}"`},
	}
	for _, c := range cases {
		v, _, err := jsonDecodeStrict(c.in)
		if err == nil || err.Error() != c.want {
			t.Errorf("%q: got %v, %v; want the error %q", c.in, v, err, c.want)
		}
	}
}

// TestLenientEnd checks where each grammar stops reading: after the first complete
// value, or at the end of a value the text cut off.
func TestLenientEnd(t *testing.T) {
	cases := []struct {
		in  string
		end int
	}{
		{`{"a": 1}} trailing`, 8},
		{`[1, 2] [3]`, 6},
		{`{"a": [1, 2]`, 12},
		{`true x`, 4},
	}
	for _, c := range cases {
		r := jsonReader{s: c.in}
		if _, err := r.value(); err != nil || r.i != c.end {
			t.Errorf("lax %q: ends at %d (%v), want %d", c.in, r.i, err, c.end)
		}
		if _, end, err := jsonDecodeStrict(c.in); err != nil || end != c.end {
			t.Errorf("strict %q: ends at %d (%v), want %d", c.in, end, err, c.end)
		}
	}
}

// TestLenientGet checks that a field is found without regard to case, and that the
// last of duplicate keys wins, as in encoding/json.
func TestLenientGet(t *testing.T) {
	r := jsonReader{s: `{"Action": "click", "x": 1, "X": 2}`}
	v, err := r.value()
	if err != nil {
		t.Fatal(err)
	}
	if a := v.get("action"); a == nil || a.text != "click" {
		t.Errorf(`get("action") = %v`, a)
	}
	if x := v.get("x"); x == nil || x.text != "2" {
		t.Errorf(`get("x") = %v, want the last one`, x)
	}
	if v.get("y") != nil || v.get("x").get("x") != nil {
		t.Error("get found a field that is not there")
	}
}
