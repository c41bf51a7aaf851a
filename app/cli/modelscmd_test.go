package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deskhand/deskhand/planner/ollamatest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenModels compares got with testdata/name, or rewrites it with -update.
func goldenModels(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./app/cli -update creates it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (go test ./app/cli -update rewrites it)\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// Models as Ollama v0.17 describes them (research §2, §3).
var (
	lmCapsV   = []string{"completion", "vision"}
	lmCapsVT  = []string{"completion", "vision", "tools"}
	lmCapsVTT = []string{"completion", "vision", "tools", "thinking"}

	lmQwen3vl8b      = ollamatest.Model{Name: "qwen3-vl:8b", Capabilities: lmCapsVTT, Architecture: "qwen3vl", ParameterSize: "8.8B", QuantizationLevel: "Q4_K_M", Size: 6_140_000_000}
	lmQwen3vl8bInstr = ollamatest.Model{Name: "qwen3-vl:8b-instruct", Capabilities: lmCapsVT, Architecture: "qwen3vl", ParameterSize: "8.8B", QuantizationLevel: "Q4_K_M", Size: 6_140_000_000}
	lmQwen3vl30b     = ollamatest.Model{Name: "qwen3-vl:30b-a3b-thinking", Capabilities: lmCapsVTT, Architecture: "qwen3vlmoe", ParameterSize: "31.1B", QuantizationLevel: "Q4_K_M", Size: 19_600_000_000}
	lmQwen35         = ollamatest.Model{Name: "qwen3.5:9b", Capabilities: lmCapsVTT, Architecture: "qwen35", ParameterSize: "9.7B", QuantizationLevel: "Q4_K_M", Size: 6_600_000_000}
	lmQwen25vl7b     = ollamatest.Model{Name: "qwen2.5vl:7b", Capabilities: lmCapsV, Architecture: "qwen25vl", ParameterSize: "8.3B", QuantizationLevel: "Q4_K_M", Size: 5_970_000_000}
	lmUitars         = ollamatest.Model{Name: "hf.co/mradermacher/UI-TARS-1.5-7B-GGUF:Q8_0", Capabilities: lmCapsV, Architecture: "qwen2vl", ParameterSize: "7.6B", QuantizationLevel: "Q8_0", Size: 8_100_000_000}
	lmGuiOwl         = ollamatest.Model{Name: "gui-owl-1.5:8b", Capabilities: lmCapsVT, Architecture: "qwen3vl", ParameterSize: "8.8B", QuantizationLevel: "Q4_K_M", Size: 6_140_000_000}
	lmGemma3         = ollamatest.Model{Name: "gemma3:12b", Capabilities: lmCapsV, Architecture: "gemma3", ParameterSize: "12.2B", QuantizationLevel: "Q4_K_M", Size: 8_100_000_000}
	lmLlamaVision    = ollamatest.Model{Name: "llama3.2-vision:11b", Capabilities: lmCapsV, Architecture: "mllama", ParameterSize: "10.7B", QuantizationLevel: "Q4_K_M", Size: 7_800_000_000}
	lmMistralSmall   = ollamatest.Model{Name: "mistral-small3.2:24b", Capabilities: lmCapsVT, Architecture: "mistral3", ParameterSize: "24.0B", QuantizationLevel: "Q4_K_M", Size: 15_000_000_000}
	lmLlava          = ollamatest.Model{Name: "llava:7b", Capabilities: lmCapsV, Architecture: "llama", Family: "llama", ParameterSize: "7B", QuantizationLevel: "Q4_0", Size: 4_700_000_000}
	lmQwen3          = ollamatest.Model{Name: "qwen3:8b", Capabilities: []string{"completion", "tools", "thinking"}, Architecture: "qwen3", ParameterSize: "8.2B", QuantizationLevel: "Q4_K_M", Size: 5_200_000_000}
	lmEmbed          = ollamatest.Model{Name: "nomic-embed-text:latest", Capabilities: []string{"embedding"}, Architecture: "nomic-bert", ParameterSize: "137M", QuantizationLevel: "F16", Size: 274_000_000}
)

func TestModelsCommand(t *testing.T) {
	tests := []struct {
		name   string
		models []ollamatest.Model
	}{
		{"many", []ollamatest.Model{lmQwen3, lmGemma3, lmQwen25vl7b, lmEmbed, lmQwen3vl8b, lmUitars, lmQwen35, lmLlava,
			lmGuiOwl, lmQwen3vl8bInstr, lmMistralSmall, lmLlamaVision, lmQwen3vl30b}},
		{"blind", []ollamatest.Model{lmQwen3, lmEmbed}},
		{"general", []ollamatest.Model{lmLlava, lmGemma3, lmQwen3}},
		{"none", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := ollamatest.NewServer(tt.models...)
			defer srv.Close()
			t.Setenv("OLLAMA_HOST", srv.URL)
			var stdout, stderr bytes.Buffer
			code := Main(context.Background(), []string{"models"}, IO{Stdout: &stdout, Stderr: &stderr})
			if code != 0 || stderr.Len() > 0 {
				t.Fatalf("exit %d, stderr %q", code, stderr.String())
			}
			goldenModels(t, "models-"+tt.name+".golden", stdout.Bytes())

			// Every model was shown once, at most showParallel at a time.
			var shows []ollamatest.Request
			for _, r := range srv.Requests() {
				if r.Path == "/api/show" {
					shows = append(shows, r)
				}
			}
			if len(shows) != len(tt.models) {
				t.Errorf("%d show requests for %d models", len(shows), len(tt.models))
			}
			for _, r := range shows {
				inFlight := 0
				for _, o := range shows {
					if !o.Time.After(r.Time) && o.End.After(r.Time) {
						inFlight++
					}
				}
				if inFlight > showParallel {
					t.Errorf("%d show requests in flight at once, want at most %d", inFlight, showParallel)
				}
			}
		})
	}
}

func TestModelsCommandRefuses(t *testing.T) {
	// A port nothing listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()

	tests := []struct {
		name, host string
		args       []string
		want       string
	}{
		{"remote host", "http://192.0.2.7:11434", nil, "--allow-remote-model"},
		{"Ollama down", "http://" + closed, nil, "ollama serve"},
		{"bad flag", "", []string{"--nope"}, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("OLLAMA_HOST", tt.host)
			var stdout, stderr bytes.Buffer
			code := Main(context.Background(), append([]string{"models"}, tt.args...), IO{Stdout: &stdout, Stderr: &stderr})
			if code != ExitUsage || !strings.Contains(stderr.String(), tt.want) || stdout.Len() > 0 {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d and %q on stderr", code, stdout.String(), stderr.String(), ExitUsage, tt.want)
			}
		})
	}
}

func TestHumanSize(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{6_140_000_000, "6.1 GB"}, {274_000_000, "274 MB"}, {999, "999 B"}, {0, "-"},
	}
	for _, tt := range tests {
		if got := humanSize(tt.n); got != tt.want {
			t.Errorf("humanSize(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

// TestWriteModelsShowFailed: a model Ollama would not describe is listed last,
// unusable, with Ollama's words.
func TestWriteModelsShowFailed(t *testing.T) {
	rows := showAllFacts(t, ollamatest.Model{Name: "broken:latest"})
	rows[0].showErr = errors.New("model 'broken' is\ncorrupt")
	var out bytes.Buffer
	writeModels(&out, rows)
	want := "broken:latest  -     -       -      ?             -        Ollama would not describe it: model 'broken' is corrupt\n"
	if lines := strings.Split(out.String(), "\n"); len(lines) < 2 || lines[1]+"\n" != want {
		t.Errorf("listing:\n%s\nwant the row\n%s", out.String(), want)
	}
	if !strings.Contains(out.String(), "None of these models can see the screen") {
		t.Errorf("listing:\n%s\nwant the advice to install a model", out.String())
	}
}

// showAllFacts lists models through a fake Ollama, as `deskhand models` does.
func showAllFacts(t *testing.T, ms ...ollamatest.Model) []modelRow {
	t.Helper()
	srv := ollamatest.NewServer(ms...)
	defer srv.Close()
	c := srv.Client()
	list, err := c.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return showAll(context.Background(), c, list.Models)
}
