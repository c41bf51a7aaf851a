package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/deskhand/deskhand/app/calibrate"
	"github.com/deskhand/deskhand/app/calibrate/calibratetest"
	"github.com/deskhand/deskhand/perception"
	"github.com/deskhand/deskhand/planner/ollamatest"
)

var uitars15Model = ollamatest.Model{Name: "ui-tars-1.5:7b", Capabilities: []string{"completion", "vision"}, Architecture: "qwen25vl"}

// calibrateWith runs `deskhand calibrate args` against a fake Ollama whose
// model answers like m.
func calibrateWith(t *testing.T, m *calibratetest.Model, env map[string]string, args ...string) (code int, stdout, stderr string, srv *ollamatest.Server) {
	t.Helper()
	srv = ollamatest.NewServer(uitars15Model, ollamatest.Model{Name: "llama3.2:3b", Capabilities: []string{"completion"}, Architecture: "llama"})
	t.Cleanup(srv.Close)
	if m != nil {
		srv.Handle(m.Handle)
	}
	t.Setenv("OLLAMA_HOST", srv.URL)
	for k, v := range env {
		t.Setenv(k, v)
	}
	var out, errb bytes.Buffer
	code = Main(context.Background(), append([]string{"calibrate"}, args...), IO{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb})
	return code, out.String(), errb.String(), srv
}

// TestCalibrateCommand: the command end to end against the fake Ollama, with a
// synthetic board (no display needed): exit 0 and an OK diagnosis for a model
// that clicks right, exit 1 and the adapter to use for one that writes the
// other convention, and setup errors with exit 2.
func TestCalibrateCommand(t *testing.T) {
	synth := []string{"--model", "ui-tars-1.5:7b", "--synthetic", "--screen", "1920x1080"}
	tests := []struct {
		name     string
		model    *calibratetest.Model
		args     []string
		env      map[string]string
		code     int
		stdout   []string
		stderr   []string
		requests int
	}{
		{name: "accurate", model: &calibratetest.Model{Convention: perception.ImagePixels}, args: synth, code: ExitDone,
			stdout: []string{"adapter uitars15", "Diagnosis: OK", "9 of 9 clicks hit", "synthetic"}, stderr: []string{"target 9/9", "nothing is clicked"}, requests: 9},
		{name: "relative model read as pixels", model: &calibratetest.Model{Convention: perception.Relative1000}, args: synth, code: ExitFailed,
			stdout: []string{"Diagnosis: The model writes coordinates from 0 to 1000", "Fix: Pass --adapter uitars10"}, requests: 9},
		{name: "pixel model read as relative", model: &calibratetest.Model{Convention: perception.ImagePixels},
			args: append([]string{"--adapter", "uitars10"}, synth...), code: ExitFailed,
			stdout: []string{"adapter uitars10", "--adapter uitars15"}, requests: 9},
		{name: "remote host refused", args: synth, env: map[string]string{"OLLAMA_HOST": "http://10.1.2.3:11434"}, code: ExitUsage,
			stderr: []string{"--allow-remote-model"}},
		{name: "model missing", args: []string{"--model", "nope:1b", "--synthetic"}, code: ExitUsage, stderr: []string{"ollama pull nope:1b"}},
		{name: "model without vision", args: []string{"--model", "llama3.2:3b", "--synthetic"}, code: ExitUsage, stderr: []string{"cannot see images"}},
		{name: "unknown adapter", args: []string{"--adapter", "nope", "--synthetic"}, code: ExitUsage, stderr: []string{"unknown adapter"}},
		{name: "screen without synthetic", args: []string{"--screen", "800x600"}, code: ExitUsage, stderr: []string{"--screen only applies with --synthetic"}},
		{name: "bad screen", args: []string{"--synthetic", "--screen", "big"}, code: ExitUsage, stderr: []string{"WIDTHxHEIGHT"}},
		{name: "screen too small", args: []string{"--model", "ui-tars-1.5:7b", "--synthetic", "--screen", "200x100"}, code: ExitUsage, stderr: []string{"too small"}},
		{name: "arguments", args: []string{"now"}, code: ExitUsage, stderr: []string{"takes no arguments"}},
		{name: "no display", args: []string{"--model", "ui-tars-1.5:7b"}, env: map[string]string{"DISPLAY": "", "WAYLAND_DISPLAY": ""}, code: ExitUsage,
			stderr: []string{"--synthetic"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr, srv := calibrateWith(t, tt.model, tt.env, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout, stderr)
			}
			for _, s := range tt.stdout {
				if !strings.Contains(stdout, s) {
					t.Errorf("stdout lacks %q:\n%s", s, stdout)
				}
			}
			for _, s := range tt.stderr {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, stderr)
				}
			}
			if n := len(srv.ChatRequests()); n != tt.requests {
				t.Errorf("%d chat requests, want %d", n, tt.requests)
			}
		})
	}
}

// TestCalibrateJSON: --json prints the report as JSON, with every target.
func TestCalibrateJSON(t *testing.T) {
	code, stdout, stderr, _ := calibrateWith(t, &calibratetest.Model{Convention: perception.Relative1000}, nil,
		"--model", "ui-tars-1.5:7b", "--synthetic", "--json")
	if code != ExitFailed {
		t.Fatalf("exit %d, want %d\nstderr: %s", code, ExitFailed, stderr)
	}
	var rep calibrate.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("stdout is not a JSON report: %v\n%s", err, stdout)
	}
	if rep.Diagnosis.Kind != calibrate.KindConvention || len(rep.Targets) != 9 || rep.Diagnosis.Adapters[0] != "uitars10" {
		t.Errorf("report: diagnosis %+v, %d targets", rep.Diagnosis, len(rep.Targets))
	}
	for _, r := range rep.Targets {
		if r.Raw == nil || r.Reply == "" {
			t.Errorf("target %d: raw %v, reply %q; want both", r.Label, r.Raw, r.Reply)
		}
	}
}

func TestUsageMentionsCalibrate(t *testing.T) {
	var out bytes.Buffer
	Main(context.Background(), []string{"help"}, IO{Stdout: &out, Stderr: &out})
	if !strings.Contains(out.String(), "deskhand calibrate") || !strings.Contains(out.String(), "--synthetic") {
		t.Errorf("usage lacks calibrate:\n%s", out.String())
	}
}
