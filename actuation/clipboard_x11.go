//go:build !windows && !darwin

package actuation

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

func init() { newClipboard = openX11Clipboard }

// x11Clipboard owns the CLIPBOARD (and, for terminals, PRIMARY) selection for the
// Desktop from a small unmapped window on a pure-Go X connection of its own. One
// goroutine reads the connection's events: it answers SelectionRequests with what
// the window owns, and hands the replies to deskhand's own requests (reading the
// previous content) to the waiting paste through mine.
//
// Selections are ICCCM's: the owner converts its content to the target a
// requestor asks for and writes it into a property of the requestor's window.
// Content larger than one request goes in pieces (INCR).
type x11Clipboard struct {
	conn   *xgb.Conn
	win    xproto.Window
	a      x11Atoms
	idMask uint32 // the resource ID bits below the client's: an ID's client is ID &^ idMask
	direct int    // bytes written in one request at most; more goes INCR

	mine chan xgb.Event // SelectionNotify and PropertyNotify on win
	done chan struct{}  // closed when the event loop has ended

	// Counters for tests: pastes fetched, transfers in pieces out and in.
	fetched, incrOut, incrIn atomic.Int64

	mu    sync.Mutex
	owned map[xproto.Atom]*selContent // what win serves, by selection
	past  map[xproto.Atom]*selContent // a paste's content superseded by a restore, for requests stamped before it
	sends map[incrKey]*incrSend
}

type x11Atoms struct {
	clipboard, targets, multiple, timestamp, incr, atomPair, utf8, text, textPlainUTF8, textPlain,
	compoundText, saveTargets, manager, prop, stamp, netActive, delete, insertSel, insertProp xproto.Atom
}

// selItem is one target of a selection's content: its data, the type and format
// to write them with.
type selItem struct {
	target, typ xproto.Atom
	format      byte
	data        []byte
}

// selContent is what deskhand serves for one selection.
type selContent struct {
	since, until xproto.Timestamp // owned from since; a past content until
	items        []selItem
	// A paste's text goes only to the client of the focused window when that
	// is known (client), not to clipboard managers or others watching the
	// clipboard. served hears each time that client fetched it.
	paste      bool
	restricted bool
	client     uint32
	served     chan struct{}
}

type incrKey struct {
	win  xproto.Window
	prop xproto.Atom
}

// incrSend is a transfer in pieces to a requestor, which deletes the property to
// ask for the next piece.
type incrSend struct {
	item  selItem
	off   int
	begun time.Time
}

// incrStale is how long an INCR transfer may wait for the requestor.
const incrStale = 10 * time.Second

func openX11Clipboard() (clipboard, error) {
	c, err := dialX11()
	if err != nil {
		return nil, err
	}
	x, err := newX11Clipboard(c)
	if err != nil {
		c.Close()
		return nil, err
	}
	return x, nil
}

func newX11Clipboard(c *xgb.Conn) (*x11Clipboard, error) {
	setup := xproto.Setup(c)
	screen := setup.DefaultScreen(c)
	win, err := xproto.NewWindowId(c)
	if err != nil {
		return nil, fmt.Errorf("allocate a window: %w", err)
	}
	// InputOnly and never mapped: the window only owns selections and receives
	// properties; PropertyChange brings the replies to deskhand's requests.
	if err := xproto.CreateWindowChecked(c, 0, win, screen.Root, -10, -10, 1, 1, 0, xproto.WindowClassInputOnly, 0,
		xproto.CwEventMask, []uint32{xproto.EventMaskPropertyChange}).Check(); err != nil {
		return nil, fmt.Errorf("create the clipboard window: %w", err)
	}
	names := []string{"CLIPBOARD", "TARGETS", "MULTIPLE", "TIMESTAMP", "INCR", "ATOM_PAIR", "UTF8_STRING", "TEXT",
		"text/plain;charset=utf-8", "text/plain", "COMPOUND_TEXT", "SAVE_TARGETS", "CLIPBOARD_MANAGER",
		"DESKHAND_SELECTION", "DESKHAND_TIME", "_NET_ACTIVE_WINDOW", "DELETE", "INSERT_SELECTION", "INSERT_PROPERTY"}
	cookies := make([]xproto.InternAtomCookie, len(names))
	for i, n := range names {
		cookies[i] = xproto.InternAtom(c, false, uint16(len(n)), n)
	}
	atoms := make([]xproto.Atom, len(names))
	for i, ck := range cookies {
		r, err := ck.Reply()
		if err != nil {
			return nil, fmt.Errorf("intern the atom %s: %w", names[i], err)
		}
		atoms[i] = r.Atom
	}
	x := &x11Clipboard{
		conn: c, win: win, idMask: setup.ResourceIdMask,
		a: x11Atoms{atoms[0], atoms[1], atoms[2], atoms[3], atoms[4], atoms[5], atoms[6], atoms[7], atoms[8], atoms[9],
			atoms[10], atoms[11], atoms[12], atoms[13], atoms[14], atoms[15], atoms[16], atoms[17], atoms[18]},
		// A request holds MaximumRequestLength 4-byte units, 24 bytes of them
		// ChangeProperty's header; ICCCM asks for INCR above that.
		direct: int(setup.MaximumRequestLength)*4 - 64,
		mine:   make(chan xgb.Event, 256),
		done:   make(chan struct{}),
		owned:  map[xproto.Atom]*selContent{},
		past:   map[xproto.Atom]*selContent{},
		sends:  map[incrKey]*incrSend{},
	}
	go x.loop()
	return x, nil
}

// loop reads the connection's events until it is closed.
func (x *x11Clipboard) loop() {
	defer close(x.done)
	for {
		ev, err := x.conn.WaitForEvent()
		if ev == nil && err == nil {
			return // closed
		}
		// An error is a request of ours that failed without a reply: a property
		// of a requestor window that went away. Nothing to do.
		switch e := ev.(type) {
		case xproto.SelectionRequestEvent:
			x.serve(e)
		case xproto.SelectionClearEvent:
			x.mu.Lock()
			if c := x.owned[e.Selection]; c != nil && !before(e.Time, c.since) {
				delete(x.owned, e.Selection)
			}
			x.mu.Unlock()
		case xproto.PropertyNotifyEvent:
			if e.Window == x.win {
				x.forward(e)
			} else if e.State == xproto.PropertyDelete {
				x.sendNext(incrKey{e.Window, e.Atom})
			}
		case xproto.SelectionNotifyEvent:
			x.forward(e)
		}
	}
}

// forward hands an event on win to the request waiting for it; with nobody
// waiting it is dropped once the buffer is full.
func (x *x11Clipboard) forward(ev xgb.Event) {
	select {
	case x.mine <- ev:
	default:
	}
}

// before reports whether X timestamp a is earlier than b; they wrap every 49 days.
func before(a, b xproto.Timestamp) bool { return int32(a-b) < 0 }

// content returns what to serve to a request for sel stamped t from requestor.
func (x *x11Clipboard) content(sel xproto.Atom, t xproto.Timestamp, requestor xproto.Window) *selContent {
	x.mu.Lock()
	defer x.mu.Unlock()
	c := x.owned[sel]
	if p := x.past[sel]; p != nil && t != xproto.TimeCurrentTime && !before(t, p.since) && before(t, p.until) {
		c = p // the request comes from the paste's key press, answered after the restore
	}
	switch {
	case c == nil:
		return nil
	case t != xproto.TimeCurrentTime && before(t, c.since):
		return nil // meant for the owner before us (ICCCM 2.2)
	case c.restricted && uint32(requestor)&^x.idMask != c.client:
		return nil
	}
	return c
}

// serve answers a SelectionRequest.
func (x *x11Clipboard) serve(e xproto.SelectionRequestEvent) {
	prop := e.Property
	if prop == xproto.AtomNone {
		prop = e.Target // an obsolete requestor (ICCCM 2.2)
	}
	c := x.content(e.Selection, e.Time, e.Requestor)
	ok, data := false, false
	switch {
	case c == nil:
	case e.Target == x.a.multiple && e.Property != xproto.AtomNone:
		ok, data = x.convertMultiple(c, e.Requestor, prop)
	default:
		ok, data = x.convert(c, e.Requestor, e.Target, prop)
	}
	if !ok {
		prop = xproto.AtomNone
	}
	ev := xproto.SelectionNotifyEvent{Time: e.Time, Requestor: e.Requestor, Selection: e.Selection, Target: e.Target, Property: prop}
	xproto.SendEvent(x.conn, false, e.Requestor, xproto.EventMaskNoEvent, string(ev.Bytes()))
	if ok && data && c.served != nil {
		x.fetched.Add(1)
		select {
		case c.served <- struct{}{}:
		default:
		}
	}
}

// convert writes c's content for target into prop of requestor. data says the
// target was content, not TARGETS or TIMESTAMP.
func (x *x11Clipboard) convert(c *selContent, requestor xproto.Window, target, prop xproto.Atom) (ok, data bool) {
	switch target {
	case x.a.targets:
		list := []xproto.Atom{x.a.targets, x.a.timestamp, x.a.multiple}
		for _, it := range c.items {
			list = append(list, it.target)
		}
		x.write(requestor, prop, selItem{typ: xproto.AtomAtom, format: 32, data: atomBytes(list)})
		return true, false
	case x.a.timestamp:
		x.write(requestor, prop, selItem{typ: xproto.AtomInteger, format: 32, data: binary.LittleEndian.AppendUint32(nil, uint32(c.since))})
		return true, false
	}
	for _, it := range c.items {
		if it.target != target {
			continue
		}
		if len(it.data) <= x.direct {
			x.write(requestor, prop, it)
			return true, true
		}
		// In pieces: announce the size; the requestor deletes the property to
		// ask for each piece, and a piece of no bytes ends the transfer.
		x.mu.Lock()
		x.sends[incrKey{requestor, prop}] = &incrSend{item: it, begun: time.Now()}
		x.mu.Unlock()
		x.incrOut.Add(1)
		xproto.ChangeWindowAttributes(x.conn, requestor, xproto.CwEventMask, []uint32{xproto.EventMaskPropertyChange})
		x.write(requestor, prop, selItem{typ: x.a.incr, format: 32, data: binary.LittleEndian.AppendUint32(nil, uint32(len(it.data)))})
		return true, true
	}
	return false, false
}

// convertMultiple converts each (target, property) pair that the requestor listed
// in prop, replacing the property of a pair it cannot convert with None.
func (x *x11Clipboard) convertMultiple(c *selContent, requestor xproto.Window, prop xproto.Atom) (ok, data bool) {
	r, err := xproto.GetProperty(x.conn, false, requestor, prop, xproto.GetPropertyTypeAny, 0, 1<<16).Reply()
	if err != nil || r.Format != 32 {
		return false, false
	}
	pairs := bytesAtoms(r.Value)
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i] == x.a.multiple {
			pairs[i+1] = xproto.AtomNone
			continue
		}
		okOne, dataOne := x.convert(c, requestor, pairs[i], pairs[i+1])
		if !okOne {
			pairs[i+1] = xproto.AtomNone
		}
		data = data || dataOne
	}
	x.write(requestor, prop, selItem{typ: r.Type, format: 32, data: atomBytes(pairs)})
	return true, data
}

// write replaces prop of w with it.
func (x *x11Clipboard) write(w xproto.Window, prop xproto.Atom, it selItem) {
	unit := max(int(it.format)/8, 1)
	xproto.ChangeProperty(x.conn, xproto.PropModeReplace, w, prop, it.typ, it.format, uint32(len(it.data)/unit), it.data)
}

// sendNext writes the next piece of an INCR transfer, after the requestor deleted
// the last one.
func (x *x11Clipboard) sendNext(k incrKey) {
	x.mu.Lock()
	s := x.sends[k]
	for key, o := range x.sends {
		if time.Since(o.begun) > incrStale {
			delete(x.sends, key)
		}
	}
	if s == nil {
		x.mu.Unlock()
		return
	}
	n := min(len(s.item.data)-s.off, x.direct)
	unit := max(int(s.item.format)/8, 1)
	n -= n % unit
	piece := s.item.data[s.off : s.off+n]
	s.off += n
	if n == 0 {
		delete(x.sends, k)
	}
	x.mu.Unlock()
	xproto.ChangeProperty(x.conn, xproto.PropModeAppend, k.win, k.prop, s.item.typ, s.item.format, uint32(n/unit), piece)
	if n == 0 {
		xproto.ChangeWindowAttributes(x.conn, k.win, xproto.CwEventMask, []uint32{xproto.EventMaskNoEvent})
	}
}

func atomBytes(atoms []xproto.Atom) []byte {
	b := make([]byte, 0, 4*len(atoms))
	for _, a := range atoms {
		b = binary.LittleEndian.AppendUint32(b, uint32(a))
	}
	return b
}

func bytesAtoms(b []byte) []xproto.Atom {
	atoms := make([]xproto.Atom, len(b)/4)
	for i := range atoms {
		atoms[i] = xproto.Atom(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return atoms
}

// drain drops events left from an earlier exchange, before a new request.
func (x *x11Clipboard) drain() {
	for {
		select {
		case <-x.mine:
		default:
			return
		}
	}
}

// errTimeout means an X client did not answer in time.
var errTimeout = errors.New("no answer in time")

// await returns the next event on win that match accepts.
func (x *x11Clipboard) await(ctx context.Context, deadline time.Time, match func(xgb.Event) bool) (xgb.Event, error) {
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	for {
		select {
		case ev := <-x.mine:
			if match(ev) {
				return ev, nil
			}
		case <-t.C:
			return nil, errTimeout
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-x.done:
			return nil, errors.New("the X connection closed")
		}
	}
}

// now returns the X server's time: selections are owned from a time, and
// CurrentTime is not good enough (ICCCM 2.1). Appending nothing to a property
// yields a PropertyNotify that carries it.
func (x *x11Clipboard) now(ctx context.Context) (xproto.Timestamp, error) {
	x.drain()
	xproto.ChangeProperty(x.conn, xproto.PropModeAppend, x.win, x.a.stamp, xproto.AtomString, 8, 0, nil)
	ev, err := x.await(ctx, time.Now().Add(time.Second), func(ev xgb.Event) bool {
		p, ok := ev.(xproto.PropertyNotifyEvent)
		return ok && p.Atom == x.a.stamp
	})
	if err != nil {
		return 0, fmt.Errorf("read the X server time: %w", err)
	}
	return ev.(xproto.PropertyNotifyEvent).Time, nil
}

// fetch converts sel to target into win's property and reads it, in pieces if
// the owner sends it INCR. It gives up at deadline, or when the data pass limit
// bytes.
func (x *x11Clipboard) fetch(ctx context.Context, sel, target xproto.Atom, t xproto.Timestamp, deadline time.Time, limit int) (selItem, error) {
	x.drain()
	xproto.ConvertSelection(x.conn, x.win, sel, target, x.a.prop, t)
	ev, err := x.await(ctx, deadline, func(ev xgb.Event) bool {
		n, ok := ev.(xproto.SelectionNotifyEvent)
		return ok && n.Selection == sel && n.Target == target
	})
	if err != nil {
		return selItem{}, err
	}
	if ev.(xproto.SelectionNotifyEvent).Property == xproto.AtomNone {
		return selItem{}, errRefused
	}
	r, err := xproto.GetProperty(x.conn, true, x.win, x.a.prop, xproto.GetPropertyTypeAny, 0, uint32(limit/4+1)).Reply()
	if err != nil {
		return selItem{}, err
	}
	if r.BytesAfter > 0 {
		return selItem{}, errTooBig
	}
	it := selItem{target: target, typ: r.Type, format: r.Format, data: r.Value}
	if r.Type != x.a.incr {
		return it, nil
	}
	// Deleting the property (above) asked for the first piece.
	x.incrIn.Add(1)
	it.data = nil
	for {
		_, err := x.await(ctx, deadline, func(ev xgb.Event) bool {
			p, ok := ev.(xproto.PropertyNotifyEvent)
			return ok && p.Atom == x.a.prop && p.State == xproto.PropertyNewValue
		})
		if err != nil {
			return selItem{}, err
		}
		r, err := xproto.GetProperty(x.conn, true, x.win, x.a.prop, xproto.GetPropertyTypeAny, 0, uint32(limit/4+1)).Reply()
		if err != nil {
			return selItem{}, err
		}
		if len(r.Value) == 0 {
			return it, nil
		}
		it.typ, it.format = r.Type, r.Format
		if it.data = append(it.data, r.Value...); len(it.data) > limit {
			return selItem{}, errTooBig
		}
	}
}

var (
	errRefused = errors.New("the owner refused")
	errTooBig  = errors.New("too big to keep")
)

// textTargets are the targets of text, kept first when the saving time runs short.
func (x *x11Clipboard) textTargets() []xproto.Atom {
	return []xproto.Atom{x.a.utf8, x.a.textPlainUTF8, xproto.AtomString, x.a.text, x.a.textPlain, x.a.compoundText}
}

// save reads sel's content, every target the owner converts. It fails when the
// content cannot be kept whole (the owner answers too slowly, or it is too big):
// deskhand then types instead of taking the selection.
func (x *x11Clipboard) save(ctx context.Context, sel xproto.Atom) (*selContent, error) {
	deadline := time.Now().Add(saveTimeout)
	owner, err := xproto.GetSelectionOwner(x.conn, sel).Reply()
	if err != nil {
		return nil, err
	}
	switch owner.Owner {
	case xproto.WindowNone:
		return nil, nil // empty
	case x.win:
		x.mu.Lock()
		defer x.mu.Unlock()
		if c := x.owned[sel]; c != nil && !c.paste {
			return &selContent{items: c.items}, nil
		}
		return nil, nil
	}
	t, err := x.now(ctx)
	if err != nil {
		return nil, err
	}
	var targets []xproto.Atom
	if it, err := x.fetch(ctx, sel, x.a.targets, t, deadline, saveLimit); err == nil && it.format == 32 {
		targets = bytesAtoms(it.data)
	} else if ctx.Err() != nil {
		return nil, ctx.Err()
	} else {
		targets = []xproto.Atom{x.a.utf8, xproto.AtomString} // an owner from before TARGETS
	}
	// Text first; the meta targets are answered by whoever owns the selection,
	// and converting DELETE or INSERT_* would change the owner's document.
	skip := []xproto.Atom{x.a.targets, x.a.multiple, x.a.timestamp, x.a.saveTargets, x.a.delete, x.a.insertSel, x.a.insertProp, xproto.AtomNone}
	var order []xproto.Atom
	for _, a := range append(x.textTargets(), targets...) {
		if (slices.Contains(targets, a)) && !slices.Contains(skip, a) && !slices.Contains(order, a) {
			order = append(order, a)
		}
	}
	c := &selContent{}
	size := 0
	for _, target := range order {
		it, err := x.fetch(ctx, sel, target, t, deadline, saveLimit-size)
		switch {
		case errors.Is(err, errRefused):
			continue // advertised but not converted: nobody else would get it either
		case err != nil:
			return nil, fmt.Errorf("read the clipboard's %s: %w", x.atomName(target), err)
		}
		size += len(it.data)
		c.items = append(c.items, it)
	}
	if len(c.items) == 0 && len(order) > 0 {
		return nil, errors.New("the clipboard's owner converts none of its targets")
	}
	return c, nil
}

func (x *x11Clipboard) atomName(a xproto.Atom) string {
	r, err := xproto.GetAtomName(x.conn, a).Reply()
	if err != nil {
		return fmt.Sprint("atom ", a)
	}
	return r.Name
}

// own makes win the owner of sel with c, from the server time t.
func (x *x11Clipboard) own(sel xproto.Atom, c *selContent, t xproto.Timestamp) error {
	c.since = t
	x.mu.Lock()
	x.owned[sel] = c
	x.mu.Unlock()
	xproto.SetSelectionOwner(x.conn, x.win, sel, t)
	r, err := xproto.GetSelectionOwner(x.conn, sel).Reply()
	if err != nil {
		return err
	}
	if r.Owner != x.win {
		x.mu.Lock()
		delete(x.owned, sel)
		x.mu.Unlock()
		return errors.New("the X server did not make deskhand the owner")
	}
	return nil
}

// textItems are the targets a paste offers for s. STRING is Latin-1 and
// text/plain the locale's encoding, so they are offered only for text that they
// hold unchanged: an application that knows no other target then cannot paste,
// and the text is typed, rather than pasted with question marks.
func (x *x11Clipboard) textItems(s string) []selItem {
	b := []byte(s)
	items := []selItem{
		{target: x.a.utf8, typ: x.a.utf8, format: 8, data: b},
		{target: x.a.textPlainUTF8, typ: x.a.textPlainUTF8, format: 8, data: b},
		{target: x.a.text, typ: x.a.utf8, format: 8, data: b},
	}
	latin := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xff {
			return items
		}
		latin = append(latin, byte(r))
	}
	items = append(items, selItem{target: xproto.AtomString, typ: xproto.AtomString, format: 8, data: latin})
	if !strings.ContainsFunc(s, func(r rune) bool { return r >= utf8.RuneSelf }) {
		items = append(items, selItem{target: x.a.textPlain, typ: x.a.textPlain, format: 8, data: b})
	}
	return items
}

// focus returns the X client of the focused window and whether that window is a
// terminal. ok is false when no window has the focus.
func (x *x11Clipboard) focus() (client uint32, terminal, ok bool) {
	w, win, ok := x11Focus(x.conn)
	if !ok {
		return 0, false, false
	}
	return uint32(w) &^ x.idMask, isTerminal(win.Class...), true
}

// hold saves CLIPBOARD now, and PRIMARY when a paste into a terminal first needs it.
func (x *x11Clipboard) hold(ctx context.Context) (pasteSession, error) {
	s := &x11Session{x: x, saved: map[xproto.Atom]*selContent{}, taken: map[xproto.Atom]*selContent{}}
	if err := s.save(ctx, x.a.clipboard); err != nil {
		return nil, err
	}
	return s, nil
}

// x11Session is one type action's pastes.
type x11Session struct {
	x     *x11Clipboard
	order []xproto.Atom               // the selections saved, in order
	saved map[xproto.Atom]*selContent // nil: it was empty
	taken map[xproto.Atom]*selContent // the paste content last owned, by selection
}

func (s *x11Session) save(ctx context.Context, sel xproto.Atom) error {
	if slices.Contains(s.order, sel) {
		return nil
	}
	c, err := s.x.save(ctx, sel)
	if err != nil {
		return err
	}
	s.order = append(s.order, sel)
	s.saved[sel] = c
	return nil
}

func (s *x11Session) paste(ctx context.Context, text string, press func([]string) error) error {
	x := s.x
	client, terminal, known := x.focus()
	sels := []xproto.Atom{x.a.clipboard}
	if terminal {
		sels = append(sels, xproto.AtomPrimary)
	}
	for _, sel := range sels {
		if err := s.save(ctx, sel); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("%w (the selection could not be saved: %v)", errNotFetched, err)
		}
	}
	t, err := x.now(ctx)
	if err != nil {
		return err
	}
	served := make(chan struct{}, 1)
	items := x.textItems(text)
	for _, sel := range sels {
		c := &selContent{items: items, paste: true, restricted: known, client: client, served: served}
		if err := x.own(sel, c, t); err != nil {
			return fmt.Errorf("%w (owning the selection failed: %v)", errNotFetched, err)
		}
		s.taken[sel] = c
	}
	if err := press(pasteKeys(terminal)); err != nil {
		return err
	}
	timer := time.NewTimer(pasteTimeout)
	defer timer.Stop()
	select {
	case <-served:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return errNotFetched
	}
}

// restore gives each selection taken back its saved content, unless someone else
// took it since. deskhand then serves the saved content: the previous owner lost
// the selection when deskhand took it, and many (xclip, xterm) drop their copy.
func (s *x11Session) restore() error {
	x := s.x
	if len(s.taken) == 0 {
		return nil
	}
	t, err := x.now(context.Background())
	if err != nil {
		return err
	}
	var errs []error
	for _, sel := range s.order {
		taken := s.taken[sel]
		if taken == nil {
			continue
		}
		x.mu.Lock()
		stillOurs := x.owned[sel] == taken
		if stillOurs {
			taken.until = t
			x.past[sel] = taken
			delete(x.owned, sel)
		}
		x.mu.Unlock()
		if !stillOurs {
			continue // the user copied something meanwhile: theirs stays
		}
		if saved := s.saved[sel]; saved != nil {
			errs = append(errs, x.own(sel, &selContent{items: saved.items}, t))
		} else {
			xproto.SetSelectionOwner(x.conn, xproto.WindowNone, sel, t)
		}
	}
	return errors.Join(errs...)
}

// close hands the restored CLIPBOARD content to a clipboard manager, as the
// freedesktop.org clipboard manager specification describes, and closes the
// connection. Without a manager the content goes with deskhand.
func (x *x11Clipboard) close() error {
	defer func() {
		x.conn.Close()
		<-x.done
	}()
	x.mu.Lock()
	c := x.owned[x.a.clipboard]
	x.mu.Unlock()
	if c == nil || c.paste {
		return nil
	}
	mgr, err := xproto.GetSelectionOwner(x.conn, x.a.manager).Reply()
	if err != nil || mgr.Owner == xproto.WindowNone {
		return nil
	}
	t, err := x.now(context.Background())
	if err != nil {
		return err
	}
	var targets []xproto.Atom
	for _, it := range c.items {
		targets = append(targets, it.target)
	}
	x.write(x.win, x.a.prop, selItem{typ: xproto.AtomAtom, format: 32, data: atomBytes(targets)})
	x.drain()
	xproto.ConvertSelection(x.conn, x.win, x.a.manager, x.a.saveTargets, x.a.prop, t)
	// The manager fetches the targets meanwhile; the loop serves it.
	_, err = x.await(context.Background(), time.Now().Add(3*time.Second), func(ev xgb.Event) bool {
		n, ok := ev.(xproto.SelectionNotifyEvent)
		return ok && n.Selection == x.a.manager
	})
	if err != nil {
		return fmt.Errorf("hand the clipboard to the clipboard manager: %w", err)
	}
	return nil
}
