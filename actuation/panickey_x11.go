//go:build !windows && !darwin

package actuation

import (
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

// x11Watcher holds a passive grab of the panic key on the root window, on a pure-Go
// X connection of its own (no cgo, so it works in any build and never touches
// robotgo's connection), and reads its events on one goroutine.
type x11Watcher struct {
	conn *xgb.Conn
	once sync.Once
	done chan struct{} // closed when the event loop has ended
}

// panicKeysyms are the X keysyms of the canonical key names.
var panicKeysyms = map[string]xproto.Keysym{
	"enter": 0xff0d, "tab": 0xff09, "esc": 0xff1b, "backspace": 0xff08, "delete": 0xffff,
	"space": 0x20, "up": 0xff52, "down": 0xff54, "left": 0xff51, "right": 0xff53,
	"home": 0xff50, "end": 0xff57, "pageup": 0xff55, "pagedown": 0xff56,
	"insert": 0xff63, "capslock": 0xffe5, "printscreen": 0xff61,
}

func keysymOf(k string) (xproto.Keysym, bool) {
	if s, ok := panicKeysyms[k]; ok {
		return s, true
	}
	if isFunctionKey(k) {
		var n int
		fmt.Sscanf(k, "f%d", &n)
		return 0xffbe + xproto.Keysym(n-1), true
	}
	if len(k) == 1 && k[0] > ' ' && k[0] < 0x7f {
		return xproto.Keysym(k[0]), true // Latin-1 keysyms are the characters
	}
	return 0, false
}

func watchPanicKey(p PanicKey, onPress func()) (panicWatcher, error) {
	c, err := dialX11()
	if err != nil {
		return nil, err
	}
	w := &x11Watcher{conn: c, done: make(chan struct{})}
	grabs, err := grabPanicKey(c, p)
	if err != nil {
		c.Close()
		return nil, err
	}
	go w.loop(grabs, onPress)
	return w, nil
}

// grab is one key the watcher grabbed: a keycode and the modifiers that must be
// held, besides any lock modifier.
type grab struct {
	keys []xproto.Keycode // every keycode that carries the key's keysym
	mods uint16
	lock uint16 // the mask of the lock modifiers, ignored when matching
}

// grabPanicKey grabs every keycode that carries the panic key's keysym, with its
// modifiers and every combination of Caps Lock, Num Lock and Scroll Lock.
func grabPanicKey(c *xgb.Conn, p PanicKey) (grab, error) {
	setup := xproto.Setup(c)
	root := setup.DefaultScreen(c).Root
	km, err := xproto.GetKeyboardMapping(c, setup.MinKeycode, byte(setup.MaxKeycode-setup.MinKeycode+1)).Reply()
	if err != nil {
		return grab{}, fmt.Errorf("read the keyboard map: %w", err)
	}
	per := int(km.KeysymsPerKeycode)
	keycodes := func(sym xproto.Keysym) []xproto.Keycode {
		var out []xproto.Keycode
		for i := 0; i*per < len(km.Keysyms); i++ {
			for col := 0; col < min(per, 2); col++ {
				if km.Keysyms[i*per+col] == sym {
					out = append(out, setup.MinKeycode+xproto.Keycode(i))
					break
				}
			}
		}
		return out
	}
	mm, err := xproto.GetModifierMapping(c).Reply()
	if err != nil {
		return grab{}, fmt.Errorf("read the modifier map: %w", err)
	}
	// modMask is the modifier bit that a key carrying one of syms sets, or 0.
	modMask := func(syms ...xproto.Keysym) uint16 {
		n := int(mm.KeycodesPerModifier)
		for m := 0; m < 8; m++ {
			for _, kc := range mm.Keycodes[m*n : (m+1)*n] {
				if kc == 0 {
					continue
				}
				for _, s := range syms {
					for _, k := range keycodes(s) {
						if k == kc {
							return 1 << m
						}
					}
				}
			}
		}
		return 0
	}
	alt := modMask(0xffe9, 0xffea, 0xffe7, 0xffe8) // Alt_L, Alt_R, Meta_L, Meta_R
	if alt == 0 {
		alt = xproto.ModMask1
	}
	super := modMask(0xffeb, 0xffec) // Super_L, Super_R
	if super == 0 {
		super = xproto.ModMask4
	}
	numLock := modMask(0xff7f)    // Num_Lock
	scrollLock := modMask(0xff14) // Scroll_Lock

	g := grab{lock: xproto.ModMaskLock | numLock | scrollLock}
	var sym xproto.Keysym
	for _, k := range p.pressed() {
		switch k {
		case "ctrl":
			g.mods |= xproto.ModMaskControl
		case "shift":
			g.mods |= xproto.ModMaskShift
		case "alt":
			g.mods |= alt
		case "super":
			g.mods |= super
		default:
			s, ok := keysymOf(k)
			if !ok {
				return grab{}, fmt.Errorf("no X keysym for the key %q", k)
			}
			sym = s
		}
	}
	kcs := keycodes(sym)
	if len(kcs) == 0 {
		return grab{}, fmt.Errorf("the key %s is not on this keyboard (the X keyboard map has no keysym %#x)", p, sym)
	}
	locks := []uint16{0} // every combination of the lock modifiers
	for _, l := range []uint16{xproto.ModMaskLock, numLock, scrollLock} {
		if l != 0 {
			for _, x := range locks {
				locks = append(locks, x|l)
			}
		}
	}
	for _, kc := range kcs {
		for _, l := range dedup(locks) {
			err := xproto.GrabKeyChecked(c, true, root, g.mods|l, kc, xproto.GrabModeAsync, xproto.GrabModeAsync).Check()
			var access xproto.AccessError
			switch {
			case errors.As(err, &access):
				return grab{}, fmt.Errorf("%s: %w (X BadAccess)", p, ErrPanicKeyTaken)
			case err != nil:
				return grab{}, fmt.Errorf("grab %s: %w", p, err)
			}
		}
	}
	g.keys = kcs
	return g, nil
}

func dedup(xs []uint16) []uint16 {
	seen := map[uint16]bool{}
	var out []uint16
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func (w *x11Watcher) loop(g grab, onPress func()) {
	defer close(w.done)
	for {
		ev, err := w.conn.WaitForEvent()
		if ev == nil && err == nil {
			return // the connection is closed
		}
		kp, ok := ev.(xproto.KeyPressEvent)
		if !ok {
			continue
		}
		if kp.State&^g.lock&0xff != g.mods {
			continue
		}
		if slices.Contains(g.keys, kp.Detail) {
			onPress()
		}
	}
}

func (w *x11Watcher) stop() {
	w.once.Do(func() { w.conn.Close() }) // releases the grabs; the loop sees the close
	<-w.done
}
