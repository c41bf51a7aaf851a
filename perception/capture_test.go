package perception

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"strings"
	"sync"
	"testing"
	"time"
)

// *Capturer is a planner.Screen (restated so these tests do not build planner).
var _ interface {
	Capture(context.Context, Grid) (Frame, error)
	Settle(context.Context, time.Duration) error
} = (*Capturer)(nil)

// fakeBackend is a scripted desktop.
type fakeBackend struct {
	mu     sync.Mutex
	mons   []Monitor
	ptr    image.Point
	scale  int                                       // capture pixels per actuation unit
	frame  func(n int, r image.Rectangle) color.RGBA // colour of capture n
	err    error
	n      int // captures so far
	events *[]string
}

func (f *fakeBackend) monitors() ([]Monitor, error)  { return f.mons, f.err }
func (f *fakeBackend) pointer() (image.Point, error) { return f.ptr, f.err }
func (f *fakeBackend) capture(r image.Rectangle) (*image.RGBA, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	if f.events != nil {
		*f.events = append(*f.events, "capture")
	}
	s := max(f.scale, 1)
	img := image.NewRGBA(image.Rect(0, 0, r.Dx()*s, r.Dy()*s))
	c := color.RGBA{40, 80, 120, 255}
	if f.frame != nil {
		c = f.frame(f.n, r)
	}
	f.n++
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	return img, nil
}

func twoMonitors() []Monitor {
	return []Monitor{
		{Index: 0, Bounds: image.Rect(0, 0, 1280, 720), Primary: true},
		{Index: 1, Bounds: image.Rect(1280, 0, 3200, 1080)},
	}
}

func TestMonitorAt(t *testing.T) {
	ms := append(twoMonitors(), Monitor{Index: 2, Bounds: image.Rect(-1024, -768, 0, 0)})
	for _, tc := range []struct {
		p    image.Point
		want int
	}{
		{image.Pt(0, 0), 0},
		{image.Pt(1279, 719), 0},
		{image.Pt(1280, 0), 1},
		{image.Pt(3199, 1079), 1},
		{image.Pt(100, 900), 0},   // the gap under the small monitor: nearest is 0
		{image.Pt(1200, 1000), 1}, // also in the gap, nearer 1
		{image.Pt(-5, -5), 2},
		{image.Pt(99999, 500), 1},
	} {
		if got := monitorAt(ms, tc.p); got.Index != tc.want {
			t.Errorf("monitorAt(%v) = %d, want %d", tc.p, got.Index, tc.want)
		}
	}
}

func TestCaptureFollowsPointer(t *testing.T) {
	be := &fakeBackend{mons: twoMonitors(), ptr: image.Pt(2000, 500)}
	c := &Capturer{be: be}
	f, err := c.Capture(context.Background(), Grid{})
	if err != nil {
		t.Fatal(err)
	}
	want := Frame{Monitor: 1, Bounds: image.Rect(1280, 0, 3200, 1080), Captured: image.Pt(1920, 1080),
		Scale: 1, Image: image.Pt(1904, 1064), MIME: "image/png"}
	if f.Monitor != want.Monitor || f.Bounds != want.Bounds || f.Captured != want.Captured ||
		f.Scale != want.Scale || f.Image != want.Image || f.MIME != want.MIME {
		t.Errorf("Capture = %+v, want %+v", f, want)
	}
	if time.Since(f.Taken) > time.Minute || f.Taken.IsZero() {
		t.Errorf("Taken = %v", f.Taken)
	}
	img, err := png.Decode(bytes.NewReader(f.Data))
	if err != nil {
		t.Fatalf("Data is not a PNG: %v", err)
	}
	if img.Bounds().Size() != f.Image {
		t.Errorf("PNG is %v, Frame.Image says %v", img.Bounds().Size(), f.Image)
	}

	be.ptr = image.Pt(10, 10)
	f, err = c.Capture(context.Background(), Grid{Factor: 32})
	if err != nil {
		t.Fatal(err)
	}
	if f.Monitor != 0 || f.Captured != image.Pt(1280, 720) || f.Image != (Grid{Factor: 32}).Size(1280, 720) {
		t.Errorf("with the pointer on monitor 0: %+v", f)
	}
}

// Scale is measured from the capture: a Retina-like backend that captures twice
// the bounds gives Scale 2, and the image is sized from the captured pixels.
func TestCaptureMeasuresScale(t *testing.T) {
	be := &fakeBackend{mons: []Monitor{{Bounds: image.Rect(0, 0, 1440, 900), Primary: true}}, scale: 2}
	f, err := (&Capturer{be: be}).Capture(context.Background(), Grid{})
	if err != nil {
		t.Fatal(err)
	}
	if f.Scale != 2 || f.Captured != image.Pt(2880, 1800) || f.Image != (Grid{}).Size(2880, 1800) {
		t.Errorf("Retina capture: %+v", f)
	}
	// The model's centre is the monitor's centre in points.
	if p, _ := f.ToScreen(500, 500, Relative1000); p != image.Pt(720, 450) {
		t.Errorf("centre maps to %v, want (720,450)", p)
	}
}

func TestCaptureFixedMonitorAndFormats(t *testing.T) {
	be := &fakeBackend{mons: twoMonitors(), ptr: image.Pt(2000, 500)}
	c := &Capturer{be: be, FixedMonitor: true, Monitor: 0, Format: "jpeg"}
	f, err := c.Capture(context.Background(), Grid{})
	if err != nil {
		t.Fatal(err)
	}
	if f.Monitor != 0 || f.MIME != "image/jpeg" {
		t.Errorf("fixed monitor 0 as JPEG: %+v", f)
	}
	if img, err := jpeg.Decode(bytes.NewReader(f.Data)); err != nil || img.Bounds().Size() != f.Image {
		t.Errorf("Data is not a %v JPEG: %v", f.Image, err)
	}

	c.Monitor = 2
	if _, err := c.Capture(context.Background(), Grid{}); err == nil || !strings.Contains(err.Error(), "0..1") {
		t.Errorf("monitor 2 of 2: err = %v, want one naming the monitors there are", err)
	}
	c = &Capturer{be: be, Format: "webp"}
	if _, err := c.Capture(context.Background(), Grid{}); err == nil || !strings.Contains(err.Error(), `"png"`) {
		t.Errorf("format webp: err = %v, want one naming the formats", err)
	}
}

// Hide runs before the pixels are read and its restore right after, before the
// slow resize and encode.
func TestCaptureHides(t *testing.T) {
	var events []string
	be := &fakeBackend{mons: twoMonitors(), events: &events}
	c := &Capturer{be: be, Hide: func(ctx context.Context) (func(), error) {
		events = append(events, "hide")
		return func() { events = append(events, "restore") }, nil
	}}
	if _, err := c.Capture(context.Background(), Grid{}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(events, ","); got != "hide,capture,restore" {
		t.Errorf("events = %s, want hide,capture,restore", got)
	}

	boom := errors.New("overlay stuck")
	c.Hide = func(context.Context) (func(), error) { return nil, boom }
	if _, err := c.Capture(context.Background(), Grid{}); !errors.Is(err, boom) {
		t.Errorf("Hide failing: err = %v, want it wrapped", err)
	}
	c.Hide = func(context.Context) (func(), error) { return nil, nil } // nil restore is fine
	if _, err := c.Capture(context.Background(), Grid{}); err != nil {
		t.Errorf("Hide with a nil restore: %v", err)
	}
}

func TestCaptureErrors(t *testing.T) {
	nd := &NoDisplayError{}
	_, err := (&Capturer{be: &fakeBackend{err: nd}}).Capture(context.Background(), Grid{})
	var got *NoDisplayError
	if !errors.As(err, &got) {
		t.Errorf("without a display: err = %v, want a *NoDisplayError", err)
	}
	_, err = (&Capturer{be: &fakeBackend{}}).Capture(context.Background(), Grid{})
	if !errors.As(err, &got) {
		t.Errorf("with no monitors: err = %v, want a *NoDisplayError", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := (&Capturer{be: &fakeBackend{mons: twoMonitors()}}).Capture(ctx, Grid{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
	if _, err := Monitors(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Monitors cancelled: err = %v", err)
	}
}

func TestSettle(t *testing.T) {
	mons := []Monitor{{Bounds: image.Rect(0, 0, 320, 240), Primary: true}}
	t.Run("still screen settles at once", func(t *testing.T) {
		be := &fakeBackend{mons: mons}
		start := time.Now()
		if err := (&Capturer{be: be}).Settle(context.Background(), time.Second); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d > 1500*time.Millisecond || be.n != 3 {
			t.Errorf("took %v and %d samples, want about %v and 3", d, be.n, 2*settleInterval)
		}
	})
	t.Run("settles after a change stops", func(t *testing.T) {
		be := &fakeBackend{mons: mons, frame: func(n int, _ image.Rectangle) color.RGBA {
			return color.RGBA{uint8(min(n, 5) * 40), 0, 0, 255}
		}}
		if err := (&Capturer{be: be}).Settle(context.Background(), 3*time.Second); err != nil {
			t.Fatal(err)
		}
		if be.n != 8 { // changes up to sample 5, then 5, 6, 7 agree
			t.Errorf("settled after %d samples, want 8", be.n)
		}
	})
	t.Run("never settles: returns nil at the limit", func(t *testing.T) {
		be := &fakeBackend{mons: mons, frame: func(n int, _ image.Rectangle) color.RGBA {
			return color.RGBA{uint8(n * 20), 0, 0, 255}
		}}
		start := time.Now()
		if err := (&Capturer{be: be}).Settle(context.Background(), 500*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d < 400*time.Millisecond || d > 3*time.Second {
			t.Errorf("returned after %v, want about 500ms", d)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		be := &fakeBackend{mons: mons, frame: func(n int, _ image.Rectangle) color.RGBA {
			return color.RGBA{uint8(n * 20), 0, 0, 255}
		}}
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		if err := (&Capturer{be: be}).Settle(ctx, 5*time.Second); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want the context's", err)
		}
	})
	t.Run("capture fails", func(t *testing.T) {
		boom := errors.New("x server gone")
		be := &fakeBackend{mons: mons}
		c := &Capturer{be: be}
		be.err = boom
		if err := c.Settle(context.Background(), time.Second); !errors.Is(err, boom) {
			t.Errorf("err = %v, want the capture error", err)
		}
	})
}

// After Settle has found the screen still, the next Capture uses Settle's last
// sample instead of reading the screen again — once, while it is fresh, for the
// same monitor, and not when Hide had something on the screen.
func TestCaptureUsesStillSample(t *testing.T) {
	ctx := context.Background()
	settled := func(t *testing.T, c *Capturer, f *fakeBackend) int {
		t.Helper()
		if err := c.Settle(ctx, time.Second); err != nil {
			t.Fatal(err)
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.n
	}
	captures := func(f *fakeBackend) int { f.mu.Lock(); defer f.mu.Unlock(); return f.n }
	newDesk := func() (*Capturer, *fakeBackend) {
		f := &fakeBackend{mons: twoMonitors(), ptr: image.Pt(10, 10)}
		return &Capturer{be: f}, f
	}

	// reused settles and captures, and fails unless the capture used Settle's
	// sample. The sample may be as old as a second here: a loaded machine (or
	// -race) can take longer than stillFresh between the sample and the
	// Capture, and "stale" tests the window itself.
	reused := func(t *testing.T, hide func(context.Context) (func(), error)) (*Capturer, *fakeBackend, int, Frame) {
		t.Helper()
		defer func(d time.Duration) { stillFresh = d }(stillFresh)
		stillFresh = time.Second
		c, f := newDesk()
		c.Hide = hide
		n := settled(t, c, f)
		fr, err := c.Capture(ctx, Grid{})
		if err != nil {
			t.Fatal(err)
		}
		if got := captures(f); got != n {
			t.Fatalf("Capture read the screen again after Settle (%d captures, want %d)", got, n)
		}
		return c, f, n, fr
	}

	t.Run("reused once", func(t *testing.T) {
		c, f, n, fr := reused(t, nil)
		if len(fr.Data) == 0 || fr.Taken.IsZero() {
			t.Errorf("frame from the still sample: %d bytes, taken %v", len(fr.Data), fr.Taken)
		}
		if _, err := c.Capture(ctx, Grid{}); err != nil {
			t.Fatal(err)
		}
		if got := captures(f); got != n+1 {
			t.Errorf("a second Capture used the sample again (%d captures, want %d)", got, n+1)
		}
	})
	t.Run("stale", func(t *testing.T) {
		c, f := newDesk()
		n := settled(t, c, f)
		time.Sleep(stillFresh + 20*time.Millisecond)
		if _, err := c.Capture(ctx, Grid{}); err != nil {
			t.Fatal(err)
		}
		if got := captures(f); got != n+1 {
			t.Errorf("a stale sample was used (%d captures, want %d)", got, n+1)
		}
	})
	t.Run("other monitor", func(t *testing.T) {
		c, f := newDesk()
		n := settled(t, c, f)
		f.mu.Lock()
		f.ptr = twoMonitors()[1].Bounds.Min.Add(image.Pt(5, 5))
		f.mu.Unlock()
		if _, err := c.Capture(ctx, Grid{}); err != nil {
			t.Fatal(err)
		}
		if got := captures(f); got != n+1 {
			t.Errorf("the sample of another monitor was used (%d captures, want %d)", got, n+1)
		}
	})
	t.Run("overlay on screen", func(t *testing.T) {
		c, f := newDesk()
		restored := 0
		c.Hide = func(context.Context) (func(), error) { return func() { restored++ }, nil }
		n := settled(t, c, f)
		if _, err := c.Capture(ctx, Grid{}); err != nil {
			t.Fatal(err)
		}
		if got := captures(f); got != n+1 || restored != 1 {
			t.Errorf("with deskhand's windows on the screen: %d captures (want %d), %d restores (want 1)", got, n+1, restored)
		}
	})
	t.Run("nothing to hide", func(t *testing.T) {
		// Hide had nothing to hide: the sample is still the screen as it is.
		reused(t, func(context.Context) (func(), error) { return nil, nil })
	})
}
