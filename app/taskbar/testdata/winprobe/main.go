//go:build windows

// Command winprobe runs the task bar's Win32 code (app/taskbar/internal/win)
// on a Windows desktop and reports on stdout what it did, one line at a time,
// for wine_test.go to check under Wine from Linux. It is built without fyne,
// whose Windows build takes minutes, so its window is a plain Win32 one with
// the styles GLFW gives an undecorated window such as the bar.
//
//	winprobe title   prints "title " and the foreground window's title
//	winprobe raise   shows a window titled "deskhand winprobe", raises it as
//	                 the bar is raised, and prints "raised {json}"; then, at
//	                 each line "again" on stdin, hides it and raises it again
//	                 (the bar closed and opened), until stdin ends.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"image"
	"os"
	"runtime"
	"syscall"
	"time"
	"unsafe"

	"github.com/deskhand/deskhand/app/taskbar/internal/win"
)

// Title is the probe window's title, which the test looks for.
const Title = "deskhand winprobe"

// Size is the probe window's size in pixels, about the bar's.
var Size = image.Pt(640, 80)

// Raised is what winprobe prints after each raise.
type Raised struct {
	WorkArea   image.Rectangle // the work area the window was placed in
	Size       image.Point     // the size it was placed at
	At         image.Point     // where place put it
	Rect       image.Rectangle // GetWindowRect afterwards
	Foreground string          // the foreground window's title afterwards
	Err        string          `json:",omitempty"` // Raise's error
}

var (
	user32   = syscall.NewLazyDLL("user32.dll")
	gdi32    = syscall.NewLazyDLL("gdi32.dll")
	kernel32 = syscall.NewLazyDLL("kernel32.dll")

	procRegisterClassExW   = user32.NewProc("RegisterClassExW")
	procCreateWindowExW    = user32.NewProc("CreateWindowExW")
	procDefWindowProcW     = user32.NewProc("DefWindowProcW")
	procShowWindow         = user32.NewProc("ShowWindow")
	procGetMessageW        = user32.NewProc("GetMessageW")
	procPeekMessageW       = user32.NewProc("PeekMessageW")
	procDispatchMessageW   = user32.NewProc("DispatchMessageW")
	procPostThreadMessageW = user32.NewProc("PostThreadMessageW")
	procCreateSolidBrush   = gdi32.NewProc("CreateSolidBrush")
	procGetModuleHandleW   = kernel32.NewProc("GetModuleHandleW")
	procGetCurrentThreadID = kernel32.NewProc("GetCurrentThreadId")
)

const (
	// GLFW's styles for an undecorated window (win32_window.c getWindowStyle
	// and getWindowExStyle).
	wsPopup        = 0x80000000
	wsClipSiblings = 0x04000000
	wsClipChildren = 0x02000000
	wsSysMenu      = 0x00080000
	wsMinimizeBox  = 0x00020000
	wsExAppWindow  = 0x00040000

	swHide   = 0
	swShowNA = 8 // as GLFW shows a window

	wmQuit = 0x0012
	wmApp  = 0x8000
	wmUser = wmApp + 1 // raise again
)

// Colour is the window's background, which the test looks for on the screen:
// RGB(0xd0, 0x30, 0x80) as a COLORREF.
const Colour = 0x8030d0

type wndClassEx struct {
	size       uint32
	style      uint32
	wndProc    uintptr
	clsExtra   int32
	wndExtra   int32
	instance   uintptr
	icon       uintptr
	cursor     uintptr
	background uintptr
	menuName   *uint16
	className  *uint16
	iconSm     uintptr
}

type winMsg struct {
	hwnd    uintptr
	message uint32
	wParam  uintptr
	lParam  uintptr
	time    uint32
	pt      struct{ x, y int32 }
	private uint32
}

func main() {
	var err error
	switch {
	case len(os.Args) == 2 && os.Args[1] == "title":
		fmt.Println("title", win.ForegroundTitle())
	case len(os.Args) == 2 && os.Args[1] == "raise":
		err = raise()
	default:
		err = fmt.Errorf("usage: winprobe title|raise")
	}
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
}

func raise() error {
	// The window belongs to this thread, which must pump its messages and
	// raise it.
	runtime.LockOSThread()
	var m winMsg
	procPeekMessageW.Call(uintptr(unsafe.Pointer(&m)), 0, 0, 0, 0) // the thread's queue, before anyone posts to it
	tid, _, _ := procGetCurrentThreadID.Call()
	hwnd, err := newWindow()
	if err != nil {
		return err
	}
	go func() {
		in := bufio.NewScanner(os.Stdin)
		for in.Scan() {
			procPostThreadMessageW.Call(tid, wmUser, 0, 0)
		}
		procPostThreadMessageW.Call(tid, wmQuit, 0, 0)
	}()
	go func() { // the test is gone without closing stdin
		time.Sleep(3 * time.Minute)
		procPostThreadMessageW.Call(tid, wmQuit, 0, 0)
	}()
	show(hwnd)
	for {
		r, _, _ := procGetMessageW.Call(uintptr(unsafe.Pointer(&m)), 0, 0, 0)
		if int32(r) <= 0 {
			return nil
		}
		if m.hwnd == 0 && m.message == wmUser {
			procShowWindow.Call(hwnd, swHide)
			show(hwnd)
			continue
		}
		procDispatchMessageW.Call(uintptr(unsafe.Pointer(&m)))
	}
}

// show shows the window as fyne does, raises it as the task bar does, and
// prints what happened.
func show(hwnd uintptr) {
	procShowWindow.Call(hwnd, swShowNA)
	var r Raised
	err := win.Raise(hwnd, func(work image.Rectangle, size image.Point) image.Point {
		r.WorkArea, r.Size = work, size
		// taskbar.Place, which wine_test.go checks the window against: the
		// taskbar package imports fyne, which winprobe must not.
		r.At = image.Pt(max(work.Min.X+(work.Dx()-size.X)/2, work.Min.X), work.Min.Y+work.Dy()/8)
		return r.At
	})
	if err != nil {
		r.Err = err.Error()
	}
	r.Rect, _ = win.WindowRect(hwnd)
	r.Foreground = win.ForegroundTitle()
	b, _ := json.Marshal(r)
	fmt.Printf("raised %s\n", b)
}

func newWindow() (uintptr, error) {
	instance, _, _ := procGetModuleHandleW.Call(0)
	brush, _, err := procCreateSolidBrush.Call(Colour)
	if brush == 0 {
		return 0, fmt.Errorf("CreateSolidBrush: %w", err)
	}
	class, _ := syscall.UTF16PtrFromString("DeskhandWinprobe")
	title, _ := syscall.UTF16PtrFromString(Title)
	wc := wndClassEx{wndProc: procDefWindowProcW.Addr(), instance: instance, background: brush, className: class}
	wc.size = uint32(unsafe.Sizeof(wc))
	if r, _, err := procRegisterClassExW.Call(uintptr(unsafe.Pointer(&wc))); r == 0 {
		return 0, fmt.Errorf("RegisterClassEx: %w", err)
	}
	// At the top-left corner: the raise must move it.
	hwnd, _, err := procCreateWindowExW.Call(wsExAppWindow, uintptr(unsafe.Pointer(class)), uintptr(unsafe.Pointer(title)),
		wsPopup|wsClipSiblings|wsClipChildren|wsSysMenu|wsMinimizeBox,
		0, 0, uintptr(Size.X), uintptr(Size.Y), 0, 0, instance, 0)
	if hwnd == 0 {
		return 0, fmt.Errorf("CreateWindowEx: %w", err)
	}
	return hwnd, nil
}
