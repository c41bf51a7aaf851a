package planner

import (
	"errors"
	"fmt"
)

// Outcomes callers branch on with errors.Is. ErrStopped, ErrStepLimit and
// ErrWallTime are also the causes the run's context is cancelled with.
var (
	ErrStopped   = errors.New("stopped by the user")
	ErrStepLimit = errors.New("step limit reached")
	ErrWallTime  = errors.New("time limit reached")
	ErrBadOutput = errors.New("model reply not understood")

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
