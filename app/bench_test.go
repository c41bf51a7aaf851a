package app

import (
	"context"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/deskhand/deskhand/planner"
	"github.com/deskhand/deskhand/planner/ollamatest"
)

// BenchmarkNewDesk measures building the app's windows (main window with its
// three tabs, task bar, settings) with fyne's test driver: the part of start-up
// that is deskhand's own, without GLFW and OpenGL.
func BenchmarkNewDesk(b *testing.B) {
	a := newLoopApp(b)
	x := deps{start: func(context.Context, Job) (planner.Result, error) { return planner.Result{}, nil }, catalog: fakeCatalog, root: b.TempDir()}
	for b.Loop() {
		onUI(func() {
			d := newDesk(a, x)
			d.win.Close()
			d.bar.Window().Close()
		})
	}
}

// BenchmarkRun30Steps runs a 30-step task through the main window against the
// fake Ollama (streamed replies, a screenshot per step, every action approved
// by the policy) and reports the peak heap in use during the run and the heap
// left after it.
func BenchmarkRun30Steps(b *testing.B) {
	const steps = 30
	srv := ollamatest.NewServer(uitarsModel)
	defer srv.Close()
	srv.Handle(func(req *api.ChatRequest) ollamatest.Reply {
		step := 1
		for _, m := range req.Messages {
			if m.Role == "assistant" {
				step++
			}
		}
		if step >= steps {
			return doneReply("All thirty steps done")
		}
		r := clickReply(strings.Repeat("I look at the window and pick the next button. ", 6), 100+step*20, 80+step*15)
		r.Chunks = 40
		return r
	})
	var peak, after float64
	for b.Loop() {
		u, _ := newTestUI(b, agentStarter(srv, &fakeHands{}))
		onUI(func() {
			u.settings.Update(func(s *Settings) { s.Policy = planner.ConfirmNone; s.MaxSteps = steps })
			u.Task.SetText("click through thirty dialogs")
		})
		runtime.GC()
		var max atomic.Uint64
		stop := make(chan struct{})
		sampled := make(chan struct{})
		go func() { // samples the heap until the run ends
			defer close(sampled)
			var m runtime.MemStats
			for {
				runtime.ReadMemStats(&m)
				if m.HeapInuse > max.Load() {
					max.Store(m.HeapInuse)
				}
				select {
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
				}
			}
		}()
		onUI(func() { u.onStart() })
		u.Wait()
		close(stop)
		<-sampled
		var status string
		waitFor(b, func() bool { status = u.Status.Text; return strings.HasPrefix(status, "Done") })
		var n int
		waitFor(b, func() bool { n = len(u.rows); return n == steps })
		peak = float64(max.Load()) / (1 << 20)
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		after = float64(m.HeapInuse) / (1 << 20)
	}
	b.ReportMetric(peak, "peak-heap-MB")
	b.ReportMetric(after, "heap-after-MB")
}
