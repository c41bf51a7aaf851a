// Package xvfbtest starts real X desktops for tests: an Xvfb server of a chosen size
// with the openbox window manager, optionally split into several RandR monitors.
// Tests that need a desktop call Start; without Xvfb they skip, unless
// DESKHAND_REQUIRE_DISPLAY=1 (as in CI), where they fail.
package xvfbtest

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Display is a running X server with a window manager.
type Display struct {
	Name       string // ":42"
	XAuthority string
	Width      int
	Height     int
	procs      []*proc // Xvfb first, then openbox
}

// proc is a started process whose exit is watched, so a server that dies at
// start-up is noticed at once and stop can wait for a graceful exit.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited and been reaped
}

func startProc(c *exec.Cmd) (*proc, error) {
	if err := c.Start(); err != nil {
		return nil, err
	}
	p := &proc{cmd: c, done: make(chan struct{})}
	go func() {
		_ = c.Wait()
		close(p.done)
	}()
	return p, nil
}

// stop asks the process to exit and kills it if it has not within two seconds.
// Xvfb must get SIGTERM: killed, it leaves its /tmp/.X11-unix socket and lock
// file behind.
func (p *proc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(2 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// displayFree reports whether display number n can be used: no lock file, or one
// left by a server that is gone (Xvfb takes over a stale lock and socket).
func displayFree(n int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/tmp/.X%d-lock", n))
	if errors.Is(err, fs.ErrNotExist) {
		// No lock: free unless some server runs without one.
		_, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n))
		return errors.Is(err, fs.ErrNotExist)
	}
	if err != nil {
		return false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		return false
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return true
	}
	// Signal 0 checks that the process exists; EPERM means it does, as someone
	// else's.
	err = p.Signal(syscall.Signal(0))
	return err != nil && !errors.Is(err, syscall.EPERM)
}

// Required reports whether tests must fail instead of skipping without a display.
func Required() bool { return os.Getenv("DESKHAND_REQUIRE_DISPLAY") == "1" }

// Need skips t, or fails it when a display is required, if the named programs
// are missing.
func Need(t testing.TB, programs ...string) {
	t.Helper()
	for _, p := range programs {
		if _, err := exec.LookPath(p); err != nil {
			msg := fmt.Sprintf("%s is not installed (apt-get install the packages in README.md): %v", p, err)
			if Required() {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
}

var nextDisplay = struct {
	sync.Mutex
	n int
}{n: 40 + os.Getpid()%200}

// Start starts Xvfb at width×height (24-bit, 96 dpi) and openbox on a free display,
// and stops both when t ends.
func Start(t testing.TB, width, height int) *Display {
	t.Helper()
	Need(t, "Xvfb", "openbox", "xauth", "xdpyinfo")
	dir := t.TempDir()
	d := &Display{XAuthority: filepath.Join(dir, "xauth"), Width: width, Height: height}
	if err := os.WriteFile(d.XAuthority, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for attempt := 0; attempt < 20; attempt++ {
		nextDisplay.Lock()
		n := nextDisplay.n
		nextDisplay.n++
		nextDisplay.Unlock()
		if !displayFree(n) {
			continue
		}
		d.Name = fmt.Sprintf(":%d", n)
		if out, err := exec.Command("xauth", "-f", d.XAuthority, "add", d.Name, ".", cookie()).CombinedOutput(); err != nil {
			t.Fatalf("xauth: %v: %s", err, out)
		}
		var log bytes.Buffer
		x := exec.Command("Xvfb", d.Name, "-screen", "0", fmt.Sprintf("%dx%dx24", width, height),
			"-dpi", "96", "-noreset", "-nolisten", "tcp", "-auth", d.XAuthority)
		x.Stdout, x.Stderr = &log, &log
		xp, err := startProc(x)
		if err != nil {
			t.Fatalf("start Xvfb: %v", err)
		}
		if d.waitReady(xp, 5*time.Second) {
			d.procs = append(d.procs, xp)
			break
		}
		xp.stop()
		d.Name = ""
	}
	if d.Name == "" {
		t.Fatal("could not start Xvfb on any display number")
	}
	t.Cleanup(d.stop)
	wm, err := startProc(d.Command("openbox"))
	if err != nil {
		t.Fatalf("start openbox: %v", err)
	}
	d.procs = append(d.procs, wm)
	// openbox takes a moment to own the screen; windows mapped before that get no
	// frame and no focus handling.
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		out, _ := d.Command("xprop", "-root", "_NET_SUPPORTING_WM_CHECK").Output()
		if strings.Contains(string(out), "window id") {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	return d
}

// waitReady waits until the server x answers on d. It gives up as soon as x
// exits (the display number was taken after all), so that it never mistakes
// another server on the same number for its own.
func (d *Display) waitReady(x *proc, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		ok := d.Command("xdpyinfo").Run() == nil
		select {
		case <-x.done:
			return false
		default:
		}
		if ok {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

func (d *Display) stop() {
	for i := len(d.procs) - 1; i >= 0; i-- {
		d.procs[i].stop()
	}
	d.procs = nil
}

// Env returns the environment with DISPLAY and XAUTHORITY pointing at d,
// WAYLAND_DISPLAY removed and XDG_SESSION_TYPE set to x11: kbinani/screenshot
// captures through the xdg portal, not the X server, when the session type is
// wayland, as it is when the tests run from a terminal of a Wayland desktop.
func (d *Display) Env() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "DISPLAY=") || strings.HasPrefix(kv, "XAUTHORITY=") ||
			strings.HasPrefix(kv, "WAYLAND_DISPLAY=") || strings.HasPrefix(kv, "XDG_SESSION_TYPE=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "DISPLAY="+d.Name, "XAUTHORITY="+d.XAuthority, "XDG_SESSION_TYPE=x11")
}

// Setenv points this process's DISPLAY and XAUTHORITY at d for the rest of t,
// and makes it look like an X11 session (see Env).
// robotgo keeps its first X connection for the life of the process, so a test
// binary that acts in-process should use one Display for all its tests.
func (d *Display) Setenv(t testing.TB) {
	t.Setenv("DISPLAY", d.Name)
	t.Setenv("XAUTHORITY", d.XAuthority)
	t.Setenv("WAYLAND_DISPLAY", "")
	t.Setenv("XDG_SESSION_TYPE", "x11")
}

// Command returns a command that runs on d.
func (d *Display) Command(name string, args ...string) *exec.Cmd {
	c := exec.Command(name, args...)
	c.Env = d.Env()
	return c
}

// Launch starts a program on d (xterm, mousepad …) and kills it when t ends.
func (d *Display) Launch(t testing.TB, name string, args ...string) *exec.Cmd {
	t.Helper()
	c := d.Command(name, args...)
	var log bytes.Buffer
	c.Stdout, c.Stderr = &log, &log
	if err := c.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = c.Process.Kill()
		_ = c.Wait()
		if t.Failed() && log.Len() > 0 {
			t.Logf("%s output:\n%s", name, log.String())
		}
	})
	return c
}

// Output runs a command on d and returns its trimmed standard output.
func (d *Display) Output(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := d.Command(name, args...).Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("%s %s: %v %s", name, strings.Join(args, " "), err, stderr)
	}
	return strings.TrimSpace(string(out))
}

// WaitWindow waits until a window whose name matches the regular expression
// pattern is visible, and returns its id.
func (d *Display) WaitWindow(t testing.TB, pattern string, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		out, err := d.Command("xdotool", "search", "--onlyvisible", "--name", pattern).Output()
		if err == nil {
			if ids := strings.Fields(string(out)); len(ids) > 0 {
				return ids[len(ids)-1]
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no visible window named %q after %v", pattern, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Geometry returns a window's client area in root coordinates (xwininfo's absolute
// upper-left corner; xdotool's geometry would include the frame).
func (d *Display) Geometry(t testing.TB, win string) (x, y, w, h int) {
	t.Helper()
	out := d.Output(t, "xwininfo", "-id", win)
	get := func(key string) int {
		for _, line := range strings.Split(out, "\n") {
			line = strings.TrimSpace(line)
			if strings.HasPrefix(line, key) {
				var v int
				fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(line, key)), "%d", &v)
				return v
			}
		}
		t.Fatalf("xwininfo has no %q:\n%s", key, out)
		return 0
	}
	return get("Absolute upper-left X:"), get("Absolute upper-left Y:"), get("Width:"), get("Height:")
}

// SetMonitors splits the screen into RandR monitors, each "WxH+X+Y", and removes
// the implicit whole-screen monitor.
func (d *Display) SetMonitors(t testing.TB, specs ...string) {
	t.Helper()
	for i, s := range specs {
		var w, h, x, y int
		if _, err := fmt.Sscanf(s, "%dx%d+%d+%d", &w, &h, &x, &y); err != nil {
			t.Fatalf("monitor %q: want WxH+X+Y", s)
		}
		geom := fmt.Sprintf("%d/%dx%d/%d+%d+%d", w, w*254/960, h, h*254/960, x, y)
		if out, err := d.Command("xrandr", "--setmonitor", fmt.Sprintf("M%d", i), geom, "none").CombinedOutput(); err != nil {
			t.Fatalf("xrandr --setmonitor: %v: %s", err, out)
		}
	}
	// Fails with BadValue but removes the implicit monitor (desktop-testing.md).
	_ = d.Command("xrandr", "--output", "screen", "--off").Run()
}

func cookie() string {
	b := make([]byte, 16)
	f, err := os.Open("/dev/urandom")
	if err == nil {
		_, _ = f.Read(b)
		f.Close()
	}
	return fmt.Sprintf("%x", b)
}
