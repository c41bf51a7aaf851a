package actuation

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestParsePanicKey(t *testing.T) {
	tests := []struct {
		in, want string // want "" means an error
	}{
		{"", DefaultPanicKey},
		{"  ", DefaultPanicKey},
		{"ctrl+alt+shift+escape", "ctrl+alt+shift+esc"},
		{"Shift+Control+Alt+Esc", "ctrl+alt+shift+esc"},
		{"ctrl-shift-f12", "ctrl+shift+f12"},
		{"ctrl+alt+f12", ""}, // a VT switch
		{"ctrl+alt+f1", ""},
		{"ctrl+alt+shift+f1", "ctrl+alt+shift+f1"},
		{"super+pause", ""}, // unknown key
		{"F9", "f9"},        // a function key may stand alone
		{"esc", ""},         // no modifier
		{"q", ""},           // no modifier
		{"ctrl+alt", ""},    // no key
		{"ctrl+a+b", ""},    // two keys
		{"ctrl+é", ""},      // cannot be pressed
		{"ctrl+alt+!", "ctrl+alt+!"},
	}
	for _, tt := range tests {
		p, err := ParsePanicKey(tt.in)
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("ParsePanicKey(%q) = %s, want an error", tt.in, p)
		case tt.want != "" && err != nil:
			t.Errorf("ParsePanicKey(%q): %v", tt.in, err)
		case tt.want != "" && p.String() != tt.want:
			t.Errorf("ParsePanicKey(%q) = %s, want %s", tt.in, p, tt.want)
		}
	}
	if s := (PanicKey{}).String(); s != "ctrl+alt+shift+esc" {
		t.Errorf("zero PanicKey = %s", s)
	}
}

func TestPanicKeyFromEnv(t *testing.T) {
	t.Setenv(PanicKeyEnv, "ctrl+shift+f11")
	p, err := PanicKeyFromEnv()
	if err != nil || p.String() != "ctrl+shift+f11" {
		t.Errorf("got %s, %v", p, err)
	}
	t.Setenv(PanicKeyEnv, "x")
	if _, err := PanicKeyFromEnv(); err == nil || !strings.Contains(err.Error(), PanicKeyEnv) {
		t.Errorf("err = %v, want one naming %s", err, PanicKeyEnv)
	}
}

func TestPanicKeyMatches(t *testing.T) {
	def := PanicKey{}
	bang, _ := ParsePanicKey("ctrl+alt+!")
	tests := []struct {
		p    PanicKey
		keys string
		want bool
	}{
		{def, "ctrl+alt+shift+esc", true},
		{def, "shift+alt+ctrl+Escape", true},
		{def, "ctrl+alt+esc", false},
		{def, "ctrl+alt+shift+super+esc", false},
		{def, "esc", false},
		{bang, "ctrl+alt+shift+1", true},
		{bang, "ctrl+alt+!", true},
		{bang, "ctrl+alt+1", false},
	}
	for _, tt := range tests {
		keys, err := ParseKeys(tt.keys)
		if err != nil {
			t.Fatal(err)
		}
		if got := tt.p.Matches(keys); got != tt.want {
			t.Errorf("%s.Matches(%s) = %v, want %v", tt.p, tt.keys, got, tt.want)
		}
	}
}

// TestDesktopRefusesPanicKey: the agent can never press the panic key, the default
// or a configured one; nothing is sent.
func TestDesktopRefusesPanicKey(t *testing.T) {
	custom, _ := ParsePanicKey("ctrl+shift+f12")
	tests := []struct {
		p    PanicKey
		keys []string
	}{
		{PanicKey{}, []string{"ctrl", "alt", "shift", "esc"}},
		{PanicKey{}, []string{"Escape", "Shift", "Alt", "Control"}},
		{custom, []string{"ctrl", "shift", "F12"}},
	}
	for _, tt := range tests {
		f := newFake()
		d := fakeDesktop(f)
		d.PanicKey = tt.p
		err := d.Do(context.Background(), Action{Type: Key, Keys: tt.keys})
		var inv *InvalidActionError
		if !errors.As(err, &inv) || !strings.Contains(err.Error(), tt.p.String()+" is deskhand's panic key") {
			t.Errorf("keys %v with panic key %s: err = %v, want an *InvalidActionError naming the panic key", tt.keys, tt.p, err)
		}
		if c := f.Calls(); len(c) != 0 {
			t.Errorf("keys %v: sent %v", tt.keys, c)
		}
	}
	// A configured panic key frees the default combination, and other combinations
	// still work.
	f := newFake()
	d := fakeDesktop(f)
	d.PanicKey = custom
	for _, k := range [][]string{{"ctrl", "alt", "shift", "esc"}, {"ctrl", "alt", "esc"}} {
		if err := d.Do(context.Background(), Action{Type: Key, Keys: k}); err != nil {
			t.Errorf("keys %v: %v", k, err)
		}
	}
	if c := f.Calls(); len(c) != 2 {
		t.Errorf("calls = %v, want two key presses", c)
	}
}

func TestWatchPanicKeyWithoutDisplay(t *testing.T) {
	t.Setenv("DISPLAY", "")
	stop, err := WatchPanicKey(context.Background(), PanicKey{}, func() {})
	if err == nil {
		stop()
		t.Fatal("watching without a display worked")
	}
	if !errors.Is(err, ErrNoDisplay) && !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("err = %v, want ErrNoDisplay or ErrUnsupported", err)
	}
}
