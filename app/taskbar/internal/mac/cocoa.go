package mac

import (
	"image"
	"math"
)

// The plain-Go half of the package (mac_darwin.go is the other): where the bar
// goes in Cocoa's coordinates, and which title is the context, kept here so
// they are tested on every platform.
//
// Cocoa's screen space is points with the origin at the bottom-left of the
// main display and y growing up; a window is placed by the bottom-left corner
// of its frame. The task bar's place function works top-down, with y growing
// down, so each screen is turned over for it.

// cgPoint, cgSize and cgRect have the memory layout of NSPoint, NSSize and
// NSRect (CGFloat is float64 on every 64-bit Mac), so they are passed to and
// returned from Objective-C as they are.
type cgPoint struct{ X, Y float64 }

type cgSize struct{ W, H float64 }

type cgRect struct{ X, Y, W, H float64 }

// cocoaScreen is an NSScreen's frame and visible frame (the frame less the
// menu bar and the Dock).
type cocoaScreen struct{ Frame, Visible cgRect }

// contains reports whether the mouse at p is on r, as NSMouseInRect counts for
// an unflipped view: the bottom edge out, the top edge in, so that a mouse on
// the line between two stacked screens is on the lower one's top row.
func (r cgRect) contains(p cgPoint) bool {
	return p.X >= r.X && p.X < r.X+r.W && p.Y > r.Y && p.Y <= r.Y+r.H
}

// placeCocoa returns the frame origin (bottom-left) of a window of size,
// placed by place in the visible frame of the screen the mouse is on, or of
// the first screen (the main one, with the menu bar) when it is on none. It
// returns false when there are no screens.
func placeCocoa(screens []cocoaScreen, mouse cgPoint, size cgSize, place PlaceFunc) (cgPoint, bool) {
	if len(screens) == 0 {
		return cgPoint{}, false
	}
	s := screens[0]
	for _, sc := range screens {
		if sc.Frame.contains(mouse) {
			s = sc
			break
		}
	}
	v := s.Visible
	// The visible frame turned over: x as it is, y down from its top.
	top := image.Rect(round(v.X), 0, round(v.X+v.W), round(v.H))
	at := place(top, image.Pt(round(size.W), round(size.H)))
	return cgPoint{X: float64(at.X), Y: v.Y + v.H - float64(at.Y) - size.H}, true
}

// PlaceFunc returns where a window of size goes on a screen area, both in
// points, top-down: taskbar.Place.
type PlaceFunc func(area image.Rectangle, size image.Point) image.Point

func round(f float64) int { return int(math.Round(f)) }

// cgWindow is what CGWindowListCopyWindowInfo says of a window: its owner's
// process id (kCGWindowOwnerPID), layer (kCGWindowLayer, 0 for normal
// windows), opacity (kCGWindowAlpha) and title (kCGWindowName, only readable
// with the screen recording permission, which deskhand has).
type cgWindow struct {
	PID   int32
	Layer int32
	Alpha float64
	Name  string
}

// frontTitle returns the title of the frontmost window of the application
// with process id pid, from the on-screen windows front to back; else app,
// the application's name. The frontmost is the first normal-layer window
// that can be seen: a window of opacity 0 in front of it is no context.
func frontTitle(windows []cgWindow, pid int32, app string) string {
	for _, w := range windows {
		if w.PID != pid || w.Layer != 0 || w.Alpha == 0 {
			continue
		}
		if w.Name != "" {
			return w.Name
		}
		break // untitled, or its title cannot be read
	}
	return app
}
