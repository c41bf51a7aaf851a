//go:build cgo && linux

package actuation

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"

	"github.com/deskhand/deskhand/perception/xvfbtest"
)

// setSelection makes xclip, another X client, the owner of sel ("clipboard" or
// "primary") with data of type typ. xclip serves it from the background until it
// loses the selection.
func setSelection(t *testing.T, d *xvfbtest.Display, sel, typ string, data []byte) {
	t.Helper()
	xvfbtest.Need(t, "xclip")
	c := d.Command("xclip", "-selection", sel, "-t", typ, "-i")
	c.Stdin = bytes.NewReader(data)
	// No output captured: the background xclip would hold the pipe open.
	if err := c.Run(); err != nil {
		t.Fatalf("xclip -selection %s -i: %v", sel, err)
	}
	// xclip takes the selection from the background, after it returns.
	deadline := time.Now().Add(5 * time.Second)
	for {
		out, err := d.Command("xclip", "-selection", sel, "-t", typ, "-o").Output()
		if err == nil && bytes.Equal(out, data) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("xclip did not take the %s selection", sel)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// selection returns sel's content as typ, read with xclip.
func selection(t *testing.T, d *xvfbtest.Display, sel, typ string) []byte {
	t.Helper()
	out, err := d.Command("xclip", "-selection", sel, "-t", typ, "-o").Output()
	if err != nil {
		t.Fatalf("xclip -selection %s -t %s -o: %v", sel, typ, err)
	}
	return out
}

// waitContent waits until path holds want.
func waitContent(t *testing.T, path, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(path)
		if err == nil && string(b) == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s holds %q, %v\nwant %q", path, b, err, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// pasted returns how many pastes the shared Desktop's clipboard has served.
func pasted(desk *Desktop) int64 {
	desk.mu.Lock()
	defer desk.mu.Unlock()
	if x, ok := desk.clip.(*x11Clipboard); ok {
		return x.fetched.Load()
	}
	return 0
}

// longText is long, with CJK, emoji, symbols and newlines, ending in one.
var longText = "paste 日本語のテキスト 한국어 Ελληνικά ✓ 😀🎉 " + strings.Repeat("the quick brown fox ", 6) + "\n" +
	`symbols ~!@#$%^&*()_+{}|:"<>? and 中文 on the second line` + "\n" +
	strings.Repeat("x", 70) + "\n"

// A terminal pastes with shift+insert from PRIMARY: both selections are taken
// and both come back.
func TestX11PasteIntoTerminal(t *testing.T) {
	d, desk := x11Desktop(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "paste.txt")
	_, x, y, w, h := terminal(t, d, "dh-paste-term", 60, 60, dir, "sh", "-c", "exec cat > "+out)
	do(t, desk, Action{Type: Click, X: Int(x + w/2), Y: Int(y + h/2)})
	setSelection(t, d, "clipboard", "UTF8_STRING", []byte("the user's clipboard ☃"))
	setSelection(t, d, "primary", "UTF8_STRING", []byte("the user's selection"))

	n := pasted(desk)
	start := time.Now()
	do(t, desk, Action{Type: TypeText, Text: longText})
	t.Logf("pasted %d characters in %v", len([]rune(longText)), time.Since(start))
	waitContent(t, out, longText)
	if got := pasted(desk) - n; got != 3 {
		t.Errorf("%d pastes fetched, want 3 (one a line)", got)
	}
	if got := string(selection(t, d, "clipboard", "UTF8_STRING")); got != "the user's clipboard ☃" {
		t.Errorf("clipboard after the paste: %q", got)
	}
	if got := string(selection(t, d, "primary", "UTF8_STRING")); got != "the user's selection" {
		t.Errorf("primary selection after the paste: %q", got)
	}
}

// A GTK editor pastes with ctrl+v from CLIPBOARD; an image on the clipboard comes
// back as it was.
func TestX11PasteIntoGTK(t *testing.T) {
	d, desk := x11Desktop(t)
	xvfbtest.Need(t, "mousepad")
	path := filepath.Join(t.TempDir(), "paste-gtk.txt")
	d.Launch(t, "env", "NO_AT_BRIDGE=1", "mousepad", path)
	win := d.WaitWindow(t, "paste-gtk.txt", 15*time.Second)
	x, y, w, h := d.Geometry(t, win)
	time.Sleep(500 * time.Millisecond) // mousepad maps its window before it takes input
	do(t, desk, Action{Type: Click, X: Int(x + w/2), Y: Int(y + h/2)})
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0, 1, 2, 0xfe, 0xff}, 5000)...)
	setSelection(t, d, "clipboard", "image/png", png)

	n := pasted(desk)
	do(t, desk, Action{Type: TypeText, Text: longText})
	do(t, desk, Action{Type: Key, Keys: []string{"ctrl", "s"}})
	waitContent(t, path, longText)
	if got := pasted(desk) - n; got != 3 {
		t.Errorf("%d pastes fetched, want 3", got)
	}
	if got := selection(t, d, "clipboard", "image/png"); !bytes.Equal(got, png) {
		t.Errorf("the image on the clipboard came back as %d bytes %q…, want %d bytes", len(got), got[:min(len(got), 16)], len(png))
	}
	targets := strings.Fields(string(selection(t, d, "clipboard", "TARGETS")))
	if !slices.Contains(targets, "image/png") || slices.Contains(targets, "UTF8_STRING") {
		t.Errorf("clipboard targets after the paste: %q, want image/png and no text", targets)
	}
}

// An empty clipboard is empty again after a paste.
func TestX11PasteEmptyClipboard(t *testing.T) {
	d, desk := x11Desktop(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "empty.txt")
	_, x, y, w, h := terminal(t, d, "dh-paste-empty", 60, 60, dir, "sh", "-c", "exec cat > "+out)
	do(t, desk, Action{Type: Click, X: Int(x + w/2), Y: Int(y + h/2)})
	c := xconn(t, d)
	for _, sel := range []xproto.Atom{atom(t, c, "CLIPBOARD"), xproto.AtomPrimary} {
		xproto.SetSelectionOwner(c, xproto.WindowNone, sel, xproto.TimeCurrentTime)
	}
	text := strings.Repeat("一二三四五六七八九十", 8) + "\n"
	do(t, desk, Action{Type: TypeText, Text: text})
	waitContent(t, out, text)
	for _, sel := range []xproto.Atom{atom(t, c, "CLIPBOARD"), xproto.AtomPrimary} {
		r, err := xproto.GetSelectionOwner(c, sel).Reply()
		if err != nil || r.Owner != xproto.WindowNone {
			t.Errorf("selection %d owned by %#x after the paste (%v), want nobody", sel, r.Owner, err)
		}
	}
}

// Content larger than one X request goes in pieces, both ways.
func TestX11ClipboardINCR(t *testing.T) {
	d, _ := x11Desktop(t)
	xvfbtest.Need(t, "xclip")
	x, err := newX11Clipboard(xconn(t, d))
	if err != nil {
		t.Fatal(err)
	}
	x.direct = 4096
	big := []byte(strings.Repeat("0123456789abcdef日本語\n", 20000)) // 500 kB
	tm, err := x.now(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := x.own(x.a.clipboard, &selContent{items: x.textItems(string(big))}, tm); err != nil {
		t.Fatal(err)
	}
	if got := selection(t, d, "clipboard", "UTF8_STRING"); !bytes.Equal(got, big) {
		t.Errorf("xclip read %d bytes, want %d", len(got), len(big))
	}
	if x.incrOut.Load() == 0 {
		t.Error("no transfer in pieces out")
	}

	huge := bytes.Repeat([]byte("xclip sends this in pieces "), 400000) // 10.8 MB
	setSelection(t, d, "clipboard", "text/x-test", huge)
	c, err := x.save(t.Context(), x.a.clipboard)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.items) != 1 || c.items[0].target != atom(t, x.conn, "text/x-test") || !bytes.Equal(c.items[0].data, huge) {
		t.Errorf("saved %d items, want text/x-test with %d bytes", len(c.items), len(huge))
	}
	t.Logf("%d transfers in pieces in", x.incrIn.Load())
}

// A clipboard manager takes over the restored content when the Desktop closes.
func TestX11ClipboardManagerHandoff(t *testing.T) {
	d, _ := x11Desktop(t)
	xvfbtest.Need(t, "xclip")
	mgr := startFakeManager(t, d)
	desk := &Desktop{}
	desk.clip, desk.clipErr = openX11Clipboard()
	if desk.clipErr != nil {
		t.Fatal(desk.clipErr)
	}
	x := desk.clip.(*x11Clipboard)
	tm, err := x.now(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := x.own(x.a.clipboard, &selContent{items: x.textItems("kept after deskhand exits ✓")}, tm); err != nil {
		t.Fatal(err)
	}
	if err := desk.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-mgr:
	case <-time.After(3 * time.Second):
		t.Fatal("the manager was not asked to save the clipboard")
	}
	if got := string(selection(t, d, "clipboard", "UTF8_STRING")); got != "kept after deskhand exits ✓" {
		t.Errorf("clipboard after the Desktop closed: %q", got)
	}
}

// startFakeManager runs a clipboard manager on a connection of its own: it owns
// CLIPBOARD_MANAGER and, asked to SAVE_TARGETS, copies the clipboard's
// UTF8_STRING, owns CLIPBOARD with it, answers, and reports on the channel.
func startFakeManager(t *testing.T, d *xvfbtest.Display) <-chan struct{} {
	t.Helper()
	c := xconn(t, d)
	root := xproto.Setup(c).DefaultScreen(c).Root
	win, _ := xproto.NewWindowId(c)
	if err := xproto.CreateWindowChecked(c, 0, win, root, 0, 0, 1, 1, 0, xproto.WindowClassInputOnly, 0, 0, nil).Check(); err != nil {
		t.Fatal(err)
	}
	clip, mgr, save, utf8, targets, prop := atom(t, c, "CLIPBOARD"), atom(t, c, "CLIPBOARD_MANAGER"),
		atom(t, c, "SAVE_TARGETS"), atom(t, c, "UTF8_STRING"), atom(t, c, "TARGETS"), atom(t, c, "FAKE_MANAGER")
	xproto.SetSelectionOwner(c, win, mgr, xproto.TimeCurrentTime)
	saved := make(chan struct{})
	notify := func(e xproto.SelectionRequestEvent, ok bool) {
		p := e.Property
		if !ok {
			p = xproto.AtomNone
		}
		ev := xproto.SelectionNotifyEvent{Time: e.Time, Requestor: e.Requestor, Selection: e.Selection, Target: e.Target, Property: p}
		xproto.SendEvent(c, false, e.Requestor, 0, string(ev.Bytes()))
	}
	go func() {
		var data []byte
		for {
			ev, err := c.WaitForEvent()
			if ev == nil && err == nil {
				return
			}
			e, ok := ev.(xproto.SelectionRequestEvent)
			switch {
			case !ok:
			case e.Selection == mgr && e.Target == save:
				xproto.ConvertSelection(c, win, clip, utf8, prop, e.Time)
				for {
					ev, _ := c.WaitForEvent()
					if ev == nil {
						return
					}
					if n, ok := ev.(xproto.SelectionNotifyEvent); ok && n.Selection == clip {
						break
					}
				}
				r, err := xproto.GetProperty(c, true, win, prop, xproto.GetPropertyTypeAny, 0, 1<<20).Reply()
				if err != nil {
					notify(e, false)
					continue
				}
				data = r.Value
				xproto.SetSelectionOwner(c, win, clip, xproto.TimeCurrentTime)
				notify(e, true)
				close(saved)
			case e.Selection == clip && e.Target == utf8:
				xproto.ChangeProperty(c, xproto.PropModeReplace, e.Requestor, e.Property, utf8, 8, uint32(len(data)), data)
				notify(e, true)
			case e.Selection == clip && e.Target == targets:
				list := atomBytes([]xproto.Atom{targets, utf8})
				xproto.ChangeProperty(c, xproto.PropModeReplace, e.Requestor, e.Property, xproto.AtomAtom, 32, 2, list)
				notify(e, true)
			default:
				notify(e, false)
			}
		}
	}()
	return saved
}

// xconn opens an X connection to d, closed when t ends.
func xconn(t testing.TB, d *xvfbtest.Display) *xgb.Conn {
	t.Helper()
	c, err := xgb.NewConnDisplay(d.Name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func atom(t *testing.T, c *xgb.Conn, name string) xproto.Atom {
	t.Helper()
	r, err := xproto.InternAtom(c, false, uint16(len(name)), name).Reply()
	if err != nil {
		t.Fatal(err)
	}
	return r.Atom
}
