//go:build !windows && !darwin

package taskbar

import (
	"image"
	"os"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver"
	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xinerama"
	"github.com/jezek/xgb/xproto"
)

// ActiveTitle returns the title of the window that has the focus, as the
// window manager says (EWMH _NET_ACTIVE_WINDOW, then _NET_WM_NAME or WM_NAME),
// or "" when it cannot tell. Read it before the bar opens: the bar is active
// after.
func ActiveTitle() string {
	c, err := connect()
	if err != nil {
		return ""
	}
	defer c.Close()
	root := xproto.Setup(c).DefaultScreen(c).Root
	active := atom(c, "_NET_ACTIVE_WINDOW")
	r, err := xproto.GetProperty(c, false, root, active, xproto.AtomWindow, 0, 1).Reply()
	if err != nil || r.Format != 32 || len(r.Value) < 4 {
		return ""
	}
	w := xproto.Window(xgb.Get32(r.Value))
	if w == 0 {
		return ""
	}
	if t := textProperty(c, w, atom(c, "_NET_WM_NAME"), atom(c, "UTF8_STRING")); t != "" {
		return t
	}
	return textProperty(c, w, xproto.AtomWmName, xproto.AtomString)
}

// raise puts the bar at the top centre of the monitor under the pointer, keeps
// it above other windows and gives it the focus, on its native X11 window.
func raise(w fyne.Window) {
	nw, ok := w.(driver.NativeWindow)
	if !ok {
		return
	}
	var handle uintptr
	nw.RunNative(func(ctx any) {
		if x, ok := ctx.(driver.X11WindowContext); ok {
			handle = x.WindowHandle
		}
	})
	if handle == 0 {
		return
	}
	c, err := connect()
	if err != nil {
		return
	}
	defer c.Close()
	win := xproto.Window(handle)
	root := xproto.Setup(c).DefaultScreen(c).Root
	if g, err := xproto.GetGeometry(c, xproto.Drawable(win)).Reply(); err == nil {
		at := Place(monitorUnderPointer(c, root), image.Pt(int(g.Width), int(g.Height)))
		xproto.ConfigureWindow(c, win, xproto.ConfigWindowX|xproto.ConfigWindowY,
			[]uint32{uint32(int32(at.X)), uint32(int32(at.Y))})
	}
	state, above := atom(c, "_NET_WM_STATE"), atom(c, "_NET_WM_STATE_ABOVE")
	// Before the window manager has taken the window, the property is read
	// when it does; after, only a message to the root changes the state.
	xproto.ChangeProperty(c, xproto.PropModeReplace, win, state, xproto.AtomAtom, 32, 1, u32(uint32(above)))
	const add, sourcePager = 1, 2
	send(c, root, win, state, add, uint32(above), 0, sourcePager)
	// Source "pager": the user asked for this window, so window managers that
	// prevent focus stealing give it the focus anyway.
	send(c, root, win, atom(c, "_NET_ACTIVE_WINDOW"), sourcePager, 0, 0)
	xproto.ConfigureWindow(c, win, xproto.ConfigWindowStackMode, []uint32{xproto.StackModeAbove})
	xproto.GetInputFocus(c).Reply() // a round trip: all of the above has reached the server
}

func connect() (*xgb.Conn, error) {
	if os.Getenv("DISPLAY") == "" {
		return nil, os.ErrNotExist
	}
	return xgb.NewConn()
}

func atom(c *xgb.Conn, name string) xproto.Atom {
	r, err := xproto.InternAtom(c, false, uint16(len(name)), name).Reply()
	if err != nil {
		return 0
	}
	return r.Atom
}

func textProperty(c *xgb.Conn, w xproto.Window, prop, typ xproto.Atom) string {
	if prop == 0 {
		return ""
	}
	r, err := xproto.GetProperty(c, false, w, prop, typ, 0, 1024).Reply()
	if err != nil || r.Format != 8 {
		return ""
	}
	return string(r.Value)
}

// monitorUnderPointer is the Xinerama screen the pointer is on, or the whole
// root window.
func monitorUnderPointer(c *xgb.Conn, root xproto.Window) image.Rectangle {
	whole := image.Rectangle{}
	if g, err := xproto.GetGeometry(c, xproto.Drawable(root)).Reply(); err == nil {
		whole = image.Rect(0, 0, int(g.Width), int(g.Height))
	}
	p, err := xproto.QueryPointer(c, root).Reply()
	if err != nil || xinerama.Init(c) != nil {
		return whole
	}
	screens, err := xinerama.QueryScreens(c).Reply()
	if err != nil {
		return whole
	}
	pt := image.Pt(int(p.RootX), int(p.RootY))
	for _, s := range screens.ScreenInfo {
		r := image.Rect(int(s.XOrg), int(s.YOrg), int(s.XOrg)+int(s.Width), int(s.YOrg)+int(s.Height))
		if pt.In(r) {
			return r
		}
	}
	return whole
}

// send sends an EWMH client message about win to the root window.
func send(c *xgb.Conn, root, win xproto.Window, typ xproto.Atom, data ...uint32) {
	var d [5]uint32
	copy(d[:], data)
	ev := xproto.ClientMessageEvent{Format: 32, Window: win, Type: typ,
		Data: xproto.ClientMessageDataUnionData32New(d[:])}
	xproto.SendEvent(c, false, root,
		xproto.EventMaskSubstructureRedirect|xproto.EventMaskSubstructureNotify, string(ev.Bytes()))
}

func u32(v uint32) []byte {
	b := make([]byte, 4)
	xgb.Put32(b, v)
	return b
}
