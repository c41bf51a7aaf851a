package perception

import (
	"fmt"
	"io"
	"os"
	"sync"
)

// NoDisplayError means there is no screen deskhand can capture or drive. Callers
// branch on it with errors.As to tell the user how to start deskhand instead of
// showing a capture failure.
type NoDisplayError struct {
	// Wayland is true when a Wayland session was found but no X display: deskhand
	// drives the desktop through X11 and cannot work there.
	Wayland bool
	// Display is the X display that could not be opened ("" when none was set).
	Display string
	// Err is the underlying failure, if any.
	Err error
}

// x11Advice is what a user of a Wayland desktop should do, in one phrase.
const x11Advice = "log out, and at the login screen pick an X11 session " +
	"(on Ubuntu: the gear icon › 'Ubuntu on Xorg'; elsewhere 'GNOME on Xorg' or 'Plasma (X11)'), then log in again"

func (e *NoDisplayError) Error() string {
	switch {
	case e.Wayland:
		return "this is a Wayland session without an X display, and deskhand sees and drives the desktop " +
			"through X11 — " + x11Advice + ". (Running under XWayland, with DISPLAY set, works partly: " +
			"Wayland-native windows may be invisible to deskhand and ignore its clicks.)"
	case e.Display != "":
		return fmt.Sprintf("cannot open display %q: %v — check that the X server is running "+
			"and that XAUTHORITY points at its cookie", e.Display, e.Err)
	case e.Err != nil:
		return fmt.Sprintf("no display: %v — run deskhand in a logged-in desktop session", e.Err)
	default:
		return "no display: DISPLAY is not set — run deskhand inside your desktop session (or under Xvfb)"
	}
}

func (e *NoDisplayError) Unwrap() error { return e.Err }

// usesX11 reports whether goos reaches its desktop through an X server (and so
// through the DISPLAY variable).
func usesX11(goos string) bool {
	switch goos {
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly", "solaris", "illumos":
		return true
	}
	return false
}

// displayEnvError checks, from the environment alone, that an X display can be
// tried at all. It runs before any call into robotgo or kbinani/screenshot because
// robotgo dereferences a NULL Display (SIGSEGV) when XOpenDisplay fails, and
// kbinani/screenshot switches to the xdg portal when it thinks it is on Wayland.
//
// Under XWayland (see sessionCheck) it lets deskhand go on and prints a warning
// on stderr, once per process.
func displayEnvError(goos string, getenv func(string) string) error {
	err, warning := sessionCheck(goos, getenv)
	if warning != "" {
		warnOnce(warning)
	}
	return err
}

// sessionCheck is displayEnvError without the side effect: the error that stops
// deskhand, or a warning to show once and go on. It is pure so it is tested on
// every platform, without cgo.
//
// What deskhand does in each desktop session:
//   - X11 (DISPLAY set, not a Wayland session): works.
//   - Wayland without XWayland (no DISPLAY): refuses, with a *NoDisplayError
//     whose Wayland field is set and which tells the user to log into an X11
//     session.
//   - XWayland (DISPLAY set, and XDG_SESSION_TYPE=wayland or WAYLAND_DISPLAY
//     set): goes on, with a warning. Captures then go through the desktop portal
//     (kbinani/screenshot does that when XDG_SESSION_TYPE=wayland), which may ask
//     the user for permission, every time on some desktops; windows of
//     Wayland-native applications may be missing or black to X11, and the mouse
//     and keyboard events deskhand sends through X11 reach X11 windows only.
//     Refusing would shut out users whose applications all run under XWayland,
//     and the portal's dialog makes the capture visible to them: a warning that
//     says what goes wrong and how to fix it is the better default.
//
// Xvfb started from a terminal of a Wayland desktop looks like XWayland here:
// unset WAYLAND_DISPLAY and set XDG_SESSION_TYPE=x11 for it (xvfbtest does).
func sessionCheck(goos string, getenv func(string) string) (err error, warning string) {
	if !usesX11(goos) {
		return nil, "" // macOS and Windows have no DISPLAY; the backend asks the OS.
	}
	wayland := getenv("WAYLAND_DISPLAY") != "" || getenv("XDG_SESSION_TYPE") == "wayland"
	display := getenv("DISPLAY")
	switch {
	case display != "" && wayland:
		return nil, fmt.Sprintf("deskhand: warning: this is a Wayland session, and deskhand works through "+
			"XWayland (DISPLAY=%s). Screen captures go through the desktop portal, which may ask for your "+
			"permission every time; windows of Wayland-native applications may be missing or black in "+
			"captures, and deskhand's clicks and keys reach X11 windows only. For reliable control, %s.",
			display, x11Advice)
	case display != "":
		return nil, ""
	case wayland:
		return &NoDisplayError{Wayland: true}, ""
	default:
		return &NoDisplayError{}, ""
	}
}

// warnings is where warnOnce writes; tests replace it.
var warnings struct {
	sync.Mutex
	w    io.Writer // nil: os.Stderr
	seen map[string]bool
}

// warnOnce writes msg on stderr the first time it is given in this process.
func warnOnce(msg string) {
	warnings.Lock()
	defer warnings.Unlock()
	if warnings.seen[msg] {
		return
	}
	if warnings.seen == nil {
		warnings.seen = map[string]bool{}
	}
	warnings.seen[msg] = true
	w := warnings.w
	if w == nil {
		w = os.Stderr
	}
	fmt.Fprintln(w, msg)
}
