package app

import (
	"context"
	"errors"
	"image"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/deskhand/deskhand/actuation"
	"github.com/deskhand/deskhand/app/overlay"
	"github.com/deskhand/deskhand/planner"
)

// fakeOverlay answers prompts as a user at the overlay would: with answer, after
// delay, or never (it then waits for ctx, as the real one does).
type fakeOverlay struct {
	answer  *overlay.Answer
	delay   time.Duration
	prompts chan overlay.Prompt
	ended   chan error
}

func newFakeOverlay(a *overlay.Answer) *fakeOverlay {
	return &fakeOverlay{answer: a, prompts: make(chan overlay.Prompt, 4), ended: make(chan error, 4)}
}

func (f *fakeOverlay) Ask(ctx context.Context, p overlay.Prompt) (overlay.Answer, error) {
	f.prompts <- p
	if f.answer == nil {
		<-ctx.Done()
		f.ended <- context.Cause(ctx)
		return overlay.Answer{}, context.Cause(ctx)
	}
	select {
	case <-time.After(f.delay):
		f.ended <- nil
		return *f.answer, nil
	case <-ctx.Done():
		f.ended <- context.Cause(ctx)
		return overlay.Answer{}, context.Cause(ctx)
	}
}

func clickReq() planner.ApprovalRequest {
	return planner.ApprovalRequest{
		Step:    4,
		Action:  actuation.Action{Type: actuation.Click, X: actuation.Int(812), Y: actuation.Int(344), Button: "left", Clicks: 1},
		Thought: "the Save button",
		Risk:    planner.Risk{Level: planner.RiskHigh, Reasons: []string{"saves the file"}},
	}
}

// The overlay's answers become the planner's verdicts; a point picked with Edit
// moves the action there; the prompt carries the step, risk and thought.
func TestApproverOverlayAnswers(t *testing.T) {
	a := newLoopApp(t)
	w := a.NewWindow("t")
	for _, tc := range []struct {
		answer overlay.Answer
		want   planner.Verdict
		at     *image.Point
	}{
		{overlay.Answer{Choice: overlay.Approve}, planner.Approve, nil},
		{overlay.Answer{Choice: overlay.Skip}, planner.Skip, nil},
		{overlay.Answer{Choice: overlay.Stop}, planner.Quit, nil},
		{overlay.Answer{Choice: overlay.Edit, Point: &image.Point{100, 200}}, planner.Edit, &image.Point{100, 200}},
	} {
		f := newFakeOverlay(&tc.answer)
		ap, err := approver{win: w, overlay: f}.Approve(context.Background(), clickReq())
		if err != nil {
			t.Fatal(err)
		}
		if ap.Verdict != tc.want {
			t.Errorf("%s: verdict %s, want %s", tc.answer.Choice, ap.Verdict, tc.want)
		}
		if tc.at != nil {
			if p, ok := ap.Action.Point(); !ok || p != *tc.at || ap.Action.Type != actuation.Click {
				t.Errorf("edited action %+v, want a click at %v", ap.Action, *tc.at)
			}
		}
		p := <-f.prompts
		if p.Step != 4 || p.Risk != "high" || len(p.Reasons) != 1 || p.Thought != "the Save button" {
			t.Errorf("prompt %+v", p)
		}
	}
}

// The window's dialog answers too, and its answer takes the overlay away; a
// stopped run ends both with its cause.
func TestApproverDialogWinsAndStop(t *testing.T) {
	a := newLoopApp(t)
	w := a.NewWindow("t")
	w.Resize(w.Canvas().Size().Max(w.Canvas().Size()))
	f := newFakeOverlay(nil) // never answers
	done := make(chan planner.Approval, 1)
	go func() {
		ap, err := approver{win: w, overlay: f}.Approve(context.Background(), clickReq())
		if err != nil {
			t.Error(err)
		}
		done <- ap
	}()
	<-f.prompts
	var tapped bool
	waitFor(t, func() bool {
		if b := findButton(w.Canvas().Overlays().Top(), "Skip"); b != nil {
			test.Tap(b)
			tapped = true
		}
		return tapped
	})
	select {
	case ap := <-done:
		if ap.Verdict != planner.Skip {
			t.Errorf("verdict %s, want skip", ap.Verdict)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("the dialog's Skip did not answer")
	}
	select {
	case <-f.ended:
	case <-time.After(3 * time.Second):
		t.Fatal("the overlay was not taken away after the dialog answered")
	}

	ctx, cancel := context.WithCancelCause(context.Background())
	stop := errors.New("stopped by the user")
	go func() { <-f.prompts; cancel(stop) }()
	if _, err := (approver{win: w, overlay: f}).Approve(ctx, clickReq()); !errors.Is(err, stop) {
		t.Errorf("Approve after stop = %v, want %v", err, stop)
	}
}

// With no overlay the dialog asks alone; editing typed text in it returns the
// new text.
func TestApproverDialogEditsText(t *testing.T) {
	a := newLoopApp(t)
	w := a.NewWindow("t")
	req := planner.ApprovalRequest{Step: 1, Action: actuation.Action{Type: actuation.TypeText, Text: "hello\n"}}
	done := make(chan planner.Approval, 1)
	go func() {
		ap, err := approver{win: w}.Approve(context.Background(), req)
		if err != nil {
			t.Error(err)
		}
		done <- ap
	}()
	var tapped bool
	waitFor(t, func() bool {
		if b := findButton(w.Canvas().Overlays().Top(), "Edit"); b != nil {
			test.Tap(b)
			tapped = true
		}
		return tapped
	})
	var entry bool
	waitFor(t, func() bool {
		top := w.Canvas().Overlays().Top()
		if e := findEntry(top); e != nil && findButton(top, "Use this") != nil {
			e.SetText("goodbye\n")
			test.Tap(findButton(top, "Use this"))
			entry = true
		}
		return entry
	})
	select {
	case ap := <-done:
		if ap.Verdict != planner.Edit || ap.Action.Text != "goodbye\n" || ap.Action.Type != actuation.TypeText {
			t.Errorf("approval %+v, want an edit to type %q", ap, "goodbye\n")
		}
	case <-time.After(3 * time.Second):
		t.Fatal("the edit did not answer")
	}
}

// After a takeover the window asks whether to go on: Continue resumes, Stop does
// not, and a stopped run ends the question.
func TestApproverPause(t *testing.T) {
	a := newLoopApp(t)
	w := a.NewWindow("t")
	req := planner.PauseRequest{Step: 3, Action: actuation.Action{Type: actuation.TypeText, Text: "hello"},
		Reason: "you pressed a key while deskhand was acting"}
	for _, tc := range []struct {
		button string
		want   bool
	}{{"Continue", true}, {"Stop", false}} {
		done := make(chan bool, 1)
		go func() {
			resume, err := approver{win: w}.Pause(context.Background(), req)
			if err != nil {
				t.Error(err)
			}
			done <- resume
		}()
		var tapped bool
		waitFor(t, func() bool {
			top := w.Canvas().Overlays().Top()
			if top == nil {
				return false
			}
			if l := findLabelContaining(top, "You pressed a key while deskhand was acting, so deskhand stepped back"); l == nil {
				return false
			}
			if b := findButton(top, tc.button); b != nil {
				test.Tap(b)
				tapped = true
			}
			return tapped
		})
		select {
		case got := <-done:
			if got != tc.want {
				t.Errorf("%s: resume %v, want %v", tc.button, got, tc.want)
			}
		case <-time.After(3 * time.Second):
			t.Fatalf("%s did not answer", tc.button)
		}
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	stop := errors.New("stopped by the user")
	cancel(stop)
	if _, err := (approver{win: w}).Pause(ctx, req); !errors.Is(err, stop) {
		t.Errorf("Pause after stop = %v, want %v", err, stop)
	}
}

// findLabelContaining returns the first label under o whose text contains s.
func findLabelContaining(o fyne.CanvasObject, s string) *widget.Label {
	var found *widget.Label
	walk(o, func(c fyne.CanvasObject) {
		if l, ok := c.(*widget.Label); ok && strings.Contains(l.Text, s) && found == nil {
			found = l
		}
	})
	return found
}
