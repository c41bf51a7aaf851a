//go:build cgo && linux

package actuation

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// watchCount watches p on the shared test display and counts the presses.
func watchCount(t *testing.T, p PanicKey) (presses *atomic.Int32, pressed chan time.Time, stop func()) {
	t.Helper()
	x11Desktop(t)
	presses = &atomic.Int32{}
	pressed = make(chan time.Time, 16)
	stop, err := WatchPanicKey(context.Background(), p, func() {
		presses.Add(1)
		pressed <- time.Now()
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return presses, pressed, stop
}

func waitPress(t *testing.T, pressed chan time.Time, what string) time.Time {
	t.Helper()
	select {
	case at := <-pressed:
		return at
	case <-time.After(2 * time.Second):
		t.Fatalf("the watcher did not fire for %s", what)
		return time.Time{}
	}
}

func TestPanicKeyWatcherX11(t *testing.T) {
	d, _ := x11Desktop(t)
	presses, pressed, _ := watchCount(t, PanicKey{})

	t0 := time.Now()
	d.Output(t, "xdotool", "key", "ctrl+alt+shift+Escape")
	at := waitPress(t, pressed, "ctrl+alt+shift+Escape")
	t.Logf("fired %v after xdotool started", at.Sub(t0))

	// Not for another combination.
	d.Output(t, "xdotool", "key", "ctrl+alt+Escape")
	d.Output(t, "xdotool", "key", "Escape")
	time.Sleep(200 * time.Millisecond)
	if n := presses.Load(); n != 1 {
		t.Fatalf("%d presses after ctrl+alt+Escape and Escape, want still 1", n)
	}

	// Whatever the lock keys.
	for _, lock := range []string{"Num_Lock", "Caps_Lock"} {
		d.Output(t, "xdotool", "key", lock)
		d.Output(t, "xdotool", "key", "ctrl+alt+shift+Escape")
		waitPress(t, pressed, "ctrl+alt+shift+Escape with "+lock+" on")
	}
	d.Output(t, "xdotool", "key", "ctrl+alt+shift+Escape") // both on
	waitPress(t, pressed, "ctrl+alt+shift+Escape with Num Lock and Caps Lock on")
	d.Output(t, "xdotool", "key", "Num_Lock")
	d.Output(t, "xdotool", "key", "Caps_Lock")
	d.Output(t, "xdotool", "key", "ctrl+alt+shift+Escape")
	waitPress(t, pressed, "ctrl+alt+shift+Escape with the locks off again")
}

func TestPanicKeyConfiguredX11(t *testing.T) {
	d, _ := x11Desktop(t)
	p, err := ParsePanicKey("ctrl+shift+f12")
	if err != nil {
		t.Fatal(err)
	}
	presses, pressed, _ := watchCount(t, p)
	d.Output(t, "xdotool", "key", "ctrl+alt+shift+Escape")
	d.Output(t, "xdotool", "key", "ctrl+shift+F12")
	waitPress(t, pressed, "ctrl+shift+F12")
	time.Sleep(100 * time.Millisecond)
	if n := presses.Load(); n != 1 {
		t.Errorf("%d presses, want 1", n)
	}
}

func TestPanicKeyTakenX11(t *testing.T) {
	watchCount(t, PanicKey{})
	stop, err := WatchPanicKey(context.Background(), PanicKey{}, func() {})
	if err == nil {
		stop()
		t.Fatal("a second watcher grabbed the same combination")
	}
	if !errors.Is(err, ErrPanicKeyTaken) || !strings.Contains(err.Error(), "ctrl+alt+shift+esc") {
		t.Errorf("err = %v, want ErrPanicKeyTaken naming the combination", err)
	}
	t.Log(err)
}

// TestPanicKeyStopX11: stop ends the watcher's goroutine and frees the combination
// at once; so does cancelling the context.
func TestPanicKeyStopX11(t *testing.T) {
	d, _ := x11Desktop(t)
	before := runtime.NumGoroutine()
	for _, how := range []string{"stop", "ctx"} {
		ctx, cancel := context.WithCancel(context.Background())
		fired := make(chan struct{}, 4)
		stop, err := WatchPanicKey(ctx, PanicKey{}, func() { fired <- struct{}{} })
		if err != nil {
			t.Fatal(err)
		}
		if how == "stop" {
			stop()
			stop() // idempotent
		} else {
			cancel()
		}
		// The combination is free again: a new watcher can take it.
		deadline := time.Now().Add(2 * time.Second)
		for {
			s2, err := WatchPanicKey(context.Background(), PanicKey{}, func() {})
			if err == nil {
				s2()
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the combination is still grabbed: %v", how, err)
			}
			time.Sleep(10 * time.Millisecond)
		}
		d.Output(t, "xdotool", "key", "ctrl+alt+shift+Escape")
		time.Sleep(100 * time.Millisecond)
		if len(fired) != 0 {
			t.Errorf("%s: a stopped watcher fired", how)
		}
		stop()
		cancel()
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines after stopping, %d before", runtime.NumGoroutine(), before)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// BenchmarkPanicKeyLatency: from the start of `xdotool key` (a process start,
// about half of it) to the watcher's callback.
func BenchmarkPanicKeyLatency(b *testing.B) {
	d, _ := x11Desktop(b)
	pressed := make(chan time.Time, 1)
	stop, err := WatchPanicKey(context.Background(), PanicKey{}, func() { pressed <- time.Now() })
	if err != nil {
		b.Fatal(err)
	}
	defer stop()
	var total time.Duration
	for b.Loop() {
		t0 := time.Now()
		if err := d.Command("xdotool", "key", "ctrl+alt+shift+Escape").Run(); err != nil {
			b.Fatal(err)
		}
		select {
		case at := <-pressed:
			total += at.Sub(t0)
		case <-time.After(2 * time.Second):
			b.Fatal("the watcher did not fire")
		}
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/press")
}
