//go:build windows || darwin

package taskbar

import "fyne.io/fyne/v2"

// ActiveTitle is not read on this platform yet (GetForegroundWindow on
// Windows, NSWorkspace on macOS): the bar opens with no context.
func ActiveTitle() string { return "" }

// raise leaves the bar where fyne puts it (centred), which the user can move.
// Keeping it above is TODO: SetWindowPos HWND_TOPMOST on Windows, a floating
// NSWindow level on macOS.
func raise(fyne.Window) {}
