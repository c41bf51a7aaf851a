//go:build !windows && !darwin

package overlay

import (
	"context"
	"errors"
	"image"
	"strconv"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"

	"github.com/deskhand/deskhand/actuation"
	"github.com/deskhand/deskhand/perception/xvfbtest"
)

// These tests put the overlay on a real X server (Xvfb with openbox) over a real
// application, read the screen back, and answer with real key presses and clicks
// (xdotool, through XTest like a user's keyboard).

type x11Desk struct {
	d    *xvfbtest.Display
	o    *Overlay
	conn *xgb.Conn // the test's own connection, to read the screen
}

func startDesk(t *testing.T) *x11Desk {
	t.Helper()
	xvfbtest.Need(t, "xterm", "xdotool")
	d := xvfbtest.Start(t, 1280, 800)
	d.Setenv(t)
	// The user's application, under the overlay.
	d.Launch(t, "xterm", "-T", "app-under-overlay", "-geometry", "150x50+0+0", "-bg", "white", "-e", "sleep", "600")
	d.WaitWindow(t, "^app-under-overlay$", 10*time.Second)
	o, err := Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(o.Close)
	c, err := xgb.NewConn()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return &x11Desk{d: d, o: o, conn: c}
}

// ask runs o.Ask in the background and waits until the prompt is on the screen.
func (x *x11Desk) ask(t *testing.T, ctx context.Context, p Prompt) <-chan result {
	t.Helper()
	out := make(chan result, 1)
	go func() {
		a, err := x.o.Ask(ctx, p)
		out <- result{a, err}
	}()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		x.o.mu.Lock()
		n := len(x.o.shown)
		x.o.mu.Unlock()
		if n > 0 {
			return out
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the overlay did not appear within 5 s")
	return nil
}

type result struct {
	a   Answer
	err error
}

func (x *x11Desk) wait(t *testing.T, out <-chan result) result {
	t.Helper()
	select {
	case r := <-out:
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("Ask did not return within 5 s of the answer")
		return result{}
	}
}

// markerPixels returns the pixels within r of the screen of the X server c
// is connected to that have the marker's colour.
func markerPixels(t *testing.T, c *xgb.Conn, r image.Rectangle) []image.Point {
	t.Helper()
	img := xvfbtest.Grab(t, c, r)
	var ps []image.Point
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if img.RGBAAt(x, y) == MarkerColor {
				ps = append(ps, image.Pt(x, y))
			}
		}
	}
	return ps
}

func (x *x11Desk) xdotool(t *testing.T, args ...string) {
	t.Helper()
	x.d.Output(t, "xdotool", args...)
}

// The crosshair is drawn on the real screen at the target, within 2 px; clicks
// at the target go through it to the application; the panel sits beside it;
// Enter approves; and everything is gone when Ask returns.
func TestX11OverlayClick(t *testing.T) {
	x := startDesk(t)
	target := image.Pt(603, 411)
	p := Prompt{Step: 1, Action: click(target.X, target.Y), Monitor: image.Rect(0, 0, 1280, 800), Risk: "medium", Thought: "the OK button"}
	out := x.ask(t, context.Background(), p)

	around := image.Rectangle{Min: target, Max: target.Add(image.Pt(1, 1))}.Inset(-armLength - 4)
	ps := markerPixels(t, x.conn, around)
	if len(ps) < 100 {
		t.Fatalf("only %d marker pixels around the target on the screen", len(ps))
	}
	var sx, sy int
	for _, q := range ps {
		sx, sy = sx+q.X, sy+q.Y
		if q == target {
			t.Errorf("the marker covers the target pixel %v", target)
		}
	}
	cx, cy := float64(sx)/float64(len(ps)), float64(sy)/float64(len(ps))
	if dx, dy := cx-float64(target.X), cy-float64(target.Y); dx*dx+dy*dy > 4 {
		t.Errorf("crosshair centred at (%.1f, %.1f) on the screen, target %v: more than 2 px off", cx, cy, target)
	}

	// Click-through: at the target and on the marker's own pixels, the window
	// under the pointer is the application's, not the overlay's.
	for _, q := range []image.Point{target, ps[0], ps[len(ps)/2]} {
		x.xdotool(t, "mousemove", strconv.Itoa(q.X), strconv.Itoa(q.Y))
		root := xproto.Setup(x.conn).DefaultScreen(x.conn).Root
		qp, err := xproto.QueryPointer(x.conn, root).Reply()
		if err != nil {
			t.Fatal(err)
		}
		x.o.mu.Lock()
		mine := x.o.shown
		x.o.mu.Unlock()
		for _, w := range mine {
			if qp.Child == w {
				t.Errorf("at %v the pointer is over the overlay's window: clicks would not reach the application", q)
			}
		}
	}

	// The panel is on the screen beside the marker, not over it.
	panel := PlacePanel(p, image.Pt(panelWidth, 10))
	if panel.Overlaps(around) {
		t.Errorf("panel at %v overlaps the marker area %v", panel, around)
	}

	x.xdotool(t, "key", "Return")
	r := x.wait(t, out)
	if r.err != nil || r.a.Choice != Approve {
		t.Fatalf("Ask = %+v, %v; want approve", r.a, r.err)
	}
	if ps := markerPixels(t, x.conn, around); len(ps) != 0 {
		t.Errorf("%d marker pixels left on the screen after the answer", len(ps))
	}
	// The keys are released: Return reaches applications again.
	root := xproto.Setup(x.conn).DefaultScreen(x.conn).Root
	kc := x.o.keycodes(ksReturn)[0]
	if err := xproto.GrabKeyChecked(x.conn, false, root, 0, kc, xproto.GrabModeAsync, xproto.GrabModeAsync).Check(); err != nil {
		t.Errorf("Return is still grabbed after the prompt: %v", err)
	}
	xproto.UngrabKey(x.conn, kc, root, 0)
}

// Every answer, by key and by button.
func TestX11OverlayAnswers(t *testing.T) {
	x := startDesk(t)
	mon := image.Rect(0, 0, 1280, 800)
	typed := Prompt{Step: 2, Action: actuation.Action{Type: actuation.TypeText, Text: "hello\n"}, Monitor: mon, Risk: "high", Reasons: []string{"Enter after typing"}}
	for _, tc := range []struct {
		name string
		p    Prompt
		do   func(t *testing.T, panel image.Rectangle)
		want Answer
	}{
		{"s skips", typed, func(t *testing.T, _ image.Rectangle) { x.xdotool(t, "key", "s") }, Answer{Choice: Skip}},
		{"esc stops", typed, func(t *testing.T, _ image.Rectangle) { x.xdotool(t, "key", "Escape") }, Answer{Choice: Stop}},
		{"e edits text", typed, func(t *testing.T, _ image.Rectangle) { x.xdotool(t, "key", "e") }, Answer{Choice: Edit}},
		{"enter with num lock", typed, func(t *testing.T, _ image.Rectangle) {
			x.xdotool(t, "key", "Num_Lock")
			defer x.xdotool(t, "key", "Num_Lock")
			x.xdotool(t, "key", "Return")
		}, Answer{Choice: Approve}},
		{"skip button", typed, func(t *testing.T, panel image.Rectangle) { x.clickButton(t, typed, panel, Skip) }, Answer{Choice: Skip}},
		{"approve button", typed, func(t *testing.T, panel image.Rectangle) { x.clickButton(t, typed, panel, Approve) }, Answer{Choice: Approve}},
		{"e then a click picks a point", Prompt{Action: click(900, 500), Monitor: mon}, func(t *testing.T, _ image.Rectangle) {
			x.xdotool(t, "key", "e")
			time.Sleep(200 * time.Millisecond) // the pointer grab
			x.xdotool(t, "mousemove", "321", "234", "click", "1")
		}, Answer{Choice: Edit, Point: &image.Point{321, 234}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := x.ask(t, context.Background(), tc.p)
			panel, _ := RenderPanel(tc.p)
			tc.do(t, PlacePanel(tc.p, panel.Image.Bounds().Size()))
			r := x.wait(t, out)
			if r.err != nil {
				t.Fatal(r.err)
			}
			if r.a.Choice != tc.want.Choice || (tc.want.Point == nil) != (r.a.Point == nil) ||
				(r.a.Point != nil && *r.a.Point != *tc.want.Point) {
				t.Errorf("Ask = %+v (point %v), want %+v (point %v)", r.a, r.a.Point, tc.want, tc.want.Point)
			}
		})
	}
}

func (x *x11Desk) clickButton(t *testing.T, p Prompt, at image.Rectangle, c Choice) {
	t.Helper()
	panel, err := RenderPanel(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range panel.Buttons {
		if b.Choice == c {
			q := at.Min.Add(b.Rect.Min).Add(b.Rect.Size().Div(2))
			x.xdotool(t, "mousemove", strconv.Itoa(q.X), strconv.Itoa(q.Y), "click", "1")
			return
		}
	}
	t.Fatalf("no %s button", c)
}

// Hide takes the overlay off the screen for a capture and puts it back; a
// cancelled context ends the prompt with its cause and leaves nothing behind.
func TestX11OverlayHideAndCancel(t *testing.T) {
	x := startDesk(t)
	target := image.Pt(400, 300)
	ctx, cancel := context.WithCancelCause(context.Background())
	out := x.ask(t, ctx, Prompt{Action: click(target.X, target.Y), Monitor: image.Rect(0, 0, 1280, 800)})
	around := image.Rectangle{Min: target, Max: target.Add(image.Pt(1, 1))}.Inset(-armLength - 4)
	if len(markerPixels(t, x.conn, around)) == 0 {
		t.Fatal("no marker on the screen")
	}
	restore, err := x.o.Hide(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n := len(markerPixels(t, x.conn, around)); n != 0 {
		t.Errorf("%d marker pixels on the screen while hidden", n)
	}
	restore()
	if len(markerPixels(t, x.conn, around)) == 0 {
		t.Error("the marker did not come back after the capture")
	}
	stop := errors.New("user pressed Stop")
	cancel(stop)
	r := x.wait(t, out)
	if !errors.Is(r.err, stop) {
		t.Errorf("Ask after cancel = %v, want the cause %v", r.err, stop)
	}
	if n := len(markerPixels(t, x.conn, around)); n != 0 {
		t.Errorf("%d marker pixels left after cancel", n)
	}
}

func BenchmarkX11OverlayShow(b *testing.B) {
	xvfbtest.Need(b, "xdotool")
	d := xvfbtest.Start(b, 1920, 1080)
	d.Setenv(b)
	o, err := Open()
	if err != nil {
		b.Fatal(err)
	}
	defer o.Close()
	p := Prompt{Step: 1, Action: click(800, 500), Monitor: image.Rect(0, 0, 1920, 1080), Risk: "medium", Thought: "the OK button"}
	for b.Loop() {
		panel, err := RenderPanel(p)
		if err != nil {
			b.Fatal(err)
		}
		s, err := o.show(p, panel)
		if err != nil {
			b.Fatal(err)
		}
		s.close()
	}
}
