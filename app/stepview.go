package app

import (
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/deskhand/deskhand/actuation"
	"github.com/deskhand/deskhand/app/history"
	"github.com/deskhand/deskhand/app/overlay"
	"github.com/deskhand/deskhand/planner"
)

// stepView is what a row of the step list shows, worked out from the live
// state under its lock and drawn after.
type stepView struct {
	N        int
	Title    string
	Status   string
	Tone     widget.Importance
	Thinking string // the tail of the streaming thoughts, or the parsed thought
	Actions  string
	Timings  string
	Thumb    image.Image
}

// thinkingTail is how much of the streaming thinking a row shows: the end of
// it, where the model is.
const thinkingTail = 480

func viewOf(r *history.Run, s *history.Step, thumb image.Image, asking bool) stepView {
	v := stepView{N: s.N, Thumb: thumb, Timings: history.Timings(s)}
	v.Title = stepTitle(s)
	v.Status, v.Tone = stepStatus(r, s, asking)
	switch {
	case !s.Replied && (s.Thinking != "" || s.Reply != ""):
		v.Thinking = tail(strings.TrimSpace(s.Thinking+"\n"+s.Reply), thinkingTail)
	case s.Thought != "":
		v.Thinking = "Thought: " + s.Thought
	}
	var lines []string
	for _, a := range s.Actions {
		l := a.Describe()
		if a.Risk != nil {
			if t := riskText(*a.Risk); t != "" {
				l += " — " + t
			}
		}
		lines = append(lines, l)
	}
	lines = append(lines, s.Notes...)
	v.Actions = strings.Join(lines, "\n")
	return v
}

// stepTitle is "Step 3 · Left-click at (812, 344)", after the step's first
// action.
func stepTitle(s *history.Step) string {
	if len(s.Actions) == 0 {
		return fmt.Sprintf("Step %d", s.N)
	}
	return overlay.Title(overlay.Prompt{Step: s.N, Action: s.Actions[0].Done()})
}

// stepStatus says where the step is, and in which tone.
func stepStatus(r *history.Run, s *history.Step, asking bool) (string, widget.Importance) {
	last := len(r.Steps) > 0 && r.Steps[len(r.Steps)-1] == s
	switch {
	case asking:
		return "Waiting for your approval", widget.WarningImportance
	case last && r.Finished:
		return finishedStatus(r)
	case s.Frame == nil:
		return "Looking at the screen…", widget.MediumImportance
	case !s.Replied && s.Thinking == "" && s.Reply == "":
		return "Waiting for the model…", widget.MediumImportance
	case !s.Replied && s.Reply == "":
		return "Thinking…", widget.MediumImportance
	case !s.Replied:
		return "Answering…", widget.MediumImportance
	}
	acted, failed, skipped := 0, 0, 0
	for _, a := range s.Actions {
		switch a.Outcome {
		case history.Pending, history.Approved:
			return "Acting…", widget.MediumImportance
		case history.Executed:
			acted++
		case history.Failed, history.Rejected, history.Interrupted:
			failed++
		case history.Skipped:
			skipped++
		}
	}
	switch {
	case !s.Settled && (acted > 0 || last):
		return "Waiting for the screen to settle…", widget.MediumImportance
	case failed > 0:
		return "Done, with problems", widget.WarningImportance
	case acted == 0 && skipped > 0:
		return "Skipped", widget.MediumImportance
	}
	return "Done", widget.SuccessImportance
}

// finishedStatus is the last step's status: how the run ended.
func finishedStatus(r *history.Run) (string, widget.Importance) {
	switch r.Status {
	case planner.StatusDone:
		return "Task done", widget.SuccessImportance
	case planner.StatusStopped:
		return "Stopped", widget.MediumImportance
	case planner.StatusAsked:
		return "The model needs you", widget.WarningImportance
	case planner.StatusLimit:
		return "Stopped at a limit", widget.WarningImportance
	}
	return "Failed", widget.DangerImportance
}

// tail is the last n runes of s, after an ellipsis if cut, starting at a word.
func tail(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	t := string(r[len(r)-n:])
	if i := strings.IndexAny(t, " \n"); i >= 0 && i < 40 {
		t = t[i+1:]
	}
	return "…" + t
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

// stepRow is one step in the list: the picture on the left, words on the right.
type stepRow struct {
	u        *UI
	n        int
	box      *fyne.Container
	thumb    *tapImage
	title    *widget.Label
	status   *widget.Label
	thinking *widget.Label
	actions  *widget.Label
	timings  *widget.Label
}

// The step list's picture size on the screen.
var thumbSize = fyne.NewSize(240, 135)

func newStepRow(u *UI, n int) *stepRow {
	r := &stepRow{u: u, n: n}
	r.thumb = newTapImage(thumbSize, r.enlarge)
	r.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	r.status = widget.NewLabel("")
	r.thinking = widget.NewLabel("")
	r.thinking.Wrapping = fyne.TextWrapWord
	r.thinking.TextStyle = fyne.TextStyle{Italic: true}
	r.actions = widget.NewLabel("")
	r.actions.Wrapping = fyne.TextWrapWord
	r.timings = widget.NewLabel("")
	r.timings.Wrapping = fyne.TextWrapWord
	r.timings.Importance = widget.LowImportance
	words := container.NewVBox(container.NewHBox(r.title, r.status), r.thinking, r.actions, r.timings)
	r.box = container.NewVBox(container.NewBorder(nil, nil, container.NewPadded(r.thumb), nil, words), widget.NewSeparator())
	return r
}

func (r *stepRow) set(v stepView) {
	r.title.SetText(v.Title)
	if r.status.Importance != v.Tone {
		r.status.Importance = v.Tone
		r.status.Refresh()
	}
	r.status.SetText(v.Status)
	setShown(r.thinking, v.Thinking)
	setShown(r.actions, v.Actions)
	setShown(r.timings, v.Timings)
	r.thumb.SetImage(v.Thumb)
}

// setShown sets l's text and hides it when empty, so rows take no room for
// what they do not have yet.
func setShown(l *widget.Label, text string) {
	if l.Text != text {
		l.SetText(text)
	}
	if text == "" {
		l.Hide()
	} else {
		l.Show()
	}
}

// enlarge shows the step's frame with its action drawn, as big as the window
// allows.
func (r *stepRow) enlarge() {
	l := r.u.live
	l.mu.Lock()
	f, ok := l.frames[r.n]
	var act actuation.Action
	title := fmt.Sprintf("Step %d", r.n)
	if s := l.step(r.n); s != nil {
		act, _ = s.Marked()
		title = stepTitle(s)
	}
	l.mu.Unlock()
	if !ok {
		return
	}
	if len(f.Data) == 0 && r.u.traceDir != "" {
		ext := ".png"
		if f.MIME == "image/jpeg" {
			ext = ".jpg"
		}
		data, err := os.ReadFile(filepath.Join(r.u.traceDir, fmt.Sprintf("step-%03d%s", r.n, ext)))
		if err != nil {
			dialog.ShowError(fmt.Errorf("the screenshot of step %d is gone from the run's record: %w", r.n, err), r.u.win)
			return
		}
		f.Data = data
	}
	if len(f.Data) > 0 {
		showFrame(r.u.win, title, f, act)
	}
}
