// Package mac is the task bar's macOS half: the title of the frontmost
// application's window, and placing, raising and activating the bar's
// NSWindow. AppKit, Core Foundation and Core Graphics are called through
// purego (no cgo), as the overlay does (app/overlay/overlay_darwin.go).
//
// It does not import fyne, whose macOS build needs cgo, so `go vet` checks it
// for darwin from Linux; the taskbar package hands it the bar's NSWindow. The
// coordinate and title logic is in plain Go (cocoa.go), tested everywhere.
package mac
