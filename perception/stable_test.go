package perception

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/draw"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

func TestThumbnail(t *testing.T) {
	// 20×10: cells of 8×8, the right column 4 wide and the bottom row 2 high.
	img := image.NewRGBA(image.Rect(0, 0, 20, 10))
	draw.Draw(img, image.Rect(0, 0, 8, 8), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(16, 8, 20, 10), image.NewUniform(color.RGBA{255, 0, 0, 255}), image.Point{}, draw.Src)
	// Half of cell (1,0) white.
	draw.Draw(img, image.Rect(8, 0, 16, 4), image.NewUniform(color.White), image.Point{}, draw.Src)
	th := thumbnail(img)
	if th.w != 3 || th.h != 2 {
		t.Fatalf("thumbnail of 20×10 is %d×%d cells, want 3×2", th.w, th.h)
	}
	want := []uint8{255, 128, 0, 0, 0, 76} // red: luma 77/256·255 ≈ 76.7
	for i, w := range want {
		if d := int(th.pix[i]) - int(w); d < -1 || d > 1 {
			t.Errorf("cell %d = %d, want %d", i, th.pix[i], w)
		}
	}
	// A sub-image must give the thumbnail of its own pixels.
	sub := img.SubImage(image.Rect(8, 0, 20, 10)).(*image.RGBA)
	if st := thumbnail(sub); st.w != 2 || st.pix[0] != th.pix[1] {
		t.Errorf("sub-image thumbnail = %d cells wide, first %d; want 2, %d", st.w, st.pix[0], th.pix[1])
	}
}

// Updating the cells of a changed area gives the thumbnail of the whole image.
func TestThumbUpdate(t *testing.T) {
	img := baseScreen()
	th := thumbnail(img)
	for _, r := range []image.Rectangle{
		image.Rect(100, 210, 106, 223), // inside, unaligned
		image.Rect(312, 232, 320, 240), // the last cell
		image.Rect(0, 0, 320, 240),     // everything
	} {
		block(img, r, color.RGBA{200, 30, 30, 255})
		th.update(img, th.cells(r))
		if want := thumbnail(img); changed(th, want) != 0 || !bytes.Equal(th.pix, want.pix) {
			t.Errorf("after drawing %v, the updated thumbnail differs from a new one", r)
		}
	}
	if c := th.cells(image.Rect(-8, 230, 400, 250)); c != image.Rect(0, 28, 40, 30) {
		t.Errorf("cells of an area past the edges = %v, want them clipped to the thumbnail", c)
	}
}

func TestChanged(t *testing.T) {
	a := thumb{w: 4, h: 3, pix: make([]uint8, 12)}
	b := thumb{w: 4, h: 3, pix: make([]uint8, 12)}
	b.pix[1*4+2] = cellNoise     // within noise
	b.pix[2*4+3] = cellNoise + 1 // a change
	b.pix[0*4+1] = 200           // a change
	if n := changed(a, b); n != 2 {
		t.Errorf("changed = %d, want 2", n)
	}
	if n := changed(b, a); n != 2 {
		t.Errorf("changed the other way = %d, want 2", n)
	}
	if n := changed(a, thumb{w: 3, h: 4, pix: make([]uint8, 12)}); n != 12 {
		t.Errorf("thumbnails of different shapes: %d changed cells, want all 12", n)
	}
}

// screenSeq draws frame i of a scripted screen 320×240 with some text-like
// content, for the stability table.
type screenSeq func(i int) *image.RGBA

func baseScreen() *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, 320, 240))
	draw.Draw(img, img.Rect, image.NewUniform(color.RGBA{240, 240, 240, 255}), image.Point{}, draw.Src)
	for y := 10; y < 200; y += 16 {
		for x := 10; x < 300; x += 7 {
			if (x*7+y*3)%5 != 0 {
				draw.Draw(img, image.Rect(x, y, x+5, y+11), image.NewUniform(color.Black), image.Point{}, draw.Src)
			}
		}
	}
	return img
}

func block(img *image.RGBA, r image.Rectangle, c color.Color) *image.RGBA {
	draw.Draw(img, r, image.NewUniform(c), image.Point{}, draw.Src)
	return img
}

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func TestStability(t *testing.T) {
	caret := image.Rect(100, 210, 106, 223) // a 6×13 block caret, as xterm's
	tests := []struct {
		name    string
		frames  screenSeq
		settles int // index of the sample that settles, or -1 for never within 40
	}{
		{"identical", func(int) *image.RGBA { return baseScreen() }, 2},
		{"noise within tolerance", func(i int) *image.RGBA {
			img := baseScreen()
			img.Pix[(i%7)*4*37] ^= 1 // one pixel off by one level
			return img
		}, 2},
		{"caret blinking every sample", func(i int) *image.RGBA {
			img := baseScreen()
			if i%2 == 1 {
				block(img, caret, color.Black)
			}
			return img
		}, 3}, // 0 A, 1 B (new), 2 A (seen), 3 B (seen)
		{"caret blinking, 600 on 300 off", func(i int) *image.RGBA {
			img := baseScreen()
			if i%18 < 12 { // samples are 50 ms apart: 600 ms on, 300 ms off
				block(img, caret, color.Black)
			}
			return img
		}, 2},
		{"settles after a change", func(i int) *image.RGBA {
			img := baseScreen()
			if i >= 1 {
				block(img, image.Rect(0, 0, 320, 100), color.RGBA{0, 0, 200, 255})
			}
			return img
		}, 3},
		{"typing a character every sample", func(i int) *image.RGBA {
			img := baseScreen()
			for k := 0; k <= i; k++ {
				block(img, image.Rect(10+7*k, 210, 15+7*k, 221), color.Black)
			}
			// The caret follows the text.
			return block(img, image.Rect(17+7*i, 210, 23+7*i, 223), color.Black)
		}, -1},
		{"terminal printing a counter, a line per sample", func(i int) *image.RGBA {
			img := block(baseScreen(), image.Rect(200, 0, 320, 240), color.White)
			first := max(0, i-16) // the terminal scrolls once it is full
			for k := first; k <= i; k++ {
				y := 4 + 13*(k-first)
				for c := 0; c <= k%3; c++ {
					block(img, image.Rect(204+7*c, y, 209+7*c, y+11), color.Black)
				}
			}
			return img
		}, -1},
		{"whole screen flipping", func(i int) *image.RGBA {
			if i%2 == 1 {
				return block(baseScreen(), image.Rect(0, 0, 320, 240), color.White)
			}
			return baseScreen()
		}, -1},
		{"animation", func(i int) *image.RGBA {
			return block(baseScreen(), image.Rect(20+i*3, 50, 80+i*3, 110), color.RGBA{200, 0, 0, 255})
		}, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var st stability
			got := -1
			for i := range 40 {
				if st.add(thumbnail(tc.frames(i)), t0.Add(time.Duration(i)*settleInterval)) {
					got = i
					break
				}
			}
			if got != tc.settles {
				t.Errorf("settled at sample %d, want %d (-1: never)", got, tc.settles)
			}
		})
	}
}

// Stillness is a time, not a number of samples: frequent samples need
// settleQuiet to pass, and widely spaced ones still need settleRuns.
func TestStabilityTiming(t *testing.T) {
	img := thumbnail(baseScreen())
	for _, tc := range []struct {
		every   time.Duration
		settles int
	}{{10 * time.Millisecond, 10}, {50 * time.Millisecond, 2}, {40 * time.Millisecond, 3}, {300 * time.Millisecond, 2}} {
		var st stability
		got := -1
		for i := range 40 {
			if st.add(img, t0.Add(time.Duration(i)*tc.every)) {
				got = i
				break
			}
		}
		if got != tc.settles {
			t.Errorf("samples %v apart: settled at sample %d, want %d", tc.every, got, tc.settles)
		}
	}
	// A caret blinking slower than the samples, 1 s on and 1 s off: when it comes
	// back on, the state it returns to was last seen 1.05 s before, first seen
	// 2 s before, and must count as quiet.
	caret := image.Rect(100, 210, 106, 223)
	on, off := thumbnail(block(baseScreen(), caret, color.Black)), thumbnail(baseScreen())
	var st stability
	for i := range 41 {
		img := on
		if i/20%2 == 1 {
			img = off
		}
		st.add(img, t0.Add(time.Duration(i)*50*time.Millisecond))
		if i == 20 && st.quiet != 0 {
			t.Errorf("the caret's first blink (a state never seen) counted as quiet")
		}
	}
	if st.quiet == 0 {
		t.Errorf("the caret blinking back on after 1 s counted as a change")
	}
}

func BenchmarkStableCompare(b *testing.B) {
	// One Settle sample's pure work: thumbnail a 1920×1080 capture and compare it.
	img := syntheticScreen(1920, 1080)
	var st stability
	st.add(thumbnail(img), t0)
	cpu := processCPU()
	at := t0
	for b.Loop() {
		at = at.Add(settleInterval)
		st.add(thumbnail(img), at)
	}
	reportCPU(b, cpu)
}

// damageDesk is a scripted desktop that reports what is drawn on it, as the X
// server's DAMAGE extension does: a backend and a damager.
type damageDesk struct {
	mu       sync.Mutex
	mons     []Monitor
	screen   *image.RGBA       // the whole desktop, actuation space from 0,0
	grabs    []image.Rectangle // what each capture read
	noDamage bool              // damage() fails with errNoDamage
	breakAt  int               // the sync that fails, counting from 1; 0: none
	opened   int
	src      *fakeDamage
	started  chan struct{} // closed by the first capture
}

func newDamageDesk(mons ...Monitor) *damageDesk {
	var all image.Rectangle
	for _, m := range mons {
		all = all.Union(m.Bounds)
	}
	d := &damageDesk{mons: mons, screen: image.NewRGBA(all), started: make(chan struct{})}
	draw.Draw(d.screen, all, image.NewUniform(color.RGBA{240, 240, 240, 255}), image.Point{}, draw.Src)
	return d
}

func (d *damageDesk) monitors() ([]Monitor, error)  { return d.mons, nil }
func (d *damageDesk) pointer() (image.Point, error) { return d.mons[0].Bounds.Min, nil }

func (d *damageDesk) capture(r image.Rectangle) (*image.RGBA, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.grabs = append(d.grabs, r)
	if len(d.grabs) == 1 {
		close(d.started)
	}
	img := image.NewRGBA(image.Rectangle{Max: r.Size()})
	draw.Draw(img, img.Rect, d.screen, r.Min, draw.Src)
	return img, nil
}

func (d *damageDesk) damage() (damages, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.noDamage {
		return nil, errNoDamage
	}
	d.opened++
	d.src = &fakeDamage{desk: d, wake: make(chan struct{}, 1)}
	return d.src, nil
}

// provenCapturer is a Capturer on d whose damage reports have already been
// seen to follow a change, so Settle trusts them without a last capture.
func provenCapturer(d *damageDesk) *Capturer {
	return &Capturer{be: d, watch: damageWatch{proven: true}}
}

// paintUnreported draws c over r without a damage report, as a compositor does
// on a display whose root window does not report what it draws.
func (d *damageDesk) paintUnreported(r image.Rectangle, c color.Color) {
	d.mu.Lock()
	draw.Draw(d.screen, r, image.NewUniform(c), image.Point{}, draw.Src)
	d.mu.Unlock()
}

// paint draws c over r and reports it.
func (d *damageDesk) paint(r image.Rectangle, c color.Color) {
	d.mu.Lock()
	draw.Draw(d.screen, r, image.NewUniform(c), image.Point{}, draw.Src)
	src := d.src
	d.mu.Unlock()
	if src != nil {
		src.report(r)
	}
}

func (d *damageDesk) captures() []image.Rectangle {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]image.Rectangle(nil), d.grabs...)
}

// shows reports whether img is what monitor m of the desk shows now.
func (d *damageDesk) shows(img *image.RGBA, m Monitor) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	want := image.NewRGBA(image.Rectangle{Max: m.Bounds.Size()})
	draw.Draw(want, want.Rect, d.screen, m.Bounds.Min, draw.Src)
	return img != nil && bytes.Equal(img.Pix, want.Pix)
}

// fakeDamage is damageDesk's damage source: it reports synchronously, so sync
// has nothing to wait for.
type fakeDamage struct {
	desk   *damageDesk
	wake   chan struct{}
	mu     sync.Mutex
	bounds image.Rectangle
	rep    damageReport
	syncs  int
	closed bool
}

func (f *fakeDamage) report(r image.Rectangle) {
	f.mu.Lock()
	hit := r.Overlaps(f.bounds)
	if hit {
		f.rep.n++
		f.rep.last = time.Now()
		f.rep.area = f.rep.area.Union(r.Intersect(f.bounds))
	}
	f.mu.Unlock()
	if hit {
		select {
		case f.wake <- struct{}{}:
		default:
		}
	}
}

func (f *fakeDamage) watch(r image.Rectangle) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.bounds, f.rep.area = r, image.Rectangle{}
}

func (f *fakeDamage) peek() damageReport {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.rep
}

func (f *fakeDamage) take() damageReport {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.rep
	f.rep.area = image.Rectangle{}
	return r
}

var errGone = errors.New("the X server went away")

func (f *fakeDamage) sync(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.syncs++
	if f.closed || f.desk.breakAt > 0 && f.syncs >= f.desk.breakAt {
		return errGone
	}
	return nil
}

func (f *fakeDamage) ready() <-chan struct{} { return f.wake }

func (f *fakeDamage) alive() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return !f.closed
}

func (f *fakeDamage) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
}

// Settle with damage reports, in a synctest bubble: time is virtual, so the
// times below are exact, whatever the machine's load.
func TestSettleDamage(t *testing.T) {
	mon := Monitor{Bounds: image.Rect(0, 0, 320, 240), Primary: true}
	other := Monitor{Index: 1, Bounds: image.Rect(320, 0, 640, 240)}
	caret := image.Rect(100, 210, 106, 223)
	red, blue := color.RGBA{200, 0, 0, 255}, color.RGBA{0, 0, 200, 255}
	const maxWait = 500 * time.Millisecond
	ms := time.Millisecond
	tests := []struct {
		name   string
		script func(d *damageDesk) // runs in its own goroutine from Settle's start
		took   time.Duration       // when Settle returns
		grabs  int                 // captures it makes, -1 for any
		still  bool                // whether it leaves a still sample
	}{
		{"nothing drawn", func(*damageDesk) {}, damageQuiet, 1, true},
		{"a change within the quiet window is waited for", func(d *damageDesk) {
			time.Sleep(damageQuiet - 10*ms)
			d.paint(image.Rect(0, 0, 320, 100), blue)
		}, 2*damageQuiet - 10*ms, 2, true},
		{"a change after the quiet window is not", func(d *damageDesk) {
			time.Sleep(damageQuiet + 10*ms)
			d.paint(image.Rect(0, 0, 320, 100), blue)
		}, damageQuiet, 1, true},
		{"a redraw in frames 20 ms apart", func(d *damageDesk) {
			for i := range 11 {
				time.Sleep(20 * ms)
				d.paint(image.Rect(10, 10, 20+20*i, 30), red) // a growing bar
			}
		}, 220*ms + damageQuiet, -1, true},
		{"frames 45 ms apart, slower than a sampling interval", func(d *damageDesk) {
			for i := range 5 {
				time.Sleep(45 * ms)
				d.paint(image.Rect(10, 10, 20+20*i, 30), red)
			}
		}, 225*ms + damageQuiet, -1, true},
		{"a caret blinking faster than the quiet window", func(d *damageDesk) {
			for i := 0; ; i++ {
				time.Sleep(30 * ms)
				c := color.Color(color.Black)
				if i%2 == 1 {
					c = color.RGBA{240, 240, 240, 255}
				}
				d.paint(caret, c)
				if i == 100 {
					return
				}
			}
		}, -1, -1, true},
		{"drawing that never stops", func(d *damageDesk) {
			for i := 0; i < 100; i++ {
				time.Sleep(20 * ms)
				d.paint(image.Rect(0, 50, 2*i+2, 60), red)
			}
		}, maxWait, -1, false},
		{"drawing on another monitor", func(d *damageDesk) {
			for i := 0; i < 100; i++ {
				time.Sleep(20 * ms)
				d.paint(image.Rect(320, 50, 320+2*i+2, 60), red)
			}
		}, damageQuiet, 1, true},
		{"the same pixels drawn again", func(d *damageDesk) {
			for i := 0; i < 100; i++ {
				time.Sleep(15 * ms)
				d.paint(image.Rect(0, 200, 320, 240), color.RGBA{240, 240, 240, 255})
			}
		}, -1, -1, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				d := newDamageDesk(mon, other)
				c := provenCapturer(d)
				defer c.Close()
				ctx := context.Background()
				start := time.Now()
				done := make(chan struct{})
				go func() {
					defer close(done)
					<-d.started // with Settle, once it has captured the monitor
					tc.script(d)
				}()
				defer func() { <-done }() // the scripts end, in virtual time at once
				if err := c.Settle(ctx, maxWait); err != nil {
					t.Fatal(err)
				}
				took := time.Since(start)
				grabs := d.captures()
				t.Logf("settled after %v with %d captures", took, len(grabs))
				if tc.took >= 0 && took != tc.took {
					t.Errorf("Settle returned after %v, want %v", took, tc.took)
				}
				if tc.took < 0 && took >= maxWait/2 {
					t.Errorf("Settle returned after %v: it waited for drawing that changes nothing", took)
				}
				if tc.grabs >= 0 && len(grabs) != tc.grabs {
					t.Errorf("Settle captured %v, want %d captures", grabs, tc.grabs)
				}
				if grabs[0] != mon.Bounds {
					t.Errorf("first capture %v, want the monitor %v", grabs[0], mon.Bounds)
				}
				if (c.still != nil) != tc.still {
					t.Fatalf("still sample: %v, want %v", c.still != nil, tc.still)
				}
				if c.still != nil && c.still.unchanged(ctx) && !d.shows(c.still.img, mon) {
					t.Errorf("the still sample, patched from the areas drawn, is not what the screen shows")
				}
			})
		})
	}
}

// Settle captures again only the area that was drawn.
func TestSettleDamageCapturesTheDrawnArea(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mon := Monitor{Bounds: image.Rect(100, 50, 420, 290), Primary: true}
		d := newDamageDesk(mon)
		c := &Capturer{be: d}
		defer c.Close()
		go func() {
			time.Sleep(5 * time.Millisecond)
			d.paint(image.Rect(150, 60, 160, 70), color.Black)
			d.paint(image.Rect(400, 280, 500, 300), color.Black) // partly off the monitor
		}()
		if err := c.Settle(context.Background(), time.Second); err != nil {
			t.Fatal(err)
		}
		grabs := d.captures()
		if want := []image.Rectangle{mon.Bounds, image.Rect(150, 60, 420, 290)}; len(grabs) != 2 || grabs[1] != want[1] {
			t.Errorf("captures %v, want %v", grabs, want)
		}
		if !d.shows(c.still.img, mon) {
			t.Errorf("the still sample is not what the screen shows")
		}
	})
}

// Capture uses Settle's still sample when nothing was drawn since, and reads
// the screen again when something was, however soon.
func TestCaptureAfterDamage(t *testing.T) {
	mon := Monitor{Bounds: image.Rect(0, 0, 320, 240), Primary: true}
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		d := newDamageDesk(mon)
		c := provenCapturer(d)
		defer c.Close()
		start := time.Now()
		if err := c.Settle(ctx, time.Second); err != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond) // older than stillFresh, but nothing was drawn
		f, err := c.Capture(ctx, Grid{})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(d.captures()); n != 1 || !f.Taken.Equal(start) {
			t.Errorf("Capture after a still Settle: %d captures, frame taken at %v; want 1, the Settle's at %v", n, f.Taken, start)
		}

		if err := c.Settle(ctx, time.Second); err != nil {
			t.Fatal(err)
		}
		d.paint(image.Rect(0, 0, 10, 10), color.Black)
		if _, err := c.Capture(ctx, Grid{}); err != nil {
			t.Fatal(err)
		}
		if n := len(d.captures()); n != 3 {
			t.Errorf("Capture after damage: %d captures in all, want 3 (it must not use the older sample)", n)
		}

		if err := c.Settle(ctx, time.Second); err != nil {
			t.Fatal(err)
		}
		time.Sleep(damageStillFresh)
		if _, err := c.Capture(ctx, Grid{}); err != nil {
			t.Fatal(err)
		}
		if n := len(d.captures()); n != 5 {
			t.Errorf("Capture %v after Settle: %d captures in all, want 5", damageStillFresh, n)
		}
	})
}

// Until damage reports have been seen to follow a change, each Settle checks
// them with a last capture; reports that miss a change are given up for good.
func TestSettleDamageUntilProven(t *testing.T) {
	mon := Monitor{Bounds: image.Rect(0, 0, 320, 240), Primary: true}
	ctx := context.Background()
	blue := color.RGBA{0, 0, 200, 255}
	t.Run("a still screen is checked once more", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			d := newDamageDesk(mon)
			c := &Capturer{be: d}
			defer c.Close()
			if err := c.Settle(ctx, time.Second); err != nil {
				t.Fatal(err)
			}
			if n := len(d.captures()); n != 2 || c.still == nil || c.watch.never || c.watch.proven {
				t.Errorf("%d captures, still %v, never %v, proven %v; want 2, a still sample, reports kept, not proven",
					n, c.still != nil, c.watch.never, c.watch.proven)
			}
		})
	})
	t.Run("a reported change proves the reports", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			d := newDamageDesk(mon)
			c := &Capturer{be: d}
			defer c.Close()
			go func() { <-d.started; time.Sleep(5 * time.Millisecond); d.paint(image.Rect(0, 0, 100, 100), blue) }()
			if err := c.Settle(ctx, time.Second); err != nil {
				t.Fatal(err)
			}
			if !c.watch.proven {
				t.Fatal("a change the reports led to did not prove them")
			}
			before := len(d.captures())
			if err := c.Settle(ctx, time.Second); err != nil {
				t.Fatal(err)
			}
			if n := len(d.captures()) - before; n != 1 {
				t.Errorf("a proven still Settle captured %d times, want 1", n)
			}
		})
	})
	t.Run("a change the reports missed", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			d := newDamageDesk(mon)
			c := &Capturer{be: d}
			defer c.Close()
			go func() {
				<-d.started
				time.Sleep(10 * time.Millisecond)
				d.paintUnreported(image.Rect(0, 0, 320, 120), blue)
			}()
			start := time.Now()
			if err := c.Settle(ctx, time.Second); err != nil {
				t.Fatal(err)
			}
			if !c.watch.never || c.watch.src != nil {
				t.Errorf("never %v, source open %v: want the reports given up", c.watch.never, c.watch.src != nil)
			}
			if c.still == nil || !d.shows(c.still.img, mon) {
				t.Error("the still sample does not show the change the reports missed")
			}
			t.Logf("settled after %v", time.Since(start))
			before := len(d.captures())
			if err := c.Settle(ctx, time.Second); err != nil {
				t.Fatal(err)
			}
			if n := len(d.captures()) - before; n < 3 {
				t.Errorf("the next Settle captured %d times: want sampling (3 or more)", n)
			}
		})
	})
}

// Without damage reports Settle samples; a source that breaks is given up for
// the rest of the call and opened again by the next; Close releases it.
func TestSettleDamageFallback(t *testing.T) {
	mon := Monitor{Bounds: image.Rect(0, 0, 320, 240), Primary: true}
	ctx := context.Background()
	t.Run("no damage on this display", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			d := newDamageDesk(mon)
			d.noDamage = true
			c := &Capturer{be: d}
			for range 2 {
				if err := c.Settle(ctx, time.Second); err != nil {
					t.Fatal(err)
				}
			}
			if n := len(d.captures()); n != 6 || !c.watch.never {
				t.Errorf("two Settles took %d captures (want 3 samples each) and never=%v", n, c.watch.never)
			}
		})
	})
	t.Run("source breaks", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			d := newDamageDesk(mon)
			d.breakAt = 1
			c := &Capturer{be: d}
			defer c.Close()
			start := time.Now()
			if err := c.Settle(ctx, time.Second); err != nil {
				t.Fatal(err)
			}
			first := d.src
			// damageQuiet with reports, then sampling's three samples.
			if took := time.Since(start); took != damageQuiet+2*settleInterval || !first.closed {
				t.Errorf("Settle took %v and closed the source: %v; want %v, true", took, first.closed, damageQuiet+2*settleInterval)
			}
			d.breakAt = 0
			if err := c.Settle(ctx, time.Second); err != nil {
				t.Fatal(err)
			}
			if d.opened != 2 || d.src == first || d.src.closed {
				t.Errorf("the next Settle opened %d sources, want a second one", d.opened)
			}
		})
	})
	t.Run("close", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			d := newDamageDesk(mon)
			c := &Capturer{be: d}
			if err := c.Settle(ctx, time.Second); err != nil {
				t.Fatal(err)
			}
			src := d.src
			if err := c.Close(); err != nil || !src.closed {
				t.Fatalf("Close: %v, source closed: %v", err, src.closed)
			}
			if err := c.Settle(ctx, time.Second); err != nil {
				t.Fatal(err)
			}
			if d.opened != 2 {
				t.Errorf("Settle after Close opened %d sources in all, want 2", d.opened)
			}
			c.Close()
		})
	})
}
