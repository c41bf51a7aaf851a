//go:build windows

package actuation

import (
	"fmt"
	"runtime"
	"sync"
	"syscall"
	"unsafe"
)

var (
	kernel32             = syscall.NewLazyDLL("kernel32.dll")
	procRegisterHotKey   = user32.NewProc("RegisterHotKey")
	procUnregisterHotKey = user32.NewProc("UnregisterHotKey")
	procGetMessageW      = user32.NewProc("GetMessageW")
	procPeekMessageW     = user32.NewProc("PeekMessageW")
	procPostThreadMsgW   = user32.NewProc("PostThreadMessageW")
	procGetCurrentThread = kernel32.NewProc("GetCurrentThreadId")
)

const (
	modAlt      = 0x1
	modControl  = 0x2
	modShift    = 0x4
	modWin      = 0x8
	modNoRepeat = 0x4000
	wmQuit      = 0x0012
	wmUser      = 0x0400
	wmHotkey    = 0x0312
	pmNoRemove  = 0

	errorHotkeyAlreadyRegistered = 1409
	panicHotkeyID                = 0x6468 // "dh"
)

type winMsg struct {
	hwnd    uintptr
	message uint32
	wParam  uintptr
	lParam  uintptr
	time    uint32
	pt      struct{ x, y int32 }
	private uint32
}

// virtualKeys are the Windows virtual-key codes of the canonical key names.
var virtualKeys = map[string]uint32{
	"enter": 0x0D, "tab": 0x09, "esc": 0x1B, "backspace": 0x08, "delete": 0x2E, "space": 0x20,
	"up": 0x26, "down": 0x28, "left": 0x25, "right": 0x27, "home": 0x24, "end": 0x23,
	"pageup": 0x21, "pagedown": 0x22, "insert": 0x2D, "capslock": 0x14, "printscreen": 0x2C,
	// US layout punctuation (VK_OEM_*), as pressKeys assumes a US keyboard.
	";": 0xBA, "=": 0xBB, ",": 0xBC, "-": 0xBD, ".": 0xBE, "/": 0xBF, "`": 0xC0,
	"[": 0xDB, "\\": 0xDC, "]": 0xDD, "'": 0xDE,
}

func virtualKey(k string) (uint32, bool) {
	if vk, ok := virtualKeys[k]; ok {
		return vk, true
	}
	if isFunctionKey(k) {
		var n int
		fmt.Sscanf(k, "f%d", &n)
		return 0x70 + uint32(n-1), true // VK_F1 … VK_F24
	}
	if len(k) == 1 && (k[0] >= 'a' && k[0] <= 'z' || k[0] >= '0' && k[0] <= '9') {
		return letterVK(k[0]), true
	}
	return 0, false
}

// letterVK is the virtual-key code of a letter or digit: its upper-case ASCII code.
func letterVK(c byte) uint32 {
	if c >= 'a' && c <= 'z' {
		return uint32(c - 'a' + 'A')
	}
	return uint32(c)
}

// winWatcher registers the panic key as a thread hotkey (RegisterHotKey, which
// works whatever the lock keys) and runs that thread's message loop.
type winWatcher struct {
	tid  uintptr
	once sync.Once
	done chan struct{}
}

func watchPanicKey(p PanicKey, onPress func()) (panicWatcher, error) {
	var mods, vk uint32 = modNoRepeat, 0
	for _, k := range p.pressed() {
		switch k {
		case "ctrl":
			mods |= modControl
		case "alt":
			mods |= modAlt
		case "shift":
			mods |= modShift
		case "super":
			mods |= modWin
		default:
			v, ok := virtualKey(k)
			if !ok {
				return nil, fmt.Errorf("no Windows virtual-key code for the key %q", k)
			}
			vk = v
		}
	}
	w := &winWatcher{done: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		defer close(w.done)
		runtime.LockOSThread() // the hotkey and the message queue belong to this thread
		defer runtime.UnlockOSThread()
		var m winMsg
		procPeekMessageW.Call(uintptr(unsafe.Pointer(&m)), 0, wmUser, wmUser, pmNoRemove) // create the queue
		w.tid, _, _ = procGetCurrentThread.Call()
		if r, _, e := procRegisterHotKey.Call(0, panicHotkeyID, uintptr(mods), uintptr(vk)); r == 0 {
			if errno, ok := e.(syscall.Errno); ok && errno == errorHotkeyAlreadyRegistered {
				started <- fmt.Errorf("%s: %w", p, ErrPanicKeyTaken)
			} else {
				started <- fmt.Errorf("register the hotkey %s: %w", p, e)
			}
			return
		}
		defer procUnregisterHotKey.Call(0, panicHotkeyID)
		started <- nil
		for {
			r, _, _ := procGetMessageW.Call(uintptr(unsafe.Pointer(&m)), 0, 0, 0)
			if int32(r) <= 0 { // WM_QUIT or an error
				return
			}
			if m.message == wmHotkey && m.wParam == panicHotkeyID {
				onPress()
			}
		}
	}()
	if err := <-started; err != nil {
		<-w.done
		return nil, err
	}
	return w, nil
}

func (w *winWatcher) stop() {
	w.once.Do(func() { procPostThreadMsgW.Call(w.tid, wmQuit, 0, 0) })
	<-w.done
}
