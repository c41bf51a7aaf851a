//go:build windows

package overlay

import (
	"context"
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// The Windows overlay: layered, topmost, never-activated popup windows, made
// and driven by plain syscalls (no cgo, no golang.org/x/sys). The marker is
// click-through (WS_EX_TRANSPARENT, and alpha 0 off its rectangles); the panel
// takes clicks on its buttons but never the focus (WS_EX_NOACTIVATE,
// MA_NOACTIVATE), so the application the action is for keeps it; the four keys
// are global hotkeys registered only while a prompt waits.
//
// Coordinates are physical pixels of the virtual desktop: the process is
// per-monitor DPI aware from the moment the perception package (which this
// package imports) loads, before any window exists.
//
// A window belongs to the thread that made it and gets its messages only on
// that thread, so one goroutine locked to its thread owns every window and
// runs the message loop; the other goroutines hand it work (do) and read what
// the user did from a channel.

var (
	user32   = syscall.NewLazyDLL("user32.dll")
	gdi32    = syscall.NewLazyDLL("gdi32.dll")
	kernel32 = syscall.NewLazyDLL("kernel32.dll")
	dwmapi   = syscall.NewLazyDLL(systemDLL("dwmapi.dll"))

	procRegisterClassExW        = user32.NewProc("RegisterClassExW")
	procCreateWindowExW         = user32.NewProc("CreateWindowExW")
	procDestroyWindow           = user32.NewProc("DestroyWindow")
	procDefWindowProcW          = user32.NewProc("DefWindowProcW")
	procGetMessageW             = user32.NewProc("GetMessageW")
	procPeekMessageW            = user32.NewProc("PeekMessageW")
	procPostThreadMessageW      = user32.NewProc("PostThreadMessageW")
	procDispatchMessageW        = user32.NewProc("DispatchMessageW")
	procShowWindow              = user32.NewProc("ShowWindow")
	procIsWindowVisible         = user32.NewProc("IsWindowVisible")
	procUpdateLayeredWindow     = user32.NewProc("UpdateLayeredWindow")
	procSetLayeredWindowAttribs = user32.NewProc("SetLayeredWindowAttributes")
	procRegisterHotKey          = user32.NewProc("RegisterHotKey")
	procUnregisterHotKey        = user32.NewProc("UnregisterHotKey")
	procLoadCursorW             = user32.NewProc("LoadCursorW")
	procGetSystemMetrics        = user32.NewProc("GetSystemMetrics")
	procCreateCompatibleDC      = gdi32.NewProc("CreateCompatibleDC")
	procCreateDIBSection        = gdi32.NewProc("CreateDIBSection")
	procSelectObject            = gdi32.NewProc("SelectObject")
	procDeleteDC                = gdi32.NewProc("DeleteDC")
	procDeleteObject            = gdi32.NewProc("DeleteObject")
	procGetStockObject          = gdi32.NewProc("GetStockObject")
	procGetModuleHandleW        = kernel32.NewProc("GetModuleHandleW")
	procGetCurrentThreadID      = kernel32.NewProc("GetCurrentThreadId")
	procDwmFlush                = dwmapi.NewProc("DwmFlush") // optional: no compositor, no DwmFlush
	requiredProcs               = []*syscall.LazyProc{procRegisterClassExW, procCreateWindowExW, procDestroyWindow, procDefWindowProcW, procGetMessageW, procPeekMessageW, procPostThreadMessageW, procDispatchMessageW, procShowWindow, procIsWindowVisible, procUpdateLayeredWindow, procSetLayeredWindowAttribs, procRegisterHotKey, procUnregisterHotKey, procLoadCursorW, procGetSystemMetrics, procCreateCompatibleDC, procCreateDIBSection, procSelectObject, procDeleteDC, procDeleteObject, procGetStockObject, procGetModuleHandleW, procGetCurrentThreadID}
)

const (
	wsPopup = 0x80000000

	wsExTopmost     = 0x00000008
	wsExTransparent = 0x00000020
	wsExToolWindow  = 0x00000080
	wsExLayered     = 0x00080000
	wsExNoActivate  = 0x08000000

	swHide           = 0
	swShowNoActivate = 4

	wmClose         = 0x0010
	wmQuit          = 0x0012
	wmMouseActivate = 0x0021
	wmLButtonDown   = 0x0201
	wmLButtonUp     = 0x0202
	wmHotkey        = 0x0312
	wmApp           = 0x8000
	wmRun           = wmApp + 1 // run the queued work (WM_APP and up are free for private use)
	maNoActivate    = 3
	pmNoRemove      = 0

	modNoRepeat = 0x4000
	vkReturn    = 0x0D
	vkEscape    = 0x1B

	idcArrow   = 32512
	idcCross   = 32515
	blackBrush = 4

	smXVirtualScreen  = 76
	smYVirtualScreen  = 77
	smCXVirtualScreen = 78
	smCYVirtualScreen = 79

	ulwAlpha    = 2
	lwaAlpha    = 2
	acSrcOver   = 0
	acSrcAlpha  = 1
	biRGB       = 0
	dibRGBColor = 0

	errorClassAlreadyExists      = 1410
	errorHotkeyAlreadyRegistered = 1409
)

type winPoint struct{ x, y int32 }

type winMsg struct {
	hwnd    uintptr
	message uint32
	wParam  uintptr
	lParam  uintptr
	time    uint32
	pt      winPoint
	private uint32
}

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

// bitmapInfo is a BITMAPINFO for a 32-bit BI_RGB DIB, which has no colour table
// but for the one unused entry the structure declares.
type bitmapInfo struct {
	size          uint32
	width         int32
	height        int32
	planes        uint16
	bitCount      uint16
	compression   uint32
	sizeImage     uint32
	xPelsPerMeter int32
	yPelsPerMeter int32
	clrUsed       uint32
	clrImportant  uint32
	colors        [1]uint32
}

type blendFunction struct{ op, flags, sourceConstantAlpha, alphaFormat byte }

// systemDLL is name's path in System32, so a DLL of that name beside the
// executable or in the working directory is never loaded instead; user32,
// gdi32 and kernel32 are KnownDLLs, always loaded from there.
func systemDLL(name string) string {
	if root := os.Getenv("SystemRoot"); root != "" {
		return filepath.Join(root, "System32", name)
	}
	return name
}

// win32Err is err, from a Win32 call that failed, wrapped with what was being
// done; a call that failed without setting the last error says only that.
func win32Err(what string, err error) error {
	if errno, ok := err.(syscall.Errno); ok && errno == 0 {
		return fmt.Errorf("%s failed", what)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// The window classes: registered once per process, with one window procedure
// for every overlay (syscall.NewCallback's callbacks are never freed).
var (
	classOnce  sync.Once
	classErr   error
	classNames struct{ plain, pick *uint16 }
	instance   uintptr
)

func registerClasses() error {
	classOnce.Do(func() {
		classErr = func() error {
			var err error
			instance, _, err = procGetModuleHandleW.Call(0)
			if instance == 0 {
				return win32Err("GetModuleHandle", err)
			}
			arrow, _, err := procLoadCursorW.Call(0, idcArrow)
			if arrow == 0 {
				return win32Err("load the arrow cursor", err)
			}
			cross, _, err := procLoadCursorW.Call(0, idcCross)
			if cross == 0 {
				return win32Err("load the crosshair cursor", err)
			}
			black, _, err := procGetStockObject.Call(blackBrush)
			if black == 0 {
				return win32Err("get the black brush", err)
			}
			proc := syscall.NewCallback(wndProc)
			for _, c := range []struct {
				name          string
				dst           **uint16
				cursor, brush uintptr
			}{
				// The marker and the panel draw with UpdateLayeredWindow, never paint.
				{"DeskhandOverlay", &classNames.plain, arrow, 0},
				// Picking a point: near-invisible black with a crosshair.
				{"DeskhandOverlayPick", &classNames.pick, cross, black},
			} {
				name, err := syscall.UTF16PtrFromString(c.name)
				if err != nil {
					return err
				}
				wc := wndClassEx{wndProc: proc, instance: instance, cursor: c.cursor, background: c.brush, className: name}
				wc.size = uint32(unsafe.Sizeof(wc))
				if r, _, err := procRegisterClassExW.Call(uintptr(unsafe.Pointer(&wc))); r == 0 {
					if errno, ok := err.(syscall.Errno); !ok || errno != errorClassAlreadyExists {
						return win32Err("register the window class "+c.name, err)
					}
				}
				*c.dst = name
			}
			return nil
		}()
	})
	return classErr
}

// overlays finds a window's Overlay for the window procedure.
var overlays sync.Map // hwnd uintptr → *Overlay

// Overlay shows prompts on the Windows desktop. See the comment at the top of
// this file.
type Overlay struct {
	tid    uintptr       // the window thread's id
	events chan event    // what the user did, from the window procedure
	done   chan struct{} // closed when the window thread ends
	quit   sync.Once
	askMu  sync.Mutex // one prompt at a time

	mu    sync.Mutex
	queue []*job // work for the window thread

	// Owned by the window thread.
	cur *winPrompt // the prompt on the screen, nil when there is none
	gen uint64     // counts prompts, so a late restore leaves a newer one alone
}

// event is one thing the user did: a key or a panel button (choice), or a
// click while picking a point (point).
type event struct {
	choice Choice
	point  *image.Point
}

type job struct {
	f   func()
	ran chan struct{}
}

var errClosed = errors.New("the overlay is closed")

// Open starts the window thread. It returns an error wrapping ErrUnsupported
// when Windows has no desktop to show windows on (a service, a session without
// a console) or lacks a call the overlay needs.
func Open() (*Overlay, error) {
	for _, p := range requiredProcs {
		if err := p.Find(); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrUnsupported, err)
		}
	}
	if w, _, _ := procGetSystemMetrics.Call(smCXVirtualScreen); int32(w) <= 0 {
		return nil, fmt.Errorf("%w: Windows reports no screens", ErrUnsupported)
	}
	if err := registerClasses(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnsupported, err)
	}
	o := &Overlay{events: make(chan event, 16), done: make(chan struct{})}
	started := make(chan struct{})
	go o.loop(started)
	<-started
	return o, nil
}

// loop is the window thread: it runs the queued work and dispatches the
// windows' messages until Close posts WM_QUIT.
func (o *Overlay) loop(started chan<- struct{}) {
	// Never unlocked: the thread ends with the goroutine, and its message
	// queue with it, rather than going back to the runtime's pool.
	runtime.LockOSThread()
	defer close(o.done)
	defer o.endPrompt() // windows left by an Ask that Close cut short
	var m winMsg
	procPeekMessageW.Call(uintptr(unsafe.Pointer(&m)), 0, wmApp, wmApp, pmNoRemove) // make the thread's queue before anyone posts to it
	o.tid, _, _ = procGetCurrentThreadID.Call()
	close(started)
	for {
		r, _, _ := procGetMessageW.Call(uintptr(unsafe.Pointer(&m)), 0, 0, 0)
		if int32(r) <= 0 { // WM_QUIT, or -1: an invalid argument, which ours never are
			return
		}
		if m.hwnd == 0 && m.message == wmRun {
			o.mu.Lock()
			q := o.queue
			o.queue = nil
			o.mu.Unlock()
			for _, j := range q {
				j.f()
				close(j.ran)
			}
			continue
		}
		procDispatchMessageW.Call(uintptr(unsafe.Pointer(&m)))
	}
}

// do runs f on the window thread and waits for it.
func (o *Overlay) do(f func()) error {
	select {
	case <-o.done:
		return errClosed
	default:
	}
	j := &job{f: f, ran: make(chan struct{})}
	o.mu.Lock()
	o.queue = append(o.queue, j)
	o.mu.Unlock()
	if r, _, err := procPostThreadMessageW.Call(o.tid, wmRun, 0, 0); r == 0 {
		select {
		case <-o.done:
			return errClosed
		default:
		}
		// The thread's queue is full (10,000 messages): take the job back so it
		// cannot run later, when nobody waits for it.
		o.mu.Lock()
		defer o.mu.Unlock()
		for i, q := range o.queue {
			if q == j {
				o.queue = append(o.queue[:i], o.queue[i+1:]...)
				return win32Err("reach the overlay's window thread", err)
			}
		}
		// The loop took it after all, from an earlier message.
	}
	select {
	case <-j.ran:
		return nil
	case <-o.done:
		return errClosed
	}
}

// Close ends the window thread, taking any window still shown with it.
func (o *Overlay) Close() {
	o.quit.Do(func() {
		for {
			if r, _, _ := procPostThreadMessageW.Call(o.tid, wmQuit, 0, 0); r != 0 {
				return
			}
			select { // a full queue: wait for the loop to drain it
			case <-o.done:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	})
	<-o.done
}

// winPrompt is one prompt's windows and hotkeys, owned by the window thread.
type winPrompt struct {
	gen     uint64
	marker  uintptr
	panel   uintptr
	pick    uintptr // the full-desktop window while the user picks a point
	buttons Panel
	hotkeys []uintptr // registered hotkey ids, on panel
	press   Choice    // the panel button the left button went down on
	down    *image.Point
}

// The prompt's keys, as hotkey id → virtual-key code and answer. Enter on the
// numeric keypad has the same virtual-key code as Return.
var promptKeys = []struct {
	id, vk uintptr
	choice Choice
}{
	{1, vkReturn, Approve},
	{2, 'S', Skip},
	{3, 'E', Edit},
	{4, vkEscape, Stop},
}

func (p *winPrompt) windows() []uintptr {
	var ws []uintptr
	for _, w := range []uintptr{p.marker, p.panel, p.pick} {
		if w != 0 {
			ws = append(ws, w)
		}
	}
	return ws
}

// Ask shows p and waits for the user's answer, or for ctx. The windows are gone
// and the keys released when it returns.
func (o *Overlay) Ask(ctx context.Context, p Prompt) (Answer, error) {
	o.askMu.Lock()
	defer o.askMu.Unlock()
	panel, err := RenderPanel(p)
	if err != nil {
		return Answer{}, err
	}
	for len(o.events) > 0 { // answers to an earlier prompt
		<-o.events
	}
	var showErr error
	if err := o.do(func() { showErr = o.show(p, panel) }); err != nil {
		return Answer{}, fmt.Errorf("show the overlay: %w", err)
	}
	defer func() {
		if o.do(o.endPrompt) == nil {
			flush() // gone from the screen before the action runs
		}
	}()
	if showErr != nil {
		return Answer{}, showErr
	}
	next := func(ctx context.Context) (Choice, bool, error) {
		ev, err := o.next(ctx)
		return ev.choice, ev.choice != "", err
	}
	return await(ctx, p, next, o.pick)
}

// next waits for what the user does next.
func (o *Overlay) next(ctx context.Context) (event, error) {
	select {
	case <-ctx.Done():
		return event{}, context.Cause(ctx)
	case <-o.done:
		return event{}, errClosed
	case ev := <-o.events:
		return ev, nil
	}
}

// show puts p's marker and panel on the screen and registers its keys. It runs
// on the window thread; what it made before an error is o.cur's, for endPrompt.
func (o *Overlay) show(p Prompt, panel Panel) error {
	o.gen++
	s := &winPrompt{gen: o.gen, buttons: panel}
	o.cur = s
	if rs := Marker(p.Action); len(rs) > 0 {
		b := Bounds(rs)
		w, err := o.newWindow(classNames.plain, wsExLayered|wsExTransparent|wsExTopmost|wsExToolWindow|wsExNoActivate, b)
		if err != nil {
			return fmt.Errorf("overlay marker: %w", err)
		}
		s.marker = w
		if err := updateLayered(w, b, func(dib []byte) { drawMarkerDIB(dib, b, rs, MarkerColor) }); err != nil {
			return fmt.Errorf("draw the overlay marker: %w", err)
		}
	}
	at := PlacePanel(p, panel.Image.Bounds().Size())
	w, err := o.newWindow(classNames.plain, wsExLayered|wsExTopmost|wsExToolWindow|wsExNoActivate, at)
	if err != nil {
		return fmt.Errorf("overlay panel: %w", err)
	}
	s.panel = w
	if err := updateLayered(w, at, func(dib []byte) { drawPanelDIB(dib, panel.Image) }); err != nil {
		return fmt.Errorf("draw the overlay panel: %w", err)
	}
	for _, w := range s.windows() {
		procShowWindow.Call(w, swShowNoActivate) // returns whether it was visible, not an error
	}
	// The answer keys, only while the prompt waits. A key another program holds
	// is left out: the buttons still answer.
	for _, k := range promptKeys {
		if r, _, err := procRegisterHotKey.Call(s.panel, k.id, modNoRepeat, k.vk); r == 0 {
			if errno, ok := err.(syscall.Errno); ok && errno == errorHotkeyAlreadyRegistered {
				continue
			}
			return win32Err(fmt.Sprintf("register the overlay's %s key", k.choice), err)
		}
		s.hotkeys = append(s.hotkeys, k.id)
	}
	return nil
}

// newWindow makes a hidden popup at r with the extended style ex, known to the
// window procedure.
func (o *Overlay) newWindow(class *uint16, ex uintptr, r image.Rectangle) (uintptr, error) {
	w, _, err := procCreateWindowExW.Call(ex, uintptr(unsafe.Pointer(class)), 0, wsPopup,
		uintptr(r.Min.X), uintptr(r.Min.Y), uintptr(r.Dx()), uintptr(r.Dy()), 0, 0, instance, 0)
	if w == 0 {
		return 0, win32Err("CreateWindowEx", err)
	}
	overlays.Store(w, o)
	return w, nil
}

// updateLayered sets w's picture, r on the screen, to the DIB draw fills in.
// The system keeps its own copy: the bitmap is freed at once.
func updateLayered(w uintptr, r image.Rectangle, draw func(dib []byte)) error {
	bi := bitmapInfo{width: int32(r.Dx()), height: -int32(r.Dy()), planes: 1, bitCount: 32, compression: biRGB} // negative height: top-down
	bi.size = uint32(unsafe.Offsetof(bi.colors))
	var bits unsafe.Pointer
	bmp, _, err := procCreateDIBSection.Call(0, uintptr(unsafe.Pointer(&bi)), dibRGBColor, uintptr(unsafe.Pointer(&bits)), 0, 0)
	if bmp == 0 || bits == nil {
		return win32Err("CreateDIBSection", err)
	}
	defer procDeleteObject.Call(bmp)
	draw(unsafe.Slice((*byte)(bits), dibLen(r.Size())))
	dc, _, err := procCreateCompatibleDC.Call(0)
	if dc == 0 {
		return win32Err("CreateCompatibleDC", err)
	}
	defer procDeleteDC.Call(dc)
	old, _, err := procSelectObject.Call(dc, bmp)
	if old == 0 {
		return win32Err("SelectObject", err)
	}
	defer procSelectObject.Call(dc, old)
	dst := winPoint{int32(r.Min.X), int32(r.Min.Y)}
	size := winPoint{int32(r.Dx()), int32(r.Dy())}
	var src winPoint
	blend := blendFunction{op: acSrcOver, sourceConstantAlpha: 255, alphaFormat: acSrcAlpha}
	if ok, _, err := procUpdateLayeredWindow.Call(w, 0, uintptr(unsafe.Pointer(&dst)), uintptr(unsafe.Pointer(&size)),
		dc, uintptr(unsafe.Pointer(&src)), 0, uintptr(unsafe.Pointer(&blend)), ulwAlpha); ok == 0 {
		return win32Err("UpdateLayeredWindow", err)
	}
	return nil
}

// endPrompt takes the prompt off the screen and releases its keys. It runs on
// the window thread.
func (o *Overlay) endPrompt() {
	s := o.cur
	if s == nil {
		return
	}
	o.cur = nil
	for _, id := range s.hotkeys {
		procUnregisterHotKey.Call(s.panel, id) // fails only if gone already; DestroyWindow frees them anyway
	}
	for _, w := range s.windows() {
		destroy(w)
	}
}

// destroy destroys w. It fails only for a window already gone, which is what
// was asked.
func destroy(w uintptr) {
	overlays.Delete(w)
	procDestroyWindow.Call(w)
}

// pick lets the user click the point to use instead, on a window over the
// whole virtual desktop with a crosshair pointer; ok is false if they press
// Esc.
func (o *Overlay) pick(ctx context.Context) (pt image.Point, ok bool, err error) {
	var showErr error
	if err := o.do(func() { showErr = o.showPick() }); err != nil {
		return image.Point{}, false, fmt.Errorf("pick a point: %w", err)
	}
	defer o.do(func() {
		if s := o.cur; s != nil && s.pick != 0 {
			destroy(s.pick)
			s.pick, s.down = 0, nil
		}
	})
	if showErr != nil {
		return image.Point{}, false, fmt.Errorf("pick a point: %w", showErr)
	}
	for {
		ev, err := o.next(ctx)
		if err != nil {
			return image.Point{}, false, err
		}
		switch {
		case ev.point != nil:
			return *ev.point, true, nil
		case ev.choice == Stop:
			return image.Point{}, false, nil
		}
	}
}

// showPick covers the virtual desktop with a window of alpha 1: invisible, but
// not transparent to clicks as alpha 0 would be. It runs on the window thread.
func (o *Overlay) showPick() error {
	s := o.cur
	if s == nil {
		return errClosed
	}
	metric := func(i uintptr) int {
		r, _, _ := procGetSystemMetrics.Call(i)
		return int(int32(r))
	}
	x, y := metric(smXVirtualScreen), metric(smYVirtualScreen)
	vd := image.Rect(x, y, x+metric(smCXVirtualScreen), y+metric(smCYVirtualScreen))
	if vd.Empty() {
		return errors.New("windows reports no screens")
	}
	w, err := o.newWindow(classNames.pick, wsExLayered|wsExTopmost|wsExToolWindow|wsExNoActivate, vd)
	if err != nil {
		return err
	}
	s.pick = w
	if r, _, err := procSetLayeredWindowAttribs.Call(w, 0, 1, lwaAlpha); r == 0 {
		return win32Err("SetLayeredWindowAttributes", err)
	}
	procShowWindow.Call(w, swShowNoActivate)
	return nil
}

// wndProc is the window procedure of every overlay window, on its overlay's
// window thread. It turns hotkeys and clicks into events; everything else is
// Windows' default, but activation.
func wndProc(hwnd, msg, wParam, lParam uintptr) uintptr {
	v, ok := overlays.Load(hwnd)
	if !ok { // a message during CreateWindowEx
		r, _, _ := procDefWindowProcW.Call(hwnd, msg, wParam, lParam)
		return r
	}
	o := v.(*Overlay)
	s := o.cur
	switch msg {
	case wmMouseActivate:
		return maNoActivate // the application the action is for keeps the focus
	case wmClose:
		return 0 // only Ask's end closes a prompt
	case wmHotkey:
		for _, k := range promptKeys {
			if s != nil && k.id == wParam {
				o.send(event{choice: k.choice})
			}
		}
		return 0
	case wmLButtonDown, wmLButtonUp:
		if s == nil {
			break
		}
		pt := pointFromLParam(lParam)
		switch {
		case hwnd == s.panel && msg == wmLButtonDown:
			s.press, _ = s.buttons.ButtonAt(pt)
		case hwnd == s.panel: // a button answers when the click starts and ends on it
			if c, ok := s.buttons.ButtonAt(pt); ok && c == s.press {
				o.send(event{choice: c})
			}
			s.press = ""
		case hwnd == s.pick && msg == wmLButtonDown:
			// The point is where the button goes down; the answer waits for it
			// to come up, so the release does not reach the window below.
			at := screenPoint(pt)
			s.down = &at
		case hwnd == s.pick && s.down != nil:
			o.send(event{point: s.down})
			s.down = nil
		}
		return 0
	}
	r, _, _ := procDefWindowProcW.Call(hwnd, msg, wParam, lParam)
	return r
}

// screenPoint is pt, in the pick window's client area, on the screen: that
// area starts at the virtual desktop's origin.
func screenPoint(pt image.Point) image.Point {
	x, _, _ := procGetSystemMetrics.Call(smXVirtualScreen)
	y, _, _ := procGetSystemMetrics.Call(smYVirtualScreen)
	return pt.Add(image.Pt(int(int32(x)), int(int32(y))))
}

// send passes ev to Ask, dropped when nobody has read the last ones: it is
// only ever an answer, and a prompt drains the channel when it starts.
func (o *Overlay) send(ev event) {
	select {
	case o.events <- ev:
	default:
	}
}

// flush waits until the compositor has put the windows' last changes on the
// screen. Without one (DwmFlush missing, or failing when composition is off)
// the windows below repaint what was uncovered by themselves: give them two
// frames.
func flush() {
	if procDwmFlush.Find() == nil {
		if hr, _, _ := procDwmFlush.Call(); int32(hr) >= 0 {
			return
		}
	}
	time.Sleep(35 * time.Millisecond)
}

// Hide takes the overlay off the screen for a capture, and returns the function
// that puts it back, or nil when nothing was shown; it is a perception.Capturer
// Hide hook. It returns once the compositor has shown the desktop without it.
func (o *Overlay) Hide(ctx context.Context) (restore func(), err error) {
	var hidden []uintptr
	var gen uint64
	err = o.do(func() {
		if o.cur == nil {
			return
		}
		gen = o.cur.gen
		for _, w := range o.cur.windows() {
			if v, _, _ := procIsWindowVisible.Call(w); v != 0 {
				procShowWindow.Call(w, swHide)
				hidden = append(hidden, w)
			}
		}
	})
	if err != nil {
		return nil, fmt.Errorf("hide the overlay: %w", err)
	}
	if len(hidden) == 0 {
		return nil, nil // nothing on the screen: a capture may use what it has
	}
	flush()
	return func() {
		o.do(func() {
			if o.cur == nil || o.cur.gen != gen {
				return // that prompt is over
			}
			for _, w := range hidden {
				if w == o.cur.marker || w == o.cur.panel || w == o.cur.pick {
					procShowWindow.Call(w, swShowNoActivate)
				}
			}
		})
	}, nil
}
