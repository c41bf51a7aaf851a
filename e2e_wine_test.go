//go:build linux

package main

// The Windows build end to end, under Wine on Xvfb: deskhand.exe, cross-built
// with cgo as shipped, captures the screen through GDI (kbinani/screenshot),
// sends it to a fake Ollama on 127.0.0.1, maps the model's click through the
// Frame to the screen, and clicks, types and presses keys with robotgo
// (SetCursorPos and SendInput). CI sets DESKHAND_REQUIRE_WINE=1, so a missing
// tool fails there; elsewhere the test skips.
//
// Wine turns SetCursorPos into a move of the X pointer, but delivers what
// SendInput injects to Wine's own windows only, never to X applications: the
// clicks and keys are checked on Notepad, run in the same prefix.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	_ "image/png" // the screenshots deskhand sends
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/deskhand/deskhand/perception"
	"github.com/deskhand/deskhand/perception/xvfbtest"
	"github.com/deskhand/deskhand/planner"
	"github.com/deskhand/deskhand/planner/ollamatest"
)

// Colours the test puts on the screen, to find in the screenshot.
var (
	wineDesktop = color.RGBA{0x5a, 0x8f, 0xc2, 0xff}
	wineRed     = color.RGBA{0xb8, 0x32, 0x2a, 0xff} // an xterm's background
)

// wineResult is how a run of deskhand.exe ended.
type wineResult struct {
	code           int
	stdout, stderr string
}

// wineRun runs deskhand.exe in the prefix with args, talking to srv, and waits
// at most timeout for it.
func wineRun(t *testing.T, w *xvfbtest.WinePrefix, exe string, srv *ollamatest.Server, timeout time.Duration, args ...string) wineResult {
	t.Helper()
	c := w.Command(exe, args...)
	// Key by key: Wine's console and Notepad do not paste on ctrl+v alike, and
	// the keys are what this test is about.
	c.Env = append(c.Env, "OLLAMA_HOST="+srv.URL, "LANG=en_US.UTF-8", "LANGUAGE=en", "DESKHAND_PASTE=off")
	// Files, not pipes: see WinePrefix.Command.
	dir := t.TempDir()
	stdout, err := os.Create(filepath.Join(dir, "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	defer stdout.Close()
	stderr, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()
	c.Stdout, c.Stderr = stdout, stderr
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		_ = c.Wait()
		close(done)
	}()
	timedOut := false
	select {
	case <-done:
	case <-time.After(timeout):
		timedOut = true
		_ = c.Process.Kill()
		<-done
	}
	out, _ := os.ReadFile(stdout.Name())
	errb, _ := os.ReadFile(stderr.Name())
	r := wineResult{code: c.ProcessState.ExitCode(), stdout: string(out), stderr: string(errb)}
	if timedOut || r.code < 0 {
		t.Fatalf("wine deskhand.exe %s: did not end within %v, or was killed (%v)\nstdout: %s\nstderr: %s",
			strings.Join(args, " "), timeout, c.ProcessState, r.stdout, r.stderr)
	}
	return r
}

// appears waits at most timeout for a visible window whose name matches
// pattern, and reports whether one came.
func appears(d *xvfbtest.Display, pattern string, timeout time.Duration) bool {
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if ids, _ := d.Command("xdotool", "search", "--onlyvisible", "--name", pattern).Output(); len(bytes.TrimSpace(ids)) > 0 {
			return true
		}
	}
	return false
}

// near reports whether two colours differ by at most 8 in each channel: the
// screenshot is resized, and an edge may blend in.
func near(a, b color.Color) bool {
	r1, g1, b1, _ := a.RGBA()
	r2, g2, b2, _ := b.RGBA()
	d := func(x, y uint32) bool { return max(x, y)-min(x, y) <= 8<<8 }
	return d(r1, r2) && d(g1, g2) && d(b1, b2)
}

// firstFrame is the Frame of the first capture recorded in a run's trace,
// under root.
func firstFrame(t *testing.T, root string) perception.Frame {
	t.Helper()
	runs, _ := filepath.Glob(filepath.Join(root, "run-*", "trace.jsonl"))
	if len(runs) != 1 {
		t.Fatalf("%d traces under %s, want 1", len(runs), root)
	}
	f, err := os.Open(runs[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	s.Buffer(nil, 1<<20)
	for s.Scan() {
		var e planner.Event
		if err := json.Unmarshal(s.Bytes(), &e); err != nil {
			t.Fatalf("trace line %q: %v", s.Text(), err)
		}
		if e.Kind == planner.FrameCaptured && e.Frame != nil {
			return *e.Frame
		}
	}
	t.Fatalf("no %s event in %s", planner.FrameCaptured, runs[0])
	return perception.Frame{}
}

// TestWineWindowsBuild: the Windows deskhand.exe under Wine answers --help and
// models, and runs a task: the screenshot it sends shows the screen, its click
// lands where the model pointed, and its keys type into Notepad and save.
func TestWineWindowsBuild(t *testing.T) {
	xvfbtest.Need(t, "xdotool", "xsetroot", "xterm")
	screen := image.Pt(1280, 800)
	d := xvfbtest.Start(t, screen.X, screen.Y)
	d.Output(t, "xsetroot", "-solid", "#5a8fc2")
	exe := filepath.Join(t.TempDir(), "deskhand.exe")
	w := xvfbtest.Wine(t, d, func() error { return xvfbtest.BuildWindows(exe, ".", true) })

	srv := ollamatest.NewServer(uitars)
	defer srv.Close()

	t.Run("help", func(t *testing.T) {
		r := wineRun(t, w, exe, srv, time.Minute, "--help")
		if r.code != 0 || !strings.Contains(r.stdout+r.stderr, "deskhand run [flags] TASK") {
			t.Errorf("exit %d, want 0 and the usage\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
		}
	})
	// Wine's sockets reach the fake Ollama on 127.0.0.1.
	t.Run("models", func(t *testing.T) {
		r := wineRun(t, w, exe, srv, time.Minute, "models")
		if r.code != 0 || !strings.Contains(r.stdout, uitars.Name) {
			t.Errorf("exit %d, want 0 and %s listed\nstdout: %s\nstderr: %s", r.code, uitars.Name, r.stdout, r.stderr)
		}
	})

	t.Run("run", func(t *testing.T) {
		// The red xterm is for the screenshot: where it is, the image must be red.
		d.Launch(t, "xterm", "-T", "red", "-bg", "#b8322a", "-geometry", "40x10+800+520", "-e", "sleep", "600")
		rx, ry, rw, rh := d.Geometry(t, d.WaitWindow(t, "^red$", 10*time.Second))
		red := image.Pt(rx+rw/2, ry+rh/2)
		// Notepad is the target, and Wine's console, opened after it and so in
		// front, the decoy: the text goes into Notepad only if the click gave it
		// the focus. Each is put where it is clear of the others.
		launch := func(title string, at image.Rectangle, args ...string) image.Rectangle {
			c := w.Command(args[0], args[1:]...)
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = c.Process.Kill(); _ = c.Wait() })
			win := d.WaitWindow(t, title, 30*time.Second)
			d.Output(t, "xdotool", "windowsize", win, strconv.Itoa(at.Dx()), strconv.Itoa(at.Dy()),
				"windowmove", win, strconv.Itoa(at.Min.X), strconv.Itoa(at.Min.Y))
			for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
				x, y, ww, wh := d.Geometry(t, win)
				if r := image.Rect(x, y, x+ww, y+wh); r.In(at.Inset(-40)) || time.Now().After(deadline) {
					return r
				}
			}
		}
		pad := launch("Notepad$", image.Rect(40, 60, 640, 460), "notepad")
		con := launch(`cmd\.exe$`, image.Rect(700, 40, 1240, 440), "wineconsole", "cmd")
		if pad.Overlaps(con) || !pad.In(image.Rectangle{Max: screen}) {
			t.Fatalf("Notepad at %v, the console at %v: want them apart and on the screen", pad, con)
		}
		time.Sleep(300 * time.Millisecond) // let the console have the focus
		d.Output(t, "xdotool", "mousemove", "5", "5")
		centre := image.Pt(pad.Min.X+pad.Dx()/2, pad.Min.Y+pad.Dy()/2)
		out := filepath.Join(t.TempDir(), "saved.txt")
		// Z: is / in a new prefix; backslashes doubled, as UI-TARS escapes them.
		winPath := `Z:` + strings.ReplaceAll(out, "/", `\\`)

		// The UI-TARS grid for 1280x800: each side rounded to a multiple of 28.
		img := perception.Grid{}.Size(screen.X, screen.Y)
		if img != image.Pt(1288, 812) {
			t.Fatalf("perception.Grid{}.Size(1280, 800) = %v, want 1288x812", img)
		}
		at := toImage(centre, screen, img)
		var mu sync.Mutex
		var shot []byte
		step := 0
		srv.Handle(func(req *api.ChatRequest) ollamatest.Reply {
			mu.Lock()
			defer mu.Unlock()
			step++
			if imgs := (ollamatest.Request{Chat: req}).Images(); step == 1 && len(imgs) > 0 {
				shot = imgs[len(imgs)-1]
			}
			switch step {
			case 1:
				return ollamatest.Reply{Content: fmt.Sprintf("Thought: Notepad is on the left, behind the console. I click into it.\nAction: click(start_box='<|box_start|>(%d,%d)<|box_end|>')", at.X, at.Y)}
			case 2:
				return ollamatest.Reply{Content: "Thought: I type the text.\nAction: type(content='wine ok')"}
			case 3:
				return ollamatest.Reply{Content: "Thought: I save with ctrl s.\nAction: hotkey(key='ctrl s')"}
			case 4:
				// A model would wait for the dialog; the fake one looks for it.
				if !appears(d, "^Save As$", 10*time.Second) {
					return ollamatest.Reply{Content: "Thought: The Save As dialog never came.\nAction: call_user()"}
				}
				return ollamatest.Reply{Content: fmt.Sprintf("Thought: The Save As dialog is open; I type the full path.\nAction: type(content='%s\\n')", winPath)}
			default:
				return ollamatest.Reply{Content: "Thought: Saved.\nAction: finished(content='saved under Wine')"}
			}
		})
		trace := t.TempDir()
		r := wineRun(t, w, exe, srv, 2*time.Minute, "run", "--yes", "--trace", "Z:"+trace, "write a word in Notepad and save it")
		if r.code != 0 {
			t.Fatalf("exit %d, want 0\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
		}
		if !strings.Contains(r.stdout, "saved under Wine") {
			t.Errorf("stdout = %q, want the model's closing words", r.stdout)
		}
		// The low-level hooks were installed, and deskhand's own typing (flagged
		// as injected) did not count as the user's: with --yes it would have
		// stopped the run.
		if strings.Contains(r.stderr, "will not pause deskhand") {
			t.Errorf("the keyboard is not watched under Wine:\n%s", r.stderr)
		}

		// The Frame: the whole screen, captured at its size (DPI aware), sent
		// at the grid's.
		frame := firstFrame(t, trace)
		if want := (perception.Frame{Bounds: image.Rectangle{Max: screen}, Captured: screen, Scale: 1, Image: img}); frame.Bounds != want.Bounds ||
			frame.Captured != want.Captured || frame.Scale != want.Scale || frame.Image != want.Image {
			t.Errorf("frame: bounds %v, captured %v, scale %v, image %v; want %v, %v, %v, %v",
				frame.Bounds, frame.Captured, frame.Scale, frame.Image, want.Bounds, want.Captured, want.Scale, want.Image)
		}
		// The click: where the Frame maps the model's point.
		want, err := frame.ToScreen(float64(at.X), float64(at.Y), perception.ImagePixels)
		if err != nil {
			t.Fatal(err)
		}
		if p := pointer(t, d); abs(p.X-want.X) > 1 || abs(p.Y-want.Y) > 1 {
			t.Errorf("pointer at %v after the run, want %v ±1 (the image's %v)", p, want, at)
		}
		// The keys: Notepad had the focus, took the text and ctrl+s, and its
		// dialog the path and Enter.
		if got := waitFile(t, out, 5*time.Second); got != "wine ok" {
			t.Errorf("Notepad saved %q, want %q", got, "wine ok")
		}

		// The screenshot: the size the grid gives, showing the screen.
		mu.Lock()
		defer mu.Unlock()
		if shot == nil {
			t.Fatal("no screenshot reached the fake Ollama")
		}
		decoded, _, err := image.Decode(bytes.NewReader(shot))
		if err != nil {
			t.Fatalf("the first screenshot: %v", err)
		}
		if got := decoded.Bounds().Size(); got != img {
			t.Errorf("screenshot is %v, want %v", got, img)
		}
		for _, c := range []struct {
			what   string
			screen image.Point
			want   color.RGBA
		}{
			{"the red xterm", red, wineRed},
			{"the desktop", image.Pt(screen.X-10, screen.Y-10), wineDesktop},
		} {
			q := toImage(c.screen, screen, img)
			if got := decoded.At(q.X, q.Y); !near(got, c.want) {
				t.Errorf("screenshot at %v (%s, %v on the screen) is %v, want %v", q, c.what, c.screen, got, c.want)
			}
		}
	})

	// A key the user presses while deskhand types is not flagged as injected:
	// the low-level hook sees it, and with --yes (nobody to ask whether to go
	// on) the run stops at once.
	t.Run("takeover", func(t *testing.T) {
		np := w.Command("notepad")
		if err := np.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = np.Process.Kill(); _ = np.Wait() })
		pad := d.WaitWindow(t, "Notepad$", 30*time.Second)
		d.Output(t, "xdotool", "windowactivate", "--sync", pad)
		time.Sleep(300 * time.Millisecond)
		var mu sync.Mutex
		asked := 0
		srv.Handle(func(*api.ChatRequest) ollamatest.Reply {
			mu.Lock()
			defer mu.Unlock()
			if asked++; asked == 1 {
				return ollamatest.Reply{Content: "Thought: I type the long text.\nAction: type(content='" + strings.Repeat("ab", 400) + "')"}
			}
			return ollamatest.Reply{Content: "Thought: Done.\nAction: finished(content='typed it all')"}
		})
		go func() {
			// The user presses a key once deskhand has had time to start typing.
			for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				mu.Lock()
				n := asked
				mu.Unlock()
				if n > 0 {
					time.Sleep(1500 * time.Millisecond)
					_ = d.Command("xdotool", "key", "shift").Run()
					return
				}
			}
		}()
		r := wineRun(t, w, exe, srv, 2*time.Minute, "run", "--yes", "--trace", "Z:"+t.TempDir(), "type a long text")
		if r.code != 3 || !strings.Contains(r.stderr, "you pressed a key while deskhand was acting") {
			t.Errorf("exit %d, want 3 and the takeover\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
		}
	})
}
