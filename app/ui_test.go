package app

import (
	"context"
	"image"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/ollama/ollama/api"

	"github.com/deskhand/deskhand/actuation"
	"github.com/deskhand/deskhand/perception"
	"github.com/deskhand/deskhand/planner"
	"github.com/deskhand/deskhand/planner/ollamatest"
)

func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		ok := false
		onUI(func() { ok = cond() })
		if ok {
			return
		}
	}
	t.Fatal("condition not met in 5s")
}

func TestStartRunsTaskAndShowsSteps(t *testing.T) {
	var gotTask string
	frame := perception.Frame{Bounds: monitor, Image: image.Pt(640, 360), Scale: 1, MIME: "image/png", Data: screenshot(image.Pt(640, 360), 1)}
	click := actuation.Action{Type: actuation.Click, X: actuation.Int(300), Y: actuation.Int(400), Button: "left", Clicks: 1}
	medium := planner.Risk{Level: planner.RiskMedium}
	start := func(ctx context.Context, job Job) (planner.Result, error) {
		gotTask = job.Task
		for _, e := range []planner.Event{
			{Kind: planner.RunStarted, Time: time.Now(), Task: job.Task, Model: "m"},
			{Kind: planner.StepStarted, Step: 1},
			{Kind: planner.FrameCaptured, Step: 1, Frame: &frame, Millis: map[string]float64{"capture": 20}},
			{Kind: planner.ModelReplied, Step: 1, Text: "click", Millis: map[string]float64{"model": 1500}},
			{Kind: planner.Decided, Step: 1, Decision: &planner.Decision{Thought: "the OK button", Actions: []actuation.Action{click}}},
			{Kind: planner.ActionProposed, Step: 1, Action: &click, Risk: &medium},
			{Kind: planner.ActionApproved, Step: 1, Action: &click, Risk: &medium},
			{Kind: planner.ActionExecuted, Step: 1, Action: &click, Millis: map[string]float64{"act": 30}},
			{Kind: planner.ScreenSettled, Step: 1},
		} {
			job.Events(e)
		}
		return planner.Result{Status: planner.StatusDone, Text: "all good", Steps: 1}, nil
	}
	u, _ := newTestUI(t, start)
	onUI(func() { test.Type(u.Task, "open a terminal") })
	tap(t, u.Start)
	u.Wait()
	waitFor(t, func() bool { return strings.HasPrefix(u.Status.Text, "Done: all good") })
	if gotTask != "open a terminal" {
		t.Errorf("task = %q", gotTask)
	}
	want := "Step 1 · Left-click at (300, 400) | Done | Did: left-click at (300, 400) | Thought: the OK button"
	waitFor(t, func() bool { return strings.Join(u.StepTexts(), "\n") == want })
	// The thumbnail comes from its own goroutine: the frame with the marker.
	waitFor(t, func() bool { r := u.rows[1]; return r != nil && r.thumb.hasImg })
	var thumb image.Image
	onUI(func() { thumb = u.rows[1].thumb.img.Image })
	if b := thumb.Bounds(); b.Dx() != thumbWidth || !hasMarker(thumb) {
		t.Errorf("thumbnail %v without the marker's colour", b)
	}
	onUI(func() {
		if u.Start.Disabled() || !u.Stop.Disabled() || u.Task.Disabled() {
			t.Error("after the run Start and the task box should be enabled and Stop disabled")
		}
	})
}

// hasMarker reports whether img has the overlay's magenta somewhere.
func hasMarker(img image.Image) bool {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r>>8 > 0xe0 && g>>8 < 0x60 && bl>>8 > 0x70 && bl>>8 < 0xb0 {
				return true
			}
		}
	}
	return false
}

func TestStopCancelsWithStopped(t *testing.T) {
	started := make(chan struct{})
	var cause error
	start := func(ctx context.Context, job Job) (planner.Result, error) {
		close(started)
		<-ctx.Done()
		cause = context.Cause(ctx)
		return planner.Result{Status: planner.StatusStopped}, cause
	}
	u, _ := newTestUI(t, start)
	onUI(func() { test.Type(u.Task, "wait") })
	tap(t, u.Start)
	<-started
	tap(t, u.Stop)
	u.Wait()
	waitFor(t, func() bool { return u.Status.Text == "Stopped." })
	if cause != planner.ErrStopped {
		t.Errorf("cancel cause = %v, want ErrStopped", cause)
	}
}

func TestEmptyTaskIsNotStarted(t *testing.T) {
	called := false
	u, _ := newTestUI(t, func(context.Context, Job) (planner.Result, error) {
		called = true
		return planner.Result{}, nil
	})
	onUI(func() {
		test.Tap(u.Start)
		if called || !strings.Contains(u.Status.Text, "Type a task") {
			t.Errorf("empty task: called=%v status=%q", called, u.Status.Text)
		}
	})
}

// Approve, Skip and Stop in the window's dialog reach the real planner loop,
// and the step list says what became of each action.
func TestApproveSkipStopThroughUI(t *testing.T) {
	srv := ollamatest.NewServer(uitarsModel)
	defer srv.Close()
	srv.Script(
		clickReply("the Files icon", 100, 100),
		clickReply("the Trash icon", 200, 200),
		clickReply("the Close button", 300, 300),
	)
	hands := &fakeHands{}
	u, w := newTestUI(t, agentStarter(srv, hands))
	onUI(func() { test.Type(u.Task, "tidy the desktop") })
	tap(t, u.Start)
	answer(t, w, 1, "Approve")
	answer(t, w, 2, "Skip")
	answer(t, w, 3, "Stop")
	u.Wait()
	waitFor(t, func() bool { return u.Status.Text == "Stopped." })
	if got := hands.actions(); len(got) != 1 || got[0].Type != actuation.Click {
		t.Errorf("actions done: %v, want the first click only", got)
	}
	var lines string
	waitFor(t, func() bool {
		lines = strings.Join(u.StepTexts(), "\n")
		return strings.Count(lines, "\n") == 2 && strings.Contains(lines, "| Stopped |")
	})
	for _, want := range []string{"| Done | Did: left-click", "| Skipped | Skipped: left-click", "Thought: the Trash icon", "Step 3 · Left-click"} {
		if !strings.Contains(lines, want) {
			t.Errorf("step list lacks %q:\n%s", want, lines)
		}
	}
}

// With "never ask" nothing is asked, and the run goes to its end.
func TestPolicyNoneRunsUnasked(t *testing.T) {
	srv := ollamatest.NewServer(uitarsModel)
	defer srv.Close()
	srv.Script(clickReply("the OK button", 100, 100), doneReply("Saved"))
	hands := &fakeHands{}
	u, w := newTestUI(t, agentStarter(srv, hands))
	u.settings.Update(func(s *Settings) { s.Policy = planner.ConfirmNone })
	onUI(func() { test.Type(u.Task, "save") })
	onUI(func() {
		test.Tap(u.Start)
		if !strings.Contains(u.Status.Text, "without asking") {
			t.Errorf("status at start = %q, want a warning", u.Status.Text)
		}
	})
	u.Wait()
	waitFor(t, func() bool { return u.Status.Text == "Done: Saved" })
	if len(hands.actions()) != 1 {
		t.Errorf("actions %v", hands.actions())
	}
	if top := w.Canvas().Overlays().Top(); top != nil && findButton(top, "Approve") != nil {
		t.Error("a dialog asked although the policy says never")
	}
	waitFor(t, func() bool {
		got := strings.Join(u.StepTexts(), "\n")
		return strings.Contains(got, "Did without asking: left-click") && strings.Contains(got, "| Task done |")
	})
}

// The model's thinking streams into its step while it decodes, and gives way
// to the parsed thought once the reply is whole.
func TestThinkingStreams(t *testing.T) {
	srv := ollamatest.NewServer(uitarsModel)
	defer srv.Close()
	release := make(chan struct{})
	reply := clickReply("the Save button is at the top", 100, 100)
	reply.Thinking = "Let me look at the toolbar first. The Save button has a disk icon."
	reply.Chunks = 8
	reply.ChunkDelay = 20 * time.Millisecond
	srv.Script(reply)
	srv.Handle(func(*api.ChatRequest) ollamatest.Reply { <-release; return doneReply("ok") })
	hands := &fakeHands{}
	u, w := newTestUI(t, agentStarter(srv, hands))
	u.settings.Update(func(s *Settings) { s.Policy = planner.ConfirmNone })
	onUI(func() { test.Type(u.Task, "save") })
	tap(t, u.Start)
	seen := map[string]bool{}
	waitFor(t, func() bool {
		if r := u.rows[1]; r != nil && r.thinking.Visible() {
			seen[r.thinking.Text] = true
			seen[r.status.Text] = true
		}
		return seen["Thought: the Save button is at the top"]
	})
	if !seen["Thinking…"] || !seen["Answering…"] {
		t.Errorf("statuses seen: %v", seen)
	}
	partial := 0
	for s := range seen {
		if strings.HasPrefix(s, "Let me look") && s != reply.Thinking+"\n"+reply.Content {
			partial++
		}
	}
	if partial == 0 {
		t.Errorf("no partial thinking was shown: %v", seen)
	}
	close(release)
	u.Wait()
	_ = w
}

func TestThrottle(t *testing.T) {
	now := time.Unix(1000, 0)
	var timers []func()
	draws := 0
	th := newThrottle(50*time.Millisecond, func() { draws++ })
	th.now = func() time.Time { return now }
	th.after = func(d time.Duration, f func()) {
		if d <= 0 || d > 50*time.Millisecond {
			t.Errorf("timer of %v", d)
		}
		timers = append(timers, f)
	}
	th.do = func(f func()) { f() }
	for range 100 {
		th.poke()
	}
	if draws != 1 || len(timers) != 1 {
		t.Fatalf("after 100 pokes at once: %d draws, %d timers; want 1 and 1", draws, len(timers))
	}
	now = now.Add(50 * time.Millisecond)
	timers[0]()
	if draws != 2 {
		t.Errorf("the timer did not draw")
	}
	now = now.Add(time.Second)
	th.poke()
	if draws != 3 || len(timers) != 1 {
		t.Errorf("a poke long after: %d draws, %d timers", draws, len(timers))
	}
}

func TestRiskText(t *testing.T) {
	high := planner.Classify(actuation.Action{Type: actuation.Key, Keys: []string{"alt", "f4"}}, planner.RiskContext{})
	if got := riskText(high); got != "High risk: closes the window (alt+f4)." {
		t.Errorf("riskText(high) = %q", got)
	}
	if got := riskText(planner.Risk{Level: planner.RiskMedium}); got != "" {
		t.Errorf("riskText(medium) = %q, want nothing", got)
	}
	if got := riskText(planner.Risk{}); got != "" {
		t.Errorf("riskText(unclassified) = %q, want nothing", got)
	}
}

func TestTail(t *testing.T) {
	long := strings.Repeat("word ", 200)
	got := tail(long, 100)
	if !strings.HasPrefix(got, "…word") || len([]rune(got)) > 101 {
		t.Errorf("tail = %q", got)
	}
	if tail("short", 100) != "short" {
		t.Error("a short text was cut")
	}
}

// findButton returns the button labelled text under o, if any.
func findButton(o fyne.CanvasObject, text string) *widget.Button {
	var found *widget.Button
	walk(o, func(c fyne.CanvasObject) {
		if b, ok := c.(*widget.Button); ok && b.Text == text && found == nil {
			found = b
		}
	})
	return found
}

// findEntry returns the first entry under o, if any.
func findEntry(o fyne.CanvasObject) *widget.Entry {
	var found *widget.Entry
	walk(o, func(c fyne.CanvasObject) {
		if e, ok := c.(*widget.Entry); ok && found == nil {
			found = e
		}
	})
	return found
}

// walk calls f on o and every object inside it, through containers and
// widgets' renderers.
func walk(o fyne.CanvasObject, f func(fyne.CanvasObject)) {
	if o == nil {
		return
	}
	f(o)
	switch c := o.(type) {
	case *fyne.Container:
		for _, k := range c.Objects {
			walk(k, f)
		}
	case fyne.Widget:
		for _, k := range test.WidgetRenderer(c).Objects() {
			walk(k, f)
		}
	}
}

// Only the current step keeps its screenshot's bytes; older ones are read
// back from the run's record when enlarged.
func TestLiveDropsOldFrames(t *testing.T) {
	l := newLive(func() {})
	l.redraw.do = func(f func()) {}
	for n := 1; n <= 3; n++ {
		f := perception.Frame{Bounds: monitor, Image: image.Pt(64, 36), MIME: "image/png", Data: screenshot(image.Pt(64, 36), n)}
		l.sink(planner.Event{Kind: planner.StepStarted, Step: n})
		l.sink(planner.Event{Kind: planner.FrameCaptured, Step: n, Frame: &f})
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.frames[1].Data != nil || l.frames[2].Data != nil || l.frames[3].Data == nil || l.frames[1].Image.X != 64 {
		t.Errorf("frames kept: %d, %d, %d bytes", len(l.frames[1].Data), len(l.frames[2].Data), len(l.frames[3].Data))
	}
}
