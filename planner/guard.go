package planner

import (
	"fmt"
	"hash/maphash"
	"strings"

	"github.com/deskhand/deskhand/actuation"
	"github.com/deskhand/deskhand/perception"
)

// loopRepeats is how many times the same action may change nothing on an
// unchanged screen before the run stops to ask the user.
const loopRepeats = 3

// attempt is what one step did: the actions it performed, and the screen they
// were performed on.
type attempt struct {
	screen uint64 // hash of the bytes of the frame the model saw
	key    string // the actions, as contract JSON without their thoughts
	desc   string // the actions, for a person
}

// screenHash identifies a frame's image. Capture encodes a screen that did not
// change into the same bytes, so equal hashes mean an unchanged screen; a
// blinking caret or a clock makes them differ, which only makes the loop check
// miss, never stop a run that is getting somewhere.
func (r *run) screenHash(f perception.Frame) uint64 {
	return maphash.Bytes(r.seed, f.Data)
}

// checkLoop returns a *LoopError when the last loopRepeats steps each performed
// the same actions on the same screen and that screen is still what the frame
// shows: those actions changed nothing, and a fourth time would not either.
func (r *run) checkLoop(screen uint64) error {
	if len(r.attempts) < loopRepeats {
		return nil
	}
	last := r.attempts[len(r.attempts)-loopRepeats:]
	for _, a := range last {
		if a.key != last[0].key || a.screen != screen {
			return nil
		}
	}
	return &LoopError{Action: last[0].desc, Times: loopRepeats}
}

// recordAttempt remembers what a step performed on screen. A step that performed
// nothing, or only waited (waiting is not expected to change the screen), breaks
// the chain: the check is about actions repeated step after step.
func (r *run) recordAttempt(screen uint64, done []actuation.Action) {
	waits := 0
	for _, a := range done {
		if a.Type == actuation.Wait {
			waits++
		}
	}
	if len(done) == 0 || waits == len(done) {
		r.attempts = r.attempts[:0]
		return
	}
	var key, desc []string
	for _, a := range done {
		a.Thought = ""
		key = append(key, a.String())
		desc = append(desc, a.Describe())
	}
	r.attempts = append(r.attempts, attempt{screen: screen, key: strings.Join(key, "\n"), desc: strings.Join(desc, ", then ")})
	if len(r.attempts) > loopRepeats {
		r.attempts = append(r.attempts[:0], r.attempts[len(r.attempts)-loopRepeats:]...)
	}
}

// fault counts one thing that went wrong (a reply not understood, a server error,
// an action refused). It returns an error wrapping ErrErrorLimit once MaxErrors
// went wrong in a row; an action performed resets the count.
func (r *run) fault(what string) error {
	r.faults++
	if r.faults >= r.maxErrors {
		return fmt.Errorf("%w (%d, the last: %s) — the model does not manage this task on this screen; try a clearer task or a stronger model",
			ErrErrorLimit, r.faults, truncate(what, 300))
	}
	return nil
}
