package planner

import (
	"errors"
	"fmt"
	"time"
)

// Outcomes callers branch on with errors.Is. ErrStopped, ErrStepLimit and
// ErrWallTime are also the causes the run's context is cancelled with.
var (
	ErrStopped   = errors.New("stopped by the user")
	ErrStepLimit = errors.New("step limit reached")
	ErrWallTime  = errors.New("time limit reached")
	ErrBadOutput = errors.New("model reply not understood")
	// ErrErrorLimit means too many steps in a row went wrong (replies not
	// understood, server errors, actions refused), so the run stopped.
	ErrErrorLimit = errors.New("too many errors in a row")

	// ErrPanicKey is the cause a run is cancelled with when the user presses the
	// panic key. It is a kind of stop: errors.Is(ErrPanicKey, ErrStopped) holds.
	ErrPanicKey error = &stopCause{"stopped by the panic key"}
)

// stopCause is a way of stopping that also counts as ErrStopped.
type stopCause struct{ msg string }

func (e *stopCause) Error() string        { return e.msg }
func (e *stopCause) Is(target error) bool { return target == ErrStopped }

// ParseError is a reply an adapter could not turn into actions. It wraps
// ErrBadOutput and keeps the raw reply so the user can see what the model said.
type ParseError struct {
	Raw    string
	Reason string
	Err    error // the underlying error, if any (e.g. a *perception.OutsideError)
}

func (e *ParseError) Error() string { return "model reply not understood: " + e.Reason }

// Unwrap makes errors.Is(err, ErrBadOutput) true, and reaches Err.
func (e *ParseError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrBadOutput}
	}
	return []error{ErrBadOutput, e.Err}
}

// BadOutput returns a *ParseError for raw with a formatted reason.
func BadOutput(raw, format string, args ...any) error {
	return &ParseError{Raw: raw, Reason: fmt.Sprintf(format, args...)}
}

// TimeoutError means the model took longer than the run allows for one request:
// to send anything at all (FirstToken), or to finish its reply.
type TimeoutError struct {
	Model      string
	Loading    bool          // the warm-up: the model did not load in time
	FirstToken bool          // no part of the reply arrived in time
	Limit      time.Duration // the limit that ran out
	Slowest    time.Duration // the slowest earlier request of this run; 0 if none
}

func (e *TimeoutError) Error() string {
	what := "did not finish its reply"
	switch {
	case e.Loading:
		what = "did not finish loading"
	case e.FirstToken:
		what = "did not start to answer"
	}
	msg := fmt.Sprintf("the model %q %s within %s", e.Model, what, human(e.Limit))
	if e.Slowest > 0 {
		msg += fmt.Sprintf(" (its slowest reply so far took %s)", human(e.Slowest))
	}
	return msg + " — Ollama may be busy with something else, or the model too large for this machine: " +
		"check `ollama ps` (it should say 100% GPU) and try again, or use a smaller model"
}

// human rounds d for a message: whole seconds, or hundredths under ten seconds.
func human(d time.Duration) time.Duration {
	if d >= 10*time.Second {
		return d.Round(time.Second)
	}
	return d.Round(10 * time.Millisecond)
}

// CapabilityError means Ollama refused a request because the model lacks a
// capability it needs (HTTP 400 "… does not support tools").
type CapabilityError struct {
	Model      string
	Capability string // "tools", "thinking", "chat", or "" when Ollama said something else
	Message    string // Ollama's own words
}

func (e *CapabilityError) Error() string {
	switch e.Capability {
	case "tools":
		return fmt.Sprintf("the model %q does not support tool calls, which its adapter needs — pick another adapter with --adapter, or a model that lists \"tools\" in `deskhand models`", e.Model)
	case "thinking":
		return fmt.Sprintf("the model %q cannot think step by step (Ollama does not list \"thinking\" for it) — turn thinking off for it", e.Model)
	case "chat":
		return fmt.Sprintf("the model %q cannot chat (it is an embedding or completion-only model) — pick a vision chat model from `deskhand models`", e.Model)
	}
	return fmt.Sprintf("Ollama refused the request for %q: %s", e.Model, e.Message)
}

// ContextOverflowError means the conversation no longer fits in the model's
// context. deskhand turns Ollama's silent truncation off, so this is an error
// instead of a model that has forgotten its instructions.
type ContextOverflowError struct {
	Model  string
	NumCtx int
}

func (e *ContextOverflowError) Error() string {
	return fmt.Sprintf("the conversation no longer fits in the %d tokens of context asked of %q — split the task into smaller parts, or use a model with a longer context", e.NumCtx, e.Model)
}

// LoopError means the same action, done three times on a screen that did not
// change, changed nothing; the run stops to ask the user instead of repeating it.
type LoopError struct {
	Action string // the action, described for a person
	Times  int
}

func (e *LoopError) Error() string {
	return fmt.Sprintf("the action %q changed nothing on the screen %s in a row, so deskhand stopped instead of repeating it — "+
		"look at the screen (a dialog, a disabled button or another window may be in the way), fix it or say more precisely what to do, and run the task again",
		e.Action, times(e.Times))
}

func times(n int) string {
	switch n {
	case 2:
		return "twice"
	case 3:
		return "three times"
	}
	return fmt.Sprintf("%d times", n)
}
