package models

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/ollama/ollama/api"

	"github.com/deskhand/deskhand/planner"
)

// ModelFacts is what Ollama says about one installed model: /api/tags gives the
// name, size and details, /api/show the capabilities and model_info. Detection
// works on this plain value so that it stays pure and testable from a table.
type ModelFacts struct {
	Name string // as installed: "qwen3-vl:8b", "hf.co/org/UI-TARS-1.5-7B-GGUF:Q4_K_M"
	// Architecture is model_info["general.architecture"]: "qwen25vl", "qwen3vl",
	// "qwen35", "gemma3", "mllama", "mistral3", "llama" (LLaVA) … GGUFs made by
	// llama.cpp say "qwen2vl" for Qwen2-VL and Qwen2.5-VL alike.
	Architecture string
	Family       string   // details.family
	Families     []string // details.families
	// Capabilities as /api/show lists them: "completion", "vision", "tools",
	// "thinking", "embedding". Nil means Ollama did not say, and the model is
	// taken to see (callers that only know a name and an architecture).
	Capabilities  []string
	ParameterSize string // details.parameter_size: "8.8B"
	Quantization  string // details.quantization_level: "Q4_K_M"
	Size          int64  // bytes on disk
}

// Has reports whether Ollama lists capability c for the model.
func (f ModelFacts) Has(c string) bool { return slices.Contains(f.Capabilities, c) }

// FactsFrom gathers the facts of a model from its /api/tags entry and its
// /api/show answer (nil when show failed: the capabilities are then unknown).
func FactsFrom(m api.ListModelResponse, show *api.ShowResponse) ModelFacts {
	f := ModelFacts{
		Name:          cmp.Or(m.Name, m.Model),
		Family:        m.Details.Family,
		Families:      m.Details.Families,
		ParameterSize: m.Details.ParameterSize,
		Quantization:  m.Details.QuantizationLevel,
		Size:          m.Size,
	}
	if show == nil {
		return f
	}
	f.Family = cmp.Or(show.Details.Family, f.Family)
	if len(show.Details.Families) > 0 {
		f.Families = show.Details.Families
	}
	f.ParameterSize = cmp.Or(show.Details.ParameterSize, f.ParameterSize)
	f.Quantization = cmp.Or(show.Details.QuantizationLevel, f.Quantization)
	f.Architecture, _ = show.ModelInfo["general.architecture"].(string)
	f.Capabilities = []string{} // known, even when empty
	for _, c := range show.Capabilities {
		f.Capabilities = append(f.Capabilities, string(c))
	}
	return f
}

// FactsOf returns the facts the planner gathered before a run.
func FactsOf(m planner.ModelInfo) ModelFacts {
	return ModelFacts{Name: m.Name, Architecture: m.Architecture, Family: m.Family, Capabilities: m.Capabilities}
}

// Choice is the adapter deskhand uses for a model, and why.
type Choice struct {
	// Adapter is the --adapter name: uitars15, uitars10, qwen25vl, qwen3vl or
	// json; "" when the model cannot be used.
	Adapter string
	// Reason says in a few words what deskhand takes the model for, with the
	// GUI scores the model's authors published, for `deskhand models`.
	Reason string
	// GUI reports that the model was trained to read and operate user
	// interfaces; the others are guessing where to click.
	GUI bool
	// Score orders models best-first (Rank): published GUI grounding first
	// (ScreenSpot-Pro, with agent results such as OSWorld breaking near ties),
	// then speed on an ordinary machine. Only comparisons mean anything.
	Score int
}

// Recommended is the model to install when none of the installed ones is
// trained for GUIs: the official Qwen3-VL 8B, instruct (thinking variants
// spend seconds thinking on every step), ScreenSpot-Pro 54.6 and OSWorld 33.9
// as published, about 6 GB.
const Recommended = "qwen3-vl:8b-instruct"

// RecommendedSmall is Recommended for machines with little memory (about 3 GB;
// ScreenSpot-Pro 59.5 as published).
const RecommendedSmall = "qwen3-vl:4b-instruct"

// Choose picks the adapter for a model from what Ollama says about it. The
// architecture decides the coordinate convention (Qwen2.5-VL writes pixels of
// the image it saw, Qwen3-VL and Qwen3.5 0..1000); the name recognises UI-TARS,
// whose grammar is its own, GUI fine-tunes and GGUFs whose architecture does not
// tell Qwen2-VL from Qwen2.5-VL. Every other vision model gets the json adapter.
// A model that cannot see returns a *planner.NoVisionError (Installed empty)
// with Choice.Reason still set for a listing.
func Choose(f ModelFacts) (Choice, error) {
	if f.Capabilities != nil && !f.Has("vision") {
		why := "no vision: cannot see the screen"
		if f.Has("embedding") {
			why = "embedding model: cannot see or chat"
		}
		return Choice{Reason: why}, &planner.NoVisionError{Model: f.Name}
	}
	if f.Has("embedding") && !f.Has("completion") {
		return Choice{Reason: "embedding model: cannot chat"},
			fmt.Errorf("model %q only makes embeddings and cannot chat; use a vision model that can (deskhand models lists them)", f.Name)
	}
	l, row := identifyModel(f)
	c := Choice{Adapter: l.adapter, GUI: l.gui, Score: row.score}
	what := l.name
	if l.thinks(f) {
		// Ollama ignores think:false for Qwen3-VL thinking tags: every step
		// starts with a long thought (ollama/ollama#13353).
		what += " (thinking)"
		c.Score -= 30
	}
	notes := []string{what}
	switch {
	case row.shown != "":
		notes = append(notes, row.shown)
	case l.gui:
		notes = append(notes, "GUI-trained")
	case l.general:
		notes = append(notes, "not trained on GUIs")
	}
	if l.note != "" {
		notes = append(notes, l.note)
	}
	if b := billions(f); b > 40 || (b == 0 && f.Size > 30e9) {
		c.Score -= 200
		notes = append(notes, "large: slow without a big GPU")
	}
	c.Score += quantBonus(f.Quantization)
	c.Reason = strings.Join(notes, " · ")
	return c, nil
}

// Detect returns the adapter for a model known only by its name and
// general.architecture; the model is taken to see. Choose says more.
func Detect(name, arch string) (string, error) {
	c, err := Choose(ModelFacts{Name: name, Architecture: arch})
	if err != nil {
		return "", err
	}
	return c.Adapter, nil
}

// Rank returns the models best-first: those deskhand can drive by descending
// Choice.Score, then those it cannot, each group by name. The input is not
// modified.
func Rank(models []ModelFacts) []ModelFacts {
	type scored struct {
		f     ModelFacts
		ok    bool
		score int
	}
	all := make([]scored, len(models))
	for i, f := range models {
		c, err := Choose(f)
		all[i] = scored{f, err == nil, c.Score}
	}
	slices.SortStableFunc(all, func(a, b scored) int {
		switch {
		case a.ok != b.ok:
			if a.ok {
				return -1
			}
			return 1
		case a.score != b.score:
			return cmp.Compare(b.score, a.score)
		}
		return strings.Compare(a.f.Name, b.f.Name)
	})
	out := make([]ModelFacts, len(all))
	for i, s := range all {
		out[i] = s.f
	}
	return out
}

// Usable returns the names of the models deskhand can drive, best first: what
// an error about an unusable model should offer instead.
func Usable(models []ModelFacts) []string {
	var names []string
	for _, f := range Rank(models) {
		if _, err := Choose(f); err == nil {
			names = append(names, f.Name)
		}
	}
	return names
}

// Candidates returns the models of infos deskhand can drive, best first, for
// the planner to pick from when no model is named.
func Candidates(infos []planner.ModelInfo) []planner.ModelInfo {
	facts := make([]ModelFacts, len(infos))
	byName := make(map[string]planner.ModelInfo, len(infos))
	for i, m := range infos {
		facts[i] = FactsOf(m)
		byName[m.Name] = m
	}
	var out []planner.ModelInfo
	for _, name := range Usable(facts) {
		out = append(out, byName[name])
	}
	return out
}

// qwenGen is the Qwen vision stack a model is built on, which fixes how it
// writes coordinates.
type qwenGen int

const (
	genOther  qwenGen = iota
	genQwen2          // Qwen2-VL: 0..1000 boxes
	genQwen25         // Qwen2.5-VL: pixels of the image it saw
	genQwen3          // Qwen3-VL: 0..1000
	genQwen35         // Qwen3.5: Qwen3-VL's vision tower, 0..1000
)

// lineage is what deskhand takes a model for.
type lineage struct {
	name    string // shown in the listing: "GUI-Owl-1.5"
	adapter string
	gui     bool // trained on GUIs
	general bool // a general vision model (the json adapter's audience)
	gen     qwenGen
	note    string
	rows    []sizeRow
}

// sizeRow is what is known of one size of a lineage.
type sizeRow struct {
	upTo  float64 // billions of parameters this row covers, from the row before
	score int
	// shown is what the listing says of this size: the scores its authors
	// published (research §4.1), or a caveat.
	shown string
}

const anyParams = 1e9

func (l lineage) row(b float64) sizeRow {
	if b == 0 {
		b = 8 // the size most people run, and the size most scores are for
	}
	for _, r := range l.rows {
		if b <= r.upTo {
			return r
		}
	}
	return l.rows[len(l.rows)-1]
}

// thinks reports a Qwen3-VL thinking variant.
func (l lineage) thinks(f ModelFacts) bool {
	return l.gen == genQwen3 && (f.Has("thinking") || strings.Contains(strings.ToLower(f.Name), "thinking"))
}

// The lineages deskhand knows. Scores are ScreenSpot-Pro ×10 where published,
// estimates next to their relatives where not.
var (
	tarsV15 = lineage{name: "UI-TARS-1.5", adapter: "uitars15", gui: true, gen: genQwen25, rows: []sizeRow{
		{12, 520, "ScreenSpot-Pro 49.6, OSWorld 27.5"}, {anyParams, 530, ""}}}
	tarsV1 = lineage{name: "UI-TARS v1", adapter: "uitars10", gui: true, gen: genQwen2, rows: []sizeRow{
		{3, 250, ""}, {12, 357, "ScreenSpot-Pro 35.7"}, {anyParams, 380, ""}}}

	// guiTunes are GUI fine-tunes recognised by name, each on one generation: the
	// same name can mean two models (GUI-Owl on Qwen2.5-VL, GUI-Owl-1.5 on Qwen3-VL).
	guiTunes = []struct {
		key string // in the squashed name
		lineage
	}{
		{"guiowl", lineage{name: "GUI-Owl-1.5", adapter: "qwen3vl", gui: true, gen: genQwen3, rows: []sizeRow{
			{3, 570, "OSWorld-Verified 43.5"}, {6, 620, "OSWorld-Verified 48.2"},
			{12, 730, "ScreenSpot-Pro 71.1, OSWorld-Verified 52.3"}, {anyParams, 740, "OSWorld-Verified 56.5"}}}},
		{"guiowl", lineage{name: "GUI-Owl", adapter: "qwen25vl", gui: true, gen: genQwen25, rows: []sizeRow{{anyParams, 500, ""}}}},
		{"uivenus", lineage{name: "UI-Venus-1.5", adapter: "qwen3vl", gui: true, gen: genQwen3, rows: []sizeRow{
			{3, 580, "ScreenSpot-Pro 57.7"}, {12, 690, "ScreenSpot-Pro 68.4"}, {anyParams, 700, "ScreenSpot-Pro 69.6"}}}},
		{"uivenus", lineage{name: "UI-Venus", adapter: "qwen25vl", gui: true, gen: genQwen25, rows: []sizeRow{
			{12, 510, "ScreenSpot-Pro 50.8"}, {anyParams, 520, ""}}}},
		{"maiui", lineage{name: "MAI-UI", adapter: "qwen3vl", gui: true, gen: genQwen3, rows: []sizeRow{
			{3, 575, "ScreenSpot-Pro 57.4"}, {12, 660, "ScreenSpot-Pro 65.8"}, {anyParams, 660, ""}}}},
		{"stepgui", lineage{name: "StepGUI", adapter: "qwen3vl", gui: true, gen: genQwen3, rows: []sizeRow{
			{6, 600, "ScreenSpot-Pro 60.0"}, {anyParams, 600, ""}}}},
		{"gta1", lineage{name: "GTA1", adapter: "qwen25vl", gui: true, gen: genQwen25, rows: []sizeRow{{anyParams, 500, ""}}}},
		// GUI-G2 is a grounder that writes 0..1000 boxes, not Qwen2.5-VL pixels.
		{"guig2", lineage{name: "GUI-G2", adapter: "json", gui: true, gen: genQwen25, note: "grounding only", rows: []sizeRow{
			{12, 400, "ScreenSpot-Pro 47.5"}, {anyParams, 400, ""}}}},
	}

	qwenBases = map[qwenGen]lineage{
		genQwen3: {name: "Qwen3-VL", adapter: "qwen3vl", gui: true, gen: genQwen3, rows: []sizeRow{
			{3, 485, "ScreenSpot-Pro 48.5"}, {6, 575, "ScreenSpot-Pro 59.5"},
			{12, 580, "ScreenSpot-Pro 54.6, OSWorld 33.9"}, {anyParams, 590, ""}}},
		// Qwen3.5 has Qwen3-VL's vision tower; its GUI grounding is not published
		// for these sizes, so it ranks below Qwen3-VL.
		genQwen35: {name: "Qwen3.5", adapter: "qwen3vl", gui: true, gen: genQwen35, rows: []sizeRow{
			{5, 440, "GUI grounding unmeasured"}, {40, 480, "GUI grounding unmeasured"}, {anyParams, 500, "GUI grounding unmeasured"}}},
		genQwen25: {name: "Qwen2.5-VL", adapter: "qwen25vl", gui: true, gen: genQwen25, rows: []sizeRow{
			{5, 239, "ScreenSpot-Pro 23.9"}, {12, 290, "ScreenSpot-Pro 29.0"},
			{50, 394, "ScreenSpot-Pro 39.4"}, {anyParams, 436, "ScreenSpot-Pro 43.6"}}},
		// Qwen2-VL's boxes are 0..1000 in its own tokens: the json adapter's
		// 0..1000 JSON is the nearest deskhand speaks.
		genQwen2: {name: "Qwen2-VL", adapter: "json", general: true, gen: genQwen2, rows: []sizeRow{{anyParams, 16, ""}}},
	}

	// generalModels are vision models without GUI training, recognised by name or
	// architecture, ordered by what the research says of each (none has
	// published GUI scores).
	generalModels = []struct {
		key, arch string
		lineage
	}{
		{"minicpm", "", newGeneral("MiniCPM-V", 40, "")},
		{"mistralsmall", "", newGeneral("Mistral Small 3", 35, "")},
		{"ministral", "", newGeneral("Ministral 3", 35, "")},
		{"", "mistral3", newGeneral("Mistral 3", 35, "")},
		{"", "llama4", newGeneral("Llama 4", 30, "")},
		{"", "gemma3", newGeneral("Gemma 3", 30, "sees a squashed 896×896 image")},
		{"", "mllama", newGeneral("Llama 3.2 Vision", 20, "one image per message")},
		{"granite", "", newGeneral("Granite Vision", 10, "")},
		{"llava", "", newGeneral("LLaVA", 10, "")},
		{"moondream", "", newGeneral("Moondream", 10, "")},
	}
	unknownVision = newGeneral("general vision model", 15, "")
)

func newGeneral(name string, score int, note string) lineage {
	return lineage{name: name, adapter: "json", general: true, note: note, rows: []sizeRow{{anyParams, score, ""}}}
}

// identifyModel finds the lineage of a model and the row for its size.
func identifyModel(f ModelFacts) (lineage, sizeRow) {
	name := squashName(f.Name)
	gen := generationOf(f, name)
	b := billions(f)
	if strings.Contains(name, "uitars") {
		// UI-TARS-1.5 is Qwen2.5-VL based and writes pixels of the image it
		// saw; UI-TARS v1 is Qwen2-VL based and writes 0..1000. A name that
		// says which wins over the architecture, which llama.cpp GGUFs give as
		// "qwen2vl" for both.
		switch {
		case strings.Contains(name, "uitars15"):
			return tarsV15, tarsV15.row(b)
		case isTARSv1(name):
			return tarsV1, tarsV1.row(b)
		case gen == genQwen2:
			l := tarsV1
			l.note = "pass --adapter uitars15 if it is 1.5"
			return l, l.row(b)
		}
		return tarsV15, tarsV15.row(b)
	}
	for _, t := range guiTunes {
		if strings.Contains(name, t.key) && sameStack(t.gen, gen) {
			return t.lineage, t.row(b)
		}
	}
	if l, ok := qwenBases[gen]; ok {
		return l, l.row(b)
	}
	arch := strings.ToLower(cmp.Or(f.Architecture, f.Family))
	for _, g := range generalModels {
		if (g.key != "" && strings.Contains(name, g.key)) || (g.arch != "" && g.arch == arch) {
			return g.lineage, g.row(b)
		}
	}
	return unknownVision, unknownVision.row(b)
}

// sameStack reports whether a fine-tune made on generation want fits a model
// of generation got (Qwen3.5 fine-tunes are Qwen3-VL-like).
func sameStack(want, got qwenGen) bool {
	return want == got || (want == genQwen3 && got == genQwen35)
}

// generationOf reads the Qwen generation from the architecture, then the
// family, then the name.
func generationOf(f ModelFacts, name string) qwenGen {
	for _, a := range append([]string{f.Architecture, f.Family}, f.Families...) {
		switch strings.ToLower(a) {
		case "qwen25vl":
			return genQwen25
		case "qwen3vl", "qwen3vlmoe":
			return genQwen3
		case "qwen35", "qwen35moe":
			return genQwen35
		case "qwen2vl":
			// llama.cpp converts Qwen2.5-VL (and its fine-tunes) to "qwen2vl".
			if qwen25Name(name) {
				return genQwen25
			}
			return genQwen2
		}
	}
	if f.Architecture != "" {
		return genOther
	}
	switch {
	case strings.Contains(name, "qwen3vl"):
		return genQwen3
	case strings.Contains(name, "qwen35"):
		return genQwen35
	case strings.Contains(name, "qwen25vl"):
		return genQwen25
	case strings.Contains(name, "qwen2vl"):
		return genQwen2
	}
	return genOther
}

// qwen25Name reports a name of Qwen2.5-VL or of a fine-tune of it.
func qwen25Name(name string) bool {
	for _, k := range []string{"qwen25", "uitars15", "uivenus", "guiowl", "gta1", "guig2"} {
		if strings.Contains(name, k) {
			return true
		}
	}
	return false
}

// isTARSv1 recognises the UI-TARS v1 checkpoints by their names:
// UI-TARS-2B-SFT, UI-TARS-7B-SFT, UI-TARS-7B-DPO, UI-TARS-72B-SFT/DPO.
func isTARSv1(name string) bool {
	for _, k := range []string{"uitars10", "uitarsv1", "uitars2b", "uitars7bdpo", "uitars7bsft", "uitars72bdpo", "uitars72bsft", "uitars2bsft"} {
		if strings.Contains(name, k) {
			return true
		}
	}
	return false
}

// squashName lower-cases a name and drops the punctuation people put in it, so
// "UI-TARS-1.5", "ui_tars_15" and "uitars1.5" all read "uitars15".
func squashName(s string) string {
	return strings.NewReplacer("-", "", "_", "", ".", "", " ", "").Replace(strings.ToLower(s))
}

// sizeInName finds "7b", "0.8b" or "30b" in a name, not "a3b".
var sizeInName = regexp.MustCompile(`(?i)(?:^|[^a-z0-9.])(\d+(?:\.\d+)?)b(?:$|[^a-z0-9])`)

// billions returns the model's size in billions of parameters: the one in its
// name, which is how the published scores name it ("8B" for 8.8 billion), else
// Ollama's parameter_size; 0 if neither says.
func billions(f ModelFacts) float64 {
	if m := sizeInName.FindStringSubmatch(f.Name); m != nil {
		if b, err := strconv.ParseFloat(m[1], 64); err == nil && b > 0 {
			return b
		}
	}
	s := strings.ToUpper(strings.TrimSpace(f.ParameterSize))
	scale := map[string]float64{"T": 1e3, "B": 1, "M": 1e-3, "K": 1e-6}
	for suffix, k := range scale {
		if v, ok := strings.CutSuffix(s, suffix); ok {
			if b, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && b > 0 {
				return b * k
			}
		}
	}
	return 0
}

// quantBonus prefers precise quantisations: grounders lose accuracy at low bit
// widths (UI-TARS#14, #16).
func quantBonus(q string) int {
	q = strings.ToUpper(q)
	switch {
	case strings.HasPrefix(q, "Q8"), strings.HasPrefix(q, "F16"), strings.HasPrefix(q, "BF16"), strings.HasPrefix(q, "F32"):
		return 5
	case strings.HasPrefix(q, "Q2"), strings.HasPrefix(q, "Q3"), strings.HasPrefix(q, "IQ1"), strings.HasPrefix(q, "IQ2"), strings.HasPrefix(q, "IQ3"):
		return -20
	}
	return 0
}
