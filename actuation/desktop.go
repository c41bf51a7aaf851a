package actuation

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// ErrNoDisplay means there is no desktop to act on: no X display is reachable, or the
// system reports no screens. Errors that wrap it say how to fix it.
var ErrNoDisplay = errors.New("no display to act on")

// backend sends raw input events to one kind of desktop. Desktop validates every
// action before calling it and serialises the calls, so implementations need not be
// safe for concurrent use and never see an off-screen point or an unknown key.
type backend interface {
	// bounds returns the virtual desktop in actuation space.
	bounds() (image.Rectangle, error)
	// move puts the pointer at (x, y).
	move(x, y int) error
	// button presses (down) or releases the mouse button b: left, right or middle.
	button(b string, down bool) error
	// click clicks b n times (1 to 3) where the pointer is, fast enough for
	// applications to see a double or triple click.
	click(b string, n int) error
	// scroll turns the wheel dx and dy notches: dy > 0 scrolls down, dx > 0 right.
	scroll(dx, dy int) error
	// keyTap presses keys together and releases them. keys are canonical names,
	// modifiers first; a printable key is one ASCII character that needs no shift.
	keyTap(keys []string) error
	// typeText types s, which holds printable characters only (no newlines or tabs).
	typeText(s string) error
}

// newBackend opens the backend of this build: robot_cgo.go or robot_nocgo.go sets it
// from init.
var newBackend func() (backend, error)

// timing holds the pauses that make synthetic input look like a person's to
// applications. Tests with a fake backend shrink them.
type timing struct {
	settle   time.Duration // after moving, before pressing: lets the app see the pointer arrive (hover, enter)
	dragHold time.Duration // after pressing and before releasing in a drag: toolkits start drags on motion after a press
	dragStep time.Duration // between the intermediate moves of a drag
	apart    time.Duration // a press this soon after the last one could merge with it into a double click
	chunk    int           // runes per typeText call: ctx is checked between calls
}

var defaultTiming = timing{
	settle:   20 * time.Millisecond,
	dragHold: 50 * time.Millisecond,
	dragStep: 10 * time.Millisecond,
	apart:    600 * time.Millisecond,
	chunk:    8,
}

// Desktop performs actions on the real desktop with mouse and keyboard events. The
// zero value is ready to use; it connects to the display on the first action that
// needs one. Calls are serialised: one action runs at a time. A Desktop must not be
// copied after first use.
type Desktop struct {
	// PanicKey is the combination that stops a run (zero: DefaultPanicKey). Do
	// refuses a key action that would press it.
	PanicKey PanicKey
	// PasteThreshold is the length, in characters, from which a type action is
	// pasted through the clipboard instead of typed key by key (zero:
	// DefaultPasteThreshold; negative: always type). See clipboard.go.
	PasteThreshold int

	mu        sync.Mutex
	b         backend
	clip      clipboard // opened on the first paste; nil after a failed open, with clipErr
	clipErr   error
	t         timing    // zero: defaultTiming
	lastPress time.Time // when a button was last pressed, to keep separate clicks separate
	ptr       pointerLog
}

// Do performs one action. It re-validates a against the current desktop bounds and
// returns an *InvalidActionError, before sending any event, if it cannot be
// performed. done, fail and ask_user do nothing; wait sleeps. Without a display the
// error wraps ErrNoDisplay, and in a build without cgo errors.ErrUnsupported. Once
// ctx is done no further event is sent, except the release of a mouse button a drag
// pressed, so nothing stays held; the error then wraps ctx.Err().
func (d *Desktop) Do(ctx context.Context, a Action) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	// Everything but the bounds first, so a malformed action is reported as such
	// even without a display.
	n, err := Normalize(a, image.Rect(math.MinInt32, math.MinInt32, math.MaxInt32, math.MaxInt32))
	if err != nil {
		return err
	}
	// From here on the Desktop acts, for WatchTakeover: waiting is part of acting.
	d.ptr.begin()
	defer d.ptr.end()
	switch n.Type {
	case Done, Fail, AskUser:
		return nil
	case Wait:
		return sleep(ctx, time.Duration(n.Seconds*float64(time.Second)))
	case TypeText:
		if _, err := typeSteps(n.Text, 1); err != nil {
			return &InvalidActionError{Action: a, Reason: err.Error()}
		}
	case Key:
		if _, _, err := pressKeys(n.Keys); err != nil {
			return &InvalidActionError{Action: a, Reason: err.Error()}
		}
		if d.PanicKey.Matches(n.Keys) {
			return &InvalidActionError{Action: a, Reason: d.PanicKey.String() + " is deskhand's panic key, which the agent never presses"}
		}
	}

	d.mu.Lock()
	defer d.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	if d.b == nil {
		b, err := newBackend()
		if err != nil {
			return err // not kept: the display may come up later
		}
		d.b = b
	}
	bounds, err := d.b.bounds()
	if err != nil {
		return fmt.Errorf("read the desktop size: %w", err)
	}
	if n, err = Normalize(a, bounds); err != nil {
		return err
	}
	t := d.t
	if t.chunk == 0 {
		t = defaultTiming
	}
	switch n.Type {
	case Click:
		return d.click(ctx, t, n)
	case Move:
		p, _ := n.Point()
		return d.moveTo(ctx, p)
	case Drag:
		return d.drag(ctx, t, n)
	case Scroll:
		return d.scroll(ctx, t, n)
	case TypeText:
		return d.typeText(ctx, t, n)
	case Key:
		return d.key(ctx, n)
	}
	return &InvalidActionError{Action: a, Reason: "not an action the desktop performs"}
}

func (d *Desktop) click(ctx context.Context, t timing, a Action) error {
	p, _ := a.Point()
	if err := d.moveTo(ctx, p); err != nil {
		return err
	}
	if err := d.beforePress(ctx, t); err != nil {
		return err
	}
	if err := d.b.click(a.Button, a.Clicks); err != nil {
		return fmt.Errorf("%s at (%d, %d): %w", clickName(a), p.X, p.Y, err)
	}
	d.pressed()
	return nil
}

func clickName(a Action) string {
	return map[int]string{1: "", 2: "double-", 3: "triple-"}[a.Clicks] + a.Button + "-click"
}

func (d *Desktop) drag(ctx context.Context, t timing, a Action) (err error) {
	from, _ := a.Point()
	to, _ := a.End()
	if err := d.moveTo(ctx, from); err != nil {
		return err
	}
	if err := d.beforePress(ctx, t); err != nil {
		return err
	}
	if err := d.b.button(a.Button, true); err != nil {
		return fmt.Errorf("press the %s button at (%d, %d): %w", a.Button, from.X, from.Y, err)
	}
	d.pressed()
	defer func() {
		// Release even when cancelled: a button left down would turn the user's
		// next mouse movement into a drag.
		if rerr := d.b.button(a.Button, false); rerr != nil {
			err = errors.Join(err, fmt.Errorf("release the %s button: %w", a.Button, rerr))
		}
	}()
	if err := sleep(ctx, t.dragHold); err != nil {
		return fmt.Errorf("drag stopped at (%d, %d): %w", from.X, from.Y, err)
	}
	steps := dragSteps(from, to)
	for i := 1; i <= steps; i++ {
		p := from.Add(to.Sub(from).Mul(i).Div(steps))
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("drag stopped short of (%d, %d): %w", to.X, to.Y, err)
		}
		if err := d.move(p); err != nil {
			return fmt.Errorf("drag to (%d, %d): %w", p.X, p.Y, err)
		}
		if err := sleep(ctx, t.dragStep); err != nil {
			return fmt.Errorf("drag stopped short of (%d, %d): %w", to.X, to.Y, err)
		}
	}
	if err := sleep(ctx, t.dragHold); err != nil {
		return fmt.Errorf("drag stopped at (%d, %d): %w", to.X, to.Y, err)
	}
	return nil
}

// dragSteps is how many intermediate moves a drag makes: enough for applications to
// see motion with the button held (about one per 8 pixels), between 10 and 20.
func dragSteps(from, to image.Point) int {
	v := to.Sub(from)
	dist := max(abs(v.X), abs(v.Y))
	return min(max(dist/8, 10), 20)
}

func (d *Desktop) scroll(ctx context.Context, t timing, a Action) error {
	if p, ok := a.Point(); ok {
		if err := d.moveTo(ctx, p); err != nil {
			return err
		}
		if err := sleep(ctx, t.settle); err != nil {
			return err
		}
	}
	// One notch a call, so a cancel stops a long scroll.
	notch := map[string]image.Point{"up": {0, -1}, "down": {0, 1}, "left": {-1, 0}, "right": {1, 0}}[a.Direction]
	for i := range a.Amount {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("scrolling stopped after %d of %d notches: %w", i, a.Amount, err)
		}
		if err := d.b.scroll(notch.X, notch.Y); err != nil {
			return fmt.Errorf("scroll %s: %w", a.Direction, err)
		}
	}
	return nil
}

// typeStep is one call to the backend while typing: text, or a key for a newline
// or a tab.
type typeStep struct {
	text  string
	key   string
	runes int // characters of the action's text this step covers
}

// typeSteps splits text into backend calls of at most chunk runes each. Newlines
// ("\n", "\r\n" or "\r") become enter and tabs become tab, as contracts.md §2
// asks; other control characters are an error, since no key types them.
func typeSteps(text string, chunk int) ([]typeStep, error) {
	if !utf8.ValidString(text) {
		return nil, fmt.Errorf("text is not valid UTF-8")
	}
	var steps []typeStep
	var run []rune
	flush := func() {
		if len(run) > 0 {
			steps = append(steps, typeStep{text: string(run), runes: len(run)})
			run = run[:0]
		}
	}
	for i, r := range text {
		switch {
		case r == '\n' && i > 0 && text[i-1] == '\r':
			steps[len(steps)-1].runes++ // the enter pressed for the '\r' covers it
		case r == '\n' || r == '\r':
			flush()
			steps = append(steps, typeStep{key: "enter", runes: 1})
		case r == '\t':
			flush()
			steps = append(steps, typeStep{key: "tab", runes: 1})
		case unicode.IsControl(r) || r == utf8.RuneError:
			return nil, fmt.Errorf("text holds the control character %U, which cannot be typed; use a key action", r)
		default:
			run = append(run, r)
			if len(run) == chunk {
				flush()
			}
		}
	}
	flush()
	return steps, nil
}

func (d *Desktop) typeText(ctx context.Context, t timing, a Action) error {
	steps, err := typeSteps(a.Text, t.chunk)
	if err != nil {
		return &InvalidActionError{Action: a, Reason: err.Error()}
	}
	total := utf8.RuneCountInString(a.Text)
	typed := 0
	if d.shouldPaste(a.Text) {
		// The clipboard path enters what it can; it leaves the rest to typing
		// when pasting is not possible, or stops working part way.
		if typed, err = d.pasteText(ctx, a.Text, total); err != nil {
			return err
		}
		if typed == total {
			return nil
		}
		if steps, err = typeSteps(string([]rune(a.Text)[typed:]), t.chunk); err != nil {
			return &InvalidActionError{Action: a, Reason: err.Error()}
		}
	}
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("typing stopped after %d of %d characters: %w", typed, total, err)
		}
		if s.key != "" {
			err = d.b.keyTap([]string{s.key})
		} else {
			err = d.b.typeText(s.text)
		}
		if err != nil {
			return fmt.Errorf("type after %d of %d characters: %w", typed, total, err)
		}
		typed += s.runes
	}
	return nil
}

// shiftedUS maps the characters that need shift on a US keyboard to the key that
// types them. Keys are pressed by position, and robotgo assumes a US layout.
var shiftedUS = map[rune]rune{
	'~': '`', '!': '1', '@': '2', '#': '3', '$': '4', '%': '5', '^': '6', '&': '7', '*': '8',
	'(': '9', ')': '0', '_': '-', '+': '=', '{': '[', '}': ']', '|': '\\', ':': ';', '"': '\'',
	'<': ',', '>': '.', '?': '/',
}

// pressKeys turns canonical keys into what the backend presses: shifted characters
// become shift and their key ("ctrl +" is ctrl+shift+=). A lone non-ASCII character
// comes back as text to type instead, since no key combination produces it.
func pressKeys(keys []string) (press []string, text string, err error) {
	var mods, rest []string
	for _, k := range keys {
		switch {
		case isModifier(k):
			mods = append(mods, k)
		case canonicalKeys[k] || isFunctionKey(k):
			rest = append(rest, k)
		default:
			r, size := utf8.DecodeRuneInString(k)
			switch {
			case size != len(k) || !unicode.IsPrint(r) || r == ' ':
				return nil, "", fmt.Errorf("%q is not a key name or a printable character", k)
			case r > unicode.MaxASCII:
				if len(keys) == 1 {
					return nil, k, nil
				}
				return nil, "", fmt.Errorf("%q cannot be pressed with other keys: no key on the keyboard types it; use a type action", k)
			case shiftedUS[r] != 0:
				mods = append(mods, "shift")
				rest = append(rest, string(shiftedUS[r]))
			case r >= 'A' && r <= 'Z':
				mods = append(mods, "shift")
				rest = append(rest, string(unicode.ToLower(r)))
			default:
				rest = append(rest, k)
			}
		}
	}
	for _, m := range Modifiers { // canonical order, no duplicates
		for _, x := range mods {
			if x == m {
				press = append(press, m)
				break
			}
		}
	}
	return append(press, rest...), "", nil
}

func isFunctionKey(k string) bool {
	var n int
	_, err := fmt.Sscanf(k, "f%d", &n)
	return err == nil && fmt.Sprintf("f%d", n) == k && n >= 1 && n <= 24
}

func (d *Desktop) key(ctx context.Context, a Action) error {
	press, text, err := pressKeys(a.Keys)
	if err != nil {
		return &InvalidActionError{Action: a, Reason: err.Error()}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if text != "" {
		err = d.b.typeText(text)
	} else {
		err = d.b.keyTap(press)
	}
	if err != nil {
		return fmt.Errorf("press %s: %w", strings.Join(a.Keys, "+"), err)
	}
	return nil
}

func (d *Desktop) moveTo(ctx context.Context, p image.Point) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := d.move(p); err != nil {
		return fmt.Errorf("move the pointer to (%d, %d): %w", p.X, p.Y, err)
	}
	return nil
}

// move puts the pointer at p and records it, so that WatchTakeover never takes
// the Desktop's own moves for the user's.
func (d *Desktop) move(p image.Point) error {
	d.ptr.moving(p)
	err := d.b.move(p.X, p.Y)
	d.ptr.moved(p, err == nil)
	return err
}

// beforePress waits for the pointer to settle and, if the last press was moments
// ago, long enough that applications do not count the two as a double click: a click
// followed by a drag would otherwise select a word. The wait does not depend on the
// distance, because xterm counts clicks anywhere in its window.
func (d *Desktop) beforePress(ctx context.Context, t timing) error {
	wait := t.settle
	if !d.lastPress.IsZero() {
		wait = max(wait, t.apart-time.Since(d.lastPress))
	}
	return sleep(ctx, wait)
}

func (d *Desktop) pressed() {
	d.lastPress = time.Now()
}

// sleep waits for dur or until ctx is done, whichever comes first.
func sleep(ctx context.Context, dur time.Duration) error {
	if dur <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(dur)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// robotgoKeys maps canonical key names to robotgo v1.0.2's names (its key.go
// keyNames). super is "cmd": robotgo presses Super_L on X11, the Windows key on
// Windows and Command on macOS. Function keys and printable characters keep their
// names.
var robotgoKeys = map[string]string{
	"ctrl": "ctrl", "alt": "alt", "shift": "shift", "super": "cmd",
	"enter": "enter", "tab": "tab", "esc": "esc", "backspace": "backspace", "delete": "delete",
	"space": "space", "up": "up", "down": "down", "left": "left", "right": "right",
	"home": "home", "end": "end", "pageup": "pageup", "pagedown": "pagedown",
	"insert": "insert", "capslock": "capslock", "printscreen": "printscreen",
}

// robotgoKey returns robotgo's name for a key that pressKeys produced. robotgo
// silently sends keycode 0 for a name it does not know, which X answers by ending
// the process, so unknown names are an error here.
func robotgoKey(k string) (string, error) {
	if n, ok := robotgoKeys[k]; ok {
		return n, nil
	}
	if isFunctionKey(k) {
		return k, nil
	}
	if len(k) == 1 && k[0] > ' ' && k[0] < 0x7f && shiftedUS[rune(k[0])] == 0 && !(k[0] >= 'A' && k[0] <= 'Z') {
		return k, nil
	}
	return "", fmt.Errorf("no robotgo key for %q", k)
}
