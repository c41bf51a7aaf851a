//go:build !windows && !darwin

package actuation

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/ge"
	"github.com/jezek/xgb/xproto"
)

// The user's keys and buttons, told from deskhand's own, come from XInput 2 raw
// events: the X server sends every key and button press to a client that asks
// on the root window, whatever has the focus or a grab, each with the slave
// device it came from. deskhand's input is synthesized with XTEST, so it comes
// from the "Virtual core XTEST keyboard" and "… pointer"; anything else is a
// person (or another program using a device of its own).
//
// jezek/xgb has no XInput 2, and its reader assumes every event is 32 bytes,
// while XI2 events are X "generic events" that say how much longer they are.
// xi2Conn puts a filter between xgb and the socket that cuts each generic event
// to its first 32 bytes, which hold everything needed here (event type, device,
// source device, key), and registers a constructor for generic events.

// genericEvent is the X protocol's event code for extension events of any
// length (the Generic Event Extension).
const genericEvent = 35

// XInput 2 minor opcodes and raw event types (XI2proto.h).
const (
	xiSelectEvents = 46
	xiQueryVersion = 47
	xiQueryDevice  = 48

	xiRawKeyPress    = 13
	xiRawButtonPress = 15

	xiAllDevices       = 0
	xiAllMasterDevices = 1

	xiSlavePointer  = 3
	xiSlaveKeyboard = 4
)

func init() {
	// Registered once, before any connection exists: xgb's readers look the
	// map up without a lock. No other connection of deskhand's selects generic
	// events, so none receives one.
	xgb.NewEventFuncs[genericEvent] = func(buf []byte) xgb.Event {
		return xiEvent(append([]byte(nil), buf[:32]...))
	}
}

// xiEvent is the first 32 bytes of a generic event.
type xiEvent []byte

func (e xiEvent) Bytes() []byte { return e }
func (e xiEvent) String() string {
	return fmt.Sprintf("XI2 event %d from device %d", e.evtype(), e.sourceid())
}

func (e xiEvent) extension() byte  { return e[1] }
func (e xiEvent) evtype() uint16   { return xgb.Get16(e[8:]) }
func (e xiEvent) deviceid() uint16 { return xgb.Get16(e[10:]) }
func (e xiEvent) detail() uint32   { return xgb.Get32(e[16:]) }
func (e xiEvent) sourceid() uint16 { return xgb.Get16(e[20:]) }
func (e xiEvent) flags() uint32    { return xgb.Get32(e[24:]) }

// xiKeyRepeat flags a key press the server repeats for a held key: a key held
// down since before an action (the Enter that approved it) is not a takeover.
const xiKeyRepeat = 1 << 16

// xi2Watch reports the presses of every key and button that do not come from
// deskhand's XTEST devices, on a connection of its own, until close.
type xi2Watch struct {
	conn *xgb.Conn
	done chan struct{}
	once sync.Once
}

// watchUserInput starts reporting the user's key and button presses to on, from
// its own goroutine. It fails when the X server has no XInput 2.0 (every X.Org
// server since 2009 has it).
func watchUserInput(on func(userInput)) (*xi2Watch, error) {
	c, err := dialXI2()
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*xi2Watch, error) {
		c.Close()
		return nil, err
	}
	ext, err := xproto.QueryExtension(c, uint16(len("XInputExtension")), "XInputExtension").Reply()
	if err != nil {
		return fail(fmt.Errorf("ask the X server for XInput: %w", err))
	}
	if !ext.Present {
		return fail(errors.New("the X server has no XInput extension"))
	}
	op := ext.MajorOpcode
	// The server sends generic events only to clients that said they know them.
	if err := ge.Init(c); err != nil {
		return fail(fmt.Errorf("the X server has no Generic Event Extension: %w", err))
	}
	if _, err := ge.QueryVersion(c, 1, 0).Reply(); err != nil {
		return fail(fmt.Errorf("the X server's Generic Event Extension: %w", err))
	}
	// XI 2.0 is enough for raw events on the root window; 2.1 delivers them
	// also while another client holds a grab, and the server gives what it has.
	v, err := xiRequest(c, op, xiQueryVersion, []byte{2, 0, 2, 0}, true)
	if err != nil {
		return fail(fmt.Errorf("ask the X server for XInput 2: %w", err))
	}
	if major := xgb.Get16(v[8:]); major < 2 {
		return fail(fmt.Errorf("the X server has XInput %d, not 2", major))
	}
	names, err := xiDevices(c, op)
	if err != nil {
		return fail(err)
	}
	root := xproto.Setup(c).DefaultScreen(c).Root
	mask := uint32(1<<xiRawKeyPress | 1<<xiRawButtonPress)
	sel := make([]byte, 16)
	xgb.Put32(sel[0:], uint32(root))
	xgb.Put16(sel[4:], 1) // one mask
	xgb.Put16(sel[8:], xiAllMasterDevices)
	xgb.Put16(sel[10:], 1) // one 4-byte word of mask
	xgb.Put32(sel[12:], mask)
	if _, err := xiRequest(c, op, xiSelectEvents, sel, false); err != nil {
		return fail(fmt.Errorf("ask the X server for key presses: %w", err))
	}
	w := &xi2Watch{conn: c, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for {
			ev, err := c.WaitForEvent()
			if ev == nil && err == nil {
				return // closed
			}
			e, ok := ev.(xiEvent)
			if !ok || e.extension() != op {
				continue // MappingNotify and the like
			}
			src := e.sourceid()
			name, known := names[src]
			if known && isXTest(name) {
				continue // deskhand's own, or another program's synthetic input
			}
			switch e.evtype() {
			case xiRawKeyPress:
				if e.flags()&xiKeyRepeat != 0 {
					continue
				}
				on(userInput{Key: true, Code: e.detail(), Device: name, At: time.Now()})
			case xiRawButtonPress:
				on(userInput{Code: e.detail(), Device: name, At: time.Now()})
			}
		}
	}()
	return w, nil
}

// close ends the watch and waits for its goroutine.
func (w *xi2Watch) close() {
	w.once.Do(func() { w.conn.Close() })
	<-w.done
}

// isXTest reports whether a device is the core pointer's or keyboard's XTEST
// device, where XTestFakeKeyEvent's events come from: robotgo's, and those of any
// other program that fakes input, which cannot be told apart. The XTEST devices
// of other master devices (multi-pointer setups) stand for someone else.
func isXTest(name string) bool {
	return name == "Virtual core XTEST keyboard" || name == "Virtual core XTEST pointer"
}

// xiDevices returns the names of the slave devices, by id.
func xiDevices(c *xgb.Conn, op byte) (map[uint16]string, error) {
	req := make([]byte, 4)
	xgb.Put16(req, xiAllDevices)
	r, err := xiRequest(c, op, xiQueryDevice, req, true)
	if err != nil {
		return nil, fmt.Errorf("list the input devices: %w", err)
	}
	n := int(xgb.Get16(r[8:]))
	names := map[uint16]string{}
	b := r[32:]
	for range n {
		if len(b) < 12 {
			return nil, errors.New("list the input devices: the X server's answer is cut short")
		}
		id, use, nclasses, nlen := xgb.Get16(b), xgb.Get16(b[2:]), int(xgb.Get16(b[6:])), int(xgb.Get16(b[8:]))
		if len(b) < 12+pad4(nlen) {
			return nil, errors.New("list the input devices: the X server's answer is cut short")
		}
		name := string(b[12 : 12+nlen])
		b = b[12+pad4(nlen):]
		for range nclasses {
			if len(b) < 4 {
				return nil, errors.New("list the input devices: the X server's answer is cut short")
			}
			l := int(xgb.Get16(b[2:])) * 4
			if l < 4 || len(b) < l {
				return nil, errors.New("list the input devices: the X server's answer is malformed")
			}
			b = b[l:]
		}
		if use == xiSlavePointer || use == xiSlaveKeyboard {
			names[id] = name
		}
	}
	return names, nil
}

func pad4(n int) int { return (n + 3) &^ 3 }

// xiRequest sends one XInput request with body (the bytes after the 4-byte
// header) and, with reply, returns the reply's bytes; without, it waits for the
// request to be done or refused.
func xiRequest(c *xgb.Conn, op, minor byte, body []byte, reply bool) ([]byte, error) {
	buf := make([]byte, 4+pad4(len(body)))
	buf[0], buf[1] = op, minor
	xgb.Put16(buf[2:], uint16(len(buf)/4))
	copy(buf[4:], body)
	cookie := c.NewCookie(true, reply)
	c.NewRequest(buf, cookie)
	if reply {
		return cookie.Reply()
	}
	return nil, cookie.Check()
}

// dialXI2 connects to $DISPLAY like dialX11, through genericFilter.
func dialXI2() (*xgb.Conn, error) {
	name := os.Getenv("DISPLAY")
	if name == "" {
		return nil, fmt.Errorf("%w: DISPLAY is not set", ErrNoDisplay)
	}
	d, err := parseDisplay(name)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoDisplay, err)
	}
	nc, err := net.DialTimeout(d.network, d.address, 5*time.Second)
	if err != nil {
		return nil, fmt.Errorf("%w: cannot connect to the X display %s: %v", ErrNoDisplay, name, err)
	}
	filtered := &genericFilter{Conn: nc, r: bufio.NewReaderSize(nc, 4096)}
	var c *xgb.Conn
	if cookie, ok := xauthCookie(d.host, d.number); ok {
		c, err = xgb.NewConnNetWithCookieHex(filtered, hex.EncodeToString(cookie))
	} else {
		c, err = xgb.NewConnNet(filtered)
	}
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("%w: cannot connect to the X display %s: %v", ErrNoDisplay, name, err)
	}
	return c, nil
}

// display is a parsed $DISPLAY.
type display struct {
	network, address string
	host, number     string
}

// parseDisplay reads ":0", ":1.0", "unix:0", "host:10.0", "tcp/host:0" and
// "/path/to/socket:0" (macOS launchd) as X clients do.
func parseDisplay(s string) (display, error) {
	colon := strings.LastIndex(s, ":")
	if colon < 0 || colon == len(s)-1 {
		return display{}, fmt.Errorf("bad DISPLAY %q", s)
	}
	num := s[colon+1:]
	if dot := strings.Index(num, "."); dot >= 0 {
		num = num[:dot]
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 {
		return display{}, fmt.Errorf("bad DISPLAY %q", s)
	}
	host, proto := s[:colon], ""
	if strings.HasPrefix(host, "/") {
		return display{network: "unix", address: s[:colon] + ":" + num, number: num}, nil
	}
	if slash := strings.LastIndex(host, "/"); slash >= 0 {
		proto, host = host[:slash], host[slash+1:]
	}
	if host == "" || host == "unix" {
		return display{network: "unix", address: "/tmp/.X11-unix/X" + num, number: num}, nil
	}
	if proto == "" {
		proto = "tcp"
	}
	return display{network: proto, address: net.JoinHostPort(host, strconv.Itoa(6000+n)), host: host, number: num}, nil
}

// xauthCookie finds the MIT-MAGIC-COOKIE-1 for the display in $XAUTHORITY (or
// ~/.Xauthority), as xgb does for the connections it dials itself.
func xauthCookie(host, number string) ([]byte, bool) {
	const familyLocal, familyWild = 256, 65535
	if host == "" || host == "localhost" {
		h, err := os.Hostname()
		if err != nil {
			return nil, false
		}
		host = h
	}
	name := os.Getenv("XAUTHORITY")
	if name == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, false
		}
		name = home + "/.Xauthority"
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, false
	}
	field := func() ([]byte, bool) {
		if len(b) < 2 {
			return nil, false
		}
		n := int(binary.BigEndian.Uint16(b))
		if len(b) < 2+n {
			return nil, false
		}
		f := b[2 : 2+n]
		b = b[2+n:]
		return f, true
	}
	for len(b) >= 2 {
		family := binary.BigEndian.Uint16(b)
		b = b[2:]
		addr, ok1 := field()
		disp, ok2 := field()
		auth, ok3 := field()
		data, ok4 := field()
		if !ok1 || !ok2 || !ok3 || !ok4 {
			return nil, false
		}
		addrOK := family == familyWild || family == familyLocal && string(addr) == host
		if addrOK && (len(disp) == 0 || string(disp) == number) && string(auth) == "MIT-MAGIC-COOKIE-1" && len(data) == 16 {
			return data, true
		}
	}
	return nil, false
}

// genericFilter passes the X server's bytes on to xgb, cutting every generic
// event down to its first 32 bytes: xgb reads events as 32-byte units and would
// take the rest of a longer one for the next message.
type genericFilter struct {
	net.Conn
	r       *bufio.Reader
	setup   bool   // the connection setup reply has been passed on
	pending []byte // bytes ready for Read
}

func (f *genericFilter) Read(p []byte) (int, error) {
	if len(f.pending) == 0 {
		if err := f.next(); err != nil {
			return 0, err
		}
	}
	n := copy(p, f.pending)
	f.pending = f.pending[n:]
	return n, nil
}

// next reads one whole message from the server into pending.
func (f *genericFilter) next() error {
	if !f.setup {
		// The setup reply: 8 bytes, the last two its remaining length in words.
		head := make([]byte, 8)
		if _, err := io.ReadFull(f.r, head); err != nil {
			return err
		}
		rest := make([]byte, int(binary.LittleEndian.Uint16(head[6:]))*4)
		if _, err := io.ReadFull(f.r, rest); err != nil {
			return err
		}
		f.setup = true
		f.pending = append(head, rest...)
		return nil
	}
	msg := make([]byte, 32)
	if _, err := io.ReadFull(f.r, msg); err != nil {
		return err
	}
	switch {
	case msg[0] == 1: // a reply: 32 bytes and its length in words
		extra := make([]byte, int(binary.LittleEndian.Uint32(msg[4:]))*4)
		if _, err := io.ReadFull(f.r, extra); err != nil {
			return err
		}
		msg = append(msg, extra...)
	case msg[0]&0x7f == genericEvent:
		if _, err := f.r.Discard(int(binary.LittleEndian.Uint32(msg[4:])) * 4); err != nil {
			return err
		}
	}
	f.pending = msg
	return nil
}

// openInput is WatchTakeover's watch of the user's keys and buttons.
func openInput(on func(userInput)) (inputWatch, error) {
	w, err := watchUserInput(on)
	if err != nil {
		return nil, err
	}
	return w, nil
}
