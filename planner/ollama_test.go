package planner

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/deskhand/deskhand/planner/ollamatest"
)

func TestCheckModel(t *testing.T) {
	tars := ollamatest.Model{Name: "ui-tars-1.5:7b", Capabilities: []string{"completion", "vision"}, Architecture: "qwen25vl"}
	gemma := ollamatest.Model{Name: "gemma3:4b", Capabilities: []string{"completion", "vision"}, Architecture: "gemma3"}
	text := ollamatest.Model{Name: "llama3.2:3b", Capabilities: []string{"completion", "tools"}, Architecture: "llama"}
	onlyTars := func(m ModelInfo) bool { return strings.Contains(m.Name, "tars") }
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
