// Package xvfbtest starts real X desktops for tests: an Xvfb server of a chosen size
// with the openbox window manager, optionally split into several RandR monitors.
// Tests that need a desktop call Start; without Xvfb they skip, unless
// DESKHAND_REQUIRE_DISPLAY=1 (as in CI), where they fail.
package xvfbtest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Display is a running X server with a window manager.
type Display struct {
	Name       string // ":42"
	XAuthority string
	Width      int
	Height     int
	procs      []*exec.Cmd
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
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n)); err == nil {
			continue
		}
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X%d-lock", n)); err == nil {
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
		if err := x.Start(); err != nil {
			t.Fatalf("start Xvfb: %v", err)
		}
		if d.waitReady(5 * time.Second) {
			d.procs = append(d.procs, x)
			break
		}
		_ = x.Process.Kill()
		_ = x.Wait()
		d.Name = ""
	}
	if d.Name == "" {
		t.Fatal("could not start Xvfb on any display number")
	}
	t.Cleanup(d.stop)
	wm := d.Command("openbox")
	if err := wm.Start(); err != nil {
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

func (d *Display) waitReady(timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if d.Command("xdpyinfo").Run() == nil {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

func (d *Display) stop() {
	for i := len(d.procs) - 1; i >= 0; i-- {
		p := d.procs[i]
		_ = p.Process.Kill()
		_ = p.Wait()
	}
	d.procs = nil
}

// Env returns the environment with DISPLAY and XAUTHORITY pointing at d and
// WAYLAND_DISPLAY removed (kbinani/screenshot would try the portal).
func (d *Display) Env() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "DISPLAY=") || strings.HasPrefix(kv, "XAUTHORITY=") || strings.HasPrefix(kv, "WAYLAND_DISPLAY=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "DISPLAY="+d.Name, "XAUTHORITY="+d.XAuthority)
}

// Setenv points this process's DISPLAY and XAUTHORITY at d for the rest of t.
// robotgo keeps its first X connection for the life of the process, so a test
// binary that acts in-process should use one Display for all its tests.
func (d *Display) Setenv(t testing.TB) {
	t.Setenv("DISPLAY", d.Name)
	t.Setenv("XAUTHORITY", d.XAuthority)
	t.Setenv("WAYLAND_DISPLAY", "")
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
