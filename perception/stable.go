package perception

import (
	"context"
	"errors"
	"fmt"
	"image"
	"runtime"
	"time"
)

// Settling works on thumbnails: one grayscale cell per thumbCell×thumbCell block of
// screen pixels (240×135 cells for 1920×1080). That is cheap to compute and
// compare, and still sees a single changed character.
const thumbCell = 8

// cellNoise is how far a cell's mean gray may move without counting as a change:
// it ignores dithering and sub-pixel jitter, but one fully flipped pixel in the
// 64 of a cell (255/64 ≈ 4) still counts.
const cellNoise = 3

// thumb is a grayscale thumbnail: w×h cells, row-major.
type thumb struct {
	w, h int
	pix  []uint8
}

// thumbnail returns img's thumbnail: each cell the mean luma of its block (partial
// blocks at the right and bottom edges are averaged over the pixels they have).
func thumbnail(img *image.RGBA) thumb {
	W, H := img.Rect.Dx(), img.Rect.Dy()
	t := thumb{w: (W + thumbCell - 1) / thumbCell, h: (H + thumbCell - 1) / thumbCell}
	t.pix = make([]uint8, t.w*t.h)
	t.update(img, image.Rect(0, 0, t.w, t.h))
	return t
}

// cells returns the cells that pixels r of the thumbnailed image touch.
func (t thumb) cells(r image.Rectangle) image.Rectangle {
	c := image.Rect(r.Min.X/thumbCell, r.Min.Y/thumbCell,
		(r.Max.X+thumbCell-1)/thumbCell, (r.Max.Y+thumbCell-1)/thumbCell)
	return c.Intersect(image.Rect(0, 0, t.w, t.h))
}

// update recomputes cells (in cell coordinates) from img, the image t was made
// of: after a damaged area is captured again, only its cells need the work.
func (t thumb) update(img *image.RGBA, cells image.Rectangle) {
	W, H := img.Rect.Dx(), img.Rect.Dy()
	sums := make([]uint32, cells.Dx())
	for cy := cells.Min.Y; cy < cells.Max.Y; cy++ {
		clear(sums)
		rows := min(thumbCell, H-cy*thumbCell)
		for y := cy * thumbCell; y < cy*thumbCell+rows; y++ {
			line := img.Pix[img.PixOffset(img.Rect.Min.X, img.Rect.Min.Y+y):]
			line = line[:W*4]
			for j := range sums {
				x0 := (cells.Min.X + j) * thumbCell
				var s uint32
				px := line[x0*4 : min(x0+thumbCell, W)*4]
				for i := 0; i+3 < len(px); i += 4 {
					// BT.601 luma in 8.8 fixed point.
					s += 77*uint32(px[i]) + 150*uint32(px[i+1]) + 29*uint32(px[i+2])
				}
				sums[j] += s
			}
		}
		for j, sum := range sums {
			cx := cells.Min.X + j
			n := uint32(rows * (min((cx+1)*thumbCell, W) - cx*thumbCell))
			t.pix[cy*t.w+cx] = uint8((sum>>8 + n/2) / n)
		}
	}
}

// clone returns a copy of t that later updates of t leave alone.
func (t thumb) clone() thumb {
	t.pix = append([]uint8(nil), t.pix...)
	return t
}

// changed counts the cells of b whose gray moved by more than cellNoise from a.
// Thumbnails of different sizes (the monitor changed) differ everywhere.
func changed(a, b thumb) int {
	if a.w != b.w || a.h != b.h {
		return max(len(a.pix), len(b.pix))
	}
	n := 0
	for i, va := range a.pix {
		if d := int(va) - int(b.pix[i]); d > cellNoise || d < -cellNoise {
			n++
		}
	}
	return n
}

// stability decides, from successive timed thumbnails, when the screen has
// settled: when it has been quiet for settleQuiet, over at least settleRuns
// samples.
//
// A sample is quiet when it equals the previous one within cellNoise, or when it
// changed only a small area (at most toggleCells) back to a state seen in the last
// historyWindow. The second rule is what lets a blinking caret, a blinking
// "unsaved" dot or a spinner with a few frames count as still, while the same
// amount of change that is new each time, such as text being typed or printed,
// does not: counting changed cells alone cannot tell the two apart, since a typed
// character changes as many cells as a caret blink.
type stability struct {
	recent []seen    // the distinct states of the last historyWindow, oldest first
	quiet  int       // consecutive quiet samples so far
	since  time.Time // when the quiet run began: the last changed sample
}

// seen is a screen state and when it was last seen.
type seen struct {
	t  thumb
	at time.Time
}

// The trade-off in settling is latency against returning while an application
// only paused. The screen counts as still once no change has been seen for
// settleQuiet, measured from the first sample that showed the final state, so
// Settle returns settleQuiet plus up to one sampling interval plus one capture
// after the screen really stopped: 100 + 0–50 + ~20 ms at settleInterval 50 ms.
// An application that pauses for longer than settleQuiet between updates (a
// page load waiting on the network) can be taken as settled during the pause,
// as it could with the 160 ms of three samples 80 ms apart before; one that
// updates at least every 100 ms (a terminal printing, a progress bar, typing)
// is waited for.
const (
	// settleQuiet is how long the screen must have been still.
	settleQuiet = 100 * time.Millisecond
	// settleRuns is the fewest quiet samples that can settle, so that one sample
	// taken late (a loaded machine, a slow capture) cannot settle on its own.
	settleRuns = 2
	// historyWindow covers a full cursor blink cycle on the common desktops
	// (xterm 0.9 s, GTK 1.2 s, Windows 1.06 s): a state seen within it may come
	// back and still count as quiet.
	historyWindow = 1300 * time.Millisecond
)

// toggleCells is the largest change that may count as a toggle back to a known
// state: 0.4 % of the screen, at least 4 cells (a caret or a small icon).
func toggleCells(t thumb) int { return max(4, len(t.pix)/256) }

// add feeds the sample taken at at and reports whether the screen has now
// settled.
func (s *stability) add(t thumb, at time.Time) bool {
	if s.look(t, at) {
		s.quiet, s.since = 0, at
	} else {
		s.quiet++
	}
	return s.quiet >= settleRuns && at.Sub(s.since) >= settleQuiet
}

// look records the sample t taken at at and reports whether it changed the
// screen: the first sample does; a later one does unless it equals the previous
// one or is a small toggle back to a recent state (see stability).
func (s *stability) look(t thumb, at time.Time) (change bool) {
	if len(s.recent) == 0 {
		s.recent = append(s.recent, seen{t, at})
		return true
	}
	last := &s.recent[len(s.recent)-1]
	n := changed(last.t, t)
	switch {
	case n == 0:
		last.at = at // the same state, seen again
	case n <= toggleCells(t) && s.known(t, at):
		s.recent = append(s.recent, seen{t, at})
	default:
		change = true
		s.recent = append(s.recent, seen{t, at})
	}
	// Forget states not seen within the window (keeping the current one).
	old := 0
	for old < len(s.recent)-1 && at.Sub(s.recent[old].at) > historyWindow {
		old++
	}
	s.recent = append(s.recent[:0], s.recent[old:]...)
	return change
}

// known reports whether t equals a state seen within the window, other than the
// latest.
func (s *stability) known(t thumb, at time.Time) bool {
	for _, old := range s.recent[:len(s.recent)-1] {
		if at.Sub(old.at) <= historyWindow && changed(old.t, t) == 0 {
			return true
		}
	}
	return false
}

// Settling from damage reports. Where the platform says what it draws (the X
// server's DAMAGE extension), Settle needs no sampling: no report means no
// pixel changed, so a still screen is known to be still at once, and the
// screen is looked at (captured) only after something was drawn, only where it
// was drawn, to tell a real change from a caret blink with the same rules as
// sampling (stability.look).
//
// The quiet window, damageQuiet, is measured from the last change seen (or from
// the start of Settle). It has two jobs: to cover an application's reaction to
// the action just done, which begins drawing some time after the input, and the
// gaps between the frames of one redraw. Measured on Xvfb with openbox (the X11
// tests' desktop) on a two-core machine busy with other builds, from an XTEST
// key or click being handled to the first damage: xterm echoes a key or a Return
// in 0.1–4 ms, xcalc redraws a pressed button in under 2 ms, mousepad shows a
// typed character in 0–10 ms, a new tab (ctrl+n) in 6–22 ms and its File menu
// in 12–36 ms, openbox opens its root menu in 9–22 ms and redraws a window it
// focuses in 1–4 ms. Within one redraw damage came at most 50 ms apart: GTK
// draws at its 60 Hz frame clock, 15–20 ms a frame, which the load stretched to
// 35–50 ms a few times. 70 ms covers all of that with 20 ms to spare, where
// sampling needed 100 ms of stillness plus up to a sampling interval plus a
// capture (126–169 ms on a still 1920x1080 screen).
//
// No window short enough for a fast step covers an application that works a
// while before drawing anything: mousepad's file dialog (ctrl+o) draws its first
// pixel 104–201 ms after the key, its search bar (ctrl+f) slides in 96 ms after
// the key the first time, a program started from a terminal takes hundreds of
// milliseconds. Sampling did not wait for those either (at best it caught the
// dialog half drawn and waited for the rest); the model sees them in its next
// step.
const (
	// damageQuiet is how long after the last change (or the start) no damage
	// may arrive before the screen counts as settled.
	damageQuiet = 70 * time.Millisecond
	// damageLook is how long after a damage report Settle waits before looking
	// at the screen, so that a burst of drawing (mousepad's new tab: 40 reports
	// over 10 ms) is seen once, finished. Looks are also at least
	// settleInterval apart, so a playing video costs no more than sampling did.
	damageLook = 10 * time.Millisecond
	// damageStillFresh bounds how old a still sample Capture may use when no
	// damage was reported since it was taken, in case reports were lost in a
	// way the connection does not show.
	damageStillFresh = time.Second
)

// damages reports where the screen was drawn, as it happens. Settle and Capture
// use it from one goroutine; its own goroutine, if it has one, only fills in
// the reports.
type damages interface {
	// watch makes the reports count only damage that touches r (actuation
	// space: the monitor being settled), and forgets the area reported so far.
	watch(r image.Rectangle)
	// peek returns the reports so far; take does too, and starts the next
	// report's area afresh.
	peek() damageReport
	take() damageReport
	// sync returns once every drawing the display did before the call has been
	// reported, so that a report count read after it is exact.
	sync(ctx context.Context) error
	// ready receives a value when a report (or a sync) arrives.
	ready() <-chan struct{}
	// alive reports whether the source still works; a dead one is closed and
	// opened again.
	alive() bool
	// close releases the source. It may be called more than once.
	close()
}

// damageReport sums up the damage reported in the watched area.
type damageReport struct {
	n    uint64          // reports so far: it changes when anything was drawn
	last time.Time       // when the latest arrived
	area image.Rectangle // the union of the areas drawn since the previous take
}

// damager is a backend that can report damage (the X11 one).
type damager interface {
	// damage opens a damage source, or returns an error wrapping errNoDamage
	// when this display cannot have one.
	damage() (damages, error)
}

// errNoDamage means the display cannot report what it draws (no DAMAGE
// extension, or XWayland, whose root window does not see Wayland windows):
// Settle samples instead, for the Capturer's life.
var errNoDamage = errors.New("the display does not report where it draws")

// errDamageLost means the damage source broke during Settle; Settle samples for
// the rest of its wait and opens the source again next time.
var errDamageLost = errors.New("the damage reports stopped")

// damageWatch is a Capturer's damage source. It is opened by the first Settle
// and kept for the Capturer's life: the Capturer owns it, Close releases it,
// and so does the garbage collector when the Capturer is dropped unclosed.
type damageWatch struct {
	src     damages
	cleanup runtime.Cleanup
	never   bool // the display has no damage reports: do not ask again
	// proven is set once a damage report has led to a change on the screen:
	// the reports are seen to follow what is drawn. Until then each settle is
	// checked with a capture at its end (see settleDamage).
	proven bool
}

// damageSource returns c's damage source for be, opening it if need be, or nil
// when Settle has to sample.
func (c *Capturer) damageSource(be backend) damages {
	d, ok := be.(damager)
	if !ok || c.watch.never {
		return nil
	}
	// (never is also set when the reports missed a change: see settleDamage.)
	if c.watch.src != nil {
		if c.watch.src.alive() {
			return c.watch.src
		}
		c.closeDamage()
	}
	src, err := d.damage()
	if err != nil {
		// Anything but errNoDamage (the X server restarting) is tried again by
		// the next Settle.
		c.watch.never = errors.Is(err, errNoDamage)
		return nil
	}
	c.watch.src = src
	c.watch.cleanup = runtime.AddCleanup(c, func(src damages) { src.close() }, src)
	return src
}

func (c *Capturer) closeDamage() {
	if c.watch.src != nil {
		c.watch.cleanup.Stop()
		c.watch.src.close()
		c.watch.src = nil
	}
}

// Close releases what Settle keeps between calls: on X11, a connection to the X
// server that reports where the screen changes. A Capturer dropped without
// Close releases it when it is garbage collected; Close does it now. The
// Capturer stays usable, and its next Settle connects again.
func (c *Capturer) Close() error {
	c.closeDamage()
	return nil
}

// fresh reports whether Capture may use the still sample s instead of reading
// the screen again: with damage reports, if nothing was drawn on its monitor
// since it was taken; without, if it is at most stillFresh old.
func (s *stillSample) fresh(ctx context.Context) bool {
	if s.unchanged == nil {
		return time.Since(s.at) < stillFresh
	}
	return time.Since(s.at) < damageStillFresh && s.unchanged(ctx)
}

// settleDamage is Settle driven by dm's reports (see damageQuiet). It captures
// m once at the start (the still sample for a screen that does not change, and
// what the first damage is compared with), then, each time something was
// drawn, captures only the area drawn and patches it into that image. The
// screen has settled when damageQuiet has passed since the last change and
// either nothing was drawn since the last look or a look at that moment shows
// no change (a spinner or a caret that never rests). It returns an error
// wrapping errDamageLost when dm breaks.
func (c *Capturer) settleDamage(ctx context.Context, be backend, dm damages, m Monitor, deadline time.Time) error {
	start := time.Now()
	dm.watch(m.Bounds)
	rep := dm.take()
	img, err := be.capture(m.Bounds)
	if err != nil {
		return fmt.Errorf("wait for the screen to settle: %w", err)
	}
	th := thumbnail(img)
	var st stability
	st.look(th.clone(), start)
	// img shows every drawing up to report seen, looked at when looked.
	seen, looked := rep.n, start
	changeAt := start
	settled := func() error {
		if !c.watch.proven {
			// Under a compositing window manager the root window may not
			// report what the compositor draws: until reports have been seen
			// to follow a change, the screen is captured once more at the end
			// and must show nothing the reports missed. If it does, this
			// display's reports are not to be trusted, and Settle samples.
			now := time.Now()
			full, err := be.capture(m.Bounds)
			if err != nil {
				return fmt.Errorf("wait for the screen to settle: %w", err)
			}
			if st.look(thumbnail(full), now) {
				c.watch.never = true
				c.closeDamage()
				return c.settleSampling(ctx, be, m, deadline)
			}
			img, looked = full, now
		}
		n := seen
		c.still = &stillSample{img: img, at: looked, mon: m, unchanged: func(ctx context.Context) bool {
			return dm.sync(ctx) == nil && dm.peek().n == n
		}}
		return nil
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		now := time.Now()
		if !now.Before(deadline) {
			return nil
		}
		p := dm.peek()
		dirty := p.n != seen
		settleAt := changeAt.Add(damageQuiet)
		if !dirty && !now.Before(settleAt) {
			// Nothing drawn for the window, as far as the reports so far go:
			// make sure none is on its way.
			if err := dm.sync(ctx); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return fmt.Errorf("%w: %w", errDamageLost, err)
			}
			if dm.peek().n == seen {
				return settled()
			}
			continue
		}
		wake := settleAt
		if dirty {
			wake = earlier(later(p.last.Add(damageLook), looked.Add(settleInterval)), settleAt)
			if !now.Before(wake) {
				rep := dm.take()
				img, th, err = recapture(be, m, img, th, rep.area)
				if err != nil {
					return fmt.Errorf("wait for the screen to settle: %w", err)
				}
				change := st.look(th.clone(), now)
				seen, looked = rep.n, now
				switch {
				case change:
					c.watch.proven = true
					changeAt = later(changeAt, rep.last)
				case !now.Before(settleAt):
					return settled()
				}
				continue
			}
		}
		timer.Reset(time.Until(earlier(wake, deadline)))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-dm.ready():
		case <-timer.C:
		}
	}
}

// recapture captures area (actuation space) of monitor m again and patches it
// into img, m's capture, and th, img's thumbnail. It captures the whole monitor
// when the capture's pixels are not actuation units.
func recapture(be backend, m Monitor, img *image.RGBA, th thumb, area image.Rectangle) (*image.RGBA, thumb, error) {
	area = area.Intersect(m.Bounds)
	if area.Empty() {
		return img, th, nil
	}
	at := area.Sub(m.Bounds.Min)
	if img.Rect.Size() == m.Bounds.Size() {
		part, err := be.capture(area)
		if err != nil {
			return nil, thumb{}, err
		}
		if part.Rect.Size() == area.Size() {
			for y := range at.Dy() {
				dst := img.Pix[img.PixOffset(at.Min.X, at.Min.Y+y):][:at.Dx()*4]
				copy(dst, part.Pix[part.PixOffset(part.Rect.Min.X, part.Rect.Min.Y+y):])
			}
			th.update(img, th.cells(at))
			return img, th, nil
		}
	}
	full, err := be.capture(m.Bounds)
	if err != nil {
		return nil, thumb{}, err
	}
	return full, thumbnail(full), nil
}

// earlier returns the earlier of a and b.
func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// later returns the later of a and b.
func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
