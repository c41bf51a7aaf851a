//go:build windows

package perception

import (
	"fmt"
	"image"
	"os"
	"path/filepath"
	"syscall"
	"unsafe"
)

// Windows HiDPI: see hidpi.go. This file makes the process per-monitor DPI aware
// when the package loads, which is before deskhand's main runs and so before any
// capture, mouse call or window, and reads monitors' DPI for MonitorScaling.
// It uses syscall only (no golang.org/x/sys).

var (
	user32 = syscall.NewLazyDLL("user32.dll")
	shcore = syscall.NewLazyDLL(systemDLL("shcore.dll"))

	procSetProcessDpiAwarenessContext   = user32.NewProc("SetProcessDpiAwarenessContext") // Windows 10 1703
	procGetThreadDpiAwarenessContext    = user32.NewProc("GetThreadDpiAwarenessContext")  // Windows 10 1607
	procGetAwarenessFromDpiAwarenessCtx = user32.NewProc("GetAwarenessFromDpiAwarenessContext")
	procSetProcessDPIAware              = user32.NewProc("SetProcessDPIAware") // Vista
	procIsProcessDPIAware               = user32.NewProc("IsProcessDPIAware")
	procMonitorFromRect                 = user32.NewProc("MonitorFromRect")
	procGetCursorPos                    = user32.NewProc("GetCursorPos")
	procSetProcessDpiAwareness          = shcore.NewProc("SetProcessDpiAwareness") // Windows 8.1
	procGetProcessDpiAwareness          = shcore.NewProc("GetProcessDpiAwareness")
	procGetDpiForMonitor                = shcore.NewProc("GetDpiForMonitor")
)

const (
	// dpiAwarenessContextPerMonitorAwareV2 is DPI_AWARENESS_CONTEXT_PER_MONITOR_AWARE_V2,
	// the pseudo-handle (DPI_AWARENESS_CONTEXT)-4.
	dpiAwarenessContextPerMonitorAwareV2 = ^uintptr(4 - 1)
	processPerMonitorDPIAware            = 2 // PROCESS_PER_MONITOR_DPI_AWARE
	mdtEffectiveDPI                      = 0 // MDT_EFFECTIVE_DPI
	monitorDefaultToNearest              = 2 // MONITOR_DEFAULTTONEAREST
)

// DPI awareness levels, as GetAwarenessFromDpiAwarenessContext and
// GetProcessDpiAwareness number them.
const (
	dpiUnaware          = 0
	dpiSystemAware      = 1
	dpiPerMonitorAware  = 2
	dpiAwarenessUnknown = -1
)

// dpiAware is the DPI awareness the process ended up with, and how.
var dpiAware struct {
	level int
	how   string
}

func init() { dpiAware.level, dpiAware.how = makeDPIAware() }

// makeDPIAware makes the process per-monitor DPI aware with the newest API the
// system has. A process's awareness can be set once: when something set it first
// (an application manifest, or GLFW, which asks for the same per-monitor v2),
// the call fails with ERROR_ACCESS_DENIED, which is fine as long as the awareness
// read back is per-monitor.
func makeDPIAware() (level int, how string) {
	switch {
	case procSetProcessDpiAwarenessContext.Find() == nil:
		r, _, err := procSetProcessDpiAwarenessContext.Call(dpiAwarenessContextPerMonitorAwareV2)
		how = "SetProcessDpiAwarenessContext(PER_MONITOR_AWARE_V2)"
		if r == 0 {
			how += fmt.Sprintf(" failed (%v)", err)
		}
	case procSetProcessDpiAwareness.Find() == nil:
		r, _, _ := procSetProcessDpiAwareness.Call(processPerMonitorDPIAware)
		how = "SetProcessDpiAwareness(PROCESS_PER_MONITOR_DPI_AWARE)"
		if int32(r) < 0 { // an HRESULT error, E_ACCESSDENIED when already set
			how += fmt.Sprintf(" failed (HRESULT %#x)", uint32(r))
		}
	case procSetProcessDPIAware.Find() == nil:
		procSetProcessDPIAware.Call()
		how = "SetProcessDPIAware (system aware only: mixed-DPI monitors may be scaled)"
	default:
		return dpiAwarenessUnknown, "no DPI awareness API"
	}
	return currentDPIAwareness(), how
}

// currentDPIAwareness reads the process's DPI awareness back.
func currentDPIAwareness() int {
	if procGetThreadDpiAwarenessContext.Find() == nil && procGetAwarenessFromDpiAwarenessCtx.Find() == nil {
		ctx, _, _ := procGetThreadDpiAwarenessContext.Call()
		a, _, _ := procGetAwarenessFromDpiAwarenessCtx.Call(ctx)
		return int(int32(a))
	}
	if procGetProcessDpiAwareness.Find() == nil {
		var a int32
		if r, _, _ := procGetProcessDpiAwareness.Call(0, uintptr(unsafe.Pointer(&a))); int32(r) >= 0 {
			return int(a)
		}
	}
	if procIsProcessDPIAware.Find() == nil {
		if r, _, _ := procIsProcessDPIAware.Call(); r != 0 {
			return dpiSystemAware
		}
		return dpiUnaware
	}
	return dpiAwarenessUnknown
}

func awarenessName(level int) string {
	switch level {
	case dpiUnaware:
		return "not DPI aware: coordinates and captures are scaled by Windows"
	case dpiSystemAware:
		return "system DPI aware: monitors whose scaling differs from the primary's are scaled by Windows"
	case dpiPerMonitorAware:
		return "per-monitor DPI aware"
	}
	return "DPI awareness unknown"
}

// systemDLL returns the path of a DLL in the System32 folder, so a shcore.dll
// beside deskhand.exe or in the working directory is never loaded instead.
// (user32.dll is a KnownDLL, which Windows always loads from System32.)
func systemDLL(name string) string {
	if root := os.Getenv("SystemRoot"); root != "" {
		return filepath.Join(root, "System32", name)
	}
	return name
}

type winRect struct{ left, top, right, bottom int32 }

type winPoint struct{ x, y int32 }

func platformScaling(m Monitor) Scaling {
	s := Scaling{Space: "physical pixels", Note: awarenessName(dpiAware.level) + " (" + dpiAware.how + ")"}
	if procGetDpiForMonitor.Find() != nil || procMonitorFromRect.Find() != nil {
		s.Note += "; GetDpiForMonitor needs Windows 8.1"
		return s
	}
	r := winRect{int32(m.Bounds.Min.X), int32(m.Bounds.Min.Y), int32(m.Bounds.Max.X), int32(m.Bounds.Max.Y)}
	hmon, _, _ := procMonitorFromRect.Call(uintptr(unsafe.Pointer(&r)), monitorDefaultToNearest)
	if hmon == 0 {
		s.Note += "; no monitor at " + m.Bounds.String()
		return s
	}
	var dx, dy uint32
	hr, _, _ := procGetDpiForMonitor.Call(hmon, mdtEffectiveDPI, uintptr(unsafe.Pointer(&dx)), uintptr(unsafe.Pointer(&dy)))
	if int32(hr) < 0 || dx == 0 {
		s.Note += fmt.Sprintf("; GetDpiForMonitor failed (HRESULT %#x)", uint32(hr))
		return s
	}
	s.Factor = float64(dx) / 96
	s.Note += fmt.Sprintf("; effective DPI %d (GetDpiForMonitor)", dx)
	return s
}

// cursorPos is the pointer in physical pixels. robotgo.Location multiplies
// GetCursorPos by the DPI scale of the foreground window, which is wrong for a
// per-monitor aware process.
func cursorPos() (image.Point, bool) {
	var p winPoint
	if procGetCursorPos.Find() != nil {
		return image.Point{}, false
	}
	if r, _, _ := procGetCursorPos.Call(uintptr(unsafe.Pointer(&p))); r == 0 {
		return image.Point{}, false // no desktop (a service session, a locked workstation)
	}
	return image.Pt(int(p.x), int(p.y)), true
}
