package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/deskhand/deskhand/actuation"
	"github.com/deskhand/deskhand/planner"
)

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(3 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		ok := false
		fyne.DoAndWait(func() { ok = cond() })
		if ok {
			return
		}
	}
	t.Fatal("condition not met in 3s")
}

func TestStartRunsTaskAndShowsSteps(t *testing.T) {
	a := test.NewTempApp(t)
	w := a.NewWindow("t")
	var gotTask string
	start := func(ctx context.Context, task string, ap planner.Approver, sink planner.EventSink) (planner.Result, error) {
		gotTask = task
		sink(planner.Event{Kind: planner.StepStarted, Step: 1})
		click := actuation.Action{Type: actuation.Click, X: actuation.Int(3), Y: actuation.Int(4), Button: "left", Clicks: 1}
		sink(planner.Event{Kind: planner.ActionExecuted, Step: 1, Action: &click})
		return planner.Result{Status: planner.StatusDone, Text: "all good", Steps: 1}, nil
	}
	u := NewUI(w, start)
	w.SetContent(u.Content())
	test.Type(u.Task, "open a terminal")
	test.Tap(u.Start)
	u.Wait()
	waitFor(t, func() bool { return strings.HasPrefix(u.Status.Text, "Done") })
	if gotTask != "open a terminal" {
		t.Errorf("task = %q", gotTask)
	}
	lines := strings.Join(u.Lines(), "\n")
	if !strings.Contains(lines, "Step 1") || !strings.Contains(lines, "left-click at (3, 4)") {
		t.Errorf("step log = %q", lines)
	}
	if u.Start.Disabled() || !u.Stop.Disabled() {
		t.Error("after the run Start should be enabled and Stop disabled")
	}
}

func TestStopCancelsWithStopped(t *testing.T) {
	a := test.NewTempApp(t)
	w := a.NewWindow("t")
	started := make(chan struct{})
	var cause error
	start := func(ctx context.Context, task string, ap planner.Approver, sink planner.EventSink) (planner.Result, error) {
		close(started)
		<-ctx.Done()
		cause = context.Cause(ctx)
		return planner.Result{Status: planner.StatusStopped}, cause
	}
	u := NewUI(w, start)
	w.SetContent(u.Content())
	test.Type(u.Task, "wait")
	test.Tap(u.Start)
	<-started
	test.Tap(u.Stop)
	u.Wait()
	waitFor(t, func() bool { return u.Status.Text == "Stopped." })
	if cause != planner.ErrStopped {
		t.Errorf("cancel cause = %v, want ErrStopped", cause)
	}
}

func TestEmptyTaskIsNotStarted(t *testing.T) {
	a := test.NewTempApp(t)
	w := a.NewWindow("t")
	called := false
	u := NewUI(w, func(context.Context, string, planner.Approver, planner.EventSink) (planner.Result, error) {
		called = true
		return planner.Result{}, nil
	})
	w.SetContent(u.Content())
	test.Tap(u.Start)
	if called || !strings.Contains(u.Status.Text, "Type a task") {
		t.Errorf("empty task: called=%v status=%q", called, u.Status.Text)
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
	key := actuation.Action{Type: actuation.Key, Keys: []string{"alt", "f4"}}
	line := describe(planner.Event{Kind: planner.ActionApproved, Action: &key, Risk: &high, Text: planner.AutoApproved})
	if !strings.Contains(line, "alt+f4") || !strings.Contains(line, "without asking") {
		t.Errorf("step line = %q", line)
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
