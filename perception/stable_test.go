package perception

import (
	"image"
	"image/color"
	"image/draw"
	"testing"
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
