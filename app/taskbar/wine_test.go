//go:build linux

package taskbar

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

	"github.com/deskhand/deskhand/perception/xvfbtest"
)

// These tests run the task bar's Win32 code (internal/win), in
// testdata/winprobe cross-built for Windows, under Wine on an Xvfb desktop with
// Notepad open and focused: the title it reads, and where the raised window is,
// which window has the focus and what is on the screen, read back from the X
// server. CI sets DESKHAND_REQUIRE_WINE=1, so a missing tool fails there;
// elsewhere it skips. Wine does not refuse SetForegroundWindow as Windows may,
// so the AttachThreadInput path is run, not proven needed or sufficient.

// The screen the probe runs on.
var wineScreen = image.Rect(0, 0, 1280, 800)

// The probe's window: its title, size and colour (testdata/winprobe).
const probeTitle = "deskhand winprobe"

var (
	probeSize   = image.Pt(640, 80)
	probeColour = color.RGBA{0xd0, 0x30, 0x80, 0xff}
)

// raised is what winprobe prints after each raise (winprobe's Raised).
type raised struct {
	WorkArea   image.Rectangle
	Size       image.Point
	At         image.Point
	Rect       image.Rectangle
	Foreground string
	Err        string
}

type wineDesk struct {
	d      *xvfbtest.Display
	conn   *xgb.Conn
	prefix *xvfbtest.WinePrefix
	exe    string
}

func startWine(t *testing.T) *wineDesk {
	t.Helper()
	xvfbtest.Need(t, "xdotool", "xwininfo")
	d := xvfbtest.Start(t, wineScreen.Dx(), wineScreen.Dy())
	d.Setenv(t)
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

// start starts the Windows program exe with args in the prefix, its output to
// files (see WinePrefix.Command), and ends it when t ends.
func (w *wineDesk) start(t *testing.T, exe string, args ...string) (stdin io.WriteCloser, lines <-chan string) {
	t.Helper()
	cmd := w.prefix.Command(exe, args...)
	stderr, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stderr.Close() })
	cmd.Stderr = stderr
	if stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	// A pipe of our own, not StdoutPipe: Wait closes that one at exit,
	// perhaps before the last line is read.
	stdout, out, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = out
	err = cmd.Start()
	out.Close()
	if err != nil {
		stdout.Close()
		t.Fatal(err)
	}
	ch := make(chan string, 16)
	go func() {
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			ch <- strings.TrimSpace(s.Text()) // Windows ends lines with \r\n
		}
		close(ch)
	}()
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		stdin.Close()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		stdout.Close()
		if log, _ := os.ReadFile(stderr.Name()); t.Failed() && len(log) > 0 {
			t.Logf("%s's stderr:\n%s", filepath.Base(exe), log)
		}
	})
	return stdin, ch
}

// expect waits for the next line, which must start with prefix; it returns
// the rest.
func expect(t *testing.T, lines <-chan string, prefix string, timeout time.Duration) string {
	t.Helper()
	select {
	case l, ok := <-lines:
		if !ok {
			t.Fatalf("winprobe ended before printing %q", prefix)
		}
		rest, found := strings.CutPrefix(l, prefix)
		if !found {
			t.Fatalf("winprobe printed %q, want %q", l, prefix)
		}
		return strings.TrimSpace(rest)
	case <-time.After(timeout):
		t.Fatalf("winprobe did not print %q within %v", prefix, timeout)
	}
	return ""
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

// eventually waits until check finds no problem: Wine and the window manager
// act on the X server a moment after the Win32 calls return.
func eventually(t *testing.T, check func() []string) {
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
		time.Sleep(50 * time.Millisecond)
	}
}

// The task bar's Win32 code under Wine: ActiveTitle reads Notepad's title, and
// raise puts the window at Place on the monitor under the pointer, above
// Notepad (which covers the screen) and with the focus, and keeps it above
// when Notepad takes the focus back.
func TestWineTaskbar(t *testing.T) {
	w := startWine(t)
	w.start(t, "notepad")
	notepad := w.d.WaitWindow(t, "Notepad", 2*time.Minute)
	w.d.Output(t, "xdotool", "windowmove", "--sync", notepad, "0", "0")
	w.d.Output(t, "xdotool", "windowsize", "--sync", notepad, strconv.Itoa(wineScreen.Dx()), strconv.Itoa(wineScreen.Dy()))
	w.d.Output(t, "xdotool", "windowactivate", "--sync", notepad)

	t.Run("title", func(t *testing.T) {
		_, lines := w.start(t, w.exe, "title")
		if got := expect(t, lines, "title", time.Minute); got != "Untitled - Notepad" {
			t.Errorf("ActiveTitle with Notepad focused = %q, want %q", got, "Untitled - Notepad")
		}
	})

	t.Run("raise", func(t *testing.T) {
		// The user calls the bar up; goes back to Notepad (checkRaised
		// does), moves the mouse and calls it up again.
		pointers := []image.Point{{900, 500}, {100, 700}}
		var stdin io.WriteCloser
		var lines <-chan string
		for i, pointer := range pointers {
			w.d.Output(t, "xdotool", "mousemove", "--sync", strconv.Itoa(pointer.X), strconv.Itoa(pointer.Y))
			if i == 0 {
				stdin, lines = w.start(t, w.exe, "raise")
			} else if _, err := io.WriteString(stdin, "again\n"); err != nil {
				t.Fatal(err)
			}
			var r raised
			if err := json.Unmarshal([]byte(expect(t, lines, "raised", time.Minute)), &r); err != nil {
				t.Fatal(err)
			}
			w.checkRaised(t, r, pointer, notepad)
		}
	})
}

// checkRaised checks a raise with the pointer at pointer: what winprobe says,
// then the X server.
func (w *wineDesk) checkRaised(t *testing.T, r raised, pointer image.Point, notepad string) {
	t.Helper()
	if r.Err != "" {
		t.Errorf("Raise: %s", r.Err)
	}
	if !pointer.In(r.WorkArea) || !r.WorkArea.In(wineScreen) {
		t.Errorf("work area %v: the pointer %v is not on it, or it is not on the screen %v", r.WorkArea, pointer, wineScreen)
	}
	want := Place(r.WorkArea, probeSize)
	if r.Size != probeSize || r.At != want {
		t.Errorf("placed a window of %v at %v, want %v at %v (Place)", r.Size, r.At, probeSize, want)
	}
	bar := image.Rectangle{Min: want, Max: want.Add(probeSize)}
	if r.Rect != bar {
		t.Errorf("GetWindowRect after Raise = %v, want %v", r.Rect, bar)
	}
	if r.Foreground != probeTitle {
		t.Errorf("foreground window after Raise %q, want %q", r.Foreground, probeTitle)
	}
	probe := w.d.WaitWindow(t, "^"+probeTitle+"$", 10*time.Second)
	eventually(t, func() []string {
		var problems []string
		if x, y, wd, ht := w.d.Geometry(t, probe); image.Rect(x, y, x+wd, y+ht) != bar {
			problems = append(problems, fmt.Sprintf("the window is at %v on the X screen, want %v", image.Rect(x, y, x+wd, y+ht), bar))
		}
		if active := w.d.Output(t, "xdotool", "getactivewindow"); active != probe {
			problems = append(problems, fmt.Sprintf("the active X window is %s, want the probe's %s (Notepad's is %s)", active, probe, notepad))
		}
		return append(problems, w.covered(t, bar)...)
	})

	// Notepad takes the focus back: the bar stays above it.
	w.d.Output(t, "xdotool", "windowactivate", "--sync", notepad)
	time.Sleep(200 * time.Millisecond) // what would cover the bar has had time to
	if problems := w.covered(t, bar); len(problems) > 0 {
		t.Errorf("after Notepad took the focus back: %s", strings.Join(problems, "\n"))
	}
}

// covered checks that the screen shows the probe's window all over bar.
func (w *wineDesk) covered(t *testing.T, bar image.Rectangle) []string {
	t.Helper()
	shot := w.grab(t, bar)
	n := 0
	for y := bar.Min.Y; y < bar.Max.Y; y++ {
		for x := bar.Min.X; x < bar.Max.X; x++ {
			if shot.RGBAAt(x, y) != probeColour {
				n++
			}
		}
	}
	if n > 0 {
		return []string{fmt.Sprintf("%d of %d pixels of %v are not the probe window's colour: something covers it", n, bar.Dx()*bar.Dy(), bar)}
	}
	return nil
}
