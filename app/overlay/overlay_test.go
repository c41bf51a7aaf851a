package overlay

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"

	"golang.org/x/image/font"

	"github.com/deskhand/deskhand/actuation"
	"github.com/deskhand/deskhand/perception"
)

func ip(v int) *int { return &v }

func at(x, y int) (*int, *int) { return ip(x), ip(y) }

func click(x, y int) actuation.Action {
	ax, ay := at(x, y)
	return actuation.Action{Type: actuation.Click, X: ax, Y: ay, Button: "left", Clicks: 1}
}

func drag(x, y, x2, y2 int) actuation.Action {
	ax, ay := at(x, y)
	bx, by := at(x2, y2)
	return actuation.Action{Type: actuation.Drag, X: ax, Y: ay, X2: bx, Y2: by, Button: "left"}
}

func scroll(x, y int, dir string) actuation.Action {
	ax, ay := at(x, y)
	return actuation.Action{Type: actuation.Scroll, X: ax, Y: ay, Direction: dir, Amount: 3}
}

// The marker shows where the action happens but never hides the pixel it
// happens at, and a crosshair is centred on its target.
func TestMarker(t *testing.T) {
	for _, a := range []actuation.Action{
		click(500, 400), click(0, 0), click(-1366, 767),
		drag(100, 100, 900, 500), drag(300, 300, 310, 305),
		scroll(640, 360, "down"), scroll(640, 360, "up"), scroll(640, 360, "left"), scroll(640, 360, "right"),
		{Type: actuation.Move, X: ip(50), Y: ip(60)},
	} {
		rs := Marker(a)
		if len(rs) == 0 {
			t.Errorf("%s: no marker", a.Describe())
			continue
		}
		for _, tgt := range Targets(a) {
			near := 0
			for _, r := range rs {
				if tgt.In(r) {
					t.Errorf("%s: marker rectangle %v covers the target %v", a.Describe(), r, tgt)
				}
				if r.Overlaps(image.Rectangle{Min: tgt, Max: tgt.Add(image.Pt(1, 1))}.Inset(-armLength - 2)) {
					near++
				}
			}
			if near < 8 {
				t.Errorf("%s: only %d marker pieces around %v, want the crosshair and box", a.Describe(), near, tgt)
			}
		}
		if a.Type == actuation.Click {
			// The crosshair and box are symmetric about the target.
			var sx, sy, n float64
			for _, r := range rs {
				for y := r.Min.Y; y < r.Max.Y; y++ {
					for x := r.Min.X; x < r.Max.X; x++ {
						sx, sy, n = sx+float64(x), sy+float64(y), n+1
					}
				}
			}
			tgt := Targets(a)[0]
			if dx, dy := sx/n-float64(tgt.X), sy/n-float64(tgt.Y); dx*dx+dy*dy > 1 {
				t.Errorf("%s: marker centred at (%.1f, %.1f), target %v", a.Describe(), sx/n, sy/n, tgt)
			}
		}
	}
	for _, a := range []actuation.Action{
		{Type: actuation.TypeText, Text: "hello"}, {Type: actuation.Key, Keys: []string{"ctrl", "s"}},
		{Type: actuation.Wait, Seconds: 1}, {Type: actuation.Scroll, Direction: "down", Amount: 3},
	} {
		if rs := Marker(a); rs != nil {
			t.Errorf("%s: marker %v for an action without a target", a.Describe(), rs)
		}
	}
}

// The panel stays on the monitor and never covers the marker or a target, on
// every monitor layout and wherever the target is, as long as the monitor has
// room beside the marker.
func TestPlacePanel(t *testing.T) {
	size := image.Pt(460, 190)
	monitors := []image.Rectangle{
		image.Rect(0, 0, 1920, 1080),
		image.Rect(-1366, 0, 0, 768),       // left of the primary
		image.Rect(1920, -200, 3000, 1720), // portrait, above the top
		image.Rect(0, 0, 1024, 768),
		image.Rect(0, 0, 7680, 4320),
	}
	for _, mon := range monitors {
		var actions []actuation.Action
		for _, fx := range []float64{0, 0.01, 0.25, 0.5, 0.75, 0.99} {
			for _, fy := range []float64{0, 0.02, 0.5, 0.98} {
				x := mon.Min.X + int(fx*float64(mon.Dx()-1))
				y := mon.Min.Y + int(fy*float64(mon.Dy()-1))
				actions = append(actions, click(x, y), scroll(x, y, "down"),
					drag(x, y, mon.Min.X+mon.Dx()/2, mon.Min.Y+mon.Dy()/2))
			}
		}
		actions = append(actions, actuation.Action{Type: actuation.TypeText, Text: "x"})
		for _, a := range actions {
			p := Prompt{Action: a, Monitor: mon}
			r := PlacePanel(p, size)
			if r.Size() != size {
				t.Fatalf("%v %s: panel %v, want size %v", mon, a.Describe(), r, size)
			}
			if !r.In(mon) {
				t.Errorf("%v %s: panel %v leaves the monitor", mon, a.Describe(), r)
			}
			if m := Bounds(Marker(a)); r.Overlaps(m) {
				t.Errorf("%v %s: panel %v covers the marker %v", mon, a.Describe(), r, m)
			}
			for _, tgt := range Targets(a) {
				if tgt.In(r) {
					t.Errorf("%v %s: panel %v covers the target %v", mon, a.Describe(), r, tgt)
				}
			}
		}
	}
	// A monitor too small for the panel beside the marker: still on the monitor
	// and off the target.
	mon := image.Rect(0, 0, 600, 400)
	a := click(300, 200)
	r := PlacePanel(Prompt{Action: a, Monitor: mon}, size)
	if !r.In(mon) || image.Pt(300, 200).In(r) {
		t.Errorf("small monitor: panel %v", r)
	}
}

func TestRenderPanel(t *testing.T) {
	for _, tc := range []struct {
		name  string
		p     Prompt
		title string
	}{
		{"click", Prompt{Step: 3, Action: click(812, 344), Risk: "medium", Thought: "The Save button is at the bottom right of the dialog."}, "Step 3 · Left-click at (812, 344)"},
		{"type enter", Prompt{Step: 1, Action: actuation.Action{Type: actuation.TypeText, Text: "rm -rf ~\n"}, Risk: "high", Reasons: []string{"Enter after typing", "a shell command that deletes"}}, "Step 1 · Type the text below, then press Enter"},
		{"type long", Prompt{Action: actuation.Action{Type: actuation.TypeText, Text: strings.Repeat("a very long line of text to type ", 40)}}, "Type the text below"},
		{"keys", Prompt{Step: 2, Action: actuation.Action{Type: actuation.Key, Keys: []string{"ctrl", "s"}}}, "Step 2 · Press ctrl+s"},
		{"no thought", Prompt{Step: 9, Action: scroll(1, 1, "up")}, "Step 9 · Scroll up 3 notches at (1, 1)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Title(tc.p); got != tc.title {
				t.Errorf("Title = %q, want %q", got, tc.title)
			}
			panel, err := RenderPanel(tc.p)
			if err != nil {
				t.Fatal(err)
			}
			b := panel.Image.Bounds()
			if b.Dx() != panelWidth || b.Dy() < 80 || b.Dy() > 500 {
				t.Errorf("panel is %v", b)
			}
			if len(panel.Buttons) != 4 {
				t.Fatalf("%d buttons", len(panel.Buttons))
			}
			seen := map[Choice]bool{}
			for i, btn := range panel.Buttons {
				if !btn.Rect.In(b) {
					t.Errorf("button %s at %v outside the panel %v", btn.Label, btn.Rect, b)
				}
				if i > 0 && btn.Rect.Overlaps(panel.Buttons[i-1].Rect) {
					t.Errorf("buttons %s and %s overlap", btn.Label, panel.Buttons[i-1].Label)
				}
				c := btn.Rect.Min.Add(btn.Rect.Size().Div(2))
				if got, ok := panel.ButtonAt(c); !ok || got != btn.Choice {
					t.Errorf("ButtonAt(%v) = %q, %v; want %q", c, got, ok, btn.Choice)
				}
				seen[btn.Choice] = true
			}
			for _, c := range []Choice{Approve, Skip, Edit, Stop} {
				if !seen[c] {
					t.Errorf("no %s button", c)
				}
			}
			if _, ok := panel.ButtonAt(image.Pt(1, 1)); ok {
				t.Error("the panel's corner answers as a button")
			}
			// High risk is drawn in red.
			if tc.p.Risk == "high" && !hasColor(panel.Image, riskColors["high"]) {
				t.Error("high risk is not shown in red")
			}
		})
	}
}

func hasColor(img *image.RGBA, c color.RGBA) bool {
	for i := 0; i+4 <= len(img.Pix); i += 4 {
		if img.Pix[i] == c.R && img.Pix[i+1] == c.G && img.Pix[i+2] == c.B {
			return true
		}
	}
	return false
}

// Text to type wraps to the panel, and each newline shows as ⏎ at the end of its
// line, so the user sees where Enter will be pressed.
func TestWrap(t *testing.T) {
	if err := faces(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"hello", []string{"hello"}},
		{"ls -la\n", []string{"ls -la\n"}},
		{"one\ntwo\nthree", []string{"one\n", "two\n", "three"}},
		{"", []string{""}},
	} {
		got := wrap(tc.in, regular, 400)
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("wrap(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	long := strings.Repeat("word ", 200) + strings.Repeat("x", 300)
	lines := wrap(long, regular, 300)
	if len(lines) < 10 {
		t.Errorf("long text wrapped into %d lines", len(lines))
	}
	var back string
	for _, l := range lines {
		if w := font.MeasureString(regular, l).Ceil(); w > 300 {
			t.Errorf("line %q is %d px wide, want ≤ 300", l, w)
		}
		back += l
	}
	if strings.ReplaceAll(back, " ", "") != strings.ReplaceAll(long, " ", "") {
		t.Error("wrapping lost or added characters")
	}
}

// The thumbnail draws the marker where the action lands on the image the model
// saw, through the frame's geometry (monitor origin, image smaller than the
// monitor).
func TestThumbnail(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 400, 200))
	for i := 3; i < len(img.Pix); i += 4 {
		img.Pix[i] = 255
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	f := perception.Frame{Bounds: image.Rect(1000, 500, 1800, 900), Captured: image.Pt(800, 400), Scale: 1,
		Image: image.Pt(400, 200), Data: buf.Bytes(), MIME: "image/png"}
	th, err := Thumbnail(f, click(1400, 700)) // the centre of the monitor
	if err != nil {
		t.Fatal(err)
	}
	var sx, sy, n int
	for y := range 200 {
		for x := range 400 {
			c := th.RGBAAt(x, y)
			if c == MarkerColor {
				sx, sy, n = sx+x, sy+y, n+1
			}
		}
	}
	if n == 0 {
		t.Fatal("no marker drawn")
	}
	if cx, cy := sx/n, sy/n; cx < 198 || cx > 202 || cy < 98 || cy > 102 {
		t.Errorf("marker centred at (%d, %d) on the image, want (200, 100)", cx, cy)
	}
	if _, err := Thumbnail(perception.Frame{Data: []byte("not an image")}, click(1, 1)); err == nil {
		t.Error("Thumbnail of a broken frame did not fail")
	}
}

func BenchmarkRenderPanel(b *testing.B) {
	p := Prompt{Step: 3, Action: actuation.Action{Type: actuation.TypeText, Text: "Quarterly report, final version\n"},
		Risk: "high", Reasons: []string{"Enter after typing"}, Thought: "The file name box is focused; I type the name and press Enter to save."}
	for b.Loop() {
		if _, err := RenderPanel(p); err != nil {
			b.Fatal(err)
		}
	}
}
