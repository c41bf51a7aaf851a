package xvfbtest

import (
	"context"
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Windows programs built from this module run under Wine on a Display: a new
// 64-bit prefix per test, booted on that display. Debian 12's Wine 8 lacks
// ProcessPrng, which Go 1.24 and later call at start-up, so every prefix gets
// the stand-in DLL of testdata/bcryptprimitives.c, built with MinGW-w64.

//go:embed testdata/bcryptprimitives.c
var bcryptSource []byte

// WineRequired reports whether Wine tests must fail instead of skipping when a
// tool is missing (DESKHAND_REQUIRE_WINE=1, as in CI).
func WineRequired() bool { return os.Getenv("DESKHAND_REQUIRE_WINE") == "1" }

// WinePrefix is a booted Wine prefix whose programs show their windows on a
// Display and can run Go programs built for windows/amd64.
type WinePrefix struct {
	Dir        string // WINEPREFIX; C: is Dir/drive_c
	wine       string
	wineserver string // "" if not found: the server then ends by itself
	env        []string
}

// wineTools finds the programs the Wine tests run, or skips t (fails it when
// WineRequired) if one is missing.
func wineTools(t testing.TB) (w *WinePrefix, mingw string) {
	t.Helper()
	look := func(names ...string) string {
		for _, n := range names {
			if p, err := exec.LookPath(n); err == nil {
				return p
			}
		}
		return ""
	}
	find := func(names ...string) string {
		t.Helper()
		if p := look(names...); p != "" {
			return p
		}
		msg := fmt.Sprintf("%s is not installed (apt-get install wine wine64 gcc-mingw-w64-x86-64; Go from https://go.dev/dl/)", strings.Join(names, " or "))
		if WineRequired() {
			t.Fatal(msg)
		}
		t.Skip(msg)
		return ""
	}
	w = &WinePrefix{
		wine:       find("wine64", "wine"),
		wineserver: look("wineserver", "wineserver64", "/usr/lib/wine/wineserver64"),
	}
	mingw = find("x86_64-w64-mingw32-gcc")
	find("go")
	return w, mingw
}

// Wine boots a new prefix on d and ends its programs when t ends (before d
// stops, if d was started first). Booting takes seconds, so alongside, each of
// the functions given runs in parallel with it (building the program to run,
// with BuildWindows); an error of one fails t. Wine skips t in -short, and when
// a tool is missing, unless WineRequired.
func Wine(t testing.TB, d *Display, alongside ...func() error) *WinePrefix {
	t.Helper()
	if testing.Short() {
		t.Skip("Wine takes seconds to start: not in -short")
	}
	w, mingw := wineTools(t)
	dir := t.TempDir()
	w.Dir = filepath.Join(dir, "prefix")
	// -all: Wine's fixme lines would bury the test's output. mscoree and mshtml
	// off: a new prefix would otherwise offer to download Mono and Gecko;
	// winemenubuilder off: it writes desktop menus, and takes seconds at boot.
	w.env = append(d.Env(), "WINEPREFIX="+w.Dir, "WINEARCH=win64", "WINEDEBUG=-all",
		"WINEDLLOVERRIDES=mscoree,mshtml=;winemenubuilder.exe=d")

	src, dll := filepath.Join(dir, "bcryptprimitives.c"), filepath.Join(dir, "bcryptprimitives.dll")
	jobs := append([]func() error{
		func() error {
			if err := runLogged(w.command(w.wine, "wineboot", "--init"), 3*time.Minute); err != nil || w.wineserver == "" {
				return err
			}
			// The services and the desktop wineboot started go on for seconds
			// after it. A program started meanwhile on a busy machine may wait
			// ten seconds for COM's RpcSs service, which fails to start: end
			// them, and wait until they are gone.
			for _, arg := range []string{"-k", "-w"} {
				if err := runLogged(w.command(w.wineserver, arg), time.Minute); err != nil {
					return err
				}
			}
			return nil
		},
		func() error {
			if err := os.WriteFile(src, bcryptSource, 0o644); err != nil {
				return err
			}
			return runLogged(exec.Command(mingw, "-shared", "-o", dll, src, "-ladvapi32"), time.Minute)
		},
	}, alongside...)
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for i, f := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f()
		}()
	}
	wg.Wait()
	// The prefix's server and its services outlive wineboot and every program:
	// end them before the X server goes (cleanups run last first), and wait for
	// them to be gone before the prefix is removed. WINEPREFIX picks this
	// prefix's server only.
	t.Cleanup(func() {
		if w.wineserver == "" {
			return
		}
		for _, arg := range []string{"-k", "-w"} {
			_ = runLogged(w.command(w.wineserver, arg), 30*time.Second)
		}
	})
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(dll)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(w.Dir, "drive_c", "windows", "system32", "bcryptprimitives.dll"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	w.keepAlive(t)
	return w
}

// keepAlive runs a program that does nothing in the prefix until t ends. Without
// one, the prefix's services and desktop end whenever its last program has
// exited and start again with the next, which then waits for them, and may
// meet them still ending (see the wait after wineboot in Wine).
func (w *WinePrefix) keepAlive(t testing.TB) {
	t.Helper()
	c := w.command(w.wine, "cmd") // waits for commands on its standard input
	stdin, err := c.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatalf("start cmd in the Wine prefix: %v", err)
	}
	// Runs before the server is ended (cleanups run last first).
	t.Cleanup(func() {
		stdin.Close()
		_ = c.Process.Kill()
		_ = c.Wait()
	})
}

// Env returns the environment the prefix's programs run in: d's, and Wine's.
func (w *WinePrefix) Env() []string { return append([]string(nil), w.env...) }

// Command returns a command that runs the Windows program exe (a path on this
// machine) with args in the prefix. Give it files, not pipes, for output: the
// services Wine starts with a program may inherit its output and hold a pipe
// open long after it has exited, and Wait would wait for them.
func (w *WinePrefix) Command(exe string, args ...string) *exec.Cmd {
	return w.command(w.wine, append([]string{exe}, args...)...)
}

func (w *WinePrefix) command(name string, args ...string) *exec.Cmd {
	c := exec.Command(name, args...)
	c.Env = w.Env()
	return c
}

// BuildWindows builds the Go package pkg (a path as go build takes it, relative
// to the test's package directory) for windows/amd64 into out; with cgo, through
// MinGW-w64 as .ci/cross does, so the two share the build cache.
func BuildWindows(out, pkg string, cgo bool) error {
	c := exec.Command("go", "build", "-o", out, pkg)
	c.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	if cgo {
		c.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=1", "CC=x86_64-w64-mingw32-gcc")
	}
	return runLogged(c, 30*time.Minute) // cold, the app (fyne's OpenGL cgo) takes minutes
}

// runLogged runs c, giving up after timeout; its error carries c's output.
// The output goes to a file, not a pipe: Wine's services inherit wineboot's
// output and outlive it, and Wait would wait for them to close a pipe.
func runLogged(c *exec.Cmd, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	k := exec.CommandContext(ctx, c.Path, c.Args[1:]...)
	k.Env, k.Dir = c.Env, c.Dir
	out, err := os.CreateTemp("", "xvfbtest-log")
	if err != nil {
		return err
	}
	defer os.Remove(out.Name())
	defer out.Close()
	k.Stdout, k.Stderr = out, out
	if err := k.Run(); err != nil {
		log, _ := os.ReadFile(out.Name())
		return fmt.Errorf("%s: %w\n%s", strings.Join(c.Args, " "), err, log)
	}
	return nil
}
