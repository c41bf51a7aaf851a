package actuation

import "testing"

func TestMacPanicKey(t *testing.T) {
	for _, tc := range []struct {
		key   string
		code  int64
		flags uint64
	}{
		{"", 53, cgFlagControl | cgFlagOption | cgFlagShift}, // the default: ctrl+alt+shift+esc
		{"ctrl+shift+f12", 111, cgFlagControl | cgFlagShift},
		{"cmd+alt+q", 12, cgFlagCommand | cgFlagOption},
		{"ctrl+alt+!", 18, cgFlagControl | cgFlagOption | cgFlagShift}, // shift and 1
		{"f13", 105, 0},
	} {
		p, err := ParsePanicKey(tc.key)
		if err != nil {
			t.Fatalf("ParsePanicKey(%q): %v", tc.key, err)
		}
		code, flags, err := macPanicKey(p)
		if err != nil || code != tc.code || flags != tc.flags {
			t.Errorf("macPanicKey(%s) = %d, %#x, %v; want %d, %#x", p, code, flags, err, tc.code, tc.flags)
		}
	}
	p, err := ParsePanicKey("ctrl+alt+printscreen")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := macPanicKey(p); err == nil {
		t.Error("a key macOS has no code for in the table was accepted")
	}
}
