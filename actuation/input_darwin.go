//go:build darwin

package actuation

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"
	"unsafe"

	"github.com/ebitengine/purego"
)

// On macOS the user's keys and buttons are told from deskhand's by a Quartz
// event tap: every event carries the process that posted it
// (kCGEventSourceUnixProcessID), deskhand's own for robotgo's and 0 for the
// hardware's. The tap passes every event on unchanged; it is an active tap only
// because macOS grants those with the Accessibility permission deskhand already
// needs (a listen-only keyboard tap needs Input Monitoring as well). It runs on a
// thread of its own with a CFRunLoop, through purego: no cgo in this file.

const (
	cgSessionEventTap    = 1 // kCGSessionEventTap
	cgTailAppendEventTap = 1 // kCGTailAppendEventTap: after the other taps
	cgTapOptionDefault   = 0

	cgEventLeftMouseDown  = 1
	cgEventRightMouseDown = 3
	cgEventKeyDown        = 10
	cgEventOtherMouseDown = 25
	cgTapDisabledByTime   = 0xFFFFFFFE
	cgTapDisabledByUser   = 0xFFFFFFFF

	cgKeyboardEventAutorepeat = 8
	cgKeyboardEventKeycode    = 9
	cgEventSourceUnixPID      = 41
)

var (
	macInputOnce sync.Once
	macInputErr  error

	cgEventTapCreate            func(tap, place, options uint32, mask uint64, callback, info uintptr) uintptr
	cgEventTapEnable            func(port uintptr, enable bool)
	cgEventGetIntegerValueField func(ev uintptr, field uint32) int64
	axIsProcessTrusted          func() bool
	cfMachPortCreateRunLoopSrc  func(alloc, port uintptr, order int) uintptr
	cfMachPortInvalidate        func(port uintptr)
	cfRunLoopGetCurrent         func() uintptr
	cfRunLoopAddSource          func(rl, src, mode uintptr)
	cfRunLoopRun                func()
	cfRunLoopStop               func(rl uintptr)
	cfRelease                   func(cf uintptr)
	cgEventGetFlags             func(ev uintptr) uint64
	cfRunLoopCommonModes        uintptr
	tapCallback                 uintptr // macTapEvent as a C function
	panicCallback               uintptr // macPanicEvent as a C function
)

func loadMacInput() error {
	macInputOnce.Do(func() {
		var errs []error
		open := func(path string) uintptr {
			h, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_GLOBAL)
			if err != nil {
				errs = append(errs, err)
			}
			return h
		}
		bind := func(h uintptr, fptr any, name string) {
			if h == 0 {
				return
			}
			p, err := purego.Dlsym(h, name)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
				return
			}
			purego.RegisterFunc(fptr, p)
		}
		cf := open("/System/Library/Frameworks/CoreFoundation.framework/CoreFoundation")
		cg := open("/System/Library/Frameworks/CoreGraphics.framework/CoreGraphics")
		as := open("/System/Library/Frameworks/ApplicationServices.framework/ApplicationServices")
		bind(cg, &cgEventTapCreate, "CGEventTapCreate")
		bind(cg, &cgEventTapEnable, "CGEventTapEnable")
		bind(cg, &cgEventGetIntegerValueField, "CGEventGetIntegerValueField")
		bind(cg, &cgEventGetFlags, "CGEventGetFlags")
		bind(as, &axIsProcessTrusted, "AXIsProcessTrusted")
		bind(cf, &cfMachPortCreateRunLoopSrc, "CFMachPortCreateRunLoopSource")
		bind(cf, &cfMachPortInvalidate, "CFMachPortInvalidate")
		bind(cf, &cfRunLoopGetCurrent, "CFRunLoopGetCurrent")
		bind(cf, &cfRunLoopAddSource, "CFRunLoopAddSource")
		bind(cf, &cfRunLoopRun, "CFRunLoopRun")
		bind(cf, &cfRunLoopStop, "CFRunLoopStop")
		bind(cf, &cfRelease, "CFRelease")
		if cf != 0 {
			if p, err := purego.Dlsym(cf, "kCFRunLoopCommonModes"); err == nil {
				cfRunLoopCommonModes = **(**uintptr)(unsafe.Pointer(&p))
			} else {
				errs = append(errs, err)
			}
		}
		if err := errors.Join(errs...); err != nil {
			macInputErr = fmt.Errorf("watch the keyboard: %w", err)
			return
		}
		tapCallback = purego.NewCallback(macTapEvent)
		panicCallback = purego.NewCallback(macPanicEvent)
	})
	return macInputErr
}

// The running watch, for the tap's callback (only one run watches at a time).
var macWatch struct {
	mu   sync.Mutex
	on   func(userInput)
	port uintptr
	pid  int64
}

// macTapEvent is the tap's callback, on the watch's thread. It must return the
// event, or macOS drops it.
func macTapEvent(proxy uintptr, typ uint32, ev uintptr, info uintptr) uintptr {
	macWatch.mu.Lock()
	on, port, pid := macWatch.on, macWatch.port, macWatch.pid
	macWatch.mu.Unlock()
	switch typ {
	case cgTapDisabledByTime, cgTapDisabledByUser:
		if port != 0 {
			cgEventTapEnable(port, true)
		}
		return ev
	}
	if on == nil || cgEventGetIntegerValueField(ev, cgEventSourceUnixPID) == pid {
		return ev // deskhand's own
	}
	switch typ {
	case cgEventKeyDown:
		if cgEventGetIntegerValueField(ev, cgKeyboardEventAutorepeat) != 0 {
			return ev
		}
		code := uint32(cgEventGetIntegerValueField(ev, cgKeyboardEventKeycode))
		go on(userInput{Key: true, Code: code, At: time.Now()})
	case cgEventLeftMouseDown, cgEventRightMouseDown, cgEventOtherMouseDown:
		go on(userInput{Code: typ, At: time.Now()})
	}
	return ev
}

// macTap is an event tap on a thread of its own, with its run loop.
type macTap struct {
	port uintptr
	loop uintptr
	done chan struct{}
	once sync.Once
}

// startTap creates an active session tap for the events in mask, calling
// callback (a purego callback), and runs it on a thread of its own until close.
// ready is called on that thread with the tap's port before it runs, for the
// callback's state.
func startTap(mask uint64, callback uintptr, ready func(port uintptr)) (*macTap, error) {
	started := make(chan error, 1)
	t := &macTap{done: make(chan struct{})}
	go func() {
		defer close(t.done)
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		port := cgEventTapCreate(cgSessionEventTap, cgTailAppendEventTap, cgTapOptionDefault, mask, callback, 0)
		if port == 0 {
			started <- errors.New("macOS refused the event tap")
			return
		}
		defer cfRelease(port)
		defer cfMachPortInvalidate(port)
		src := cfMachPortCreateRunLoopSrc(0, port, 0)
		if src == 0 {
			started <- errors.New("no run loop source for the event tap")
			return
		}
		defer cfRelease(src)
		t.port, t.loop = port, cfRunLoopGetCurrent()
		cfRunLoopAddSource(t.loop, src, cfRunLoopCommonModes)
		ready(port)
		cgEventTapEnable(port, true)
		started <- nil
		cfRunLoopRun() // until close stops it
	}()
	if err := <-started; err != nil {
		<-t.done
		return nil, err
	}
	return t, nil
}

func (t *macTap) close() {
	// CFRunLoopStop may be called from any thread; a stop that comes before
	// CFRunLoopRun starts would be lost, so it is repeated until the thread ends.
	t.once.Do(func() {
		for {
			cfRunLoopStop(t.loop)
			select {
			case <-t.done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	})
	<-t.done
}

// macInput is the user-input watch's tap.
type macInput struct{ tap *macTap }

// openInput starts the tap. Without the Accessibility permission macOS refuses
// it; the pointer and the panic key still stop a run.
func openInput(on func(userInput)) (inputWatch, error) {
	if err := loadMacInput(); err != nil {
		return nil, err
	}
	if !axIsProcessTrusted() {
		return nil, errors.New("watch the keyboard: deskhand does not have the Accessibility permission")
	}
	mask := uint64(1<<cgEventKeyDown | 1<<cgEventLeftMouseDown | 1<<cgEventRightMouseDown | 1<<cgEventOtherMouseDown)
	t, err := startTap(mask, tapCallback, func(port uintptr) {
		macWatch.mu.Lock()
		macWatch.on, macWatch.port, macWatch.pid = on, port, int64(os.Getpid())
		macWatch.mu.Unlock()
	})
	if err != nil {
		return nil, fmt.Errorf("watch the keyboard: %w", err)
	}
	return &macInput{t}, nil
}

func (w *macInput) close() {
	w.tap.close()
	macWatch.mu.Lock()
	macWatch.on, macWatch.port = nil, 0
	macWatch.mu.Unlock()
}
