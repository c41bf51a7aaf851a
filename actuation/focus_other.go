//go:build windows || darwin

package actuation

import "errors"

// ErrFocusUnknown: the platform cannot say which window has the focus.
var ErrFocusUnknown = errors.New("the focused window is not known on this platform")

func focusedWindow() (Window, error) { return Window{}, ErrFocusUnknown }
