//go:build cgo && linux

package actuation

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jezek/xgb/xproto"

	"github.com/deskhand/deskhand/perception/xvfbtest"
)

// The one X desktop of this test binary. robotgo keeps its first X connection for
// the life of the process, so every test and benchmark acts on the same Xvfb, which
// TestMain stops after the last of them.
var session struct {
	once sync.Once
	main *mainTB
	d    *xvfbtest.Display
	desk Desktop
}

func TestMain(m *testing.M) {
	code := m.Run()
	if theRobot != nil {
		theRobot.close() // before Xvfb goes
	}
	if session.main != nil {
		session.main.cleanup()
	}
	os.Exit(code)
}

// x11Desktop returns the shared display and a Desktop on it, starting them the first time.
// Without Xvfb it skips t, or fails it if DESKHAND_REQUIRE_DISPLAY=1.
func x11Desktop(t testing.TB) (*xvfbtest.Display, *Desktop) {
	t.Helper()
	session.once.Do(func() {
		session.main = &mainTB{}
		done := make(chan struct{})
		go func() { // xvfbtest ends a failed or skipped start with runtime.Goexit
			defer close(done)
			session.d = xvfbtest.Start(session.main, 1920, 1080)
		}()
		<-done
		if session.d != nil {
			// Before robotgo's first call, which opens its connection from these.
			os.Setenv("DISPLAY", session.d.Name)
			os.Setenv("XAUTHORITY", session.d.XAuthority)
			os.Unsetenv("WAYLAND_DISPLAY")
			os.Setenv("XDG_SESSION_TYPE", "x11") // as xvfbtest's Env does
		}
	})
	if session.d == nil {
		msg := "no X display for this test: " + session.main.msg
		if xvfbtest.Required() || session.main.failed {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return session.d, &session.desk
}

// mainTB is the testing.TB that starts the shared display outside any one test, so
// that the display outlives the test that first needs it. It implements what
// xvfbtest.Start uses; the embedded nil TB panics on anything else.
type mainTB struct {
	testing.TB
	mu       sync.Mutex
	msg      string
	failed   bool
	cleanups []func()
	dirs     []string
}

func (m *mainTB) Helper()      {}
func (m *mainTB) Name() string { return "TestMain" }
func (m *mainTB) Logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "xvfb: "+format+"\n", args...)
}
func (m *mainTB) Fatalf(format string, args ...any) { m.stop(true, fmt.Sprintf(format, args...)) }
func (m *mainTB) Fatal(args ...any)                 { m.stop(true, fmt.Sprint(args...)) }
func (m *mainTB) Skipf(format string, args ...any)  { m.stop(false, fmt.Sprintf(format, args...)) }
func (m *mainTB) Skip(args ...any)                  { m.stop(false, fmt.Sprint(args...)) }
func (m *mainTB) stop(failed bool, msg string) {
	m.mu.Lock()
	m.failed, m.msg = failed, msg
	m.mu.Unlock()
	runtime.Goexit()
}
func (m *mainTB) Cleanup(f func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cleanups = append(m.cleanups, f)
}
func (m *mainTB) TempDir() string {
	dir, err := os.MkdirTemp("", "deskhand-x11-")
	if err != nil {
		m.Fatal(err)
	}
	m.mu.Lock()
	m.dirs = append(m.dirs, dir)
	m.mu.Unlock()
	return dir
}
func (m *mainTB) cleanup() {
	for i := len(m.cleanups) - 1; i >= 0; i-- {
		m.cleanups[i]()
	}
	for _, d := range m.dirs {
		os.RemoveAll(d)
	}
}

func do(t testing.TB, d *Desktop, a Action) {
	t.Helper()
	if err := d.Do(context.Background(), a); err != nil {
		t.Fatalf("Do(%v): %v", a, err)
	}
}

// terminal starts an xterm (80x24, UTF-8) titled title at (x, y) running cmd (bash
// by default) with HOME=dir, and returns its window id and client geometry.
func terminal(t *testing.T, d *xvfbtest.Display, title string, x, y int, dir string, cmd ...string) (win string, gx, gy, gw, gh int) {
	t.Helper()
	if len(cmd) == 0 {
		cmd = []string{"bash", "--norc", "--noprofile"}
	}
	args := append([]string{"LC_ALL=C.UTF-8", "PS1=$ ", "HOME=" + dir, "xterm", "-u8", "-title", title,
		"-geometry", fmt.Sprintf("80x24+%d+%d", x, y), "-e"}, cmd...)
	d.Launch(t, "env", args...)
	win = d.WaitWindow(t, "^"+regexp.QuoteMeta(title)+"$", 10*time.Second)
	gx, gy, gw, gh = d.Geometry(t, win)
	return win, gx, gy, gw, gh
}

// waitFile waits until path holds content ending in a newline and returns it.
// On a loaded CI machine (every package's tests at once) a shell can take
// seconds to run a line; the wait is long, and a failure says which keys and
// buttons the X server still holds down and which window has the focus.
func waitFile(t *testing.T, path string) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		b, err := os.ReadFile(path)
		if err == nil && bytes.HasSuffix(b, []byte("\n")) {
			return string(b)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %q, %v after 15s; %s", path, b, err, inputState())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// inputState describes the modifiers and buttons held down and the focused
// window, for a failure message.
func inputState() string {
	c, err := dialX11()
	if err != nil {
		return err.Error()
	}
	defer c.Close()
	root := xproto.Setup(c).DefaultScreen(c).Root
	q, err := xproto.QueryPointer(c, root).Reply()
	if err != nil {
		return err.Error()
	}
	_, w, _ := x11Focus(c)
	return fmt.Sprintf("modifier/button mask %#x, focused window %+v", q.Mask, w)
}

func pointer(t *testing.T, d *xvfbtest.Display) (x, y int) {
	t.Helper()
	out := d.Output(t, "xdotool", "getmouselocation")
	if _, err := fmt.Sscanf(out, "x:%d y:%d", &x, &y); err != nil {
		t.Fatalf("xdotool getmouselocation: %q: %v", out, err)
	}
	return x, y
}

func TestX11ClickFocusesAndMovesExactly(t *testing.T) {
	d, desk := x11Desktop(t)
	dir := t.TempDir()
	a, ax, ay, aw, ah := terminal(t, d, "dh-click-a", 40, 40, dir)
	b, bx, by, bw, bh := terminal(t, d, "dh-click-b", 700, 40, dir)
	for _, w := range []struct {
		id             string
		x, y, wid, hei int
	}{{a, ax, ay, aw, ah}, {b, bx, by, bw, bh}, {a, ax + 7, ay + 9, 10, 10}} {
		x, y := w.x+w.wid/2, w.y+w.hei/2
		do(t, desk, Action{Type: Click, X: Int(x), Y: Int(y)})
		if px, py := pointer(t, d); px != x || py != y {
			t.Errorf("pointer at (%d, %d) after a click at (%d, %d)", px, py, x, y)
		}
		deadline := time.Now().Add(2 * time.Second)
		for {
			active := d.Output(t, "xdotool", "getactivewindow")
			if active == w.id {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("active window %s after clicking window %s", active, w.id)
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	do(t, desk, Action{Type: Move, X: Int(0), Y: Int(1079)})
	if px, py := pointer(t, d); px != 0 || py != 1079 {
		t.Errorf("pointer at (%d, %d) after a move to (0, 1079)", px, py)
	}
	err := desk.Do(context.Background(), Action{Type: Click, X: Int(1920), Y: Int(5)})
	var inv *InvalidActionError
	if !errors.As(err, &inv) {
		t.Errorf("click at x=1920 on a 1920-wide screen = %v, want an *InvalidActionError", err)
	}
}

// shell starts an xterm with bash in a fresh directory, clicks into it and changes
// into the directory.
func shell(t *testing.T, title string) (d *xvfbtest.Display, desk *Desktop, dir string, x, y, w, h int) {
	t.Helper()
	d, desk = x11Desktop(t)
	dir = t.TempDir()
	_, x, y, w, h = terminal(t, d, title, 60, 60, dir)
	// Click into it until it has the focus: on a loaded machine a window of an
	// earlier test may still be mapping and take the focus from it.
	for try := 0; ; try++ {
		do(t, desk, Action{Type: Click, X: Int(x + w/2), Y: Int(y + h/2)})
		deadline := time.Now().Add(2 * time.Second)
		for time.Now().Before(deadline) {
			if f, err := desk.Focused(context.Background()); err == nil && f.Title == title {
				do(t, desk, Action{Type: TypeText, Text: "cd " + dir + "\n"})
				return d, desk, dir, x, y, w, h
			}
			time.Sleep(20 * time.Millisecond)
		}
		if try == 2 {
			f, err := desk.Focused(context.Background())
			t.Fatalf("terminal %q never got the focus (focused: %+v, %v)", title, f, err)
		}
	}
}

// keystrokes is a Desktop that types key by key, never pasting: the type tests
// test typing; clipboard_x11_test.go tests pasting.
var keystrokes = &Desktop{PasteThreshold: -1}

func TestX11TypeUnicode(t *testing.T) {
	_, _, dir, _, _, _, _ := shell(t, "dh-type")
	desk := keystrokes
	lines := []string{
		"héllo 你好 ✓ ümlaut €",
		// More different characters than Xvfb has spare keycodes (19), cycling:
		// a batch must not remap the keycode of a character it also types.
		strings.Repeat("日本語のテキストを入力します。한국어 中文輸入 ", 3),
		"emoji 😀🎉 and CJK 日本語のテキスト 한국어 Ελληνικά русский",
		`ASCII ABC xyz_%&*(){}[]|~"<>?:@#$^+=/\` + "`!-,.;",
	}
	for i, line := range lines {
		do(t, desk, Action{Type: TypeText, Text: fmt.Sprintf("echo '%s' >> u%d.txt\n", line, i)})
	}
	for i, line := range lines {
		if got := waitFile(t, filepath.Join(dir, fmt.Sprintf("u%d.txt", i))); got != line+"\n" {
			t.Errorf("typed %q\n  file %q\n  hex %x", line, got, got)
		}
	}
}

// A GTK editor reads keys differently from xterm. Typing much text that no key
// produces changes the keyboard map often, and each change makes the window manager
// regrab its shortcuts: afterwards it must still manage new windows promptly.
func TestX11TypeIntoGTK(t *testing.T) {
	d, _ := x11Desktop(t)
	desk := keystrokes
	xvfbtest.Need(t, "mousepad")
	path := filepath.Join(t.TempDir(), "gtk.txt")
	d.Launch(t, "env", "NO_AT_BRIDGE=1", "mousepad", path)
	win := d.WaitWindow(t, "gtk.txt", 15*time.Second)
	x, y, w, h := d.Geometry(t, win)
	time.Sleep(500 * time.Millisecond) // mousepad maps its window before it takes input
	do(t, desk, Action{Type: Click, X: Int(x + w/2), Y: Int(y + h/2)})
	text := "héllo 你好 ✓ ümlaut € 😀\n" +
		strings.Repeat("日本語のテキストを入力します。一二三四五六七八九十百千万億兆京垓秭穣溝澗正載極恒河沙\n", 3) +
		"ASCII ABC xyz_%&*(){}[]|~\"<>?:@#$^+=/\\`!-,.;\n"
	start := time.Now()
	do(t, desk, Action{Type: TypeText, Text: text})
	t.Logf("typed %d characters in %v", len([]rune(text)), time.Since(start))
	do(t, desk, Action{Type: Key, Keys: []string{"ctrl", "s"}})
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, err := os.ReadFile(path)
		if err == nil && string(b) == text {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("saved %q, %v\nwant %q", b, err, text)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Each keyboard map change costs openbox about 60 ms; on an idle machine it
	// catches up within a second or two.
	start = time.Now()
	d.Launch(t, "xterm", "-title", "dh-after-gtk")
	d.WaitWindow(t, "^dh-after-gtk$", 10*time.Second)
	t.Logf("a new window was managed %v after typing", time.Since(start))
}

// On a French keyboard digits need shift and many symbols need AltGr, which robotgo
// does not know: those characters go through spare keycodes, and still arrive.
func TestX11TypeFrenchLayout(t *testing.T) {
	d, _, dir, _, _, _, _ := shell(t, "dh-azerty")
	desk := keystrokes
	xvfbtest.Need(t, "setxkbmap")
	d.Output(t, "setxkbmap", "fr")
	t.Cleanup(func() {
		d.Command("setxkbmap", "us").Run()
		// Clients (robotgo's Xlib, the next test's terminal) take the new map
		// from a MappingNotify they read later; on a loaded machine the next
		// test's first keys could still be read as AZERTY.
		time.Sleep(500 * time.Millisecond)
	})
	time.Sleep(200 * time.Millisecond) // xterm and bash read the new map
	line := `azerty QWERTY 1234567890 ~#{[|\^@]} éèçà € <>?!;:`
	do(t, desk, Action{Type: TypeText, Text: "echo '" + line + "' > fr.txt\n"})
	if got := waitFile(t, filepath.Join(dir, "fr.txt")); got != line+"\n" {
		t.Errorf("typed %q with a French layout\n  file %q", line, got)
	}
	do(t, desk, Action{Type: Key, Keys: []string{"ctrl", "u"}}) // a key by name still works
}

func TestX11Keys(t *testing.T) {
	_, desk, dir, _, _, _, _ := shell(t, "dh-keys")
	// ctrl+u kills the line typed so far.
	do(t, desk, Action{Type: TypeText, Text: "echo bad > k.txt"})
	do(t, desk, Action{Type: Key, Keys: []string{"ctrl", "u"}})
	do(t, desk, Action{Type: TypeText, Text: "echo good > k.txt"})
	do(t, desk, Action{Type: Key, Keys: []string{"Return"}})
	if got := waitFile(t, filepath.Join(dir, "k.txt")); got != "good\n" {
		t.Errorf("k.txt = %q, want good (ctrl+u did not kill the line?)", got)
	}
	// Upper-case letters and shifted symbols as keys; ctrl+a and ctrl+e move in the line.
	do(t, desk, Action{Type: TypeText, Text: " > s.txt"})
	do(t, desk, Action{Type: Key, Keys: []string{"ctrl", "a"}})
	do(t, desk, Action{Type: TypeText, Text: "echo '"})
	for _, k := range [][]string{{"A"}, {"?"}, {"+"}, {"shift", "1"}, {"z"}, {"space"}, {"\""}, {"<"}, {"x", "y"}} {
		do(t, desk, Action{Type: Key, Keys: k})
	}
	do(t, desk, Action{Type: TypeText, Text: "'"})
	do(t, desk, Action{Type: Key, Keys: []string{"ctrl", "e"}})
	do(t, desk, Action{Type: Key, Keys: []string{"enter"}})
	if got, want := waitFile(t, filepath.Join(dir, "s.txt")), "A?+!z \"<xy\n"; got != want {
		t.Errorf("s.txt = %q, want %q", got, want)
	}
	// A key that is not in Xvfb's keyboard map is an error, not the end of the process.
	err := desk.Do(context.Background(), Action{Type: Key, Keys: []string{"f20"}})
	if err == nil || !strings.Contains(err.Error(), "not on this keyboard") {
		t.Errorf("pressing f20 = %v, want an error saying the keyboard lacks it", err)
	}
}

func TestX11TypeCancel(t *testing.T) {
	d, _ := x11Desktop(t)
	desk := keystrokes
	dir := t.TempDir()
	out := filepath.Join(dir, "raw.txt")
	_, x, y, w, h := terminal(t, d, "dh-cancel", 60, 60, dir, "sh", "-c", "stty raw -echo; exec cat > "+out)
	do(t, desk, Action{Type: Click, X: Int(x + w/2), Y: Int(y + h/2)})
	time.Sleep(200 * time.Millisecond) // let stty run
	ctx, cancel := context.WithCancel(context.Background())
	cancelled := make(chan time.Time, 1)
	time.AfterFunc(300*time.Millisecond, func() { cancelled <- time.Now(); cancel() })
	text := strings.Repeat("abcdefghij", 100)
	err := desk.Do(ctx, Action{Type: TypeText, Text: text})
	late := time.Since(<-cancelled)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Do = %v, want context.Canceled", err)
	}
	if late > 120*time.Millisecond {
		t.Errorf("typing went on %v after the cancel, want under ~100 ms", late)
	}
	time.Sleep(300 * time.Millisecond)
	b1, _ := os.ReadFile(out)
	time.Sleep(300 * time.Millisecond)
	b2, _ := os.ReadFile(out)
	t.Logf("typed %d of %d characters before the cancel took (%v late): %v", len(b2), len(text), late, err)
	if len(b2) != len(b1) {
		t.Errorf("file grew from %d to %d bytes after Do returned", len(b1), len(b2))
	}
	if len(b2) == 0 || len(b2) >= len(text) || string(b2) != text[:len(b2)] {
		t.Errorf("file holds %q, want a prefix of the text", b2)
	}
}

// An xterm line at the top of a cleared screen, for selecting with the mouse.
func TestX11SelectWithMouse(t *testing.T) {
	d, desk, _, x, y, w, h := shell(t, "dh-select")
	do(t, desk, Action{Type: TypeText, Text: "clear; echo DRAGME_TEXT_1234 alpha beta\n"})
	time.Sleep(300 * time.Millisecond)
	// 80x24 cells inside xterm's 2-pixel border.
	cw, ch := float64(w-4)/80, float64(h-4)/24
	cell := func(col, row int) (int, int) {
		return x + 2 + int((float64(col)+0.5)*cw), y + 2 + int((float64(row)+0.5)*ch)
	}
	primary := func() string {
		t.Helper()
		time.Sleep(150 * time.Millisecond)
		return d.Output(t, "xclip", "-o", "-selection", "primary")
	}
	ax, ay := cell(19, 0) // in "alpha"
	do(t, desk, Action{Type: Click, X: Int(ax), Y: Int(ay), Clicks: 2})
	if got := primary(); got != "alpha" {
		t.Errorf("double-click selected %q, want alpha", got)
	}
	do(t, desk, Action{Type: Click, X: Int(ax), Y: Int(ay), Clicks: 3})
	if got := primary(); got != "DRAGME_TEXT_1234 alpha beta" {
		t.Errorf("triple-click selected %q, want the line", got)
	}
	// xterm selects from the cell pressed up to, not including, the cell released.
	x1, y1 := cell(0, 0)
	x2, y2 := cell(16, 0)
	do(t, desk, Action{Type: Drag, X: Int(x1), Y: Int(y1), X2: Int(x2), Y2: Int(y2)})
	if got := primary(); got != "DRAGME_TEXT_1234" {
		t.Errorf("drag selected %q, want DRAGME_TEXT_1234", got)
	}
}

// xevEvent is one ButtonPress, ButtonRelease or MotionNotify that xev printed.
type xevEvent struct {
	kind          string
	x, y          int // root coordinates
	state, button int
}

// xevLog collects the events an xev window prints.
type xevLog struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	events []xevEvent
}

func (l *xevLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

var (
	xevHead  = regexp.MustCompile(`^(ButtonPress|ButtonRelease|MotionNotify) event`)
	xevRoot  = regexp.MustCompile(`root:\((-?\d+),(-?\d+)\)`)
	xevState = regexp.MustCompile(`state (0x[0-9a-f]+)(?:, button (\d+)|, is_hint)?`)
)

// take returns the events printed since the last call.
func (l *xevLog) take() []xevEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	var evs []xevEvent
	var cur *xevEvent
	sc := bufio.NewScanner(bytes.NewReader(l.buf.Bytes()))
	for sc.Scan() {
		line := sc.Text()
		if m := xevHead.FindStringSubmatch(line); m != nil {
			evs = append(evs, xevEvent{kind: m[1]})
			cur = &evs[len(evs)-1]
			continue
		}
		if line == "" {
			cur = nil
		}
		if cur == nil {
			continue
		}
		if m := xevRoot.FindStringSubmatch(line); m != nil {
			cur.x, _ = strconv.Atoi(m[1])
			cur.y, _ = strconv.Atoi(m[2])
		}
		if m := xevState.FindStringSubmatch(line); m != nil {
			s, _ := strconv.ParseInt(m[1], 0, 32)
			cur.state = int(s)
			cur.button, _ = strconv.Atoi(m[2])
		}
	}
	l.buf.Reset()
	return evs
}

func buttons(evs []xevEvent, kind string) []int {
	var b []int
	for _, e := range evs {
		if e.kind == kind {
			b = append(b, e.button)
		}
	}
	return b
}

func TestX11ButtonsScrollDrag(t *testing.T) {
	d, desk := x11Desktop(t)
	var log xevLog
	c := d.Command("xev", "-name", "dh-xev", "-geometry", "600x500+100+100", "-event", "mouse", "-event", "button")
	c.Stdout = &log
	if err := c.Start(); err != nil {
		t.Fatalf("start xev: %v", err)
	}
	t.Cleanup(func() { c.Process.Kill(); c.Wait() })
	win := d.WaitWindow(t, "^dh-xev$", 10*time.Second)
	wx, wy, ww, wh := d.Geometry(t, win)
	cx, cy := wx+ww/2, wy+wh/2
	settle := func() []xevEvent {
		time.Sleep(200 * time.Millisecond)
		return log.take()
	}
	do(t, desk, Action{Type: Move, X: Int(cx), Y: Int(cy)})
	settle()

	for _, tt := range []struct {
		a    Action
		want string
	}{
		{Action{Type: Click, X: Int(cx), Y: Int(cy), Button: "right"}, "[3]"},
		{Action{Type: Click, X: Int(cx + 100), Y: Int(cy), Button: "middle"}, "[2]"},
		{Action{Type: Click, X: Int(cx - 100), Y: Int(cy), Clicks: 2}, "[1 1]"},
		{Action{Type: Scroll, X: Int(cx), Y: Int(cy + 50), Direction: "down"}, "[5 5 5]"},
		{Action{Type: Scroll, Direction: "up", Amount: 2}, "[4 4]"},
		{Action{Type: Scroll, Direction: "left", Amount: 1}, "[6]"},
		{Action{Type: Scroll, Direction: "right", Amount: 2}, "[7 7]"},
	} {
		do(t, desk, tt.a)
		evs := settle()
		press, release := fmt.Sprint(buttons(evs, "ButtonPress")), fmt.Sprint(buttons(evs, "ButtonRelease"))
		if press != tt.want || release != tt.want {
			t.Errorf("%s: xev saw presses %s and releases %s, want %s", tt.a.Describe(), press, release, tt.want)
		}
	}

	// A drag: press at the start, motion with button 1 held (state 0x100), release
	// at the end.
	x1, y1, x2, y2 := wx+50, wy+60, wx+ww-50, wy+wh-40
	do(t, desk, Action{Type: Drag, X: Int(x1), Y: Int(y1), X2: Int(x2), Y2: Int(y2)})
	evs := settle()
	var held int
	var press, release *xevEvent
	for i, e := range evs {
		switch {
		case e.kind == "ButtonPress" && press == nil:
			press = &evs[i]
		case e.kind == "ButtonRelease":
			release = &evs[i]
		case e.kind == "MotionNotify" && e.state&0x100 != 0:
			held++
		}
	}
	if press == nil || release == nil || press.button != 1 || release.button != 1 {
		t.Fatalf("drag: xev saw press %+v and release %+v, want button 1", press, release)
	}
	if press.x != x1 || press.y != y1 || release.x != x2 || release.y != y2 {
		t.Errorf("drag pressed at (%d, %d) and released at (%d, %d), want (%d, %d) and (%d, %d)",
			press.x, press.y, release.x, release.y, x1, y1, x2, y2)
	}
	if held < 10 {
		t.Errorf("drag: %d motion events with button 1 held, want at least 10", held)
	}
}

// Without a display, a cgo build reports ErrNoDisplay instead of letting robotgo
// crash the process, and actions that need no display still work.
func TestNoDisplay(t *testing.T) {
	// Set aside the robot that earlier tests opened: it keeps its display.
	saved := theRobot
	theRobot = nil
	t.Cleanup(func() { theRobot = saved })
	for _, display := range []string{"", ":1999"} {
		t.Setenv("DISPLAY", display)
		var d Desktop
		err := d.Do(t.Context(), Action{Type: Click, X: Int(1), Y: Int(1)})
		if !errors.Is(err, ErrNoDisplay) {
			t.Errorf("DISPLAY=%q: click = %v, want ErrNoDisplay", display, err)
		}
		t.Logf("DISPLAY=%q: %v", display, err)
		if err := d.Do(t.Context(), Action{Type: Done, Text: "ok"}); err != nil {
			t.Errorf("DISPLAY=%q: done = %v", display, err)
		}
	}
}

// BenchmarkType measures typing speed into a terminal running cat, keystroke by
// keystroke and through the clipboard, for ASCII and for CJK text (200
// characters each, one line without a newline).
func BenchmarkType(b *testing.B) {
	d, _ := x11Desktop(b)
	c := d.Command("xterm", "-u8", "-title", "dh-bench", "-e", "sh", "-c", "stty raw -echo; exec cat > /dev/null")
	c.Env = append(c.Env, "LC_ALL=C.UTF-8")
	if err := c.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Process.Kill(); c.Wait() })
	win := d.WaitWindow(b, "^dh-bench$", 10*time.Second)
	x, y, w, h := d.Geometry(b, win)
	texts := []struct{ name, text string }{
		{"ascii", strings.Repeat("The quick brown fox jumps over the lazy dog, 0123456789. ", 4)[:200]},
		{"cjk", string([]rune(strings.Repeat("日本語のテキストを入力します。한국어 中文輸入 ", 10))[:200])},
	}
	for _, path := range []struct {
		name      string
		threshold int
	}{{"keys", -1}, {"paste", 1}} {
		desk := &Desktop{PasteThreshold: path.threshold}
		do(b, desk, Action{Type: Click, X: Int(x + w/2), Y: Int(y + h/2)})
		for _, tt := range texts {
			b.Run(path.name+"/"+tt.name, func(b *testing.B) {
				ctx := context.Background()
				n := len([]rune(tt.text))
				for b.Loop() {
					if err := desk.Do(ctx, Action{Type: TypeText, Text: tt.text}); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "chars/s")
			})
		}
		desk.Close()
	}
}

// BenchmarkClick measures a click on the desktop background, from Do to return. It
// leaves out the wait that keeps back-to-back clicks from counting as a double click
// (600 ms after the last press), which the agent's steps, seconds apart, never hit.
func BenchmarkClick(b *testing.B) {
	x11Desktop(b)
	desk := &Desktop{t: defaultTiming}
	desk.t.apart = 0
	ctx := context.Background()
	i := 0
	for b.Loop() {
		x := 1500 + 200*(i%2)
		i++
		if err := desk.Do(ctx, Action{Type: Click, X: Int(x), Y: Int(900)}); err != nil {
			b.Fatal(err)
		}
	}
}
