package calibrate_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/deskhand/deskhand/app/calibrate"
	"github.com/deskhand/deskhand/app/calibrate/calibratetest"
	"github.com/deskhand/deskhand/models"
	"github.com/deskhand/deskhand/perception"
	"github.com/deskhand/deskhand/planner"
	"github.com/deskhand/deskhand/planner/ollamatest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// fakeClient answers chat requests in process, as the model m would.
type fakeClient struct {
	mu    sync.Mutex
	m     *calibratetest.Model
	reqs  []*api.ChatRequest
	block bool // wait for the context to end instead of answering
	// toolsFail answers every request that carries tools with HTTP 500, as
	// Ollama does on a bad tool call (ollama/ollama#14492).
	toolsFail bool
}

func (c *fakeClient) Chat(ctx context.Context, req *api.ChatRequest, fn api.ChatResponseFunc) error {
	c.mu.Lock()
	c.reqs = append(c.reqs, req)
	c.mu.Unlock()
	if c.block {
		<-ctx.Done()
		return ctx.Err()
	}
	if c.toolsFail && len(req.Tools) > 0 {
		return api.StatusError{StatusCode: 500, ErrorMessage: "error parsing tool call"}
	}
	r := c.m.Handle(req)
	return fn(api.ChatResponse{Message: api.Message{Role: "assistant", Content: r.Content}, Done: true})
}

func adapter(t testing.TB, name string) planner.Adapter {
	t.Helper()
	a, err := models.For(name)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func alternatives(t testing.TB, except string) []planner.Adapter {
	var out []planner.Adapter
	for _, n := range models.Names() {
		if n != except {
			out = append(out, adapter(t, n))
		}
	}
	return out
}

func synthetic(t testing.TB, adapterName string, m *calibratetest.Model) (calibrate.Config, *fakeClient) {
	c := &fakeClient{m: m}
	return calibrate.Config{
		Client:       c,
		Model:        "ui-tars-1.5:7b",
		Adapter:      adapter(t, adapterName),
		Alternatives: alternatives(t, adapterName),
		Monitor:      perception.Monitor{Bounds: image.Rect(0, 0, 1920, 1080)},
		Synthetic:    true,
	}, c
}

// TestRunSynthetic: a model that clicks right passes; one that writes the other
// convention is caught and pointed at the adapter that reads it.
func TestRunSynthetic(t *testing.T) {
	tests := []struct {
		adapter string
		writes  perception.Convention
		want    calibrate.Kind
		fix     string
	}{
		{"uitars15", perception.ImagePixels, calibrate.KindOK, ""},
		{"uitars10", perception.Relative1000, calibrate.KindOK, ""},
		{"uitars15", perception.Relative1000, calibrate.KindConvention, "--adapter uitars10"},
		{"uitars10", perception.ImagePixels, calibrate.KindConvention, "--adapter uitars15"},
	}
	for _, tt := range tests {
		t.Run(tt.adapter+"/"+string(tt.writes), func(t *testing.T) {
			cfg, client := synthetic(t, tt.adapter, &calibratetest.Model{Convention: tt.writes})
			var progress []string
			cfg.Progress = func(r calibrate.Result, done, total int) {
				progress = append(progress, calibrate.ProgressLine(r, done, total))
			}
			rep, err := calibrate.Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Diagnosis.Kind != tt.want {
				t.Fatalf("diagnosis %s (%s), want %s", rep.Diagnosis.Kind, rep.Diagnosis.Summary, tt.want)
			}
			if !strings.Contains(rep.Diagnosis.Fix, tt.fix) {
				t.Errorf("fix %q lacks %q", rep.Diagnosis.Fix, tt.fix)
			}
			if rep.OK() != (tt.want == calibrate.KindOK) || rep.Mode != "synthetic" || rep.Image != image.Pt(1904, 1064) {
				t.Errorf("OK %v, mode %q, image %v", rep.OK(), rep.Mode, rep.Image)
			}
			if len(client.reqs) != 9 || len(progress) != 9 || len(rep.Targets) != 9 {
				t.Fatalf("%d requests, %d progress lines, %d results; want 9 each", len(client.reqs), len(progress), len(rep.Targets))
			}
			for i, req := range client.reqs {
				checkRequest(t, req, rep.Targets[i].Label)
			}
			if tt.want == calibrate.KindOK {
				for _, r := range rep.Targets {
					if !r.Hit || r.ErrorPx == nil || *r.ErrorPx > 3 {
						t.Errorf("target %d: got %v, error %v, want a hit within 3 px of %v", r.Label, r.Got, r.ErrorPx, r.Expected)
					}
				}
			}
		})
	}
}

// checkRequest: one request per target, carrying the instruction, one image,
// at temperature 0, not streamed.
func checkRequest(t *testing.T, req *api.ChatRequest, label int) {
	t.Helper()
	images, text := 0, ""
	for _, m := range req.Messages {
		images += len(m.Images)
		text += m.Content
	}
	if images != 1 || !strings.Contains(text, calibrate.Instruction(label)) {
		t.Errorf("request for target %d: %d images, instruction present %v", label, images, strings.Contains(text, calibrate.Instruction(label)))
	}
	if req.Stream == nil || *req.Stream || req.Options["temperature"] != 0 {
		t.Errorf("request for target %d: stream %v, temperature %v; want not streamed, 0", label, req.Stream, req.Options["temperature"])
	}
}

// replyFormats write a click in each family's own grammar.
var replyFormats = map[string]func(x, y float64) string{
	"uitars15": calibratetest.UITARS,
	"uitars10": calibratetest.UITARS,
	"qwen25vl": qwenToolCall,
	"qwen3vl":  qwenToolCall,
	"json": func(x, y float64) string {
		return fmt.Sprintf(`{"thought":"The circle is there.","action":{"type":"click","x":%.0f,"y":%.0f}}`, x, y)
	},
}

func qwenToolCall(x, y float64) string {
	return fmt.Sprintf(`<tool_call>{"name":"computer_use","arguments":{"action":"left_click","coordinate":[%.0f,%.0f]}}</tool_call>`, x, y)
}

// TestEveryAdapter: calibration is generic over planner.Adapter: for every
// registered adapter, a model that writes its grammar and its convention
// clicks right, and one that writes the other convention is caught.
func TestEveryAdapter(t *testing.T) {
	for _, name := range models.Names() {
		format, ok := replyFormats[name]
		if !ok {
			t.Errorf("adapter %s has no reply format in this test; add one", name)
			continue
		}
		a := adapter(t, name)
		c, ok := a.(interface{ Convention() perception.Convention })
		if !ok {
			t.Errorf("adapter %s does not say its convention", name)
			continue
		}
		writes, other := perception.ImagePixels, perception.Relative1000
		if c.Convention() != perception.ImagePixels {
			writes, other = other, writes
		}
		for _, tt := range []struct {
			writes perception.Convention
			want   calibrate.Kind
		}{{writes, calibrate.KindOK}, {other, calibrate.KindConvention}} {
			t.Run(name+"/"+string(tt.writes), func(t *testing.T) {
				cfg, _ := synthetic(t, name, &calibratetest.Model{Convention: tt.writes, Format: format})
				rep, err := calibrate.Run(context.Background(), cfg)
				if err != nil {
					t.Fatal(err)
				}
				if rep.Diagnosis.Kind != tt.want {
					t.Errorf("diagnosis %s (%s; first reply %q), want %s", rep.Diagnosis.Kind, rep.Diagnosis.Summary, rep.Targets[0].Reply, tt.want)
				}
			})
		}
	}
}

// desk is a fake desktop: the board window it is given shows up in its
// captures, through capture, which may distort it like a faulty capture would.
type desk struct {
	mu      sync.Mutex
	monitor perception.Monitor
	board   *image.RGBA
	shown   image.Rectangle
	shows   int
	hides   int
	ignore  bool // the window never appears (covered)
	capture func(screen *image.RGBA) *image.RGBA
}

func (d *desk) show(_ context.Context, r image.Rectangle, img *image.RGBA) (func(), error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.shows++
	d.shown = r
	if !d.ignore {
		d.board = img
	}
	return func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		d.hides++
		d.board = nil
	}, nil
}

func (d *desk) Capture(_ context.Context, grid perception.Grid) (perception.Frame, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	size := d.monitor.Bounds.Size()
	screen := image.NewRGBA(image.Rectangle{Max: size})
	draw.Draw(screen, screen.Rect, image.White, image.Point{}, draw.Src)
	if d.board != nil {
		draw.Draw(screen, screen.Rect, d.board, image.Point{}, draw.Src)
	}
	if d.capture != nil {
		screen = d.capture(screen)
	}
	sent := grid.Size(size.X, size.Y)
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, perception.Resize(screen, sent)); err != nil {
		return perception.Frame{}, err
	}
	return perception.Frame{Monitor: d.monitor.Index, Bounds: d.monitor.Bounds, Captured: size, Scale: 1, Image: sent,
		Data: buf.Bytes(), MIME: "image/png", Taken: time.Now()}, nil
}

func onScreen(t testing.TB, d *desk, c *fakeClient) calibrate.Config {
	cfg := calibrate.Config{
		Client: c, Model: "ui-tars-1.5:7b", Adapter: adapter(t, "uitars15"), Alternatives: alternatives(t, "uitars15"),
		Screen: d, Monitor: d.monitor, BoardTimeout: 300 * time.Millisecond,
		Monitors: []perception.Monitor{{Index: 0, Bounds: image.Rect(0, 0, 1920, 1080)}, d.monitor},
	}
	return calibrate.WithShow(cfg, d.show)
}

var rightMonitor = perception.Monitor{Index: 1, Bounds: image.Rect(1920, 0, 3840, 1080)}

// TestRunScreen: the board goes on the monitor's bounds, the capture check
// passes, the clicks are measured in actuation space (the monitor's origin
// included), and the board comes down.
func TestRunScreen(t *testing.T) {
	d := &desk{monitor: rightMonitor}
	c := &fakeClient{m: &calibratetest.Model{Convention: perception.ImagePixels}}
	rep, err := calibrate.Run(context.Background(), onScreen(t, d, c))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Mode != "screen" || rep.Check == nil || !rep.Check.OK || rep.Check.Found != 9 {
		t.Fatalf("mode %q, check %+v; want screen, all 9 found", rep.Mode, rep.Check)
	}
	if !rep.OK() {
		t.Errorf("diagnosis %s: %s", rep.Diagnosis.Kind, rep.Diagnosis.Summary)
	}
	if d.shown != rightMonitor.Bounds || d.shows != 1 || d.hides != 1 {
		t.Errorf("board shown at %v %d times, hidden %d times; want at %v once, hidden once", d.shown, d.shows, d.hides, rightMonitor.Bounds)
	}
	for _, r := range rep.Targets {
		if !r.Expected.In(rightMonitor.Bounds) || r.Got == nil || !r.Got.In(rightMonitor.Bounds) {
			t.Errorf("target %d: expected %v, got %v; want both on monitor %v", r.Label, r.Expected, r.Got, rightMonitor.Bounds)
		}
	}
}

// TestRunCaptureOff: a capture that does not show the screen where the board
// was drawn is diagnosed before any model is asked.
func TestRunCaptureOff(t *testing.T) {
	tests := []struct {
		name    string
		capture func(*image.RGBA) *image.RGBA
		want    calibrate.Kind
	}{
		{"shifted", func(s *image.RGBA) *image.RGBA {
			out := image.NewRGBA(s.Rect)
			draw.Draw(out, s.Rect.Add(image.Pt(60, 40)), s, image.Point{}, draw.Src)
			return out
		}, calibrate.KindOffset},
		{"zoomed 1.25", func(s *image.RGBA) *image.RGBA {
			// A capture of the top-left 80 % stretched to the whole frame, as a
			// capture in logical pixels of a 125 % display would look.
			part := s.SubImage(image.Rect(0, 0, s.Rect.Dx()*4/5, s.Rect.Dy()*4/5)).(*image.RGBA)
			crop := image.NewRGBA(image.Rectangle{Max: part.Rect.Size()})
			draw.Draw(crop, crop.Rect, part, part.Rect.Min, draw.Src)
			return perception.Resize(crop, s.Rect.Size())
		}, calibrate.KindHiDPI},
		{"bottom row covered", func(s *image.RGBA) *image.RGBA {
			// A panel that stays above full-screen windows.
			draw.Draw(s, image.Rect(0, s.Rect.Dy()*85/100, s.Rect.Dx(), s.Rect.Dy()), image.Black, image.Point{}, draw.Src)
			return s
		}, calibrate.KindCovered},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &desk{monitor: rightMonitor, capture: tt.capture}
			c := &fakeClient{m: &calibratetest.Model{Convention: perception.ImagePixels}}
			rep, err := calibrate.Run(context.Background(), onScreen(t, d, c))
			if err != nil {
				t.Fatal(err)
			}
			if rep.Check == nil || rep.Check.OK || rep.OK() || rep.Diagnosis.Kind != tt.want {
				t.Fatalf("check %+v, diagnosis %s (%s); want a failed check diagnosed %s", rep.Check, rep.Diagnosis.Kind, rep.Diagnosis.Summary, tt.want)
			}
			blame := "deskhand's own screen capture"
			if tt.want == calibrate.KindCovered {
				blame = "covers part of the board"
			}
			if !strings.Contains(rep.Diagnosis.Summary, blame) || rep.Diagnosis.Fix == "" {
				t.Errorf("diagnosis %+v does not say %q, or has no fix", rep.Diagnosis, blame)
			}
			if len(c.reqs) != 0 || d.hides != 1 {
				t.Errorf("%d model requests, board hidden %d times; want none, once", len(c.reqs), d.hides)
			}
		})
	}
}

// TestRunBoardHidden: a board that never shows in the captures is a setup error
// that says what to do.
func TestRunBoardHidden(t *testing.T) {
	d := &desk{monitor: rightMonitor, ignore: true}
	_, err := calibrate.Run(context.Background(), onScreen(t, d, &fakeClient{m: &calibratetest.Model{}}))
	var he *calibrate.BoardHiddenError
	if !errors.As(err, &he) || he.Found != 0 || !strings.Contains(err.Error(), "--synthetic") {
		t.Fatalf("err = %v, want a *BoardHiddenError that suggests --synthetic", err)
	}
	if d.hides != 1 {
		t.Errorf("board hidden %d times, want once", d.hides)
	}
}

// TestRunNoWindow: where no board window can be shown, the board is sent as a
// synthetic frame, with a note saying what was not checked.
func TestRunNoWindow(t *testing.T) {
	d := &desk{monitor: rightMonitor}
	cfg := onScreen(t, d, &fakeClient{m: &calibratetest.Model{Convention: perception.ImagePixels}})
	cfg = calibrate.WithShow(cfg, func(context.Context, image.Rectangle, *image.RGBA) (func(), error) { return nil, calibrate.ErrNoWindow })
	rep, err := calibrate.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Mode != "synthetic" || !rep.OK() || !strings.Contains(strings.Join(rep.Notes, "\n"), "HiDPI") {
		t.Errorf("mode %q, OK %v, notes %q; want synthetic, OK, a note on what was not checked", rep.Mode, rep.OK(), rep.Notes)
	}
}

// TestRunStopped: Ctrl+C during a request ends the calibration with the stop
// as its error, and the board comes down.
func TestRunStopped(t *testing.T) {
	d := &desk{monitor: rightMonitor}
	c := &fakeClient{block: true}
	ctx, cancel := context.WithCancelCause(context.Background())
	go func() {
		for {
			c.mu.Lock()
			n := len(c.reqs)
			c.mu.Unlock()
			if n > 0 {
				cancel(planner.ErrStopped)
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	_, err := calibrate.Run(ctx, onScreen(t, d, c))
	if !errors.Is(err, planner.ErrStopped) {
		t.Fatalf("err = %v, want ErrStopped", err)
	}
	if d.hides != 1 {
		t.Errorf("board hidden %d times, want once", d.hides)
	}
}

// hidden is an adapter that does not say its convention.
type hidden struct{ planner.Adapter }

// TestRunProbesConvention: an adapter without a Convention method is read by
// its behaviour, and a wrong convention is still found.
func TestRunProbesConvention(t *testing.T) {
	for _, tt := range []struct {
		adapter string
		want    perception.Convention
	}{{"uitars15", perception.ImagePixels}, {"uitars10", perception.Relative1000}} {
		cfg, _ := synthetic(t, tt.adapter, &calibratetest.Model{Convention: perception.ImagePixels})
		cfg.Adapter = hidden{cfg.Adapter}
		rep, err := calibrate.Run(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Convention != tt.want {
			t.Errorf("%s: convention %q, want %q", tt.adapter, rep.Convention, tt.want)
		}
		want := calibrate.KindOK
		if tt.want != perception.ImagePixels {
			want = calibrate.KindConvention
		}
		if rep.Diagnosis.Kind != want {
			t.Errorf("%s: diagnosis %s (%s), want %s", tt.adapter, rep.Diagnosis.Kind, rep.Diagnosis.Summary, want)
		}
	}
}

// TestReportGolden: the text report, for a good model and one read with the
// wrong convention, against testdata (go test ./app/calibrate -update rewrites).
func TestReportGolden(t *testing.T) {
	for _, tt := range []struct {
		name    string
		adapter string
		writes  perception.Convention
	}{
		{"ok", "uitars15", perception.ImagePixels},
		{"wrong-convention", "uitars15", perception.Relative1000},
		{"unreadable", "uitars10", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := &calibratetest.Model{Convention: tt.writes}
			if tt.writes == "" {
				m.Format = func(x, y float64) string { return "I would click the circle." }
			}
			cfg, _ := synthetic(t, tt.adapter, m)
			// Only the UI-TARS pair, so the advice does not change with the registry.
			cfg.Alternatives = []planner.Adapter{adapter(t, "uitars15"), adapter(t, "uitars10")}
			rep, err := calibrate.Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := rep.WriteText(&buf); err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata", tt.name+".golden.txt"), buf.Bytes())
			// The JSON form round-trips.
			data, err := json.Marshal(rep)
			if err != nil {
				t.Fatal(err)
			}
			var back calibrate.Report
			if err := json.Unmarshal(data, &back); err != nil || back.Diagnosis.Kind != rep.Diagnosis.Kind || len(back.Targets) != 9 {
				t.Errorf("JSON round trip: %v, %+v", err, back.Diagnosis)
			}
		})
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./app/calibrate -update creates it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("report differs from %s (go test ./app/calibrate -update rewrites it)\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// BenchmarkRound is one whole synthetic calibration against an instant fake
// Ollama over HTTP: board, frame, nine requests with the image, parsing and the
// diagnosis. The fake finds targets once per distinct image, so its own cost
// after the first round is small.
func BenchmarkRound(b *testing.B) {
	srv := ollamatest.NewServer(ollamatest.Model{Name: "ui-tars-1.5:7b", Capabilities: []string{"completion", "vision"}, Architecture: "qwen25vl"})
	defer srv.Close()
	m := &calibratetest.Model{Convention: perception.ImagePixels}
	srv.Handle(m.Handle)
	cfg := calibrate.Config{Client: srv.Client(), Model: "ui-tars-1.5:7b", Adapter: adapter(b, "uitars15"),
		Monitor: perception.Monitor{Bounds: image.Rect(0, 0, 1920, 1080)}, Synthetic: true}
	for b.Loop() {
		rep, err := calibrate.Run(context.Background(), cfg)
		if err != nil || !rep.OK() {
			b.Fatal(err, rep.Diagnosis)
		}
	}
}

// A server that fails on tools: the calibration asks again with the tool in the
// prompt, as a run falls back, and still measures the model.
func TestToolsFallBackToText(t *testing.T) {
	cfg, c := synthetic(t, "qwen3vl", &calibratetest.Model{Convention: perception.Relative1000, Format: qwenToolCall})
	c.toolsFail = true
	rep, err := calibrate.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Diagnosis.Kind != calibrate.KindOK {
		t.Errorf("diagnosis %s (%s), want ok", rep.Diagnosis.Kind, rep.Diagnosis.Summary)
	}
	var text int
	for _, r := range c.reqs {
		if len(r.Tools) == 0 {
			text++
			if !strings.Contains(r.Messages[0].Content, "<tools>") {
				t.Errorf("a request without tools whose system message lacks the tool:\n%.300s", r.Messages[0].Content)
			}
		}
	}
	if text == 0 {
		t.Error("no request fell back to text")
	}
}
