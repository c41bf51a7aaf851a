//go:build windows

package actuation

import (
	"fmt"
	"runtime"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// On Windows the user's keys and buttons are told from deskhand's by low-level
// hooks: SendInput, which robotgo uses, marks its events as injected
// (LLKHF_INJECTED, LLMHF_INJECTED), and the user's are not. The hooks run on a
// thread of their own with a message loop, as Windows requires, and must return
// quickly: they only hand the press on.

var (
	procSetWindowsHookEx  = user32.NewProc("SetWindowsHookExW")
	procUnhookWindowsHook = user32.NewProc("UnhookWindowsHookEx")
	procCallNextHookEx    = user32.NewProc("CallNextHookEx")
	procGetModuleHandle   = kernel32.NewProc("GetModuleHandleW")
)

const (
	whKeyboardLL = 13
	whMouseLL    = 14

	wmKeyDown     = 0x0100
	wmSysKeyDown  = 0x0104
	wmLButtonDown = 0x0201
	wmRButtonDown = 0x0204
	wmMButtonDown = 0x0207
	wmXButtonDown = 0x020B

	llkhfInjected = 0x10
	llmhfInjected = 0x01
)

// kbdLLHook is KBDLLHOOKSTRUCT.
type kbdLLHook struct {
	vkCode, scanCode, flags, time uint32
	extra                         uintptr
}

// msLLHook is MSLLHOOKSTRUCT.
type msLLHook struct {
	x, y                   int32
	mouseData, flags, time uint32
	extra                  uintptr
}

// hooks is the one running input watch: a hook procedure is a plain function
// (syscall.NewCallback makes a limited number), so it finds its watch here.
var hooks struct {
	mu sync.Mutex
	on func(userInput)
}

var (
	keyboardProc = syscall.NewCallback(func(code, wparam, lparam uintptr) uintptr {
		if int32(code) >= 0 && (wparam == wmKeyDown || wparam == wmSysKeyDown) {
			k := *(**kbdLLHook)(unsafe.Pointer(&lparam)) // lparam points at Windows memory, not Go's
			if k.flags&llkhfInjected == 0 {
				deliver(userInput{Key: true, Code: k.vkCode, At: time.Now()})
			}
		}
		r, _, _ := procCallNextHookEx.Call(0, code, wparam, lparam)
		return r
	})
	mouseProc = syscall.NewCallback(func(code, wparam, lparam uintptr) uintptr {
		if int32(code) >= 0 {
			switch wparam {
			case wmLButtonDown, wmRButtonDown, wmMButtonDown, wmXButtonDown:
				m := *(**msLLHook)(unsafe.Pointer(&lparam))
				if m.flags&llmhfInjected == 0 {
					deliver(userInput{Code: uint32(wparam), At: time.Now()})
				}
			}
		}
		r, _, _ := procCallNextHookEx.Call(0, code, wparam, lparam)
		return r
	})
)

func deliver(in userInput) {
	hooks.mu.Lock()
	on := hooks.on
	hooks.mu.Unlock()
	if on != nil {
		// Off the hook's thread: Windows drops a hook that takes too long.
		go on(in)
	}
}

// winInput is a running pair of hooks on their thread.
type winInput struct {
	tid  uintptr
	done chan struct{}
	once sync.Once
}

// openInput installs the hooks. Only one watch runs at a time, as only one run does.
func openInput(on func(userInput)) (inputWatch, error) {
	if err := procSetWindowsHookEx.Find(); err != nil {
		return nil, fmt.Errorf("low-level input hooks: %w", err)
	}
	started := make(chan error, 1)
	w := &winInput{done: make(chan struct{})}
	go func() {
		defer close(w.done)
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		tid, _, _ := procGetCurrentThread.Call()
		mod, _, _ := procGetModuleHandle.Call(0)
		kh, _, err := procSetWindowsHookEx.Call(whKeyboardLL, keyboardProc, mod, 0)
		if kh == 0 {
			started <- fmt.Errorf("install the keyboard hook: %v", err)
			return
		}
		defer procUnhookWindowsHook.Call(kh)
		mh, _, err := procSetWindowsHookEx.Call(whMouseLL, mouseProc, mod, 0)
		if mh == 0 {
			started <- fmt.Errorf("install the mouse hook: %v", err)
			return
		}
		defer procUnhookWindowsHook.Call(mh)
		hooks.mu.Lock()
		hooks.on = on
		hooks.mu.Unlock()
		defer func() {
			hooks.mu.Lock()
			hooks.on = nil
			hooks.mu.Unlock()
		}()
		w.tid = tid
		started <- nil
		// The hooks are called from this loop; WM_QUIT from close ends it.
		var msg [48]byte
		for {
			r, _, _ := procGetMessageW.Call(uintptr(unsafe.Pointer(&msg[0])), 0, 0, 0)
			if int32(r) <= 0 {
				return
			}
		}
	}()
	if err := <-started; err != nil {
		<-w.done
		return nil, err
	}
	return w, nil
}

func (w *winInput) close() {
	w.once.Do(func() { procPostThreadMsgW.Call(w.tid, wmQuit, 0, 0) })
	<-w.done
}
