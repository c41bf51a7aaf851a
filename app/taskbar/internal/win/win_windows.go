//go:build windows

package win

import (
	"errors"
	"fmt"
	"image"
	"syscall"
	"unsafe"
)

var (
	user32   = syscall.NewLazyDLL("user32.dll")
	kernel32 = syscall.NewLazyDLL("kernel32.dll")

	procGetForegroundWindow      = user32.NewProc("GetForegroundWindow")
	procGetWindowTextLengthW     = user32.NewProc("GetWindowTextLengthW")
	procGetWindowTextW           = user32.NewProc("GetWindowTextW")
	procGetWindowThreadProcessID = user32.NewProc("GetWindowThreadProcessId")
	procGetWindowRect            = user32.NewProc("GetWindowRect")
	procGetCursorPos             = user32.NewProc("GetCursorPos")
	procMonitorFromRect          = user32.NewProc("MonitorFromRect")
	procGetMonitorInfoW          = user32.NewProc("GetMonitorInfoW")
	procSetWindowPos             = user32.NewProc("SetWindowPos")
	procAttachThreadInput        = user32.NewProc("AttachThreadInput")
	procSetForegroundWindow      = user32.NewProc("SetForegroundWindow")
	procBringWindowToTop         = user32.NewProc("BringWindowToTop")
	procSetFocus                 = user32.NewProc("SetFocus")
	procGetCurrentThreadID       = kernel32.NewProc("GetCurrentThreadId")

	requiredProcs = []*syscall.LazyProc{procGetForegroundWindow, procGetWindowTextLengthW, procGetWindowTextW,
		procGetWindowThreadProcessID, procGetWindowRect, procGetCursorPos, procMonitorFromRect, procGetMonitorInfoW,
		procSetWindowPos, procAttachThreadInput, procSetForegroundWindow, procBringWindowToTop, procSetFocus,
		procGetCurrentThreadID}
)

const (
	hwndTopmost = ^uintptr(0) // HWND_TOPMOST, (HWND)-1

	swpNoSize     = 0x0001
	swpNoMove     = 0x0002
	swpNoActivate = 0x0010
	swpShowWindow = 0x0040

	monitorDefaultToNearest = 2 // MONITOR_DEFAULTTONEAREST
)

type rect struct{ left, top, right, bottom int32 }

func (r rect) image() image.Rectangle {
	return image.Rect(int(r.left), int(r.top), int(r.right), int(r.bottom))
}

type point struct{ x, y int32 }

// monitorInfo is a MONITORINFO.
type monitorInfo struct {
	size    uint32
	monitor rect
	work    rect
	flags   uint32
}

// load checks that user32 has every call the package makes, so a missing one
// is an error and not a panic.
func load() error {
	for _, p := range requiredProcs {
		if err := p.Find(); err != nil {
			return err
		}
	}
	return nil
}

// ForegroundTitle returns the title of the window that has the focus, or ""
// when there is none (a locked workstation, a service's session) or it has no
// title. GetWindowText reads another process's title without a message to
// that window, so a hung application cannot make it wait.
func ForegroundTitle() string {
	if load() != nil {
		return ""
	}
	w, _, _ := procGetForegroundWindow.Call()
	if w == 0 {
		return ""
	}
	n, _, _ := procGetWindowTextLengthW.Call(w)
	if int32(n) <= 0 {
		return ""
	}
	// The length may be more than the text (DBCS), never less; the title may
	// also change in between: GetWindowText cuts it to the buffer.
	buf := make([]uint16, n+1)
	got, _, _ := procGetWindowTextW.Call(w, uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)))
	return syscall.UTF16ToString(buf[:got])
}

// WorkArea returns the work area (the monitor less the Windows task bar and
// docked tool bars) of the monitor under the pointer, or the nearest one, in
// physical pixels of the virtual desktop for a per-monitor DPI aware process,
// as deskhand is.
func WorkArea() (image.Rectangle, error) {
	if err := load(); err != nil {
		return image.Rectangle{}, err
	}
	var p point
	if r, _, err := procGetCursorPos.Call(uintptr(unsafe.Pointer(&p))); r == 0 {
		return image.Rectangle{}, win32Err("GetCursorPos", err)
	}
	// MonitorFromRect, not MonitorFromPoint: a POINT passed by value is one
	// register or two stack words depending on the architecture.
	at := rect{p.x, p.y, p.x + 1, p.y + 1}
	mon, _, _ := procMonitorFromRect.Call(uintptr(unsafe.Pointer(&at)), monitorDefaultToNearest)
	if mon == 0 {
		return image.Rectangle{}, errors.New("no monitor under the pointer")
	}
	mi := monitorInfo{}
	mi.size = uint32(unsafe.Sizeof(mi))
	if r, _, err := procGetMonitorInfoW.Call(mon, uintptr(unsafe.Pointer(&mi))); r == 0 {
		return image.Rectangle{}, win32Err("GetMonitorInfo", err)
	}
	return mi.work.image(), nil
}

// WindowRect returns w's rectangle on the screen, in physical pixels for a
// per-monitor DPI aware process.
func WindowRect(w uintptr) (image.Rectangle, error) {
	var r rect
	if ok, _, err := procGetWindowRect.Call(w, uintptr(unsafe.Pointer(&r))); ok == 0 {
		return image.Rectangle{}, win32Err("GetWindowRect", err)
	}
	return r.image(), nil
}

// Raise shows the top-level window w at place(work area, w's size) on the
// monitor under the pointer, above every window that is not topmost, and
// makes it the foreground window with the keyboard focus. Call it on the
// thread that made w: SetFocus only works there.
//
// w stays topmost: it is a bar the user called up over the application they
// are in, and must not fall behind it when that application takes the focus
// back for a moment.
func Raise(w uintptr, place func(workArea image.Rectangle, size image.Point) image.Point) error {
	if err := load(); err != nil {
		return err
	}
	// Placed or not, the bar is shown: let the user type in it.
	return errors.Join(position(w, place), activate(w))
}

// position moves w to where place puts it and makes it topmost.
func position(w uintptr, place func(image.Rectangle, image.Point) image.Point) error {
	work, err := WorkArea()
	if err != nil {
		// Nowhere better to go: keep w where it is, but above.
		return setPos(w, image.Point{}, swpNoMove)
	}
	// Moving w onto a monitor of another DPI makes Windows send it
	// WM_DPICHANGED, on which GLFW resizes it for that DPI, around a point
	// of Windows' choosing: place it again at its new size.
	for range 2 {
		r, err := WindowRect(w)
		if err != nil {
			return err
		}
		at := place(work, r.Size())
		if err := setPos(w, at, 0); err != nil {
			return err
		}
		now, err := WindowRect(w)
		if err != nil {
			return err
		}
		if now.Min == at && now.Size() == r.Size() {
			return nil
		}
	}
	return nil
}

func setPos(w uintptr, at image.Point, flags uintptr) error {
	// SWP_NOACTIVATE: activate does that, in the way Windows allows.
	r, _, err := procSetWindowPos.Call(w, hwndTopmost, uintptr(at.X), uintptr(at.Y), 0, 0,
		flags|swpNoSize|swpNoActivate|swpShowWindow)
	if r == 0 {
		return win32Err("SetWindowPos", err)
	}
	return nil
}

// activate makes w the foreground window and gives it the keyboard focus.
//
// Windows lets a process take the foreground only in some cases: it received
// the last input event (the hotkey's WM_HOTKEY is one), or the foreground
// process allows it, or no window is in the foreground. Otherwise
// SetForegroundWindow fails and flashes w's button in the task bar. A thread
// whose input is attached to the foreground window's thread shares its
// input state, activation included, and is let through: so, refused, attach,
// activate, and detach.
func activate(w uintptr) error {
	procBringWindowToTop.Call(w)
	if r, _, _ := procSetForegroundWindow.Call(w); r != 0 && foreground() == w {
		procSetFocus.Call(w)
		return nil
	}
	var err error
	attached(func() {
		procBringWindowToTop.Call(w)
		procSetForegroundWindow.Call(w)
		procSetFocus.Call(w)
		// Checked while attached: once detached, the foreground may read
		// 0 for a moment (under Wine it does) until the window manager has
		// focused w.
		if fg := foreground(); fg != w {
			err = fmt.Errorf("Windows did not let the task bar take the foreground (window %#x has it)", fg)
		}
	})
	return err
}

func foreground() uintptr {
	fg, _, _ := procGetForegroundWindow.Call()
	return fg
}

// attached runs f with this thread's input attached to the foreground
// window's thread, or as it is when that is this thread or cannot be attached.
func attached(f func()) {
	self, _, _ := procGetCurrentThreadID.Call()
	if fg := foreground(); fg != 0 {
		if t, _, _ := procGetWindowThreadProcessID.Call(fg, 0); t != 0 && t != self {
			if r, _, _ := procAttachThreadInput.Call(self, t, 1); r != 0 {
				defer procAttachThreadInput.Call(self, t, 0)
			}
		}
	}
	f()
}

// win32Err is err, from a Win32 call that failed, wrapped with the call's
// name; a call that failed without setting the last error says only that.
func win32Err(what string, err error) error {
	if errno, ok := err.(syscall.Errno); ok && errno == 0 {
		return fmt.Errorf("%s failed", what)
	}
	return fmt.Errorf("%s: %w", what, err)
}
