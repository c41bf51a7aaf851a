package actuation

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
)

// DefaultPanicKey is the combination that stops a run from anywhere unless
// DESKHAND_PANIC_KEY names another.
const DefaultPanicKey = "ctrl+alt+shift+esc"

// PanicKeyEnv is the environment variable that configures the panic key.
const PanicKeyEnv = "DESKHAND_PANIC_KEY"

// ErrPanicKeyTaken means another program holds the panic key combination already
// (X answers the grab with BadAccess), so deskhand cannot watch it.
var ErrPanicKeyTaken = errors.New("the key combination is already taken by another program")

// PanicKey is the global key combination that stops a run. The zero value is
// DefaultPanicKey.
type PanicKey struct {
	keys []string // canonical, modifiers first (ParseKeys)
}

var defaultPanicKeys = mustParseKeys(DefaultPanicKey)

func mustParseKeys(s string) []string {
	k, err := ParseKeys(s)
	if err != nil {
		panic(err)
	}
	return k
}

// ParsePanicKey reads a combination the way key actions are read ("ctrl+alt+shift+escape",
// "Ctrl-Alt-F12"); "" is DefaultPanicKey. It must be one key and at least one
// modifier (a function key may stand alone), every key one that can be pressed:
// a combination without modifiers would take a key away from the user.
func ParsePanicKey(s string) (PanicKey, error) {
	if strings.TrimSpace(s) == "" {
		return PanicKey{}, nil
	}
	keys, err := ParseKeys(s)
	if err != nil {
		return PanicKey{}, fmt.Errorf("panic key %q: %w", s, err)
	}
	if _, text, err := pressKeys(keys); err != nil || text != "" {
		return PanicKey{}, fmt.Errorf("panic key %q: %q cannot be pressed as a key combination", s, strings.Join(keys, "+"))
	}
	var mods, rest []string
	for _, k := range keys {
		if isModifier(k) {
			mods = append(mods, k)
		} else {
			rest = append(rest, k)
		}
	}
	switch {
	case len(rest) != 1:
		return PanicKey{}, fmt.Errorf("panic key %q: want modifiers and exactly one other key, such as %s", s, DefaultPanicKey)
	case slices.Equal(mods, []string{"ctrl", "alt"}) && isVTKey(rest[0]):
		return PanicKey{}, fmt.Errorf("panic key %q: ctrl+alt+F1 to F12 switch virtual terminals, and the X server keeps them to itself", s)
	case len(mods) == 0 && !isFunctionKey(rest[0]):
		return PanicKey{}, fmt.Errorf("panic key %q: add a modifier (ctrl, alt, shift or super), or the key is taken from every program while deskhand runs", s)
	}
	return PanicKey{keys: keys}, nil
}

// isVTKey reports whether ctrl+alt+k switches virtual terminals: F1 to F12.
func isVTKey(k string) bool {
	var n int
	_, err := fmt.Sscanf(k, "f%d", &n)
	return isFunctionKey(k) && err == nil && n <= 12
}

// PanicKeyFromEnv returns the panic key DESKHAND_PANIC_KEY names, or the default.
func PanicKeyFromEnv() (PanicKey, error) {
	p, err := ParsePanicKey(os.Getenv(PanicKeyEnv))
	if err != nil {
		return PanicKey{}, fmt.Errorf("%s: %w", PanicKeyEnv, err)
	}
	return p, nil
}

// Keys returns the canonical key names, modifiers first.
func (p PanicKey) Keys() []string {
	if p.keys == nil {
		return slices.Clone(defaultPanicKeys)
	}
	return slices.Clone(p.keys)
}

// String returns the combination in canonical form: "ctrl+alt+shift+esc".
func (p PanicKey) String() string { return strings.Join(p.Keys(), "+") }

// pressed returns what the backend would press for the combination: modifiers in
// canonical order, then the key (shifted characters become shift and their key).
func (p PanicKey) pressed() []string {
	press, _, _ := pressKeys(p.Keys())
	return press
}

// Matches reports whether pressing keys (canonical names, as in a key action)
// sends exactly the panic combination. "ctrl+alt+shift+esc", "shift+alt+ctrl+escape"
// and, for a panic key of ctrl+alt+!, "ctrl+alt+shift+1" all match.
func (p PanicKey) Matches(keys []string) bool {
	press, text, err := pressKeys(keys)
	if err != nil || text != "" {
		return false
	}
	want := p.pressed()
	if len(press) != len(want) {
		return false
	}
	for _, k := range press {
		if !slices.Contains(want, k) {
			return false
		}
	}
	return true
}

// WatchPanicKey watches the panic key on the whole desktop from a connection of its
// own and calls onPress, from its own goroutine, each time the user presses it,
// whatever the state of Caps Lock, Num Lock and Scroll Lock. It watches until stop
// is called or ctx is done; stop waits for the watcher's goroutine to end and may
// be called more than once. The error wraps ErrNoDisplay without a display,
// ErrPanicKeyTaken when another program holds the combination, and
// errors.ErrUnsupported where there is no implementation.
func WatchPanicKey(ctx context.Context, p PanicKey, onPress func()) (stop func(), err error) {
	w, err := watchPanicKey(p, onPress)
	if err != nil {
		return nil, err
	}
	halted := make(chan struct{})
	go func() { // ends with the watcher or ctx
		select {
		case <-ctx.Done():
			w.stop()
		case <-halted:
		}
	}()
	var once sync.Once
	return func() {
		w.stop()
		once.Do(func() { close(halted) })
	}, nil
}

// panicWatcher is a platform's running watch.
type panicWatcher interface {
	stop() // idempotent; returns when the watcher's goroutine has ended
}
