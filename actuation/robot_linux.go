//go:build cgo

package actuation

import (
	"fmt"
	"image"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
	"github.com/jezek/xgb/xtest"
)

// x11 is a second, pure-Go connection to the X server next to robotgo's. It answers
// what robotgo cannot answer safely (X ends the whole process when robotgo presses a
// key the keyboard map lacks) and types what robotgo v1.0.2 types wrong: it drops
// characters outside the Basic Multilingual Plane (emoji), rewrites the whole
// keyboard map for every other non-ASCII character, and assumes a US layout for
// ASCII.
//
// It types a character no key produces the way xdotool does: it maps the character's
// keysym onto a keycode that has no symbols and presses that keycode with XTEST. The
// mappings stay after typing, so repeated characters need no new ones.
type x11 struct {
	conn  *xgb.Conn
	root  xproto.Window
	spare []xproto.Keycode // keycodes that had no symbols when we connected
	// mine is the keysym we mapped on a spare keycode. One that holds anything
	// else now (the user switched layouts) is no longer ours to overwrite.
	mine map[xproto.Keycode]xproto.Keysym
	// used says when a spare keycode was last pressed. A keycode is mapped again
	// only remapReuse later, because an application reads a key press with the
	// keyboard map it fetches when it handles the MappingNotify before it: if the
	// application lags and the keycode has been remapped meanwhile, it sees the
	// wrong character.
	used map[xproto.Keycode]time.Time
}

// The pacing of characters typed on spare keycodes.
const (
	remapReuse = 200 * time.Millisecond
	keyHold    = 2 * time.Millisecond
	keyGap     = 3 * time.Millisecond
)

func openPlatform() (platform, error) {
	c, err := dialX11()
	if err != nil {
		return nil, err
	}
	name := os.Getenv("DISPLAY")
	if err := xtest.Init(c); err != nil {
		c.Close()
		return nil, fmt.Errorf("%w: the X display %s lacks the XTEST extension that deskhand sends input with: %v", ErrNoDisplay, name, err)
	}
	go func() {
		// X sends MappingNotify to every client, and xgb stops reading replies
		// once its event buffer is full: drain it.
		for {
			if ev, err := c.WaitForEvent(); ev == nil && err == nil {
				return // closed
			}
		}
	}()
	x := &x11{conn: c, root: xproto.Setup(c).DefaultScreen(c).Root, used: map[xproto.Keycode]time.Time{},
		mine: map[xproto.Keycode]xproto.Keysym{}}
	km, err := x.keymap()
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("%w: read the keyboard map of %s: %v", ErrNoDisplay, name, err)
	}
	for i := range km.count() {
		kc := km.min + xproto.Keycode(i)
		if km.unused(kc) {
			x.spare = append(x.spare, kc)
		}
	}
	return x, nil
}

func (x *x11) close() { x.conn.Close() }

func (x *x11) bounds() (image.Rectangle, error) {
	// The root window is the pointer's whole range, across all monitors.
	g, err := xproto.GetGeometry(x.conn, xproto.Drawable(x.root)).Reply()
	if err != nil {
		return image.Rectangle{}, fmt.Errorf("read the X root window size: %w", err)
	}
	return image.Rect(0, 0, int(g.Width), int(g.Height)), nil
}

// xKeysyms are the X keysyms robotgo presses for canonical key names; modifiers are
// the left-hand keys.
var xKeysyms = map[string]xproto.Keysym{
	"ctrl": 0xffe3, "alt": 0xffe9, "shift": 0xffe1, "super": 0xffeb,
	"enter": 0xff0d, "tab": 0xff09, "esc": 0xff1b, "backspace": 0xff08, "delete": 0xffff,
	"space": 0x20, "up": 0xff52, "down": 0xff54, "left": 0xff51, "right": 0xff53,
	"home": 0xff50, "end": 0xff57, "pageup": 0xff55, "pagedown": 0xff56,
	"insert": 0xff63, "capslock": 0xffe5, "printscreen": 0xff61,
}

func (x *x11) checkKeys(keys []string) error {
	km, err := x.keymap()
	if err != nil {
		return fmt.Errorf("read the keyboard map: %w", err)
	}
	for _, k := range keys {
		sym, ok := xKeysyms[k]
		switch {
		case ok:
		case isFunctionKey(k):
			var n int
			fmt.Sscanf(k, "f%d", &n)
			sym = 0xffbe + xproto.Keysym(n-1) // F1 … F24 are consecutive
		case len(k) == 1:
			sym = robotgoCharKeysym(k[0])
		default:
			return fmt.Errorf("no X keysym for key %q", k)
		}
		if _, ok := km.find(sym, x.spare, false); !ok {
			return fmt.Errorf("key %s is not on this keyboard: the X keyboard map has no keysym %#x (xmodmap -pke lists the map)", k, sym)
		}
	}
	return nil
}

// robotgoCharKeysym is the keysym robotgo v1.0.2 presses for an ASCII character
// (keyCodeForChar): the character's own, except that its table swaps the two
// quotes and it types '<' with the comma key.
func robotgoCharKeysym(c byte) xproto.Keysym {
	switch c {
	case '"':
		return '\''
	case '\'':
		return '"'
	case '<':
		return ','
	}
	return xproto.Keysym(c)
}

func (x *x11) typeText(s string, robotType func(string)) error {
	km, err := x.keymap()
	if err != nil {
		return fmt.Errorf("read the keyboard map: %w", err)
	}
	var run []rune
	byRobot := false
	flush := func() error {
		defer func() { run = run[:0] }()
		if len(run) == 0 {
			return nil
		}
		if byRobot {
			robotType(string(run))
			return nil
		}
		return x.typeRunes(km, run)
	}
	for _, r := range s {
		ok := x.robotgoTypes(km, r)
		if ok != byRobot {
			if err := flush(); err != nil {
				return err
			}
			byRobot = ok
		}
		run = append(run, r)
	}
	return flush()
}

// robotgoTypes reports whether robotgo.Type types r right with this keyboard map:
// r is ASCII, and the key robotgo picks for it (XKeysymToKeycode: the first key
// with the keysym in the first column, then the second) gives r at the shift level
// robotgo assumes from a US keyboard.
func (x *x11) robotgoTypes(km *keymap, r rune) bool {
	if r < ' ' || r > '~' {
		return false
	}
	c := byte(r)
	shift := c >= 'A' && c <= 'Z' || strings.IndexByte(`~!@#$%^&*()_+{}|:"<>?`, c) >= 0
	kc, ok := km.find(robotgoCharKeysym(c), x.spare, false)
	if !ok {
		return false
	}
	col := 0
	if shift {
		col = 1
	}
	return km.sym(kc, col) == xproto.Keysym(r)
}

// unicodeKeysym returns the keysym that types r: Latin-1 has its own keysyms, the
// rest of Unicode is 0x01000000 + the code point.
func unicodeKeysym(r rune) xproto.Keysym {
	if r >= 0x20 && r <= 0x7e || r >= 0xa0 && r <= 0xff {
		return xproto.Keysym(r)
	}
	return 0x01000000 | xproto.Keysym(r)
}

// typeRunes types each rune with a key that produces it unshifted, after mapping
// those no key produces onto spare keycodes.
func (x *x11) typeRunes(km *keymap, runes []rune) error {
	for len(runes) > 0 {
		// As many runes as the spare keycodes can hold at once. A spare keycode
		// that already types one of them is kept: remapping it for another
		// character of the same batch would leave this one without a key.
		var need []xproto.Keysym
		var keep []xproto.Keycode
		n := 0
		for ; n < len(runes); n++ {
			sym := unicodeKeysym(runes[n])
			if slices.Contains(need, sym) {
				continue
			}
			kc, ok := km.find(sym, nil, true)
			if ok && (!slices.Contains(x.spare, kc) || slices.Contains(keep, kc)) {
				continue
			}
			if len(need)+len(keep) == len(x.spare) {
				break
			}
			if ok {
				keep = append(keep, kc)
			} else {
				need = append(need, sym)
			}
		}
		if n == 0 {
			return fmt.Errorf("type %q: the X keyboard map has no free keycode to map it on", runes[0])
		}
		if err := x.remap(km, need, keep); err != nil {
			return fmt.Errorf("type %q: %w", string(runes[:n]), err)
		}
		for _, r := range runes[:n] {
			kc, _ := km.find(unicodeKeysym(r), nil, true)
			if err := x.fakeKey(kc, true); err != nil {
				return fmt.Errorf("type %q: %w", r, err)
			}
			time.Sleep(keyHold)
			if err := x.fakeKey(kc, false); err != nil {
				return fmt.Errorf("type %q: %w", r, err)
			}
			if slices.Contains(x.spare, kc) {
				x.used[kc] = time.Now()
			}
			time.Sleep(keyGap)
		}
		runes = runes[n:]
	}
	return nil
}

// remap maps syms onto the spare keycodes used longest ago, in one request: every
// change to the keyboard map makes each X client reload it, and window managers
// regrab their shortcuts (openbox took 40 ms a change, and fell seconds behind when
// robotgo-style typing changed the map for every character). The request rewrites
// the keycodes between the spare ones with the symbols they have, read under a
// server grab so that no other change can slip in between. The keycodes in keep
// are left alone. km is updated.
func (x *x11) remap(km *keymap, syms []xproto.Keysym, keep []xproto.Keycode) error {
	if len(syms) == 0 {
		return nil
	}
	var free []xproto.Keycode
	for _, kc := range x.spare {
		if x.free(km, kc) && !slices.Contains(keep, kc) {
			free = append(free, kc)
		}
	}
	if len(free) < len(syms) {
		return fmt.Errorf("the X keyboard map has %d free keycodes to map characters on, and %d are needed", len(free), len(syms))
	}
	slices.SortStableFunc(free, func(a, b xproto.Keycode) int { return x.used[a].Compare(x.used[b]) })
	chosen := free[:len(syms)]
	var last time.Time
	for _, kc := range chosen {
		if x.used[kc].After(last) {
			last = x.used[kc]
		}
	}
	if wait := remapReuse - time.Since(last); wait > 0 {
		time.Sleep(wait) // before the grab: other clients stall while we hold it
	}

	if err := xproto.GrabServerChecked(x.conn).Check(); err != nil {
		return fmt.Errorf("grab the X server: %w", err)
	}
	defer xproto.UngrabServer(x.conn)
	fresh, err := x.keymap()
	if err != nil {
		return fmt.Errorf("read the keyboard map: %w", err)
	}
	*km = *fresh
	for i, kc := range chosen {
		if !x.free(km, kc) {
			return fmt.Errorf("keycode %d got symbols from elsewhere while typing; try again", kc)
		}
		col := make([]xproto.Keysym, km.per)
		col[0] = syms[i]
		if km.per > 1 {
			col[1] = syms[i] // the same with shift, so a held shift or caps lock changes nothing
		}
		km.set(kc, col)
		x.mine[kc] = syms[i]
	}
	lo, hi := slices.Min(chosen), slices.Max(chosen)
	first := (int(lo) - int(km.min)) * km.per
	block := km.syms[first : first+(int(hi)-int(lo)+1)*km.per]
	if err := xproto.ChangeKeyboardMappingChecked(x.conn, byte(int(hi)-int(lo)+1), lo, byte(km.per), block).Check(); err != nil {
		return fmt.Errorf("change keycodes %d to %d: %w", lo, hi, err)
	}
	return nil
}

// free reports whether a spare keycode may be mapped: it has no symbols, or the one
// we gave it. Anything else means the layout changed and the keycode is a key now.
func (x *x11) free(km *keymap, kc xproto.Keycode) bool {
	return km.unused(kc) || km.sym(kc, 0) == x.mine[kc]
}

// fakeKey presses or releases a keycode with XTEST and waits until the server has
// handled it, so it stays in order with robotgo's events on its own connection.
func (x *x11) fakeKey(kc xproto.Keycode, down bool) error {
	typ := byte(xproto.KeyRelease)
	if down {
		typ = xproto.KeyPress
	}
	return xtest.FakeInputChecked(x.conn, typ, byte(kc), 0, x.root, 0, 0, 0).Check()
}

// keymap is the core keyboard map: per keysyms for each keycode from min.
type keymap struct {
	min  xproto.Keycode
	per  int
	syms []xproto.Keysym
}

func (x *x11) keymap() (*keymap, error) {
	setup := xproto.Setup(x.conn)
	n := int(setup.MaxKeycode) - int(setup.MinKeycode) + 1
	r, err := xproto.GetKeyboardMapping(x.conn, setup.MinKeycode, byte(n)).Reply()
	if err != nil {
		return nil, err
	}
	return &keymap{min: setup.MinKeycode, per: int(r.KeysymsPerKeycode), syms: r.Keysyms}, nil
}

func (k *keymap) count() int {
	if k.per == 0 {
		return 0
	}
	return len(k.syms) / k.per
}

func (k *keymap) sym(kc xproto.Keycode, col int) xproto.Keysym {
	i := (int(kc)-int(k.min))*k.per + col
	if kc < k.min || col >= k.per || i >= len(k.syms) {
		return 0
	}
	return k.syms[i]
}

func (k *keymap) unused(kc xproto.Keycode) bool {
	for col := range k.per {
		if k.sym(kc, col) != 0 {
			return false
		}
	}
	return true
}

func (k *keymap) set(kc xproto.Keycode, syms []xproto.Keysym) {
	copy(k.syms[(int(kc)-int(k.min))*k.per:], syms)
}

// find returns the first keycode, not in skip, with sym in the first column, then
// (unless firstOnly) in any other, searching column by column as Xlib's
// XKeysymToKeycode does.
func (k *keymap) find(sym xproto.Keysym, skip []xproto.Keycode, firstOnly bool) (xproto.Keycode, bool) {
	cols := k.per
	if firstOnly {
		cols = min(cols, 1)
	}
	for col := range cols {
		for i := range k.count() {
			kc := k.min + xproto.Keycode(i)
			if k.sym(kc, col) == sym && !slices.Contains(skip, kc) {
				return kc, true
			}
		}
	}
	return 0, false
}
