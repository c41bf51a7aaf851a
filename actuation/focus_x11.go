//go:build !windows && !darwin

package actuation

import (
	"encoding/binary"
	"errors"
	"strings"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

// ErrFocusUnknown: no window has the keyboard focus, or the X server would not
// say which.
var ErrFocusUnknown = errors.New("no window has the keyboard focus")

// focusedWindow asks the X server on a connection of its own (about a
// millisecond: it runs once per type action).
func focusedWindow() (Window, error) {
	c, err := dialX11()
	if err != nil {
		return Window{}, err
	}
	defer c.Close()
	_, w, ok := x11Focus(c)
	if !ok {
		return w, ErrFocusUnknown
	}
	return w, nil
}

// x11Focus returns the focused top-level window (the active window when the
// focus is on the root or follows the pointer) with its class and title; ok is
// false when no window has the focus. The focus may be on a child of the
// top-level window, which carries WM_CLASS and the title: it walks up to it.
func x11Focus(c *xgb.Conn) (xproto.Window, Window, bool) {
	f, err := xproto.GetInputFocus(c).Reply()
	if err != nil {
		return 0, Window{}, false
	}
	w := f.Focus
	root := xproto.Setup(c).DefaultScreen(c).Root
	if w == xproto.WindowNone || w == xproto.InputFocusPointerRoot || w == root {
		active := internAtom(c, "_NET_ACTIVE_WINDOW")
		r, err := xproto.GetProperty(c, false, root, active, xproto.AtomWindow, 0, 1).Reply()
		if err != nil || len(r.Value) < 4 {
			return 0, Window{}, false
		}
		if w = xproto.Window(binary.LittleEndian.Uint32(r.Value)); w == xproto.WindowNone {
			return 0, Window{}, false
		}
	}
	focus := w
	for range 16 {
		r, err := xproto.GetProperty(c, false, w, xproto.AtomWmClass, xproto.AtomString, 0, 256).Reply()
		if err == nil && len(r.Value) > 0 {
			var classes []string
			for _, s := range strings.Split(strings.TrimRight(string(r.Value), "\x00"), "\x00") {
				classes = append(classes, strings.ToLower(s))
			}
			return focus, Window{Class: classes, Title: x11Title(c, w)}, true
		}
		t, err := xproto.QueryTree(c, w).Reply()
		if err != nil || t.Parent == xproto.WindowNone || t.Parent == t.Root {
			break
		}
		w = t.Parent
	}
	return focus, Window{Title: x11Title(c, focus)}, true
}

// x11Title is a window's _NET_WM_NAME (UTF-8), else its WM_NAME.
func x11Title(c *xgb.Conn, w xproto.Window) string {
	name, utf8 := internAtom(c, "_NET_WM_NAME"), internAtom(c, "UTF8_STRING")
	if r, err := xproto.GetProperty(c, false, w, name, utf8, 0, 1024).Reply(); err == nil && len(r.Value) > 0 {
		return string(r.Value)
	}
	r, err := xproto.GetProperty(c, false, w, xproto.AtomWmName, xproto.GetPropertyTypeAny, 0, 1024).Reply()
	if err != nil {
		return ""
	}
	switch r.Type {
	case utf8:
		return string(r.Value)
	case internAtom(c, "COMPOUND_TEXT"):
		return compoundText(r.Value)
	}
	return latin1(r.Value) // STRING
}

// latin1 decodes ISO 8859-1 bytes.
func latin1(b []byte) string {
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

// compoundText decodes the parts of an X COMPOUND_TEXT string that a title check
// needs: ASCII and Latin-1, and UTF-8 segments (ESC % G … ESC % @, which xterm
// writes). Text in other designated sets (JIS, GB, KSC …) is left out.
func compoundText(b []byte) string {
	var out []rune
	ascii, latin, utf := true, true, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c == 0x1b { // ESC, intermediate bytes 0x20–0x2f, a final byte
			j := i + 1
			for j < len(b) && b[j] >= 0x20 && b[j] <= 0x2f {
				j++
			}
			if j >= len(b) {
				break
			}
			seq := string(b[i+1 : j+1])
			switch {
			case seq == "%G":
				utf = true
			case seq == "%@":
				utf = false
			case seq == "(B":
				ascii = true
			case seq == "-A":
				latin = true
			case seq[0] == '$' || seq[0] == '(':
				ascii = false // a multibyte or other set in GL
			case seq[0] == '-' || seq[0] == ')':
				latin = false // another set in GR
			}
			i = j
			continue
		}
		if utf {
			k := i
			for k < len(b) && b[k] != 0x1b {
				k++
			}
			out = append(out, []rune(string(b[i:k]))...)
			i = k - 1
			continue
		}
		switch {
		case c < 0x80 && (ascii || c < 0x21 || c == 0x7f):
			out = append(out, rune(c))
		case c >= 0xa0 && latin:
			out = append(out, rune(c))
		case c == '\n' || c == '\t':
			out = append(out, rune(c))
		}
	}
	return string(out)
}

func internAtom(c *xgb.Conn, name string) xproto.Atom {
	r, err := xproto.InternAtom(c, false, uint16(len(name)), name).Reply()
	if err != nil {
		return xproto.AtomNone
	}
	return r.Atom
}
