//go:build cgo && !linux && !windows

package actuation

// openPlatform returns no platform: on macOS robotgo needs no help, and a desktop
// session always has a display. robotgo moves the mouse in points there, the
// unit of CGDisplayBounds and so of perception's Monitor.Bounds: no scaling is
// needed (robotgo.Scale stays false). robot_windows.go has the Windows one.
func openPlatform() (platform, error) { return nil, nil }
