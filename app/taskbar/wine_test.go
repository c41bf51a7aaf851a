//go:build linux

package taskbar

import (
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"


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

type wineDesk struct{ *xvfbtest.WineDesk }

func startWine(t *testing.T) *wineDesk {
	t.Helper()
	xvfbtest.Need(t, "xdotool", "xwininfo")
	return &wineDesk{xvfbtest.StartWineDesk(t, wineScreen.Size(), "./testdata/winprobe", nil)}
}

// The task bar's Win32 code under Wine: ActiveTitle reads Notepad's title, and
// raise puts the window at Place on the monitor under the pointer, above
// Notepad (which covers the screen) and with the focus, and keeps it above
// when Notepad takes the focus back.
func TestWineTaskbar(t *testing.T) {
	w := startWine(t)
	w.Prefix.Start(t, "notepad")
	notepad := w.D.WaitWindow(t, "Notepad", 2*time.Minute)
	w.D.Output(t, "xdotool", "windowmove", "--sync", notepad, "0", "0")
	w.D.Output(t, "xdotool", "windowsize", "--sync", notepad, strconv.Itoa(wineScreen.Dx()), strconv.Itoa(wineScreen.Dy()))
	w.D.Output(t, "xdotool", "windowactivate", "--sync", notepad)

	t.Run("title", func(t *testing.T) {
		probe := w.Prefix.Start(t, w.Exe, "title")
		if got := probe.Expect(t, "title", time.Minute); got != "Untitled - Notepad" {
			t.Errorf("ActiveTitle with Notepad focused = %q, want %q", got, "Untitled - Notepad")
		}
	})

	t.Run("raise", func(t *testing.T) {
		// The user calls the bar up; goes back to Notepad (checkRaised
		// does), moves the mouse and calls it up again.
		pointers := []image.Point{{900, 500}, {100, 700}}
		var probe *xvfbtest.WineProgram
		for i, pointer := range pointers {
			w.D.Output(t, "xdotool", "mousemove", "--sync", strconv.Itoa(pointer.X), strconv.Itoa(pointer.Y))
			if i == 0 {
				probe = w.Prefix.Start(t, w.Exe, "raise")
			} else if _, err := io.WriteString(probe.Stdin, "again\n"); err != nil {
				t.Fatal(err)
			}
			var r raised
			if err := json.Unmarshal([]byte(probe.Expect(t, "raised", time.Minute)), &r); err != nil {
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
	probe := w.D.WaitWindow(t, "^"+probeTitle+"$", 10*time.Second)
	xvfbtest.Eventually(t, func() []string {
		var problems []string
		if x, y, wd, ht := w.D.Geometry(t, probe); image.Rect(x, y, x+wd, y+ht) != bar {
			problems = append(problems, fmt.Sprintf("the window is at %v on the X screen, want %v", image.Rect(x, y, x+wd, y+ht), bar))
		}
		if active := w.D.Output(t, "xdotool", "getactivewindow"); active != probe {
			problems = append(problems, fmt.Sprintf("the active X window is %s, want the probe's %s (Notepad's is %s)", active, probe, notepad))
		}
		return append(problems, w.covered(t, bar)...)
	})

	// Notepad takes the focus back: the bar stays above it.
	w.D.Output(t, "xdotool", "windowactivate", "--sync", notepad)
	time.Sleep(200 * time.Millisecond) // what would cover the bar has had time to
	if problems := w.covered(t, bar); len(problems) > 0 {
		t.Errorf("after Notepad took the focus back: %s", strings.Join(problems, "\n"))
	}
}

// covered checks that the screen shows the probe's window all over bar.
func (w *wineDesk) covered(t *testing.T, bar image.Rectangle) []string {
	t.Helper()
	shot := xvfbtest.Grab(t, w.Conn, bar)
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
