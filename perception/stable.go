package perception

import (
	"image"
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
	sums := make([]uint32, t.w)
	for cy := range t.h {
		clear(sums)
		rows := min(thumbCell, H-cy*thumbCell)
		for y := cy * thumbCell; y < cy*thumbCell+rows; y++ {
			line := img.Pix[img.PixOffset(img.Rect.Min.X, img.Rect.Min.Y+y):]
			line = line[:W*4]
			for cx := range t.w {
				x0, x1 := cx*thumbCell, min((cx+1)*thumbCell, W)
				var s uint32
				px := line[x0*4 : x1*4]
				for i := 0; i+3 < len(px); i += 4 {
					// BT.601 luma in 8.8 fixed point.
					s += 77*uint32(px[i]) + 150*uint32(px[i+1]) + 29*uint32(px[i+2])
				}
				sums[cx] += s
			}
		}
		for cx := range t.w {
			n := uint32(rows * (min((cx+1)*thumbCell, W) - cx*thumbCell))
			t.pix[cy*t.w+cx] = uint8((sums[cx]>>8 + n/2) / n)
		}
	}
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
	if len(s.recent) == 0 {
		s.since = at
		s.recent = append(s.recent, seen{t, at})
		return false
	}
	last := &s.recent[len(s.recent)-1]
	n := changed(last.t, t)
	switch {
	case n == 0:
		s.quiet++
		last.at = at // the same state, seen again
	case n <= toggleCells(t) && s.known(t, at):
		s.quiet++
		s.recent = append(s.recent, seen{t, at})
	default:
		s.quiet, s.since = 0, at
		s.recent = append(s.recent, seen{t, at})
	}
	// Forget states not seen within the window (keeping the current one).
	old := 0
	for old < len(s.recent)-1 && at.Sub(s.recent[old].at) > historyWindow {
		old++
	}
	s.recent = append(s.recent[:0], s.recent[old:]...)
	return s.quiet >= settleRuns && at.Sub(s.since) >= settleQuiet
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
