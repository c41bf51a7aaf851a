package perception

import (
	"fmt"
	"image"
	"math"
	"testing"
)

func TestGridSize(t *testing.T) {
	tests := []struct {
		grid Grid
		w, h int
		want image.Point // zero: only the invariants are checked
	}{
		{Grid{}, 1920, 1080, image.Pt(1904, 1064)},
		{Grid{}, 2560, 1440, image.Pt(1904, 1064)},
		{Grid{}, 1024, 768, image.Pt(1036, 756)},
		{Grid{}, 1366, 768, image.Pt(1372, 756)},
		{Grid{}, 1120, 840, image.Pt(1120, 840)}, // already on the grid: unchanged
		{Grid{}, 3840, 2160, image.Point{}},
		{Grid{}, 7680, 4320, image.Point{}},
		{Grid{}, 1280, 720, image.Pt(1288, 728)},
		{Grid{}, 1920, 1200, image.Point{}},
		{Grid{}, 2880, 1800, image.Point{}}, // Retina capture
		{Grid{}, 3440, 1440, image.Point{}}, // ultrawide
		{Grid{}, 1081, 1921, image.Point{}}, // portrait, odd
		{Grid{}, 1080, 1920, image.Point{}},
		{Grid{}, 801, 601, image.Point{}},
		{Grid{}, 33, 33, image.Point{}},
		{Grid{}, 10, 10, image.Pt(56, 56)}, // tiny: MinSide 32 rounds up to 2 units
		{Grid{}, 5000, 40, image.Point{}},  // extreme aspect ratios
		{Grid{}, 40, 5000, image.Point{}},
		{Grid{}, 100000, 100, image.Point{}},
		{Grid{Factor: 32}, 1920, 1080, image.Point{}},
		{Grid{Factor: 32}, 2560, 1440, image.Point{}},
		{Grid{Factor: 32}, 1366, 768, image.Point{}},
		{Grid{Factor: 32}, 3840, 2160, image.Point{}},
		{Grid{Factor: 32, MaxPixels: 1 << 20}, 1920, 1080, image.Point{}},
		{Grid{Factor: 28, MaxPixels: 1003520}, 1920, 1080, image.Point{}}, // UI-TARS' 1280·28·28
		{Grid{MaxPixels: 10 << 20}, 3840, 2160, image.Point{}},            // capped to Ollama's limit
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%+v/%dx%d", tc.grid, tc.w, tc.h), func(t *testing.T) {
			got := tc.grid.Size(tc.w, tc.h)
			if tc.want != (image.Point{}) && got != tc.want {
				t.Errorf("Size(%d, %d) = %v, want %v", tc.w, tc.h, got, tc.want)
			}
			checkGrid(t, tc.grid, tc.w, tc.h, got)
		})
	}
}

// checkGrid checks Grid.Size's promises for one result.
func checkGrid(t *testing.T, g Grid, w, h int, got image.Point) {
	t.Helper()
	f := g.withDefaults().Factor
	maxPx := g.withDefaults().MaxPixels
	if got.X%f != 0 || got.Y%f != 0 {
		t.Errorf("Size(%d, %d) = %v: sides not multiples of %d", w, h, got, f)
	}
	if got.X*got.Y > maxPx || got.X*got.Y > OllamaMaxPixels {
		t.Errorf("Size(%d, %d) = %v: %d px, over the cap %d", w, h, got, got.X*got.Y, maxPx)
	}
	if got.X < 32 || got.Y < 32 {
		t.Errorf("Size(%d, %d) = %v: a side under 32", w, h, got)
	}
	// Never upscaled past one factor step, unless pinned at the minimum side.
	minSide := int(math.Ceil(32/float64(f))) * f
	if got.X > w+f && got.X > minSide || got.Y > h+f && got.Y > minSide {
		t.Errorf("Size(%d, %d) = %v: upscaled by more than one factor step", w, h, got)
	}
	// Aspect ratio within one factor step: the width is within one factor of the
	// width the height implies, or the other way round (whichever side is longer
	// carries the rounding), unless a side is pinned at the minimum.
	if got.X > minSide && got.Y > minSide {
		wantW := float64(got.Y) * float64(w) / float64(h)
		wantH := float64(got.X) * float64(h) / float64(w)
		if math.Abs(float64(got.X)-wantW) > float64(f) && math.Abs(float64(got.Y)-wantH) > float64(f) {
			t.Errorf("Size(%d, %d) = %v: aspect %.4f, want %.4f within one factor step", w, h, got,
				float64(got.X)/float64(got.Y), float64(w)/float64(h))
		}
	}
}

// Every screen size from 32 to 8K, both factors: the invariants always hold.
func TestGridSizeSweep(t *testing.T) {
	for _, g := range []Grid{{}, {Factor: 32}} {
		for w := 32; w <= 8000; w += 97 {
			for h := 32; h <= 8000; h += 89 {
				checkGrid(t, g, w, h, g.Size(w, h))
				if t.Failed() {
					return
				}
			}
		}
	}
	if got := (Grid{}).Size(0, 100); got != (image.Point{}) {
		t.Errorf("Size(0, 100) = %v, want zero", got)
	}
}
