//go:build cgo && !linux

package actuation

// openPlatform returns no platform: on macOS and Windows robotgo needs no help, and
// a desktop session always has a display.
func openPlatform() (platform, error) { return nil, nil }
