package actuation

import (
	"slices"
	"testing"
)

func TestNormalizeKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Return", "enter"}, {"Escape", "esc"}, {"control", "ctrl"}, {"cmd", "super"},
		{"ArrowUp", "up"}, {"page_down", "pagedown"}, {"Page Down", "pagedown"}, {"PgUp", "pageup"},
		{"F5", "f5"}, {"f24", "f24"}, {"a", "a"}, {"A", "a"}, {" ", "space"}, {"Space", "space"},
		{"+", "+"}, {"-", "-"}, {"é", "é"}, {"É", "É"}, {"Control_L", "ctrl"}, {"Super_L", "super"},
		{"BackSpace", "backspace"}, {"KP_Enter", "enter"}, {"Prior", "pageup"}, {"Next", "pagedown"},
		{"Caps_Lock", "capslock"}, {"Print", "printscreen"}, {"KeyQ", "q"}, {"Digit7", "7"},
		{"quotedbl", `"`}, {"question", "?"}, {"Win", "super"}, {"Option", "alt"}, {"Del", "delete"},
	}
	for _, tt := range tests {
		got, err := NormalizeKey(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("NormalizeKey(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"", "  ", "\t", "\x01", "f0", "f25", "f05", "hyperdrive", "ctrl+s"} {
		if got, err := NormalizeKey(in); err == nil {
			t.Errorf("NormalizeKey(%q) = %q, want an error", in, got)
		}
	}
}

func TestParseKeys(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"Return", []string{"enter"}},
		{"Ctrl+S", []string{"ctrl", "s"}},
		{"ctrl s", []string{"ctrl", "s"}},
		{"ctrl++", []string{"ctrl", "+"}},
		{"ctrl + +", []string{"ctrl", "+"}},
		{"ctrl+-", []string{"ctrl", "-"}},
		{"ctrl--", []string{"ctrl", "-"}},
		{"cmd-shift-z", []string{"shift", "super", "z"}},
		{"Shift-Tab", []string{"shift", "tab"}},
		{"page-down", []string{"pagedown"}},
		{"ctrl-page-down", []string{"ctrl", "pagedown"}},
		{"Page Down", []string{"pagedown"}},
		{"ctrl page down", []string{"ctrl", "pagedown"}},
		{"Ctrl+Shift+Page Up", []string{"ctrl", "shift", "pageup"}},
		{"ctrl c v", []string{"ctrl", "c", "v"}},
		{"alt+F4", []string{"alt", "f4"}},
		{"F5", []string{"f5"}},
		{"a", []string{"a"}},
		{"A", []string{"shift", "a"}},
		{"shift+A", []string{"shift", "a"}},
		{"Ctrl+A", []string{"ctrl", "a"}},
		{"ctrl+shift+T", []string{"ctrl", "shift", "t"}},
		{"super+ctrl+alt+shift+x", []string{"ctrl", "alt", "shift", "super", "x"}},
		{"+", []string{"+"}},
		{"-", []string{"-"}},
		{" ", []string{"space"}},
		{"ctrl+space", []string{"ctrl", "space"}},
		{"Control_L+Return", []string{"ctrl", "enter"}},
		{"ctrl+shift", []string{"ctrl", "shift"}},
		{"ctrl+ctrl+s", []string{"ctrl", "s"}},
	}
	for _, tt := range tests {
		got, err := ParseKeys(tt.in)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("ParseKeys(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"", "ctrl+nosuchkey", "a-b", "ctrl+\x01"} {
		if got, err := ParseKeys(in); err == nil {
			t.Errorf("ParseKeys(%q) = %q, want an error", in, got)
		}
	}
}

func TestNormalizeKeys(t *testing.T) {
	tests := []struct {
		in, want []string
	}{
		{[]string{"s", "ctrl"}, []string{"ctrl", "s"}},
		{[]string{"Z", "Shift", "cmd"}, []string{"shift", "super", "z"}},
		{[]string{"A"}, []string{"shift", "a"}},
		{[]string{"alt", "A"}, []string{"alt", "a"}},
		{[]string{"ctrl", " "}, []string{"ctrl", "space"}},
		{[]string{"ctrl", "", "s"}, []string{"ctrl", "s"}},
		{[]string{"a", "b"}, []string{"a", "b"}},
	}
	for _, tt := range tests {
		got, err := NormalizeKeys(tt.in)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("NormalizeKeys(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if got, err := NormalizeKeys([]string{"", "  "}); err == nil {
		t.Errorf("NormalizeKeys of blanks = %q, want an error", got)
	}
}
