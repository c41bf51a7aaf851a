//go:build cgo && windows

package actuation

import (
	"fmt"
	"image"
)

// On Windows actuation space is physical pixels (perception/hidpi.go). The
// process is made per-monitor DPI aware before any mouse call, here and in
// perception, whichever package loads first; then GetSystemMetrics' virtual
// screen, SetCursorPos and the monitors perception lists are all in physical
// pixels.
//
// robotgo v1.0.2's Move divides the point by ScaleF() = GetDpiForWindow of the
// foreground window / 96 before calling SetCursorPos (MoveScale, which scales
// on Windows whatever robotgo.Scale says), so with a 150 % window in front
// Move(1500, 900) would land at (1000, 600), and the factor changes with the
// foreground window. windowsRobot calls SetCursorPos itself, exactly as robotgo's
// C moveMouse does, minus that division. Clicks, scrolling and keys go through
// SendInput at the cursor's position and need no correction.

var (
	procSetProcessDpiAwarenessContext = user32.NewProc("SetProcessDpiAwarenessContext") // Windows 10 1703
	procSetProcessDPIAware            = user32.NewProc("SetProcessDPIAware")            // Vista
	procSetCursorPos                  = user32.NewProc("SetCursorPos")
	procGetSystemMetrics              = user32.NewProc("GetSystemMetrics")
)

// dpiAwarenessContextPerMonitorAwareV2 is the pseudo-handle (DPI_AWARENESS_CONTEXT)-4.
const dpiAwarenessContextPerMonitorAwareV2 = ^uintptr(4 - 1)

// GetSystemMetrics indexes of the virtual screen, the bounding box of all monitors.
const (
	smXVirtualScreen  = 76
	smYVirtualScreen  = 77
	smCXVirtualScreen = 78
	smCYVirtualScreen = 79
)

// This init runs after robot_cgo.go's, because the go command gives a package's
// files to the compiler sorted by name and init functions run in that order: it
// replaces newRobot with the Windows robot.
func init() {
	makeDPIAware()
	newBackend = newWindowsRobot
}

// makeDPIAware asks for per-monitor v2 awareness, or system awareness on Windows
// before 10 1703. It fails harmlessly (ERROR_ACCESS_DENIED) when the awareness
// was set already, by perception, a manifest or GLFW; perception reports the
// result (perception.MonitorScaling).
func makeDPIAware() {
	if procSetProcessDpiAwarenessContext.Find() == nil {
		if r, _, _ := procSetProcessDpiAwarenessContext.Call(dpiAwarenessContextPerMonitorAwareV2); r != 0 {
			return
		}
		return // already set: nothing more to try, a second setting is refused too
	}
	if procSetProcessDPIAware.Find() == nil {
		procSetProcessDPIAware.Call()
	}
}

// windowsRobot is robotgo with its own pointer moves.
type windowsRobot struct{ *robot }

func newWindowsRobot() (backend, error) {
	b, err := newRobot()
	if err != nil {
		return nil, err
	}
	return windowsRobot{b.(*robot)}, nil
}

func (w windowsRobot) move(x, y int) error {
	robotMu.Lock()
	defer robotMu.Unlock()
	if err := procSetCursorPos.Find(); err != nil {
		return fmt.Errorf("move the mouse: %w", err)
	}
	if r, _, err := procSetCursorPos.Call(uintptr(int32(x)), uintptr(int32(y))); r == 0 {
		return fmt.Errorf("move the mouse to (%d, %d): %v — Windows refuses input while the secure desktop "+
			"(a UAC prompt, the lock screen) is showing, and to windows of elevated programs unless deskhand runs elevated too", x, y, err)
	}
	return nil
}

func openPlatform() (platform, error) { return windowsPlatform{}, nil }

// windowsPlatform gives robot the virtual screen in physical pixels; robotgo
// types and presses keys right on Windows.
type windowsPlatform struct{}

func (windowsPlatform) bounds() (image.Rectangle, error) {
	metric := func(i uintptr) int {
		r, _, _ := procGetSystemMetrics.Call(i)
		return int(int32(r))
	}
	if err := procGetSystemMetrics.Find(); err != nil {
		return image.Rectangle{}, fmt.Errorf("%w: %v", ErrNoDisplay, err)
	}
	x, y := metric(smXVirtualScreen), metric(smYVirtualScreen)
	w, h := metric(smCXVirtualScreen), metric(smCYVirtualScreen)
	if w <= 0 || h <= 0 {
		return image.Rectangle{}, fmt.Errorf("%w: Windows reports no screens (a service session or a disconnected remote desktop?)", ErrNoDisplay)
	}
	return image.Rect(x, y, x+w, y+h), nil
}

func (windowsPlatform) checkKeys([]string) error { return nil }

func (windowsPlatform) typeText(s string, robotType func(string)) error {
	robotType(s)
	return nil
}
