//go:build darwin

package overlay

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/ebitengine/purego"
	"github.com/ebitengine/purego/objc"
)

// The macOS overlay, without cgo: AppKit, Core Graphics and libdispatch called
// through purego. Its windows are borderless non-activating NSPanels above
// normal windows, on every Space and over full-screen applications: the marker
// transparent to the mouse, the panel taking clicks without activating
// deskhand, so the application the action is for keeps the keyboard focus.
//
// AppKit only works on the main thread, and fyne (GLFW) owns it and runs its
// event loop there. Every AppKit call is therefore a job handed to the main
// dispatch queue, which that loop drains; the caller waits for the job over a
// channel. Events come back the same way: a local event monitor (a block
// AppKit calls on the main thread) reports clicks on the overlay's windows,
// and an event tap reports the answer keys.
//
// The keys are taken with an active Quartz event tap rather than a global
// NSEvent monitor: a global monitor only watches, so the Return that approves
// would also reach the application the action is for (and submit its form),
// and an S or E would be typed into it. The tap removes the answer keys from
// the event stream while the prompt waits, as the X11 overlay's key grabs do.
// It needs the Accessibility permission deskhand already asks for; without it
// the panel's buttons (and the app's window) still answer.

// Cocoa constants (AppKit's and Core Graphics' headers).
const (
	styleBorderless         = 0
	styleNonactivatingPanel = 1 << 7
	backingBuffered         = 2
	statusWindowLevel       = 25 // NSStatusWindowLevel: above normal and floating windows
	canJoinAllSpaces        = 1 << 0
	ignoresCycle            = 1 << 6 // not in Command-` window cycling
	fullScreenAuxiliary     = 1 << 8
	animationNone           = 2 // NSWindowAnimationBehaviorNone: orderOut takes effect at once
	imageScaleAxes          = 1 // NSImageScaleAxesIndependently: a 2x picture fills its points
	maskLeftMouseDown       = 1 << 1

	alphaPremultipliedLast = 1       // kCGImageAlphaPremultipliedLast
	byteOrder32Big         = 4 << 12 // kCGBitmapByteOrder32Big: R, G, B, A in memory

	sessionEventTap   = 1 // kCGSessionEventTap
	headInsertTap     = 0 // kCGHeadInsertEventTap
	tapOptionDefault  = 0 // an active tap: it may drop events
	eventKeyDown      = 10
	eventKeyUp        = 11
	tapDisabledByTime = 0xFFFFFFFE // kCGEventTapDisabledByTimeout
	tapDisabledByUser = 0xFFFFFFFF // kCGEventTapDisabledByUserInput
	fieldAutorepeat   = 8          // kCGKeyboardEventAutorepeat
	fieldKeycode      = 9          // kCGKeyboardEventKeycode
)

// How long the overlay waits for the main thread before it gives up (and the
// app's window asks alone), and how long a window needs to leave the screen
// after orderOut: before a capture: the window server composes the next frame
// on the display's refresh, a few milliseconds later.
const (
	mainWait   = 5 * time.Second
	closeWait  = 2 * time.Second
	hideSettle = 50 * time.Millisecond
)

// The C functions, classes and selectors the overlay uses, loaded once.
var (
	loadOnce sync.Once
	errLoad  error

	dispatchAsyncF func(queue, context, work uintptr)
	pthreadMainNP  func() int32
	mainQueue      uintptr // &_dispatch_main_q, what dispatch_get_main_queue() returns
	classResponds  func(cls objc.Class, sel objc.SEL) bool
	selGetName     func(sel objc.SEL) string

	cgColorSpaceCreateWithName  func(name uintptr) uintptr
	cgColorSpaceCreateDeviceRGB func() uintptr
	cgColorSpaceRelease         func(space uintptr)
	cgBitmapContextCreate       func(data unsafe.Pointer, w, h, bitsPerComponent, bytesPerRow, space uintptr, info uint32) uintptr
	cgBitmapContextGetData      func(c uintptr) unsafe.Pointer
	cgBitmapContextBytesPerRow  func(c uintptr) uintptr
	cgBitmapContextCreateImage  func(c uintptr) uintptr
	cgContextRelease            func(c uintptr)
	cgImageRelease              func(img uintptr)
	cgColorSpaceSRGB            uintptr // the CFString kCGColorSpaceSRGB

	axIsProcessTrusted          func() bool
	cgEventTapCreate            func(tap, place, options uint32, mask uint64, callback, info uintptr) uintptr
	cgEventTapEnable            func(port uintptr, enable bool)
	cgEventGetIntegerValueField func(ev uintptr, field uint32) int64
	cgEventGetFlags             func(ev uintptr) uint64
	cfMachPortCreateRunLoopSrc  func(alloc, port uintptr, order int) uintptr
	cfMachPortInvalidate        func(port uintptr)
	cfRunLoopGetMain            func() uintptr
	cfRunLoopAddSource          func(rl, src, mode uintptr)
	cfRunLoopRemoveSource       func(rl, src, mode uintptr)
	cfRelease                   func(cf uintptr)
	cfRunLoopCommonModes        uintptr // the CFString kCFRunLoopCommonModes

	jobTrampoline uintptr // runJob as a C function
	tapTrampoline uintptr // tapEvent as a C function

	clsPanel, clsColor, clsImage, clsImageView, clsScreen, clsEvent, clsCursor, clsPool objc.Class

	selAlloc, selInit, selNew, selRelease, selRetain, selDrain                        objc.SEL
	selInitWithContentRect, selSetLevel, selSetOpaque, selSetBackgroundColor          objc.SEL
	selSetHasShadow, selSetIgnoresMouseEvents, selSetCollectionBehavior               objc.SEL
	selSetContentView, selOrderFrontRegardless, selOrderOut, selSetReleasedWhenClosed objc.SEL
	selSetHidesOnDeactivate, selSetBecomesKeyOnlyIfNeeded, selSetAnimationBehavior    objc.SEL
	selFrame, selWindow, selLocationInWindow, selClearColor, selColorWithWhiteAlpha   objc.SEL
	selInitWithCGImageSize, selInitWithFrame, selSetImage, selSetImageScaling         objc.SEL
	selScreens, selCount, selObjectAtIndex, selBackingScaleFactor                     objc.SEL
	selAddLocalMonitor, selRemoveMonitor, selCrosshairCursor, selPush, selPop         objc.SEL
)

// library is a dynamic library whose symbols are bound one after the other;
// the first missing one is its error.
type library struct {
	name string
	h    uintptr
	err  error
}

func openLibrary(path string) *library {
	h, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_GLOBAL)
	if err != nil {
		return &library{name: path, err: fmt.Errorf("load %s: %w", path, err)}
	}
	return &library{name: path, h: h}
}

// sym is the address of symbol name.
func (l *library) sym(name string) uintptr {
	if l.err != nil {
		return 0
	}
	p, err := purego.Dlsym(l.h, name)
	if err != nil {
		l.err = fmt.Errorf("%s has no %s: %w", l.name, name, err)
		return 0
	}
	return p
}

// fn binds the C function name to the Go function *fptr.
func (l *library) fn(fptr any, name string) {
	if p := l.sym(name); p != 0 {
		purego.RegisterFunc(fptr, p)
	}
}

// global is the value of the pointer-sized C global variable name (a
// CFStringRef constant).
func (l *library) global(name string) uintptr {
	p := l.sym(name)
	if p == 0 {
		return 0
	}
	return **(**uintptr)(unsafe.Pointer(&p))
}

// load binds everything the overlay calls and checks that every class answers
// every selector it is sent, so a missing piece is an error from Open and not
// an Objective-C exception (a crash) in the middle of a prompt.
func load() error {
	loadOnce.Do(func() { errLoad = loadCocoa() })
	return errLoad
}

func loadCocoa() error {
	libs := []*library{
		openLibrary("/usr/lib/libSystem.B.dylib"),
		openLibrary("/usr/lib/libobjc.A.dylib"),
		openLibrary("/System/Library/Frameworks/CoreFoundation.framework/CoreFoundation"),
		openLibrary("/System/Library/Frameworks/CoreGraphics.framework/CoreGraphics"),
		openLibrary("/System/Library/Frameworks/Foundation.framework/Foundation"),
		openLibrary("/System/Library/Frameworks/AppKit.framework/AppKit"),
		openLibrary("/System/Library/Frameworks/ApplicationServices.framework/ApplicationServices"),
	}
	system, objclib, cf, cg, as := libs[0], libs[1], libs[2], libs[3], libs[6]
	system.fn(&dispatchAsyncF, "dispatch_async_f")
	system.fn(&pthreadMainNP, "pthread_main_np")
	mainQueue = system.sym("_dispatch_main_q")
	objclib.fn(&classResponds, "class_respondsToSelector")
	objclib.fn(&selGetName, "sel_getName")

	cg.fn(&cgColorSpaceCreateWithName, "CGColorSpaceCreateWithName")
	cg.fn(&cgColorSpaceCreateDeviceRGB, "CGColorSpaceCreateDeviceRGB")
	cg.fn(&cgColorSpaceRelease, "CGColorSpaceRelease")
	cg.fn(&cgBitmapContextCreate, "CGBitmapContextCreate")
	cg.fn(&cgBitmapContextGetData, "CGBitmapContextGetData")
	cg.fn(&cgBitmapContextBytesPerRow, "CGBitmapContextGetBytesPerRow")
	cg.fn(&cgBitmapContextCreateImage, "CGBitmapContextCreateImage")
	cg.fn(&cgContextRelease, "CGContextRelease")
	cg.fn(&cgImageRelease, "CGImageRelease")
	cgColorSpaceSRGB = cg.global("kCGColorSpaceSRGB")
	as.fn(&axIsProcessTrusted, "AXIsProcessTrusted")
	cg.fn(&cgEventTapCreate, "CGEventTapCreate")
	cg.fn(&cgEventTapEnable, "CGEventTapEnable")
	cg.fn(&cgEventGetIntegerValueField, "CGEventGetIntegerValueField")
	cg.fn(&cgEventGetFlags, "CGEventGetFlags")

	cf.fn(&cfMachPortCreateRunLoopSrc, "CFMachPortCreateRunLoopSource")
	cf.fn(&cfMachPortInvalidate, "CFMachPortInvalidate")
	cf.fn(&cfRunLoopGetMain, "CFRunLoopGetMain")
	cf.fn(&cfRunLoopAddSource, "CFRunLoopAddSource")
	cf.fn(&cfRunLoopRemoveSource, "CFRunLoopRemoveSource")
	cf.fn(&cfRelease, "CFRelease")
	cfRunLoopCommonModes = cf.global("kCFRunLoopCommonModes")

	for _, l := range libs {
		if l.err != nil {
			return fmt.Errorf("%w: %v", ErrUnsupported, l.err)
		}
	}
	if mainQueue == 0 || cfRunLoopCommonModes == 0 {
		return fmt.Errorf("%w: libdispatch's main queue or CFRunLoop's common modes are missing", ErrUnsupported)
	}

	sel := objc.RegisterName
	selAlloc, selInit, selNew, selRelease, selRetain, selDrain = sel("alloc"), sel("init"), sel("new"), sel("release"), sel("retain"), sel("drain")
	selInitWithContentRect = sel("initWithContentRect:styleMask:backing:defer:")
	selSetLevel, selSetOpaque, selSetBackgroundColor = sel("setLevel:"), sel("setOpaque:"), sel("setBackgroundColor:")
	selSetHasShadow, selSetIgnoresMouseEvents = sel("setHasShadow:"), sel("setIgnoresMouseEvents:")
	selSetCollectionBehavior, selSetContentView = sel("setCollectionBehavior:"), sel("setContentView:")
	selOrderFrontRegardless, selOrderOut = sel("orderFrontRegardless"), sel("orderOut:")
	selSetReleasedWhenClosed, selSetHidesOnDeactivate = sel("setReleasedWhenClosed:"), sel("setHidesOnDeactivate:")
	selSetBecomesKeyOnlyIfNeeded, selSetAnimationBehavior = sel("setBecomesKeyOnlyIfNeeded:"), sel("setAnimationBehavior:")
	selFrame, selWindow, selLocationInWindow = sel("frame"), sel("window"), sel("locationInWindow")
	selClearColor, selColorWithWhiteAlpha = sel("clearColor"), sel("colorWithCalibratedWhite:alpha:")
	selInitWithCGImageSize, selInitWithFrame = sel("initWithCGImage:size:"), sel("initWithFrame:")
	selSetImage, selSetImageScaling = sel("setImage:"), sel("setImageScaling:")
	selScreens, selCount, selObjectAtIndex, selBackingScaleFactor = sel("screens"), sel("count"), sel("objectAtIndex:"), sel("backingScaleFactor")
	selAddLocalMonitor, selRemoveMonitor = sel("addLocalMonitorForEventsMatchingMask:handler:"), sel("removeMonitor:")
	selCrosshairCursor, selPush, selPop = sel("crosshairCursor"), sel("push"), sel("pop")

	// Class and instance methods each class must have. class_respondsToSelector
	// asks the runtime without sending a message, so no class is initialised
	// off the main thread.
	for _, c := range []struct {
		name    string
		cls     *objc.Class
		class   []objc.SEL
		methods []objc.SEL
	}{
		{"NSPanel", &clsPanel, []objc.SEL{selAlloc}, []objc.SEL{selInitWithContentRect, selSetLevel, selSetOpaque,
			selSetBackgroundColor, selSetHasShadow, selSetIgnoresMouseEvents, selSetCollectionBehavior, selSetContentView,
			selOrderFrontRegardless, selOrderOut, selSetReleasedWhenClosed, selSetHidesOnDeactivate,
			selSetBecomesKeyOnlyIfNeeded, selSetAnimationBehavior, selFrame, selRelease, selRetain}},
		{"NSColor", &clsColor, []objc.SEL{selClearColor, selColorWithWhiteAlpha}, nil},
		{"NSImage", &clsImage, []objc.SEL{selAlloc}, []objc.SEL{selInitWithCGImageSize, selRelease}},
		{"NSImageView", &clsImageView, []objc.SEL{selAlloc}, []objc.SEL{selInitWithFrame, selSetImage, selSetImageScaling, selRelease}},
		{"NSScreen", &clsScreen, []objc.SEL{selScreens}, []objc.SEL{selFrame, selBackingScaleFactor}},
		{"NSEvent", &clsEvent, []objc.SEL{selAddLocalMonitor, selRemoveMonitor}, []objc.SEL{selWindow, selLocationInWindow}},
		{"NSCursor", &clsCursor, []objc.SEL{selCrosshairCursor}, []objc.SEL{selPush, selPop}},
		{"NSAutoreleasePool", &clsPool, []objc.SEL{selNew}, []objc.SEL{selDrain}},
	} {
		cls := objc.GetClass(c.name)
		if cls == 0 {
			return fmt.Errorf("%w: AppKit has no class %s", ErrUnsupported, c.name)
		}
		meta := objc.ID(cls).Class()
		for _, s := range c.class {
			if !classResponds(meta, s) {
				return fmt.Errorf("%w: %s does not answer +%s", ErrUnsupported, c.name, selGetName(s))
			}
		}
		for _, s := range c.methods {
			if !classResponds(cls, s) {
				return fmt.Errorf("%w: %s does not answer -%s", ErrUnsupported, c.name, selGetName(s))
			}
		}
		if c.cls != nil {
			*c.cls = cls
		}
	}

	jobTrampoline = purego.NewCallback(runJob)
	tapTrampoline = purego.NewCallback(tapEvent)
	return nil
}

// The jobs handed to the main queue, by the number dispatch_async_f passes
// back to runJob (a number, not a Go pointer, crosses into C).
var (
	jobsMu  sync.Mutex
	jobs    = map[uintptr]func(){}
	nextJob uintptr
)

// runJob runs job id on the main thread: libdispatch calls it.
func runJob(id uintptr) {
	jobsMu.Lock()
	f := jobs[id]
	delete(jobs, id)
	jobsMu.Unlock()
	if f != nil {
		f()
	}
}

// The states of a job handed to the main queue: a job that has not started
// when its caller stops waiting never runs, so a prompt given up on does not
// appear later with nobody to take it down.
const (
	jobQueued int32 = iota
	jobRunning
	jobAbandoned
)

// onMain runs f on the main thread, in an autorelease pool, and returns its
// error. If ctx ends before f starts, f never runs; once it has started, onMain
// waits for it (jobs are short and never block).
func onMain(ctx context.Context, f func() error) error {
	done, state := post(f)
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		if state.CompareAndSwap(jobQueued, jobAbandoned) {
			return fmt.Errorf("the main thread did not answer: %w", context.Cause(ctx))
		}
		return <-done
	}
}

// onMainAlways runs f on the main thread and waits for it at most wait; f runs
// even if it comes later (taking the overlay down must happen).
func onMainAlways(wait time.Duration, f func() error) {
	done, _ := post(f)
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	}
}

// post hands f to the main queue, or runs it at once on the main thread
// (Close, deferred by the app's main function, runs there).
func post(f func() error) (<-chan error, *atomic.Int32) {
	done := make(chan error, 1)
	state := new(atomic.Int32)
	job := func() {
		if !state.CompareAndSwap(jobQueued, jobRunning) {
			return
		}
		var err error
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("overlay: %v", r)
			}
			done <- err
		}()
		pool := objc.ID(clsPool).Send(selNew)
		defer pool.Send(selDrain)
		err = f()
	}
	if pthreadMainNP() != 0 {
		job()
		return done, state
	}
	jobsMu.Lock()
	nextJob++
	id := nextJob
	jobs[id] = job
	jobsMu.Unlock()
	dispatchAsyncF(mainQueue, id, jobTrampoline)
	return done, state
}

// Overlay shows prompts on the Mac's screens in non-activating panels.
type Overlay struct {
	id        uintptr    // the event tap's user data: taps[id] is this overlay
	events    chan input // clicks and keys from the main thread
	clicks    objc.Block // the local mouse-down monitor's handler
	closeOnce sync.Once

	mu    sync.Mutex
	shown []objc.ID // marker and panel on the screen now, for Hide
	tap   uintptr   // the event tap of the prompt waiting, to re-enable it
	askMu sync.Mutex
}

// input is a click on one of the overlay's windows, or an answer key.
type input struct {
	key    Choice      // the key's answer; "" for a click
	window objc.ID     // the window clicked
	in     image.Point // where, from the window's top-left, y down
	at     image.Point // where, in actuation space
}

// The overlays by id, for the event tap's callback.
var (
	tapsMu sync.Mutex
	taps   = map[uintptr]*Overlay{}
	nextID uintptr
)

// Open loads AppKit and the rest through purego. It returns an error wrapping
// ErrUnsupported when a framework, function, class or method is missing: the
// app then asks in its own window. It shows nothing and needs no main thread:
// the app opens the overlay before fyne's event loop runs.
func Open() (*Overlay, error) {
	if err := load(); err != nil {
		return nil, err
	}
	o := &Overlay{events: make(chan input, 64)}
	o.clicks = objc.NewBlock(func(_ objc.Block, ev objc.ID) objc.ID {
		o.mouseDown(ev)
		return ev // the window still gets its click
	})
	tapsMu.Lock()
	nextID++
	o.id = nextID
	taps[o.id] = o
	tapsMu.Unlock()
	return o, nil
}

// Close forgets the overlay. Ask has taken its windows, monitor and tap down
// before returning, so there is nothing on the screen to remove.
func (o *Overlay) Close() {
	o.closeOnce.Do(func() {
		tapsMu.Lock()
		delete(taps, o.id)
		tapsMu.Unlock()
		o.clicks.Release()
	})
}

// send passes an event on without blocking the main thread: events nobody
// waits for are only ever answers to a prompt, and a prompt drains the channel
// when it starts.
func (o *Overlay) send(in input) {
	select {
	case o.events <- in:
	default:
	}
}

// mouseDown reports a left click on one of deskhand's windows; it runs on the
// main thread, from the local monitor, before the window handles the click.
func (o *Overlay) mouseDown(ev objc.ID) {
	win := ev.Send(selWindow)
	if win == 0 {
		return
	}
	loc := objc.Send[cgPoint](ev, selLocationInWindow)
	f := objc.Send[cgRect](win, selFrame)
	o.send(input{
		window: win,
		in:     inWindow(loc, f.H),
		at:     fromCocoa(cgPoint{f.X + loc.X, f.Y + loc.Y}, mainHeight()),
	})
}

// tapEvent is the event tap's callback, on the main thread: it takes the
// answer keys out of the event stream and reports their presses.
func tapEvent(proxy uintptr, typ uint32, ev uintptr, info uintptr) uintptr {
	tapsMu.Lock()
	o := taps[info]
	tapsMu.Unlock()
	if o == nil {
		return ev
	}
	switch typ {
	case tapDisabledByTime, tapDisabledByUser:
		// macOS turns a tap off if the main thread was too slow to answer;
		// the prompt still waits, so turn it back on.
		o.mu.Lock()
		port := o.tap
		o.mu.Unlock()
		if port != 0 {
			cgEventTapEnable(port, true)
		}
		return ev
	case eventKeyDown, eventKeyUp:
		choice, ok := keyChoice(cgEventGetIntegerValueField(ev, fieldKeycode), cgEventGetFlags(ev))
		if !ok {
			return ev
		}
		// A held key repeats: only its first press answers, so holding Enter
		// approves one prompt, not the next one too.
		if typ == eventKeyDown && cgEventGetIntegerValueField(ev, fieldAutorepeat) == 0 {
			o.send(input{key: choice})
		}
		return 0 // taken: the application under the overlay never sees it
	}
	return ev
}

// Ask shows p and waits for the user's answer, or for ctx. The windows are gone
// and the keys released when it returns. It must not run on the main thread,
// which delivers the answers.
func (o *Overlay) Ask(ctx context.Context, p Prompt) (Answer, error) {
	if pthreadMainNP() != 0 {
		return Answer{}, errors.New("the overlay cannot ask on the main thread: it delivers the answers")
	}
	o.askMu.Lock()
	defer o.askMu.Unlock()
	panel, err := RenderPanel(p)
	if err != nil {
		return Answer{}, err
	}
	for len(o.events) > 0 { // answers to an earlier prompt
		<-o.events
	}
	s := &session{o: o, buttons: panel}
	defer s.close()
	if err := s.show(ctx, p); err != nil {
		return Answer{}, fmt.Errorf("show the overlay: %w", err)
	}
	next := func(ctx context.Context) (Choice, bool, error) {
		select {
		case <-ctx.Done():
			return "", false, context.Cause(ctx)
		case ev := <-o.events:
			c, ok := s.choice(ev)
			return c, ok, nil
		}
	}
	return await(ctx, p, next, s.pick)
}

// session is one prompt's windows, monitor and tap. Its Cocoa fields are only
// touched on the main thread; Ask reads the window ids after show has returned.
type session struct {
	o       *Overlay
	buttons Panel
	marker  objc.ID
	panel   objc.ID
	picks   []objc.ID // the windows that take the click of an Edit
	monitor objc.ID
	tap     uintptr // CFMachPortRef
	source  uintptr // its CFRunLoopSourceRef
	cursor  bool    // the crosshair is pushed
}

// show puts the marker and the panel on the screen, and starts taking the
// answer keys.
func (s *session) show(ctx context.Context, p Prompt) error {
	// The panel's place is worked out here: only AppKit calls need the main
	// thread, and it is shared with the app's own window.
	at := PlacePanel(p, s.buttons.Image.Bounds().Size())
	rs := Marker(p.Action)
	ctx, cancel := context.WithTimeout(ctx, mainWait)
	defer cancel()
	return onMain(ctx, func() error { return s.build(at, rs) })
}

// build runs on the main thread.
func (s *session) build(at image.Rectangle, rs []image.Rectangle) error {
	mainH := mainHeight()
	if mainH <= 0 {
		return errors.New("AppKit reports no display")
	}
	if len(rs) > 0 {
		b := Bounds(rs)
		frame := toCocoa(b, mainH)
		img, _ := markerImage(rs, scaleAt(frame))
		s.marker = newPanel(frame, false)
		if err := setPicture(s.marker, img, b.Size()); err != nil {
			return fmt.Errorf("draw the marker: %w", err)
		}
	}
	s.panel = newPanel(toCocoa(at, mainH), true)
	if err := setPicture(s.panel, s.buttons.Image, at.Size()); err != nil {
		return fmt.Errorf("draw the panel: %w", err)
	}
	// The local monitor sees the clicks AppKit hands to deskhand's windows,
	// which a non-activating panel receives without the app becoming active.
	s.monitor = objc.ID(clsEvent).Send(selAddLocalMonitor, uint64(maskLeftMouseDown), s.o.clicks)
	if s.monitor != 0 {
		s.monitor.Send(selRetain) // ours until removeMonitor:
	}
	s.startTap()
	ws := s.windows()
	for _, w := range ws {
		w.Send(selOrderFrontRegardless) // in front without activating deskhand
	}
	s.o.mu.Lock()
	s.o.shown = ws
	s.o.mu.Unlock()
	return nil
}

// startTap takes the answer keys for the prompt. Without the Accessibility
// permission macOS refuses the tap (or, with nothing left to tap, raises), so
// it is not asked for: the buttons alone answer.
func (s *session) startTap() {
	if !axIsProcessTrusted() {
		return
	}
	mask := uint64(1)<<eventKeyDown | uint64(1)<<eventKeyUp
	port := cgEventTapCreate(sessionEventTap, headInsertTap, tapOptionDefault, mask, tapTrampoline, s.o.id)
	if port == 0 {
		return
	}
	src := cfMachPortCreateRunLoopSrc(0, port, 0)
	if src == 0 {
		cfMachPortInvalidate(port)
		cfRelease(port)
		return
	}
	cfRunLoopAddSource(cfRunLoopGetMain(), src, cfRunLoopCommonModes)
	cgEventTapEnable(port, true)
	s.tap, s.source = port, src
	s.o.mu.Lock()
	s.o.tap = port
	s.o.mu.Unlock()
}

// windows are the marker and the panel, those that exist, the marker last so
// it is ordered above the panel.
func (s *session) windows() []objc.ID {
	var ws []objc.ID
	for _, w := range []objc.ID{s.panel, s.marker} {
		if w != 0 {
			ws = append(ws, w)
		}
	}
	return ws
}

// choice is the answer ev carries, if any: an answer key, or a click on a
// panel button.
func (s *session) choice(ev input) (Choice, bool) {
	if ev.key != "" {
		return ev.key, true
	}
	if ev.window != 0 && ev.window == s.panel {
		return s.buttons.ButtonAt(ev.in)
	}
	return "", false
}

// close takes the prompt off the screen, stops the monitor and the tap, and
// waits (a while) until the main thread has done so: gone before the action
// runs.
func (s *session) close() {
	onMainAlways(closeWait, func() error {
		s.closePick()
		if s.monitor != 0 {
			objc.ID(clsEvent).Send(selRemoveMonitor, s.monitor)
			s.monitor.Send(selRelease)
			s.monitor = 0
		}
		if s.tap != 0 {
			cgEventTapEnable(s.tap, false)
			cfRunLoopRemoveSource(cfRunLoopGetMain(), s.source, cfRunLoopCommonModes)
			cfMachPortInvalidate(s.tap)
			cfRelease(s.source)
			cfRelease(s.tap)
			s.tap, s.source = 0, 0
		}
		s.o.mu.Lock()
		s.o.shown, s.o.tap = nil, 0
		s.o.mu.Unlock()
		for _, w := range s.windows() {
			w.Send(selOrderOut, objc.ID(0))
			w.Send(selRelease)
		}
		s.marker, s.panel = 0, 0
		return nil
	})
}

// pick lets the user click the point to use instead: a window over each
// display takes the click, under a crosshair pointer; ok is false if they
// press Esc. The windows are veiled with 5% black, barely a dimming: AppKit
// passes clicks through the fully transparent parts of a window, and below
// about 5% too, unless ignoresMouseEvents is set to NO explicitly, which
// newPanel does.
func (s *session) pick(ctx context.Context) (image.Point, bool, error) {
	wctx, cancel := context.WithTimeout(ctx, mainWait)
	err := onMain(wctx, s.buildPick)
	cancel()
	defer onMainAlways(closeWait, func() error { s.closePick(); return nil })
	if err != nil {
		return image.Point{}, false, fmt.Errorf("pick a point: %w", err)
	}
	for {
		select {
		case <-ctx.Done():
			return image.Point{}, false, context.Cause(ctx)
		case ev := <-s.o.events:
			if ev.key == Stop {
				return image.Point{}, false, nil
			}
			for _, w := range s.picks {
				if ev.window == w {
					return ev.at, true, nil
				}
			}
		}
	}
}

// buildPick runs on the main thread. Each display gets its own window: with
// "Displays have separate Spaces" (the default) a window shows on one display
// only.
func (s *session) buildPick() error {
	screens := objc.ID(clsScreen).Send(selScreens)
	n := int(screens.Send(selCount))
	if n == 0 {
		return errors.New("AppKit reports no display")
	}
	veil := objc.ID(clsColor).Send(selColorWithWhiteAlpha, 0.0, 0.05)
	for i := 0; i < n; i++ {
		frame := objc.Send[cgRect](screens.Send(selObjectAtIndex, uint64(i)), selFrame)
		w := newPanel(frame, true)
		w.Send(selSetBackgroundColor, veil)
		w.Send(selOrderFrontRegardless)
		s.picks = append(s.picks, w)
	}
	// An application that is not active may not get to change the pointer:
	// the crosshair is a hint, the click works without it.
	objc.ID(clsCursor).Send(selCrosshairCursor).Send(selPush)
	s.cursor = true
	return nil
}

// closePick runs on the main thread.
func (s *session) closePick() {
	for _, w := range s.picks {
		w.Send(selOrderOut, objc.ID(0))
		w.Send(selRelease)
	}
	s.picks = nil
	if s.cursor {
		objc.ID(clsCursor).Send(selCrosshairCursor).Send(selPop)
		s.cursor = false
	}
}

// newPanel makes a borderless non-activating panel at frame (Cocoa's screen
// space) above normal windows, on every Space and over full-screen
// applications, transparent where nothing is drawn; clicks says whether it
// takes clicks or lets them through to the window below. It is not on the
// screen yet. Main thread.
func newPanel(frame cgRect, clicks bool) objc.ID {
	w := objc.ID(clsPanel).Send(selAlloc).Send(selInitWithContentRect, frame,
		uint64(styleBorderless|styleNonactivatingPanel), uint64(backingBuffered), false)
	w.Send(selSetReleasedWhenClosed, false)
	// A panel hides when its application is not active, and deskhand is not:
	// the application the action is for is.
	w.Send(selSetHidesOnDeactivate, false)
	w.Send(selSetLevel, int64(statusWindowLevel))
	w.Send(selSetOpaque, false)
	w.Send(selSetBackgroundColor, objc.ID(clsColor).Send(selClearColor))
	w.Send(selSetHasShadow, false)
	w.Send(selSetIgnoresMouseEvents, !clicks)
	w.Send(selSetCollectionBehavior, uint64(canJoinAllSpaces|fullScreenAuxiliary|ignoresCycle))
	w.Send(selSetAnimationBehavior, int64(animationNone))
	w.Send(selSetBecomesKeyOnlyIfNeeded, true) // nothing in it wants the keyboard: never key
	return w
}

// setPicture makes img, shown size points large, the content of window w.
// Main thread.
func setPicture(w objc.ID, img *image.RGBA, size image.Point) error {
	cg, err := cgImage(img)
	if err != nil {
		return err
	}
	pic := objc.ID(clsImage).Send(selAlloc).Send(selInitWithCGImageSize, cg, cgSize{float64(size.X), float64(size.Y)})
	cgImageRelease(cg) // the NSImage holds it
	if pic == 0 {
		return errors.New("AppKit refused the picture")
	}
	view := objc.ID(clsImageView).Send(selAlloc).Send(selInitWithFrame, cgRect{0, 0, float64(size.X), float64(size.Y)})
	view.Send(selSetImageScaling, uint64(imageScaleAxes))
	view.Send(selSetImage, pic)
	pic.Send(selRelease)
	w.Send(selSetContentView, view)
	view.Send(selRelease)
	return nil
}

// cgImage copies img into a Core Graphics image. The pixels go into memory
// Core Graphics allocates (a bitmap context's), so C never holds Go memory,
// and every call passes its arguments in registers.
func cgImage(img *image.RGBA) (uintptr, error) {
	pix, w, h := cgPixels(img)
	if w == 0 || h == 0 {
		return 0, errors.New("empty picture")
	}
	space := uintptr(0)
	if cgColorSpaceSRGB != 0 {
		space = cgColorSpaceCreateWithName(cgColorSpaceSRGB) // the Go colours are sRGB
	}
	if space == 0 {
		space = cgColorSpaceCreateDeviceRGB()
	}
	defer cgColorSpaceRelease(space)
	c := cgBitmapContextCreate(nil, uintptr(w), uintptr(h), 8, uintptr(4*w), space, alphaPremultipliedLast|byteOrder32Big)
	if c == 0 {
		return 0, fmt.Errorf("Core Graphics refused a %dx%d bitmap", w, h)
	}
	defer cgContextRelease(c)
	data, stride := cgBitmapContextGetData(c), int(cgBitmapContextBytesPerRow(c))
	if data == nil || stride < 4*w {
		return 0, errors.New("Core Graphics gave no bitmap memory")
	}
	dst := unsafe.Slice((*byte)(data), stride*h)
	for y := 0; y < h; y++ {
		copy(dst[stride*y:stride*y+4*w], pix[4*w*y:4*w*(y+1)])
	}
	im := cgBitmapContextCreateImage(c)
	if im == 0 {
		return 0, errors.New("Core Graphics made no image")
	}
	return im, nil
}

// mainHeight is the height in points of the main display (the first screen,
// with the menu bar): the flip between actuation space and Cocoa's. Main
// thread.
func mainHeight() float64 {
	screens := objc.ID(clsScreen).Send(selScreens)
	if screens == 0 || screens.Send(selCount) == 0 {
		return 0
	}
	return objc.Send[cgRect](screens.Send(selObjectAtIndex, uint64(0)), selFrame).H
}

// scaleAt is the pixels per point of the display under the middle of r
// (Cocoa's space), 1 where there is none: the marker is drawn at the display's
// resolution so its edges are sharp on a Retina display. Main thread.
func scaleAt(r cgRect) int {
	cx, cy := r.X+r.W/2, r.Y+r.H/2
	screens := objc.ID(clsScreen).Send(selScreens)
	n := int(screens.Send(selCount))
	for i := 0; i < n; i++ {
		sc := screens.Send(selObjectAtIndex, uint64(i))
		f := objc.Send[cgRect](sc, selFrame)
		if cx >= f.X && cx < f.X+f.W && cy >= f.Y && cy < f.Y+f.H {
			return max(1, int(math.Round(objc.Send[float64](sc, selBackingScaleFactor))))
		}
	}
	return 1
}

// Hide takes the overlay off the screen for a capture and returns the function
// that puts it back, or nil when nothing was shown; it is a perception.Capturer
// Hide hook. The windows' list is read on the main thread, where Ask's close
// changes it, so a prompt that ends meanwhile is never touched after it is
// gone. orderOut: removes a window without animation (see newPanel); the
// window server shows the change on its next frame, which Hide waits for.
func (o *Overlay) Hide(ctx context.Context) (restore func(), err error) {
	o.mu.Lock()
	none := len(o.shown) == 0
	o.mu.Unlock()
	if none {
		return nil, nil // nothing on the screen: a capture may use what it has
	}
	ctx, cancel := context.WithTimeout(ctx, mainWait)
	defer cancel()
	var hidden []objc.ID
	err = onMain(ctx, func() error {
		o.mu.Lock()
		hidden = append([]objc.ID(nil), o.shown...)
		o.mu.Unlock()
		for _, w := range hidden {
			w.Send(selOrderOut, objc.ID(0))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("hide the overlay: %w", err)
	}
	if len(hidden) == 0 {
		return nil, nil // the prompt ended meanwhile
	}
	select {
	case <-time.After(hideSettle):
	case <-ctx.Done():
	}
	return func() {
		onMainAlways(closeWait, func() error {
			o.mu.Lock()
			defer o.mu.Unlock()
			for _, w := range hidden {
				for _, v := range o.shown { // still the prompt's: it has not closed
					if v == w {
						w.Send(selOrderFrontRegardless)
					}
				}
			}
			return nil
		})
	}, nil
}
