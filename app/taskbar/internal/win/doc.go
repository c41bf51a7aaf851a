// Package win is the task bar's Win32 half: the title of the foreground
// window, and placing, raising and focusing the bar's window. It does not
// import fyne, so a small probe cross-built for Windows in seconds (fyne's
// cgo build takes minutes) runs it under Wine in the taskbar package's tests;
// the taskbar package hands it the bar's HWND.
//
// Everything is plain syscalls (no cgo, no golang.org/x/sys), and on other
// platforms the package is empty.
package win
