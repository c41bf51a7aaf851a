// Package history reads the runs deskhand recorded (planner.Trace folders:
// run-YYYYMMDD-HHMMSS with trace.jsonl and step-NNN.png) back into steps, and
// exports one as a single self-contained HTML page to share.
//
// The same folding of events into steps serves the app's live step list: Run.Apply
// takes the planner's events as they happen, streamed deltas included, and Load
// replays a trace's lines through it. It is plain Go, with no display and no fyne.
package history

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/deskhand/deskhand/actuation"
	"github.com/deskhand/deskhand/perception"
	"github.com/deskhand/deskhand/planner"
)

// TraceFile is the name of a run's event log inside its folder.
const TraceFile = "trace.jsonl"

// Run is one run folded into steps.
type Run struct {
	Dir     string // the run's folder; "" for a live run not read from disk
	Task    string
	Model   string
	Adapter string
	Started time.Time
	Ended   time.Time // zero while running, or when the process died mid-run
	// Finished reports a run_finished event: without one the run is still
	// going, or the process was killed.
	Finished bool
	Status   planner.Status
	Text     string // the model's last words: the answer, question or reason
	Error    string
	LoadMs   float64 // loading the model into memory, before the first step
	Steps    []*Step
}

// Step is one capture, the model's reply to it and the actions that followed.
type Step struct {
	N int
	// Image is the file of the frame in the run's folder ("" if none was saved);
	// Frame is its geometry, with Data empty until LoadFrame reads it.
	Image string
	Frame *perception.Frame
	// Thinking and Reply are the model's thinking and answer: streamed in by
	// deltas while it decodes, then replaced by the whole reply.
	Thinking string
	Reply    string
	Replied  bool   // the whole reply has come
	Thought  string // the reasoning the adapter parsed out of the reply
	Actions  []*Act
	// Notes are the things that went wrong but did not end the run: replies that
	// could not be used, a switch to the text format.
	Notes []string
	// Millis holds the step's timings (capture, first_token, model, load,
	// prompt_eval, eval, act, settle), act summed over the step's actions.
	Millis       map[string]float64
	PromptTokens int
	EvalTokens   int
	Started      time.Time
	Settled      bool // the screen settled after the step's actions
}

// Outcome is what became of a proposed action.
type Outcome string

// The outcomes of an action, Pending until the user or the policy decides.
const (
	Pending  Outcome = "pending"  // proposed, not yet approved
	Approved Outcome = "approved" // approved, not yet done
	Executed Outcome = "done"
	Skipped  Outcome = "skipped"
	Rejected Outcome = "rejected" // invalid: never performed
	Failed   Outcome = "failed"
	// Interrupted: the user took over while it ran; it may be half done.
	Interrupted Outcome = "interrupted"
)

// Act is one action of a step.
type Act struct {
	Action  actuation.Action // as proposed (normalised)
	Edited  *actuation.Action
	Risk    *planner.Risk
	Outcome Outcome
	Auto    bool   // approved by the policy without asking
	Error   string // why it was rejected or failed, or the user's reason to skip
}

// Done is the action that ran or will run: the edited one if the user edited it.
func (a *Act) Done() actuation.Action {
	if a.Edited != nil {
		return *a.Edited
	}
	return a.Action
}

// line is one line of trace.jsonl: an event and, for a capture, its image file.
type line struct {
	planner.Event
	Image string `json:"image,omitempty"`
}

// Apply folds one event into the run. image is the frame's file name in the
// run's folder, for frame_captured events read from a trace ("" otherwise).
func (r *Run) Apply(e planner.Event, image string) {
	s := r.step(e.Step)
	switch e.Kind {
	case planner.RunStarted:
		r.Task, r.Model, r.Adapter, r.Started = e.Task, e.Model, e.Adapter, e.Time
	case planner.ModelLoaded:
		r.LoadMs = e.Millis["load"]
	case planner.StepStarted:
		if s == nil {
			s = &Step{N: e.Step, Started: e.Time, Millis: map[string]float64{}}
			r.Steps = append(r.Steps, s)
		}
	case planner.RunFinished:
		r.Finished, r.Ended = true, e.Time
		r.Status, r.Text, r.Error = e.Status, e.Text, e.Error
	}
	if s == nil {
		return
	}
	for k, v := range e.Millis {
		if k == "act" {
			s.Millis[k] += v
		} else {
			s.Millis[k] = v
		}
	}
	switch e.Kind {
	case planner.FrameCaptured:
		s.Frame, s.Image = e.Frame, image
	case planner.ThinkingDelta:
		if s.Replied {
			s.Thinking, s.Reply, s.Replied = "", "", false // a re-ask streams anew
		}
		s.Thinking += e.Thinking
	case planner.ContentDelta:
		if s.Replied {
			s.Thinking, s.Reply, s.Replied = "", "", false
		}
		s.Reply += e.Text
	case planner.ModelReplied:
		s.Thinking, s.Reply, s.Replied = e.Thinking, e.Text, true
		s.PromptTokens += e.PromptEvalCount
		s.EvalTokens += e.EvalCount
	case planner.ReplyRejected:
		s.Notes = append(s.Notes, "The reply could not be used: "+e.Error)
	case planner.SwitchedToText:
		s.Notes = append(s.Notes, "Switched to the model's text format: "+e.Error)
	case planner.Decided:
		if e.Decision != nil {
			s.Thought = e.Decision.Thought
		}
	case planner.ActionProposed:
		if e.Action != nil {
			s.Actions = append(s.Actions, &Act{Action: *e.Action, Risk: e.Risk, Outcome: Pending})
		}
	case planner.ActionApproved:
		if a := s.open(); a != nil {
			a.Outcome, a.Auto = Approved, e.Text == planner.AutoApproved
		}
	case planner.ActionEdited:
		if a := s.open(); a != nil && e.Action != nil {
			edited := *e.Action
			a.Edited, a.Outcome = &edited, Approved
		}
	case planner.ActionSkipped:
		if a := s.open(); a != nil {
			a.Outcome, a.Error = Skipped, e.Text
		}
	case planner.ActionRejected:
		// Rejected before it was proposed (the model's action was invalid), or
		// after (the user's edit was).
		if a := s.open(); a != nil && a.Outcome == Pending {
			a.Outcome, a.Error = Rejected, e.Error
		} else if e.Action != nil {
			s.Actions = append(s.Actions, &Act{Action: *e.Action, Outcome: Rejected, Error: e.Error})
		}
	case planner.ActionExecuted:
		if a := s.open(); a != nil {
			a.Outcome = Executed
		}
	case planner.ActionFailed:
		if a := s.open(); a != nil {
			a.Outcome, a.Error = Failed, e.Error
		}
	case planner.Paused:
		if a := s.open(); a != nil {
			a.Outcome, a.Error = Interrupted, e.Text
		}
	case planner.ScreenSettled:
		s.Settled = true
	}
}

// step returns step n, or nil.
func (r *Run) step(n int) *Step {
	if n <= 0 {
		return nil
	}
	for i := len(r.Steps) - 1; i >= 0; i-- {
		if r.Steps[i].N == n {
			return r.Steps[i]
		}
	}
	return nil
}

// open is the step's last action if it is still waiting or running.
func (s *Step) open() *Act {
	if len(s.Actions) == 0 {
		return nil
	}
	a := s.Actions[len(s.Actions)-1]
	if a.Outcome != Pending && a.Outcome != Approved {
		return nil
	}
	return a
}

// Marked is the action to draw on the step's frame: the first with a point on
// the screen, as it ran if the user edited it. ok is false if there is none.
func (s *Step) Marked() (actuation.Action, bool) {
	for _, a := range s.Actions {
		if d := a.Done(); d.X != nil && d.Y != nil {
			return d, true
		}
	}
	return actuation.Action{}, false
}

// Duration is how long the run took, or has taken so far by its last step.
func (r *Run) Duration() time.Duration {
	end := r.Ended
	if end.IsZero() && len(r.Steps) > 0 {
		end = r.Steps[len(r.Steps)-1].Started
	}
	if end.IsZero() || r.Started.IsZero() {
		return 0
	}
	return end.Sub(r.Started)
}

// Load reads the run recorded in dir. Lines it cannot read (a line cut short
// by a crash) are skipped: a killed process still leaves a readable run.
func Load(dir string) (*Run, error) {
	data, err := os.ReadFile(filepath.Join(dir, TraceFile))
	if err != nil {
		return nil, fmt.Errorf("read the run in %s: %w", dir, err)
	}
	r := &Run{Dir: dir}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
	for sc.Scan() {
		var l line
		if json.Unmarshal(sc.Bytes(), &l) != nil || l.Kind == "" {
			continue
		}
		r.Apply(l.Event, safeName(l.Image))
	}
	if err := sc.Err(); err != nil {
		return r, fmt.Errorf("read the run in %s: %w", dir, err)
	}
	if r.Started.IsZero() {
		return nil, fmt.Errorf("%s is not a deskhand run: its %s has no run_started event", dir, TraceFile)
	}
	return r, nil
}

// safeName keeps an image name that stays inside the run's folder.
func safeName(name string) string {
	if name == "" || name != filepath.Base(name) || strings.HasPrefix(name, ".") {
		return ""
	}
	return name
}

// LoadFrame returns step s's frame with its image bytes read from the run's
// folder.
func (r *Run) LoadFrame(s *Step) (perception.Frame, error) {
	if s.Frame == nil || s.Image == "" || r.Dir == "" {
		return perception.Frame{}, fmt.Errorf("step %d has no saved screenshot", s.N)
	}
	f := *s.Frame
	data, err := os.ReadFile(filepath.Join(r.Dir, s.Image))
	if err != nil {
		return perception.Frame{}, fmt.Errorf("read the screenshot of step %d: %w", s.N, err)
	}
	f.Data = data
	if f.MIME == "" {
		f.MIME = "image/png"
		if strings.HasSuffix(s.Image, ".jpg") {
			f.MIME = "image/jpeg"
		}
	}
	return f, nil
}

// List reads every run under root, newest first. A folder that is not a run is
// left out; a missing root is no runs.
func List(root string) ([]*Run, error) {
	entries, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list past runs: %w", err)
	}
	var runs []*Run
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), "run-") {
			continue
		}
		r, err := Load(filepath.Join(root, e.Name()))
		if err != nil {
			continue
		}
		runs = append(runs, r)
	}
	slices.SortStableFunc(runs, func(a, b *Run) int {
		if c := b.Started.Compare(a.Started); c != 0 {
			return c
		}
		return strings.Compare(b.Dir, a.Dir)
	})
	return runs, nil
}
