package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/deskhand/deskhand/app/history"
	"github.com/deskhand/deskhand/planner"
)

// Job is one task to run, with everything the run needs from the window.
type Job struct {
	Task     string
	Settings Settings
	Approver planner.Approver
	Events   planner.EventSink
	// Traced, if not nil, is told the folder the run is recorded in.
	Traced func(dir string)
}

// Starter runs one job. The app calls it on a goroutine of its own; it must
// return when ctx is cancelled.
type Starter func(ctx context.Context, job Job) (planner.Result, error)

// UI is the main window's content: the setup checks, a task box, the model
// picker, Start and Stop, and the steps of the current run. All its fields are
// touched only on fyne's goroutine.
type UI struct {
	Task   *widget.Entry
	Start  *widget.Button
	Stop   *widget.Button
	Status *widget.Label
	Models *ModelPicker
	Checks *Checks

	// Overlay, when not nil, asks on the screen at the target too; the window's
	// dialog asks either way, and the first answer wins.
	Overlay asker
	// OnRunning, if set, is told when a run starts and ends (the tray's Stop).
	OnRunning func(running bool)

	settings *settingsStore
	win      fyne.Window
	start    Starter
	cancel   context.CancelCauseFunc
	done     chan struct{} // closed when the running task's goroutine ends
	traceDir string        // where the running or last run is recorded

	live   *live
	steps  *fyne.Container // the rows, one per step
	empty  *widget.Label   // what the list is for, before the first run
	scroll *container.Scroll
	rows   map[int]*stepRow
}

// NewUI builds the window's content; start runs tasks, catalog lists the
// installed models (nil: no picker, for tests), and settings are the user's.
func NewUI(win fyne.Window, settings *settingsStore, start Starter, catalog Catalog) *UI {
	u := &UI{win: win, start: start, settings: settings, rows: map[int]*stepRow{}}
	u.Task = widget.NewEntry()
	u.Task.SetPlaceHolder("What should deskhand do? e.g. open a terminal and list my files")
	u.Task.OnSubmitted = func(string) { u.onStart() }
	u.Start = widget.NewButton("Start", func() { u.onStart() })
	u.Start.Importance = widget.HighImportance
	u.Stop = widget.NewButton("Stop", u.onStop)
	u.Stop.Disable()
	u.Status = widget.NewLabel("Type a task and press Start. deskhand asks before every action.")
	u.Status.Wrapping = fyne.TextWrapWord
	u.empty = widget.NewLabel("The steps show here as deskhand works: what it saw, what it thought, and what it did or wants to do.")
	u.empty.Wrapping = fyne.TextWrapWord
	u.empty.Importance = widget.LowImportance
	u.steps = container.NewVBox(u.empty)
	u.scroll = container.NewVScroll(u.steps)
	u.live = newLive(u.draw)
	if catalog != nil {
		u.Models = NewModelPicker(settings, catalog)
		u.Checks = NewChecks(settings, u.Models)
	}
	return u
}

// Content is the run tab's layout.
func (u *UI) Content() fyne.CanvasObject {
	task := container.NewBorder(nil, nil, nil, container.NewHBox(u.Start, u.Stop), u.Task)
	top := container.NewVBox()
	if u.Checks != nil {
		top.Add(u.Checks.Content())
	}
	top.Add(task)
	if u.Models != nil {
		top.Add(u.Models.Content())
	}
	top.Add(u.Status)
	top.Add(widget.NewSeparator())
	return container.NewBorder(top, nil, nil, nil, u.scroll)
}

// Running reports whether a task is running.
func (u *UI) Running() bool { return u.cancel != nil }

// Wait blocks until the running task, if any, has ended. For tests.
func (u *UI) Wait() {
	if u.done != nil {
		<-u.done
	}
}

// StartTask puts task in the task box and starts it, as the task bar does. It
// returns false, saying why in the status line, if it cannot start.
func (u *UI) StartTask(task string) bool {
	u.Task.SetText(task)
	return u.onStart()
}

func (u *UI) onStart() bool {
	task := strings.TrimSpace(u.Task.Text)
	if task == "" {
		u.Status.SetText("Type a task first, e.g. \"open a terminal and list my files\".")
		return false
	}
	if u.cancel != nil {
		u.Status.SetText("A task is running: press Stop before starting another.")
		return false
	}
	s := u.settings.Get()
	if err := s.Validate(); err != nil {
		u.Status.SetText("Fix the settings first: " + err.Error())
		return false
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	u.cancel = cancel
	u.done = make(chan struct{})
	u.traceDir = ""
	u.live.reset()
	u.steps.RemoveAll()
	u.rows = map[int]*stepRow{}
	u.Start.Disable()
	u.Stop.Enable()
	u.Task.Disable()
	u.Status.SetText("Starting: " + task)
	if s.Policy == planner.ConfirmNone {
		u.Status.SetText("Starting without asking before actions (Settings): " + task)
	}
	if u.OnRunning != nil {
		u.OnRunning(true)
	}
	done := u.done
	stopThumbs := make(chan struct{})
	go u.live.thumbnails(stopThumbs) // ends after the run, once its last pictures are drawn
	job := Job{Task: task, Settings: s, Events: u.live.sink,
		Approver: trackingApprover{live: u.live, next: approver{win: u.win, overlay: u.Overlay}},
		Traced:   func(dir string) { fyne.Do(func() { u.traceDir = dir }) },
	}
	// The run's goroutine: owned by this UI, ends when start returns (task
	// finished or Stop pressed); it touches widgets only through fyne.Do.
	go func() {
		defer close(done)
		res, err := u.start(ctx, job)
		close(stopThumbs)
		fyne.Do(func() { u.finish(res, err) })
	}()
	return true
}

func (u *UI) onStop() {
	if u.cancel != nil {
		u.cancel(planner.ErrStopped)
		u.Status.SetText("Stopping…")
	}
}

// StopTask stops the running task, if any (the tray's Stop).
func (u *UI) StopTask() { u.onStop() }

func (u *UI) finish(res planner.Result, err error) {
	u.cancel(nil)
	u.cancel = nil
	u.Start.Enable()
	u.Stop.Disable()
	u.Task.Enable()
	u.Status.SetText(outcome(res, err))
	u.Status.Importance = widget.MediumImportance
	switch {
	case res.Status == planner.StatusDone:
		u.Status.Importance = widget.SuccessImportance
	case err != nil && !errors.Is(err, planner.ErrStopped) && !errors.Is(err, planner.ErrPanicKey) && res.Status != planner.StatusAsked:
		u.Status.Importance = widget.DangerImportance
	}
	u.Status.Refresh()
	u.live.redraw.poke()
	if u.OnRunning != nil {
		u.OnRunning(false)
	}
}

// outcome says how a run ended, and what to do next where there is something
// to do.
func outcome(res planner.Result, err error) string {
	switch {
	case res.Status == planner.StatusDone:
		return "Done: " + res.Text
	case errors.Is(err, planner.ErrPanicKey):
		return "Stopped by the stop key."
	case errors.Is(err, planner.ErrStopped) || res.Status == planner.StatusStopped:
		return "Stopped."
	case res.Status == planner.StatusAsked:
		return "The model asks: " + strings.TrimPrefix(res.Text, "the model asks for you: ")
	case err != nil:
		return "Failed: " + err.Error()
	}
	return fmt.Sprintf("Ended: %s", res.Status)
}

// trackingApprover marks the step that waits for the user in the step list.
type trackingApprover struct {
	live *live
	next planner.Approver
}

func (t trackingApprover) Approve(ctx context.Context, req planner.ApprovalRequest) (planner.Approval, error) {
	t.live.setAsking(req.Step)
	defer t.live.setAsking(0)
	return t.next.Approve(ctx, req)
}

// draw brings the step list and the run's line up to date with the live
// state. It runs on fyne's goroutine, at most 20 times a second.
func (u *UI) draw() {
	l := u.live
	l.mu.Lock()
	dirty := l.dirty
	l.dirty = map[int]bool{}
	var views []stepView
	for _, s := range l.run.Steps {
		if dirty[s.N] {
			views = append(views, viewOf(&l.run, s, l.thumbs[s.N], l.asking == s.N))
		}
	}
	head, running := "", !l.run.Finished && !l.run.Started.IsZero()
	if dirty[0] && running {
		s := u.settings.Get()
		head = headline(&l.run, l.loading, s.MaxSteps)
		if s.Policy == planner.ConfirmNone {
			head += " — not asking before actions"
		}
	}
	l.mu.Unlock()

	follow := u.scroll.Offset.Y+u.scroll.Size().Height >= u.steps.MinSize().Height-32
	added := false
	for _, v := range views {
		r, ok := u.rows[v.N]
		if !ok {
			r = newStepRow(u, v.N)
			u.rows[v.N] = r
			u.steps.Add(r.box)
			added = true
		}
		r.set(v)
	}
	if head != "" && u.cancel != nil {
		u.Status.SetText(head)
	}
	if (added || len(views) > 0) && follow {
		u.scroll.ScrollToBottom()
	}
}

// headline is the status line of a running run.
func headline(r *history.Run, loading bool, maxSteps int) string {
	model := r.Model
	if model == "" {
		model = "the model"
	}
	if loading {
		return fmt.Sprintf("Loading %s into memory… (the first time after a restart can take a minute)", model)
	}
	n := len(r.Steps)
	if n == 0 {
		return fmt.Sprintf("Running with %s: %s", model, r.Task)
	}
	return fmt.Sprintf("Step %d of at most %d with %s: %s", r.Steps[n-1].N, maxSteps, model, r.Task)
}

// StepTexts returns each step's title and status as shown, for tests.
func (u *UI) StepTexts() []string {
	ns := make([]int, 0, len(u.rows))
	for n := range u.rows {
		ns = append(ns, n)
	}
	slices.Sort(ns)
	var out []string
	for _, n := range ns {
		r := u.rows[n]
		out = append(out, r.title.Text+" | "+r.status.Text+" | "+r.actions.Text+" | "+r.thinking.Text)
	}
	return out
}
