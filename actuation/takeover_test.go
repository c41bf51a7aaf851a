package actuation

import (
	"errors"
	"image"
	"testing"
	"time"
)

// sample is one step of a takeover scenario: what the Desktop does, then where the
// watcher finds the pointer.
type sample struct {
	do   string // "begin", "end", "move x,y" (a whole move), "moving x,y" (in flight), "" nothing
	to   image.Point
	at   image.Point
	want error // ErrTakeover, ErrFailsafe or nil
	none bool  // no sample after this step
}

func TestJudge(t *testing.T) {
	pt := image.Pt
	tests := []struct {
		name    string
		between bool
		steps   []sample
	}{
		{"still pointer while typing", false, []sample{
			{at: pt(500, 500)}, {do: "begin", at: pt(500, 500)}, {at: pt(500, 500)}, {do: "end", at: pt(500, 500)},
		}},
		{"user moves while typing", false, []sample{
			{at: pt(500, 500)}, {do: "begin", at: pt(500, 500)}, {at: pt(540, 500), want: ErrTakeover},
			{at: pt(600, 520)}, // once per action
			{do: "end", at: pt(600, 520)}, {do: "begin", at: pt(600, 520)}, {at: pt(700, 520), want: ErrTakeover},
		}},
		{"a bumped desk is not a takeover", false, []sample{
			{at: pt(500, 500)}, {do: "begin", at: pt(500, 500)}, {at: pt(502, 499)}, {at: pt(501, 501)},
		}},
		{"the desktop's own moves", false, []sample{
			{at: pt(500, 500)}, {do: "begin", at: pt(500, 500)}, {do: "move", to: pt(10, 900), at: pt(10, 900)},
			{do: "move", to: pt(1000, 20), at: pt(1000, 20)}, {at: pt(1000, 20)}, {do: "end", at: pt(1000, 20)},
		}},
		{"a move in flight, before and after", false, []sample{
			{at: pt(500, 500)}, {do: "begin", at: pt(500, 500)}, {do: "moving", to: pt(80, 80), at: pt(500, 500)},
			{at: pt(80, 80)}, {do: "move", to: pt(80, 80), at: pt(80, 80)},
		}},
		{"user moves after the desktop's move", false, []sample{
			{at: pt(500, 500)}, {do: "begin", at: pt(500, 500)}, {do: "move", to: pt(80, 80), at: pt(80, 80)},
			{at: pt(90, 120), want: ErrTakeover},
		}},
		{"the desktop's move and the user's at once", false, []sample{
			{at: pt(500, 500)}, {do: "begin", at: pt(500, 500)}, {do: "move", to: pt(80, 80), at: pt(95, 80), want: ErrTakeover},
		}},
		{"the mouse is the user's between actions", false, []sample{
			{at: pt(500, 500)}, {do: "begin", none: true}, {do: "move", to: pt(80, 80), at: pt(80, 80)}, {do: "end", at: pt(80, 80)},
			{at: pt(300, 300)}, {at: pt(900, 40)},
			{do: "begin", at: pt(905, 40)}, // moved just before the action started
			{at: pt(905, 40)}, {at: pt(950, 40), want: ErrTakeover},
		}},
		{"unattended runs watch between actions", true, []sample{
			{at: pt(500, 500)}, {do: "begin", none: true}, {do: "move", to: pt(80, 80), at: pt(80, 80)}, {do: "end", at: pt(80, 80)},
			{at: pt(80, 80)}, {at: pt(300, 300), want: ErrTakeover}, {at: pt(320, 300)},
			{do: "begin", at: pt(320, 300)}, {at: pt(400, 300), want: ErrTakeover},
		}},
		{"failsafe corner, acting or not", false, []sample{
			{at: pt(500, 500)}, {at: pt(1, 2), want: ErrFailsafe}, {at: pt(0, 0)}, {at: pt(300, 300)},
			{do: "begin", at: pt(300, 300)}, {at: pt(0, 1), want: ErrFailsafe},
		}},
		{"the desktop may click in the corner", false, []sample{
			{at: pt(500, 500)}, {do: "begin", none: true}, {do: "move", to: pt(0, 0), at: pt(0, 0)}, {do: "end", at: pt(0, 0)},
			{at: pt(200, 0)}, {at: pt(2, 0), want: ErrFailsafe},
		}},
		{"resting in the corner at the start", false, []sample{
			{at: pt(0, 0)}, {at: pt(0, 0)}, {at: pt(100, 100)}, {at: pt(0, 0), want: ErrFailsafe},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log pointerLog
			j := &judge{opts: TakeoverOptions{BetweenActions: tt.between}}
			now := time.Now()
			for i, s := range tt.steps {
				switch s.do {
				case "begin":
					log.begin()
				case "end":
					log.end()
				case "move":
					log.moving(s.to)
					log.moved(s.to, true)
				case "moving":
					log.moving(s.to)
				}
				now = now.Add(time.Second) // past moveGrace
				if s.none {
					continue
				}
				err := j.observe(s.at, log.snapshot(), now)
				if !errors.Is(err, s.want) || (err == nil) != (s.want == nil) {
					t.Fatalf("step %d (%s %v, pointer at %v): %v, want %v", i, s.do, s.to, s.at, err, s.want)
				}
			}
		})
	}
}

func TestTakeoverErrorMessages(t *testing.T) {
	e := &TakeoverError{Reason: ErrTakeover, At: image.Pt(3, 4), Left: image.Pt(1, 2)}
	if !errors.Is(e, ErrTakeover) || errors.Is(e, ErrFailsafe) {
		t.Errorf("%v: errors.Is is wrong", e)
	}
	var te *TakeoverError
	if !errors.As(error(e), &te) {
		t.Error("errors.As(*TakeoverError) failed")
	}
	for _, e := range []*TakeoverError{e, {Reason: ErrFailsafe}} {
		if msg := e.Error(); msg == "" || !errors.Is(e, e.Reason) {
			t.Errorf("%#v: %q", e, msg)
		}
	}
}
