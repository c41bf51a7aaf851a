//go:build linux

package overlay

import (
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"io"
	"strconv"
	"testing"
	"time"


	"github.com/deskhand/deskhand/actuation"
	"github.com/deskhand/deskhand/perception/xvfbtest"
)

// These tests run the Windows overlay (overlay_windows.go), cross-built into
// testdata/winprobe, under Wine on an Xvfb desktop: the marker and panel Wine
// draws are read back from the X server, and the panel's buttons are clicked
// with xdotool. Wine has no global keyboard grab, so the hotkeys are not tested
// here. CI sets DESKHAND_REQUIRE_WINE=1, so a missing tool fails there; elsewhere
// it skips.

// The screen winprobe runs on.
var wineMonitor = image.Rect(0, 0, 1280, 800)

// probePrompt is the prompt winprobe shows for a: the panel's size, and so its
// place and its buttons', depends on every field.
func probePrompt(a actuation.Action) Prompt {
	return Prompt{Step: 1, Action: a, Monitor: wineMonitor, Risk: "low", Thought: "winprobe"}
}

type wineDesk struct{ *xvfbtest.WineDesk }

func startWine(t *testing.T) *wineDesk {
	t.Helper()
	xvfbtest.Need(t, "xdotool", "xsetroot")
	return &wineDesk{xvfbtest.StartWineDesk(t, wineMonitor.Size(), "./testdata/winprobe", func(d *xvfbtest.Display) {
		// Not black: where the marker's window is transparent, the screen must
		// show what is under it, not the black of an unpainted window.
		d.Output(t, "xsetroot", "-solid", "#5a8fc2")
	})}
}

// run starts winprobe showing a, with -hide if hide.
func (w *wineDesk) run(t *testing.T, a actuation.Action, hide bool) *xvfbtest.WineProgram {
	t.Helper()
	args := []string{"-monitor", fmt.Sprintf("%d,%d,%d,%d", wineMonitor.Min.X, wineMonitor.Min.Y, wineMonitor.Max.X, wineMonitor.Max.Y)}
	if hide {
		args = append(args, "-hide")
	}
	return w.Prefix.Start(t, w.Exe, append(args, a.String())...)
}

// answer waits for winprobe's answer.
func answer(t *testing.T, p *xvfbtest.WineProgram) Answer {
	t.Helper()
	var a Answer
	if err := json.Unmarshal([]byte(p.Expect(t, "answer", 20*time.Second)), &a); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("winprobe did not exit after its answer")
	}
	return a
}

// pixel reads one pixel of the screen.
func (w *wineDesk) pixel(t *testing.T, p image.Point) color.RGBA {
	t.Helper()
	return xvfbtest.Grab(t, w.Conn, image.Rectangle{Min: p, Max: p.Add(image.Pt(1, 1))}).RGBAAt(p.X, p.Y)
}

// markerArea is the number of pixels the marker of a click at target covers.
func markerArea(target image.Point) int {
	n := 0
	around := aroundTarget(target)
	for y := around.Min.Y; y < around.Max.Y; y++ {
		for x := around.Min.X; x < around.Max.X; x++ {
			for _, r := range Marker(click(target.X, target.Y)) {
				if image.Pt(x, y).In(r) {
					n++
					break
				}
			}
		}
	}
	return n
}

func aroundTarget(target image.Point) image.Rectangle {
	return image.Rectangle{Min: target, Max: target.Add(image.Pt(1, 1))}.Inset(-armLength - 4)
}

// checkShown waits until the screen shows p: the whole marker, centred on the
// target; the target pixel still under, the colour it had before; and the
// panel's own picture where PlacePanel puts it, beside the marker.
func (w *wineDesk) checkShown(t *testing.T, p Prompt, under color.RGBA) {
	t.Helper()
	target, _ := p.Action.Point()
	want := markerArea(target)
	panel, err := RenderPanel(p)
	if err != nil {
		t.Fatal(err)
	}
	at := PlacePanel(p, panel.Image.Bounds().Size())
	if at.Overlaps(aroundTarget(target)) {
		t.Errorf("panel at %v overlaps the marker around %v", at, target)
	}
	xvfbtest.Eventually(t, func() []string {
		var problems []string
		if c := w.pixel(t, target); c != under {
			problems = append(problems, fmt.Sprintf("the target pixel %v is %v on the screen, want %v as without the overlay", target, c, under))
		}
		ps := markerPixels(t, w.Conn, aroundTarget(target))
		if len(ps) != want {
			return append(problems, fmt.Sprintf("%d marker pixels around %v on the screen, want %d", len(ps), target, want))
		}
		var sx, sy int
		for _, q := range ps {
			sx, sy = sx+q.X, sy+q.Y
		}
		cx, cy := float64(sx)/float64(len(ps)), float64(sy)/float64(len(ps))
		if dx, dy := cx-float64(target.X), cy-float64(target.Y); dx*dx+dy*dy > 4 {
			problems = append(problems, fmt.Sprintf("crosshair centred at (%.1f, %.1f) on the screen, target %v: more than 2 px off", cx, cy, target))
		}
		// The screen shows the panel's own picture there: every pixel of the
		// border, and a row through the buttons.
		shot := xvfbtest.Grab(t, w.Conn, at)
		diff, total := 0, 0
		for y := range at.Dy() {
			for x := range at.Dx() {
				if y != 0 && y != at.Dy()-1 && x != 0 && x != at.Dx()-1 && y != (panel.Buttons[0].Rect.Min.Y+panel.Buttons[0].Rect.Max.Y)/2 {
					continue
				}
				total++
				if shot.RGBAAt(at.Min.X+x, at.Min.Y+y) != panel.Image.RGBAAt(x, y) {
					diff++
				}
			}
		}
		if diff > 0 {
			problems = append(problems, fmt.Sprintf("%d of %d pixels of the panel's border and buttons at %v differ from its picture", diff, total, at))
		}
		return problems
	})
}

// clickButton clicks the panel's button for c where the overlay puts it.
func (w *wineDesk) clickButton(t *testing.T, p Prompt, c Choice) {
	t.Helper()
	panel, err := RenderPanel(p)
	if err != nil {
		t.Fatal(err)
	}
	at := PlacePanel(p, panel.Image.Bounds().Size())
	for _, b := range panel.Buttons {
		if b.Choice == c {
			q := at.Min.Add(b.Rect.Min).Add(b.Rect.Size().Div(2))
			w.D.Output(t, "xdotool", "mousemove", strconv.Itoa(q.X), strconv.Itoa(q.Y), "click", "1")
			return
		}
	}
	t.Fatalf("no %s button", c)
}

// The Windows overlay under Wine: the marker and the panel on the screen, the
// panel's buttons answering, and Hide.
func TestWineOverlay(t *testing.T) {
	w := startWine(t)
	for _, tc := range []struct {
		name   string
		target image.Point
		button Choice
	}{
		{"approve", image.Pt(300, 200), Approve},
		{"skip near the corner", image.Pt(1150, 700), Skip},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := probePrompt(click(tc.target.X, tc.target.Y))
			under := w.pixel(t, tc.target)
			pr := w.run(t, p.Action, false)
			pr.Expect(t, "shown", time.Minute)
			w.checkShown(t, p, under)
			w.clickButton(t, p, tc.button)
			if a := answer(t, pr); a.Choice != tc.button || a.Point != nil {
				t.Errorf("answer %+v, want %s", a, tc.button)
			}
			if n := len(markerPixels(t, w.Conn, aroundTarget(tc.target))); n != 0 {
				t.Errorf("%d marker pixels left on the screen after the answer", n)
			}
		})
	}

	t.Run("hide", func(t *testing.T) {
		target := image.Pt(640, 400)
		p := probePrompt(click(target.X, target.Y))
		under := w.pixel(t, target)
		pr := w.run(t, p.Action, true)
		pr.Expect(t, "shown", time.Minute)
		w.checkShown(t, p, under)
		if _, err := io.WriteString(pr.Stdin, "hide\n"); err != nil {
			t.Fatal(err)
		}
		pr.Expect(t, "hidden", 10*time.Second)
		if n := len(markerPixels(t, w.Conn, aroundTarget(target))); n != 0 {
			t.Errorf("%d marker pixels on the screen once Hide has returned", n)
		}
		panel, err := RenderPanel(p)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(markerPixels(t, w.Conn, PlacePanel(p, panel.Image.Bounds().Size()))); n != 0 {
			t.Errorf("%d pixels of the panel's border on the screen once Hide has returned", n)
		}
		if _, err := io.WriteString(pr.Stdin, "restore\n"); err != nil {
			t.Fatal(err)
		}
		pr.Expect(t, "restored", 10*time.Second)
		w.checkShown(t, p, under)
		w.clickButton(t, p, Approve)
		if a := answer(t, pr); a.Choice != Approve {
			t.Errorf("answer %+v after restore, want approve", a)
		}
	})
}
