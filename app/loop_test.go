package app

import (
	"runtime"
	"sync/atomic"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// The tests' stand-in for fyne's goroutine: one goroutine that runs every
// function handed to fyne.Do and fyne.DoAndWait, in order, as the real driver
// does. fyne's test driver runs each at once on the caller's goroutine
// instead, which lets the run's workers race the test.
var (
	uiLoop   = make(chan func(), 1024)
	uiLoopID atomic.Uint64
)

func init() {
	go func() { // lives as long as the test binary
		uiLoopID.Store(goroutineID())
		for f := range uiLoop {
			f()
		}
	}()
}

// newLoopApp is fyne's test app with its fyne.Do going through the loop.
func newLoopApp(t testing.TB) fyne.App {
	a := test.NewTempApp(t)
	la := &loopApp{App: a, drv: loopDriver{a.Driver()}}
	fyne.SetCurrentApp(la)
	return la
}

type loopApp struct {
	fyne.App
	drv loopDriver
}

func (a *loopApp) Driver() fyne.Driver { return a.drv }

type loopDriver struct{ fyne.Driver }

func (d loopDriver) DoFromGoroutine(f func(), wait bool) {
	switch {
	case !wait:
		uiLoop <- f
	case goroutineID() == uiLoopID.Load():
		f()
	default:
		onUI(f)
	}
}

// onUI runs f on the tests' UI goroutine and waits for it.
func onUI(f func()) {
	if goroutineID() == uiLoopID.Load() {
		f()
		return
	}
	done := make(chan struct{})
	uiLoop <- func() { f(); close(done) }
	<-done
}

// tap taps a button (or any tappable) on the UI goroutine.
func tap(t testing.TB, o fyne.Tappable) {
	t.Helper()
	onUI(func() { test.Tap(o) })
}

// goroutineID is the running goroutine's number, read as fyne's async
// package does.
func goroutineID() (id uint64) {
	var buf [30]byte
	runtime.Stack(buf[:], false)
	for i := 10; buf[i] != ' '; i++ {
		id = id*10 + uint64(buf[i]&15)
	}
	return id
}
