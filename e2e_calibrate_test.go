package main

// End-to-end tests of `deskhand calibrate`: the real binary shows its board on
// Xvfb, captures it, and asks a fake Ollama whose model finds each target in the
// screenshot it is sent (calibratetest), so a target is found only if the board
// really was on the screen where deskhand says.

import (
	"bytes"
	"encoding/json"
	"image"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/deskhand/deskhand/app/calibrate"
	"github.com/deskhand/deskhand/app/calibrate/calibratetest"
	"github.com/deskhand/deskhand/perception"
	"github.com/deskhand/deskhand/perception/xvfbtest"
	"github.com/deskhand/deskhand/planner/ollamatest"
)

// calibrationWindows lists the board windows still on d.
func calibrationWindows(d *xvfbtest.Display) string {
	out, _ := d.Command("xdotool", "search", "--name", "^deskhand calibration$").Output()
	return strings.TrimSpace(string(out))
}

func TestCalibrateOnScreen(t *testing.T) {
	tests := []struct {
		name     string
		screen   image.Point // the X screen; zero: 1920x1080
		monitors []string    // RandR monitors; none: the whole screen
		args     []string
		writes   perception.Convention
		code     int
		want     calibrate.Kind
		bounds   image.Rectangle
		fix      string
	}{
		{name: "accurate", writes: perception.ImagePixels, code: 0, want: calibrate.KindOK, bounds: image.Rect(0, 0, 1920, 1080)},
		{name: "wrong convention", writes: perception.Relative1000, code: 1, want: calibrate.KindConvention,
			bounds: image.Rect(0, 0, 1920, 1080), fix: "--adapter uitars10"},
		{name: "second monitor", monitors: []string{"960x1080+0+0", "960x1080+960+0"}, args: []string{"--monitor", "1"},
			writes: perception.ImagePixels, code: 0, want: calibrate.KindOK, bounds: image.Rect(960, 0, 1920, 1080)},
		// Other screens users have: a laptop's odd size (sent as 1372x756), a
		// portrait monitor beside a landscape one, and three monitors of
		// different sizes with none at the screen's origin but the first.
		{name: "1366x768", screen: image.Pt(1366, 768), writes: perception.ImagePixels, code: 0, want: calibrate.KindOK,
			bounds: image.Rect(0, 0, 1366, 768)},
		{name: "portrait monitor", screen: image.Pt(3000, 1920), monitors: []string{"1920x1080+0+0", "1080x1920+1920+0"},
			args: []string{"--monitor", "1"}, writes: perception.ImagePixels, code: 0, want: calibrate.KindOK,
			bounds: image.Rect(1920, 0, 3000, 1920)},
		{name: "third of three monitors", screen: image.Pt(3200, 2400),
			monitors: []string{"1280x1024+0+0", "1920x1080+1280+200", "1600x1200+800+1200"},
			args:     []string{"--monitor", "2"}, writes: perception.ImagePixels, code: 0, want: calibrate.KindOK,
			bounds: image.Rect(800, 1200, 2400, 2400)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.screen == (image.Point{}) {
				tt.screen = image.Pt(1920, 1080)
			}
			d := xvfbtest.Start(t, tt.screen.X, tt.screen.Y)
			if len(tt.monitors) > 0 {
				d.SetMonitors(t, tt.monitors...)
			}
			d.Output(t, "xdotool", "mousemove", "700", "500")
			srv := ollamatest.NewServer(uitars)
			defer srv.Close()
			m := &calibratetest.Model{Convention: tt.writes}
			srv.Handle(m.Handle)
			args := append([]string{"calibrate", "--model", uitars.Name, "--json"}, tt.args...)
			r := deskhand(t, d, []string{"OLLAMA_HOST=" + srv.URL}, args...)
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, tt.code, r.stdout, r.stderr)
			}
			var rep calibrate.Report
			if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
				t.Fatalf("stdout is not a JSON report: %v\n%s", err, r.stdout)
			}
			if rep.Mode != "screen" || rep.Check == nil || !rep.Check.OK || rep.Bounds != tt.bounds {
				t.Fatalf("mode %q, bounds %v, capture check %+v; want the board shown and found on %v", rep.Mode, rep.Bounds, rep.Check, tt.bounds)
			}
			if rep.Diagnosis.Kind != tt.want || !strings.Contains(rep.Diagnosis.Fix, tt.fix) {
				t.Errorf("diagnosis %+v, want %s with %q", rep.Diagnosis, tt.want, tt.fix)
			}
			if tt.want == calibrate.KindOK && rep.Hits != 9 {
				t.Errorf("%d of 9 targets hit, want all", rep.Hits)
			}
			reqs := srv.ChatRequests()
			if len(reqs) != 9 {
				t.Errorf("%d chat requests, want 9", len(reqs))
			}
			for _, req := range reqs {
				if sizes := req.ImageSizes(); len(sizes) != 1 || sizes[0] != rep.Image {
					t.Errorf("request images %v, want one of %v", sizes, rep.Image)
				}
			}
			if w := calibrationWindows(d); w != "" {
				t.Errorf("the board window %s is still there after deskhand exited", w)
			}
			if p := pointer(t, d); p != image.Pt(700, 500) {
				t.Errorf("pointer at %v, want it untouched at (700, 500): calibration never moves or clicks", p)
			}
		})
	}
}

// TestCalibrateText: the default output is the human report, with progress on
// stderr.
func TestCalibrateText(t *testing.T) {
	d := xvfbtest.Start(t, 1920, 1080)
	srv := ollamatest.NewServer(uitars)
	defer srv.Close()
	srv.Handle((&calibratetest.Model{Convention: perception.ImagePixels}).Handle)
	r := deskhand(t, d, []string{"OLLAMA_HOST=" + srv.URL}, "calibrate", "--model", uitars.Name)
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	for _, s := range []string{"Capture check: 9 of 9 targets appear where they were drawn", "Diagnosis: OK", "the board was shown on the screen"} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("stdout lacks %q:\n%s", s, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "target 9/9") {
		t.Errorf("stderr lacks the progress lines:\n%s", r.stderr)
	}
}

// TestCalibrateCtrlC: Ctrl+C while the model thinks exits 3, cancels the
// request and leaves no board behind.
func TestCalibrateCtrlC(t *testing.T) {
	d := xvfbtest.Start(t, 1920, 1080)
	srv := ollamatest.NewServer(uitars)
	defer srv.Close()
	srv.Script(ollamatest.Reply{Hang: true})
	cmd := exec.Command(deskhandBin(t), "calibrate", "--model", uitars.Name)
	cmd.Env = baseEnv(d, []string{"OLLAMA_HOST=" + srv.URL})
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if !srv.WaitChatRequests(1, 20*time.Second) {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("no chat request arrived; stderr: %s", errb.String())
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	if code != 3 {
		t.Errorf("exit %d, want 3; stderr: %s", code, errb.String())
	}
	if !srv.WaitCancelled(2 * time.Second) {
		t.Error("the in-flight Ollama request was not cancelled")
	}
	if w := calibrationWindows(d); w != "" {
		t.Errorf("the board window %s is still there after Ctrl+C", w)
	}
}
