package planner

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/deskhand/deskhand/actuation"
)

// slowHands acts like a Desktop typing a long text: Do blocks until its context
// ends, unless it has acted before (the second action is quick).
type slowHands struct {
	started chan struct{}
	done    []actuation.Action
}

func (h *slowHands) Do(ctx context.Context, a actuation.Action) error {
	if len(h.done) > 0 {
		h.done = append(h.done, a)
		return nil
	}
	close(h.started)
	<-ctx.Done()
	h.done = append(h.done, a) // recorded, but interrupted
	return ctx.Err()
}

// pauser approves every action and answers a pause with resume.
type pauser struct {
	resume bool
	asked  []PauseRequest
}

func (p *pauser) Approve(context.Context, ApprovalRequest) (Approval, error) {
	return Approval{Verdict: Approve}, nil
}

func (p *pauser) Pause(ctx context.Context, req PauseRequest) (bool, error) {
	p.asked = append(p.asked, req)
	return p.resume, nil
}

var errTookOver = errors.New("you pressed a key while deskhand was acting")

func TestInterruptPauses(t *testing.T) {
	typing := `{"type":"type","text":"a long text"}`
	tests := []struct {
		name       string
		approver   Approver
		wantStatus Status
		wantPaused bool
	}{
		{"resume", &pauser{resume: true}, StatusDone, true},
		{"stop", &pauser{resume: false}, StatusStopped, true},
		{"nobody to ask", ApproverFunc(approveAll), StatusStopped, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chat := &scriptedChat{replies: []any{typing, typing, `{"type":"done","text":"ok"}`}}
			a, _, _, events := newAgent(chat, nil)
			a.Approver = tt.approver
			hands := &slowHands{started: make(chan struct{})}
			a.Actuator = hands
			if a.Interrupt(errTookOver) {
				t.Fatal("Interrupt reported an action before the run started")
			}
			go func() {
				<-hands.started
				if !a.Interrupt(errTookOver) {
					t.Error("Interrupt found no running action")
				}
			}()
			type outcome struct {
				res Result
				err error
			}
			out := make(chan outcome, 1)
			go func() { res, err := a.Run(context.Background(), "x"); out <- outcome{res, err} }()
			var o outcome
			select {
			case o = <-out:
			case <-time.After(5 * time.Second):
				t.Fatal("Run did not return after the interrupt")
			}
			if o.res.Status != tt.wantStatus {
				t.Fatalf("status %q (err %v), want %q", o.res.Status, o.err, tt.wantStatus)
			}
			if p, ok := tt.approver.(*pauser); ok && (len(p.asked) != 1 || p.asked[0].Reason != errTookOver.Error()) {
				t.Errorf("pauser asked %+v, want once with the reason", p.asked)
			}
			if tt.wantStatus == StatusStopped {
				if !errors.Is(o.err, ErrStopped) || !errors.Is(o.err, errTookOver) {
					t.Errorf("err %v, want ErrStopped wrapping the takeover", o.err)
				}
				if len(chat.requests) != 1 {
					t.Errorf("%d requests after a stop, want 1", len(chat.requests))
				}
				return
			}
			// Resumed: the model is told, from a fresh screenshot, and the run goes on.
			if len(chat.requests) != 3 || len(hands.done) != 2 {
				t.Fatalf("%d requests and %d actions, want 3 and 2", len(chat.requests), len(hands.done))
			}
			msgs := chat.requests[1].Messages
			if note := msgs[len(msgs)-1]; !strings.Contains(note.Content, "took control") || len(note.Images) != 1 {
				t.Errorf("note to the model %q with %d images, want the takeover and a new screenshot", note.Content, len(note.Images))
			}
			var kinds []EventKind
			for _, e := range *events {
				if e.Kind == Paused || e.Kind == Resumed {
					kinds = append(kinds, e.Kind)
				}
			}
			if len(kinds) != 2 || kinds[0] != Paused || kinds[1] != Resumed {
				t.Errorf("events %v, want paused then resumed", kinds)
			}
		})
	}
}

// A stop (Ctrl+C, the panic key) during an action is not a pause.
func TestStopDuringActionIsNotAPause(t *testing.T) {
	chat := &scriptedChat{replies: []any{`{"type":"type","text":"x"}`}}
	a, _, _, _ := newAgent(chat, nil)
	p := &pauser{resume: true}
	a.Approver = p
	hands := &slowHands{started: make(chan struct{})}
	a.Actuator = hands
	ctx, cancel := context.WithCancelCause(context.Background())
	go func() { <-hands.started; cancel(ErrPanicKey) }()
	res, err := a.Run(ctx, "x")
	if res.Status != StatusStopped || !errors.Is(err, ErrStopped) || len(p.asked) != 0 {
		t.Errorf("Run = %q, %v with %d pauses; want stopped without a pause", res.Status, err, len(p.asked))
	}
}
