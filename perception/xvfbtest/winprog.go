package xvfbtest

import (
	"bufio"
	"image"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

// WineProgram is a Windows program a test runs under Wine, whose output it
// reads line by line (a probe that prints what it did).
type WineProgram struct {
	Stdin io.WriteCloser
	lines chan string
	done  chan struct{}
	name  string
}

// Start starts the Windows program exe with args in the prefix. When t ends,
// its input is closed, it gets 5 s to exit and is then killed; if t failed, its
// standard error is logged.
func (w *WinePrefix) Start(t testing.TB, exe string, args ...string) *WineProgram {
	t.Helper()
	c := w.Command(exe, args...)
	stderr, err := os.CreateTemp(t.TempDir(), "stderr") // not a pipe: see Command
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stderr.Close() })
	c.Stderr = stderr
	p := &WineProgram{lines: make(chan string, 16), done: make(chan struct{}), name: filepath.Base(exe)}
	if p.Stdin, err = c.StdinPipe(); err != nil {
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
		p.Stdin.Close()
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			_ = c.Process.Kill()
			<-p.done
		}
		stdout.Close()
		if log, _ := os.ReadFile(stderr.Name()); t.Failed() && len(log) > 0 {
			t.Logf("%s's stderr:\n%s", p.name, log)
		}
	})
	return p
}

// Done is closed when the program has exited.
func (p *WineProgram) Done() <-chan struct{} { return p.done }

// Expect waits for the program's next line, which must start with want, and
// returns the rest of it, trimmed.
func (p *WineProgram) Expect(t testing.TB, want string, timeout time.Duration) string {
	t.Helper()
	deadline := time.After(timeout)
	done := p.done
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				t.Fatalf("%s ended before printing %q", p.name, want)
			}
			rest, found := strings.CutPrefix(l, want)
			if !found {
				t.Fatalf("%s printed %q, want %q", p.name, l, want)
			}
			return strings.TrimSpace(rest)
		case <-done:
			// Wine's services may hold the pipe open after the program exits:
			// take what it printed last, without waiting for the end.
			done, deadline = nil, time.After(2*time.Second)
		case <-deadline:
			if done == nil {
				t.Fatalf("%s exited without printing %q", p.name, want)
			}
			t.Fatalf("%s did not print %q within %v", p.name, want, timeout)
		}
	}
}

// Grab reads r of the screen of the X server c is connected to, as RGBA. The
// server must use 32-bit B, G, R, x pixels, as Xvfb does at depth 24.
func Grab(t testing.TB, c *xgb.Conn, r image.Rectangle) *image.RGBA {
	t.Helper()
	root := xproto.Setup(c).DefaultScreen(c).Root
	reply, err := xproto.GetImage(c, xproto.ImageFormatZPixmap, xproto.Drawable(root),
		int16(r.Min.X), int16(r.Min.Y), uint16(r.Dx()), uint16(r.Dy()), 0xffffffff).Reply()
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewRGBA(r)
	if len(reply.Data) < len(img.Pix) {
		t.Fatalf("GetImage of %v: %d bytes, want %d", r, len(reply.Data), len(img.Pix))
	}
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = reply.Data[i+2], reply.Data[i+1], reply.Data[i], 0xff
	}
	return img
}

// Eventually calls check until it finds no problem, and fails t with the
// problems it last found after 10 s: Wine and the window manager act on the X
// server a moment after the Win32 calls that ask them to.
func Eventually(t testing.TB, check func() []string) {
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

// WineDesk is an Xvfb desktop with a booted Wine prefix, a Windows probe
// built for it, and the test's own X connection to read the screen back.
type WineDesk struct {
	D      *Display
	Conn   *xgb.Conn
	Prefix *WinePrefix
	Exe    string // the probe, built for windows/amd64 without cgo
}

// StartWineDesk starts a desktop of size with DISPLAY set to it, runs prepare
// on it (if not nil) before Wine boots, and builds the Go package probe
// (relative to the test's package directory) for Windows while Wine boots.
func StartWineDesk(t testing.TB, size image.Point, probe string, prepare func(*Display)) *WineDesk {
	t.Helper()
	d := Start(t, size.X, size.Y)
	d.Setenv(t)
	if prepare != nil {
		prepare(d)
	}
	w := &WineDesk{D: d, Exe: filepath.Join(t.TempDir(), "winprobe.exe")}
	w.Prefix = Wine(t, d, func() error { return BuildWindows(w.Exe, probe, false) })
	c, err := xgb.NewConn()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	w.Conn = c
	return w
}
