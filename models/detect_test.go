package models

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/ollama/ollama/api"

	"github.com/deskhand/deskhand/planner"
)

// Capabilities as Ollama v0.17 lists them (research §2, §3).
var (
	detV     = []string{"completion", "vision"}
	detVT    = []string{"completion", "vision", "tools"}
	detVTT   = []string{"completion", "vision", "tools", "thinking"}
	detText  = []string{"completion", "tools", "thinking"}
	detEmbed = []string{"embedding"}
)

func TestChoose(t *testing.T) {
	tests := []struct {
		name, arch string
		caps       []string
		family     []string // details.families, when it matters
		paramSize  string
		adapter    string // "" means refused
		gui        bool
		reason     string // a part of Choice.Reason
	}{
		// Official library tags.
		{"qwen2.5vl:7b", "qwen25vl", detV, nil, "8.3B", "qwen25vl", true, "Qwen2.5-VL · ScreenSpot-Pro 29.0"},
		{"qwen2.5vl:3b", "qwen25vl", detV, nil, "3.8B", "qwen25vl", true, "ScreenSpot-Pro 23.9"},
		{"qwen2.5vl:32b", "qwen25vl", detV, nil, "33.5B", "qwen25vl", true, "ScreenSpot-Pro 39.4"},
		{"qwen2.5vl:72b", "qwen25vl", detV, nil, "73.4B", "qwen25vl", true, "large"},
		{"qwen3-vl:8b", "qwen3vl", detVTT, nil, "8.8B", "qwen3vl", true, "Qwen3-VL (thinking) · ScreenSpot-Pro 54.6, OSWorld 33.9"},
		{"qwen3-vl:8b-instruct", "qwen3vl", detVT, nil, "8.8B", "qwen3vl", true, "Qwen3-VL · ScreenSpot-Pro 54.6"},
		{"qwen3-vl:4b-instruct", "qwen3vl", detVT, nil, "4.4B", "qwen3vl", true, "ScreenSpot-Pro 59.5"},
		{"qwen3-vl:2b", "qwen3vl", detVTT, nil, "2.1B", "qwen3vl", true, "ScreenSpot-Pro 48.5"},
		{"qwen3-vl:30b-a3b-thinking", "qwen3vlmoe", detVTT, nil, "31.1B", "qwen3vl", true, "Qwen3-VL (thinking) · GUI-trained"},
		{"qwen3-vl:32b-instruct", "qwen3vl", detVT, nil, "33.4B", "qwen3vl", true, "Qwen3-VL · GUI-trained"},
		{"qwen3-vl:235b", "qwen3vlmoe", detVTT, nil, "235B", "qwen3vl", true, "large"},
		{"qwen3.5:9b", "qwen35", detVTT, nil, "9.7B", "qwen3vl", true, "Qwen3.5 · GUI grounding unmeasured"},
		{"qwen3.5:35b-a3b", "qwen35moe", detVTT, nil, "36B", "qwen3vl", true, "Qwen3.5"},
		{"qwen3.5:0.8b", "qwen35", detVTT, nil, "0.9B", "qwen3vl", true, "Qwen3.5"},
		{"gemma3:12b", "gemma3", detV, nil, "12.2B", "json", false, "Gemma 3 · not trained on GUIs · sees a squashed 896×896 image"},
		{"gemma3:27b", "gemma3", detV, nil, "27.4B", "json", false, "Gemma 3"},
		{"gemma3:1b", "gemma3", []string{"completion"}, nil, "999.89M", "", false, "no vision"},
		{"llama3.2-vision:11b", "mllama", detV, nil, "10.7B", "json", false, "Llama 3.2 Vision · not trained on GUIs · one image per message"},
		{"mistral-small3.2:24b", "mistral3", detVT, nil, "24B", "json", false, "Mistral Small 3"},
		{"mistral-small3.1:24b", "mistral3", detVT, nil, "24B", "json", false, "Mistral Small 3"},
		{"ministral-3:8b", "mistral3", detVT, nil, "8.9B", "json", false, "Ministral 3"},
		{"minicpm-v:8b", "qwen2", detV, []string{"qwen2", "clip"}, "7.6B", "json", false, "MiniCPM-V"},
		{"llava:7b", "llama", detV, []string{"llama", "clip"}, "7B", "json", false, "LLaVA"},
		{"llava-phi3:3.8b", "llama", detV, []string{"llama", "clip"}, "4B", "json", false, "LLaVA"},
		{"bakllava:latest", "llama", detV, []string{"llama", "clip"}, "7B", "json", false, "LLaVA"},
		{"granite3.2-vision:2b", "granite", detVT, []string{"granite", "clip"}, "2.5B", "json", false, "Granite Vision"},
		{"llama4:16x17b", "llama4", detVT, nil, "108.6B", "json", false, "Llama 4 · not trained on GUIs · large"},
		{"moondream:1.8b", "phi2", detV, []string{"phi2", "clip"}, "1.4B", "json", false, "Moondream"},
		{"someones/vision-thing:latest", "weird", detV, nil, "", "json", false, "general vision model · not trained on GUIs"},

		// UI-TARS: the name decides the grammar; llama.cpp GGUFs say
		// "qwen2vl" for UI-TARS-1.5 as well as for v1.
		{"hf.co/mradermacher/UI-TARS-1.5-7B-GGUF:Q4_K_M", "qwen2vl", detV, nil, "7.6B", "uitars15", true, "UI-TARS-1.5 · ScreenSpot-Pro 49.6, OSWorld 27.5"},
		{"ui-tars-1.5:7b", "qwen25vl", detV, nil, "8.3B", "uitars15", true, "UI-TARS-1.5"},
		{"uitars15:7b", "qwen25vl", detV, nil, "8.3B", "uitars15", true, "UI-TARS-1.5"},
		{"my-ui-tars:latest", "qwen25vl", detV, nil, "8.3B", "uitars15", true, "UI-TARS-1.5"},
		{"avil/UI-TARS:latest", "qwen2vl", detV, nil, "7.6B", "uitars10", true, "UI-TARS v1 · ScreenSpot-Pro 35.7 · pass --adapter uitars15 if it is 1.5"},
		{"hf.co/bartowski/UI-TARS-7B-DPO-GGUF:Q4_K_M", "qwen2vl", detV, nil, "7.6B", "uitars10", true, "UI-TARS v1 · ScreenSpot-Pro 35.7"},
		{"hf.co/bartowski/UI-TARS-2B-SFT-GGUF", "qwen2vl", detV, nil, "1.5B", "uitars10", true, "UI-TARS v1 · GUI-trained"},
		{"ui-tars-72b-dpo", "qwen2vl", detV, nil, "72.7B", "uitars10", true, "large"},

		// GUI fine-tunes: the architecture picks the coordinate convention.
		{"gui-owl-1.5:8b", "qwen3vl", detVT, nil, "8.8B", "qwen3vl", true, "GUI-Owl-1.5 · ScreenSpot-Pro 71.1, OSWorld-Verified 52.3"},
		{"hf.co/mradermacher/GUI-Owl-1.5-8B-Thinking-GGUF:Q8_0", "qwen3vl", detV, nil, "8.8B", "qwen3vl", true, "GUI-Owl-1.5 (thinking)"},
		{"gui-owl-1.5:32b", "qwen3vl", detVT, nil, "33.4B", "qwen3vl", true, "OSWorld-Verified 56.5"},
		{"gui-owl:7b", "qwen25vl", detV, nil, "8.3B", "qwen25vl", true, "GUI-Owl · GUI-trained"},
		{"hf.co/mradermacher/UI-Venus-Ground-7B-GGUF", "qwen2vl", detV, nil, "7.6B", "qwen25vl", true, "UI-Venus · ScreenSpot-Pro 50.8"},
		{"ui-venus-1.5:8b", "qwen3vl", detVT, nil, "8.8B", "qwen3vl", true, "UI-Venus-1.5 · ScreenSpot-Pro 68.4"},
		{"ui-venus-1.5:2b", "qwen3vl", detVT, nil, "2.1B", "qwen3vl", true, "ScreenSpot-Pro 57.7"},
		{"mai-ui:8b", "qwen3vl", detVT, nil, "8.8B", "qwen3vl", true, "MAI-UI · ScreenSpot-Pro 65.8"},
		{"stepgui:4b", "qwen3vl", detVT, nil, "4.4B", "qwen3vl", true, "StepGUI · ScreenSpot-Pro 60.0"},
		{"gta1:7b", "qwen25vl", detV, nil, "8.3B", "qwen25vl", true, "GTA1"},
		{"gui-g2:7b", "qwen25vl", detV, nil, "8.3B", "json", true, "GUI-G2 · ScreenSpot-Pro 47.5 · grounding only"},
		{"hf.co/unsloth/Qwen2.5-VL-7B-Instruct-GGUF:Q4_K_M", "qwen2vl", detV, nil, "7.6B", "qwen25vl", true, "Qwen2.5-VL · ScreenSpot-Pro 29.0"},
		{"hf.co/bartowski/Qwen2-VL-7B-Instruct-GGUF", "qwen2vl", detV, nil, "7.6B", "json", false, "Qwen2-VL · not trained on GUIs"},

		// Models that cannot see.
		{"qwen3:8b", "qwen3", detText, nil, "8.2B", "", false, "no vision: cannot see the screen"},
		{"llama3.1:8b", "llama", []string{"completion", "tools"}, nil, "8.0B", "", false, "no vision"},
		{"nomic-embed-text:latest", "nomic-bert", detEmbed, nil, "137M", "", false, "embedding model"},

		// Capabilities not reported (Detect's callers): the architecture decides.
		{"qwen3-vl:8b", "qwen3vl", nil, nil, "", "qwen3vl", true, "Qwen3-VL"},
		{"qwen2.5vl", "", nil, nil, "", "qwen25vl", true, "Qwen2.5-VL"},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/"+tt.arch, func(t *testing.T) {
			f := ModelFacts{Name: tt.name, Architecture: tt.arch, Families: tt.family, Capabilities: tt.caps, ParameterSize: tt.paramSize, Quantization: "Q4_K_M"}
			c, err := Choose(f)
			if tt.adapter == "" {
				var nv *planner.NoVisionError
				if !errors.As(err, &nv) || nv.Model != tt.name {
					t.Fatalf("Choose(%s) error = %v, want a *planner.NoVisionError for it", tt.name, err)
				}
			} else if err != nil {
				t.Fatalf("Choose(%s) error = %v, want adapter %s", tt.name, err, tt.adapter)
			}
			if c.Adapter != tt.adapter || c.GUI != tt.gui || !strings.Contains(c.Reason, tt.reason) {
				t.Errorf("Choose(%s) = %+v, want adapter %q, GUI %v, reason containing %q", tt.name, c, tt.adapter, tt.gui, tt.reason)
			}
			if !slices.Contains(append(Names(), "qwen25vl", "qwen3vl", "json", ""), c.Adapter) {
				t.Errorf("Choose(%s) names adapter %q, which is not one of contracts.md §3", tt.name, c.Adapter)
			}
			if name, err := Detect(tt.name, tt.arch); tt.caps == nil && (err != nil || name != tt.adapter) {
				t.Errorf("Detect(%q, %q) = %q, %v, want %q", tt.name, tt.arch, name, err, tt.adapter)
			}
		})
	}
}

// TestChooseEmbeddingThatSees: a model that sees but only embeds cannot chat.
func TestChooseEmbeddingThatSees(t *testing.T) {
	c, err := Choose(ModelFacts{Name: "clip-embed", Capabilities: []string{"embedding", "vision"}})
	if err == nil || c.Adapter != "" || !strings.Contains(err.Error(), "cannot chat") {
		t.Fatalf("Choose = %+v, %v; want a refusal that says it cannot chat", c, err)
	}
}

func TestChooseOrdersVariants(t *testing.T) {
	score := func(f ModelFacts) int {
		t.Helper()
		c, err := Choose(f)
		if err != nil {
			t.Fatal(err)
		}
		return c.Score
	}
	instruct := ModelFacts{Name: "qwen3-vl:8b-instruct", Architecture: "qwen3vl", Capabilities: detVT, Quantization: "Q4_K_M"}
	thinking := ModelFacts{Name: "qwen3-vl:8b", Architecture: "qwen3vl", Capabilities: detVTT, Quantization: "Q4_K_M"}
	if score(thinking) >= score(instruct) {
		t.Errorf("the thinking tag scores %d, not below the instruct tag's %d", score(thinking), score(instruct))
	}
	q8 := instruct
	q8.Quantization = "Q8_0"
	q3 := instruct
	q3.Quantization = "Q3_K_S"
	if !(score(q8) > score(instruct) && score(instruct) > score(q3)) {
		t.Errorf("scores Q8_0 %d, Q4_K_M %d, Q3_K_S %d: want precise quantisations first", score(q8), score(instruct), score(q3))
	}
	unsized := ModelFacts{Name: "big-vision:latest", Architecture: "gemma3", Capabilities: detV}
	huge := unsized
	huge.Size = 60e9
	if score(huge) >= score(unsized) {
		t.Errorf("a 60 GB model of unknown size scores %d, not below %d", score(huge), score(unsized))
	}
}

func TestRank(t *testing.T) {
	in := []ModelFacts{
		{Name: "qwen3:8b", Architecture: "qwen3", Capabilities: detText},
		{Name: "llava:7b", Architecture: "llama", Capabilities: detV},
		{Name: "gemma3:12b", Architecture: "gemma3", Capabilities: detV},
		{Name: "qwen2.5vl:7b", Architecture: "qwen25vl", Capabilities: detV},
		{Name: "nomic-embed-text:latest", Architecture: "nomic-bert", Capabilities: detEmbed},
		{Name: "qwen3-vl:8b", Architecture: "qwen3vl", Capabilities: detVTT},
		{Name: "uitars15:7b", Architecture: "qwen25vl", Capabilities: detV},
		{Name: "qwen3.5:9b", Architecture: "qwen35", Capabilities: detVTT},
		{Name: "gui-owl-1.5:8b", Architecture: "qwen3vl", Capabilities: detVT},
		{Name: "qwen3-vl:8b-instruct", Architecture: "qwen3vl", Capabilities: detVT},
		{Name: "qwen2.5vl:72b", Architecture: "qwen25vl", Capabilities: detV},
		{Name: "mistral-small3.2:24b", Architecture: "mistral3", Capabilities: detVT},
		{Name: "ui-venus-1.5:8b", Architecture: "qwen3vl", Capabilities: detVT},
	}
	orig := slices.Clone(in)
	want := []string{
		"gui-owl-1.5:8b",       // ScreenSpot-Pro 71.1
		"ui-venus-1.5:8b",      // 68.4
		"qwen3-vl:8b-instruct", // 54.6, OSWorld 33.9
		"qwen3-vl:8b",          // the same, thinking at every step
		"uitars15:7b",          // 49.6, OSWorld 27.5
		"qwen3.5:9b",           // unmeasured
		"qwen2.5vl:7b",         // 29.0
		"qwen2.5vl:72b",        // 43.6, but 73B
		"mistral-small3.2:24b", // general vision models
		"gemma3:12b",
		"llava:7b",
		"nomic-embed-text:latest", // cannot see, by name
		"qwen3:8b",
	}
	var got []string
	for _, f := range Rank(in) {
		got = append(got, f.Name)
	}
	if !slices.Equal(got, want) {
		t.Errorf("Rank =\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	if !slices.EqualFunc(in, orig, func(a, b ModelFacts) bool { return a.Name == b.Name }) {
		t.Error("Rank reordered its input")
	}
	if u := Usable(in); len(u) != 11 || u[0] != "gui-owl-1.5:8b" || slices.Contains(u, "qwen3:8b") {
		t.Errorf("Usable = %v", u)
	}
	if Rank(nil) == nil || len(Rank(nil)) != 0 {
		t.Error("Rank(nil) is not an empty slice")
	}
}

func TestCandidates(t *testing.T) {
	infos := []planner.ModelInfo{
		{Name: "qwen3:8b", Architecture: "qwen3", Capabilities: detText},
		{Name: "gemma3:12b", Architecture: "gemma3", Capabilities: detV},
		{Name: "uitars15:7b", Architecture: "qwen25vl", Capabilities: detV, Family: "qwen25vl"},
	}
	got := Candidates(infos)
	if len(got) != 2 || got[0].Name != "uitars15:7b" || got[0].Family != "qwen25vl" || got[1].Name != "gemma3:12b" {
		t.Errorf("Candidates = %+v", got)
	}
	if Candidates(nil) != nil {
		t.Error("Candidates(nil) is not nil")
	}
}

func TestFactsFrom(t *testing.T) {
	m := api.ListModelResponse{Name: "qwen3-vl:8b", Size: 6_100_000_000,
		Details: api.ModelDetails{Family: "qwen3vl", ParameterSize: "8.8B", QuantizationLevel: "Q4_K_M"}}
	f := FactsFrom(m, nil)
	if f.Capabilities != nil || f.Name != "qwen3-vl:8b" || f.ParameterSize != "8.8B" || f.Size != 6_100_000_000 {
		t.Errorf("FactsFrom without show = %+v", f)
	}
	show := &api.ShowResponse{
		Details:      api.ModelDetails{Family: "qwen3vl", Families: []string{"qwen3vl"}, ParameterSize: "8.8B", QuantizationLevel: "Q8_0"},
		ModelInfo:    map[string]any{"general.architecture": "qwen3vl"},
		Capabilities: nil,
	}
	f = FactsFrom(m, show)
	if f.Architecture != "qwen3vl" || f.Quantization != "Q8_0" || f.Capabilities == nil || len(f.Capabilities) != 0 {
		t.Errorf("FactsFrom = %+v; want the show answer's facts and known, empty capabilities", f)
	}
	if _, err := Choose(f); err == nil {
		t.Error("a model whose show lists no capabilities was taken to see")
	}
}

func TestBillions(t *testing.T) {
	tests := []struct {
		name, paramSize string
		want            float64
	}{
		{"qwen3-vl:8b", "8.8B", 8},
		{"qwen3-vl:30b-a3b-thinking", "31.1B", 30},
		{"qwen3.5:0.8b", "", 0.8},
		{"hf.co/mradermacher/UI-TARS-1.5-7B-GGUF:Q4_K_M", "", 7},
		{"llama4:16x17b", "108.6B", 108.6},
		{"granite3.2-vision:latest", "2.5B", 2.5},
		{"nomic-embed-text", "137M", 0.137},
		{"x:latest", "", 0},
		{"x:latest", "lots", 0},
	}
	for _, tt := range tests {
		if got := billions(ModelFacts{Name: tt.name, ParameterSize: tt.paramSize}); got < tt.want-1e-9 || got > tt.want+1e-9 {
			t.Errorf("billions(%q, %q) = %v, want %v", tt.name, tt.paramSize, got, tt.want)
		}
	}
}
