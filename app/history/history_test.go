package history

import (
	"bytes"
	"flag"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/deskhand/deskhand/actuation"
	"github.com/deskhand/deskhand/perception"
	"github.com/deskhand/deskhand/planner"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var t0 = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

func at(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

// frame is a small, deterministic screenshot of a 1280x720 monitor at (100, 0).
func frame(t testing.TB, shade uint8) perception.Frame {
	img := image.NewRGBA(image.Rect(0, 0, 64, 36))
	for y := range 36 {
		for x := range 64 {
			img.Set(x, y, color.RGBA{shade, uint8(x * 4), uint8(y * 7), 0xff})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return perception.Frame{Bounds: image.Rect(100, 0, 1380, 720), Captured: image.Pt(1280, 720), Scale: 1,
		Image: image.Pt(64, 36), Data: b.Bytes(), MIME: "image/png", Taken: t0}
}

func click(x, y int) *actuation.Action {
	return &actuation.Action{Type: actuation.Click, X: actuation.Int(x), Y: actuation.Int(y), Button: "left", Clicks: 1}
}

// sampleEvents is a three-step run with every kind of outcome: an auto-approved
// click, a skipped high-risk key, an edited typing, an invalid action, a
// re-asked reply, and the end.
func sampleEvents(t testing.TB) []planner.Event {
	f1, f2, f3 := frame(t, 10), frame(t, 120), frame(t, 240)
	high := planner.Risk{Level: planner.RiskHigh, Reasons: []string{"closes the window (alt+f4)"}}
	medium := planner.Risk{Level: planner.RiskMedium}
	key := &actuation.Action{Type: actuation.Key, Keys: []string{"alt", "f4"}}
	typed := &actuation.Action{Type: actuation.TypeText, Text: "hello <b>world</b>\n"}
	edited := &actuation.Action{Type: actuation.TypeText, Text: "hello\n"}
	bad := &actuation.Action{Type: actuation.Click, X: actuation.Int(5000), Y: actuation.Int(1)}
	return []planner.Event{
		{Kind: planner.RunStarted, Time: at(0), Task: `open the "Files" app <script>alert(1)</script>`, Model: "qwen3-vl:8b", Adapter: "qwen3vl"},
		{Kind: planner.ModelLoading, Time: at(0)},
		{Kind: planner.ModelLoaded, Time: at(2), Millis: map[string]float64{"load": 2000}},
		{Kind: planner.StepStarted, Time: at(2), Step: 1},
		{Kind: planner.FrameCaptured, Time: at(2.1), Step: 1, Frame: &f1, Millis: map[string]float64{"capture": 31.5}},
		{Kind: planner.ThinkingDelta, Time: at(2.2), Step: 1, Thinking: "The Files "},
		{Kind: planner.ThinkingDelta, Time: at(2.3), Step: 1, Thinking: "icon is left."},
		{Kind: planner.ModelReplied, Time: at(3), Step: 1, Thinking: "The Files icon is left.", Text: `{"action":"click"}`,
			PromptEvalCount: 1500, EvalCount: 40, Millis: map[string]float64{"model": 900, "first_token": 350}},
		{Kind: planner.Decided, Time: at(3), Step: 1, Decision: &planner.Decision{Thought: "Click the Files icon", Actions: []actuation.Action{*click(700, 360)}}},
		{Kind: planner.ActionProposed, Time: at(3), Step: 1, Action: click(700, 360), Risk: &medium},
		{Kind: planner.ActionApproved, Time: at(3), Step: 1, Action: click(700, 360), Risk: &medium, Text: planner.AutoApproved},
		{Kind: planner.ActionExecuted, Time: at(3.1), Step: 1, Action: click(700, 360), Millis: map[string]float64{"act": 60}},
		{Kind: planner.ScreenSettled, Time: at(3.6), Step: 1, Millis: map[string]float64{"settle": 500}},
		{Kind: planner.StepStarted, Time: at(3.6), Step: 2},
		{Kind: planner.FrameCaptured, Time: at(3.7), Step: 2, Frame: &f2, Millis: map[string]float64{"capture": 28}},
		{Kind: planner.ReplyRejected, Time: at(4), Step: 2, Text: "gibberish", Error: "no action found"},
		{Kind: planner.ModelReplied, Time: at(5), Step: 2, Text: "press alt+f4", Millis: map[string]float64{"model": 1200}},
		{Kind: planner.Decided, Time: at(5), Step: 2, Decision: &planner.Decision{Thought: "Close it"}},
		{Kind: planner.ActionProposed, Time: at(5), Step: 2, Action: key, Risk: &high},
		{Kind: planner.ActionSkipped, Time: at(6), Step: 2, Action: key, Text: "not that window"},
		{Kind: planner.ActionRejected, Time: at(6), Step: 2, Action: bad, Error: "x 5000 is off the monitor"},
		{Kind: planner.ScreenSettled, Time: at(6.2), Step: 2, Millis: map[string]float64{"settle": 200}},
		{Kind: planner.StepStarted, Time: at(6.2), Step: 3},
		{Kind: planner.FrameCaptured, Time: at(6.3), Step: 3, Frame: &f3},
		{Kind: planner.ModelReplied, Time: at(7), Step: 3, Text: "type", Millis: map[string]float64{"model": 700}},
		{Kind: planner.ActionProposed, Time: at(7), Step: 3, Action: typed, Risk: &medium},
		{Kind: planner.ActionEdited, Time: at(8), Step: 3, Action: edited},
		{Kind: planner.ActionExecuted, Time: at(8.5), Step: 3, Action: edited, Millis: map[string]float64{"act": 400}},
		{Kind: planner.RunFinished, Time: at(9), Step: 3, Status: planner.StatusDone, Text: "The Files app is open."},
	}
}

// record writes events as a planner.Trace does, under root.
func record(t testing.TB, root string, start time.Time, events []planner.Event) string {
	tr, err := planner.NewTrace(root, start)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		tr.Record(e)
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	return tr.Dir
}

func TestLoadFoldsSteps(t *testing.T) {
	dir := record(t, t.TempDir(), t0, sampleEvents(t))
	r, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if r.Task == "" || r.Model != "qwen3-vl:8b" || r.Status != planner.StatusDone || !r.Finished || r.LoadMs != 2000 {
		t.Errorf("run = %+v", r)
	}
	if got := r.Duration(); got != 9*time.Second {
		t.Errorf("duration %v", got)
	}
	if len(r.Steps) != 3 {
		t.Fatalf("%d steps, want 3", len(r.Steps))
	}
	for _, tc := range []struct {
		step     int
		outcomes []Outcome
		text     []string
	}{
		{1, []Outcome{Executed}, []string{"Did without asking: left-click at (700, 360)"}},
		{2, []Outcome{Skipped, Rejected}, []string{"Skipped: press alt+f4 (not that window)", "Not done: left-click at (5000, 1) — x 5000 is off the monitor"}},
		{3, []Outcome{Executed}, []string{`Did, as you corrected it: type "hello⏎"`}},
	} {
		s := r.Steps[tc.step-1]
		if len(s.Actions) != len(tc.outcomes) {
			t.Errorf("step %d: %d actions, want %d", tc.step, len(s.Actions), len(tc.outcomes))
			continue
		}
		for i, a := range s.Actions {
			if a.Outcome != tc.outcomes[i] || a.Describe() != tc.text[i] {
				t.Errorf("step %d action %d: %s %q, want %s %q", tc.step, i, a.Outcome, a.Describe(), tc.outcomes[i], tc.text[i])
			}
		}
	}
	s1 := r.Steps[0]
	if s1.Image != "step-001.png" || s1.Thinking != "The Files icon is left." || s1.Thought != "Click the Files icon" ||
		s1.PromptTokens != 1500 || !s1.Settled {
		t.Errorf("step 1 = %+v", s1)
	}
	if got := Timings(s1); got != "capture 31 ms · first token 350 ms · model 900 ms · act 60 ms · settle 500 ms · 1500 tokens in, 40 out" {
		t.Errorf("timings %q", got)
	}
	if len(r.Steps[1].Notes) != 1 {
		t.Errorf("step 2 notes %q", r.Steps[1].Notes)
	}
	f, err := r.LoadFrame(s1)
	if err != nil || !bytes.Equal(f.Data, frame(t, 10).Data) || f.Bounds.Min.X != 100 {
		t.Errorf("LoadFrame: %v, %d bytes", err, len(f.Data))
	}
	if a, ok := s1.Marked(); !ok || *a.X != 700 {
		t.Errorf("marked %v %v", a, ok)
	}
}

// Deltas stream into the step as the model decodes; the whole reply replaces
// them, and a re-ask starts over.
func TestApplyStreams(t *testing.T) {
	var r Run
	for _, e := range []planner.Event{
		{Kind: planner.RunStarted, Task: "x"},
		{Kind: planner.StepStarted, Step: 1},
		{Kind: planner.ThinkingDelta, Step: 1, Thinking: "a"},
		{Kind: planner.ThinkingDelta, Step: 1, Thinking: "b"},
		{Kind: planner.ContentDelta, Step: 1, Text: "c"},
	} {
		r.Apply(e, "")
	}
	s := r.Steps[0]
	if s.Thinking != "ab" || s.Reply != "c" || s.Replied {
		t.Fatalf("streamed %+v", s)
	}
	r.Apply(planner.Event{Kind: planner.ModelReplied, Step: 1, Thinking: "AB", Text: "C"}, "")
	if s.Thinking != "AB" || s.Reply != "C" || !s.Replied {
		t.Fatalf("replied %+v", s)
	}
	r.Apply(planner.Event{Kind: planner.ContentDelta, Step: 1, Text: "again"}, "")
	if s.Thinking != "" || s.Reply != "again" {
		t.Fatalf("re-asked %+v", s)
	}
	// Events for steps that never started are ignored, not a panic.
	r.Apply(planner.Event{Kind: planner.ActionExecuted, Step: 9, Action: click(1, 1)}, "")
	r.Apply(planner.Event{Kind: planner.ActionExecuted, Step: 1}, "")
}

func TestListNewestFirstAndTolerant(t *testing.T) {
	root := t.TempDir()
	older := record(t, root, t0, sampleEvents(t)[:5])
	newer := record(t, root, t0.Add(time.Hour), func() []planner.Event {
		ev := sampleEvents(t)
		for i := range ev {
			ev[i].Time = ev[i].Time.Add(time.Hour)
		}
		return ev
	}())
	// A killed process leaves a line cut short; a stray folder is not a run.
	f, err := os.OpenFile(filepath.Join(older, TraceFile), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"kind":"model_rep`)
	f.Close()
	os.Mkdir(filepath.Join(root, "run-empty"), 0o755)
	os.Mkdir(filepath.Join(root, "photos"), 0o755)

	runs, err := List(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || runs[0].Dir != newer || runs[1].Dir != older {
		t.Fatalf("List = %v", runs)
	}
	if runs[1].Finished || len(runs[1].Steps) != 1 {
		t.Errorf("the cut-short run: finished=%v steps=%d", runs[1].Finished, len(runs[1].Steps))
	}
	if runs, err := List(filepath.Join(root, "missing")); err != nil || runs != nil {
		t.Errorf("missing root: %v %v", runs, err)
	}
}

// An image name that leaves the run's folder is not read.
func TestImageNameStaysInFolder(t *testing.T) {
	for name, want := range map[string]string{
		"step-001.png": "step-001.png", "../secret.png": "", "/etc/passwd": "", "a/b.png": "", ".hidden": "", "": "",
	} {
		if got := safeName(name); got != want {
			t.Errorf("safeName(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestExportHTMLGolden(t *testing.T) {
	dir := record(t, t.TempDir(), t0, sampleEvents(t))
	r, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := ExportHTML(&b, r); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	for _, bad := range []string{"<script>alert", "<b>world", dir} {
		if strings.Contains(got, bad) {
			t.Errorf("the page contains %q unescaped", bad)
		}
	}
	if n := strings.Count(got, `src="data:image/png;base64,`); n != 3 {
		t.Errorf("%d inline images, want 3", n)
	}
	golden := filepath.Join("testdata", "run.golden.html")
	if *update {
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("the exported page differs from %s (run with -update and look at the diff)", golden)
	}
}
