//go:build cgo

package actuation

import (
	"fmt"
	"image"
	"runtime"
	"sync"
	"time"

	"github.com/go-vgo/robotgo"
)

func init() {
	newBackend = newRobot
	robotLocation = func() image.Point {
		// Not under robotMu: on macOS, its only user (takeover_darwin.go),
		// Location reads a fresh CGEvent and shares nothing with the other calls.
		x, y := robotgo.Location()
		return image.Pt(x, y)
	}
}

// robotMu serialises robotgo calls across Desktops: robotgo keeps its X connection
// and its settings in C and Go globals.
var robotMu sync.Mutex

// robot is the backend that sends events with robotgo, the only code in the package
// that calls it.
type robot struct {
	sys platform // nil where robotgo needs no help
}

// platform is what one system adds to robotgo: checks that keep robotgo from
// crashing the process, and typing robotgo gets wrong. robot_linux.go has the X11
// one.
type platform interface {
	// bounds returns the virtual desktop in actuation space.
	bounds() (image.Rectangle, error)
	// checkKeys returns an error if the keyboard map cannot produce one of keys
	// (canonical names, as pressKeys returns them).
	checkKeys(keys []string) error
	// typeText types s, calling robotType for the parts robotgo types right.
	typeText(s string, robotType func(string)) error
}

// theRobot is the process's robot once a display was found: robotgo has one X
// connection per process, and the spare keycodes robot_linux.go types on need one
// owner.
var theRobot *robot

func newRobot() (backend, error) {
	robotMu.Lock()
	defer robotMu.Unlock()
	if theRobot != nil {
		return theRobot, nil
	}
	// Before robotgo is first called: it crashes the process without a display.
	sys, err := openPlatform()
	if err != nil {
		return nil, err
	}
	theRobot = &robot{sys: sys}
	return theRobot, nil
}

func (r *robot) bounds() (image.Rectangle, error) {
	robotMu.Lock()
	defer robotMu.Unlock()
	if r.sys != nil {
		return r.sys.bounds()
	}
	var b image.Rectangle
	for i := range robotgo.DisplaysNum() {
		x, y, w, h := robotgo.GetDisplayBounds(i)
		b = b.Union(image.Rect(x, y, x+w, y+h))
	}
	if b.Empty() {
		return b, fmt.Errorf("%w: the system reports no screens", ErrNoDisplay)
	}
	return b, nil
}

func (r *robot) move(x, y int) error {
	robotMu.Lock()
	defer robotMu.Unlock()
	robotgo.Move(x, y)
	return nil
}

// robotgoButton returns robotgo's name for a mouse button: robotgo calls the middle
// button "center" and takes any name it does not know for left.
func robotgoButton(b string) string {
	if b == "middle" {
		return "center"
	}
	return b
}

func (r *robot) button(b string, down bool) error {
	robotMu.Lock()
	defer robotMu.Unlock()
	dir := "down"
	if !down {
		dir = "up"
	}
	return robotgo.Toggle(robotgoButton(b), dir)
}

// clickGap is the pause between the clicks of a double or triple click: well inside
// every toolkit's double-click time (xterm 250 ms, GTK 400 ms, Windows 500 ms).
const clickGap = 40 * time.Millisecond

func (r *robot) click(b string, n int) error {
	robotMu.Lock()
	defer robotMu.Unlock()
	btn := robotgoButton(b)
	if runtime.GOOS == "darwin" {
		// macOS reads the click count from the event, not from the timing.
		return robotgo.MultiClick(btn, n)
	}
	for i := range n {
		if i > 0 {
			time.Sleep(clickGap)
		}
		if err := robotgo.Click(btn); err != nil {
			return err
		}
	}
	return nil
}

// notchGap, in milliseconds, paces wheel notches like a real wheel; some toolkits
// merge a burst.
const notchGap = 10

func (r *robot) scroll(dx, dy int) error {
	robotMu.Lock()
	defer robotMu.Unlock()
	// robotgo counts up and left as positive.
	for range abs(dy) {
		robotgo.Scroll(0, -sign(dy), notchGap)
	}
	for range abs(dx) {
		robotgo.Scroll(-sign(dx), 0, notchGap)
	}
	return nil
}

func sign(x int) int {
	if x < 0 {
		return -1
	}
	return 1
}

func (r *robot) keyTap(keys []string) error {
	robotMu.Lock()
	defer robotMu.Unlock()
	var mods, rest []string
	for _, k := range keys {
		n, err := robotgoKey(k)
		if err != nil {
			return err
		}
		if isModifier(k) {
			mods = append(mods, n)
		} else {
			rest = append(rest, n)
		}
	}
	if r.sys != nil {
		if err := r.sys.checkKeys(keys); err != nil {
			return err
		}
	}
	if len(rest) <= 1 {
		// The usual case, one key with modifiers: KeyTap sets the modifier flags on
		// the key event itself, which macOS needs.
		if len(rest) == 0 {
			mods, rest = mods[:len(mods)-1], mods[len(mods)-1:]
		}
		return robotgo.KeyTap(rest[0], mods)
	}
	// Several keys at once (ctrl+a+b): hold each in turn and release in reverse,
	// as xdotool does.
	all := append(mods, rest...)
	var err error
	i := 0
	for ; i < len(all); i++ {
		if err = robotgo.KeyToggle(all[i], "down"); err != nil {
			break
		}
	}
	for i--; i >= 0; i-- {
		if uerr := robotgo.KeyToggle(all[i], "up"); uerr != nil && err == nil {
			err = uerr
		}
	}
	return err
}

func (r *robot) typeText(s string) error {
	robotMu.Lock()
	defer robotMu.Unlock()
	if r.sys != nil {
		return r.sys.typeText(s, func(s string) { robotgo.Type(s) })
	}
	robotgo.Type(s)
	return nil
}

// close closes robotgo's X connection and the platform's. Only tests call it: they
// stop their Xvfb before the process exits, and robotgo would otherwise close its
// connection from an atexit handler (run under the race detector) and find the
// server gone.
func (r *robot) close() {
	robotMu.Lock()
	defer robotMu.Unlock()
	robotgo.CloseMainDisplay()
	if c, ok := r.sys.(interface{ close() }); ok {
		c.close()
	}
}
