package planner

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestLoopDetection(t *testing.T) {
	click := `{"type":"click","x":100,"y":200}`
	other := `{"type":"click","x":300,"y":200}`
	wait := `{"type":"wait","seconds":1}`
	done := `{"type":"done","text":"ok"}`
	tests := []struct {
		name     string
		static   bool
		replies  []any
		wantLoop bool
		wantActs int
	}{
		{"same click, static screen", true, []any{click, click, click, click, done}, true, 3},
		{"same click, screen changes", false, []any{click, click, click, click, done}, false, 4},
		{"different clicks", true, []any{click, other, click, other, done}, false, 4},
		{"a different click breaks the chain", true, []any{click, click, other, click, click, done}, false, 5},
		{"waiting is not a loop", true, []any{wait, wait, wait, wait, done}, false, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chat := &scriptedChat{replies: tt.replies}
			a, screen, hands, _ := newAgent(chat, nil)
			if tt.static {
				screen.static = []byte("the same png")
			}
			res, err := a.Run(context.Background(), "x")
			var loop *LoopError
			if got := errors.As(err, &loop); got != tt.wantLoop {
				t.Fatalf("Run = %q, %v; want a loop: %v", res.Status, err, tt.wantLoop)
			}
			if len(hands.done) != tt.wantActs {
				t.Errorf("%d actions done, want %d", len(hands.done), tt.wantActs)
			}
			if !tt.wantLoop {
				return
			}
			if res.Status != StatusAsked || res.Text != err.Error() {
				t.Errorf("result %+v, want asked with the question", res)
			}
			// It says what did not react, in screen pixels: image (100, 200) of
			// 1904x1064 is screen (101, 203).
			for _, want := range []string{`"left-click at (101, 203)"`, "changed nothing on the screen three times"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("%q lacks %q", err, want)
				}
			}
			if len(chat.requests) != 3 {
				t.Errorf("%d requests: the model should not be asked a fourth time", len(chat.requests))
			}
		})
	}
}

func TestErrorLimit(t *testing.T) {
	off := `{"type":"key","keys":["nosuchkey"]}`
	chat := &scriptedChat{replies: []any{off, off, off, off, off, off, off}}
	a, _, _, _ := newAgent(chat, nil)
	a.MaxErrors = 3
	res, err := a.Run(context.Background(), "x")
	if res.Status != StatusLimit || !errors.Is(err, ErrErrorLimit) {
		t.Fatalf("Run = %q, %v; want the error limit", res.Status, err)
	}
	if len(chat.requests) != 3 || !strings.Contains(err.Error(), "nosuchkey") {
		t.Errorf("%d requests, err %v; want 3, naming the last error", len(chat.requests), err)
	}

	// An action performed in between resets the count.
	click := `{"type":"click","x":10,"y":10}`
	chat = &scriptedChat{replies: []any{off, off, click, off, off, `{"type":"done","text":"ok"}`}}
	a, _, _, _ = newAgent(chat, nil)
	a.MaxErrors = 3
	if res, err := a.Run(context.Background(), "x"); res.Status != StatusDone {
		t.Errorf("Run = %q, %v; want done", res.Status, err)
	}
}

func TestWallTime(t *testing.T) {
	chat := &scriptedChat{block: true}
	a, _, _, _ := newAgent(chat, nil)
	a.MaxTime = 100 * time.Millisecond
	res, err := a.Run(context.Background(), "x")
	if res.Status != StatusLimit || !errors.Is(err, ErrWallTime) || !strings.Contains(err.Error(), "100ms") {
		t.Errorf("Run = %q, %v; want the time limit", res.Status, err)
	}
}
