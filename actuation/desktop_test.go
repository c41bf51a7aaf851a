package actuation

import (
	"context"
	"errors"
	"fmt"
	"image"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fake is a backend that records calls, for tests without a display.
type fake struct {
	mu      sync.Mutex
	calls   []string
	at      []time.Time
	screen  image.Rectangle
	perType time.Duration // how long each typeText call takes
	fail    string        // the call that fails, by its first word
}

func newFake() *fake { return &fake{screen: image.Rect(0, 0, 1920, 1080)} }

func (f *fake) record(format string, args ...any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := fmt.Sprintf(format, args...)
	f.calls = append(f.calls, c)
	f.at = append(f.at, time.Now())
	if f.fail != "" && strings.HasPrefix(c, f.fail) {
		return errors.New("injected failure")
	}
	return nil
}

func (f *fake) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

func (f *fake) bounds() (image.Rectangle, error) { return f.screen, nil }
func (f *fake) move(x, y int) error              { return f.record("move %d,%d", x, y) }
func (f *fake) click(b string, n int) error      { return f.record("click %s %d", b, n) }
func (f *fake) scroll(dx, dy int) error          { return f.record("scroll %d,%d", dx, dy) }
func (f *fake) keyTap(keys []string) error       { return f.record("key %s", strings.Join(keys, "+")) }

func (f *fake) button(b string, down bool) error {
	if down {
		return f.record("down %s", b)
	}
	return f.record("up %s", b)
}

func (f *fake) typeText(s string) error {
	time.Sleep(f.perType)
	return f.record("type %s", s)
}

// fakeDesktop returns a Desktop on f with no pauses, typing in chunks of 4 runes
// and never pasting (clipboard_test.go tests pasting with a fake clipboard).
func fakeDesktop(f *fake) *Desktop {
	return &Desktop{b: f, t: timing{chunk: 4}, PasteThreshold: -1}
}

func dragCalls(from, to image.Point, button string) []string {
	calls := []string{fmt.Sprintf("move %d,%d", from.X, from.Y), "down " + button}
	n := dragSteps(from, to)
	for i := 1; i <= n; i++ {
		p := from.Add(to.Sub(from).Mul(i).Div(n))
		calls = append(calls, fmt.Sprintf("move %d,%d", p.X, p.Y))
	}
	return append(calls, "up "+button)
}

func TestDoCalls(t *testing.T) {
	tests := []struct {
		name string
		a    Action
		want []string
	}{
		{"click defaults", Action{Type: Click, X: Int(10), Y: Int(20)}, []string{"move 10,20", "click left 1"}},
		{"double right", Action{Type: Click, X: Int(0), Y: Int(0), Button: "Right", Clicks: 2}, []string{"move 0,0", "click right 2"}},
		{"triple middle", Action{Type: Click, X: Int(1919), Y: Int(1079), Button: "middle", Clicks: 3}, []string{"move 1919,1079", "click middle 3"}},
		{"move", Action{Type: Move, X: Int(5), Y: Int(6)}, []string{"move 5,6"}},
		{"drag", Action{Type: Drag, X: Int(100), Y: Int(200), X2: Int(300), Y2: Int(260)},
			dragCalls(image.Pt(100, 200), image.Pt(300, 260), "left")},
		{"short drag right button", Action{Type: Drag, X: Int(10), Y: Int(10), X2: Int(13), Y2: Int(10), Button: "right"},
			dragCalls(image.Pt(10, 10), image.Pt(13, 10), "right")},
		{"scroll default amount", Action{Type: Scroll, X: Int(7), Y: Int(8), Direction: "down"}, []string{"move 7,8", "scroll 0,1", "scroll 0,1", "scroll 0,1"}},
		{"scroll up here", Action{Type: Scroll, Direction: "up", Amount: 2}, []string{"scroll 0,-1", "scroll 0,-1"}},
		{"scroll left", Action{Type: Scroll, Direction: "left", Amount: 1}, []string{"scroll -1,0"}},
		{"scroll right", Action{Type: Scroll, Direction: "RIGHT", Amount: 4}, []string{"scroll 1,0", "scroll 1,0", "scroll 1,0", "scroll 1,0"}},
		{"type chunks and enter", Action{Type: TypeText, Text: "hello world\n"},
			[]string{"type hell", "type o wo", "type rld", "key enter"}},
		{"type newlines and tabs", Action{Type: TypeText, Text: "a\r\nb\tc\rd\n\n"},
			[]string{"type a", "key enter", "type b", "key tab", "type c", "key enter", "type d", "key enter", "key enter"}},
		{"type unicode", Action{Type: TypeText, Text: "héllo 你好 ✓ 😀"},
			[]string{"type héll", "type o 你好", "type  ✓ 😀"}},
		{"key", Action{Type: Key, Keys: []string{"ctrl", "s"}}, []string{"key ctrl+s"}},
		{"key aliases", Action{Type: Key, Keys: []string{"S", "Control", "cmd"}}, []string{"key ctrl+super+s"}},
		{"key upper-case", Action{Type: Key, Keys: []string{"A"}}, []string{"key shift+a"}},
		{"key shifted symbol", Action{Type: Key, Keys: []string{"?"}}, []string{"key shift+/"}},
		{"key ctrl plus", Action{Type: Key, Keys: []string{"ctrl", "+"}}, []string{"key ctrl+shift+="}},
		{"key shift and shifted", Action{Type: Key, Keys: []string{"shift", "!"}}, []string{"key shift+1"}},
		{"key alone modifier", Action{Type: Key, Keys: []string{"Super"}}, []string{"key super"}},
		{"key return", Action{Type: Key, Keys: []string{"Return"}}, []string{"key enter"}},
		{"key function", Action{Type: Key, Keys: []string{"alt", "F4"}}, []string{"key alt+f4"}},
		{"key non-ASCII is typed", Action{Type: Key, Keys: []string{"é"}}, []string{"type é"}},
		{"done", Action{Type: Done, Text: "ok"}, nil},
		{"fail", Action{Type: Fail, Text: "no"}, nil},
		{"ask", Action{Type: AskUser, Text: "pw?"}, nil},
		{"wait", Action{Type: Wait, Seconds: 0.01}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			if err := fakeDesktop(f).Do(t.Context(), tt.a); err != nil {
				t.Fatalf("Do(%v): %v", tt.a, err)
			}
			if got := f.Calls(); !slices.Equal(got, tt.want) {
				t.Errorf("Do(%v) calls\n got %q\nwant %q", tt.a, got, tt.want)
			}
		})
	}
}

func TestDoRejectsBeforeAnyEvent(t *testing.T) {
	tests := []struct {
		name string
		a    Action
	}{
		{"click off-screen", Action{Type: Click, X: Int(1920), Y: Int(10)}},
		{"click negative", Action{Type: Click, X: Int(-1), Y: Int(10)}},
		{"click no y", Action{Type: Click, X: Int(10)}},
		{"bad button", Action{Type: Click, X: Int(1), Y: Int(1), Button: "side"}},
		{"four clicks", Action{Type: Click, X: Int(1), Y: Int(1), Clicks: 4}},
		{"drag end off-screen", Action{Type: Drag, X: Int(1), Y: Int(1), X2: Int(5), Y2: Int(1080)}},
		{"drag bad button", Action{Type: Drag, X: Int(1), Y: Int(1), X2: Int(5), Y2: Int(5), Button: "x1"}},
		{"scroll sideways", Action{Type: Scroll, Direction: "sideways"}},
		{"scroll too far", Action{Type: Scroll, Direction: "down", Amount: 99}},
		{"scroll off-screen", Action{Type: Scroll, X: Int(5000), Y: Int(5), Direction: "down"}},
		{"type nothing", Action{Type: TypeText}},
		{"type bell", Action{Type: TypeText, Text: "ding\a"}},
		{"type bad UTF-8", Action{Type: TypeText, Text: "ab\xffcd"}},
		{"unknown key", Action{Type: Key, Keys: []string{"ctrl", "nosuchkey"}}},
		{"no keys", Action{Type: Key}},
		{"non-ASCII with ctrl", Action{Type: Key, Keys: []string{"ctrl", "é"}}},
		{"control char key", Action{Type: Key, Keys: []string{"\x01"}}},
		{"unknown type", Action{Type: "teleport", X: Int(1), Y: Int(1)}},
		{"long wait", Action{Type: Wait, Seconds: 100}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			err := fakeDesktop(f).Do(t.Context(), tt.a)
			var inv *InvalidActionError
			if !errors.As(err, &inv) {
				t.Fatalf("Do(%v) = %v, want an *InvalidActionError", tt.a, err)
			}
			if calls := f.Calls(); len(calls) > 0 {
				t.Errorf("Do(%v) sent %q before rejecting it", tt.a, calls)
			}
		})
	}
}

func TestDoBackendErrors(t *testing.T) {
	f := newFake()
	f.fail = "click"
	err := fakeDesktop(f).Do(t.Context(), Action{Type: Click, X: Int(3), Y: Int(4), Clicks: 2})
	if err == nil || !strings.Contains(err.Error(), "double-left-click at (3, 4)") {
		t.Errorf("Do = %v, want an error naming the click", err)
	}

	// A failed move in a drag still releases the button.
	f = newFake()
	f.fail = "move 41,"
	err = fakeDesktop(f).Do(t.Context(), Action{Type: Drag, X: Int(0), Y: Int(0), X2: Int(100), Y2: Int(0)})
	calls := f.Calls()
	if err == nil || calls[len(calls)-1] != "up left" {
		t.Errorf("Do = %v with calls %q, want an error and the button released last", err, calls)
	}
}

func TestDoCancelledBeforeStart(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	for _, a := range []Action{
		{Type: Click, X: Int(1), Y: Int(1)},
		{Type: TypeText, Text: "x"},
		{Type: Wait, Seconds: 1},
		{Type: Done},
	} {
		f := newFake()
		if err := fakeDesktop(f).Do(ctx, a); !errors.Is(err, context.Canceled) {
			t.Errorf("Do(%v) = %v, want context.Canceled", a, err)
		}
		if calls := f.Calls(); len(calls) > 0 {
			t.Errorf("Do(%v) sent %q after cancel", a, calls)
		}
	}
}

func TestTypeCancel(t *testing.T) {
	f := newFake()
	f.perType = 5 * time.Millisecond
	d := fakeDesktop(f)
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(30*time.Millisecond, cancel)
	start := time.Now()
	err := d.Do(ctx, Action{Type: TypeText, Text: strings.Repeat("abcd", 100)}) // 100 chunks, 500 ms
	took := time.Since(start)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "typing stopped after") {
		t.Fatalf("Do = %v, want a cancel that says how far typing got", err)
	}
	n := len(f.Calls())
	if n == 0 || n > 12 || took > 100*time.Millisecond {
		t.Errorf("typed %d chunks in %v after a cancel at 30 ms, want a few and under 100 ms", n, took)
	}
	time.Sleep(30 * time.Millisecond)
	if m := len(f.Calls()); m != n {
		t.Errorf("%d calls after Do returned", m-n)
	}
}

func TestWaitCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(20*time.Millisecond, cancel)
	start := time.Now()
	var d Desktop // no backend needed
	err := d.Do(ctx, Action{Type: Wait, Seconds: 30})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Do(wait) = %v, want context.Canceled", err)
	}
	if took := time.Since(start); took > 200*time.Millisecond {
		t.Errorf("wait returned %v after start, want about 20 ms", took)
	}
}

func TestDragCancelReleases(t *testing.T) {
	f := newFake()
	d := fakeDesktop(f)
	d.t.dragStep = 5 * time.Millisecond
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(25*time.Millisecond, cancel)
	err := d.Do(ctx, Action{Type: Drag, X: Int(0), Y: Int(0), X2: Int(400), Y2: Int(0)})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Do(drag) = %v, want context.Canceled", err)
	}
	calls := f.Calls()
	if len(calls) >= len(dragCalls(image.Pt(0, 0), image.Pt(400, 0), "left")) || calls[len(calls)-1] != "up left" {
		t.Errorf("cancelled drag sent %q, want it cut short and ending with the release", calls)
	}
	time.Sleep(20 * time.Millisecond)
	if n := len(f.Calls()); n != len(calls) {
		t.Errorf("%d calls after Do returned", n-len(calls))
	}
}

func TestPressesStaySeparate(t *testing.T) {
	f := newFake()
	d := fakeDesktop(f)
	d.t.apart = 80 * time.Millisecond
	ctx := t.Context()
	must := func(a Action) {
		t.Helper()
		if err := d.Do(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	must(Action{Type: Click, X: Int(100), Y: Int(100)})
	must(Action{Type: Drag, X: Int(900), Y: Int(100), X2: Int(300), Y2: Int(100)})
	time.Sleep(80 * time.Millisecond)
	must(Action{Type: Click, X: Int(900), Y: Int(900), Clicks: 2})
	f.mu.Lock()
	defer f.mu.Unlock()
	at := func(call string) time.Time { return f.at[slices.Index(f.calls, call)] }
	if g := at("down left").Sub(at("click left 1")); g < 80*time.Millisecond {
		t.Errorf("drag pressed %v after a click, want at least 80 ms", g)
	}
	if g := at("click left 2").Sub(at("move 900,900")); g > 40*time.Millisecond {
		t.Errorf("click long after the last press waited %v, want no wait", g)
	}
}

func TestZeroDesktopOpensBackendLazily(t *testing.T) {
	saved := newBackend
	t.Cleanup(func() { newBackend = saved })
	opens := 0
	f := newFake()
	newBackend = func() (backend, error) {
		opens++
		if opens == 1 {
			return nil, fmt.Errorf("%w: not yet", ErrNoDisplay)
		}
		return f, nil
	}
	var d Desktop
	if err := d.Do(t.Context(), Action{Type: Done, Text: "x"}); err != nil || opens != 0 {
		t.Fatalf("done: err %v, %d opens; want no backend needed", err, opens)
	}
	a := Action{Type: Move, X: Int(1), Y: Int(2)}
	if err := d.Do(t.Context(), a); !errors.Is(err, ErrNoDisplay) {
		t.Fatalf("first move = %v, want ErrNoDisplay", err)
	}
	if err := d.Do(t.Context(), a); err != nil {
		t.Fatalf("second move = %v, want the display found on retry", err)
	}
	if err := d.Do(t.Context(), a); err != nil || opens != 2 {
		t.Fatalf("third move: err %v, %d opens; want the backend kept", err, opens)
	}
	if got := f.Calls(); !slices.Equal(got, []string{"move 1,2", "move 1,2"}) {
		t.Errorf("calls %q", got)
	}
}

func TestPressKeysRobotgoNames(t *testing.T) {
	// Every key pressKeys can produce has a robotgo name, and those that need shift
	// are never passed on.
	keys := []string{}
	for k := range canonicalKeys {
		keys = append(keys, k)
	}
	for i := 1; i <= 24; i++ {
		keys = append(keys, fmt.Sprintf("f%d", i))
	}
	for c := '!'; c <= '~'; c++ {
		keys = append(keys, string(c))
	}
	for _, k := range keys {
		press, text, err := pressKeys([]string{k})
		if err != nil || text != "" {
			t.Errorf("pressKeys(%q) = %q, %q, %v", k, press, text, err)
			continue
		}
		for _, p := range press {
			if _, err := robotgoKey(p); err != nil {
				t.Errorf("pressKeys(%q) = %q: %v", k, press, err)
			}
		}
	}
	for _, k := range []string{"super", "f13", "pagedown", "/"} {
		if n, _ := robotgoKey(k); n == "" {
			t.Errorf("robotgoKey(%q) is empty", k)
		}
	}
	for _, k := range []string{"?", "A", "é", "super_l", ""} {
		if n, err := robotgoKey(k); err == nil {
			t.Errorf("robotgoKey(%q) = %q, want an error", k, n)
		}
	}
}

func BenchmarkDoFake(b *testing.B) {
	f := newFake()
	d := fakeDesktop(f)
	a := Action{Type: Click, X: Int(100), Y: Int(200), Button: "left"}
	ctx := b.Context()
	for b.Loop() {
		if err := d.Do(ctx, a); err != nil {
			b.Fatal(err)
		}
		f.calls, f.at = f.calls[:0], f.at[:0]
	}
}
