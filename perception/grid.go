package perception

import (
	"image"
	"math"
)

// OllamaMaxPixels is the most pixels Ollama (v0.17) lets a Qwen-family image have
// before it resizes the image itself; past it, "the image the model saw" would no
// longer be the image deskhand sent.
const OllamaMaxPixels = 2 << 20

// Grid is a model's image geometry: sides a multiple of Factor, at most MaxPixels in
// all, never a side under MinSide. The zero Grid means factor 28 and Ollama's cap.
type Grid struct {
	Factor    int `json:"factor"`
	MaxPixels int `json:"max_pixels"`
	MinSide   int `json:"min_side"`
}

func (g Grid) withDefaults() Grid {
	if g.Factor <= 0 {
		g.Factor = 28
	}
	if g.MaxPixels <= 0 || g.MaxPixels > OllamaMaxPixels {
		g.MaxPixels = OllamaMaxPixels
	}
	if g.MinSide < 32 {
		g.MinSide = 32
	}
	return g
}

// Size returns the size of the image to send for a capture of w×h pixels: each side
// a multiple of the factor, within the pixel cap, aspect ratio kept as closely as the
// factor allows, never upscaled past one factor step. The server's own resize leaves
// such a size unchanged, so the model sees exactly the image sent.
func (g Grid) Size(w, h int) image.Point {
	g = g.withDefaults()
	if w <= 0 || h <= 0 {
		return image.Point{}
	}
	f := float64(g.Factor)
	minUnits := int(math.Ceil(float64(g.MinSide) / f))
	fit := func(scale float64, round func(float64) float64) (int, int) {
		uw := max(int(round(float64(w)*scale/f)), minUnits)
		uh := max(int(round(float64(h)*scale/f)), minUnits)
		return uw * g.Factor, uh * g.Factor
	}
	scale := math.Min(1, math.Sqrt(float64(g.MaxPixels)/float64(w*h)))
	W, H := fit(scale, math.Round)
	if W*H > g.MaxPixels {
		W, H = fit(scale, math.Floor)
	}
	for W*H > g.MaxPixels { // only for extreme aspect ratios pinned at MinSide
		scale *= 0.98
		W, H = fit(scale, math.Floor)
	}
	return image.Pt(W, H)
}
