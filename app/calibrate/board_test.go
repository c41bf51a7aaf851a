package calibrate

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"testing"

	"github.com/deskhand/deskhand/perception"
)

var sizes = []image.Point{{1920, 1080}, {2560, 1440}, {1366, 768}, {3840, 2160}, {1080, 1920}, {320, 240}}

// TestLayout: nine targets with distinct labels and colours, each ring and label
// inside the screen, no two targets sharing an x or y position (so the fit per
// axis sees nine values), none in the symmetric spots a scale about the centre
// would leave unmoved.
func TestLayout(t *testing.T) {
	for _, size := range sizes {
		t.Run(fmt.Sprintf("%dx%d", size.X, size.Y), func(t *testing.T) {
			b, err := NewBoard(size)
			if err != nil {
				t.Fatal(err)
			}
			if len(b.Targets) != 9 {
				t.Fatalf("%d targets, want 9", len(b.Targets))
			}
			labels, colours, xs, ys := map[int]bool{}, map[color.RGBA]bool{}, map[int]bool{}, map[int]bool{}
			for _, tg := range b.Targets {
				if tg.Label < 1 || tg.Label > 9 || labels[tg.Label] {
					t.Errorf("label %d repeated or outside 1..9", tg.Label)
				}
				labels[tg.Label] = true
				if colours[tg.Colour] {
					t.Errorf("colour %v repeated", tg.Colour)
				}
				colours[tg.Colour] = true
				if xs[tg.Centre.X] || ys[tg.Centre.Y] {
					t.Errorf("target %d at %v shares a row or column with another", tg.Label, tg.Centre)
				}
				xs[tg.Centre.X], ys[tg.Centre.Y] = true, true
				reach := b.Radius + b.Radius/3
				if !(image.Rect(tg.Centre.X-reach, tg.Centre.Y-reach, tg.Centre.X+reach+1, tg.Centre.Y+reach+1).In(image.Rectangle{Max: size})) {
					t.Errorf("target %d at %v (reach %d) leaves the %v screen", tg.Label, tg.Centre, reach, size)
				}
				if 2*tg.Centre.X == size.X || 2*tg.Centre.Y == size.Y {
					t.Errorf("target %d at %v sits on the screen's middle line", tg.Label, tg.Centre)
				}
			}
			if _, ok := b.Target(5); !ok {
				t.Error("Target(5) not found")
			}
		})
	}
	if _, err := NewBoard(image.Pt(300, 200)); err == nil {
		t.Error("NewBoard(300x200) succeeded, want an error")
	}
}

// TestRender: each target's colour at its centre and on its ring, the
// background between targets, white label ink beside each ring, and nothing of
// a target's colour outside its own area.
func TestRender(t *testing.T) {
	for _, size := range sizes {
		t.Run(fmt.Sprintf("%dx%d", size.X, size.Y), func(t *testing.T) {
			b, _ := NewBoard(size)
			img := b.Render()
			if img.Rect.Size() != size {
				t.Fatalf("board is %v, want %v", img.Rect.Size(), size)
			}
			for _, tg := range b.Targets {
				c := tg.Centre
				for _, p := range []image.Point{c, c.Add(image.Pt(b.Radius-1, 0)), c.Add(image.Pt(0, -(b.Radius - 1))), c.Add(image.Pt(-(b.Radius - 1), 0))} {
					if got := img.RGBAAt(p.X, p.Y); got != tg.Colour {
						t.Errorf("target %d: pixel %v = %v, want its colour %v", tg.Label, p, got, tg.Colour)
					}
				}
				// Between ring and crosshair: background.
				d := int(float64(b.Radius) * 0.5)
				if got := img.RGBAAt(c.X+d, c.Y+d); got != background {
					t.Errorf("target %d: pixel inside the ring = %v, want background", tg.Label, got)
				}
				ink := 0
				for y := c.Y - b.Radius; y <= c.Y+b.Radius; y++ {
					for x := c.X - 4*b.Radius; x <= c.X+4*b.Radius; x++ {
						if img.RGBAAt(x, y) == labelInk {
							ink++
						}
					}
				}
				if ink < b.Radius {
					t.Errorf("target %d: %d pixels of label ink beside it, want a visible label", tg.Label, ink)
				}
			}
			// The colour centroid of each target is its centre (what Find and
			// the capture check rely on).
			for label, s := range b.Find(img) {
				tg, _ := b.Target(label)
				if math.Abs(s.X-float64(tg.Centre.X)) > 0.01 || math.Abs(s.Y-float64(tg.Centre.Y)) > 0.01 {
					t.Errorf("target %d found at (%.2f, %.2f), want %v", label, s.X, s.Y, tg.Centre)
				}
			}
		})
	}
}

// TestFindResized: on the board as a model gets it (resized to Qwen's grid),
// every target is found within half a pixel of the image's own scaled centre.
func TestFindResized(t *testing.T) {
	for _, size := range sizes {
		t.Run(fmt.Sprintf("%dx%d", size.X, size.Y), func(t *testing.T) {
			b, _ := NewBoard(size)
			sent := perception.Grid{Factor: 28}.Size(size.X, size.Y)
			small := perception.Resize(b.Render(), sent)
			spots := b.Find(small)
			if len(spots) != len(b.Targets) {
				t.Fatalf("found %d of %d targets in the %v image", len(spots), len(b.Targets), sent)
			}
			g := geometry{size: size, img: sent}
			for _, tg := range b.Targets {
				s := spots[tg.Label]
				at := g.place(fpt{s.X, s.Y}, perception.ImagePixels)
				if d := at.dist(centreOf(tg.Centre)); d > float64(size.X)/float64(sent.X)+0.5 {
					t.Errorf("target %d found at %v on the screen, %.2f px from its centre %v", tg.Label, at, d, tg.Centre)
				}
			}
		})
	}
}

func BenchmarkRender(b *testing.B) {
	board, _ := NewBoard(image.Pt(1920, 1080))
	for b.Loop() {
		board.Render()
	}
}

func BenchmarkFind(b *testing.B) {
	board, _ := NewBoard(image.Pt(1920, 1080))
	img := perception.Resize(board.Render(), image.Pt(1904, 1064))
	for b.Loop() {
		board.Find(img)
	}
}
