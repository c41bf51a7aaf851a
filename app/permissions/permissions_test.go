package permissions

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestMissing(t *testing.T) {
	tests := []struct {
		s    Status
		want []Kind
	}{
		{Status{true, true}, nil},
		{Status{false, true}, []Kind{Accessibility}},
		{Status{true, false}, []Kind{ScreenRecording}},
		{Status{false, false}, []Kind{Accessibility, ScreenRecording}},
	}
	for _, tt := range tests {
		if got := tt.s.Missing(); !slices.Equal(got, tt.want) {
			t.Errorf("%+v.Missing() = %v, want %v", tt.s, got, tt.want)
		}
		err := tt.s.Err()
		var me *MissingError
		if (err == nil) != (tt.want == nil) || (err != nil && (!errors.As(err, &me) || !slices.Equal(me.Kinds, tt.want))) {
			t.Errorf("%+v.Err() = %v, want a *MissingError for %v", tt.s, err, tt.want)
		}
	}
}

// The message is what a user reads: it must name each pane, say what to switch
// on, and ask for a relaunch exactly when Screen Recording is missing.
func TestMissingErrorMessage(t *testing.T) {
	tests := []struct {
		kinds    []Kind
		want     []string
		relaunch bool
	}{
		{[]Kind{Accessibility}, []string{"permission Accessibility (to use the mouse and keyboard)", "under Accessibility, switch on deskhand"}, false},
		{[]Kind{ScreenRecording}, []string{"permission Screen Recording (to see the windows", "under Screen Recording, switch on deskhand"}, true},
		{[]Kind{Accessibility, ScreenRecording}, []string{"permissions Accessibility", "under Accessibility and under Screen Recording"}, true},
	}
	for _, tt := range tests {
		msg := (&MissingError{Kinds: tt.kinds}).Error()
		for _, w := range append(tt.want, "System Settings › Privacy & Security", "terminal app") {
			if !strings.Contains(msg, w) {
				t.Errorf("%v: %q lacks %q", tt.kinds, msg, w)
			}
		}
		if got := strings.Contains(msg, "open it again"); got != tt.relaunch {
			t.Errorf("%v: asks to relaunch = %v, want %v: %q", tt.kinds, got, tt.relaunch, msg)
		}
	}
}

func TestKinds(t *testing.T) {
	for _, k := range Kinds {
		if k.String() == "" || strings.HasPrefix(k.String(), "Kind(") {
			t.Errorf("%d has no name", int(k))
		}
		if u := settingsURL(k); !strings.HasPrefix(u, "x-apple.systempreferences:com.apple.preference.security?Privacy_") {
			t.Errorf("%s: settings URL %q", k, u)
		}
	}
	if got := Kind(9).String(); got != "Kind(9)" {
		t.Errorf("Kind(9) = %q", got)
	}
	if settingsURL(Kind(9)) != "" || (Status{true, true}).Granted(Kind(9)) {
		t.Error("an unknown kind has a pane or is granted")
	}
}

// fakeTCC is the permissions database the user edits in System Settings.
type fakeTCC struct{ states []Status }

func (f *fakeTCC) check() Status {
	s := f.states[0]
	if len(f.states) > 1 {
		f.states = f.states[1:]
	}
	return s
}

func TestWatch(t *testing.T) {
	tcc := &fakeTCC{states: []Status{
		{false, false},
		{false, false}, // nothing changed: no call
		{true, false},  // the user switched on Accessibility
		{true, false},
		{true, true}, // and Screen Recording (reported after a relaunch on real Macs)
	}}
	tick := make(chan time.Time)
	ctx, cancel := context.WithCancel(context.Background())
	var got []Status
	done := make(chan struct{})
	go func() {
		defer close(done)
		watch(ctx, tick, tcc.check, func(s Status) { got = append(got, s) })
	}()
	for range 4 {
		tick <- time.Time{}
	}
	cancel()
	<-done
	want := []Status{{false, false}, {true, false}, {true, true}}
	if !slices.Equal(got, want) {
		t.Errorf("onChange got %v, want %v", got, want)
	}
}

func TestWatchStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	n := 0
	Watch(ctx, time.Hour, func(Status) { n++ })
	if n != 1 {
		t.Errorf("onChange called %d times before the watch stopped, want once with the current status", n)
	}
}

// Outside macOS nothing needs granting, so nothing may ever block deskhand.
func TestOtherSystemsGrantEverything(t *testing.T) {
	if runtime.GOOS == "darwin" {
		t.Skip("macOS answers from its own permission database")
	}
	if err := Check().Err(); err != nil {
		t.Errorf("Check().Err() = %v", err)
	}
	for _, k := range Kinds {
		if err := Request(k); err != nil {
			t.Errorf("Request(%s) = %v", k, err)
		}
		if err := OpenSettings(k); !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("OpenSettings(%s) = %v, want ErrUnsupported", k, err)
		}
	}
}
