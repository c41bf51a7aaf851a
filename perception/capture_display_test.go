//go:build cgo

package perception

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/deskhand/deskhand/perception/xvfbtest"
)

// These tests run the real backend on Xvfb. Each starts its own X server: on X11
// this package talks to the server through fresh connections only (never
// robotgo's cached one), so several servers in one test binary are fine. Without
// Xvfb they skip, or fail when DESKHAND_REQUIRE_DISPLAY=1.

// desktop starts a w×h Xvfb desktop and points this process at it.
func desktop(t *testing.T, w, h int) *xvfbtest.Display {
	t.Helper()
	xvfbtest.Need(t, "xterm", "xdotool", "xwininfo", "xrandr")
	d := xvfbtest.Start(t, w, h)
	d.Setenv(t)
	return d
}

// solidXterm opens an xterm whose client area is one flat colour (background,
// text and cursor all the same) at x, y and returns its client geometry.
func solidXterm(t *testing.T, d *xvfbtest.Display, title, colour string, x, y int) image.Rectangle {
	t.Helper()
	d.Launch(t, "xterm", "-T", title, "-geometry", "40x12+"+strconv.Itoa(x)+"+"+strconv.Itoa(y),
		"-bg", colour, "-fg", colour, "-cr", colour, "-e", "sleep", "600")
	win := d.WaitWindow(t, "^"+title+"$", 10*time.Second)
	wx, wy, ww, wh := d.Geometry(t, win)
	return image.Rect(wx, wy, wx+ww, wy+wh)
}

// findColour returns the bounding box of the pixels of img close to magenta.
func findMagenta(img image.Image) image.Rectangle {
	var box image.Rectangle
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r>>8 > 200 && g>>8 < 60 && bl>>8 > 200 {
				box = box.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return box
}

// checkPlacement checks that the window at win (actuation space) appears in the
// frame's image where the frame's mapping says it should.
func checkPlacement(t *testing.T, f Frame, win image.Rectangle) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(f.Data))
	if err != nil {
		t.Fatalf("Frame.Data is not a PNG: %v", err)
	}
	if img.Bounds().Size() != f.Image {
		t.Fatalf("PNG is %v, Frame.Image says %v", img.Bounds().Size(), f.Image)
	}
	box := findMagenta(img)
	if box.Empty() {
		t.Fatalf("the magenta window at %v is not in the capture", win)
	}
	tl, err1 := f.ToScreen(float64(box.Min.X), float64(box.Min.Y), ImagePixels)
	br, err2 := f.ToScreen(float64(box.Max.X-1), float64(box.Max.Y-1), ImagePixels)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	got := image.Rectangle{Min: tl, Max: br.Add(image.Pt(1, 1))}
	const tol = 2 // one image pixel's footprint plus the blend at the edge
	if abs(got.Min.X-win.Min.X) > tol || abs(got.Min.Y-win.Min.Y) > tol ||
		abs(got.Max.X-win.Max.X) > tol || abs(got.Max.Y-win.Max.Y) > tol {
		t.Errorf("window at %v appears at image %v, which maps back to %v", win, box, got)
	}
}

func abs(v int) int { return max(v, -v) }

func TestX11Capture(t *testing.T) {
	d := desktop(t, 1920, 1080)
	ctx := context.Background()
	win := solidXterm(t, d, "deskhand-magenta", "magenta", 300, 200)

	ms, err := Monitors(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 || ms[0].Bounds != image.Rect(0, 0, 1920, 1080) || !ms[0].Primary {
		t.Fatalf("Monitors = %+v, want one primary 1920x1080 at 0,0", ms)
	}

	var c Capturer
	if err := c.Settle(ctx, 3*time.Second); err != nil {
		t.Fatal(err)
	}
	f, err := c.Capture(ctx, Grid{})
	if err != nil {
		t.Fatal(err)
	}
	if f.Monitor != 0 || f.Bounds != ms[0].Bounds || f.Captured != image.Pt(1920, 1080) ||
		f.Image != image.Pt(1904, 1064) || f.Scale != 1 || f.MIME != "image/png" || f.Taken.IsZero() {
		t.Fatalf("Capture = %+v", f)
	}
	t.Logf("1920x1080 → %v PNG, %d KB", f.Image, len(f.Data)/1024)
	checkPlacement(t, f, win)
}

func TestX11TwoMonitors(t *testing.T) {
	d := desktop(t, 3200, 1080)
	d.SetMonitors(t, "1280x720+0+0", "1920x1080+1280+0")
	ctx := context.Background()
	win := solidXterm(t, d, "deskhand-right", "magenta", 1700, 400)

	ms, err := Monitors(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []Monitor{
		{Index: 0, Bounds: image.Rect(0, 0, 1280, 720), Primary: true},
		{Index: 1, Bounds: image.Rect(1280, 0, 3200, 1080)},
	}
	if len(ms) != 2 || ms[0] != want[0] || ms[1] != want[1] {
		t.Fatalf("Monitors = %+v, want %+v", ms, want)
	}

	var c Capturer
	d.Output(t, "xdotool", "mousemove", "2000", "500")
	f, err := c.Capture(ctx, Grid{})
	if err != nil {
		t.Fatal(err)
	}
	if f.Monitor != 1 || f.Bounds.Min != image.Pt(1280, 0) || f.Captured != image.Pt(1920, 1080) || f.Image != image.Pt(1904, 1064) {
		t.Fatalf("with the pointer on the right monitor: %+v", f)
	}
	checkPlacement(t, f, win)
	// The model clicking the window's centre lands in it.
	cx, cy := f.FromScreen(image.Pt((win.Min.X+win.Max.X)/2, (win.Min.Y+win.Max.Y)/2), Relative1000)
	if p, err := f.ToScreen(cx, cy, Relative1000); err != nil || !p.In(win) {
		t.Errorf("the window's centre maps to (%g, %g) and back to %v, outside %v", cx, cy, p, win)
	}

	d.Output(t, "xdotool", "mousemove", "100", "100")
	f, err = c.Capture(ctx, Grid{})
	if err != nil {
		t.Fatal(err)
	}
	if f.Monitor != 0 || f.Bounds != want[0].Bounds || f.Captured != image.Pt(1280, 720) || f.Image != (Grid{}).Size(1280, 720) {
		t.Fatalf("with the pointer on the left monitor: %+v", f)
	}
	if box := findMagenta(mustDecode(t, f.Data)); !box.Empty() {
		t.Errorf("the left monitor's capture shows the right monitor's window at %v", box)
	}

	fixed := Capturer{FixedMonitor: true, Monitor: 1}
	if f, err := fixed.Capture(ctx, Grid{}); err != nil || f.Monitor != 1 {
		t.Errorf("FixedMonitor 1 with the pointer on 0: %+v, %v", f, err)
	}
}

func mustDecode(t *testing.T, data []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// Settle must wait while an application keeps changing the screen and return
// soon after it stops. The terminal prints a line every 30 ms (plus a fork),
// well inside the 50 ms between frames Settle allows for, so that a test
// running beside others on two cores does not see a gap the application did
// not make.
func TestX11SettleWaitsForOutput(t *testing.T) {
	d := desktop(t, 1280, 720)
	dir := t.TempDir()
	goFile, doneFile := filepath.Join(dir, "go"), filepath.Join(dir, "done")
	script := `while [ ! -e "$1" ]; do sleep 0.02; done
for i in $(seq 60); do sleep 0.03; echo "line $i"; done
date +%s.%N > "$2"
sleep 600`
	d.Launch(t, "xterm", "-T", "deskhand-count", "-geometry", "40x45+50+20", "-e", "sh", "-c", script, "sh", goFile, doneFile)
	d.WaitWindow(t, "^deskhand-count$", 10*time.Second)
	ctx := context.Background()
	var c Capturer
	if err := c.Settle(ctx, 3*time.Second); err != nil {
		t.Fatal(err)
	}

	if err := os.WriteFile(goFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // the output has started
	start := time.Now()
	if err := c.Settle(ctx, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	end := time.Now()
	data, err := os.ReadFile(doneFile)
	if err != nil {
		t.Fatalf("Settle returned after %v, before the output stopped", end.Sub(start))
	}
	secs, err := strconv.ParseFloat(strings.TrimSpace(string(data)), 64)
	if err != nil {
		t.Fatal(err)
	}
	stopped := time.Unix(0, int64(secs*1e9))
	t.Logf("Settle returned %v after it started and %v after the output stopped", end.Sub(start), end.Sub(stopped))
	// About 70 ms normally (damage reports); the slack is for loaded CI machines.
	if end.Sub(stopped) > 1500*time.Millisecond {
		t.Errorf("Settle returned %v after the output stopped, want well under a second", end.Sub(stopped))
	}
}

// A blinking caret must not keep the screen from settling, at xterm's usual
// blink rate and at a rate faster than Settle's sampling window.
func TestX11SettleIgnoresBlinkingCaret(t *testing.T) {
	d := desktop(t, 1280, 720)
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		on, of string
	}{{"xterm default 600/300 ms", "600", "300"}, {"fast 100/100 ms", "100", "100"}} {
		t.Run(tc.name, func(t *testing.T) {
			title := "deskhand-blink-" + tc.on
			xt := d.Launch(t, "xterm", "-T", title, "-geometry", "40x10+100+100", "-bc", "-bcn", tc.on, "-bcf", tc.of,
				"-e", "sleep", "600")
			win := d.WaitWindow(t, "^"+title+"$", 10*time.Second)
			d.Output(t, "xdotool", "windowfocus", "--sync", win) // xterm only blinks when focused
			d.Output(t, "xdotool", "mousemove", "300", "200")
			defer func() { _ = xt.Process.Kill() }()

			// Make sure the caret really blinks, so the test means something.
			be := platform
			m, err := (&Capturer{}).pick(ctx, be)
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(500 * time.Millisecond)
			first, blinked := sample(t, be, m), false
			for end := time.Now().Add(1500 * time.Millisecond); time.Now().Before(end) && !blinked; {
				time.Sleep(40 * time.Millisecond)
				blinked = changed(first, sample(t, be, m)) > 0
			}
			if !blinked {
				t.Fatal("the caret did not blink in 1.5 s")
			}

			start := time.Now()
			if err := (&Capturer{}).Settle(ctx, 5*time.Second); err != nil {
				t.Fatal(err)
			}
			took := time.Since(start)
			t.Logf("settled in %v", took)
			// Normally under 0.8 s; without the blink tolerance the fast case would
			// take the whole 5 s.
			if took > 2500*time.Millisecond {
				t.Errorf("Settle took %v with a blinking caret, want under a second", took)
			}
		})
	}
}

func sample(t *testing.T, be backend, m Monitor) thumb {
	t.Helper()
	img, err := be.capture(m.Bounds)
	if err != nil {
		t.Fatal(err)
	}
	return thumbnail(img)
}

// Without a display the real backend returns typed errors and does not crash.
func TestX11NoDisplay(t *testing.T) {
	ctx := context.Background()
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "wayland-0")
	_, err := Monitors(ctx)
	var nd *NoDisplayError
	if !errors.As(err, &nd) || !nd.Wayland {
		t.Errorf("Wayland without X: err = %v, want a *NoDisplayError with Wayland", err)
	}
	t.Setenv("WAYLAND_DISPLAY", "")
	t.Setenv("XDG_SESSION_TYPE", "")
	if _, err := (&Capturer{}).Capture(ctx, Grid{}); !errors.As(err, &nd) || nd.Wayland || nd.Display != "" {
		t.Errorf("no DISPLAY: err = %v, want a plain *NoDisplayError", err)
	}
	t.Setenv("DISPLAY", ":4242")
	err = (&Capturer{}).Settle(ctx, time.Second)
	if !errors.As(err, &nd) || nd.Display != ":4242" {
		t.Errorf("DISPLAY=:4242 with no server: err = %v, want a *NoDisplayError naming it", err)
	}
	t.Logf("%v", err)
}
