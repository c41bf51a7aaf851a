package overlay

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	_ "image/jpeg" // frames may be JPEG
	_ "image/png"
	"math"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"github.com/deskhand/deskhand/actuation"
	"github.com/deskhand/deskhand/perception"
)

// Panel is the overlay's panel drawn as a picture, with where its buttons are
// (relative to the picture's origin).
type Panel struct {
	Image   *image.RGBA
	Buttons []Button
}

// Button is one of the panel's answers and where it is drawn.
type Button struct {
	Choice Choice
	Label  string
	Rect   image.Rectangle
}

// ButtonAt returns the choice of the button under p (relative to the panel), if
// any.
func (p Panel) ButtonAt(pt image.Point) (Choice, bool) {
	for _, b := range p.Buttons {
		if pt.In(b.Rect) {
			return b.Choice, true
		}
	}
	return "", false
}

// The panel's look: dark, so it reads on light and dark screens alike, with the
// risk in colour.
var (
	panelBG     = color.RGBA{0x1f, 0x23, 0x2a, 0xff}
	panelBorder = color.RGBA{0xff, 0x2d, 0x95, 0xff} // the marker's colour: they belong together
	textColor   = color.RGBA{0xf2, 0xf2, 0xf2, 0xff}
	dimColor    = color.RGBA{0xa8, 0xb0, 0xbb, 0xff}
	typedBG     = color.RGBA{0x2e, 0x34, 0x3e, 0xff}
	buttonBG    = color.RGBA{0x3a, 0x42, 0x4f, 0xff}
	approveBG   = color.RGBA{0x1f, 0x7a, 0x4d, 0xff}
	riskColors  = map[string]color.RGBA{
		"high":   {0xd9, 0x30, 0x25, 0xff},
		"medium": {0xc7, 0x8a, 0x00, 0xff},
		"low":    {0x4a, 0x55, 0x64, 0xff},
	}
)

// MarkerColor is the colour the marker is drawn in: a magenta rarely seen in
// applications, so it stands out and tests can find it.
var MarkerColor = color.RGBA{0xff, 0x2d, 0x95, 0xff}

const (
	panelWidth = 460
	pad        = 12
	lineGap    = 4
	maxTyped   = 6 // lines of text to type shown before "…"
	maxThought = 4
)

var (
	facesOnce       sync.Once
	regular, bold   font.Face
	regularH, boldH int
	errFaces        error
)

// The faces' sizes in pixels.
const (
	regularSize = 14.0
	boldSize    = 15.0
)

func faces() error {
	facesOnce.Do(func() {
		load := func(ttf []byte, size float64) (font.Face, int) {
			f, err := opentype.Parse(ttf)
			if err != nil {
				errFaces = err
				return nil, 0
			}
			face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
			if err != nil {
				errFaces = err
				return nil, 0
			}
			return face, face.Metrics().Height.Ceil()
		}
		regular, regularH = load(goregular.TTF, regularSize)
		bold, boldH = load(gobold.TTF, boldSize)
	})
	return errFaces
}

// line is one line of the panel: its text, face, colour, and an optional
// background band.
type line struct {
	text string
	face font.Face
	fg   color.RGBA
	bg   *color.RGBA
}

// Title is the panel's first line: the step and what will happen.
func Title(p Prompt) string {
	d := p.Action.Describe()
	if p.Action.Type == actuation.TypeText {
		d = "type the text below"
		if strings.HasSuffix(p.Action.Text, "\n") {
			d = "type the text below, then press Enter"
		}
	}
	r := []rune(d)
	if len(r) > 0 {
		r[0] = unicode.ToUpper(r[0])
	}
	if p.Step > 0 {
		return fmt.Sprintf("Step %d · %s", p.Step, string(r))
	}
	return string(r)
}

// RenderPanel draws the panel for p.
func RenderPanel(p Prompt) (Panel, error) {
	if err := faces(); err != nil {
		return Panel{}, fmt.Errorf("load the overlay's font: %w", err)
	}
	inner := panelWidth - 2*pad
	var lines []line
	add := func(text string, face font.Face, fg color.RGBA, bg *color.RGBA, max int) {
		ws := wrap(text, face, inner-8)
		if max > 0 && len(ws) > max {
			ws = append(ws[:max-1], ws[max-1]+" …")
		}
		for _, w := range ws {
			lines = append(lines, line{w, face, fg, bg})
		}
	}
	add(Title(p), bold, textColor, nil, 3)
	switch p.Action.Type {
	case actuation.TypeText:
		bg := typedBG
		add(p.Action.Text, regular, textColor, &bg, maxTyped)
	case actuation.Key:
		add("Keys: "+strings.Join(p.Action.Keys, " + "), regular, textColor, nil, 2)
	}
	if p.Risk != "" {
		c, ok := riskColors[p.Risk]
		if !ok {
			c = riskColors["high"]
		}
		text := strings.ToUpper(p.Risk) + " RISK"
		if len(p.Reasons) > 0 {
			text += ": " + strings.Join(p.Reasons, "; ")
		}
		add(text, bold, textColor, &c, 4)
	}
	if strings.TrimSpace(p.Thought) != "" {
		add("Why: "+strings.TrimSpace(p.Thought), regular, dimColor, nil, maxThought)
	}

	// Measure, then draw.
	h := pad
	for _, l := range lines {
		h += lineHeight(l.face) + lineGap
	}
	buttonsY := h + 6
	buttonH := regularH + 12
	h = buttonsY + buttonH + pad
	img := image.NewRGBA(image.Rect(0, 0, panelWidth, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(panelBG), image.Point{}, draw.Src)
	border(img, img.Bounds(), panelBorder, 2)
	y := pad
	for _, l := range lines {
		lh := lineHeight(l.face)
		if l.bg != nil {
			draw.Draw(img, image.Rect(pad-4, y-1, panelWidth-pad+4, y+lh+lineGap-1), image.NewUniform(*l.bg), image.Point{}, draw.Src)
		}
		drawText(img, l.text, l.face, l.fg, pad, y)
		y += lh + lineGap
	}
	labels := []Button{
		{Choice: Approve, Label: "Approve  Enter"},
		{Choice: Skip, Label: "Skip  S"},
		{Choice: Edit, Label: "Edit  E"},
		{Choice: Stop, Label: "Stop  Esc"},
	}
	x := pad
	gap := 8
	total := 0
	for i := range labels {
		total += font.MeasureString(regular, labels[i].Label).Ceil() + 20
	}
	extra := max(0, (inner-total-gap*(len(labels)-1))/len(labels))
	for i := range labels {
		w := font.MeasureString(regular, labels[i].Label).Ceil() + 20 + extra
		r := image.Rect(x, buttonsY, x+w, buttonsY+buttonH)
		bg := buttonBG
		if labels[i].Choice == Approve {
			bg = approveBG
		}
		draw.Draw(img, r, image.NewUniform(bg), image.Point{}, draw.Src)
		tw := font.MeasureString(regular, labels[i].Label).Ceil()
		drawText(img, labels[i].Label, regular, textColor, r.Min.X+(w-tw)/2, r.Min.Y+6)
		labels[i].Rect = r
		x += w + gap
	}
	return Panel{Image: img, Buttons: labels}, nil
}

func lineHeight(f font.Face) int {
	if f == bold {
		return boldH
	}
	return regularH
}

// returnSymbol stands for a newline in text to be typed: a visible ⏎, drawn
// with lines since the Go fonts have no glyph for it.
const returnSymbol = '\n'

// drawText draws s with its top-left at (x, y); a newline is drawn as ⏎.
func drawText(dst *image.RGBA, s string, face font.Face, c color.RGBA, x, y int) {
	d := font.Drawer{Dst: dst, Src: image.NewUniform(c), Face: face,
		Dot: fixed.P(x, y+face.Metrics().Ascent.Ceil())}
	for _, r := range s {
		if r == returnSymbol {
			drawReturn(dst, d.Dot.X.Ceil(), y, face.Metrics().Height.Ceil(), c)
			d.Dot.X += fixed.I(returnWidth)
			continue
		}
		d.DrawString(string(r))
	}
}

const returnWidth = 14

// drawReturn draws ⏎ in a box returnWidth wide at (x, y), h high.
func drawReturn(dst *image.RGBA, x, y, h int, c color.RGBA) {
	u := image.NewUniform(c)
	mid := y + h/2 + 1
	draw.Draw(dst, image.Rect(x+10, y+3, x+12, mid+1), u, image.Point{}, draw.Src)  // down stroke
	draw.Draw(dst, image.Rect(x+2, mid-1, x+12, mid+1), u, image.Point{}, draw.Src) // across
	for k := 1; k <= 3; k++ {                                                       // the head
		draw.Draw(dst, image.Rect(x+2+k, mid-1-k, x+3+k, mid+1+k), u, image.Point{}, draw.Src)
	}
}

// wrap breaks s into lines no wider than w in face. A newline shows as ⏎ and ends
// its line, so typed text reads as it will be entered.
func wrap(s string, face font.Face, w int) []string {
	var out []string
	for _, para := range strings.SplitAfter(s, "\n") {
		if para == "" {
			continue
		}
		cur := ""
		width := func(t string) int {
			n := strings.Count(t, "\n")
			return font.MeasureString(face, strings.ReplaceAll(t, "\n", "")).Ceil() + n*returnWidth
		}
		for _, word := range splitWords(para) {
			if cur != "" && width(cur+word) > w {
				out = append(out, strings.TrimRight(cur, " "))
				cur = strings.TrimLeft(word, " ")
			} else {
				cur += word
			}
			// A single word wider than the line is cut by runes.
			for width(cur) > w {
				r := []rune(cur)
				k := len(r)
				for k > 1 && width(string(r[:k])) > w {
					k--
				}
				out = append(out, string(r[:k]))
				cur = string(r[k:])
			}
		}
		if cur != "" {
			out = append(out, cur)
		}
	}
	if len(out) == 0 {
		out = []string{""}
	}
	return out
}

// splitWords splits s after each run of spaces, keeping the spaces with the
// word before them.
func splitWords(s string) []string {
	var ws []string
	start := 0
	for i := 1; i < len(s); i++ {
		if s[i-1] == ' ' && s[i] != ' ' {
			ws = append(ws, s[start:i])
			start = i
		}
	}
	return append(ws, s[start:])
}

// border draws a frame of width n inside r.
func border(dst *image.RGBA, r image.Rectangle, c color.RGBA, n int) {
	u := image.NewUniform(c)
	for _, e := range []image.Rectangle{
		{r.Min, image.Pt(r.Max.X, r.Min.Y+n)},
		{image.Pt(r.Min.X, r.Max.Y-n), r.Max},
		{r.Min, image.Pt(r.Min.X+n, r.Max.Y)},
		{image.Pt(r.Max.X-n, r.Min.Y), r.Max},
	} {
		draw.Draw(dst, e, u, image.Point{}, draw.Src)
	}
}

// Thumbnail draws a's marker on the image of frame f as the model saw it: the
// fallback where there is no overlay (a frozen screenshot with the target
// drawn), and the step list's picture of each action. Marker rectangles are
// mapped from actuation space to the image's pixels by f's geometry.
func Thumbnail(f perception.Frame, a actuation.Action) (*image.RGBA, error) {
	src, _, err := image.Decode(bytes.NewReader(f.Data))
	if err != nil {
		return nil, fmt.Errorf("decode the frame of the step: %w", err)
	}
	b := src.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(out, out.Bounds(), src, b.Min, draw.Src)
	if f.Bounds.Empty() {
		return out, nil
	}
	sx := float64(b.Dx()) / float64(f.Bounds.Dx())
	sy := float64(b.Dy()) / float64(f.Bounds.Dy())
	u := image.NewUniform(MarkerColor)
	for _, r := range Marker(a) {
		r = r.Sub(f.Bounds.Min)
		m := image.Rect(int(float64(r.Min.X)*sx), int(float64(r.Min.Y)*sy),
			int(math.Ceil(float64(r.Max.X)*sx)), int(math.Ceil(float64(r.Max.Y)*sy)))
		draw.Draw(out, m.Intersect(out.Bounds()), u, image.Point{}, draw.Src)
	}
	return out, nil
}
