// Package overlay owns the confirmation overlay: before an action runs, a marker
// drawn on the real screen where it will happen (a crosshair and box for a click,
// the path for a drag, an arrow for a scroll) and a panel beside it that says in
// words what will happen and takes the user's answer: Approve (Enter), Skip (S),
// Edit (E) or Stop (Esc).
//
// The geometry and the panel's picture are plain Go (this file and panel.go), so
// they are tested without a display. The windows are platform code: on X11
// (x11.go) two override-redirect windows, the marker shaped with the SHAPE
// extension and transparent to clicks, the panel beside it, never over the
// target, and the four keys grabbed only while the overlay waits; on Windows
// (overlay_windows.go) topmost layered windows, the marker transparent to clicks,
// the panel never activated, the keys registered as hotkeys while it waits; on
// macOS (overlay_darwin.go) non-activating floating NSPanels through purego, the
// keys taken by an event tap while it waits. Where Open fails (no X11 SHAPE, a
// missing framework) it returns ErrUnsupported and the app falls back to its own
// window (a frozen screenshot with the target drawn, see Thumbnail).
package overlay

import (
	"context"
	"errors"
	"image"
	"math"

	"github.com/deskhand/deskhand/actuation"
)

// ErrUnsupported is returned by Open where the platform cannot show the overlay.
var ErrUnsupported = errors.New("the on-screen overlay is not available on this platform")

// Prompt is what the overlay shows for one action.
type Prompt struct {
	Step   int
	Action actuation.Action // in actuation space
	// Monitor is the bounds of the monitor the action happens on, in actuation
	// space: the panel stays on it.
	Monitor image.Rectangle
	Thought string
	// Risk is the risk level ("low", "medium", "high") and Reasons why.
	Risk    string
	Reasons []string
}

// Choice is the user's answer.
type Choice string

// The answers of the panel's four buttons.
const (
	Approve Choice = "approve"
	Skip    Choice = "skip"
	Edit    Choice = "edit"
	Stop    Choice = "stop"
)

// Answer is what the user chose. For Edit on an action with a target, Point is
// where the user clicked instead; nil means "edit the text" (the app asks).
type Answer struct {
	Choice Choice
	Point  *image.Point
}

// Marker geometry, in screen pixels. The crosshair's arms stop short of the
// target so the pixel to be clicked stays visible, and the marker is never drawn
// over the point itself.
const (
	armLength = 36 // from the target to the end of each arm
	armGap    = 7  // from the target to the start of each arm
	thickness = 3
	boxHalf   = 16 // the box around the target: 33x33
	panelGap  = 28 // between the marker and the panel
	dotStep   = 6  // spacing of the dots that draw a path
)

// await waits for the user's answer to a prompt on the screen, the same on every
// platform: next returns the user's next choice (ok false for an event that is
// none), and pick lets them click the point an Edit moves the action to (ok
// false when they press Esc instead: back to the prompt).
func await(ctx context.Context, p Prompt, next func(context.Context) (Choice, bool, error),
	pick func(context.Context) (image.Point, bool, error)) (Answer, error) {
	for {
		choice, ok, err := next(ctx)
		if err != nil {
			return Answer{}, err
		}
		if !ok {
			continue
		}
		if choice == Edit && len(Targets(p.Action)) > 0 {
			pt, ok, err := pick(ctx)
			if err != nil {
				return Answer{}, err
			}
			if !ok {
				continue
			}
			return Answer{Choice: Edit, Point: &pt}, nil
		}
		return Answer{Choice: choice}, nil
	}
}

// Targets returns the points on the screen the action acts on: its point, and a
// drag's end. An action without a point (type, key, wait …) has none.
func Targets(a actuation.Action) []image.Point {
	var ps []image.Point
	if p, ok := a.Point(); ok {
		ps = append(ps, p)
	}
	if a.Type == actuation.Drag {
		if e, ok := a.End(); ok {
			ps = append(ps, e)
		}
	}
	return ps
}

// Marker returns the rectangles, in screen coordinates, whose union is the marker
// for a: a crosshair and box at each target, dots along a drag's path, an arrow
// for a scroll. None of them covers a target point itself. It is nil for an
// action without a target.
func Marker(a actuation.Action) []image.Rectangle {
	ts := Targets(a)
	if len(ts) == 0 {
		return nil
	}
	var rs []image.Rectangle
	for _, t := range ts {
		rs = append(rs, crosshair(t)...)
	}
	switch a.Type {
	case actuation.Drag:
		if len(ts) == 2 {
			rs = append(rs, path(ts[0], ts[1])...)
		}
	case actuation.Scroll:
		rs = append(rs, arrow(ts[0], a.Direction)...)
	}
	return rs
}

// crosshair is four arms and a box around t.
func crosshair(t image.Point) []image.Rectangle {
	h := thickness / 2
	return []image.Rectangle{
		// arms: left, right, up, down
		image.Rect(t.X-armLength, t.Y-h, t.X-armGap, t.Y-h+thickness),
		image.Rect(t.X+armGap+1, t.Y-h, t.X+armLength+1, t.Y-h+thickness),
		image.Rect(t.X-h, t.Y-armLength, t.X-h+thickness, t.Y-armGap),
		image.Rect(t.X-h, t.Y+armGap+1, t.X-h+thickness, t.Y+armLength+1),
		// box: top, bottom, left, right edges
		image.Rect(t.X-boxHalf, t.Y-boxHalf, t.X+boxHalf+1, t.Y-boxHalf+2),
		image.Rect(t.X-boxHalf, t.Y+boxHalf-1, t.X+boxHalf+1, t.Y+boxHalf+1),
		image.Rect(t.X-boxHalf, t.Y-boxHalf, t.X-boxHalf+2, t.Y+boxHalf+1),
		image.Rect(t.X+boxHalf-1, t.Y-boxHalf, t.X+boxHalf+1, t.Y+boxHalf+1),
	}
}

// path is square dots from a to b, leaving out the crosshairs' boxes at both
// ends.
func path(a, b image.Point) []image.Rectangle {
	dx, dy := float64(b.X-a.X), float64(b.Y-a.Y)
	n := math.Hypot(dx, dy)
	if n == 0 {
		return nil
	}
	var rs []image.Rectangle
	for d := float64(boxHalf + dotStep); d < n-boxHalf-dotStep/2; d += dotStep {
		x, y := a.X+int(math.Round(dx*d/n)), a.Y+int(math.Round(dy*d/n))
		rs = append(rs, image.Rect(x-1, y-1, x+2, y+2))
	}
	return rs
}

// arrow is a shaft and head pointing from t in direction dir, outside the box.
func arrow(t image.Point, dir string) []image.Rectangle {
	ux, uy := 0, 1
	switch dir {
	case "up":
		ux, uy = 0, -1
	case "left":
		ux, uy = -1, 0
	case "right":
		ux, uy = 1, 0
	}
	var rs []image.Rectangle
	start, end := boxHalf+armLength/2, boxHalf+armLength+24
	for d := start; d <= end; d += 2 {
		x, y := t.X+ux*d, t.Y+uy*d
		rs = append(rs, image.Rect(x-1, y-1, x+2, y+2))
	}
	// The head: two rows of dots spreading back from the tip.
	for k := 2; k <= 12; k += 2 {
		x, y := t.X+ux*(end-k), t.Y+uy*(end-k)
		px, py := uy*k, ux*k // perpendicular
		rs = append(rs, image.Rect(x+px-1, y+py-1, x+px+2, y+py+2), image.Rect(x-px-1, y-py-1, x-px+2, y-py+2))
	}
	return rs
}

// Bounds is the smallest rectangle holding every rectangle of rs.
func Bounds(rs []image.Rectangle) image.Rectangle {
	var b image.Rectangle
	for _, r := range rs {
		b = b.Union(r)
	}
	return b
}

// PlacePanel returns where a panel of size size goes for prompt p: beside the
// marker, on the monitor, never over a target or the marker. It tries the four
// corners around the marker (below right first, where the eye goes after the
// target), then the monitor's corners, and keeps the first that fits; with no
// target, it sits at the bottom centre of the monitor.
func PlacePanel(p Prompt, size image.Point) image.Rectangle {
	mon := p.Monitor
	if mon.Empty() {
		mon = image.Rect(0, 0, 1920, 1080)
	}
	marker := Bounds(Marker(p.Action))
	if marker.Empty() {
		x := mon.Min.X + (mon.Dx()-size.X)/2
		y := mon.Max.Y - size.Y - 64
		return clampTo(image.Rect(x, y, x+size.X, y+size.Y), mon)
	}
	m := marker.Inset(-panelGap)
	candidates := []image.Point{
		{m.Max.X, m.Max.Y},                   // below right
		{m.Min.X - size.X, m.Max.Y},          // below left
		{m.Max.X, m.Min.Y - size.Y},          // above right
		{m.Min.X - size.X, m.Min.Y - size.Y}, // above left
		{m.Max.X, m.Min.Y},                   // right
		{m.Min.X - size.X, m.Min.Y},          // left
		{m.Min.X, m.Max.Y},                   // below
		{m.Min.X, m.Min.Y - size.Y},          // above
		{mon.Max.X - size.X - 16, mon.Max.Y - size.Y - 16},
		{mon.Min.X + 16, mon.Max.Y - size.Y - 16},
		{mon.Max.X - size.X - 16, mon.Min.Y + 16},
		{mon.Min.X + 16, mon.Min.Y + 16},
	}
	clear := func(r image.Rectangle) bool {
		return r.In(mon) && !r.Overlaps(marker)
	}
	for _, c := range candidates {
		r := image.Rectangle{Min: c, Max: c.Add(size)}
		if clear(r) {
			return r
		}
	}
	// A monitor too small for the panel beside the marker: above, below, left
	// or right of the first target, moved onto the monitor, keeping the one that
	// covers no target and least of the marker.
	t := Targets(p.Action)[0]
	const near = armGap
	var tries []image.Rectangle
	for _, c := range []image.Point{
		{t.X - size.X/2, t.Y - near - size.Y}, // above
		{t.X - size.X/2, t.Y + near + 1},      // below
		{t.X - near - size.X, t.Y - size.Y/2}, // left
		{t.X + near + 1, t.Y - size.Y/2},      // right
	} {
		tries = append(tries, clampTo(image.Rectangle{Min: c, Max: c.Add(size)}, mon))
	}
	best, bestCost := tries[0], int64(math.MaxInt64)
	for _, r := range tries {
		cost := int64(r.Intersect(marker).Dx()) * int64(r.Intersect(marker).Dy())
		for _, tp := range Targets(p.Action) {
			if tp.In(r) {
				cost += 1 << 40 // worse than any overlap with the marker
			}
		}
		if cost < bestCost {
			best, bestCost = r, cost
		}
	}
	return best
}

// clampTo moves r inside mon where it fits.
func clampTo(r image.Rectangle, mon image.Rectangle) image.Rectangle {
	if r.Max.X > mon.Max.X {
		r = r.Sub(image.Pt(r.Max.X-mon.Max.X, 0))
	}
	if r.Max.Y > mon.Max.Y {
		r = r.Sub(image.Pt(0, r.Max.Y-mon.Max.Y))
	}
	if r.Min.X < mon.Min.X {
		r = r.Add(image.Pt(mon.Min.X-r.Min.X, 0))
	}
	if r.Min.Y < mon.Min.Y {
		r = r.Add(image.Pt(0, mon.Min.Y-r.Min.Y))
	}
	return r
}
