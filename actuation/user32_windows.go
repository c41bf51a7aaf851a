//go:build windows

package actuation

import "syscall"

// user32 is shared by the panic key (RegisterHotKey) and the cgo mouse backend
// (SetCursorPos, DPI awareness).
var user32 = syscall.NewLazyDLL("user32.dll")
