// Package permissions checks, and asks for, the operating-system permissions
// deskhand needs before it can see the screen and use the mouse and keyboard.
//
// Only macOS has such permissions: Accessibility (to post mouse and keyboard
// events) and Screen Recording (without it captures show the wallpaper and the
// menu bar, never other apps' windows). Both are granted by the user in System
// Settings, at any time, so the app re-checks them while it waits (Watch). On
// Linux and Windows every permission is always granted; Wayland, the Linux case
// that does stop deskhand, is perception's NoDisplayError.
//
// macOS applies Accessibility to the running process at once, but Screen
// Recording only to processes started after it was granted: after switching it
// on the user must quit and reopen deskhand, and MissingError says so.
package permissions

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Kind is one permission.
type Kind int

const (
	// Accessibility lets deskhand move the mouse and type (macOS: Privacy &
	// Security › Accessibility).
	Accessibility Kind = iota + 1
	// ScreenRecording lets deskhand see other apps' windows (macOS: Privacy &
	// Security › Screen Recording, "Screen & System Audio Recording" on macOS 15).
	ScreenRecording
)

// Kinds lists every permission, in the order they are asked for.
var Kinds = []Kind{Accessibility, ScreenRecording}

func (k Kind) String() string {
	switch k {
	case Accessibility:
		return "Accessibility"
	case ScreenRecording:
		return "Screen Recording"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// purpose is why deskhand needs k, in words for the user.
func (k Kind) purpose() string {
	switch k {
	case Accessibility:
		return "to use the mouse and keyboard"
	case ScreenRecording:
		return "to see the windows on the screen"
	}
	return "to work"
}

// settingsURL opens the System Settings pane where k is switched on. The
// Security preference pane's anchors have kept these names since macOS 10.15;
// System Settings (macOS 13 and later) still resolves them.
func settingsURL(k Kind) string {
	switch k {
	case Accessibility:
		return "x-apple.systempreferences:com.apple.preference.security?Privacy_Accessibility"
	case ScreenRecording:
		return "x-apple.systempreferences:com.apple.preference.security?Privacy_ScreenCapture"
	}
	return ""
}

// Status is which permissions deskhand has now.
type Status struct {
	Accessibility   bool
	ScreenRecording bool
}

// Granted reports whether k is granted.
func (s Status) Granted(k Kind) bool {
	switch k {
	case Accessibility:
		return s.Accessibility
	case ScreenRecording:
		return s.ScreenRecording
	}
	return false
}

// Missing lists the permissions not granted, in Kinds order.
func (s Status) Missing() []Kind {
	var m []Kind
	for _, k := range Kinds {
		if !s.Granted(k) {
			m = append(m, k)
		}
	}
	return m
}

// Err is nil when every permission is granted, else a *MissingError.
func (s Status) Err() error {
	if m := s.Missing(); len(m) > 0 {
		return &MissingError{Kinds: m}
	}
	return nil
}

// MissingError means deskhand lacks permissions and cannot work until the user
// grants them. Callers branch on it with errors.As to show the way to System
// Settings (OpenSettings) instead of a capture or input failure.
type MissingError struct {
	Kinds []Kind
}

func (e *MissingError) Error() string {
	var need, under []string
	relaunch := false
	for _, k := range e.Kinds {
		need = append(need, fmt.Sprintf("%s (%s)", k, k.purpose()))
		under = append(under, "under "+k.String())
		relaunch = relaunch || k == ScreenRecording
	}
	noun := "permission"
	if len(e.Kinds) > 1 {
		noun = "permissions"
	}
	msg := fmt.Sprintf("deskhand needs the macOS %s %s: in System Settings › Privacy & Security, %s, "+
		"switch on deskhand (or, if you started it from a terminal, your terminal app)",
		noun, strings.Join(need, " and "), strings.Join(under, " and "))
	if relaunch {
		msg += ", then quit deskhand and open it again: macOS gives Screen Recording only to apps started after it is switched on"
	}
	return msg
}

// Check returns which permissions deskhand has now. It is cheap enough to call
// every second.
func Check() Status { return check() }

// Request asks macOS for k: the first time, macOS shows its own dialog that
// leads to System Settings; later it may show nothing, so offer OpenSettings as
// well. It returns at once, before the user answers: use Watch to learn the
// answer. On other systems it does nothing.
func Request(k Kind) error { return request(k) }

// OpenSettings opens the System Settings pane where the user switches k on.
// Other systems have no such pane: it returns an error wrapping
// errors.ErrUnsupported there.
func OpenSettings(k Kind) error { return openSettings(k) }

// Watch calls onChange with the current status, then again each time it
// changes, checking every interval, until ctx is done. It blocks: run it in its
// own goroutine. An app waiting for the user to grant a permission in System
// Settings uses it to go on as soon as it is granted.
func Watch(ctx context.Context, every time.Duration, onChange func(Status)) {
	t := time.NewTicker(every)
	defer t.Stop()
	watch(ctx, t.C, Check, onChange)
}

// watch is Watch with its clock and check passed in, for tests.
func watch(ctx context.Context, tick <-chan time.Time, check func() Status, onChange func(Status)) {
	last := check()
	onChange(last)
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
		}
		if s := check(); s != last {
			last = s
			onChange(s)
		}
	}
}
