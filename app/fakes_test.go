package app

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/deskhand/deskhand/actuation"
	"github.com/deskhand/deskhand/models"
	"github.com/deskhand/deskhand/perception"
	"github.com/deskhand/deskhand/planner"
	"github.com/deskhand/deskhand/planner/ollamatest"
)

// fakeScreen is a 1280x720 monitor whose every capture differs (a band moves
// down the picture), so that the agent's loop check never fires.
type fakeScreen struct {
	mu sync.Mutex
	n  int
}

var monitor = image.Rect(0, 0, 1280, 720)

func (s *fakeScreen) Capture(ctx context.Context, g perception.Grid) (perception.Frame, error) {
	s.mu.Lock()
	s.n++
	n := s.n
	s.mu.Unlock()
	size := g.Size(monitor.Dx(), monitor.Dy())
	data := screenshot(size, n)
	return perception.Frame{Bounds: monitor, Captured: monitor.Size(), Scale: 1, Image: size,
		Data: data, MIME: "image/png", Taken: time.Now()}, nil
}

func (s *fakeScreen) Settle(ctx context.Context, max time.Duration) error { return ctx.Err() }

// screenshot is a desktop-like picture: a title bar, a window, a band at a
// height that depends on n.
func screenshot(size image.Point, n int) []byte {
	img := image.NewRGBA(image.Rectangle{Max: size})
	for y := range size.Y {
		for x := range size.X {
			c := color.RGBA{0x3b, 0x4a, 0x5c, 0xff}
			switch {
			case y < size.Y/20:
				c = color.RGBA{0x22, 0x26, 0x2e, 0xff}
			case x > size.X/8 && x < size.X*7/8 && y > size.Y/8 && y < size.Y*7/8:
				c = color.RGBA{0xf4, 0xf4, 0xf2, 0xff}
				if (y/12)%(n%7+3) == 0 && x%40 < 30 {
					c = color.RGBA{0x90, 0x98, 0xa4, 0xff}
				}
			}
			img.SetRGBA(x, y, c)
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

// fakeHands records the actions it is asked to do.
type fakeHands struct {
	mu   sync.Mutex
	done []actuation.Action
}

func (h *fakeHands) Do(ctx context.Context, a actuation.Action) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.done = append(h.done, a)
	return nil
}

func (h *fakeHands) actions() []actuation.Action {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]actuation.Action(nil), h.done...)
}

// uitarsModel is the fake Ollama's one model.
var uitarsModel = ollamatest.Model{Name: "uitars15:7b", Capabilities: []string{"completion", "vision"},
	Architecture: "qwen25vl", ParameterSize: "8.3B", QuantizationLevel: "Q4_K_M", Size: 5e9}

// agentStarter runs jobs with the real planner loop against the fake Ollama,
// the fake screen and hands.
func agentStarter(srv *ollamatest.Server, hands *fakeHands) Starter {
	return tracedStarter(srv, hands, "")
}

// tracedStarter is agentStarter recording each run under root, as the app's
// starter does ("" records nothing).
func tracedStarter(srv *ollamatest.Server, hands *fakeHands, root string) Starter {
	return func(ctx context.Context, job Job) (planner.Result, error) {
		a := &planner.Agent{
			Screen: &fakeScreen{}, Actuator: hands, Client: srv.Client(), Adapter: models.NewUITARS15(),
			Model: uitarsModel.Name, Approver: job.Approver, Policy: job.Settings.Policy,
			Events: job.Events, MaxSteps: job.Settings.MaxSteps, KeepScreens: job.Settings.KeepScreens,
		}
		if root != "" {
			tr, err := planner.NewTrace(root, time.Now())
			if err != nil {
				return planner.Result{}, err
			}
			defer tr.Close()
			a.Events = func(e planner.Event) { tr.Record(e); job.Events(e) }
		}
		return a.Run(ctx, job.Task)
	}
}

// clickReply is a UI-TARS-1.5 reply that clicks at (x, y) in the pixels of
// the image it saw.
func clickReply(thought string, x, y int) ollamatest.Reply {
	return ollamatest.Reply{Content: fmt.Sprintf("Thought: %s\nAction: click(start_box='(%d,%d)')", thought, x, y)}
}

func doneReply(text string) ollamatest.Reply {
	return ollamatest.Reply{Content: fmt.Sprintf("Thought: %s\nAction: finished(content='%s')", text, text)}
}

// newTestUI is a UI over the fake run in a test app, with default settings.
func newTestUI(t testing.TB, start Starter) (*UI, fyne.Window) {
	a := newLoopApp(t)
	var u *UI
	var w fyne.Window
	onUI(func() {
		w = a.NewWindow("deskhand")
		u = NewUI(w, newSettingsStore(a.Preferences()), start, nil)
		w.SetContent(u.Content())
		w.Resize(fyne.NewSize(800, 600))
	})
	return u, w
}

// answer taps the button labelled text in the approval dialog of step n
// once it is up.
func answer(t *testing.T, w fyne.Window, step int, text string) {
	t.Helper()
	prefix := fmt.Sprintf("Step %d ·", step)
	waitFor(t, func() bool {
		top := w.Canvas().Overlays().Top()
		if top == nil || top.Visible() == false {
			return false
		}
		mine := false
		walk(top, func(o fyne.CanvasObject) {
			if l, ok := o.(*widget.Label); ok && strings.HasPrefix(l.Text, prefix) {
				mine = true
			}
		})
		if b := findButton(top, text); mine && b != nil {
			test.Tap(b)
			return true
		}
		return false
	})
}

func factsOf(m ollamatest.Model) models.ModelFacts {
	return models.ModelFacts{Name: m.Name, Architecture: m.Architecture, Capabilities: m.Capabilities,
		ParameterSize: m.ParameterSize, Quantization: m.QuantizationLevel, Size: m.Size}
}

func mustChoose(m ollamatest.Model) models.Choice {
	c, err := models.Choose(factsOf(m))
	if err != nil {
		panic(err)
	}
	return c
}
