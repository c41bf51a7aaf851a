package actuation

import (
	"context"
	"errors"
	"fmt"
	"image"
	"sync"
	"time"
)

// Takeover: the user grabbing the mouse while deskhand acts is the plainest way to
// say "stop", and needs no key to remember. WatchTakeover samples the pointer and
// compares it with where the Desktop last put it; the Desktop records its own
// moves (pointerLog), so they never count as the user's. Pushing the pointer into
// the top-left corner of the desktop is a second way out that works at any moment
// of a run, as in PyAutoGUI.
//
// Keys and buttons are watched where the platform says which device an event
// came from (openInput): on X11 XInput 2 raw events, where deskhand's own input
// comes from the XTEST devices and the user's from any other; on Windows a
// low-level keyboard and mouse hook, where deskhand's is flagged as injected; on
// macOS an event tap, where deskhand's carries its own process id. Where that
// cannot start (no permission), only the pointer is, and the panic key covers the
// keyboard.

var (
	// ErrTakeover means the user moved the mouse while deskhand was acting.
	ErrTakeover = errors.New("you moved the mouse while deskhand was acting")
	// ErrFailsafe means the user pushed the pointer into the failsafe corner, the
	// top-left corner of the desktop.
	ErrFailsafe = errors.New("the pointer was pushed into the top-left corner of the screen")
)

// TakeoverError is what WatchTakeover reports: errors.Is(err, ErrTakeover) or
// errors.Is(err, ErrFailsafe). Callers stop the run with it as the cause; it is a
// stop by the user (exit status 3).
type TakeoverError struct {
	Reason error       // ErrTakeover or ErrFailsafe
	At     image.Point // where the pointer was found
	Left   image.Point // where deskhand had left it, or last saw it
	// Key is true when the user pressed a key, Button when they pressed a mouse
	// button; both false for a pointer that moved.
	Key, Button bool
}

// Error says what the user did; what deskhand does about it (stop, or pause
// and ask) is said by whoever reports it.
func (e *TakeoverError) Error() string {
	switch {
	case e.Reason == ErrFailsafe:
		return fmt.Sprintf("%v (the failsafe)", e.Reason)
	case e.Key:
		return "you pressed a key while deskhand was acting"
	case e.Button:
		return "you pressed a mouse button while deskhand was acting"
	}
	return fmt.Sprintf("%v (the pointer went from (%d, %d) to (%d, %d))", e.Reason, e.Left.X, e.Left.Y, e.At.X, e.At.Y)
}

func (e *TakeoverError) Unwrap() error { return e.Reason }

// TakeoverOptions tune WatchTakeover. The zero value watches during actions only.
type TakeoverOptions struct {
	// BetweenActions also counts pointer movement while no action runs (waiting
	// for the model, say). For runs where nobody is asked before each action
	// (--yes); when deskhand asks, the user uses the mouse to answer.
	BetweenActions bool
	// Interval between pointer samples (zero: 30 ms). A takeover is seen within
	// one interval, plus the time the action needs to notice its cancelled
	// context.
	Interval time.Duration
	// NoKeys, if set, is told why the user's keys and buttons cannot be
	// watched (no XInput 2, no permission for an event tap): only the pointer
	// is, and the caller can say so.
	NoKeys func(error)
}

const (
	defaultTakeoverInterval = 30 * time.Millisecond
	// takeoverSlack is the movement, in pixels along each axis, that is not yet a
	// takeover: a desk bumped while deskhand types.
	takeoverSlack = 2
	// failsafeSize is how close to the top-left corner, in pixels along each axis,
	// the pointer must be.
	failsafeSize = 2
	// moveGrace is how long after one of the Desktop's moves the pointer may still
	// be where it was before: the move is synchronous on X11 and Windows, not
	// necessarily on macOS.
	moveGrace = 50 * time.Millisecond
)

// WatchTakeover samples the pointer from a connection of its own and calls
// onTakeover, from its own goroutine, with a *TakeoverError when the user moves
// the mouse while d acts (see TakeoverOptions.BetweenActions) or pushes the
// pointer into the failsafe corner. It calls onTakeover at most once per action
// (and per pause between actions), and only for movement d did not make. It
// watches until stop is called or ctx is done; stop waits for the watcher's
// goroutine to end and may be called more than once. The error wraps ErrNoDisplay
// without a display and errors.ErrUnsupported where there is no implementation.
func WatchTakeover(ctx context.Context, d *Desktop, opts TakeoverOptions, onTakeover func(reason error)) (stop func(), err error) {
	src, err := openPointer()
	if err != nil {
		return nil, err
	}
	area, err := src.bounds()
	if err != nil {
		src.close()
		return nil, fmt.Errorf("read the desktop size: %w", err)
	}
	interval := opts.Interval
	if interval <= 0 {
		interval = defaultTakeoverInterval
	}
	j := &judge{opts: opts, corner: area.Min}
	var judging sync.Mutex // the pointer's goroutine and the input's share j
	input, err := openInput(func(in userInput) {
		judging.Lock()
		reason := j.pressed(in, d.ptr.snapshot())
		judging.Unlock()
		if reason != nil {
			onTakeover(reason)
		}
	})
	if err != nil {
		// Without it the pointer still stops deskhand, and the panic key.
		input = nil
		if opts.NoKeys != nil {
			opts.NoKeys(err)
		}
	}
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer src.close()
		if input != nil {
			defer input.close()
		}
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			// Bracketed by two looks at the log: a move of the Desktop's between
			// them makes the sample ambiguous, and the next one decides.
			before := d.ptr.snapshot()
			p, err := src.pointer()
			// An error (the secure desktop on Windows) skips the sample.
			if after := d.ptr.snapshot(); err == nil && after.moves == before.moves {
				judging.Lock()
				reason := j.observe(p, after, time.Now())
				judging.Unlock()
				if reason != nil {
					onTakeover(reason)
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-quit:
				return
			case <-tick.C:
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() { close(quit) })
		<-done
	}, nil
}

// userInput is one press of the user's: a key (Code is its platform key code)
// or a mouse button (Code is its number).
type userInput struct {
	Key    bool
	Code   uint32
	Device string // where the platform names it
	At     time.Time
}

// inputWatch is a running watch of the user's key and button presses
// (openInput), which ends with close.
type inputWatch interface{ close() }

// pointerSource reads the pointer for WatchTakeover: takeover_x11.go,
// takeover_windows.go and takeover_darwin.go have them.
type pointerSource interface {
	pointer() (image.Point, error)
	bounds() (image.Rectangle, error) // the virtual desktop, in actuation space
	close()
}

// robotLocation returns the pointer position through robotgo; robot_cgo.go sets
// it. Only macOS uses it: elsewhere the watcher has a connection of its own.
var robotLocation func() image.Point

// pointerLog is what a Desktop does with the pointer, for WatchTakeover. It has a
// lock of its own because the Desktop's is held for a whole action.
type pointerLog struct {
	mu sync.Mutex
	s  pointerState
}

// pointerState is a snapshot of a pointerLog.
type pointerState struct {
	busy     int         // actions running
	gen      uint64      // counts the starts of actions and the ends of the last running one
	actMoves uint64      // moves when the running action started
	moves    uint64      // counts the starts and ends of the Desktop's moves
	moving   bool        // a move is in flight, to pending
	pending  image.Point //
	known    bool        // pos is where the Desktop's last move put the pointer
	pos      image.Point //
	prev     image.Point // where the pointer was before that move, if known
	at       time.Time   // when that move ended
}

func (l *pointerLog) begin() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.s.busy++
	l.s.gen++
	l.s.actMoves = l.s.moves
}

func (l *pointerLog) end() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.s.busy--; l.s.busy == 0 {
		l.s.gen++
	}
}

func (l *pointerLog) moving(p image.Point) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.s.moves++
	l.s.moving, l.s.pending = true, p
}

func (l *pointerLog) moved(p image.Point, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.s.moves++
	l.s.moving = false
	l.s.prev = l.s.pos
	l.s.pos, l.s.known, l.s.at = p, ok, time.Now()
}

func (l *pointerLog) snapshot() pointerState {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.s
}

// judge decides, sample by sample, whether the user took over.
type judge struct {
	opts    TakeoverOptions
	corner  image.Point
	started bool
	anchor  image.Point // where the pointer may be without a takeover
	moves   uint64      // the Desktop's moves at the previous sample
	gen     uint64      // the action generation at the previous sample
	fired   bool        // a takeover was reported in generation firedIn
	firedIn uint64
	cornerd bool // the previous sample was in the failsafe corner
}

// observe takes one pointer sample p with the Desktop's state s, and returns a
// *TakeoverError when the user took over.
func (j *judge) observe(p image.Point, s pointerState, now time.Time) error {
	defer func() { j.moves, j.gen, j.started = s.moves, s.gen, true }()
	inCorner := p.X-j.corner.X <= failsafeSize && p.Y-j.corner.Y <= failsafeSize
	if !j.started {
		// Wherever the pointer rests when the watch starts is fine, even in
		// the corner: only arriving there counts.
		j.anchor, j.cornerd = p, inCorner
		return nil
	}
	ours := (s.moves != j.moves || s.moving) && j.ours(p, s, now)
	if ours {
		j.anchor = p
	}
	entered := inCorner && !j.cornerd
	j.cornerd = inCorner
	if entered && !ours {
		left := j.anchor
		j.anchor = p
		return &TakeoverError{Reason: ErrFailsafe, At: p, Left: left}
	}
	watching := s.busy > 0 || j.opts.BetweenActions
	startsHere := s.busy > 0 && s.gen != j.gen && s.moves == s.actMoves && !j.opts.BetweenActions
	if !watching || startsHere {
		// The pointer is the user's between actions; an action that has not
		// moved it starts wherever they left it.
		j.anchor = p
		return nil
	}
	if ours || near(p, j.anchor, takeoverSlack) {
		return nil
	}
	left := j.anchor
	j.anchor = p
	if j.fired && j.firedIn == s.gen {
		return nil
	}
	j.fired, j.firedIn = true, s.gen
	return &TakeoverError{Reason: ErrTakeover, At: p, Left: left}
}

// pressed judges a key or button press of the user's (never one of deskhand's:
// openInput leaves those out). While an action runs, or at any time with
// BetweenActions, it is a takeover, reported once per action like movement.
// Between actions the keys and buttons are the user's: they answer deskhand's
// prompt with them.
func (j *judge) pressed(in userInput, s pointerState) error {
	if s.busy == 0 && !j.opts.BetweenActions {
		return nil
	}
	if j.fired && j.firedIn == s.gen {
		return nil
	}
	j.fired, j.firedIn = true, s.gen
	return &TakeoverError{Reason: ErrTakeover, Key: in.Key, Button: !in.Key, At: j.anchor, Left: j.anchor}
}

// ours reports whether the Desktop's moves since the previous sample explain
// the pointer at p.
func (j *judge) ours(p image.Point, s pointerState, now time.Time) bool {
	switch {
	case s.moving:
		return near(p, s.pending, 0) || near(p, j.anchor, 0) || s.known && near(p, s.pos, 0)
	case !s.known:
		return false
	case now.Sub(s.at) < moveGrace && near(p, s.prev, 0):
		return true
	}
	return near(p, s.pos, 0)
}

func near(a, b image.Point, slack int) bool {
	return abs(a.X-b.X) <= slack && abs(a.Y-b.Y) <= slack
}
