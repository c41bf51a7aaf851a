package mac

import (
	"image"
	"testing"
)

// topCentre is taskbar.Place, which this package cannot import (the taskbar
// package imports it): centred, an eighth of the way down.
func topCentre(area image.Rectangle, size image.Point) image.Point {
	return image.Pt(area.Min.X+(area.Dx()-size.X)/2, area.Min.Y+area.Dy()/8)
}

func TestPlaceCocoa(t *testing.T) {
	// The main display, 1440x900 points: a 25-point menu bar at the top and
	// a 70-point Dock at the bottom.
	mainScreen := cocoaScreen{Frame: cgRect{0, 0, 1440, 900}, Visible: cgRect{0, 70, 1440, 805}}
	// A display to its right, its bottom 200 points higher, with a menu bar.
	right := cocoaScreen{Frame: cgRect{1440, 200, 1920, 1080}, Visible: cgRect{1440, 200, 1920, 1055}}
	// A display below the main one: negative y.
	below := cocoaScreen{Frame: cgRect{0, -1080, 1920, 1080}, Visible: cgRect{0, -1080, 1920, 1080}}
	screens := []cocoaScreen{mainScreen, right, below}
	bar := cgSize{640, 80}
	for _, tc := range []struct {
		name  string
		mouse cgPoint
		want  cgPoint
	}{
		// 805/8 = 100 points below the menu bar: the bar's top at y 775,
		// its bottom at 695.
		{"main", cgPoint{100, 500}, cgPoint{400, 70 + 805 - 100 - 80}},
		{"right", cgPoint{2000, 1000}, cgPoint{1440 + (1920-640)/2, 200 + 1055 - 131 - 80}},
		{"below", cgPoint{50, -10}, cgPoint{(1920 - 640) / 2, -1080 + 1080 - 135 - 80}},
		// Cocoa's mouse y on the top row of a screen is its height, and the
		// bottom edge is the row of the screen below.
		{"main's top row", cgPoint{10, 900}, cgPoint{400, 695}},
		{"main's bottom edge", cgPoint{10, 0}, cgPoint{640, -215}},
		{"right's left edge", cgPoint{1440, 300}, cgPoint{2080, 1044}},
		{"off every screen", cgPoint{5000, 5000}, cgPoint{400, 695}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := placeCocoa(screens, tc.mouse, bar, topCentre)
			if !ok || got != tc.want {
				t.Errorf("placeCocoa(mouse %v) = %v, %v; want %v", tc.mouse, got, ok, tc.want)
			}
		})
	}
	if _, ok := placeCocoa(nil, cgPoint{}, bar, topCentre); ok {
		t.Error("placeCocoa with no screens: ok")
	}
}

func TestFrontTitle(t *testing.T) {
	const pid = 42
	menuBar := cgWindow{PID: 7, Layer: 25, Alpha: 1, Name: "Menubar"}
	for _, tc := range []struct {
		name    string
		windows []cgWindow
		want    string
	}{
		{"its front window", []cgWindow{menuBar, {PID: pid, Alpha: 1, Name: "Untitled"}, {PID: pid, Alpha: 1, Name: "Notes"}}, "Untitled"},
		{"another application's window in front", []cgWindow{{PID: 9, Alpha: 1, Name: "Other"}, {PID: pid, Alpha: 1, Name: "Mine"}}, "Mine"},
		{"its own floating panel", []cgWindow{{PID: pid, Layer: 3, Alpha: 1, Name: "Colors"}, {PID: pid, Alpha: 1, Name: "Doc"}}, "Doc"},
		{"an invisible window in front", []cgWindow{{PID: pid, Alpha: 0, Name: "helper"}, {PID: pid, Alpha: 1, Name: "Doc"}}, "Doc"},
		// Without the screen recording permission, kCGWindowName is absent.
		{"no readable title", []cgWindow{{PID: pid, Alpha: 1}, {PID: pid, Alpha: 1, Name: "Back"}}, "TextEdit"},
		{"no window", []cgWindow{menuBar}, "TextEdit"},
		{"no list", nil, "TextEdit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := frontTitle(tc.windows, pid, "TextEdit"); got != tc.want {
				t.Errorf("frontTitle = %q, want %q", got, tc.want)
			}
		})
	}
}
