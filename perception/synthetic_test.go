package perception

import (
	"image"
	"image/color"
	"image/draw"
	"math"
	"math/rand/v2"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// syntheticScreen draws a desktop-like w×h screenshot: a gradient wallpaper,
// windows with title bars, lines of small black-on-white text, coloured buttons
// and a terminal with light-on-dark text. Deterministic for a given size.
func syntheticScreen(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetRGBA(x, y, color.RGBA{uint8(40 + 60*y/h), uint8(70 + 80*x/w), 140, 255})
		}
	}
	rng := rand.New(rand.NewPCG(uint64(w), uint64(h)))
	fill := func(r image.Rectangle, c color.RGBA) {
		draw.Draw(img, r, image.NewUniform(c), image.Point{}, draw.Src)
	}
	text := func(x, y int, s string, c color.RGBA) {
		d := font.Drawer{Dst: img, Src: image.NewUniform(c), Face: basicfont.Face7x13,
			Dot: fixed.P(x, y)}
		d.DrawString(s)
	}
	words := []string{"File", "Edit", "View", "Save", "deskhand", "capture", "monitor", "Settings",
		"Cancel", "OK", "rsync -av ./src host:/backup", "12,345.67", "The quick brown fox", "jumps over"}
	line := func() string {
		var s string
		for len(s) < 40+rng.IntN(60) {
			s += words[rng.IntN(len(words))] + " "
		}
		return s
	}
	// Document windows.
	for i := range 4 {
		x0, y0 := (i%2)*w/2+20+10*i, (i/2)*h/2+20+10*i
		win := image.Rect(x0, y0, x0+w/2-60, y0+h/2-60)
		fill(win, color.RGBA{245, 245, 245, 255})
		fill(image.Rect(win.Min.X, win.Min.Y, win.Max.X, win.Min.Y+24), color.RGBA{50, 80, 160, 255})
		text(win.Min.X+8, win.Min.Y+17, "Window "+words[i+4], color.RGBA{255, 255, 255, 255})
		for y := win.Min.Y + 44; y < win.Max.Y-40; y += 16 {
			text(win.Min.X+10, y, line(), color.RGBA{0, 0, 0, 255})
		}
		for b := range 3 {
			r := image.Rect(win.Max.X-90*(b+1), win.Max.Y-32, win.Max.X-90*b-10, win.Max.Y-8)
			fill(r, color.RGBA{uint8(60 * b), 150, uint8(200 - 50*b), 255})
			text(r.Min.X+8, r.Min.Y+16, words[8+b], color.RGBA{255, 255, 255, 255})
		}
	}
	// A terminal with light text on dark.
	term := image.Rect(w/3, h/3, w/3+w/3, h/3+h/3)
	fill(term, color.RGBA{20, 20, 20, 255})
	for y := term.Min.Y + 14; y < term.Max.Y; y += 14 {
		text(term.Min.X+4, y, "$ "+line(), color.RGBA{200, 230, 200, 255})
	}
	return img
}

// psnr returns the peak signal-to-noise ratio between two same-sized images over
// R, G and B, in dB.
func psnr(a, b *image.RGBA) float64 {
	var sum float64
	n := 0
	for y := range a.Rect.Dy() {
		for x := range a.Rect.Dx() {
			i, j := a.PixOffset(x, y), b.PixOffset(x, y)
			for c := range 3 {
				d := float64(a.Pix[i+c]) - float64(b.Pix[j+c])
				sum += d * d
				n++
			}
		}
	}
	if sum == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255/(sum/float64(n)))
}

// sharpness is the mean absolute horizontal plus vertical luma gradient: how
// much edge contrast (text) an image keeps.
func sharpness(img *image.RGBA) float64 {
	luma := func(x, y int) float64 {
		i := img.PixOffset(x, y)
		return 0.299*float64(img.Pix[i]) + 0.587*float64(img.Pix[i+1]) + 0.114*float64(img.Pix[i+2])
	}
	var sum float64
	W, H := img.Rect.Dx(), img.Rect.Dy()
	for y := range H - 1 {
		for x := range W - 1 {
			l := luma(x, y)
			sum += math.Abs(luma(x+1, y)-l) + math.Abs(luma(x, y+1)-l)
		}
	}
	return sum / float64((W-1)*(H-1))
}
