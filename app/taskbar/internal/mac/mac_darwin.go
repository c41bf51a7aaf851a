//go:build darwin

package mac

import (
	"fmt"
	"runtime"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
	"github.com/ebitengine/purego/objc"
)

// AppKit only works on the main thread, which fyne (GLFW) owns; Raise runs
// there, from the bar's Open on fyne's goroutine, so it calls AppKit directly
// (and does nothing on any other thread). FrontTitle runs on the hotkey's
// goroutine: it only asks NSWorkspace and NSRunningApplication, which may be
// asked from any thread, and Core Graphics' window list.

// Cocoa and Core Foundation constants (their headers').
const (
	floatingWindowLevel = 3      // NSFloatingWindowLevel: above normal windows
	moveToActiveSpace   = 1 << 1 // NSWindowCollectionBehaviorMoveToActiveSpace
	fullScreenAuxiliary = 1 << 8 // NSWindowCollectionBehaviorFullScreenAuxiliary

	windowListOnScreenOnly   = 1 << 0 // kCGWindowListOptionOnScreenOnly
	windowListExcludeDesktop = 1 << 4 // kCGWindowListExcludeDesktopElements
	nullWindowID             = 0      // kCGNullWindowID
	cfNumberSInt32Type       = 3      // kCFNumberSInt32Type
	cfNumberFloat64Type      = 6      // kCFNumberFloat64Type
	cfStringEncodingUTF8     = 0x08000100
)

var (
	macOnce sync.Once
	macErr  error

	pthreadMainNP                func() int32
	classResponds                func(cls objc.Class, sel objc.SEL) bool
	selGetName                   func(sel objc.SEL) string
	cgWindowListCopyWindowInfo   func(option, relativeTo uint32) uintptr
	cfArrayGetCount              func(a uintptr) int
	cfArrayGetValueAtIndex       func(a uintptr, i int) uintptr
	cfDictionaryGetValue         func(d, key uintptr) uintptr
	cfNumberGetValue             func(n uintptr, typ int, out unsafe.Pointer) bool
	cfStringGetLength            func(s uintptr) int
	cfStringGetMaximumSizeForEnc func(length int, enc uint32) int
	cfStringGetCString           func(s uintptr, buf *byte, size int, enc uint32) bool
	cfRelease                    func(cf uintptr)
	keyOwnerPID, keyLayer        uintptr // kCGWindowOwnerPID, kCGWindowLayer (CFStringRefs)
	keyAlpha, keyName            uintptr // kCGWindowAlpha, kCGWindowName

	clsWorkspace, clsApplication, clsEvent, clsScreen, clsPool objc.Class

	selNew, selDrain, selSharedWorkspace, selFrontmostApplication, selProcessIdentifier objc.SEL
	selLocalizedName, selSharedApplication, selActivateIgnoringOtherApps, selActivate   objc.SEL
	selMouseLocation, selScreens, selCount, selObjectAtIndex, selFrame, selVisibleFrame objc.SEL
	selSetLevel, selSetCollectionBehavior, selCollectionBehavior, selSetFrameOrigin     objc.SEL
	selMakeKeyAndOrderFront                                                             objc.SEL
)

// load binds everything this file calls, and checks that every class answers
// every selector it is sent, so that a missing piece makes the bar plainer and
// not an Objective-C exception (a crash).
func load() error {
	macOnce.Do(func() { macErr = bind() })
	return macErr
}

func bind() error {
	var firstErr error
	open := func(path string) uintptr {
		h, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_GLOBAL)
		if err != nil && firstErr == nil {
			firstErr = fmt.Errorf("load %s: %w", path, err)
		}
		return h
	}
	sym := func(h uintptr, name string) uintptr {
		if h == 0 {
			return 0
		}
		p, err := purego.Dlsym(h, name)
		if err != nil && firstErr == nil {
			firstErr = fmt.Errorf("%s: %w", name, err)
		}
		return p
	}
	fn := func(h uintptr, fptr any, name string) {
		if p := sym(h, name); p != 0 {
			purego.RegisterFunc(fptr, p)
		}
	}
	global := func(h uintptr, name string) uintptr { // a CFStringRef constant
		p := sym(h, name)
		if p == 0 {
			return 0
		}
		return **(**uintptr)(unsafe.Pointer(&p))
	}
	system := open("/usr/lib/libSystem.B.dylib")
	objclib := open("/usr/lib/libobjc.A.dylib")
	cf := open("/System/Library/Frameworks/CoreFoundation.framework/CoreFoundation")
	cg := open("/System/Library/Frameworks/CoreGraphics.framework/CoreGraphics")
	open("/System/Library/Frameworks/AppKit.framework/AppKit") // the classes below
	fn(system, &pthreadMainNP, "pthread_main_np")
	fn(objclib, &classResponds, "class_respondsToSelector")
	fn(objclib, &selGetName, "sel_getName")
	fn(cg, &cgWindowListCopyWindowInfo, "CGWindowListCopyWindowInfo")
	keyOwnerPID, keyLayer = global(cg, "kCGWindowOwnerPID"), global(cg, "kCGWindowLayer")
	keyAlpha, keyName = global(cg, "kCGWindowAlpha"), global(cg, "kCGWindowName")
	fn(cf, &cfArrayGetCount, "CFArrayGetCount")
	fn(cf, &cfArrayGetValueAtIndex, "CFArrayGetValueAtIndex")
	fn(cf, &cfDictionaryGetValue, "CFDictionaryGetValue")
	fn(cf, &cfNumberGetValue, "CFNumberGetValue")
	fn(cf, &cfStringGetLength, "CFStringGetLength")
	fn(cf, &cfStringGetMaximumSizeForEnc, "CFStringGetMaximumSizeForEncoding")
	fn(cf, &cfStringGetCString, "CFStringGetCString")
	fn(cf, &cfRelease, "CFRelease")
	if firstErr != nil {
		return firstErr
	}

	sel := objc.RegisterName
	selNew, selDrain = sel("new"), sel("drain")
	selSharedWorkspace, selFrontmostApplication = sel("sharedWorkspace"), sel("frontmostApplication")
	selProcessIdentifier, selLocalizedName = sel("processIdentifier"), sel("localizedName")
	selSharedApplication = sel("sharedApplication")
	selActivateIgnoringOtherApps, selActivate = sel("activateIgnoringOtherApps:"), sel("activate")
	selMouseLocation, selScreens, selCount = sel("mouseLocation"), sel("screens"), sel("count")
	selObjectAtIndex, selFrame, selVisibleFrame = sel("objectAtIndex:"), sel("frame"), sel("visibleFrame")
	selSetLevel, selSetFrameOrigin = sel("setLevel:"), sel("setFrameOrigin:")
	selSetCollectionBehavior, selCollectionBehavior = sel("setCollectionBehavior:"), sel("collectionBehavior")
	selMakeKeyAndOrderFront = sel("makeKeyAndOrderFront:")

	// class_respondsToSelector asks the runtime without sending a message, so
	// no class is initialised off the main thread.
	for _, c := range []struct {
		name           string
		cls            *objc.Class
		class, methods []objc.SEL
	}{
		{"NSWorkspace", &clsWorkspace, []objc.SEL{selSharedWorkspace}, []objc.SEL{selFrontmostApplication}},
		{"NSRunningApplication", nil, nil, []objc.SEL{selProcessIdentifier, selLocalizedName}},
		{"NSApplication", &clsApplication, []objc.SEL{selSharedApplication}, nil},
		{"NSEvent", &clsEvent, []objc.SEL{selMouseLocation}, nil},
		{"NSScreen", &clsScreen, []objc.SEL{selScreens}, []objc.SEL{selFrame, selVisibleFrame}},
		{"NSWindow", nil, nil, []objc.SEL{selFrame, selSetLevel, selSetFrameOrigin, selSetCollectionBehavior,
			selCollectionBehavior, selMakeKeyAndOrderFront}},
		{"NSArray", nil, nil, []objc.SEL{selCount, selObjectAtIndex}},
		{"NSAutoreleasePool", &clsPool, []objc.SEL{selNew}, []objc.SEL{selDrain}},
	} {
		cls := objc.GetClass(c.name)
		if cls == 0 {
			return fmt.Errorf("AppKit has no class %s", c.name)
		}
		meta := objc.ID(cls).Class()
		for _, s := range c.class {
			if !classResponds(meta, s) {
				return fmt.Errorf("%s does not answer +%s", c.name, selGetName(s))
			}
		}
		for _, s := range c.methods {
			if !classResponds(cls, s) {
				return fmt.Errorf("%s does not answer -%s", c.name, selGetName(s))
			}
		}
		if c.cls != nil {
			*c.cls = cls
		}
	}
	return nil
}

// FrontTitle returns the title of the frontmost application's frontmost
// window, or the application's name when that cannot be read, or "" when
// there is no frontmost application.
func FrontTitle() string {
	if load() != nil {
		return ""
	}
	// Autoreleased objects go to the pool of the thread they were made on:
	// stay on it until the pool is drained.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	pool := objc.ID(clsPool).Send(selNew)
	defer pool.Send(selDrain)
	app := objc.ID(clsWorkspace).Send(selSharedWorkspace).Send(selFrontmostApplication)
	if app == 0 {
		return ""
	}
	pid := objc.Send[int32](app, selProcessIdentifier)
	return frontTitle(windowList(), pid, cfString(uintptr(app.Send(selLocalizedName))))
}

// windowList returns the windows on the screen, front to back.
func windowList() []cgWindow {
	list := cgWindowListCopyWindowInfo(windowListOnScreenOnly|windowListExcludeDesktop, nullWindowID)
	if list == 0 {
		return nil
	}
	defer cfRelease(list)
	n := cfArrayGetCount(list)
	ws := make([]cgWindow, 0, n)
	for i := range n {
		d := cfArrayGetValueAtIndex(list, i)
		w := cgWindow{Alpha: 1}
		if !cfNumber(cfDictionaryGetValue(d, keyOwnerPID), cfNumberSInt32Type, unsafe.Pointer(&w.PID)) {
			continue
		}
		cfNumber(cfDictionaryGetValue(d, keyLayer), cfNumberSInt32Type, unsafe.Pointer(&w.Layer))
		cfNumber(cfDictionaryGetValue(d, keyAlpha), cfNumberFloat64Type, unsafe.Pointer(&w.Alpha))
		w.Name = cfString(cfDictionaryGetValue(d, keyName)) // absent without the screen recording permission
		ws = append(ws, w)
	}
	return ws
}

func cfNumber(n uintptr, typ int, out unsafe.Pointer) bool {
	return n != 0 && cfNumberGetValue(n, typ, out)
}

// cfString returns the CFString (or the NSString, the same object) s as Go
// text, "" for none.
func cfString(s uintptr) string {
	if s == 0 {
		return ""
	}
	size := cfStringGetMaximumSizeForEnc(cfStringGetLength(s), cfStringEncodingUTF8) + 1
	if size <= 1 {
		return ""
	}
	buf := make([]byte, size)
	if !cfStringGetCString(s, &buf[0], size, cfStringEncodingUTF8) {
		return ""
	}
	for i, b := range buf {
		if b == 0 {
			return string(buf[:i])
		}
	}
	return string(buf)
}

// Raise puts the window nswindow where place puts a window of its size on the
// visible frame of the screen under the mouse, at the floating window level
// (above normal windows), on the Space the user is in, and makes it the key
// window of the active application. It does nothing off the main thread,
// where AppKit must not be called.
func Raise(nswindow uintptr, place PlaceFunc) {
	if nswindow == 0 || load() != nil || pthreadMainNP() == 0 {
		return
	}
	pool := objc.ID(clsPool).Send(selNew)
	defer pool.Send(selDrain)
	win := objc.ID(nswindow)
	win.Send(selSetLevel, int(floatingWindowLevel))
	// Over a full-screen application too, and on the Space the user is in,
	// not the one the bar was last shown on.
	behavior := objc.Send[uint](win, selCollectionBehavior)
	win.Send(selSetCollectionBehavior, behavior|moveToActiveSpace|fullScreenAuxiliary)
	frame := objc.Send[cgRect](win, selFrame)
	mouse := objc.Send[cgPoint](objc.ID(clsEvent), selMouseLocation)
	if at, ok := placeCocoa(screens(), mouse, cgSize{frame.W, frame.H}, place); ok {
		win.Send(selSetFrameOrigin, at)
	}
	win.Send(selMakeKeyAndOrderFront, objc.ID(0))
	// deskhand is not the active application when the hotkey is pressed:
	// without this the bar would be the key window of an inactive
	// application, and get no keys.
	nsApp := objc.ID(clsApplication).Send(selSharedApplication)
	if classResponds(clsApplication, selActivateIgnoringOtherApps) {
		nsApp.Send(selActivateIgnoringOtherApps, true)
	} else {
		nsApp.Send(selActivate)
	}
}

// screens returns every NSScreen's frames, the main one first.
func screens() []cocoaScreen {
	list := objc.ID(clsScreen).Send(selScreens)
	if list == 0 {
		return nil
	}
	n := objc.Send[uint](list, selCount)
	ss := make([]cocoaScreen, 0, n)
	for i := range n {
		s := list.Send(selObjectAtIndex, i)
		ss = append(ss, cocoaScreen{Frame: objc.Send[cgRect](s, selFrame), Visible: objc.Send[cgRect](s, selVisibleFrame)})
	}
	return ss
}
