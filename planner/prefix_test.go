package planner

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/deskhand/deskhand/perception"
	"github.com/deskhand/deskhand/planner/ollamatest"
)

// These measure the two figures of issue #5 on a 20-step run at 1920x1080 on a
// static screen, against the fake Ollama answering at once: how much of each
// request repeats the previous one byte for byte (what Ollama's prompt cache can
// reuse), and the agent's own time per step.

const prefixSteps = 20

// desktopPNG is a 1904x1064 screenshot-like PNG: windows with lines of
// glyph-sized marks, encoded as perception does (PNG, fastest compression), so
// the image bytes weigh in a request what a real screenshot weighs.
var desktopPNG = sync.OnceValue(func() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 1904, 1064))
	rng := rand.New(rand.NewPCG(5, 5))
	fill := func(r image.Rectangle, c color.RGBA) {
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				img.SetRGBA(x, y, c)
			}
		}
	}
	fill(img.Rect, color.RGBA{48, 64, 96, 255})
	for _, w := range []image.Rectangle{image.Rect(20, 20, 940, 700), image.Rect(960, 20, 1880, 700), image.Rect(300, 620, 1500, 1040)} {
		fill(w, color.RGBA{250, 250, 250, 255})
		fill(image.Rect(w.Min.X, w.Min.Y, w.Max.X, w.Min.Y+28), color.RGBA{220, 220, 225, 255})
		for y := w.Min.Y + 40; y+12 < w.Max.Y; y += 18 {
			for x := w.Min.X + 8; x+8 < w.Max.X-rng.IntN(300); x += 8 {
				if rng.IntN(6) == 0 {
					continue // a space
				}
				for i := 0; i < 14; i++ {
					img.SetRGBA(x+rng.IntN(6), y+rng.IntN(12), color.RGBA{20, 20, 20, 255})
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img); err != nil {
		panic(err)
	}
	return buf.Bytes()
})

// promptAdapter is fakeAdapter with an opening as long as UI-TARS-1.5's.
type promptAdapter struct{ fakeAdapter }

func (promptAdapter) Start(task string) []api.Message {
	return []api.Message{
		{Role: "system", Content: "You are a helpful assistant."},
		{Role: "user", Content: strings.Repeat("You are a GUI agent. Reply with one action as JSON. ", 25) + "\n## Task\n" + task},
	}
}

// prefixRun runs prefixSteps steps against a fresh fake Ollama, each reply a click
// somewhere new and the last one done, and returns the events and chat requests.
func prefixRun(tb testing.TB) ([]Event, []ollamatest.Request) {
	srv := ollamatest.NewServer(ollamatest.Model{Name: "m", Capabilities: []string{"completion", "vision"}, Architecture: "qwen25vl"})
	defer srv.Close()
	srv.Handle(func(req *api.ChatRequest) ollamatest.Reply {
		step := 1
		for _, m := range req.Messages {
			if m.Role == "assistant" {
				step++
			}
		}
		if step == prefixSteps {
			return ollamatest.Reply{Content: `{"type":"done","text":"all saved"}`}
		}
		return ollamatest.Reply{Content: fmt.Sprintf(`{"type":"click","x":%d,"y":%d,"thought":"The file list is open; I click the next report to select it before renaming it."}`, 100+40*step, 80+30*step)}
	})
	var events []Event
	a := &Agent{
		Screen: &fakeScreen{static: desktopPNG()}, Actuator: &fakeHands{}, Client: srv.Client(), Adapter: promptAdapter{},
		Policy: ConfirmNone, Model: "m", Host: srv.URL, MaxSteps: prefixSteps,
		Events: func(e Event) { events = append(events, e) },
	}
	res, err := a.Run(context.Background(), "rename every report in Documents to its date")
	if err != nil || res.Status != StatusDone || res.Steps != prefixSteps {
		tb.Fatalf("Run = %+v, %v; want done after %d steps", res, err, prefixSteps)
	}
	var chats []ollamatest.Request
	for _, r := range srv.ChatRequests() {
		if r.Chat != nil && len(r.Chat.Messages) > 0 { // leave the warm-up out
			chats = append(chats, r)
		}
	}
	return events, chats
}

// rendered serialises messages the way they reach the model, in order: role,
// content, image bytes, tool calls. With tokens, each image is instead as many
// bytes as it has tokens times four (the bytes of text per token), so that
// shares come out weighted by tokens, as Ollama's cache counts.
func rendered(msgs []api.Message, tokens bool) []byte {
	var b bytes.Buffer
	for _, m := range msgs {
		b.WriteString("<|" + m.Role + "|>" + m.Content)
		for _, img := range m.Images {
			if !tokens {
				b.Write(img)
				continue
			}
			cfg, _, err := image.DecodeConfig(bytes.NewReader(img))
			if err != nil {
				panic(err)
			}
			h := sha256.Sum256(img)
			n := 4 * ImageTokens(perception.Grid{Factor: 28}, image.Pt(cfg.Width, cfg.Height))
			b.Write(bytes.Repeat(h[:], n/len(h)+1)[:n])
		}
		for _, c := range m.ToolCalls {
			b.WriteString(c.Function.Name + c.Function.Arguments.String())
		}
		b.WriteString("<|end|>")
	}
	return b.Bytes()
}

// reuse is what request i repeats of request i-1.
type reuse struct {
	step        int
	drop        bool    // older screenshots were dropped before this request
	ofRequest   float64 // share of this request's bytes
	ofPrevious  float64 // share of the previous request's bytes
	ofTokens    float64 // share of this request's tokens
	newBytes    int     // bytes after the common prefix
	appended    int     // bytes of the messages added since the previous request
	images      int
	requestSize int
}

func measureReuse(chats []ollamatest.Request) []reuse {
	var out []reuse
	for i := 1; i < len(chats); i++ {
		prev, cur := chats[i-1].Chat.Messages, chats[i].Chat.Messages
		p, c := rendered(prev, false), rendered(cur, false)
		pt, ct := rendered(prev, true), rendered(cur, true)
		common, commonTok := lcp(p, c), lcp(pt, ct)
		imgs := func(ms []api.Message) (n int) {
			for _, m := range ms {
				n += len(m.Images)
			}
			return n
		}
		out = append(out, reuse{
			step: i + 1, drop: imgs(cur) <= imgs(prev),
			ofRequest: float64(common) / float64(len(c)), ofPrevious: float64(common) / float64(len(p)),
			ofTokens: float64(commonTok) / float64(len(ct)),
			newBytes: len(c) - common, appended: len(rendered(cur[len(prev):], false)),
			images: imgs(cur), requestSize: len(c),
		})
	}
	return out
}

func lcp(a, b []byte) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// stepTimes returns, per step, its wall time and the agent's own part of it:
// the wall time less the time the fake server spent on the step's request, from
// its first byte read to its last byte written. What the fake spends is what
// Ollama would spend (and more: it decodes each request thrice); what remains is
// the agent's, building and encoding the request included.
func stepTimes(events []Event, chats []ollamatest.Request) (wall, own []float64) {
	var start time.Time
	step := 0
	for _, e := range events {
		if e.Kind != StepStarted && e.Kind != RunFinished {
			continue
		}
		if !start.IsZero() {
			d := ms(e.Time.Sub(start))
			wall = append(wall, d)
			if step-1 < len(chats) {
				r := chats[step-1]
				d -= ms(r.End.Sub(r.Time))
			}
			own = append(own, d)
		}
		start = e.Time
		step++
	}
	return wall, own
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}

func TestPrefixReuse(t *testing.T) {
	events, chats := prefixRun(t)
	if len(chats) != prefixSteps {
		t.Fatalf("%d chat requests, want %d", len(chats), prefixSteps)
	}
	drops := 0
	minReq, minTok := 1.0, 1.0
	for _, r := range measureReuse(chats) {
		t.Logf("request %2d: %d images, %7d bytes, %5.1f%% of it repeats the previous request (%5.1f%% of the tokens), %5.1f%% of the previous repeated%s",
			r.step, r.images, r.requestSize, 100*r.ofRequest, 100*r.ofTokens, 100*r.ofPrevious, map[bool]string{true: " — batch drop"}[r.drop])
		if r.drop {
			drops++
			continue
		}
		// Append-only: all of the previous request is this one's prefix (the goal
		// is 90 %), and all that is new is the messages added since.
		if r.ofPrevious < 0.9 || r.newBytes != r.appended {
			t.Errorf("request %d: %.1f%% of the previous request repeated, %d new bytes for %d appended", r.step, 100*r.ofPrevious, r.newBytes, r.appended)
		}
		// Of this request, all but the new screenshot and its turn repeat: with n
		// screenshots, (n-1)/n of the image bytes. A fixed share such as 90 % is
		// out of reach while a screenshot is most of a step's bytes and tokens.
		if want := 0.99 * float64(r.images-1) / float64(r.images); r.ofRequest < want || r.ofTokens < want {
			t.Errorf("request %d: %.1f%% of its bytes and %.1f%% of its tokens repeat, want ≥ %.1f%%", r.step, 100*r.ofRequest, 100*r.ofTokens, 100*want)
		}
		if r.step > 2 {
			minReq, minTok = min(minReq, r.ofRequest), min(minTok, r.ofTokens)
		}
	}
	// Three kept, dropped in batches of three: steps 6, 9, 12, 15 and 18.
	if drops != 5 {
		t.Errorf("%d batch drops in %d steps, want 5", drops, prefixSteps)
	}
	wall, own := stepTimes(events, chats)
	t.Logf("screenshot %d bytes; outside drops and from step 3, each request repeats ≥ %.1f%% of its bytes and ≥ %.1f%% of its tokens; median step %.2f ms, %.2f ms of it the agent's own",
		len(desktopPNG()), 100*minReq, 100*minTok, median(wall), median(own))
}

// BenchmarkRun20 runs the 20-step run and reports the agent's own time per step
// (median, the fake model's round trip excluded), the median wall time per step,
// and the least share of a request, outside batch drops, that repeats the
// previous request (bytes, and tokens).
func BenchmarkRun20(b *testing.B) {
	desktopPNG()
	var wall, own, reqShare, tokShare []float64
	for b.Loop() {
		events, chats := prefixRun(b)
		w, o := stepTimes(events, chats)
		wall, own = append(wall, w...), append(own, o...)
		for _, r := range measureReuse(chats) {
			if !r.drop {
				reqShare, tokShare = append(reqShare, r.ofRequest), append(tokShare, r.ofTokens)
			}
		}
	}
	b.ReportMetric(median(own), "own-ms/step")
	b.ReportMetric(median(wall), "wall-ms/step")
	b.ReportMetric(100*slices.Min(reqShare), "%bytes-reused-min")
	b.ReportMetric(100*median(reqShare), "%bytes-reused-median")
	b.ReportMetric(100*median(tokShare), "%tokens-reused-median")
}
