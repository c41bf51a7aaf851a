//go:build !windows && !darwin

package overlay

import (
	"context"
	"errors"
	"fmt"
	"image"
	"os"
	"sync"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/shape"
	"github.com/jezek/xgb/xproto"

	"github.com/deskhand/deskhand/app/x11draw"
)

// Overlay shows prompts on an X11 screen, on a pure-Go X connection of its own
// (never robotgo's). Its windows are override-redirect: no window manager frame,
// no focus taken from the application the action is for, and gone from the
// screen the moment they are unmapped (see Hide). One event goroutine reads the
// connection until Close.
type Overlay struct {
	conn   *xgb.Conn
	root   xproto.Window
	depth  byte
	events chan xgb.Event
	done   chan struct{}

	mu    sync.Mutex
	shown []xproto.Window // the windows on screen now, for Hide
	askMu sync.Mutex      // one prompt at a time
}

// Open connects to the X display in $DISPLAY. It returns an error wrapping
// ErrUnsupported when there is no X display, a non-TrueColor screen or no SHAPE
// extension: the caller then asks in its own window.
func Open() (*Overlay, error) {
	name := os.Getenv("DISPLAY")
	if name == "" {
		return nil, fmt.Errorf("%w: DISPLAY is not set", ErrUnsupported)
	}
	c, err := xgb.NewConnDisplay(name)
	if err != nil {
		return nil, fmt.Errorf("%w: cannot connect to the X display %s: %v", ErrUnsupported, name, err)
	}
	if err := shape.Init(c); err != nil {
		c.Close()
		return nil, fmt.Errorf("%w: the X server has no SHAPE extension: %v", ErrUnsupported, err)
	}
	s := xproto.Setup(c).DefaultScreen(c)
	if !x11draw.XRGB32(c) {
		c.Close()
		return nil, fmt.Errorf("%w: the screen's pixel format is not 24-bit colour in 32-bit words", ErrUnsupported)
	}
	o := &Overlay{conn: c, root: s.Root, depth: s.RootDepth, events: make(chan xgb.Event, 64), done: make(chan struct{})}
	go o.read()
	return o, nil
}

// read passes the connection's events on until it closes. Events that arrive
// while nobody waits are dropped once the buffer is full: they are only ever
// answers to a prompt, and a prompt drains the channel when it starts.
func (o *Overlay) read() {
	defer close(o.done)
	for {
		ev, err := o.conn.WaitForEvent()
		if ev == nil && err == nil {
			return // the connection is closed
		}
		if ev != nil {
			select {
			case o.events <- ev:
			default:
			}
		}
	}
}

// Close ends the connection and the event goroutine.
func (o *Overlay) Close() {
	o.conn.Close()
	<-o.done
}

// pixel is c as a TrueColor pixel value of a 24-bit screen.
func pixel(r, g, b uint8) uint32 { return uint32(r)<<16 | uint32(g)<<8 | uint32(b) }

// The keysyms the prompt answers to.
const (
	ksReturn  = 0xff0d
	ksKPEnter = 0xff8d
	ksEscape  = 0xff1b
	ksS       = 's'
	ksE       = 'e'
)

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
	s, err := o.show(p, panel)
	defer s.close()
	if err != nil {
		return Answer{}, err
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
	return await(ctx, p, next, func(ctx context.Context) (image.Point, bool, error) { return o.pick(ctx, s) })
}

// shown is one prompt's windows and grabs.
type shown struct {
	o       *Overlay
	marker  xproto.Window
	panel   xproto.Window
	pixmap  xproto.Pixmap
	at      image.Rectangle // the panel on the screen
	buttons Panel
	keys    map[xproto.Keycode]Choice
	grabbed []xproto.Keycode
}

// lockMasks are the lock modifiers a grab must ignore: Caps Lock, Num Lock
// (Mod2 on every common layout) and both.
var lockMasks = []uint16{0, xproto.ModMaskLock, xproto.ModMask2, xproto.ModMaskLock | xproto.ModMask2}

func (o *Overlay) show(p Prompt, panel Panel) (*shown, error) {
	c := o.conn
	s := &shown{o: o, buttons: panel, keys: map[xproto.Keycode]Choice{}}
	size := panel.Image.Bounds().Size()
	s.at = PlacePanel(p, size)

	// The marker: a window the size of the marker's bounds, filled with its
	// colour, shaped to the marker's rectangles, with an empty input shape so
	// every click goes to the window below.
	if rs := Marker(p.Action); len(rs) > 0 {
		b := Bounds(rs)
		id, err := xproto.NewWindowId(c)
		if err != nil {
			return s, fmt.Errorf("overlay marker: %w", err)
		}
		mc := MarkerColor
		err = xproto.CreateWindowChecked(c, 0, id, o.root, int16(b.Min.X), int16(b.Min.Y), uint16(b.Dx()), uint16(b.Dy()), 0,
			xproto.WindowClassInputOutput, 0, xproto.CwBackPixel|xproto.CwOverrideRedirect,
			[]uint32{pixel(mc.R, mc.G, mc.B), 1}).Check()
		if err != nil {
			return s, fmt.Errorf("overlay marker: %w", err)
		}
		s.marker = id
		xr := make([]xproto.Rectangle, 0, len(rs))
		for _, r := range rs {
			r = r.Sub(b.Min)
			xr = append(xr, xproto.Rectangle{X: int16(r.Min.X), Y: int16(r.Min.Y), Width: uint16(r.Dx()), Height: uint16(r.Dy())})
		}
		if err := shape.RectanglesChecked(c, shape.SoSet, shape.SkBounding, xproto.ClipOrderingUnsorted, id, 0, 0, xr).Check(); err != nil {
			return s, fmt.Errorf("shape the overlay marker: %w", err)
		}
		if err := shape.RectanglesChecked(c, shape.SoSet, shape.SkInput, xproto.ClipOrderingUnsorted, id, 0, 0, nil).Check(); err != nil {
			return s, fmt.Errorf("make the overlay marker click-through: %w", err)
		}
	}

	// The panel: its picture in a pixmap that is the window's background, so
	// the server repaints it on every exposure without a round trip.
	pm, err := xproto.NewPixmapId(c)
	if err != nil {
		return s, fmt.Errorf("overlay panel: %w", err)
	}
	if err := xproto.CreatePixmapChecked(c, o.depth, pm, xproto.Drawable(o.root), uint16(size.X), uint16(size.Y)).Check(); err != nil {
		return s, fmt.Errorf("overlay panel: %w", err)
	}
	s.pixmap = pm
	if err := x11draw.PutRGBA(c, xproto.Drawable(pm), panel.Image); err != nil {
		return s, fmt.Errorf("draw the overlay panel: %w", err)
	}
	id, err := xproto.NewWindowId(c)
	if err != nil {
		return s, fmt.Errorf("overlay panel: %w", err)
	}
	err = xproto.CreateWindowChecked(c, 0, id, o.root, int16(s.at.Min.X), int16(s.at.Min.Y), uint16(size.X), uint16(size.Y), 0,
		xproto.WindowClassInputOutput, 0, xproto.CwBackPixmap|xproto.CwOverrideRedirect|xproto.CwEventMask,
		[]uint32{uint32(pm), 1, xproto.EventMaskButtonPress}).Check()
	if err != nil {
		return s, fmt.Errorf("overlay panel: %w", err)
	}
	s.panel = id

	for _, w := range s.windows() {
		xproto.MapWindow(c, w)
		xproto.ConfigureWindow(c, w, xproto.ConfigWindowStackMode, []uint32{xproto.StackModeAbove})
	}
	o.mu.Lock()
	o.shown = s.windows()
	o.mu.Unlock()

	// The answer keys, grabbed on the root only while the prompt waits. A key
	// another program holds is left out: the buttons still answer.
	for ks, choice := range map[xproto.Keysym]Choice{ksReturn: Approve, ksKPEnter: Approve, ksS: Skip, ksE: Edit, ksEscape: Stop} {
		for _, kc := range o.keycodes(ks) {
			ok := true
			for _, m := range lockMasks {
				if xproto.GrabKeyChecked(c, false, o.root, m, kc, xproto.GrabModeAsync, xproto.GrabModeAsync).Check() != nil {
					ok = false
				}
			}
			s.grabbed = append(s.grabbed, kc)
			if ok {
				s.keys[kc] = choice
			}
		}
	}
	// A round trip, so the windows are on the screen when Ask waits.
	if _, err := xproto.GetInputFocus(c).Reply(); err != nil {
		return s, fmt.Errorf("show the overlay: %w", err)
	}
	return s, nil
}

func (s *shown) windows() []xproto.Window {
	var ws []xproto.Window
	for _, w := range []xproto.Window{s.marker, s.panel} {
		if w != 0 {
			ws = append(ws, w)
		}
	}
	return ws
}

// choice is the answer ev carries, if any: a grabbed key pressed, or a click on
// a panel button.
func (s *shown) choice(ev xgb.Event) (Choice, bool) {
	switch e := ev.(type) {
	case xproto.KeyPressEvent:
		c, ok := s.keys[e.Detail]
		return c, ok
	case xproto.ButtonPressEvent:
		if e.Event == s.panel && e.Detail == xproto.ButtonIndex1 {
			return s.buttons.ButtonAt(image.Pt(int(e.EventX), int(e.EventY)))
		}
	}
	return "", false
}

// close takes the prompt off the screen and releases its keys, and waits until
// the server has done so.
func (s *shown) close() {
	c := s.o.conn
	for _, kc := range s.grabbed {
		for _, m := range lockMasks {
			xproto.UngrabKey(c, kc, s.o.root, m)
		}
	}
	for _, w := range s.windows() {
		xproto.DestroyWindow(c, w)
	}
	if s.pixmap != 0 {
		xproto.FreePixmap(c, s.pixmap)
	}
	s.o.mu.Lock()
	s.o.shown = nil
	s.o.mu.Unlock()
	xproto.GetInputFocus(c).Reply() // a round trip: gone before the action runs
}

// pick lets the user click the point to use instead, with a crosshair pointer;
// ok is false if they press Esc.
func (o *Overlay) pick(ctx context.Context, s *shown) (image.Point, bool, error) {
	c := o.conn
	cursor, err := o.crosshairCursor()
	if err != nil {
		cursor = 0 // the pointer keeps its look
	}
	defer func() {
		if cursor != 0 {
			xproto.FreeCursor(c, cursor)
		}
	}()
	r, err := xproto.GrabPointer(c, false, o.root, xproto.EventMaskButtonPress, xproto.GrabModeAsync, xproto.GrabModeAsync,
		0, cursor, xproto.TimeCurrentTime).Reply()
	if err != nil {
		return image.Point{}, false, fmt.Errorf("pick a point: %w", err)
	}
	if r.Status != xproto.GrabStatusSuccess {
		return image.Point{}, false, errors.New("pick a point: another program holds the pointer")
	}
	defer func() {
		xproto.UngrabPointer(c, xproto.TimeCurrentTime)
		xproto.GetInputFocus(c).Reply()
	}()
	for {
		select {
		case <-ctx.Done():
			return image.Point{}, false, context.Cause(ctx)
		case ev := <-o.events:
			switch e := ev.(type) {
			case xproto.ButtonPressEvent:
				if e.Detail == xproto.ButtonIndex1 {
					return image.Pt(int(e.RootX), int(e.RootY)), true, nil
				}
			case xproto.KeyPressEvent:
				if s.keys[e.Detail] == Stop {
					return image.Point{}, false, nil
				}
			}
		}
	}
}

// crosshairCursor is the X cursor font's crosshair.
func (o *Overlay) crosshairCursor() (xproto.Cursor, error) {
	c := o.conn
	f, err := xproto.NewFontId(c)
	if err != nil {
		return 0, err
	}
	if err := xproto.OpenFontChecked(c, f, uint16(len("cursor")), "cursor").Check(); err != nil {
		return 0, err
	}
	defer xproto.CloseFont(c, f)
	cur, err := xproto.NewCursorId(c)
	if err != nil {
		return 0, err
	}
	const xcCrosshair = 34
	err = xproto.CreateGlyphCursorChecked(c, cur, f, f, xcCrosshair, xcCrosshair+1, 0xffff, 0x2d2d, 0x9595, 0, 0, 0).Check()
	return cur, err
}

// keycodes returns every keycode that carries keysym ks.
func (o *Overlay) keycodes(ks xproto.Keysym) []xproto.Keycode {
	setup := xproto.Setup(o.conn)
	n := byte(setup.MaxKeycode - setup.MinKeycode + 1)
	km, err := xproto.GetKeyboardMapping(o.conn, setup.MinKeycode, n).Reply()
	if err != nil || km.KeysymsPerKeycode == 0 {
		return nil
	}
	per := int(km.KeysymsPerKeycode)
	var out []xproto.Keycode
	for i := 0; i*per < len(km.Keysyms); i++ {
		for _, s := range km.Keysyms[i*per : (i+1)*per] {
			if s == ks {
				out = append(out, xproto.Keycode(int(setup.MinKeycode)+i))
				break
			}
		}
	}
	return out
}

// Hide takes the overlay off the screen for a capture, and returns the function
// that puts it back, or nil when nothing was shown; it is a perception.Capturer
// Hide hook. Unmapping an
// override-redirect window removes it at once (there is no window-manager frame
// to wait for), and the round trip makes sure the server has done it before the
// capture.
func (o *Overlay) Hide(ctx context.Context) (restore func(), err error) {
	o.mu.Lock()
	ws := append([]xproto.Window(nil), o.shown...)
	o.mu.Unlock()
	if len(ws) == 0 {
		return nil, nil // nothing on the screen: a capture may use what it has
	}
	for _, w := range ws {
		xproto.UnmapWindow(o.conn, w)
	}
	if _, err := xproto.GetInputFocus(o.conn).Reply(); err != nil {
		return nil, fmt.Errorf("hide the overlay: %w", err)
	}
	return func() {
		for _, w := range ws {
			xproto.MapWindow(o.conn, w)
		}
		xproto.GetInputFocus(o.conn).Reply()
	}, nil
}
