package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/deskhand/deskhand/planner"
)

// Starter runs one task with the given approver and event sink. The app calls it
// on a goroutine of its own; it must return when ctx is cancelled.
type Starter func(ctx context.Context, task string, approver planner.Approver, sink planner.EventSink) (planner.Result, error)

// UI is the main window's content: a task box, Start and Stop, and the steps of the
// current run. All its fields are touched only on fyne's goroutine.
type UI struct {
	Task   *widget.Entry
	Start  *widget.Button
	Stop   *widget.Button
	Status *widget.Label
	Steps  *widget.List

	// Overlay, when not nil, asks on the screen at the target too; the window's
	// dialog asks either way, and the first answer wins.
	Overlay asker

	lines  []string
	win    fyne.Window
	start  Starter
	cancel context.CancelCauseFunc
	done   chan struct{} // closed when the running task's goroutine ends
}

// NewUI builds the window's content; start runs tasks.
func NewUI(win fyne.Window, start Starter) *UI {
	u := &UI{win: win, start: start}
	u.Task = widget.NewEntry()
	u.Task.SetPlaceHolder("What should deskhand do? e.g. open a terminal and list my files")
	u.Task.OnSubmitted = func(string) { u.onStart() }
	u.Start = widget.NewButton("Start", u.onStart)
	u.Start.Importance = widget.HighImportance
	u.Stop = widget.NewButton("Stop", u.onStop)
	u.Stop.Disable()
	u.Status = widget.NewLabel("Ready.")
	u.Status.Wrapping = fyne.TextWrapWord
	u.Steps = widget.NewList(
		func() int { return len(u.lines) },
		func() fyne.CanvasObject { l := widget.NewLabel(""); l.Wrapping = fyne.TextWrapWord; return l },
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(u.lines[i]) },
	)
	return u
}

// Content is the window's layout.
func (u *UI) Content() fyne.CanvasObject {
	top := container.NewBorder(nil, nil, nil, container.NewHBox(u.Start, u.Stop), u.Task)
	return container.NewBorder(container.NewVBox(top, u.Status), nil, nil, nil, u.Steps)
}

// Lines returns the step log as shown.
func (u *UI) Lines() []string { return append([]string(nil), u.lines...) }

// Wait blocks until the running task, if any, has ended. For tests.
func (u *UI) Wait() {
	if u.done != nil {
		<-u.done
	}
}

func (u *UI) onStart() {
	task := strings.TrimSpace(u.Task.Text)
	if task == "" {
		u.Status.SetText("Type a task first, e.g. \"open a terminal and list my files\".")
		return
	}
	if u.cancel != nil {
		return
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	u.cancel = cancel
	u.done = make(chan struct{})
	u.lines = nil
	u.Steps.Refresh()
	u.Start.Disable()
	u.Stop.Enable()
	u.Status.SetText("Running: " + task)
	done := u.done
	// The run's goroutine: owned by this UI, ends when Run returns (task finished
	// or Stop pressed); it touches widgets only through fyne.Do.
	go func() {
		defer close(done)
		res, err := u.start(ctx, task, approver{win: u.win, overlay: u.Overlay}, u.sink)
		fyne.Do(func() { u.finish(res, err) })
	}()
}

func (u *UI) onStop() {
	if u.cancel != nil {
		u.cancel(planner.ErrStopped)
	}
}

func (u *UI) sink(e planner.Event) {
	line := describe(e)
	if line == "" {
		return
	}
	fyne.Do(func() {
		u.lines = append(u.lines, line)
		u.Steps.Refresh()
		u.Steps.ScrollToBottom()
	})
}

func (u *UI) finish(res planner.Result, err error) {
	u.cancel(nil)
	u.cancel = nil
	u.Start.Enable()
	u.Stop.Disable()
	switch {
	case res.Status == planner.StatusDone:
		u.Status.SetText("Done: " + res.Text)
	case errors.Is(err, planner.ErrPanicKey):
		u.Status.SetText("Stopped by the panic key.")
	case errors.Is(err, planner.ErrStopped) || res.Status == planner.StatusStopped:
		u.Status.SetText("Stopped.")
	case res.Status == planner.StatusAsked:
		u.Status.SetText("The model asks: " + res.Text)
	case err != nil:
		u.Status.SetText("Failed: " + err.Error())
	default:
		u.Status.SetText(fmt.Sprintf("Ended: %s", res.Status))
	}
}

// describe turns an event into a line of the step log, or "" for none.
func describe(e planner.Event) string {
	switch e.Kind {
	case planner.StepStarted:
		return fmt.Sprintf("Step %d: looking at the screen…", e.Step)
	case planner.Decided:
		if e.Decision != nil && e.Decision.Thought != "" {
			return "  Thought: " + e.Decision.Thought
		}
	case planner.ActionApproved:
		if e.Text == planner.AutoApproved && e.Risk != nil {
			if t := riskText(*e.Risk); t != "" {
				return "  " + t + " (approved without asking)"
			}
		}
	case planner.ActionExecuted:
		return "  Did: " + e.Action.Describe()
	case planner.ActionSkipped:
		return "  Skipped: " + e.Action.Describe()
	case planner.ActionRejected, planner.ActionFailed:
		return "  Not done: " + e.Error
	case planner.ReplyRejected:
		return "  Reply not usable, asking again: " + e.Error
	}
	return ""
}

// riskText is the line that shows a high risk with its reasons, or "" for lower
// (and unclassified) risks.
func riskText(r planner.Risk) string {
	if r.Level == "" || !r.High() {
		return ""
	}
	if len(r.Reasons) == 0 {
		return "High risk."
	}
	return "High risk: " + strings.Join(r.Reasons, "; ") + "."
}
