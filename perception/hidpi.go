package perception

// HiDPI: how captured pixels relate to actuation space on each OS.
//
// Actuation space is the coordinate space the mouse moves in; Monitor.Bounds are
// in it. Frame.Scale is captured pixels per actuation unit, and it is measured on
// every capture (captured width / bounds width), never assumed, so a platform
// that delivers something unexpected still maps the model's clicks right.
//
//   - Linux/X11: actuation space is X root-window pixels, the same pixels XTest
//     moves the pointer in and captures are read in. Scale is 1. A desktop's
//     scaling setting (GNOME's 200 %, Xft.dpi) only makes applications draw
//     bigger; it does not change the coordinates.
//   - Windows: actuation space is physical pixels. The process declares itself
//     per-monitor DPI aware (v2) when this package loads (hidpi_windows.go), before
//     any capture or mouse call, so monitor rectangles, the cursor position,
//     SetCursorPos and kbinani/screenshot's BitBlt captures are all in physical
//     pixels and Scale is 1 on every monitor, whatever its scaling (125 %, 150 %
//     …). A process that is not DPI aware would get virtualised (divided)
//     coordinates and blurry, upscaled captures. robotgo v1.0.2's Move and
//     Location scale by the DPI of the foreground window, so deskhand reads the
//     pointer with GetCursorPos (capture_native.go) and the actuation package moves
//     it with SetCursorPos (actuation/robot_windows.go). The monitor's scaling
//     setting (GetDpiForMonitor) is reported by MonitorScaling, as information.
//   - macOS: actuation space is points (robotgo posts CGEvents at point
//     coordinates, and CGDisplayBounds, which kbinani/screenshot's
//     GetDisplayBounds returns unchanged, is in points). kbinani/screenshot
//     captures a rectangle into a bitmap of the rectangle's size in points: the
//     display's physical (Retina) pixels are scaled down to points by
//     CGContextDrawImage, or by ScreenCaptureKit whose output size it sets to the
//     points. So Scale is 1 on macOS too, and a Retina capture has half the
//     physical resolution. MonitorScaling reports the backing scale (2 on
//     Retina) from the display mode. Should a capture ever come back in physical
//     pixels (another capture library), Scale becomes 2 and the mapping still
//     holds, because it is measured.

// Scaling describes a monitor's HiDPI setting, for logs and traces. It does not
// enter the coordinate mapping: Frame.Scale does.
type Scaling struct {
	// Factor is the monitor's scaling: Windows' effective DPI / 96 (1.5 at
	// 150 %), macOS' backing scale factor (2 on Retina), or 0 when unknown (X11,
	// where the desktop's scaling does not change coordinates).
	Factor float64 `json:"factor,omitempty"`
	// Space names the unit of actuation space on this platform.
	Space string `json:"space"`
	// Note tells how Factor was read, or why it could not be.
	Note string `json:"note,omitempty"`
}

// MonitorScaling reports the HiDPI scaling of monitor m, as information.
func MonitorScaling(m Monitor) Scaling { return platformScaling(m) }
