package calibrate

import (
	"cmp"
	"fmt"
	"image"
	"math"
	"slices"
	"strings"

	"github.com/deskhand/deskhand/perception"
)

// Kind names a diagnosis; it is stable, for scripts reading --json.
type Kind string

// The diagnoses, in the order they are tested.
const (
	// KindOK: the clicks land on the targets.
	KindOK Kind = "ok"
	// KindUnreadable: most replies had no click deskhand could read.
	KindUnreadable Kind = "unreadable"
	// KindConvention: the model's numbers are right in another coordinate
	// convention than the adapter's.
	KindConvention Kind = "wrong_convention"
	// KindOrigin: the clicks are shifted by a monitor's origin.
	KindOrigin Kind = "monitor_origin"
	// KindOffset: the clicks are shifted by a constant amount.
	KindOffset Kind = "offset"
	// KindResize: a pixel-coordinate model saw an image of another size than the
	// one sent: the server resized it.
	KindResize Kind = "server_resize"
	// KindHiDPI: the clicks are scaled by a display scaling factor.
	KindHiDPI Kind = "hidpi_scale"
	// KindScale: the clicks are scaled by some other factor.
	KindScale Kind = "scale"
	// KindGrounding: the clicks are scattered: the model does not find the targets.
	KindGrounding Kind = "poor_grounding"
	// KindCovered: the capture check saw part of the board only, each target
	// where it was drawn: something stays above it.
	KindCovered Kind = "board_covered"
)

// Diagnosis says what is wrong, if anything, and what to do about it.
type Diagnosis struct {
	Kind    Kind   `json:"kind"`
	Summary string `json:"summary"`
	Fix     string `json:"fix,omitempty"`
	// Convention is what the model's numbers fit (KindConvention).
	Convention perception.Convention `json:"convention,omitempty"`
	// Adapters are the adapters to try instead, best first (KindConvention).
	Adapters []string `json:"adapters,omitempty"`
	// Factor is the display scaling the clicks are off by (KindHiDPI).
	Factor float64 `json:"factor,omitempty"`
	// Seen is the size of the image the model seems to have seen (KindResize).
	Seen image.Point `json:"seen,omitzero"`
	// Offset is the shift of the clicks in actuation units (KindOrigin, KindOffset).
	Offset image.Point `json:"offset,omitzero"`
}

// Fit is the line that best explains where the clicks landed, per axis, in
// actuation units relative to the monitor's origin: got = A·expected + B.
type Fit struct {
	AX float64 `json:"ax"`
	BX float64 `json:"bx"`
	AY float64 `json:"ay"`
	BY float64 `json:"by"`
	// Residual is the median distance, in actuation units, of the clicks from
	// the line: small when the line explains them.
	Residual float64 `json:"residual"`
}

// alternative is what the advice needs to know of an adapter.
type alternative struct {
	conv   perception.Convention // "" when the adapter does not say
	factor int                   // its grid's factor
}

// fpt is a point in continuous actuation units relative to the monitor's origin:
// pixel i covers [i, i+1), so the centre of pixel (x, y) is (x+0.5, y+0.5).
type fpt struct{ X, Y float64 }

func (p fpt) dist(q fpt) float64 { return math.Hypot(p.X-q.X, p.Y-q.Y) }

func centreOf(p image.Point) fpt { return fpt{float64(p.X) + 0.5, float64(p.Y) + 0.5} }

// sample is one target as the diagnosis sees it.
type sample struct {
	want fpt // the target's centre
	// got is where the click would land, unclamped (an off-screen click still
	// tells which way it went); ok is false when the reply had no point.
	got fpt
	ok  bool
	// raw is the model's own numbers, in whatever convention it wrote them;
	// hasRaw is false for the capture check, where no model is involved.
	raw    fpt
	hasRaw bool
}

// geometry is what maps the model's numbers to the screen.
type geometry struct {
	size   image.Point           // the monitor's size in actuation units
	img    image.Point           // the size of the image sent to the model
	origin image.Point           // the monitor's origin in actuation space
	others []image.Point         // the origins of the other monitors
	conv   perception.Convention // the adapter's convention ("" for the capture check)
	radius float64               // a click within radius of a centre hits
	// adapter and alternatives name the adapter in use and the others with their
	// conventions, for the advice.
	adapter      string
	alternatives map[string]alternative
	grid         perception.Grid // the adapter's grid, for the advice
}

// frame is the geometry as a perception.Frame at the origin, so place and
// unplace are the mapping's own arithmetic (Frame.Place), not a copy of it.
func (g geometry) frame() perception.Frame {
	return perception.Frame{Bounds: image.Rectangle{Max: g.size}, Image: g.img}
}

// place maps a model's numbers (x, y) in convention c to continuous actuation
// units relative to the origin: perception.Frame.ToScreen before rounding and
// range checks.
func (g geometry) place(raw fpt, c perception.Convention) fpt {
	x, y := g.frame().Place(raw.X, raw.Y, c)
	return fpt{x, y}
}

// unplace is the inverse of place: the numbers that a click on pixel p (relative
// to the origin) was written as in convention c.
func (g geometry) unplace(p image.Point, c perception.Convention) fpt {
	q := centreOf(p)
	x, y := g.frame().Unplace(q.X, q.Y, c)
	return fpt{x, y}
}

// score counts the points within radius of their targets and the median
// distance, a missing point counting as infinitely far.
func score(want, got []fpt, ok []bool, radius float64) (hits int, median float64) {
	d := make([]float64, len(want))
	for i := range want {
		d[i] = math.Inf(1)
		if ok[i] {
			d[i] = want[i].dist(got[i])
			if d[i] <= radius {
				hits++
			}
		}
	}
	return hits, medianOf(d)
}

func medianOf(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	if math.IsInf(s[n/2], 1) {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// needHits is how many of n targets must be hit to call the clicks accurate:
// 80 %, so one misread label in nine does not fail a good model.
func needHits(n int) int { return (n*8 + 9) / 10 }

// fitLine fits got = a·want + b per axis with the Theil–Sen estimator: the
// median of the slopes between every pair of points, then the median intercept.
// It is least squares' robust cousin: a model that clicks one wrong label (an
// outlier hundreds of pixels off) does not drag the line, so a convention or
// scale error still shows clearly. Pairs closer than minGap on an axis are
// skipped, their slope being mostly noise. ok reports whether there were enough
// points (three) and pairs.
func fitLine(want, got []float64, minGap float64) (a, b float64, ok bool) {
	if len(want) < 3 {
		return 0, 0, false
	}
	var slopes []float64
	for i := range want {
		for j := i + 1; j < len(want); j++ {
			if dx := want[j] - want[i]; math.Abs(dx) >= minGap {
				slopes = append(slopes, (got[j]-got[i])/dx)
			}
		}
	}
	if len(slopes) == 0 {
		return 0, 0, false
	}
	a = medianOf(slopes)
	icepts := make([]float64, len(want))
	for i := range want {
		icepts[i] = got[i] - a*want[i]
	}
	return a, medianOf(icepts), true
}

// fit fits the points that have a click.
func fit(g geometry, s []sample) (Fit, bool) {
	var wx, wy, gx, gy []float64
	for _, p := range s {
		if p.ok {
			wx, wy = append(wx, p.want.X), append(wy, p.want.Y)
			gx, gy = append(gx, p.got.X), append(gy, p.got.Y)
		}
	}
	ax, bx, okx := fitLine(wx, gx, float64(g.size.X)/8)
	ay, by, oky := fitLine(wy, gy, float64(g.size.Y)/8)
	if !okx || !oky {
		return Fit{}, false
	}
	f := Fit{AX: ax, BX: bx, AY: ay, BY: by}
	var res []float64
	for _, p := range s {
		if p.ok {
			res = append(res, f.at(p.want).dist(p.got))
		}
	}
	f.Residual = medianOf(res)
	return f, true
}

func (f Fit) at(p fpt) fpt { return fpt{f.AX*p.X + f.BX, f.AY*p.Y + f.BY} }

// hidpiFactors are the display scalings desktops offer.
var hidpiFactors = []float64{1.25, 1.5, 1.75, 2, 2.25, 2.5, 3}

// serverGrids are the image processors a server may apply to a pixel-coordinate
// model's image: Qwen2.5-VL's factor 28 and Qwen3-VL's factor 32, under
// Ollama's cap (2<<20), a GGUF's smaller vision.max_pixels (1280·28², 1024·32²)
// and Hugging Face's defaults (16384·28², 16384·32²) (see
// research/models-ollama.md §2).
var serverGrids = []struct{ factor, maxPixels int }{
	{28, 2 << 20}, {32, 2 << 20},
	{28, 1280 * 28 * 28}, {32, 1024 * 32 * 32},
	{28, 16384 * 28 * 28}, {32, 16384 * 32 * 32},
}

// smartResize is Qwen's (and Ollama's) image resize for a w×h image: sides
// rounded to the factor, half to even, then scaled down under maxPixels or up
// over minPixels.
func smartResize(w, h, factor, minPixels, maxPixels int) image.Point {
	f := float64(factor)
	W := math.RoundToEven(float64(w)/f) * f
	H := math.RoundToEven(float64(h)/f) * f
	switch {
	case W*H > float64(maxPixels):
		beta := math.Sqrt(float64(w*h) / float64(maxPixels))
		W = math.Floor(float64(w)/beta/f) * f
		H = math.Floor(float64(h)/beta/f) * f
	case W*H < float64(minPixels):
		beta := math.Sqrt(float64(minPixels) / float64(w*h))
		W = math.Ceil(float64(w)*beta/f) * f
		H = math.Ceil(float64(h)*beta/f) * f
	}
	return image.Pt(int(W), int(H))
}

// diagnose says what is wrong with the clicks s, mapped through g.
func diagnose(g geometry, s []sample) (Diagnosis, *Fit) {
	n := len(s)
	want, got, ok := make([]fpt, n), make([]fpt, n), make([]bool, n)
	answered := 0
	for i, p := range s {
		want[i], got[i], ok[i] = p.want, p.got, p.ok
		if p.ok {
			answered++
		}
	}
	need := needHits(n)
	hits, median := score(want, got, ok, g.radius)
	f, fitted := fit(g, s)
	var fp *Fit
	if fitted {
		fp = &f
	}
	if hits >= need {
		return Diagnosis{Kind: KindOK, Summary: fmt.Sprintf("%d of %d clicks hit their target (median error %s)", hits, n, px(median))}, fp
	}

	// Another convention: the model's own numbers, read the other way.
	if d, ok := g.conventionCheck(s, want, hits, need); ok {
		return d, fp
	}

	if answered < (n+1)/2 && g.conv != "" {
		some := "none"
		if answered > 0 {
			some = fmt.Sprintf("only %d", answered)
		}
		return Diagnosis{Kind: KindUnreadable,
			Summary: fmt.Sprintf("%s of the %d replies had a click deskhand could read", some, n),
			Fix:     g.unreadableFix()}, fp
	}
	if !fitted {
		return grounding(hits, n, median), fp
	}
	fitHits, _ := score(mapAll(f, want), got, ok, g.radius)
	// The line must explain the clicks there are (the capture check may see only
	// some targets; the model answered at least half).
	if fitHits < needHits(answered) || f.Residual > g.radius/2 {
		return grounding(hits, n, median), fp
	}
	return g.classify(f), fp
}

func mapAll(f Fit, want []fpt) []fpt {
	out := make([]fpt, len(want))
	for i, w := range want {
		out[i] = f.at(w)
	}
	return out
}

// conventionCheck reads the model's numbers in every other convention and
// reports one under which the clicks hit.
func (g geometry) conventionCheck(s []sample, want []fpt, hits, need int) (Diagnosis, bool) {
	if g.conv == "" {
		return Diagnosis{}, false
	}
	best, bestHits := perception.Convention(""), hits
	for _, c := range []perception.Convention{perception.ImagePixels, perception.Relative1000} {
		if family(c) == family(g.conv) {
			continue
		}
		got, ok := make([]fpt, len(s)), make([]bool, len(s))
		for i, p := range s {
			if p.hasRaw {
				got[i], ok[i] = g.place(p.raw, c), true
			}
		}
		if h, _ := score(want, got, ok, g.radius); h >= need && h > bestHits {
			best, bestHits = c, h
		}
	}
	if best == "" {
		return Diagnosis{}, false
	}
	d := Diagnosis{Kind: KindConvention, Convention: best,
		Summary: fmt.Sprintf("the model writes %s, but adapter %s reads %s: read that way, %d of %d clicks hit",
			describe(best, g.img), g.adapter, describe(g.conv, g.img), bestHits, len(s))}
	d.Adapters = g.adaptersFor(best)
	if len(d.Adapters) > 0 {
		d.Fix = fmt.Sprintf("pass --adapter %s (to deskhand run and deskhand calibrate)", d.Adapters[0])
		if len(d.Adapters) > 1 {
			d.Fix += fmt.Sprintf("; other adapters that read %s: %s", describe(best, image.Point{}), strings.Join(d.Adapters[1:], ", "))
		}
	} else {
		d.Fix = fmt.Sprintf("no installed deskhand adapter reads %s yet: use a model whose adapter deskhand detects (deskhand models)", describe(best, image.Point{}))
	}
	return d, true
}

// family groups the conventions that differ by less than a pixel in 1000: 0..999
// and 0..1000 are 0.1 % apart, under 2 px on a 1920-wide screen, far below a
// model's own error, so calibration does not tell them apart.
func family(c perception.Convention) string {
	if c == perception.Relative999 {
		return string(perception.Relative1000)
	}
	return string(c)
}

func describe(c perception.Convention, img image.Point) string {
	switch c {
	case perception.Relative1000:
		return "coordinates from 0 to 1000 of the screen"
	case perception.Relative999:
		return "coordinates from 0 to 999 of the screen"
	}
	if img.X > 0 {
		return fmt.Sprintf("pixels of the %dx%d image it saw", img.X, img.Y)
	}
	return "pixels of the image"
}

// adaptersFor lists the alternative adapters that read convention c, the ones
// closest in name to the current adapter first (uitars15 → uitars10,
// qwen25vl → qwen3vl): same family, other convention.
func (g geometry) adaptersFor(c perception.Convention) []string {
	return g.pick(func(a alternative) bool { return a.conv != "" && family(a.conv) == family(c) })
}

// pick lists the alternative adapters that keep, closest in name first.
func (g geometry) pick(keep func(alternative) bool) []string {
	var names []string
	for name, a := range g.alternatives {
		if name != g.adapter && keep(a) {
			names = append(names, name)
		}
	}
	slices.SortFunc(names, func(a, b string) int {
		return cmp.Or(cmp.Compare(commonPrefix(b, g.adapter), commonPrefix(a, g.adapter)), cmp.Compare(a, b))
	})
	return names
}

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

func (g geometry) unreadableFix() string {
	var others []string
	for name := range g.alternatives {
		if name != g.adapter {
			others = append(others, name)
		}
	}
	slices.Sort(others)
	fix := fmt.Sprintf("the replies do not follow adapter %s's format (see the replies above, or all of them with --json; `deskhand parse --adapter %s` reads one)", g.adapter, g.adapter)
	if len(others) > 0 {
		fix += "; if the model speaks another family's format, pass --adapter with one of: " + strings.Join(others, ", ")
	}
	return fix
}

func grounding(hits, n int, median float64) Diagnosis {
	return Diagnosis{Kind: KindGrounding,
		Summary: fmt.Sprintf("the clicks are scattered: %d of %d hit (median error %s), with no pattern a setting could fix", hits, n, px(median)),
		Fix: "this model does not find things on the screen reliably; use a model trained for GUIs, e.g. UI-TARS-1.5-7B (see README.md), " +
			"qwen3-vl:8b or qwen2.5vl:7b, or a larger size of this one"}
}

// classify names the systematic error that the fit f describes: a shift or a
// scale that explains the clicks.
func (g geometry) classify(f Fit) Diagnosis {
	off := fpt{f.BX, f.BY}
	// A pixel-coordinate model on a server that resizes on another grid: the
	// clicks scale by the ratio of the image it saw to the image sent, about the
	// monitor's origin. Tested first, since Qwen3-VL's grid is within 1 % of
	// Qwen2.5-VL's; a candidate must be nearer the fit than the sent size is.
	if family(g.conv) == string(perception.ImagePixels) && off.dist(fpt{}) <= g.radius {
		seen := fpt{f.AX * float64(g.img.X), f.AY * float64(g.img.Y)}
		for _, sg := range serverGrids {
			c := smartResize(g.img.X, g.img.Y, sg.factor, 56*56, sg.maxPixels)
			tx := min(0.02*float64(c.X), math.Abs(float64(c.X-g.img.X))/2)
			ty := min(0.02*float64(c.Y), math.Abs(float64(c.Y-g.img.Y))/2)
			if c == g.img || math.Abs(seen.X-float64(c.X)) > tx || math.Abs(seen.Y-float64(c.Y)) > ty {
				continue
			}
			return g.resize(f, c, sg.factor)
		}
	}
	near1 := math.Abs(f.AX-1) <= 0.02 && math.Abs(f.AY-1) <= 0.02
	if near1 {
		tol := max(g.radius/2, 8)
		for _, o := range g.originShifts() {
			if off.dist(fpt{float64(o.shift.X), float64(o.shift.Y)}) <= tol {
				return Diagnosis{Kind: KindOrigin, Offset: o.shift,
					Summary: fmt.Sprintf("the clicks are shifted by (%d, %d): %s", o.shift.X, o.shift.Y, o.why),
					Fix: "deskhand's monitor layout does not match the screen's; report this output at the deskhand issue tracker. " +
						"Until then use the monitor at the desktop's origin (--monitor 0) or the primary monitor"}
			}
		}
		o := image.Pt(int(math.Round(off.X)), int(math.Round(off.Y)))
		return Diagnosis{Kind: KindOffset, Offset: o,
			Summary: fmt.Sprintf("the clicks are consistently shifted by (%d, %d)", o.X, o.Y),
			Fix: "a shift that is not a monitor's origin usually means the model aims beside the target (at its label); " +
				"if that persists, try a model trained for GUIs, e.g. UI-TARS-1.5-7B or qwen3-vl:8b"}
	}
	uniform := math.Abs(f.AX-f.AY) <= 0.03*max(math.Abs(f.AX), math.Abs(f.AY))
	// A scaling about the monitor's origin shifts nothing; one about the
	// desktop's origin shifts the monitor by (s-1)·origin.
	smallShift := func(s float64) bool {
		global := fpt{(s - 1) * float64(g.origin.X), (s - 1) * float64(g.origin.Y)}
		return off.dist(fpt{}) <= g.radius || off.dist(global) <= g.radius
	}
	if uniform {
		s := (f.AX + f.AY) / 2
		for _, h := range hidpiFactors {
			for _, k := range []float64{h, 1 / h} {
				if math.Abs(s-k) <= 0.03*k && smallShift(k) {
					return Diagnosis{Kind: KindHiDPI, Factor: k,
						Summary: fmt.Sprintf("the clicks are scaled by ×%.3g, a display scaling factor (%.0f %%): the screenshot and the mouse disagree about the screen's size", k, 100*max(k, 1/k)),
						Fix: "set the display's scaling to 100 % to confirm, and report this output at the deskhand issue tracker; " +
							"on Windows, do not run deskhand in a compatibility mode (Properties › Compatibility › Change high DPI settings must be unset)"}
				}
			}
		}
	}
	if family(g.conv) == string(perception.ImagePixels) {
		return g.resize(f, image.Pt(int(math.Round(f.AX*float64(g.img.X))), int(math.Round(f.AY*float64(g.img.Y)))), 0)
	}
	return Diagnosis{Kind: KindScale,
		Summary: fmt.Sprintf("the clicks are scaled by ×%.3f horizontally and ×%.3f vertically", f.AX, f.AY),
		Fix:     "this is neither a known convention nor a display scaling; report this output (with --json) at the deskhand issue tracker"}
}

// resize is the diagnosis of a pixel-coordinate model that saw an image of size
// seen (on a server grid of factor, or 0 when it matches none).
func (g geometry) resize(f Fit, seen image.Point, factor int) Diagnosis {
	d := Diagnosis{Kind: KindResize, Seen: seen,
		Summary: fmt.Sprintf("the model answers in pixels of a %dx%d image, but deskhand sent %dx%d: the server resized the screenshot, so the clicks are scaled by ×%.3f, ×%.3f",
			seen.X, seen.Y, g.img.X, g.img.Y, f.AX, f.AY)}
	grid := g.grid
	if grid.Factor == 0 {
		grid.Factor = 28
	}
	onGrid := g.pick(func(a alternative) bool { return a.factor == factor })
	switch {
	case factor > 0 && factor != grid.Factor && len(onGrid) > 0:
		d.Fix = fmt.Sprintf("the model resizes on a %d-pixel grid, not the %d-pixel grid adapter %s sends: pass --adapter %s, whose grid it is",
			factor, grid.Factor, g.adapter, onGrid[0])
	case seen.X*seen.Y < g.img.X*g.img.Y:
		d.Fix = fmt.Sprintf("the model's server takes at most about %d pixels per image (its vision.max_pixels; `ollama show --modelinfo` shows it), fewer than the %d deskhand sends: "+
			"re-import the model with a larger max_pixels, or report this output at the deskhand issue tracker so the adapter can send smaller images", seen.X*seen.Y, g.img.X*g.img.Y)
	default:
		d.Fix = fmt.Sprintf("the model's image grid is not the one adapter %s assumes (factor %d): report this output (with --json) at the deskhand issue tracker", g.adapter, grid.Factor)
	}
	return d
}

// originShift is a shift that a wrong monitor origin would cause.
type originShift struct {
	shift image.Point
	why   string
}

// originShifts lists the shifts a monitor-origin mistake would cause: the
// monitor's origin dropped or counted twice, or another monitor's origin used.
func (g geometry) originShifts() []originShift {
	var out []originShift
	if g.origin != (image.Point{}) {
		out = append(out,
			originShift{g.origin.Mul(-1), fmt.Sprintf("the monitor's origin (%d, %d) was left out", g.origin.X, g.origin.Y)},
			originShift{g.origin, fmt.Sprintf("the monitor's origin (%d, %d) was counted twice", g.origin.X, g.origin.Y)})
	}
	for _, o := range g.others {
		if o != g.origin {
			out = append(out, originShift{o.Sub(g.origin), fmt.Sprintf("the clicks went to another monitor, the one at (%d, %d)", o.X, o.Y)})
		}
	}
	return out
}

// px formats a distance in actuation units.
func px(d float64) string {
	if math.IsInf(d, 1) || math.IsNaN(d) {
		return "∞ (most replies had no click)"
	}
	return fmt.Sprintf("%.0f px", d)
}
