package calibrate

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"strconv"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Target is one labelled target on a board.
type Target struct {
	// Label is the number drawn beside the target, which the model is asked for.
	Label int `json:"label"`
	// Centre is the target's centre in board pixels: relative to the monitor's
	// origin, in actuation units.
	Centre image.Point `json:"centre"`
	// Colour is the target's own colour: no two targets share one, so the target
	// can be found again in a capture (Board.Find) whatever its size.
	Colour color.RGBA `json:"-"`
}

// Board is a screen-sized image of labelled targets at known positions.
type Board struct {
	Size    image.Point `json:"size"`
	Radius  int         `json:"radius"` // a click within Radius of a centre hits it
	Targets []Target    `json:"targets"`
}

// layout places the targets near the corners, the middles of the edges and the
// centre, at irregular fractions of the width and height: an error that scales
// or shifts coordinates moves each target by a different amount, so no error can
// hide behind a symmetric layout, and the fit per axis sees nine distinct values.
// The labels are shuffled so that a model cannot find a target by counting in
// reading order.
var layout = []struct {
	label  int
	fx, fy float64
}{
	{4, 0.07, 0.09}, {9, 0.53, 0.07}, {2, 0.93, 0.12},
	{7, 0.10, 0.48}, {5, 0.46, 0.56}, {1, 0.90, 0.43},
	{8, 0.06, 0.91}, {3, 0.58, 0.93}, {6, 0.94, 0.88},
}

// palette holds saturated colours 40° apart in hue, each with one channel at 255
// and none below 40, far apart from each other (≥ 130 in some channel), from the
// dark background and from the white labels.
var palette = []color.RGBA{
	{255, 40, 40, 255}, {255, 176, 40, 255}, {176, 255, 40, 255},
	{40, 255, 40, 255}, {40, 255, 176, 255}, {40, 176, 255, 255},
	{64, 64, 255, 255}, {176, 40, 255, 255}, {255, 40, 176, 255},
}

var (
	background = color.RGBA{24, 28, 34, 255}
	labelInk   = color.RGBA{245, 245, 245, 255}
	titleInk   = color.RGBA{150, 156, 164, 255}
)

// minBoard is the smallest screen a board fits on legibly.
var minBoard = image.Pt(320, 240)

// NewBoard lays out the targets for a screen of size (in actuation units).
func NewBoard(size image.Point) (Board, error) {
	if size.X < minBoard.X || size.Y < minBoard.Y {
		return Board{}, fmt.Errorf("the screen is %dx%d, too small for the calibration board (at least %dx%d)",
			size.X, size.Y, minBoard.X, minBoard.Y)
	}
	b := Board{Size: size, Radius: max(12, min(size.X, size.Y)/36)}
	for i, l := range layout {
		b.Targets = append(b.Targets, Target{
			Label:  l.label,
			Centre: image.Pt(int(l.fx*float64(size.X)), int(l.fy*float64(size.Y))),
			Colour: palette[i],
		})
	}
	return b, nil
}

// Target returns the target labelled label.
func (b Board) Target(label int) (Target, bool) {
	for _, t := range b.Targets {
		if t.Label == label {
			return t, true
		}
	}
	return Target{}, false
}

// Render draws the board: on a dark background, each target as a bold ring with
// a crosshair in its colour and its label in big white digits beside it, and a
// line of text saying what is going on.
func (b Board) Render() *image.RGBA {
	img := image.NewRGBA(image.Rectangle{Max: b.Size})
	draw.Draw(img, img.Rect, image.NewUniform(background), image.Point{}, draw.Src)
	// The title first: on a small screen the targets overlap it and must win.
	title := "deskhand calibration: measuring where the model would click. Nothing is clicked. Press Ctrl+C in the terminal to stop."
	ts := max(1, b.Size.Y/700)
	if w, _ := textSize(title, ts); w > b.Size.X-8 {
		title = "deskhand calibration: nothing is clicked"
	}
	w, _ := textSize(title, ts)
	drawText(img, title, image.Pt((b.Size.X-w)/2, max(4, b.Size.Y/200)), ts, titleInk)
	r := b.Radius
	ring := max(3, r/5)     // ring thickness
	arm := max(1, r/16)     // crosshair half-thickness: lines are 2*arm+1 wide
	scale := max(2, r*2/13) // label digits are 13*scale pixels high: about the ring's size
	for _, t := range b.Targets {
		c := t.Colour
		// Ring: pixels whose centre lies between r-ring and r from the target's centre.
		outer, inner := r*r, (r-ring)*(r-ring)
		for dy := -r; dy <= r; dy++ {
			for dx := -r; dx <= r; dx++ {
				if d := dx*dx + dy*dy; d <= outer && d > inner {
					img.SetRGBA(t.Centre.X+dx, t.Centre.Y+dy, c)
				}
			}
		}
		// Crosshair, symmetric about the centre so the target's colour centroid is
		// its centre.
		reach := r + r/3
		fill(img, image.Rect(t.Centre.X-reach, t.Centre.Y-arm, t.Centre.X+reach+1, t.Centre.Y+arm+1), c)
		fill(img, image.Rect(t.Centre.X-arm, t.Centre.Y-reach, t.Centre.X+arm+1, t.Centre.Y+reach+1), c)
		// Label beside the ring, on the side with room for it.
		text := strconv.Itoa(t.Label)
		w, h := textSize(text, scale)
		x := t.Centre.X + reach + r/2
		if x+w > b.Size.X-4 {
			x = t.Centre.X - reach - r/2 - w
		}
		drawText(img, text, image.Pt(x, t.Centre.Y-h/2), scale, labelInk)
	}
	return img
}

func fill(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	draw.Draw(img, r, image.NewUniform(c), image.Point{}, draw.Src)
}

// textSize is the size of s drawn by drawText at scale.
func textSize(s string, scale int) (w, h int) {
	face := basicfont.Face7x13
	return font.MeasureString(face, s).Ceil() * scale, face.Height * scale
}

// drawText draws s with its top-left corner at at, in basicfont's 7×13 glyphs
// scaled up scale times (nearest neighbour: crisp, blocky digits a model reads
// easily), keeping only the ink so the background shows through.
func drawText(dst *image.RGBA, s string, at image.Point, scale int, c color.RGBA) {
	face := basicfont.Face7x13
	w, h := textSize(s, 1)
	small := image.NewAlpha(image.Rect(0, 0, w, h))
	d := font.Drawer{Dst: small, Src: image.Opaque, Face: face, Dot: fixed.P(0, face.Ascent)}
	d.DrawString(s)
	for y := range h {
		for x := range w {
			if small.AlphaAt(x, y).A < 128 {
				continue
			}
			fill(dst, image.Rect(at.X+x*scale, at.Y+y*scale, at.X+(x+1)*scale, at.Y+(y+1)*scale), c)
		}
	}
}

// Spot is where a target was found in an image.
type Spot struct {
	// X and Y are the centroid of the target's pixels: the index of the pixel at
	// its centre, in the image's pixel coordinates (fractional).
	X, Y float64
	// Pixels is how many pixels of the target's colour were found.
	Pixels int
}

// colourTolerance is how far, per channel, a pixel may be from a target's colour
// and still count as the target's: a resize blurs the edges of rings and lines,
// and the few blended edge pixels that stay within it fall symmetrically.
const colourTolerance = 24

// Find locates every target in img, an image of the board as captured or sent to
// a model (at any size), by its colour, in one pass. Targets not found are
// missing from the map. Spots with fewer than minPixels pixels are dropped: stray
// pixels that happen to match are not a target.
func (b Board) Find(img image.Image) map[int]Spot {
	type acc struct{ sx, sy, n int }
	sums := make([]acc, len(b.Targets))
	match := func(r, g, bl uint8) int {
		// Every target colour has a channel at 255: anything darker is background,
		// a label edge or a blend.
		if max(r, g, bl) < 255-colourTolerance {
			return -1
		}
		for i, t := range b.Targets {
			if near(r, t.Colour.R) && near(g, t.Colour.G) && near(bl, t.Colour.B) {
				return i
			}
		}
		return -1
	}
	bounds := img.Bounds()
	if rgba, ok := img.(*image.RGBA); ok {
		for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
			row := rgba.Pix[rgba.PixOffset(bounds.Min.X, y):]
			for x := 0; x < bounds.Dx(); x++ {
				p := row[4*x : 4*x+3]
				if i := match(p[0], p[1], p[2]); i >= 0 {
					sums[i].sx += x
					sums[i].sy += y - bounds.Min.Y
					sums[i].n++
				}
			}
		}
	} else {
		for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
			for x := bounds.Min.X; x < bounds.Max.X; x++ {
				c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
				if i := match(c.R, c.G, c.B); i >= 0 {
					sums[i].sx += x - bounds.Min.X
					sums[i].sy += y - bounds.Min.Y
					sums[i].n++
				}
			}
		}
	}
	// A target at the image's scale has about 2πr·ring + 4·reach·arm pixels;
	// a quarter of its ring is a safe floor even for a 4× downscale.
	scale := float64(bounds.Dx()) / float64(b.Size.X)
	minPixels := max(4, int(float64(b.Radius)*scale*float64(max(3, b.Radius/5))*scale))
	out := map[int]Spot{}
	for i, s := range sums {
		if s.n < minPixels {
			continue
		}
		out[b.Targets[i].Label] = Spot{X: float64(s.sx) / float64(s.n), Y: float64(s.sy) / float64(s.n), Pixels: s.n}
	}
	return out
}

func near(a, b uint8) bool {
	d := int(a) - int(b)
	return d >= -colourTolerance && d <= colourTolerance
}
