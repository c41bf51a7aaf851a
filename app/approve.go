package app

import (
	"context"
	"fmt"
	"image"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/deskhand/deskhand/actuation"
	"github.com/deskhand/deskhand/app/overlay"
	"github.com/deskhand/deskhand/planner"
)

// asker shows a prompt on the screen and waits for the answer: *overlay.Overlay.
type asker interface {
	Ask(ctx context.Context, p overlay.Prompt) (overlay.Answer, error)
}

// approver asks before each action in two places at once: on the screen at the
// target (the overlay, where there is one) and in a dialog of the main window,
// which also shows the frame with the target drawn. The first answer wins and
// takes the other away; a stopped run wins over both.
type approver struct {
	win     fyne.Window
	overlay asker
}

func (a approver) Approve(ctx context.Context, req planner.ApprovalRequest) (planner.Approval, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	answers := make(chan planner.Approval, 2)
	if a.overlay != nil {
		// The overlay's goroutine ends when it is answered or ctx is cancelled,
		// which happens when Approve returns.
		go func() {
			ans, err := a.overlay.Ask(ctx, promptOf(req))
			if err != nil {
				if ctx.Err() == nil && a.win != nil {
					// The overlay could not ask: the dialog still does, in a
					// window that may have stepped aside for the run.
					fyne.Do(func() { a.win.Show(); a.win.RequestFocus() })
				}
				return
			}
			if ap, ok := a.fromOverlay(ctx, req, ans); ok {
				answers <- ap
			}
		}()
	}
	d := a.dialog(req, answers)
	defer fyne.Do(d.Hide)
	select {
	case ap := <-answers:
		return ap, nil
	case <-ctx.Done():
		return planner.Approval{}, context.Cause(ctx)
	}
}

// promptOf is the overlay's prompt for req.
func promptOf(req planner.ApprovalRequest) overlay.Prompt {
	p := overlay.Prompt{Step: req.Step, Action: req.Action, Monitor: req.Frame.Bounds, Thought: req.Thought}
	if req.Risk.Level != "" {
		p.Risk, p.Reasons = string(req.Risk.Level), req.Risk.Reasons
	}
	return p
}

// fromOverlay turns the overlay's answer into an approval; Edit without a point
// asks for the new text or keys in the window. ok is false if that edit was
// cancelled: the dialog is still up and still asks.
func (a approver) fromOverlay(ctx context.Context, req planner.ApprovalRequest, ans overlay.Answer) (planner.Approval, bool) {
	switch ans.Choice {
	case overlay.Approve:
		return planner.Approval{Verdict: planner.Approve}, true
	case overlay.Skip:
		return planner.Approval{Verdict: planner.Skip}, true
	case overlay.Stop:
		return planner.Approval{Verdict: planner.Quit}, true
	case overlay.Edit:
		if ans.Point != nil {
			return planner.Approval{Verdict: planner.Edit, Action: movedTo(req.Action, *ans.Point)}, true
		}
		edited := make(chan planner.Approval, 1)
		fyne.Do(func() { a.editText(req, edited) })
		select {
		case ap, ok := <-edited:
			return ap, ok
		case <-ctx.Done():
			return planner.Approval{}, false
		}
	}
	return planner.Approval{}, false
}

// Pause shows the window with what was interrupted, and waits for the user to
// hand control back (Continue) or end the run (Stop). The window comes back even
// where it steps aside during runs: the user is at the desktop now.
func (a approver) Pause(ctx context.Context, req planner.PauseRequest) (bool, error) {
	if a.win == nil {
		return false, nil
	}
	answers := make(chan bool, 1)
	var d dialog.Dialog
	fyne.DoAndWait(func() {
		msg := widget.NewLabel(pauseText(req))
		msg.Wrapping = fyne.TextWrapWord
		answer := func(v bool) func() {
			return func() {
				select {
				case answers <- v:
				default:
				}
			}
		}
		buttons := container.NewHBox(widget.NewButton("Continue", answer(true)), widget.NewButton("Stop", answer(false)))
		buttons.Objects[0].(*widget.Button).Importance = widget.HighImportance
		d = dialog.NewCustomWithoutButtons(fmt.Sprintf("Paused at step %d", req.Step), container.NewVBox(msg, buttons), a.win)
		a.win.Show()
		d.Show()
		// Wide enough to read (wrapped text has no width of its own), then as
		// tall as the text needs at that width.
		d.Resize(fyne.NewSize(480, 200))
		d.Resize(fyne.NewSize(480, d.MinSize().Height))
	})
	defer fyne.Do(d.Hide)
	select {
	case v := <-answers:
		if v && a.overlay != nil {
			// Back to the run: the window steps aside again (see OnRunning), or
			// it would be in the next screenshot.
			fyne.Do(a.win.Hide)
		}
		return v, nil
	case <-ctx.Done():
		return false, context.Cause(ctx)
	}
}

// pauseText says why deskhand paused and what happens next.
func pauseText(req planner.PauseRequest) string {
	reason := req.Reason
	if reason != "" {
		reason = strings.ToUpper(reason[:1]) + reason[1:]
	}
	return fmt.Sprintf("%s, so deskhand stepped back in the middle of: %s.\n\nThe desktop is yours. When you continue, deskhand looks at the screen again and tells the model the action may be incomplete.", reason, req.Action.Describe())
}

// movedTo returns a with its point (a drag's start) at p.
func movedTo(a actuation.Action, p image.Point) actuation.Action {
	x, y := p.X, p.Y
	a.X, a.Y = &x, &y
	return a
}

// dialog shows the window's approval dialog: what will happen, the frame with
// the target drawn, the risk and the model's thought, and the four answers.
func (a approver) dialog(req planner.ApprovalRequest, answers chan<- planner.Approval) dialog.Dialog {
	var d dialog.Dialog
	fyne.DoAndWait(func() {
		title := widget.NewLabelWithStyle(overlay.Title(promptOf(req)), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		title.Wrapping = fyne.TextWrapWord
		body := container.NewVBox(title)
		if req.Action.Type == actuation.TypeText {
			t := widget.NewLabel(strings.ReplaceAll(req.Action.Text, "\n", "⏎\n"))
			t.Wrapping = fyne.TextWrapWord
			t.TextStyle = fyne.TextStyle{Monospace: true}
			body.Add(t)
		}
		if text := riskText(req.Risk); text != "" {
			r := widget.NewLabel(text)
			r.Wrapping = fyne.TextWrapWord
			r.Importance = widget.DangerImportance
			r.TextStyle = fyne.TextStyle{Bold: true}
			body.Add(r)
		}
		if req.Thought != "" {
			t := widget.NewLabel("Because: " + req.Thought)
			t.Wrapping = fyne.TextWrapWord
			body.Add(t)
		}
		if len(overlay.Targets(req.Action)) > 0 && len(req.Frame.Data) > 0 {
			if th, err := overlay.Thumbnail(req.Frame, req.Action); err == nil {
				img := canvas.NewImageFromImage(th)
				img.FillMode = canvas.ImageFillContain
				img.SetMinSize(fyne.NewSize(420, 240))
				body.Add(img)
			}
		}
		answer := func(v planner.Verdict) func() {
			return func() {
				select {
				case answers <- planner.Approval{Verdict: v}:
				default:
				}
			}
		}
		buttons := container.NewHBox(
			widget.NewButton("Approve", answer(planner.Approve)),
			widget.NewButton("Skip", answer(planner.Skip)),
		)
		if req.Action.Type == actuation.TypeText || req.Action.Type == actuation.Key {
			edited := make(chan planner.Approval, 1)
			buttons.Add(widget.NewButton("Edit", func() {
				a.editText(req, edited)
				go func() {
					if ap, ok := <-edited; ok {
						select {
						case answers <- ap:
						default:
						}
					}
				}()
			}))
		}
		buttons.Add(widget.NewButton("Stop", answer(planner.Quit)))
		d = dialog.NewCustomWithoutButtons(fmt.Sprintf("Step %d", req.Step), container.NewVBox(body, buttons), a.win)
		d.Show()
	})
	return d
}

// editText asks for the text to type (or the keys to press) instead, and sends
// the edited approval on edited, or closes it if the user cancels.
func (a approver) editText(req planner.ApprovalRequest, edited chan<- planner.Approval) {
	e := widget.NewMultiLineEntry()
	label := "Text to type (a last newline presses Enter)"
	if req.Action.Type == actuation.Key {
		e = widget.NewEntry()
		e.SetText(strings.Join(req.Action.Keys, "+"))
		label = "Keys to press, such as ctrl+s"
	} else {
		e.SetText(req.Action.Text)
	}
	errLabel := widget.NewLabel("")
	var d *dialog.ConfirmDialog
	d = dialog.NewCustomConfirm("Edit the action", "Use this", "Cancel",
		container.NewVBox(widget.NewLabel(label), e, errLabel), func(ok bool) {
			if !ok {
				close(edited)
				return
			}
			act := req.Action
			if act.Type == actuation.Key {
				keys, err := actuation.ParseKeys(e.Text)
				if err != nil {
					errLabel.SetText(err.Error())
					d.Show()
					return
				}
				act.Keys = keys
			} else {
				act.Text = e.Text
			}
			edited <- planner.Approval{Verdict: planner.Edit, Action: act}
		}, a.win)
	d.Resize(fyne.NewSize(480, 260))
	d.Show()
}
