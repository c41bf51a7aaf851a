//go:build !darwin || !cgo

package permissions

// Linux and Windows have no permission to grant. A macOS build without cgo
// cannot ask macOS either; it reports everything granted, since such a build
// cannot drive the Mac at all and actuation already says why.

func check() Status { return Status{Accessibility: true, ScreenRecording: true} }

func request(Kind) error { return nil }
