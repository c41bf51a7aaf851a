//go:build cgo && !darwin && !windows

package perception

import (
	"context"
	"errors"
	"fmt"
	"image"
	"os"
	"sync"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/damage"
	"github.com/jezek/xgb/xproto"
)

// xDamage hears about every drawing on the X screen through the DAMAGE
// extension: a Damage object on the root window, reporting raw rectangles, sees
// what any window draws on the screen (the screen's pixmap is shared by the root
// and its inferiors). It keeps its own connection, since the events come on the
// connection that created the Damage, and one goroutine (pump) that reads them
// for as long as the connection is open: the Capturer owns the xDamage, and
// close ends both.
//
// Reports need no DamageSubtract: at the raw-rectangles level the server sends
// one event per drawing whatever the damage region holds.
type xDamage struct {
	conn    *xgb.Conn
	display string        // the DISPLAY it was opened for
	win     xproto.Window // an unmapped window of ours that sync sends marks to
	wake    chan struct{} // capacity 1: something arrived
	once    sync.Once

	mu     sync.Mutex
	bounds image.Rectangle // the area reports count for
	rep    damageReport
	sent   uint32 // the last sync mark sent
	mark   uint32 // the last sync mark received
	err    error  // why the connection ended
}

// syncTimeout bounds a sync: a local X server answers in well under a
// millisecond, so a server that takes a second is stuck or gone.
const syncTimeout = time.Second

func (b x11Backend) damage() (damages, error) {
	if os.Getenv("XDG_SESSION_TYPE") == "wayland" {
		// XWayland's root window does not show Wayland windows, so nothing they
		// draw would be reported.
		return nil, fmt.Errorf("%w: XWayland", errNoDamage)
	}
	c, err := connect()
	if err != nil {
		return nil, err
	}
	x, err := openDamage(c)
	if err != nil {
		c.Close()
		return nil, err
	}
	return x, nil
}

// damageTables is the DAMAGE event base xgb's process-wide tables were filled
// for. xgb's extension Init writes the tables every connection's reader looks
// events up in, without a lock: writing them while another connection (the
// overlay's, the panic key's, the takeover watch's) reads an event can crash the
// process. DAMAGE is opened while those run, and again after a lost connection,
// so the tables are written once per event base, and a later connection only
// learns the extension's opcode.
var damageTables struct {
	mu    sync.Mutex
	first byte // 0: not written yet
}

// initDamage is damage.Init, writing xgb's tables only when they lack DAMAGE's
// events at this server's event base.
func initDamage(c *xgb.Conn) error {
	r, err := xproto.QueryExtension(c, uint16(len("DAMAGE")), "DAMAGE").Reply()
	if err != nil {
		return err
	}
	if !r.Present {
		return errors.New("the X server has no DAMAGE extension")
	}
	damageTables.mu.Lock()
	defer damageTables.mu.Unlock()
	if damageTables.first != r.FirstEvent {
		if err := damage.Init(c); err != nil {
			return err
		}
		damageTables.first = r.FirstEvent
		return nil
	}
	c.ExtLock.Lock()
	c.Extensions["DAMAGE"] = r.MajorOpcode
	c.ExtLock.Unlock()
	return nil
}

func openDamage(c *xgb.Conn) (*xDamage, error) {
	if err := initDamage(c); err != nil {
		return nil, fmt.Errorf("%w: %v", errNoDamage, err)
	}
	// The server refuses DAMAGE requests from a client that has not said which
	// version it speaks.
	if _, err := damage.QueryVersion(c, 1, 1).Reply(); err != nil {
		return nil, fmt.Errorf("%w: %v", errNoDamage, err)
	}
	screen := xproto.Setup(c).DefaultScreen(c)
	id, err := damage.NewDamageId(c)
	if err != nil {
		return nil, fmt.Errorf("watch the screen for changes: %w", err)
	}
	if err := damage.CreateChecked(c, id, xproto.Drawable(screen.Root), damage.ReportLevelRawRectangles).Check(); err != nil {
		return nil, fmt.Errorf("%w: %v", errNoDamage, err)
	}
	win, err := xproto.NewWindowId(c)
	if err != nil {
		return nil, fmt.Errorf("watch the screen for changes: %w", err)
	}
	if err := xproto.CreateWindowChecked(c, 0, win, screen.Root, -1, -1, 1, 1, 0,
		xproto.WindowClassInputOnly, 0, 0, nil).Check(); err != nil {
		return nil, fmt.Errorf("watch the screen for changes: %w", err)
	}
	x := &xDamage{conn: c, display: os.Getenv("DISPLAY"), win: win, wake: make(chan struct{}, 1)}
	go x.pump()
	return x, nil
}

// pump reads the connection's events until it closes.
func (x *xDamage) pump() {
	for {
		ev, xerr := x.conn.WaitForEvent()
		switch e := ev.(type) {
		case nil:
			if xerr == nil {
				x.mu.Lock()
				if x.err == nil {
					x.err = errors.New("the connection to the X server closed")
				}
				x.mu.Unlock()
				x.signal()
				return
			}
			// An X error for one of our requests: nothing waits on it.
		case damage.NotifyEvent:
			r := image.Rect(int(e.Area.X), int(e.Area.Y), int(e.Area.X)+int(e.Area.Width), int(e.Area.Y)+int(e.Area.Height))
			x.mu.Lock()
			hit := r.Overlaps(x.bounds)
			if hit {
				x.rep.n++
				x.rep.last = time.Now()
				x.rep.area = x.rep.area.Union(r.Intersect(x.bounds))
			}
			x.mu.Unlock()
			if hit {
				x.signal()
			}
		case xproto.ClientMessageEvent:
			if e.Window == x.win {
				x.mu.Lock()
				x.mark = max(x.mark, e.Data.Data32[0])
				x.mu.Unlock()
				x.signal()
			}
		}
	}
}

func (x *xDamage) signal() {
	select {
	case x.wake <- struct{}{}:
	default:
	}
}

func (x *xDamage) watch(r image.Rectangle) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.bounds = r
	x.rep.area = image.Rectangle{}
}

func (x *xDamage) peek() damageReport {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.rep
}

func (x *xDamage) take() damageReport {
	x.mu.Lock()
	defer x.mu.Unlock()
	r := x.rep
	x.rep.area = image.Rectangle{}
	return r
}

// sync sends a ClientMessage to our own window and waits for it to come back:
// the server sends events to a client in the order it generates them, so every
// damage it reported before handling the SendEvent has arrived by then.
func (x *xDamage) sync(ctx context.Context) error {
	x.mu.Lock()
	x.sent++
	id, err := x.sent, x.err
	x.mu.Unlock()
	if err != nil {
		return err
	}
	ev := xproto.ClientMessageEvent{Format: 32, Window: x.win,
		Data: xproto.ClientMessageDataUnionData32New([]uint32{id, 0, 0, 0, 0})}
	// An empty event mask sends the event to the window's creator: us.
	xproto.SendEvent(x.conn, false, x.win, 0, string(ev.Bytes()))
	timer := time.NewTimer(syncTimeout)
	defer timer.Stop()
	for {
		x.mu.Lock()
		mark, err := x.mark, x.err
		x.mu.Unlock()
		switch {
		case mark >= id:
			return nil
		case err != nil:
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
			return fmt.Errorf("the X server did not answer in %v", syncTimeout)
		case <-x.wake:
		}
	}
}

func (x *xDamage) ready() <-chan struct{} { return x.wake }

func (x *xDamage) alive() bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.err == nil && os.Getenv("DISPLAY") == x.display
}

func (x *xDamage) close() {
	x.once.Do(func() {
		x.mu.Lock()
		if x.err == nil {
			x.err = errors.New("closed")
		}
		x.mu.Unlock()
		x.conn.Close()
	})
}
