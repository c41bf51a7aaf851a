//go:build cgo && !windows && !darwin

package app

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/deskhand/deskhand/app/overlay"
	"github.com/deskhand/deskhand/app/taskbar"
	"github.com/deskhand/deskhand/models"
	"github.com/deskhand/deskhand/perception"
	"github.com/deskhand/deskhand/perception/xvfbtest"
	"github.com/deskhand/deskhand/planner/ollamatest"
)

// These tests run the real app, fyne's desktop driver and all, as a child
// process (this test binary started again with DESKHAND_GUI_CHILD=1) on an
// Xvfb desktop with openbox, against the fake Ollama, and drive it as a user
// would with xdotool. DESKHAND_SCREENSHOTS=DIR keeps the screenshots taken.

func TestMain(m *testing.M) {
	if os.Getenv("DESKHAND_GUI_CHILD") == "1" {
		if os.Getenv("DESKHAND_GUI_READY") == "1" {
			onStarted = func() { fmt.Println("deskhand: ready") }
		}
		os.Exit(Run())
	}
	os.Exit(m.Run())
}

// guiChild is the app running on d.
type guiChild struct {
	cmd *exec.Cmd
	out *bytes.Buffer
}

// startGUI starts the app on d with Ollama at ollama and a fresh home.
func startGUI(t testing.TB, d *xvfbtest.Display, ollama string, extra ...string) *guiChild {
	t.Helper()
	home := t.TempDir()
	c := d.Command(os.Args[0], "-test.run=^$")
	c.Env = append(c.Env, "DESKHAND_GUI_CHILD=1", "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_DATA_HOME="+filepath.Join(home, "data"), "OLLAMA_HOST="+ollama, "LANG=en_US.UTF-8", "LANGUAGE=en",
		"DBUS_SESSION_BUS_ADDRESS=")
	c.Env = append(c.Env, extra...)
	g := &guiChild{cmd: c, out: &bytes.Buffer{}}
	c.Stdout, c.Stderr = g.out, g.out
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		g.stop()
		if t.Failed() {
			t.Logf("app output:\n%s", g.out)
		}
	})
	return g
}

func (g *guiChild) stop() {
	if g.cmd.ProcessState != nil {
		return
	}
	g.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { g.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		g.cmd.Process.Kill()
		<-done
	}
}

// screen reads the whole screen of d.
func screen(t testing.TB, d *xvfbtest.Display) *image.RGBA {
	t.Helper()
	out, err := d.Command("import", "-window", "root", "png:-").Output()
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	rgba := image.NewRGBA(img.Bounds())
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			rgba.Set(x, y, img.At(x, y))
		}
	}
	return rgba
}

// shot saves the screen as name.png in DESKHAND_SCREENSHOTS (or a temporary
// folder) and returns its path.
func shot(t testing.TB, d *xvfbtest.Display, name string) string {
	t.Helper()
	dir := os.Getenv("DESKHAND_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	path := filepath.Join(dir, name+".png")
	if err := d.Command("import", "-window", "root", path).Run(); err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	t.Logf("screenshot %s", path)
	return path
}

// markerNear reports whether the overlay's marker colour is on the screen
// within r pixels of p.
func markerNear(img *image.RGBA, p image.Point, r int) bool {
	area := image.Rect(p.X-r, p.Y-r, p.X+r+1, p.Y+r+1).Intersect(img.Rect)
	for y := area.Min.Y; y < area.Max.Y; y++ {
		for x := area.Min.X; x < area.Max.X; x++ {
			if img.RGBAAt(x, y) == overlay.MarkerColor {
				return true
			}
		}
	}
	return false
}

// waitGone waits until no visible window matches pattern.
func waitGone(t testing.TB, d *xvfbtest.Display, pattern string, timeout time.Duration) {
	t.Helper()
	for end := time.Now().Add(timeout); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		out, _ := d.Command("xdotool", "search", "--onlyvisible", "--name", pattern).Output()
		if strings.TrimSpace(string(out)) == "" {
			return
		}
	}
	t.Fatalf("the window %q is still visible after %v", pattern, timeout)
}

func xdo(t testing.TB, d *xvfbtest.Display, args ...string) {
	t.Helper()
	if out, err := d.Command("xdotool", args...).CombinedOutput(); err != nil {
		t.Fatalf("xdotool %s: %v %s", strings.Join(args, " "), err, out)
	}
}

// The global hotkey opens the task bar over another application, at the top
// centre of the screen, above other windows, with the focus and the other
// window's title as context; Enter starts the task, which asks in the overlay
// at the target; Esc closes the bar.
func TestGUIHotkeyTaskBarAndRun(t *testing.T) {
	xvfbtest.Need(t, "Xvfb", "openbox", "xdotool", "xterm", "xwininfo", "xprop", "import")
	d := xvfbtest.Start(t, 1920, 1080)
	d.Launch(t, "xterm", "-T", "notes.txt - Mousepad", "-geometry", "100x30+60+300", "-bg", "white")
	term := d.WaitWindow(t, "^notes.txt - Mousepad$", 10*time.Second)
	tx, ty, tw, th := d.Geometry(t, term)
	target := image.Pt(tx+tw/2, ty+th/2)

	srv := ollamatest.NewServer(uitarsModel)
	defer srv.Close()
	grid := models.NewUITARS15().Grid()
	frame := perception.Frame{Bounds: image.Rect(0, 0, 1920, 1080), Image: grid.Size(1920, 1080)}
	ix, iy := frame.FromScreen(target, perception.ImagePixels)
	click := clickReply("The terminal window is in the middle of the left half", int(ix), int(iy))
	click.Chunks, click.ChunkDelay = 12, 40*time.Millisecond
	srv.Script(click, doneReply("Clicked the terminal"))

	startGUI(t, d, srv.URL)
	main := d.WaitWindow(t, "^deskhand$", 60*time.Second)
	time.Sleep(1500 * time.Millisecond) // the model list
	shot(t, d, "1-main")

	xdo(t, d, "windowactivate", "--sync", term)
	xdo(t, d, "key", "ctrl+alt+space")
	bar := d.WaitWindow(t, "^"+taskbar.Title+"$", 5*time.Second)
	time.Sleep(300 * time.Millisecond)
	bx, by, bw, bh := d.Geometry(t, bar)
	if c := bx + bw/2; c < 958 || c > 962 || by != 1080/8 {
		t.Errorf("the task bar is at (%d, %d) %dx%d, want centred at the top", bx, by, bw, bh)
	}
	if state := d.Output(t, "xprop", "-id", bar, "_NET_WM_STATE"); !strings.Contains(state, "_NET_WM_STATE_ABOVE") {
		t.Errorf("the task bar is not kept above: %s", state)
	}
	if active := d.Output(t, "xdotool", "getactivewindow"); active != bar {
		t.Errorf("the active window is %s, not the task bar %s", active, bar)
	}
	shot(t, d, "2-taskbar")

	xdo(t, d, "type", "--delay", "15", "click in it")
	xdo(t, d, "key", "Return")
	waitGone(t, d, "^"+taskbar.Title+"$", 5*time.Second)

	// The overlay asks at the target, on the real screen.
	var seen bool
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end) && !seen; time.Sleep(200 * time.Millisecond) {
		seen = markerNear(screen(t, d), target, 40)
	}
	if !seen {
		shot(t, d, "3-overlay-missing")
		t.Fatal("no overlay marker at the target")
	}
	time.Sleep(300 * time.Millisecond)
	shot(t, d, "3-overlay")
	xdo(t, d, "key", "Return") // Approve, in the overlay
	for end := time.Now().Add(20 * time.Second); srv.Pending() > 0; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("the run did not go on after the approval")
		}
	}
	time.Sleep(1500 * time.Millisecond)
	xdo(t, d, "windowactivate", "--sync", main)
	time.Sleep(500 * time.Millisecond)
	shot(t, d, "4-steps")
	// A thumbnail opens the step's frame, large, with its marker.
	mx, my, _, _ := d.Geometry(t, main)
	xdo(t, d, "mousemove", fmt.Sprint(mx+120), fmt.Sprint(my+290), "click", "1")
	time.Sleep(500 * time.Millisecond)
	shot(t, d, "4b-frame")
	xdo(t, d, "key", "Escape")

	// Esc closes the bar.
	xdo(t, d, "windowactivate", "--sync", term)
	xdo(t, d, "key", "ctrl+alt+space")
	d.WaitWindow(t, "^"+taskbar.Title+"$", 5*time.Second)
	xdo(t, d, "key", "Escape")
	waitGone(t, d, "^"+taskbar.Title+"$", 5*time.Second)

	// The other tabs, for a look.
	xdo(t, d, "windowactivate", "--sync", main)
	for _, tab := range []struct {
		name string
		x    int
	}{{"5-past-runs", 140}, {"6-settings", 250}} {
		xdo(t, d, "mousemove", fmt.Sprint(mx+tab.x), fmt.Sprint(my+30), "click", "1")
		time.Sleep(300 * time.Millisecond)
		if tab.name == "5-past-runs" {
			xdo(t, d, "mousemove", fmt.Sprint(mx+80), fmt.Sprint(my+90), "click", "1")
			time.Sleep(500 * time.Millisecond)
		}
		shot(t, d, tab.name)
	}
}

// BenchmarkGUIStartup measures the app's start-up to a usable window with
// fyne's desktop driver on Xvfb: from starting the process to fyne's started
// event, the window shown.
func BenchmarkGUIStartup(b *testing.B) {
	xvfbtest.Need(b, "Xvfb", "openbox")
	d := xvfbtest.Start(b, 1920, 1080)
	srv := ollamatest.NewServer(uitarsModel)
	defer srv.Close()
	for b.Loop() {
		t0 := time.Now()
		g := startGUIPiped(b, d, srv.URL)
		b.ReportMetric(float64(g.readyAfter(b).Sub(t0).Milliseconds()), "ms-to-window")
		g.stop()
	}
}

type pipedChild struct {
	*guiChild
	lines *bufio.Scanner
}

func startGUIPiped(b *testing.B, d *xvfbtest.Display, ollama string) pipedChild {
	home := b.TempDir()
	c := d.Command(os.Args[0], "-test.run=^$")
	c.Env = append(c.Env, "DESKHAND_GUI_CHILD=1", "DESKHAND_GUI_READY=1", "HOME="+home,
		"XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "XDG_DATA_HOME="+filepath.Join(home, "data"),
		"OLLAMA_HOST="+ollama, "LANG=en_US.UTF-8", "LANGUAGE=en", "DBUS_SESSION_BUS_ADDRESS=")
	out, err := c.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := c.Start(); err != nil {
		b.Fatal(err)
	}
	return pipedChild{&guiChild{cmd: c, out: &bytes.Buffer{}}, bufio.NewScanner(out)}
}

// readyAfter waits for the child's ready line and returns when it came.
func (p pipedChild) readyAfter(b *testing.B) time.Time {
	for p.lines.Scan() {
		if p.lines.Text() == "deskhand: ready" {
			return time.Now()
		}
	}
	b.Fatal("the app ended without its window")
	return time.Time{}
}

// On a first run with no vision model, one click downloads the recommended
// one, with its progress; then the checks go away by themselves.
func TestGUIFirstRunDownload(t *testing.T) {
	xvfbtest.Need(t, "Xvfb", "openbox", "xdotool", "xwininfo", "import")
	d := xvfbtest.Start(t, 1920, 1080)
	srv := ollamatest.NewServer(llama)
	defer srv.Close()
	srv.SetRemote(&ollamatest.Remote{Models: []ollamatest.Model{qwen3vl}, Steps: 40, StepDelay: 100 * time.Millisecond})
	startGUI(t, d, srv.URL)
	main := d.WaitWindow(t, "^deskhand$", 60*time.Second)
	time.Sleep(1500 * time.Millisecond)
	shot(t, d, "7-no-model")
	// The download button is the first button in the primary colour below the
	// tabs.
	mx, my, mw, mh := d.Geometry(t, main)
	img := screen(t, d)
	at := image.Point{}
find:
	for y := my + 60; y < my+mh; y++ {
		for x := mx; x < mx+mw; x++ {
			c := img.RGBAAt(x, y)
			if c.B > 200 && c.R < 90 && c.G > 80 && c.G < 150 {
				at = image.Pt(x+20, y+8)
				break find
			}
		}
	}
	if at == (image.Point{}) {
		t.Fatal("no download button on the screen")
	}
	xdo(t, d, "mousemove", fmt.Sprint(at.X), fmt.Sprint(at.Y), "click", "1")
	time.Sleep(1500 * time.Millisecond)
	shot(t, d, "8-downloading")
	for end := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if len(srv.Models()) == 2 {
			break
		}
		if time.Now().After(end) {
			t.Fatal("the download did not finish")
		}
	}
	time.Sleep(1500 * time.Millisecond)
	shot(t, d, "9-installed")
}
