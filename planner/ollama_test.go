package planner

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/deskhand/deskhand/planner/ollamatest"
)

func TestCheckModel(t *testing.T) {
	tars := ollamatest.Model{Name: "ui-tars-1.5:7b", Capabilities: []string{"completion", "vision"}, Architecture: "qwen25vl"}
	gemma := ollamatest.Model{Name: "gemma3:4b", Capabilities: []string{"completion", "vision"}, Architecture: "gemma3"}
	text := ollamatest.Model{Name: "llama3.2:3b", Capabilities: []string{"completion", "tools"}, Architecture: "llama"}
	onlyTars := func(ms []ModelInfo) []ModelInfo {
		return slices.DeleteFunc(slices.Clone(ms), func(m ModelInfo) bool { return !strings.Contains(m.Name, "tars") })
	}
	tests := []struct {
		name      string
		installed []ollamatest.Model
		model     string
		want      string // model chosen
		wantErr   any    // pointer to the error type expected
		wantText  string
	}{
		{"named", []ollamatest.Model{tars, gemma}, "gemma3:4b", "gemma3:4b", nil, ""},
		{"default skips unusable", []ollamatest.Model{gemma, tars}, "", "ui-tars-1.5:7b", nil, ""},
		{"missing", []ollamatest.Model{tars}, "qwen2.5vl:7b", "", new(*ModelMissingError), "ollama pull qwen2.5vl:7b"},
		{"no vision", []ollamatest.Model{tars, text}, "llama3.2:3b", "", new(*NoVisionError), "ui-tars-1.5:7b"},
		{"nothing usable", []ollamatest.Model{gemma, text}, "", "", new(*NoModelError), "gemma3:4b"},
		{"nothing installed", nil, "", "", new(*NoModelError), "no vision model is installed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := ollamatest.NewServer(tt.installed...)
			defer srv.Close()
			info, err := CheckModel(context.Background(), srv.Client(), srv.URL, tt.model, onlyTars)
			if tt.wantErr == nil {
				if err != nil || info.Name != tt.want {
					t.Fatalf("CheckModel = %q, %v; want %q", info.Name, err, tt.want)
				}
				if !info.Has("vision") {
					t.Errorf("capabilities %v lack vision", info.Capabilities)
				}
				return
			}
			if !errors.As(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("CheckModel error = %v (%T), want %T containing %q", err, err, tt.wantErr, tt.wantText)
			}
		})
	}
	srv := ollamatest.NewServer()
	url := srv.URL
	client := srv.Client()
	srv.Close()
	_, err := CheckModel(context.Background(), client, url, "", nil)
	var down *OllamaDownError
	if !errors.As(err, &down) || !strings.Contains(err.Error(), "ollama serve") {
		t.Errorf("with Ollama down: %v (%T), want *OllamaDownError", err, err)
	}
}

func TestPull(t *testing.T) {
	qwen := ollamatest.Model{Name: "qwen3-vl:8b", Size: 6 << 30, Capabilities: []string{"completion", "vision", "tools"}, Architecture: "qwen3vl", ContextLength: 262144}
	tests := []struct {
		name      string
		remote    *ollamatest.Remote
		model     string
		wantErrAs any
		wantText  string
	}{
		{"success", &ollamatest.Remote{Models: []ollamatest.Model{qwen}, Steps: 3}, "qwen3-vl:8b", nil, ""},
		{"offline", nil, "qwen3-vl:8b", new(*PullError), "cannot reach the Ollama registry"},
		{"unknown name", &ollamatest.Remote{Models: []ollamatest.Model{qwen}}, "qwen9-vl:8b", new(*PullError), "https://ollama.com/library"},
		{"connection lost", &ollamatest.Remote{Models: []ollamatest.Model{qwen}, Error: "unexpected EOF"}, "qwen3-vl:8b", new(*PullError), "unexpected EOF — try again"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := ollamatest.NewServer()
			defer srv.Close()
			srv.SetRemote(tt.remote)
			var steps []PullProgress
			err := Pull(context.Background(), srv.Client(), srv.URL, tt.model, func(p PullProgress) { steps = append(steps, p) })
			if tt.wantErrAs != nil {
				if !errors.As(err, tt.wantErrAs) || !strings.Contains(err.Error(), tt.wantText) {
					t.Fatalf("Pull = %v (%T), want %T containing %q", err, err, tt.wantErrAs, tt.wantText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(steps) == 0 || steps[0].Status != "pulling manifest" || steps[len(steps)-1].Status != "success" {
				t.Errorf("progress %+v", steps)
			}
			last := -1.0
			for _, p := range steps {
				if f := p.Fraction(); p.Digest == steps[1].Digest {
					if f <= last || f > 1 {
						t.Errorf("fraction %v after %v", f, last)
					}
					last = f
				}
			}
			if last != 1 {
				t.Errorf("the first layer ended at %v, want 1", last)
			}
			// Installed now, with what a run needs to know.
			info, err := CheckModel(context.Background(), srv.Client(), srv.URL, tt.model, nil)
			if err != nil || info.ContextLength != 262144 || !info.Has("tools") {
				t.Errorf("after the pull: %+v, %v", info, err)
			}
		})
	}

	srv := ollamatest.NewServer()
	url, client := srv.URL, srv.Client()
	srv.Close()
	var down *OllamaDownError
	if err := Pull(context.Background(), client, url, "m", nil); !errors.As(err, &down) {
		t.Errorf("with Ollama down: %v (%T)", err, err)
	}
}

func TestPullCanBeStopped(t *testing.T) {
	srv := ollamatest.NewServer()
	defer srv.Close()
	srv.SetRemote(&ollamatest.Remote{Models: []ollamatest.Model{{Name: "big:1b"}}, Steps: 100, StepDelay: 50 * time.Millisecond})
	ctx, cancel := context.WithCancelCause(context.Background())
	err := Pull(ctx, srv.Client(), srv.URL, "big:1b", func(p PullProgress) {
		if p.Completed > 0 {
			cancel(ErrStopped)
		}
	})
	if !errors.Is(err, ErrStopped) {
		t.Errorf("Pull = %v, want ErrStopped", err)
	}
}
