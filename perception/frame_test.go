package perception

import (
	"errors"
	"image"
	"math"
	"math/rand/v2"
	"testing"
)

// frameFor builds the Frame Capture would make for a monitor at bounds whose
// captures come scale times larger.
func frameFor(bounds image.Rectangle, scale float64, g Grid) Frame {
	captured := image.Pt(int(math.Round(float64(bounds.Dx())*scale)), int(math.Round(float64(bounds.Dy())*scale)))
	return Frame{Bounds: bounds, Captured: captured, Scale: scale, Image: g.Size(captured.X, captured.Y)}
}

// For every screen point, FromScreen then ToScreen lands within one image
// pixel's footprint in actuation space (one 1/1000 or 1/999 step for the
// relative conventions); exactly on it when the image is the screen unscaled.
func TestMappingRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	sizes := []image.Point{{1920, 1080}, {2560, 1440}, {1366, 768}, {1280, 720}, {3840, 2160}, {1024, 768},
		{1440, 900}, {1080, 1920}, {1120, 840}, {800, 600}, {7680, 4320}, {5120, 1440}, {333, 777}}
	origins := []image.Point{{0, 0}, {1280, 0}, {-1920, 0}, {0, -1080}, {-2560, -300}, {3840, 1200}}
	conventions := []Convention{ImagePixels, Relative1000, Relative999}
	for _, size := range sizes {
		for _, origin := range origins {
			for _, scale := range []float64{1, 1.25, 1.5, 2} {
				for _, g := range []Grid{{}, {Factor: 32}} {
					f := frameFor(image.Rectangle{Min: origin, Max: origin.Add(size)}, scale, g)
					for _, c := range conventions {
						// The footprint of one model unit in actuation pixels, plus one
						// for the rounding to whole pixels.
						var stepX, stepY float64
						switch c {
						case ImagePixels:
							stepX, stepY = float64(size.X)/float64(f.Image.X), float64(size.Y)/float64(f.Image.Y)
						case Relative1000:
							stepX, stepY = float64(size.X)/1000, float64(size.Y)/1000
						case Relative999:
							stepX, stepY = float64(size.X)/999, float64(size.Y)/999
						}
						exact := c == ImagePixels && f.Image == size
						points := []image.Point{f.Bounds.Min, f.Bounds.Max.Sub(image.Pt(1, 1)),
							{f.Bounds.Min.X, f.Bounds.Max.Y - 1}, {f.Bounds.Max.X - 1, f.Bounds.Min.Y}}
						for range 200 {
							points = append(points, origin.Add(image.Pt(rng.IntN(size.X), rng.IntN(size.Y))))
						}
						for _, p := range points {
							x, y := f.FromScreen(p, c)
							q, err := f.ToScreen(x, y, c)
							if err != nil {
								t.Fatalf("%v scale %g %s: FromScreen(%v) = (%g, %g), which ToScreen rejects: %v",
									f.Bounds, scale, c, p, x, y, err)
							}
							if !q.In(f.Bounds) {
								t.Fatalf("%v %s: %v → (%g, %g) → %v, outside the monitor", f.Bounds, c, p, x, y, q)
							}
							dx, dy := math.Abs(float64(q.X-p.X)), math.Abs(float64(q.Y-p.Y))
							if exact && (dx != 0 || dy != 0) {
								t.Fatalf("%v unscaled %s: %v → (%g, %g) → %v, want exactly back", f.Bounds, c, p, x, y, q)
							}
							if dx > stepX+1 || dy > stepY+1 {
								t.Fatalf("%v scale %g image %v %s: %v → (%g, %g) → %v, off by (%g, %g), more than one step (%.2f, %.2f)",
									f.Bounds, scale, f.Image, c, p, x, y, q, dx, dy, stepX, stepY)
							}
						}
					}
				}
			}
		}
	}
}

// The image's corners map to the monitor's corners, also for monitors at
// negative origins.
func TestToScreenCorners(t *testing.T) {
	f := frameFor(image.Rect(-1920, -200, 0, 880), 1, Grid{})
	for _, tc := range []struct {
		x, y float64
		c    Convention
		want image.Point
	}{
		{0, 0, ImagePixels, image.Pt(-1920, -200)},
		{float64(f.Image.X), float64(f.Image.Y), ImagePixels, image.Pt(-1, 879)},
		{0, 0, Relative1000, image.Pt(-1920, -200)},
		{1000, 1000, Relative1000, image.Pt(-1, 879)},
		{999, 999, Relative999, image.Pt(-1, 879)},
		{500, 500, Relative1000, image.Pt(-960, 340)},
	} {
		got, err := f.ToScreen(tc.x, tc.y, tc.c)
		if err != nil || got != tc.want {
			t.Errorf("ToScreen(%g, %g, %s) = %v, %v; want %v", tc.x, tc.y, tc.c, got, err, tc.want)
		}
	}
}

func TestToScreenRejectsOutside(t *testing.T) {
	f := frameFor(image.Rect(1280, 0, 3200, 1080), 1, Grid{})
	for _, tc := range []struct {
		x, y float64
		c    Convention
	}{
		{-1, 10, ImagePixels},
		{10, -0.5, ImagePixels},
		{float64(f.Image.X) + 1, 10, ImagePixels},
		{10, float64(f.Image.Y) + 0.01, ImagePixels},
		{1000.5, 0, Relative1000},
		{0, 1001, Relative1000},
		{1000, 500, Relative999},
		{-3, 500, Relative999},
		{math.NaN(), 5, ImagePixels},
		{5, math.Inf(1), Relative1000},
		{math.Inf(-1), 5, Relative999},
	} {
		_, err := f.ToScreen(tc.x, tc.y, tc.c)
		var oe *OutsideError
		if !errors.As(err, &oe) {
			t.Errorf("ToScreen(%g, %g, %s) = %v, want *OutsideError", tc.x, tc.y, tc.c, err)
			continue
		}
		if oe.Convention != tc.c || oe.Error() == "" {
			t.Errorf("ToScreen(%g, %g, %s): error %+v names the wrong convention", tc.x, tc.y, tc.c, oe)
		}
	}
	if _, err := f.ToScreen(1, 1, "normalized"); err == nil {
		t.Error("ToScreen with an unknown convention succeeded")
	}
	if _, err := (Frame{Bounds: f.Bounds}).ToScreen(1, 1, ImagePixels); err == nil {
		t.Error("ToScreen in pixels on a frame without an image size succeeded")
	}
}

// Place is ToScreen before rounding, and Unplace undoes it, for every
// convention, on frames with odd sizes and origins.
func TestPlaceUnplace(t *testing.T) {
	frames := []Frame{
		{Bounds: image.Rect(0, 0, 1920, 1080), Image: image.Pt(1904, 1064)},
		{Bounds: image.Rect(-1366, -200, 0, 568), Image: image.Pt(1372, 756)},
		{Bounds: image.Rect(1920, 0, 3000, 1921), Image: image.Pt(1064, 1904)},
		{Bounds: image.Rect(0, 0, 7680, 4320), Image: image.Pt(1904, 1064)},
	}
	for _, f := range frames {
		for _, c := range []Convention{ImagePixels, Relative1000, Relative999} {
			lim := float64(c.max())
			limY := lim
			if c == ImagePixels {
				lim, limY = float64(f.Image.X-1), float64(f.Image.Y-1)
			}
			for _, fr := range []float64{0, 0.013, 0.25, 0.5, 0.777, 0.999} {
				x, y := math.Round(fr*lim), math.Round(fr*limY)
				px, py := f.Place(x, y, c)
				p, err := f.ToScreen(x, y, c)
				if err != nil {
					t.Fatal(err)
				}
				if want := image.Pt(int(math.Floor(px)), int(math.Floor(py))); p != want {
					t.Errorf("%v %s (%g, %g): ToScreen %v, floor(Place) %v", f.Bounds, c, x, y, p, want)
				}
				if ux, uy := f.Unplace(px, py, c); math.Abs(ux-x) > 1e-9 || math.Abs(uy-y) > 1e-9 {
					t.Errorf("%v %s: Unplace(Place(%g, %g)) = (%g, %g)", f.Bounds, c, x, y, ux, uy)
				}
			}
		}
	}
}
