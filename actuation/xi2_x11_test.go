//go:build cgo && linux

package actuation

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
	"github.com/jezek/xgb/xtest"

	"github.com/deskhand/deskhand/perception/xvfbtest"
)

// Xvfb has no physical keyboard or mouse: every key it sees is synthesized with
// XTEST. A second master device stands in for the user: its own XTEST keyboard is
// not the core one deskhand types through, exactly as a real USB keyboard is
// not. fakeUser returns a connection whose XTEST input goes through that master
// (XISetClientPointer makes it the connection's pointer, and XTEST picks the
// keyboard paired with it).
func fakeUser(t testing.TB, d *xvfbtest.Display) *xgb.Conn {
	t.Helper()
	c := xconn(t, d)
	if err := xtest.Init(c); err != nil {
		t.Fatal(err)
	}
	ext, err := xproto.QueryExtension(c, uint16(len("XInputExtension")), "XInputExtension").Reply()
	if err != nil || !ext.Present {
		t.Fatalf("no XInput on the test display: %v", err)
	}
	op := ext.MajorOpcode
	if _, err := xiRequest(c, op, xiQueryVersion, []byte{2, 0, 2, 0}, true); err != nil {
		t.Fatal(err)
	}
	const name = "dhuser"
	// XIChangeHierarchy (43) with one XIAddMaster (type 1): name, send core
	// events, enabled.
	add := make([]byte, 8+pad4(len(name)))
	xgb.Put16(add[0:], 1)
	xgb.Put16(add[2:], uint16(len(add)/4))
	xgb.Put16(add[4:], uint16(len(name)))
	add[6], add[7] = 1, 1
	copy(add[8:], name)
	body := append([]byte{1, 0, 0, 0}, add...) // one change
	if _, err := xiRequest(c, op, 43, body, false); err != nil {
		t.Fatalf("add a master device: %v", err)
	}
	ptr, kbd := masters(t, c, op, name)
	t.Cleanup(func() {
		// XIRemoveMaster (type 2), its slaves floating.
		rm := make([]byte, 12)
		xgb.Put16(rm[0:], 2)
		xgb.Put16(rm[2:], 3)
		xgb.Put16(rm[4:], ptr)
		rm[6] = 2 // Floating
		body := append([]byte{1, 0, 0, 0}, rm...)
		if _, err := xiRequest(c, op, 43, body, false); err != nil {
			t.Errorf("remove the test's master device: %v", err)
		}
		_ = kbd
	})
	// XISetClientPointer (44): this connection's pointer, and keyboard, are the new master's.
	cp := make([]byte, 8)
	xgb.Put16(cp[4:], ptr)
	if _, err := xiRequest(c, op, 44, cp, false); err != nil {
		t.Fatalf("set the client pointer: %v", err)
	}
	return c
}

// masters returns the ids of the master pointer and keyboard named name.
func masters(t testing.TB, c *xgb.Conn, op byte, name string) (ptr, kbd uint16) {
	t.Helper()
	req := make([]byte, 4)
	xgb.Put16(req, xiAllDevices)
	r, err := xiRequest(c, op, xiQueryDevice, req, true)
	if err != nil {
		t.Fatal(err)
	}
	n, b := int(xgb.Get16(r[8:])), r[32:]
	for range n {
		id, nclasses, nlen := xgb.Get16(b), int(xgb.Get16(b[6:])), int(xgb.Get16(b[8:]))
		dev := string(b[12 : 12+nlen])
		b = b[12+pad4(nlen):]
		for range nclasses {
			b = b[int(xgb.Get16(b[2:]))*4:]
		}
		switch dev {
		case name + " pointer":
			ptr = id
		case name + " keyboard":
			kbd = id
		}
	}
	if ptr == 0 || kbd == 0 {
		t.Fatalf("no master %q after adding it", name)
	}
	return ptr, kbd
}

// press presses and releases keycode k, or button k with button, through c.
func press(t testing.TB, c *xgb.Conn, k byte, button bool) {
	t.Helper()
	down, up := byte(xproto.KeyPress), byte(xproto.KeyRelease)
	if button {
		down, up = xproto.ButtonPress, xproto.ButtonRelease
	}
	root := xproto.Setup(c).DefaultScreen(c).Root
	for _, typ := range []byte{down, up} {
		if err := xtest.FakeInputChecked(c, typ, k, 0, root, 0, 0, 0).Check(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestX11UserInput(t *testing.T) {
	d, _ := x11Desktop(t)
	user := fakeUser(t, d) // before the watch, so that it knows the device's name
	got := make(chan userInput, 16)
	w, err := watchUserInput(func(in userInput) { got <- in })
	if err != nil {
		t.Fatal(err)
	}
	defer w.close()
	time.Sleep(50 * time.Millisecond)

	// deskhand's own keys and clicks, and xdotool's, come from the core XTEST devices.
	desk := &Desktop{PasteThreshold: -1}
	do(t, desk, Action{Type: Key, Keys: []string{"shift"}})
	do(t, desk, Action{Type: Click, X: Int(1700), Y: Int(1000), Button: "middle"})
	d.Output(t, "xdotool", "key", "shift")
	select {
	case in := <-got:
		t.Fatalf("deskhand's own input reported as the user's: %+v", in)
	case <-time.After(200 * time.Millisecond):
	}

	press(t, user, 50, false) // left shift on the usual keymaps
	press(t, user, 2, true)
	for _, want := range []userInput{{Key: true, Code: 50}, {Code: 2}} {
		select {
		case in := <-got:
			if in.Key != want.Key || in.Code != want.Code || in.Device != "dhuser XTEST keyboard" && in.Device != "dhuser XTEST pointer" {
				t.Errorf("got %+v, want key %v code %d from the dhuser master", in, want.Key, want.Code)
			}
		case <-time.After(2 * time.Second):
			t.Fatalf("the user's press (key %v, code %d) was not reported", want.Key, want.Code)
		}
	}
}

func TestX11KeyTakeover(t *testing.T) {
	d, _ := x11Desktop(t)
	desk := &Desktop{PasteThreshold: -1} // typing takes long: time to take over
	_, x, y, w, h := terminal(t, d, "dh-keytakeover", 60, 60, t.TempDir(), "sh", "-c", "stty raw -echo; exec cat > /dev/null")
	do(t, desk, Action{Type: Click, X: Int(x + w/2), Y: Int(y + h/2)})
	time.Sleep(200 * time.Millisecond)
	user := fakeUser(t, d)
	ctx, fired := watch(t, desk, TakeoverOptions{})

	// Between actions the user's keys are theirs (they answer deskhand's prompts).
	press(t, user, 36, false) // Return
	select {
	case f := <-fired:
		t.Fatalf("takeover reported for a key pressed between actions: %v", f.reason)
	case <-time.After(150 * time.Millisecond):
	}

	done := typeLong(ctx, desk)
	time.Sleep(300 * time.Millisecond)
	select {
	case f := <-fired:
		t.Fatalf("takeover reported for deskhand's own typing: %v", f.reason)
	default:
	}
	press(t, user, 65, false) // space
	pressed := time.Now()
	var f firing
	select {
	case f = <-fired:
	case <-time.After(2 * time.Second):
		t.Fatal("no takeover reported 2 s after the user pressed a key")
	}
	r := <-done
	t.Logf("key takeover seen %v and Do returned %v after the key: %v", f.at.Sub(pressed), r.at.Sub(pressed), r.err)
	var te *TakeoverError
	if !errors.As(f.reason, &te) || !te.Key || !errors.Is(f.reason, ErrTakeover) {
		t.Errorf("reason %v, want a key takeover", f.reason)
	}
	if !errors.Is(r.err, context.Canceled) || !errors.Is(context.Cause(ctx), ErrTakeover) {
		t.Errorf("Do = %v with cause %v, want cancelled by the takeover", r.err, context.Cause(ctx))
	}
}

// BenchmarkKeyTakeover measures how long a key pressed on the user's keyboard
// takes to reach WatchTakeover's callback while deskhand acts: the X server's
// raw event, the filter under xgb, and the judge.
func BenchmarkKeyTakeover(b *testing.B) {
	d, _ := x11Desktop(b)
	user := fakeUser(b, d)
	desk := &Desktop{}
	fired := make(chan time.Time, 1)
	stop, err := WatchTakeover(b.Context(), desk, TakeoverOptions{BetweenActions: true}, func(error) {
		select {
		case fired <- time.Now():
		default:
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	defer stop()
	time.Sleep(50 * time.Millisecond)
	var total time.Duration
	for b.Loop() {
		desk.ptr.begin() // a new action: one takeover each
		t0 := time.Now()
		press(b, user, 50, false)
		select {
		case at := <-fired:
			total += at.Sub(t0)
		case <-time.After(2 * time.Second):
			b.Fatal("the key press was not reported")
		}
		desk.ptr.end()
	}
	b.ReportMetric(float64(total.Microseconds())/float64(b.N)/1000, "ms/takeover")
}

func TestParseDisplay(t *testing.T) {
	for _, tc := range []struct {
		in, network, address string
		bad                  bool
	}{
		{in: ":0", network: "unix", address: "/tmp/.X11-unix/X0"},
		{in: ":12.1", network: "unix", address: "/tmp/.X11-unix/X12"},
		{in: "unix:3", network: "unix", address: "/tmp/.X11-unix/X3"},
		{in: "localhost:10.0", network: "tcp", address: "localhost:6010"},
		{in: "tcp/example:1", network: "tcp", address: "example:6001"},
		{in: "/private/tmp/com.apple.launchd.x/org.xquartz:0", network: "unix", address: "/private/tmp/com.apple.launchd.x/org.xquartz:0"},
		{in: "", bad: true},
		{in: "host", bad: true},
		{in: ":x", bad: true},
		{in: ":", bad: true},
	} {
		d, err := parseDisplay(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("parseDisplay(%q) = %+v, want an error", tc.in, d)
			}
			continue
		}
		if err != nil || d.network != tc.network || d.address != tc.address {
			t.Errorf("parseDisplay(%q) = %+v, %v; want %s %s", tc.in, d, err, tc.network, tc.address)
		}
	}
}
