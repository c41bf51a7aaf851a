package perception

import "fmt"

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

func (e *NoDisplayError) Error() string {
	switch {
	case e.Wayland:
		return "wayland session without X11: deskhand needs an X display — log into an " +
			"'Ubuntu on Xorg'/X11 session, or run under XWayland with DISPLAY set"
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
// It is pure so it is tested on every platform, without cgo.
func displayEnvError(goos string, getenv func(string) string) error {
	if !usesX11(goos) {
		return nil // macOS and Windows have no DISPLAY; the backend asks the OS.
	}
	if getenv("DISPLAY") != "" {
		return nil
	}
	if getenv("WAYLAND_DISPLAY") != "" || getenv("XDG_SESSION_TYPE") == "wayland" {
		return &NoDisplayError{Wayland: true}
	}
	return &NoDisplayError{}
}
