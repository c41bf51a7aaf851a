//go:build darwin

package actuation

import "errors"

// openInput: on macOS a CGEventTap could tell the user's events from posted
// ones (kCGEventSourceStateID), but it needs its own run loop thread; until it
// exists, only the pointer and the panic key stop a run.
func openInput(on func(userInput)) (inputWatch, error) { return nil, errors.ErrUnsupported }
