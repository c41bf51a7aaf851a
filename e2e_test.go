package main

// End-to-end tests: the real deskhand binary, driven by scripted UI-TARS replies
// from a fake Ollama, acting on real X applications under Xvfb.

import (
	"bytes"
	"fmt"
	"image"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/deskhand/deskhand/perception/xvfbtest"
	"github.com/deskhand/deskhand/planner/ollamatest"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// deskhandBin builds the binary once per test run.
func deskhandBin(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "deskhand-e2e")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "deskhand")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

var uitars = ollamatest.Model{
	Name:         "ui-tars-1.5:7b",
	Capabilities: []string{"completion", "vision"},
	Architecture: "qwen25vl",
	Family:       "qwen25vl",
}

var textOnly = ollamatest.Model{
	Name:         "llama3.2:3b",
	Capabilities: []string{"completion", "tools"},
	Architecture: "llama",
	Family:       "llama",
}

type result struct {
	code           int
	stdout, stderr string
	traceDir       string
}

// deskhand runs the binary with env added to the environment (nil display means
// no DISPLAY at all).
func deskhand(t *testing.T, d *xvfbtest.Display, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(deskhandBin(t), args...)
	cmd.Env = baseEnv(d, env)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return r
}

func baseEnv(d *xvfbtest.Display, extra []string) []string {
	var env []string
	if d != nil {
		env = d.Env()
	} else {
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "DISPLAY=") && !strings.HasPrefix(kv, "WAYLAND_DISPLAY=") {
				env = append(env, kv)
			}
		}
	}
	env = append(env, "LANG=en_US.UTF-8", "LANGUAGE=en", "LC_ALL=C.UTF-8")
	return append(env, extra...)
}

// lastImageSize is the size of the newest screenshot in a chat request.
func lastImageSize(t *testing.T, req *api.ChatRequest) image.Point {
	r := ollamatest.Request{Chat: req}
	sizes := r.ImageSizes()
	if len(sizes) == 0 {
		t.Error("chat request carries no screenshot")
		return image.Point{}
	}
	return sizes[len(sizes)-1]
}

// toImage is where a screen point lies in the image the model saw: what a model
// that reads the screenshot perfectly would answer.
func toImage(p image.Point, screen, img image.Point) image.Point {
	return image.Pt(p.X*img.X/screen.X, p.Y*img.Y/screen.Y)
}

func pointer(t *testing.T, d *xvfbtest.Display) image.Point {
	out := d.Output(t, "xdotool", "getmouselocation", "--shell")
	var p image.Point
	for _, line := range strings.Split(out, "\n") {
		k, v, _ := strings.Cut(line, "=")
		n, _ := strconv.Atoi(v)
		switch k {
		case "X":
			p.X = n
		case "Y":
			p.Y = n
		}
	}
	return p
}

var screens = []image.Point{{1920, 1080}, {2560, 1440}}

// targetAndDecoy opens two xterms at the given geometries: "target" runs a shell,
// "decoy" runs cat and is mapped last, so it has the focus. Typing without a
// correct click into the target goes into cat, not into a shell. It returns the
// centre of the target's client area in screen pixels.
func targetAndDecoy(t *testing.T, d *xvfbtest.Display, targetGeom, decoyGeom string) image.Point {
	t.Helper()
	d.Launch(t, "xterm", "-T", "target", "-geometry", targetGeom, "-e", "bash", "--norc", "--noprofile")
	target := d.WaitWindow(t, "^target$", 10*time.Second)
	d.Launch(t, "xterm", "-T", "decoy", "-geometry", decoyGeom, "-e", "cat")
	d.WaitWindow(t, "^decoy$", 10*time.Second)
	time.Sleep(300 * time.Millisecond) // let openbox give the decoy the focus
	x, y, w, h := d.Geometry(t, target)
	return image.Pt(x+w/2, y+h/2)
}

// TestXtermCommand: click into the right xterm (another one has the focus) and run
// a command there; the file it writes proves the click landed.
func TestXtermCommand(t *testing.T) {
	for _, size := range screens {
		t.Run(fmt.Sprintf("%dx%d", size.X, size.Y), func(t *testing.T) {
			d := xvfbtest.Start(t, size.X, size.Y)
			dir := t.TempDir()
			out := filepath.Join(dir, "out.txt")
			centre := targetAndDecoy(t, d, "70x20+700+450", "70x20-80-120")
			srv := ollamatest.NewServer(uitars)
			defer srv.Close()
			var mu sync.Mutex
			var img image.Point
			step := 0
			srv.Handle(func(req *api.ChatRequest) ollamatest.Reply {
				mu.Lock()
				defer mu.Unlock()
				step++
				img = lastImageSize(t, req)
				switch step {
				case 1:
					p := toImage(centre, size, img)
					return ollamatest.Reply{Content: fmt.Sprintf("Thought: The terminal titled target is on the left. I click into it.\nAction: click(start_box='<|box_start|>(%d,%d)<|box_end|>')", p.X, p.Y)}
				case 2:
					return ollamatest.Reply{Content: fmt.Sprintf("Thought: Now I type the command.\nAction: type(content='echo deskhand-e2e \\'ok\\' > %s\\n')", out)}
				default:
					return ollamatest.Reply{Content: "Thought: The command ran.\nAction: finished(content='The file was written.')"}
				}
			})
			r := deskhand(t, d, []string{"OLLAMA_HOST=" + srv.URL}, "run", "--yes", "--trace", t.TempDir(), "run echo in the target terminal")
			if r.code != 0 {
				t.Fatalf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
			}
			got := waitFile(t, out, 5*time.Second)
			if got != "deskhand-e2e ok\n" {
				t.Errorf("file = %q, want %q", got, "deskhand-e2e ok\n")
			}
			// 1920x1080 rounded to multiples of 28 is just over Ollama's pixel cap, and
			// 2560x1440 is well over it: both are sent as 1904x1064.
			if want := image.Pt(1904, 1064); img != want {
				t.Errorf("image sent = %v, want %v", img, want)
			}
			if p := pointer(t, d); abs(p.X-centre.X) > size.X/img.X+1 || abs(p.Y-centre.Y) > size.Y/img.Y+1 {
				t.Errorf("pointer at %v after the click, want within one image pixel of %v", p, centre)
			}
			if !strings.Contains(r.stdout, "The file was written.") {
				t.Errorf("stdout = %q, want the model's closing words", r.stdout)
			}
		})
	}
}

// TestMousepadSaveUnicode: type non-ASCII text into mousepad and save it through
// the GTK dialog with ctrl+s.
func TestMousepadSaveUnicode(t *testing.T) {
	const text = "héllo 你好 ✓"
	for _, size := range screens {
		t.Run(fmt.Sprintf("%dx%d", size.X, size.Y), func(t *testing.T) {
			xvfbtest.Need(t, "mousepad")
			d := xvfbtest.Start(t, size.X, size.Y)
			dir := t.TempDir()
			out := filepath.Join(dir, "saved.txt")
			home := t.TempDir()
			mp := d.Command("mousepad", "--disable-server")
			mp.Env = append(mp.Env, "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "LANG=en_US.UTF-8", "NO_AT_BRIDGE=1")
			if err := mp.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { mp.Process.Kill(); mp.Wait() })
			win := d.WaitWindow(t, "Mousepad", 20*time.Second)
			time.Sleep(500 * time.Millisecond)
			x, y, w, h := d.Geometry(t, win)
			textArea := image.Pt(x+w/2, y+h/2)

			srv := ollamatest.NewServer(uitars)
			defer srv.Close()
			var mu sync.Mutex
			step := 0
			typedPath := false
			saveDialog := func() bool {
				ids, _ := d.Command("xdotool", "search", "--onlyvisible", "--name", "^Save As$").Output()
				return len(strings.TrimSpace(string(ids))) > 0
			}
			srv.Handle(func(req *api.ChatRequest) ollamatest.Reply {
				mu.Lock()
				defer mu.Unlock()
				step++
				img := lastImageSize(t, req)
				switch step {
				case 1:
					p := toImage(textArea, size, img)
					return ollamatest.Reply{Content: fmt.Sprintf("Thought: I click into the document.\nAction: click(start_box='(%d,%d)')", p.X, p.Y)}
				case 2:
					return ollamatest.Reply{Content: "Thought: I type the text.\nAction: type(content='" + text + "')"}
				case 3:
					return ollamatest.Reply{Content: "Thought: I save with ctrl s.\nAction: hotkey(key='ctrl s')"}
				}
				// From here the fake model reacts to the screen as a model would.
				if _, err := os.Stat(out); err == nil {
					return ollamatest.Reply{Content: "Thought: The title shows the saved file.\nAction: finished(content='saved')"}
				}
				if !saveDialog() {
					if step > 15 {
						return ollamatest.Reply{Content: "Thought: The dialog never came.\nAction: call_user()"}
					}
					return ollamatest.Reply{Content: "Thought: The save dialog is not open yet.\nAction: wait()"}
				}
				if !typedPath {
					typedPath = true
					return ollamatest.Reply{Content: fmt.Sprintf("Thought: The Save As dialog is open with the name field focused; I type the full path.\nAction: type(content='%s')", out)}
				}
				// GTK's file chooser may take the first Enter to accept its
				// completion, so the dialog can still be open: press Enter (again).
				return ollamatest.Reply{Content: "Thought: The path is in the name field; I press Enter to save.\nAction: hotkey(key='enter')"}
			})
			r := deskhand(t, d, []string{"OLLAMA_HOST=" + srv.URL}, "run", "--yes", "--trace", t.TempDir(), "write a greeting and save it")
			if r.code != 0 {
				t.Fatalf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
			}
			got := waitFile(t, out, 5*time.Second)
			if got != text && got != text+"\n" {
				t.Errorf("saved %q (% x), want %q", got, got, text)
			}
		})
	}
}

// TestCtrlCStopsRun: SIGINT while the model is answering cancels the request in
// flight and exits 3 within 200 ms.
func TestCtrlCStopsRun(t *testing.T) {
	d := xvfbtest.Start(t, 1280, 800)
	srv := ollamatest.NewServer(uitars)
	defer srv.Close()
	srv.Script(ollamatest.Reply{Hang: true})
	cmd := exec.Command(deskhandBin(t), "run", "--yes", "--trace", t.TempDir(), "wait forever")
	cmd.Env = baseEnv(d, []string{"OLLAMA_HOST=" + srv.URL})
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for len(srv.PromptRequests()) == 0 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("no chat request arrived; stderr: %s", errb.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	t0 := time.Now()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	elapsed := time.Since(t0)
	code := -1
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err == nil {
		code = 0
	}
	if code != 3 {
		t.Errorf("exit %d, want 3; stderr: %s", code, errb.String())
	}
	t.Logf("exited %v after SIGINT", elapsed)
	if elapsed > 200*time.Millisecond {
		t.Errorf("exited %v after Ctrl+C, want within 200ms", elapsed)
	}
	if !srv.WaitCancelled(2 * time.Second) {
		t.Error("the in-flight Ollama request was not cancelled")
	}
}

// TestOffScreenClickIsNeverClicked: a point outside the image is rejected and the
// model asked again; nothing is clicked there.
func TestOffScreenClickIsNeverClicked(t *testing.T) {
	d := xvfbtest.Start(t, 1920, 1080)
	d.Output(t, "xdotool", "mousemove", "10", "10")
	srv := ollamatest.NewServer(uitars)
	defer srv.Close()
	srv.Script(
		ollamatest.Reply{Content: "Thought: Clicking far away.\nAction: click(start_box='(2400,900)')"},
		ollamatest.Reply{Content: "Thought: Nothing to do.\nAction: finished(content='nothing')"},
	)
	r := deskhand(t, d, []string{"OLLAMA_HOST=" + srv.URL}, "run", "--yes", "--trace", t.TempDir(), "click outside")
	if r.code != 0 {
		t.Fatalf("exit %d; stderr: %s", r.code, r.stderr)
	}
	if p := pointer(t, d); p != image.Pt(10, 10) {
		t.Errorf("pointer moved to %v; an off-screen click must never be performed", p)
	}
	reqs := srv.PromptRequests()
	if len(reqs) != 2 {
		t.Fatalf("%d chat requests, want 2 (one corrective re-ask)", len(reqs))
	}
	msgs := reqs[1].Chat.Messages
	if last := msgs[len(msgs)-1].Content; !strings.Contains(last, "outside") {
		t.Errorf("re-ask = %q, want it to say the point was outside the screen", last)
	}
}

// TestUnparsableReplyFails: after one corrective re-ask, a reply that still does not
// parse ends the run with exit 1 and a sentence quoting the raw reply.
func TestUnparsableReplyFails(t *testing.T) {
	d := xvfbtest.Start(t, 1280, 800)
	srv := ollamatest.NewServer(uitars)
	defer srv.Close()
	srv.Script(
		ollamatest.Reply{Content: "I would click the button."},
		ollamatest.Reply{Content: "Sorry, I really would click the button."},
	)
	r := deskhand(t, d, []string{"OLLAMA_HOST=" + srv.URL}, "run", "--yes", "--trace", t.TempDir(), "click the button")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1; stderr: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "Sorry, I really would click the button.") {
		t.Errorf("stderr does not name the raw reply:\n%s", r.stderr)
	}
}

// TestSetupErrors: each bad setup gets exit 2 and one sentence that says what to do.
func TestSetupErrors(t *testing.T) {
	srv := ollamatest.NewServer(uitars, textOnly)
	defer srv.Close()
	closed := closedPort(t)
	tests := []struct {
		name    string
		display bool
		env     []string
		args    []string
		want    string
	}{
		{"ollama down", true, []string{"OLLAMA_HOST=" + closed}, []string{"run", "--yes", "x"}, "Ollama is not running at http://" + closed + " — start it with `ollama serve`"},
		{"model missing", true, []string{"OLLAMA_HOST=" + srv.URL}, []string{"run", "--yes", "--model", "qwen2.5vl:7b", "x"}, "`ollama pull qwen2.5vl:7b`"},
		{"model without vision", true, []string{"OLLAMA_HOST=" + srv.URL}, []string{"run", "--yes", "--model", "llama3.2:3b", "x"}, "cannot see images"},
		{"no display", false, []string{"OLLAMA_HOST=" + srv.URL}, []string{"run", "--yes", "x"}, "DISPLAY"},
		{"wayland without X", false, []string{"OLLAMA_HOST=" + srv.URL, "WAYLAND_DISPLAY=wayland-0", "XDG_SESSION_TYPE=wayland"}, []string{"run", "--yes", "x"}, "Wayland"},
		{"empty task", true, []string{"OLLAMA_HOST=" + srv.URL}, []string{"run", "--yes", "  "}, "the task is empty"},
		{"no terminal", true, []string{"OLLAMA_HOST=" + srv.URL}, []string{"run", "x"}, "pass --yes"},
		{"remote host", true, []string{"OLLAMA_HOST=http://192.0.2.10:11434"}, []string{"run", "--yes", "x"}, "--allow-remote-model"},
		{"no such monitor", true, []string{"OLLAMA_HOST=" + srv.URL}, []string{"run", "--yes", "--monitor", "3", "x"}, "there is no monitor 3: this desktop has 1"},
		{"unknown adapter", true, []string{"OLLAMA_HOST=" + srv.URL}, []string{"run", "--yes", "--adapter", "gpt9", "x"}, "uitars15"},
	}
	d := xvfbtest.Start(t, 1024, 768)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var disp *xvfbtest.Display
			if tt.display {
				disp = d
			}
			r := deskhand(t, disp, append(tt.env, "XDG_DATA_HOME="+t.TempDir()), tt.args...)
			if r.code != 2 {
				t.Errorf("exit %d, want 2; stderr: %s", r.code, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stderr = %q, want it to contain %q", r.stderr, tt.want)
			}
			if n := strings.Count(strings.TrimSpace(r.stderr), "\n"); n > 1 {
				t.Errorf("stderr has %d lines, want one clear sentence:\n%s", n+1, r.stderr)
			}
		})
	}
}

func closedPort(t *testing.T) string {
	t.Helper()
	srv := ollamatest.NewServer()
	u := strings.TrimPrefix(srv.URL, "http://")
	srv.Close()
	return u
}

func waitFile(t *testing.T, path string, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		b, err := os.ReadFile(path)
		if err == nil && len(b) > 0 {
			return string(b)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s was not written: %v", path, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// TestSecondMonitor: on two RandR monitors, the second at a non-zero origin (and
// in portrait), the model sees only the chosen monitor and its click lands
// there, mapped back with the monitor's origin. The monitor is chosen with
// --monitor, or by the pointer.
func TestSecondMonitor(t *testing.T) {
	for _, tc := range []struct {
		name     string
		screen   image.Point
		monitors []string
		target   string          // the target terminal's geometry, on mon
		mon      image.Rectangle // the monitor deskhand must use
		pointer  image.Point     // where the pointer starts
		flag     bool            // --monitor 1, else the monitor under the pointer
		img      image.Point     // the image the model must get
	}{
		{"flag", image.Pt(3200, 1080), []string{"1280x720+0+0", "1920x1080+1280+0"}, "70x20+2000+400",
			image.Rect(1280, 0, 3200, 1080), image.Pt(200, 600), true, image.Pt(1904, 1064)},
		{"pointer", image.Pt(3200, 1080), []string{"1280x720+0+0", "1920x1080+1280+0"}, "70x20+2000+400",
			image.Rect(1280, 0, 3200, 1080), image.Pt(1500, 900), false, image.Pt(1904, 1064)},
		// A portrait monitor: 1080x1920 goes to a Qwen2.5-VL model as 1064x1904.
		{"portrait", image.Pt(3000, 1920), []string{"1920x1080+0+0", "1080x1920+1920+0"}, "70x20+2300+1500",
			image.Rect(1920, 0, 3000, 1920), image.Pt(2500, 300), false, image.Pt(1064, 1904)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := xvfbtest.Start(t, tc.screen.X, tc.screen.Y)
			d.SetMonitors(t, tc.monitors...)
			dir := t.TempDir()
			out := filepath.Join(dir, "out.txt")
			centre := targetAndDecoy(t, d, tc.target, "70x20+100+100")
			mon := tc.mon
			args := []string{"run", "--yes", "--trace", t.TempDir()}
			d.Output(t, "xdotool", "mousemove", strconv.Itoa(tc.pointer.X), strconv.Itoa(tc.pointer.Y))
			if tc.flag {
				args = append(args, "--monitor", "1")
			}

			srv := ollamatest.NewServer(uitars)
			defer srv.Close()
			var mu sync.Mutex
			step := 0
			var img image.Point
			srv.Handle(func(req *api.ChatRequest) ollamatest.Reply {
				mu.Lock()
				defer mu.Unlock()
				step++
				img = lastImageSize(t, req)
				switch step {
				case 1:
					p := toImage(centre.Sub(mon.Min), mon.Size(), img)
					return ollamatest.Reply{Content: fmt.Sprintf("Thought: I click into the target terminal.\nAction: click(start_box='(%d,%d)')", p.X, p.Y)}
				case 2:
					return ollamatest.Reply{Content: fmt.Sprintf("Thought: I run the command.\nAction: type(content='echo second-monitor > %s\\n')", out)}
				}
				return ollamatest.Reply{Content: "Thought: Done.\nAction: finished(content='ok')"}
			})
			r := deskhand(t, d, []string{"OLLAMA_HOST=" + srv.URL}, append(args, "run echo on the second monitor")...)
			if r.code != 0 {
				t.Fatalf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
			}
			if got := waitFile(t, out, 5*time.Second); got != "second-monitor\n" {
				t.Errorf("file = %q", got)
			}
			if img != tc.img {
				t.Errorf("image sent = %v, want %v (the chosen monitor alone)", img, tc.img)
			}
			if p := pointer(t, d); abs(p.X-centre.X) > 2 || abs(p.Y-centre.Y) > 2 {
				t.Errorf("pointer at %v after the click, want within one image pixel of %v", p, centre)
			}
		})
	}
}

// startRun starts `deskhand run --yes` on d against srv and returns the command
// and its stderr.
func startRun(t *testing.T, d *xvfbtest.Display, srv *ollamatest.Server, task string, env ...string) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(deskhandBin(t), "run", "--yes", "--trace", t.TempDir(), task)
	cmd.Env = baseEnv(d, append([]string{"OLLAMA_HOST=" + srv.URL}, env...))
	errb := &syncBuffer{}
	cmd.Stderr = errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	return cmd, errb
}

// syncBuffer is a bytes.Buffer safe to read while a process writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// pressPanicKey sends the panic key as the user would and waits for the run to
// end, returning its exit status and the time from the key to the exit.
func pressPanicKey(t *testing.T, d *xvfbtest.Display, cmd *exec.Cmd) (int, time.Duration) {
	t.Helper()
	exited := make(chan error, 1)
	t0 := time.Now()
	d.Output(t, "xdotool", "key", "ctrl+alt+shift+Escape")
	go func() { exited <- cmd.Wait() }()
	var err error
	select {
	case err = <-exited:
	case <-time.After(5 * time.Second):
		t.Fatal("deskhand still runs 5s after the panic key")
	}
	elapsed := time.Since(t0)
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, elapsed
}

// TestPanicKeyStopsTyping: the panic key, pressed while deskhand types a long text
// into a terminal, ends the run with exit 3 at once, and no character arrives after.
func TestPanicKeyStopsTyping(t *testing.T) {
	d := xvfbtest.Start(t, 1280, 800)
	out := filepath.Join(t.TempDir(), "typed.txt")
	// Raw-ish terminal: cat gets each character as it is typed, and no key
	// (ctrl+c while the panic key's modifiers are down) signals it.
	d.Launch(t, "xterm", "-T", "sink", "-geometry", "80x24+100+100", "-e", "sh", "-c", "stty -icanon -isig -ixon; exec cat > "+out)
	d.WaitWindow(t, "^sink$", 10*time.Second)
	time.Sleep(300 * time.Millisecond)

	text := strings.Repeat("ab", 200)
	srv := ollamatest.NewServer(uitars)
	defer srv.Close()
	srv.Script(ollamatest.Reply{Content: "Thought: I type the long text.\nAction: type(content='" + text + "')"})
	srv.Handle(func(*api.ChatRequest) ollamatest.Reply {
		return ollamatest.Reply{Content: "Thought: Done.\nAction: finished(content='typed')"}
	})
	// Key by key: a paste would be done before the key could come (the paste
	// path's own cancelling is tested in actuation).
	cmd, errb := startRun(t, d, srv, "type a long text", "DESKHAND_PASTE=off")

	size := func() int64 { return fileSize(out) }
	for deadline := time.Now().Add(20 * time.Second); size() < 20; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("typing did not start; stderr: %s", errb.String())
		}
	}
	code, elapsed := pressPanicKey(t, d, cmd)
	atExit := size()
	t.Logf("exited %v after the panic key, %d of %d characters typed", elapsed, atExit, len(text))
	if code != 3 {
		t.Errorf("exit %d, want 3; stderr: %s", code, errb.String())
	}
	if elapsed > time.Second {
		t.Errorf("exited %v after the panic key, want within 1s", elapsed)
	}
	if !strings.Contains(errb.String(), "stopped by the panic key (ctrl+alt+shift+esc)") {
		t.Errorf("stderr does not mention the panic key:\n%s", errb.String())
	}
	if atExit >= int64(len(text)) {
		t.Errorf("all %d characters were typed; the panic key came too late to test anything", atExit)
	}
	time.Sleep(500 * time.Millisecond)
	if after := size(); after != atExit {
		t.Errorf("%d characters arrived after deskhand exited", after-atExit)
	}
	if n := len(srv.PromptRequests()); n != 1 {
		t.Errorf("%d chat requests, want 1: the run must not go on", n)
	}
}

// TestPanicKeyCancelsModelRequest: the panic key while the model is answering
// cancels the request in flight and exits 3 within 200 ms.
func TestPanicKeyCancelsModelRequest(t *testing.T) {
	d := xvfbtest.Start(t, 1280, 800)
	srv := ollamatest.NewServer(uitars)
	defer srv.Close()
	srv.Script(ollamatest.Reply{Hang: true})
	cmd, errb := startRun(t, d, srv, "wait forever")
	for deadline := time.Now().Add(20 * time.Second); len(srv.PromptRequests()) == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no chat request arrived; stderr: %s", errb.String())
		}
	}
	code, elapsed := pressPanicKey(t, d, cmd)
	t.Logf("exited %v after the panic key", elapsed)
	if code != 3 {
		t.Errorf("exit %d, want 3; stderr: %s", code, errb.String())
	}
	if elapsed > 200*time.Millisecond {
		t.Errorf("exited %v after the panic key, want within 200ms", elapsed)
	}
	if !strings.Contains(errb.String(), "stopped by the panic key (ctrl+alt+shift+esc)") {
		t.Errorf("stderr does not mention the panic key:\n%s", errb.String())
	}
	if !srv.WaitCancelled(2 * time.Second) {
		t.Error("the in-flight Ollama request was not cancelled")
	}
}

// TestPanicKeyTaken: when another program holds the combination, the run says so
// in one warning line and goes on.
func TestPanicKeyTaken(t *testing.T) {
	d := xvfbtest.Start(t, 1024, 768)
	srv := ollamatest.NewServer(uitars)
	defer srv.Close()
	srv.Script(ollamatest.Reply{Content: "Thought: Nothing to do.\nAction: finished(content='nothing')"})
	// Another deskhand holds ctrl+alt+shift+esc while it waits for its model.
	other := ollamatest.NewServer(uitars)
	defer other.Close()
	other.Script(ollamatest.Reply{Hang: true})
	holder, herr := startRun(t, d, other, "hold the panic key")
	for deadline := time.Now().Add(20 * time.Second); len(other.PromptRequests()) == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the first run sent no chat request; stderr: %s", herr.String())
		}
	}
	r := deskhand(t, d, []string{"OLLAMA_HOST=" + srv.URL}, "run", "--yes", "--trace", t.TempDir(), "do nothing")
	holder.Process.Signal(syscall.SIGINT)
	holder.Wait()
	if r.code != 0 {
		t.Fatalf("exit %d; stderr: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "the panic key is unavailable") || !strings.Contains(r.stderr, "already taken") {
		t.Errorf("stderr does not warn that the panic key is taken:\n%s", r.stderr)
	}
}

// TestTerminalApproval: without --yes, deskhand asks on the terminal before each
// action; y performs it, n skips it and tells the model, and the run goes on. The
// binary runs on a real pseudo-terminal (util-linux script), as a person runs it.
func TestTerminalApproval(t *testing.T) {
	xvfbtest.Need(t, "script")
	d := xvfbtest.Start(t, 1280, 800)
	d.Output(t, "xdotool", "mousemove", "5", "5")
	out := filepath.Join(t.TempDir(), "never.txt")
	srv := ollamatest.NewServer(uitars)
	defer srv.Close()
	// 1280x800 is sent as 1288x812; (644,406) there is (640,400) on the screen.
	srv.Script(
		ollamatest.Reply{Content: "Thought: I move to the middle.\nAction: click(start_box='(644,406)')"},
		ollamatest.Reply{Content: fmt.Sprintf("Thought: I write a file.\nAction: type(content='echo no > %s\\n')", out)},
		ollamatest.Reply{Content: "Thought: The user said no; I stop.\nAction: finished(content='stopped as asked')"},
	)
	cmd, stdin, outb := startOnPTY(t, d, srv, "run --trace "+t.TempDir()+" 'click the middle'")
	const prompt = "[y]es / [n]o (skip) / [e]dit / [q]uit"
	waitText(t, cmd, outb, prompt, 1)
	io.WriteString(stdin, "y\n")
	waitText(t, cmd, outb, prompt, 2)
	io.WriteString(stdin, "n\n")
	waitText(t, cmd, outb, "why (optional", 1)
	io.WriteString(stdin, "not this file\n")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("deskhand: %v\n%s", err, outb.String())
	}
	text := outb.String()
	for _, want := range []string{"next: left-click at (640, 400)", `next: type "echo no > `, "HIGH RISK", "done: stopped as asked"} {
		if !strings.Contains(text, want) {
			t.Errorf("terminal output lacks %q:\n%s", want, text)
		}
	}
	if p := pointer(t, d); p != image.Pt(640, 400) {
		t.Errorf("pointer at %v, want the approved click at (640, 400)", p)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("the skipped command ran")
	}
	reqs := srv.PromptRequests()
	if len(reqs) != 3 {
		t.Fatalf("%d chat requests, want 3", len(reqs))
	}
	msgs := reqs[2].Chat.Messages
	if note := msgs[len(msgs)-1].Content; !strings.Contains(note, "did not allow") || !strings.Contains(note, "not this file") {
		t.Errorf("note to the model = %q, want the skip and the user's reason", note)
	}
}

// fileSize is the size of the file at path, 0 while it does not exist.
func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// TestTakeoverPauses: the user moving the mouse while deskhand types stops the
// typing at once and pauses the run; on the terminal they hand control back, and
// the model is told its action may be incomplete and sees the screen afresh.
func TestTakeoverPauses(t *testing.T) {
	xvfbtest.Need(t, "script")
	d := xvfbtest.Start(t, 1280, 800)
	out := filepath.Join(t.TempDir(), "typed.txt")
	d.Launch(t, "xterm", "-T", "sink", "-geometry", "80x24+100+100", "-e", "sh", "-c", "stty -icanon -isig -ixon; exec cat > "+out)
	d.WaitWindow(t, "^sink$", 10*time.Second)
	d.Output(t, "xdotool", "mousemove", "400", "300") // over the terminal: its keyboard focus
	time.Sleep(300 * time.Millisecond)
	text := strings.Repeat("ab", 300)
	srv := ollamatest.NewServer(uitars)
	defer srv.Close()
	srv.Script(
		ollamatest.Reply{Content: "Thought: I type the long text.\nAction: type(content='" + text + "')"},
		ollamatest.Reply{Content: "Thought: The user took over; I stop here.\nAction: finished(content='handed back')"},
	)
	cmd, stdin, outb := startOnPTY(t, d, srv, "run --trace "+t.TempDir()+" 'type a long text'", "DESKHAND_PASTE=off")
	waitText(t, cmd, outb, "[y]es / [n]o (skip) / [e]dit / [q]uit", 1)
	io.WriteString(stdin, "y\n")
	size := func() int64 { return fileSize(out) }
	for deadline := time.Now().Add(20 * time.Second); size() < 20; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("typing did not start; output: %s", outb.String())
		}
	}
	d.Output(t, "xdotool", "mousemove", "900", "600")
	waitText(t, cmd, outb, "[c]ontinue / [q]uit", 1)
	typed := size()
	time.Sleep(300 * time.Millisecond)
	if after := size(); after != typed || typed >= int64(len(text)) {
		t.Errorf("%d characters typed at the pause and %d after, of %d: want typing stopped at the takeover", typed, after, len(text))
	}
	io.WriteString(stdin, "c\n")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("deskhand: %v\n%s", err, outb.String())
	}
	for _, want := range []string{"paused: you moved the mouse while deskhand was acting", "going on from the screen", "done: handed back"} {
		if !strings.Contains(outb.String(), want) {
			t.Errorf("terminal output lacks %q:\n%s", want, outb.String())
		}
	}
	if strings.Contains(outb.String(), "will not pause deskhand") {
		t.Errorf("the keyboard is not watched on X11:\n%s", outb.String())
	}
	reqs := srv.PromptRequests()
	if len(reqs) != 2 {
		t.Fatalf("%d chat requests, want 2", len(reqs))
	}
	msgs := reqs[1].Chat.Messages
	if last := msgs[len(msgs)-1]; !strings.Contains(last.Content, "took control") || len(last.Images) != 1 {
		t.Errorf("last message %q with %d images, want the takeover note and a fresh screenshot", last.Content, len(last.Images))
	}
}

// TestConfirmHighOnly: with --confirm high, deskhand acts on ordinary actions
// without asking and asks only before a high-risk one (a command typed with
// Enter), on a real terminal.
func TestConfirmHighOnly(t *testing.T) {
	xvfbtest.Need(t, "script")
	d := xvfbtest.Start(t, 1280, 800)
	d.Output(t, "xdotool", "mousemove", "5", "5")
	out := filepath.Join(t.TempDir(), "never.txt")
	srv := ollamatest.NewServer(uitars)
	defer srv.Close()
	srv.Script(
		ollamatest.Reply{Content: "Thought: I move to the middle.\nAction: click(start_box='(644,406)')"},
		ollamatest.Reply{Content: fmt.Sprintf("Thought: I write a file.\nAction: type(content='rm -f /tmp/x; echo no > %s\\n')", out)},
		ollamatest.Reply{Content: "Thought: The user said no; I stop.\nAction: finished(content='stopped as asked')"},
	)
	cmd, stdin, outb := startOnPTY(t, d, srv, "run --confirm high --trace "+t.TempDir()+" 'click the middle'")
	const prompt = "[y]es / [n]o (skip) / [e]dit / [q]uit"
	waitText(t, cmd, outb, prompt, 1)
	// By the first prompt the click has been done without asking.
	if p := pointer(t, d); p != image.Pt(640, 400) {
		t.Errorf("pointer at %v before the first prompt, want the unasked click at (640, 400)", p)
	}
	io.WriteString(stdin, "n\n")
	waitText(t, cmd, outb, "why (optional", 1)
	io.WriteString(stdin, "\n")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("deskhand: %v\n%s", err, outb.String())
	}
	text := outb.String()
	if n := strings.Count(text, prompt); n != 1 {
		t.Errorf("%d approval prompts, want 1 (the high-risk command only):\n%s", n, text)
	}
	for _, want := range []string{"only high-risk actions are asked about", "HIGH RISK", "done: stopped as asked"} {
		if !strings.Contains(text, want) {
			t.Errorf("terminal output lacks %q:\n%s", want, text)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("the skipped command ran")
	}
}

// waitText waits up to 20 s for the n-th what on cmd's terminal output, and
// fails the test with the output so far if it does not come.
func waitText(t *testing.T, cmd *exec.Cmd, outb *syncBuffer, what string, n int) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); strings.Count(outb.String(), what) < n; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("no %q (number %d) on the terminal; output:\n%s", what, n, outb.String())
		}
	}
}

// startOnPTY starts deskhand with args (shell words) on a real pseudo-terminal
// (util-linux script), as a person runs it, talking to srv; its output, echo
// included, collects in the buffer.
func startOnPTY(t *testing.T, d *xvfbtest.Display, srv *ollamatest.Server, args string, env ...string) (*exec.Cmd, io.WriteCloser, *syncBuffer) {
	t.Helper()
	cmd := exec.Command("script", "-qefc", deskhandBin(t)+" "+args, "/dev/null")
	cmd.Env = baseEnv(d, append([]string{"OLLAMA_HOST=" + srv.URL}, env...))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	outb := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = outb, outb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	return cmd, stdin, outb
}
