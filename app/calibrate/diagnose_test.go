package calibrate

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/deskhand/deskhand/perception"
)

var alternatives = map[string]alternative{
	"uitars15": {perception.ImagePixels, 28},
	"uitars10": {perception.Relative1000, 28},
	"qwen25vl": {perception.ImagePixels, 28},
	"qwen3vl":  {perception.Relative999, 32},
	"json":     {perception.Relative1000, 28},
	"mystery":  {"", 14},
}

// fault produces what the diagnosis sees for one target: either the model's own
// numbers (model faults: it wrote them, the adapter maps them), or where the
// click landed (faults after the adapter: deskhand's mapping or the screen).
type fault struct {
	model func(g geometry, want fpt) (raw fpt, ok bool) // the model writes raw
	after func(g geometry, want fpt) (got fpt, ok bool) // the click lands at got
	miss  func(i int) bool                              // target i gets no usable reply
	noise func(i int, r *rand.Rand, p fpt) fpt          // added to the model's aim, in image pixels
	grid  func(g geometry) geometry                     // changes the geometry
}

// aim is where a perfect model looks for want: in pixels of an image of size seen.
func aim(g geometry, want fpt, seen image.Point) fpt {
	return fpt{want.X/float64(g.size.X)*float64(seen.X) - 0.5, want.Y/float64(g.size.Y)*float64(seen.Y) - 0.5}
}

// writes returns a model that writes its aim on an image of size seen (nil: the
// image sent) in convention c.
func writes(c perception.Convention, seen func(g geometry) image.Point) func(g geometry, want fpt) (fpt, bool) {
	return func(g geometry, want fpt) (fpt, bool) {
		s := g.img
		if seen != nil {
			s = seen(g)
		}
		p := aim(g, want, s)
		switch c {
		case perception.Relative1000:
			return fpt{(p.X + 0.5) * 1000 / float64(s.X), (p.Y + 0.5) * 1000 / float64(s.Y)}, true
		case perception.Relative999:
			return fpt{(p.X + 0.5) * 999 / float64(s.X), (p.Y + 0.5) * 999 / float64(s.Y)}, true
		}
		return fpt{math.Round(p.X), math.Round(p.Y)}, true
	}
}

func lands(f func(want fpt) fpt) func(g geometry, want fpt) (fpt, bool) {
	return func(_ geometry, want fpt) (fpt, bool) { return f(want), true }
}

// samples makes the diagnosis input for a fault, as Run would: the adapter maps
// the model's numbers (rounding to a pixel), and the raw numbers are read back
// from the click.
func samples(g geometry, b Board, f fault) []sample {
	rng := rand.New(rand.NewPCG(1, 2))
	var out []sample
	for i, t := range b.Targets {
		s := sample{want: centreOf(t.Centre)}
		if f.miss != nil && f.miss(i) {
			out = append(out, s)
			continue
		}
		if f.after != nil {
			got, _ := f.after(g, s.want)
			p := image.Pt(int(math.Floor(got.X)), int(math.Floor(got.Y)))
			s.got, s.ok = centreOf(p), true
			s.raw, s.hasRaw = g.unplace(p, g.conv), true
		} else {
			model := f.model
			if model == nil {
				model = writes(g.conv, nil)
			}
			raw, _ := model(g, s.want)
			if f.noise != nil {
				raw = f.noise(i, rng, raw)
			}
			at := g.place(raw, g.conv)
			p := image.Pt(int(math.Floor(at.X)), int(math.Floor(at.Y)))
			s.got, s.ok = centreOf(p), true
			s.raw, s.hasRaw = raw, true
		}
		out = append(out, s)
	}
	return out
}

func TestDiagnose(t *testing.T) {
	pixels := geometry{size: image.Pt(1920, 1080), img: image.Pt(1904, 1064), conv: perception.ImagePixels, radius: 30,
		adapter: "uitars15", alternatives: alternatives, grid: perception.Grid{Factor: 28}}
	relative := pixels
	relative.conv, relative.adapter = perception.Relative1000, "uitars10"
	second := pixels // the right-hand monitor of two
	second.origin, second.others = image.Pt(1920, 0), []image.Point{{0, 0}, {1920, 0}}
	first := pixels
	first.others = []image.Point{{0, 0}, {1920, 0}}
	precise := pixels
	precise.radius = 5
	qwen3 := relative
	qwen3.conv, qwen3.adapter = perception.Relative999, "qwen3vl"

	tests := []struct {
		name     string
		g        geometry
		f        fault
		want     Kind
		contains []string // in Summary + Fix
	}{
		{"pixels exact", pixels, fault{}, KindOK, []string{"9 of 9"}},
		{"relative exact", relative, fault{}, KindOK, nil},
		{"999 read as 1000 is within a pixel or two", qwen3, fault{model: writes(perception.Relative1000, nil)}, KindOK, nil},
		{"noisy but on target", pixels, fault{noise: func(_ int, r *rand.Rand, p fpt) fpt {
			return fpt{p.X + r.NormFloat64()*6, p.Y + r.NormFloat64()*6}
		}}, KindOK, nil},
		{"one misread label", pixels, fault{noise: func(i int, _ *rand.Rand, p fpt) fpt {
			if i == 4 {
				return fpt{p.X + 700, p.Y - 300}
			}
			return p
		}}, KindOK, []string{"8 of 9"}},
		{"relative model, pixel adapter", pixels, fault{model: writes(perception.Relative1000, nil)}, KindConvention,
			[]string{"0 to 1000", "--adapter uitars10", "json"}},
		{"relative model with a misread label", pixels, fault{model: writes(perception.Relative1000, nil), noise: func(i int, _ *rand.Rand, p fpt) fpt {
			if i == 2 {
				return fpt{p.X - 400, p.Y + 500}
			}
			return p
		}}, KindConvention, []string{"--adapter uitars10"}},
		{"pixel model, relative adapter", relative, fault{model: writes(perception.ImagePixels, nil)}, KindConvention,
			[]string{"pixels of the 1904x1064 image", "--adapter uitars15", "qwen25vl"}},
		{"pixel model, qwen3vl adapter", qwen3, fault{model: writes(perception.ImagePixels, nil)}, KindConvention,
			[]string{"--adapter qwen25vl"}},
		{"server capped the pixels", pixels, fault{model: writes(perception.ImagePixels, func(g geometry) image.Point {
			return smartResize(g.img.X, g.img.Y, 28, 56*56, 1280*28*28)
		})}, KindResize, []string{"1316x728", "max_pixels"}},
		{"qwen3 grid, pixel coordinates", precise, fault{model: writes(perception.ImagePixels, func(g geometry) image.Point {
			return smartResize(g.img.X, g.img.Y, 32, 56*56, 2<<20)
		})}, KindResize, []string{"1920x1056", "32-pixel", "--adapter qwen3vl"}},
		{"unknown resize", pixels, fault{model: writes(perception.ImagePixels, func(g geometry) image.Point {
			return image.Pt(2300, 1000)
		})}, KindResize, []string{"2300x100"}},
		{"hidpi 2", relative, fault{after: lands(func(w fpt) fpt { return fpt{w.X * 2, w.Y * 2} })}, KindHiDPI, []string{"×2", "200 %"}},
		{"hidpi 1/1.5", pixels, fault{after: lands(func(w fpt) fpt { return fpt{w.X / 1.5, w.Y / 1.5} })}, KindHiDPI, []string{"150 %"}},
		{"hidpi 1.25 about the desktop origin", func() geometry { g := relative; g.origin = image.Pt(1920, 0); return g }(),
			fault{after: lands(func(w fpt) fpt { return fpt{1.25*(w.X+1920) - 1920, 1.25 * w.Y} })}, KindHiDPI, []string{"125 %"}},
		{"origin left out", second, fault{after: lands(func(w fpt) fpt { return fpt{w.X - 1920, w.Y} })}, KindOrigin,
			[]string{"(-1920, 0)", "left out"}},
		{"origin counted twice", second, fault{after: lands(func(w fpt) fpt { return fpt{w.X + 1920, w.Y} })}, KindOrigin,
			[]string{"counted twice"}},
		{"another monitor's origin", first, fault{after: lands(func(w fpt) fpt { return fpt{w.X + 1920, w.Y} })}, KindOrigin,
			[]string{"another monitor"}},
		{"constant offset", pixels, fault{after: lands(func(w fpt) fpt { return fpt{w.X + 70, w.Y + 45} })}, KindOffset,
			[]string{"(70, 45)"}},
		{"odd scale", relative, fault{after: lands(func(w fpt) fpt { return fpt{w.X * 1.1, w.Y * 0.9} })}, KindScale,
			[]string{"×1.100", "×0.90"}},
		{"scattered", pixels, fault{noise: func(_ int, r *rand.Rand, p fpt) fpt {
			return fpt{r.Float64() * 1904, r.Float64() * 1064}
		}}, KindGrounding, []string{"UI-TARS-1.5"}},
		{"large noise", pixels, fault{noise: func(_ int, r *rand.Rand, p fpt) fpt {
			return fpt{p.X + r.NormFloat64()*80, p.Y + r.NormFloat64()*80}
		}}, KindGrounding, nil},
		{"unreadable", pixels, fault{miss: func(i int) bool { return i != 3 && i != 6 }}, KindUnreadable,
			[]string{"only 2 of the 9", "--adapter", "uitars10"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := NewBoard(tt.g.size)
			if err != nil {
				t.Fatal(err)
			}
			if tt.g.radius == 0 {
				tt.g.radius = float64(b.Radius)
			}
			d, f := diagnose(tt.g, samples(tt.g, b, tt.f))
			text := d.Summary + " / " + d.Fix
			if d.Kind != tt.want {
				fit := "no fit"
				if f != nil {
					fit = fmt.Sprintf("%+v", *f)
				}
				t.Fatalf("diagnosis %s (%s; %s), want %s", d.Kind, text, fit, tt.want)
			}
			for _, s := range tt.contains {
				if !strings.Contains(text, s) {
					t.Errorf("diagnosis %q lacks %q", text, s)
				}
			}
			if d.Kind != KindOK && d.Fix == "" {
				t.Errorf("diagnosis %s has no fix", d.Kind)
			}
		})
	}
}

// TestFitLine: the Theil–Sen line through points on a line is that line, and
// one wild point does not move it.
func TestFitLine(t *testing.T) {
	want := []float64{100, 300, 500, 700, 900, 1100, 1300, 1500, 1700}
	got := make([]float64, len(want))
	for i, w := range want {
		got[i] = 1.5*w - 20
	}
	got[3] = 5000
	a, b, ok := fitLine(want, got, 50)
	if !ok || math.Abs(a-1.5) > 1e-9 || math.Abs(b+20) > 1e-9 {
		t.Errorf("fit = %v·x%+v (ok %v), want 1.5·x-20", a, b, ok)
	}
	if _, _, ok := fitLine(want[:2], got[:2], 50); ok {
		t.Error("a fit through two points succeeded")
	}
}

// TestSmartResize: Ollama's sizes for the images deskhand sends
// (research/models-ollama.md §4.2).
func TestSmartResize(t *testing.T) {
	tests := []struct {
		w, h, factor, max int
		want              image.Point
	}{
		{1920, 1080, 28, 2 << 20, image.Pt(1904, 1064)},
		{2560, 1440, 28, 2 << 20, image.Pt(1904, 1064)},
		{1920, 1080, 32, 2 << 20, image.Pt(1920, 1088)},
		{1904, 1064, 28, 2 << 20, image.Pt(1904, 1064)},
		{1904, 1064, 32, 2 << 20, image.Pt(1920, 1056)},
		{1280, 720, 28, 2 << 20, image.Pt(1288, 728)},
	}
	for _, tt := range tests {
		if got := smartResize(tt.w, tt.h, tt.factor, 56*56, tt.max); got != tt.want {
			t.Errorf("smartResize(%d, %d, %d) = %v, want %v", tt.w, tt.h, tt.factor, got, tt.want)
		}
	}
}
