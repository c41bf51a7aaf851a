//go:build cgo && linux

package actuation

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jezek/xgb/xproto"
)

type firing struct {
	at     time.Time
	reason error
}

// watch starts WatchTakeover on desk, cancelling the returned context with the
// reason, and reports each firing on the channel.
func watch(t *testing.T, desk *Desktop, opts TakeoverOptions) (context.Context, <-chan firing) {
	t.Helper()
	ctx, cancel := context.WithCancelCause(t.Context())
	fired := make(chan firing, 8)
	stop, err := WatchTakeover(ctx, desk, opts, func(reason error) {
		fired <- firing{time.Now(), reason}
		cancel(reason)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return ctx, fired
}

func TestX11Takeover(t *testing.T) {
	d, _ := x11Desktop(t)
	desk := &Desktop{PasteThreshold: -1} // typing takes long: time to take over
	_, x, y, w, h := terminal(t, d, "dh-takeover", 60, 60, t.TempDir(), "sh", "-c", "stty raw -echo; exec cat > /dev/null")
	do(t, desk, Action{Type: Click, X: Int(x + w/2), Y: Int(y + h/2)})
	time.Sleep(200 * time.Millisecond) // let stty run
	ctx, fired := watch(t, desk, TakeoverOptions{})

	// The Desktop's own moves, clicks, drags and scrolls never count.
	for _, a := range []Action{
		{Type: Move, X: Int(1500), Y: Int(900)},
		{Type: Click, X: Int(x + w/2), Y: Int(y + h/2)},
		{Type: Drag, X: Int(x + 10), Y: Int(y + 10), X2: Int(x + w - 10), Y2: Int(y + h - 10)},
		{Type: Scroll, X: Int(x + w/2), Y: Int(y + 20), Direction: "up", Amount: 2},
		{Type: TypeText, Text: "abc"},
		{Type: Click, X: Int(x + w/2), Y: Int(y + h/2)},
	} {
		if err := desk.Do(ctx, a); err != nil {
			t.Fatalf("Do(%s): %v", a.Describe(), err)
		}
	}
	// Nor does the user's mouse between actions.
	d.Output(t, "xdotool", "mousemove", "--sync", "900", "700")
	time.Sleep(100 * time.Millisecond)
	d.Output(t, "xdotool", "mousemove", "--sync", strconv.Itoa(x+w/2), "0")
	select {
	case f := <-fired:
		t.Fatalf("takeover reported for deskhand's own actions: %v", f.reason)
	case <-time.After(100 * time.Millisecond):
	}
	do(t, desk, Action{Type: Click, X: Int(x + w/2), Y: Int(y + h/2)})

	// The user moves the mouse while a long text is typed.
	done := typeLong(ctx, desk)
	time.Sleep(300 * time.Millisecond)
	d.Output(t, "xdotool", "mousemove", "700", "500")
	moved := time.Now()
	var f firing
	select {
	case f = <-fired:
	case <-time.After(2 * time.Second):
		t.Fatal("no takeover reported 2 s after the user moved the mouse")
	}
	r := <-done
	t.Logf("takeover seen %v and Do returned %v after xdotool moved the mouse: %v", f.at.Sub(moved), r.at.Sub(moved), r.err)
	if !errors.Is(f.reason, ErrTakeover) {
		t.Errorf("reason %v, want ErrTakeover", f.reason)
	}
	if !errors.Is(r.err, context.Canceled) || !errors.Is(context.Cause(ctx), ErrTakeover) {
		t.Errorf("Do = %v with cause %v, want cancelled by the takeover", r.err, context.Cause(ctx))
	}
	if late := f.at.Sub(moved); late > 100*time.Millisecond {
		t.Errorf("takeover seen %v after the move, want within 100 ms", late)
	}
	if late := r.at.Sub(moved); late > 150*time.Millisecond {
		t.Errorf("Do returned %v after the move, want within ~100 ms", late)
	}
}

// acted is how an action ended, and when.
type acted struct {
	err error
	at  time.Time
}

// typeLong types 2000 characters key by key with desk, from a goroutine: time
// enough to take over.
func typeLong(ctx context.Context, desk *Desktop) <-chan acted {
	done := make(chan acted, 1)
	go func() {
		err := desk.Do(ctx, Action{Type: TypeText, Text: strings.Repeat("abcdefghij", 200)})
		done <- acted{err, time.Now()}
	}()
	return done
}

func TestX11Failsafe(t *testing.T) {
	d, _ := x11Desktop(t)
	desk := &Desktop{}
	do(t, desk, Action{Type: Move, X: Int(400), Y: Int(300)})
	_, fired := watch(t, desk, TakeoverOptions{})
	time.Sleep(100 * time.Millisecond)
	d.Output(t, "xdotool", "mousemove", "1", "0") // not acting: the corner still counts
	moved := time.Now()
	select {
	case f := <-fired:
		t.Logf("failsafe seen %v after the move: %v", f.at.Sub(moved), f.reason)
		if !errors.Is(f.reason, ErrFailsafe) {
			t.Errorf("reason %v, want ErrFailsafe", f.reason)
		}
	case <-time.After(time.Second):
		t.Fatal("no failsafe reported for the pointer in the corner")
	}
}

// BenchmarkTakeover measures how long the watcher takes to see the pointer move
// during an action, from the move (another X client warps the pointer) to the
// callback: about half the sampling interval on average.
func BenchmarkTakeover(b *testing.B) {
	d, _ := x11Desktop(b)
	desk := &Desktop{}
	fired := make(chan time.Time, 1)
	stop, err := WatchTakeover(b.Context(), desk, TakeoverOptions{}, func(error) { fired <- time.Now() })
	if err != nil {
		b.Fatal(err)
	}
	defer stop()
	c := xconn(b, d)
	root := xproto.Setup(c).DefaultScreen(c).Root
	var total time.Duration
	i := 0
	for b.Loop() {
		desk.ptr.begin()
		time.Sleep(2 * defaultTakeoverInterval) // the watcher sees the action start where the pointer is
		i++
		xproto.WarpPointer(c, xproto.WindowNone, root, 0, 0, 0, 0, int16(500+100*(i%2)), 500)
		if _, err := xproto.GetInputFocus(c).Reply(); err != nil { // the warp is done
			b.Fatal(err)
		}
		moved := time.Now()
		select {
		case at := <-fired:
			total += at.Sub(moved)
		case <-time.After(time.Second):
			b.Fatal("no takeover reported")
		}
		desk.ptr.end()
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/detect")
}
