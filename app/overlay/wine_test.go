//go:build linux

package overlay

import (
	"bufio"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"

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

// wineDesk is an Xvfb desktop with a booted Wine prefix and a built winprobe.
type wineDesk struct {
	d      *xvfbtest.Display
	conn   *xgb.Conn // the test's own connection, to read the screen
	prefix *xvfbtest.WinePrefix
	exe    string
}

func startWine(t *testing.T) *wineDesk {
	t.Helper()
	xvfbtest.Need(t, "xdotool", "xsetroot")
	d := xvfbtest.Start(t, wineMonitor.Dx(), wineMonitor.Dy())
	d.Setenv(t)
	// Not black: where the marker's window is transparent, the screen must show
	// what is under it, not the black of an unpainted window.
	d.Output(t, "xsetroot", "-solid", "#5a8fc2")
	w := &wineDesk{d: d, exe: filepath.Join(t.TempDir(), "winprobe.exe")}
	w.prefix = xvfbtest.Wine(t, d, func() error { return xvfbtest.BuildWindows(w.exe, "./testdata/winprobe", false) })
	c, err := xgb.NewConn()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	w.conn = c
	return w
}

// probe is a running winprobe and the lines it has printed.
type probe struct {
	stdin io.WriteCloser
	lines chan string
	done  chan struct{}
}

// run starts winprobe showing a, with -hide if hide.
func (w *wineDesk) run(t *testing.T, a actuation.Action, hide bool) *probe {
	t.Helper()
	args := []string{"-monitor", fmt.Sprintf("%d,%d,%d,%d", wineMonitor.Min.X, wineMonitor.Min.Y, wineMonitor.Max.X, wineMonitor.Max.Y)}
	if hide {
		args = append(args, "-hide")
	}
	c := w.prefix.Command(w.exe, append(args, a.String())...)
	stderr, err := os.CreateTemp(t.TempDir(), "stderr") // not a pipe: see WinePrefix.Command
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stderr.Close() })
	c.Stderr = stderr
	stdin, err := c.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	// A pipe of our own, not StdoutPipe: Wait closes that one at exit, perhaps
	// before the last line is read.
	stdout, out, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	c.Stdout = out
	err = c.Start()
	out.Close()
	if err != nil {
		stdout.Close()
		t.Fatal(err)
	}
	p := &probe{stdin: stdin, lines: make(chan string, 16), done: make(chan struct{})}
	go func() {
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			p.lines <- strings.TrimSpace(s.Text()) // Windows ends lines with \r\n
		}
		close(p.lines)
	}()
	go func() {
		_ = c.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = c.Process.Kill()
			<-p.done
		}
		stdout.Close()
		if log, _ := os.ReadFile(stderr.Name()); t.Failed() && len(log) > 0 {
			t.Logf("winprobe's stderr:\n%s", log)
		}
	})
	return p
}

// expect waits for winprobe's next line, which must start with want; it returns
// the rest.
func (p *probe) expect(t *testing.T, want string, timeout time.Duration) string {
	t.Helper()
	deadline := time.After(timeout)
	done := p.done
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				t.Fatalf("winprobe ended before printing %q", want)
			}
			if rest, found := strings.CutPrefix(l, want); found {
				return strings.TrimSpace(rest)
			}
			t.Fatalf("winprobe printed %q, want %q", l, want)
		case <-done:
			// Wine's services may hold the pipe open after winprobe exits:
			// take what it printed last, without waiting for the end.
			done, deadline = nil, time.After(2*time.Second)
		case <-deadline:
			if done == nil {
				t.Fatalf("winprobe exited without printing %q", want)
			}
			t.Fatalf("winprobe did not print %q within %v", want, timeout)
		}
	}
}

// answer waits for winprobe's answer.
func (p *probe) answer(t *testing.T) Answer {
	t.Helper()
	var a Answer
	if err := json.Unmarshal([]byte(p.expect(t, "answer", 20*time.Second)), &a); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		t.Fatal("winprobe did not exit after its answer")
	}
	return a
}

// markerPixels returns the screen pixels within r that have the marker's colour.
func (w *wineDesk) markerPixels(t *testing.T, r image.Rectangle) []image.Point {
	t.Helper()
	img := w.grab(t, r)
	var ps []image.Point
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if img.RGBAAt(x, y) == MarkerColor {
				ps = append(ps, image.Pt(x, y))
			}
		}
	}
	return ps
}

// grab reads r of the screen.
func (w *wineDesk) grab(t *testing.T, r image.Rectangle) *image.RGBA {
	t.Helper()
	root := xproto.Setup(w.conn).DefaultScreen(w.conn).Root
	reply, err := xproto.GetImage(w.conn, xproto.ImageFormatZPixmap, xproto.Drawable(root),
		int16(r.Min.X), int16(r.Min.Y), uint16(r.Dx()), uint16(r.Dy()), 0xffffffff).Reply()
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewRGBA(r)
	for i := 0; i < len(img.Pix); i += 4 { // BGRX to RGBA
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = reply.Data[i+2], reply.Data[i+1], reply.Data[i], 0xff
	}
	return img
}

// pixel reads one pixel of the screen.
func (w *wineDesk) pixel(t *testing.T, p image.Point) color.RGBA {
	t.Helper()
	return w.grab(t, image.Rectangle{Min: p, Max: p.Add(image.Pt(1, 1))}).RGBAAt(p.X, p.Y)
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

// eventually waits until check finds no problem; Wine draws its windows a
// moment after winprobe has shown them.
func (w *wineDesk) eventually(t *testing.T, check func() []string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		problems := check()
		if len(problems) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(strings.Join(problems, "\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
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
	w.eventually(t, func() []string {
		var problems []string
		if c := w.pixel(t, target); c != under {
			problems = append(problems, fmt.Sprintf("the target pixel %v is %v on the screen, want %v as without the overlay", target, c, under))
		}
		ps := w.markerPixels(t, aroundTarget(target))
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
		shot := w.grab(t, at)
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
			w.d.Output(t, "xdotool", "mousemove", strconv.Itoa(q.X), strconv.Itoa(q.Y), "click", "1")
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
			pr.expect(t, "shown", time.Minute)
			w.checkShown(t, p, under)
			w.clickButton(t, p, tc.button)
			if a := pr.answer(t); a.Choice != tc.button || a.Point != nil {
				t.Errorf("answer %+v, want %s", a, tc.button)
			}
			if n := len(w.markerPixels(t, aroundTarget(tc.target))); n != 0 {
				t.Errorf("%d marker pixels left on the screen after the answer", n)
			}
		})
	}

	t.Run("hide", func(t *testing.T) {
		target := image.Pt(640, 400)
		p := probePrompt(click(target.X, target.Y))
		under := w.pixel(t, target)
		pr := w.run(t, p.Action, true)
		pr.expect(t, "shown", time.Minute)
		w.checkShown(t, p, under)
		if _, err := io.WriteString(pr.stdin, "hide\n"); err != nil {
			t.Fatal(err)
		}
		pr.expect(t, "hidden", 10*time.Second)
		if n := len(w.markerPixels(t, aroundTarget(target))); n != 0 {
			t.Errorf("%d marker pixels on the screen once Hide has returned", n)
		}
		panel, err := RenderPanel(p)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(w.markerPixels(t, PlacePanel(p, panel.Image.Bounds().Size()))); n != 0 {
			t.Errorf("%d pixels of the panel's border on the screen once Hide has returned", n)
		}
		if _, err := io.WriteString(pr.stdin, "restore\n"); err != nil {
			t.Fatal(err)
		}
		pr.expect(t, "restored", 10*time.Second)
		w.checkShown(t, p, under)
		w.clickButton(t, p, Approve)
		if a := pr.answer(t); a.Choice != Approve {
			t.Errorf("answer %+v after restore, want approve", a)
		}
	})
}
