//go:build darwin

package actuation

import (
	"errors"
	"fmt"
	"os"
	"sync"
)

// On macOS the panic key is watched by an event tap (input_darwin.go), which
// also takes the combination away from the application in front: pressing it
// stops deskhand and does nothing else. Like the takeover watch, the tap needs
// the Accessibility permission deskhand already asks for.

const cgEventKeyUp = 11

// macPanic is the running panic-key watch, for the tap's callback.
var macPanic struct {
	mu      sync.Mutex
	code    int64
	flags   uint64
	onPress func()
	port    uintptr
	pid     int64
}

// macPanicEvent is the panic tap's callback: it swallows the combination (and
// its key's release) and reports each press.
func macPanicEvent(proxy uintptr, typ uint32, ev uintptr, info uintptr) uintptr {
	macPanic.mu.Lock()
	code, flags, onPress, port, pid := macPanic.code, macPanic.flags, macPanic.onPress, macPanic.port, macPanic.pid
	macPanic.mu.Unlock()
	switch typ {
	case cgTapDisabledByTime, cgTapDisabledByUser:
		if port != 0 {
			cgEventTapEnable(port, true)
		}
		return ev
	case cgEventKeyDown, cgEventKeyUp:
	default:
		return ev
	}
	if onPress == nil || cgEventGetIntegerValueField(ev, cgKeyboardEventKeycode) != code ||
		cgEventGetFlags(ev)&cgFlagMods != flags || cgEventGetIntegerValueField(ev, cgEventSourceUnixPID) == pid {
		return ev
	}
	if typ == cgEventKeyDown && cgEventGetIntegerValueField(ev, cgKeyboardEventAutorepeat) == 0 {
		go onPress()
	}
	return 0 // dropped: the application in front never sees it
}

type macPanicWatch struct{ tap *macTap }

func watchPanicKey(p PanicKey, onPress func()) (panicWatcher, error) {
	code, flags, err := macPanicKey(p)
	if err != nil {
		return nil, err
	}
	if err := loadMacInput(); err != nil {
		return nil, fmt.Errorf("the panic key: %w", err)
	}
	if !axIsProcessTrusted() {
		return nil, fmt.Errorf("the panic key needs the Accessibility permission (System Settings › Privacy & Security › Accessibility): %w", errors.ErrUnsupported)
	}
	t, err := startTap(1<<cgEventKeyDown|1<<cgEventKeyUp, panicCallback, func(port uintptr) {
		macPanic.mu.Lock()
		macPanic.code, macPanic.flags, macPanic.onPress, macPanic.port, macPanic.pid = code, flags, onPress, port, int64(os.Getpid())
		macPanic.mu.Unlock()
	})
	if err != nil {
		return nil, fmt.Errorf("the panic key: %w", err)
	}
	return &macPanicWatch{t}, nil
}

func (w *macPanicWatch) stop() {
	w.tap.close()
	macPanic.mu.Lock()
	macPanic.onPress, macPanic.port = nil, 0
	macPanic.mu.Unlock()
}
