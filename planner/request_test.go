package planner

import (
	"context"
	"errors"
	"image"
	"strings"
	"testing"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/deskhand/deskhand/perception"
	"github.com/deskhand/deskhand/planner/ollamatest"
)

func TestImageTokens(t *testing.T) {
	// The figures of models-ollama.md §4.2, computed there with Ollama's own resize.
	tests := []struct {
		grid perception.Grid
		size image.Point
		want int
	}{
		{perception.Grid{Factor: 28}, image.Pt(1904, 1064), 2584 + 2},
		{perception.Grid{Factor: 28}, image.Pt(1288, 728), 1196 + 2},
		{perception.Grid{Factor: 32}, image.Pt(1920, 1088), 2040 + 2},
		{perception.Grid{Factor: 32}, image.Pt(1280, 704), 880 + 2},
		{perception.Grid{}, image.Pt(1904, 1064), 2584 + 2},
		{perception.Grid{Factor: 28}, image.Point{}, 0},
	}
	for _, tt := range tests {
		if got := ImageTokens(tt.grid, tt.size); got != tt.want {
			t.Errorf("ImageTokens(%v, %v) = %d, want %d", tt.grid, tt.size, got, tt.want)
		}
	}
	// No screen costs more than the cap allows, and 1080p comes close to it.
	for _, f := range []int{28, 32} {
		g := perception.Grid{Factor: f}
		maxTok := MaxImageTokens(g)
		for _, screen := range []image.Point{{1280, 720}, {1920, 1080}, {2560, 1440}, {3840, 2160}, {1080, 1920}, {5120, 1440}} {
			if n := ImageTokens(g, g.Size(screen.X, screen.Y)); n > maxTok {
				t.Errorf("factor %d, screen %v: %d tokens > MaxImageTokens %d", f, screen, n, maxTok)
			}
		}
	}
	if got := MaxImageTokens(perception.Grid{Factor: 28}); got != 2676 {
		t.Errorf("MaxImageTokens(28) = %d, want 2676", got)
	}
	if got := MaxImageTokens(perception.Grid{Factor: 32}); got != 2050 {
		t.Errorf("MaxImageTokens(32) = %d, want 2050", got)
	}
}

// fixedCostAdapter spends 256 tokens on any image, like Gemma 3.
type fixedCostAdapter struct{ fakeAdapter }

func (fixedCostAdapter) MaxImageTokens() int { return 256 }

func TestNeededContext(t *testing.T) {
	tests := []struct {
		name                string
		a                   Adapter
		keep, steps, ctxLen int
		want                int
	}{
		// 5×2676 + 30×200 + 1024 + 256 + a few of the opening: 21,4xx → 22,528.
		{"qwen2.5-vl defaults", fakeAdapter{}, 3, 30, 0, 22528},
		{"fewer steps", fakeAdapter{}, 3, 10, 0, 18432},
		{"more screenshots", fakeAdapter{}, 6, 30, 0, 30720},
		{"capped by the model", fakeAdapter{}, 3, 30, 8192, 8192},
		{"never below the default", fixedCostAdapter{}, 3, 10, 0, DefaultNumCtx},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NeededContext(tt.a, tt.keep, tt.steps, DefaultNumPredict, tt.ctxLen)
			if got != tt.want {
				t.Errorf("NeededContext = %d, want %d", got, tt.want)
			}
			if tt.ctxLen == 0 && got%2048 != 0 {
				t.Errorf("%d is not a multiple of 2048", got)
			}
		})
	}
	// The task does not change it: a new num_ctx would reload the model.
	a, _, _, _ := newAgent(&scriptedChat{replies: []any{`{"type":"done","text":"ok"}`}}, nil)
	b, _, _, _ := newAgent(&scriptedChat{replies: []any{`{"type":"done","text":"ok"}`}}, nil)
	var ctxA, ctxB int
	a.Events = func(e Event) {
		if e.Kind == RunStarted {
			ctxA = e.NumCtx
		}
	}
	b.Events = func(e Event) {
		if e.Kind == RunStarted {
			ctxB = e.NumCtx
		}
	}
	a.Run(context.Background(), "x")
	b.Run(context.Background(), strings.Repeat("a much longer task ", 20))
	if ctxA != ctxB || ctxA != 22528 {
		t.Errorf("num_ctx %d and %d, want 22528 for both", ctxA, ctxB)
	}
}

func TestRequestSettings(t *testing.T) {
	yes, no := true, false
	thinker := ModelInfo{Name: "m", Capabilities: []string{"completion", "vision", "thinking"}, ContextLength: 262144}
	plain := ModelInfo{Name: "m", Capabilities: []string{"completion", "vision"}, ContextLength: 8192}
	tests := []struct {
		name      string
		info      ModelInfo
		think     *bool
		numCtx    int
		wantThink *bool
		wantCtx   int
	}{
		{"unknown model, no choice", ModelInfo{}, nil, 0, nil, 22528},
		{"unknown model, user says no", ModelInfo{}, &no, 0, &no, 22528},
		{"thinker, no choice", thinker, nil, 0, &yes, 22528},
		{"thinker, user says no", thinker, &no, 0, &no, 22528},
		{"plain model, user says yes", plain, &yes, 0, &no, 8192},
		{"set by hand", thinker, nil, 32768, &yes, 32768},
		{"set by hand, capped", plain, nil, 32768, &no, 8192},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chat := &scriptedChat{replies: []any{`{"type":"click","x":10,"y":10}`, `{"type":"done","text":"ok"}`}}
			a, _, _, _ := newAgent(chat, nil)
			a.Info, a.Think, a.NumCtx = tt.info, tt.think, tt.numCtx
			if _, err := a.Run(context.Background(), "x"); err != nil {
				t.Fatal(err)
			}
			all := append(append([]*api.ChatRequest(nil), chat.loads...), chat.requests...)
			if len(chat.loads) != 1 || len(all) != 3 {
				t.Fatalf("%d loads, %d requests; want one load, then two", len(chat.loads), len(chat.requests))
			}
			for i, r := range all {
				switch {
				case tt.wantThink == nil && r.Think != nil:
					t.Errorf("request %d: think = %v, want it unset", i, r.Think.Value)
				case tt.wantThink != nil && (r.Think == nil || r.Think.Bool() != *tt.wantThink):
					t.Errorf("request %d: think = %v, want %v", i, r.Think, *tt.wantThink)
				}
				if r.Options["num_ctx"] != tt.wantCtx {
					t.Errorf("request %d: num_ctx = %v, want %d", i, r.Options["num_ctx"], tt.wantCtx)
				}
				if r.KeepAlive == nil || r.KeepAlive.Duration != DefaultKeepAlive {
					t.Errorf("request %d: keep_alive = %v", i, r.KeepAlive)
				}
				if r.Options["num_predict"] != DefaultNumPredict || r.Options["seed"] != Seed {
					t.Errorf("request %d: options %v", i, r.Options)
				}
			}
		})
	}
}

// installed is a model the fake Ollama has, with the capabilities the tests need.
var installed = ollamatest.Model{Name: "m", Capabilities: []string{"completion", "vision", "tools"}, Architecture: "qwen3vl", ContextLength: 262144}

// fakeAgent is an agent that talks to srv over HTTP.
func fakeAgent(srv *ollamatest.Server, a Adapter) (*Agent, *[]Event) {
	ag, _, _, events := newAgent(nil, nil)
	ag.Client, ag.Model, ag.Host = srv.Client(), "m", srv.URL
	if a != nil {
		ag.Adapter = a
	}
	return ag, events
}

func kinds(events []Event) string {
	var k []string
	for _, e := range events {
		if e.Kind != ThinkingDelta && e.Kind != ContentDelta {
			k = append(k, string(e.Kind))
		}
	}
	return strings.Join(k, " ")
}

func TestWarmUp(t *testing.T) {
	srv := ollamatest.NewServer(installed)
	defer srv.Close()
	srv.Script(ollamatest.Reply{Content: `{"type":"click","x":10,"y":10}`}, ollamatest.Reply{Content: `{"type":"done","text":"ok"}`})
	a, events := fakeAgent(srv, nil)
	if _, err := a.Run(context.Background(), "x"); err != nil {
		t.Fatal(err)
	}
	reqs := srv.ChatRequests()
	if len(reqs) != 3 {
		t.Fatalf("%d chat requests, want a load and two steps", len(reqs))
	}
	load := reqs[0].Chat
	if len(load.Messages) != 0 {
		t.Errorf("the warm-up sent %d messages, want none (Ollama's preload)", len(load.Messages))
	}
	for i, r := range reqs[1:] {
		c := r.Chat
		// JSON numbers come back as float64: compare them as the server saw them.
		if c.Model != load.Model || c.KeepAlive.Duration != load.KeepAlive.Duration ||
			c.Options["num_ctx"] != load.Options["num_ctx"] || c.Options["seed"] != load.Options["seed"] {
			t.Errorf("step %d: model %q keep_alive %v options %v differ from the warm-up's %q %v %v",
				i+1, c.Model, c.KeepAlive, c.Options, load.Model, load.KeepAlive, load.Options)
		}
	}
	got := kinds(*events)
	if !strings.HasPrefix(got, "run_started model_loading model_loaded step_started") {
		t.Errorf("events: %s", got)
	}
	for _, e := range *events {
		if e.Kind == ModelLoaded && e.Millis["load"] <= 0 {
			t.Errorf("model_loaded without a load time: %v", e.Millis)
		}
	}
}

func TestWarmUpCanBeStopped(t *testing.T) {
	chat := &scriptedChat{loadErr: nil}
	blocking := &blockingLoad{scriptedChat: chat, started: make(chan struct{})}
	a, _, _, _ := newAgent(chat, nil)
	a.Client = blocking
	ctx, cancel := context.WithCancelCause(context.Background())
	done := make(chan struct{})
	var res Result
	var err error
	go func() { res, err = a.Run(ctx, "x"); close(done) }()
	<-blocking.started
	cancel(ErrStopped)
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Run did not return after Stop during the warm-up")
	}
	if res.Status != StatusStopped || !errors.Is(err, ErrStopped) {
		t.Errorf("Run = %q, %v; want stopped", res.Status, err)
	}
}

// blockingLoad hangs on model loads until ctx ends.
type blockingLoad struct {
	*scriptedChat
	started chan struct{}
}

func (b *blockingLoad) Chat(ctx context.Context, req *api.ChatRequest, fn api.ChatResponseFunc) error {
	if len(req.Messages) == 0 {
		close(b.started)
		<-ctx.Done()
		return ctx.Err()
	}
	return b.scriptedChat.Chat(ctx, req, fn)
}

// toolAdapter sends a tool, like the qwen3vl adapter's computer_use.
type toolAdapter struct{ fakeAdapter }

func (toolAdapter) Configure(req *api.ChatRequest) {
	req.Tools = api.Tools{{Type: "function", Function: api.ToolFunction{Name: "computer_use", Description: "use the computer"}}}
}

// textAdapter also has a text format without tools.
type textAdapter struct{ toolAdapter }

func (textAdapter) ConfigureText(req *api.ChatRequest) {
	req.Tools = nil
	req.Format = []byte(`"json"`)
}

func TestFailures(t *testing.T) {
	click := ollamatest.Reply{Content: `{"type":"click","x":10,"y":10}`}
	done := ollamatest.Reply{Content: `{"type":"done","text":"ok"}`}
	noTools := ollamatest.Model{Name: "m", Capabilities: []string{"completion", "vision"}, Architecture: "qwen3vl"}
	tests := []struct {
		name      string
		model     *ollamatest.Model // nil: not installed
		adapter   Adapter
		script    []ollamatest.Reply
		timeouts  Timeouts
		wantErrAs any
		wantText  string // in the error
		wantEvent EventKind
		check     func(t *testing.T, reqs []ollamatest.Request)
	}{
		{name: "model missing", model: nil, wantErrAs: new(*ModelMissingError), wantText: "ollama pull m"},
		{name: "tools refused", model: &noTools, adapter: toolAdapter{}, wantErrAs: new(*CapabilityError), wantText: "does not support tool calls"},
		{name: "tools refused, text instead", model: &noTools, adapter: textAdapter{}, script: []ollamatest.Reply{done},
			wantEvent: SwitchedToText, check: noToolsAfter(1)},
		{name: "tool call unreadable (ollama#14492)", adapter: textAdapter{},
			script:    []ollamatest.Reply{{Status: 500, Error: "qwen3 tool call parsing failed: unexpected end of JSON input"}, done},
			wantEvent: SwitchedToText, check: noToolsAfter(2)},
		{name: "tool call unreadable mid-reply", adapter: textAdapter{},
			script:    []ollamatest.Reply{{Content: "I will", Error: "qwen3 tool call parsing failed"}, done},
			wantEvent: SwitchedToText, check: noToolsAfter(2)},
		{name: "server error, no text format", adapter: toolAdapter{},
			script: []ollamatest.Reply{{Status: 500, Error: "model runner has unexpectedly stopped"}, done}, wantEvent: ReplyRejected},
		{name: "unreadable reply gets a corrective note",
			script: []ollamatest.Reply{{Status: 500, Error: "failed to parse JSON: unexpected end"}, done}, wantEvent: ReplyRejected,
			check: func(t *testing.T, reqs []ollamatest.Request) {
				msgs := reqs[2].Chat.Messages
				if last := msgs[len(msgs)-1]; !strings.Contains(last.Content, "could not be read (failed to parse JSON") {
					t.Errorf("the retry ends with %+v, want a corrective note", last)
				}
			}},
		{name: "context overflow", script: []ollamatest.Reply{{Status: 400, Error: "the input length exceeds the context length"}},
			wantErrAs: new(*ContextOverflowError), wantText: "22528 tokens"},
		{name: "no first token in time", script: []ollamatest.Reply{{Hang: true}},
			timeouts:  Timeouts{FirstToken: 200 * time.Millisecond, Total: time.Minute},
			wantErrAs: new(*TimeoutError), wantText: "did not start to answer within 200ms"},
		{name: "reply too slow", script: []ollamatest.Reply{{Content: "a b c d e f g h", ChunkDelay: 100 * time.Millisecond}},
			timeouts:  Timeouts{FirstToken: time.Minute, Total: 300 * time.Millisecond},
			wantErrAs: new(*TimeoutError), wantText: "did not finish its reply"},
		{name: "timeouts adapt", script: []ollamatest.Reply{click, {Content: "a b c", Delay: 400 * time.Millisecond}},
			timeouts:  Timeouts{MinFirstToken: 100 * time.Millisecond, MinTotal: 200 * time.Millisecond},
			wantErrAs: new(*TimeoutError), wantText: "its slowest reply so far took"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := installed
			if tt.model != nil {
				m = *tt.model
			}
			srv := ollamatest.NewServer()
			defer srv.Close()
			if tt.name != "model missing" {
				srv.Install(m)
			}
			srv.Script(tt.script...)
			a, events := fakeAgent(srv, tt.adapter)
			a.Timeouts = tt.timeouts
			t0 := time.Now()
			res, err := a.Run(context.Background(), "x")
			if elapsed := time.Since(t0); elapsed > 5*time.Second {
				t.Errorf("the run took %v", elapsed)
			}
			if tt.wantErrAs != nil {
				if !errors.As(err, tt.wantErrAs) || !strings.Contains(err.Error(), tt.wantText) {
					t.Fatalf("err = %v (%T), want %T containing %q", err, err, tt.wantErrAs, tt.wantText)
				}
				if res.Status != StatusFailed {
					t.Errorf("status %q, want failed", res.Status)
				}
			} else if err != nil || res.Status != StatusDone {
				t.Fatalf("Run = %q, %v; want done", res.Status, err)
			}
			if tt.wantEvent != "" && !strings.Contains(kinds(*events), string(tt.wantEvent)) {
				t.Errorf("no %s event: %s", tt.wantEvent, kinds(*events))
			}
			if tt.check != nil {
				tt.check(t, srv.ChatRequests())
			}
		})
	}
}

// noToolsAfter checks that the chat requests from the i-th on (0 is the warm-up)
// carry no tools and the text format, and the ones before carry tools.
func noToolsAfter(i int) func(t *testing.T, reqs []ollamatest.Request) {
	return func(t *testing.T, reqs []ollamatest.Request) {
		for j, r := range reqs {
			tools := len(r.Chat.Tools) > 0
			if want := j < i; tools != want {
				t.Errorf("request %d: tools %v, want %v", j, tools, want)
			}
			if j >= i && string(r.Chat.Format) != `"json"` {
				t.Errorf("request %d: format %s, want the text fallback's", j, r.Chat.Format)
			}
		}
	}
}

func TestTimeoutLimits(t *testing.T) {
	var def Timeouts
	if f, total := def.limits(pace{}, 1); f != DefaultFirstToken || total != DefaultTotal {
		t.Errorf("before any reply: %v, %v", f, total)
	}
	var p pace
	p.observe(2*time.Second, 5*time.Second, 1) // a step: one new screenshot
	tests := []struct {
		name       string
		t          Timeouts
		images     int
		first, tot time.Duration
	}{
		{"floors", def, 1, DefaultMinFirstToken, DefaultMinTotal},
		{"slow model", Timeouts{}, 40, 320 * time.Second, 320*time.Second + 12*time.Second},
		{"low floors", Timeouts{MinFirstToken: time.Second, MinTotal: time.Second}, 1, 8 * time.Second, 20 * time.Second},
		{"after a batch drop", Timeouts{MinFirstToken: time.Second, MinTotal: time.Second}, 3, 24 * time.Second, 36 * time.Second},
		{"factor 2", Timeouts{MinFirstToken: time.Second, MinTotal: time.Second, Factor: 2}, 1, 4 * time.Second, 10 * time.Second},
	}
	for _, tt := range tests {
		f, total := tt.t.limits(p, tt.images)
		if f != tt.first || total != tt.tot {
			t.Errorf("%s: limits = %v, %v; want %v, %v", tt.name, f, total, tt.first, tt.tot)
		}
	}
	var q pace
	q.observe(6*time.Second, 7*time.Second, 3) // a step after a batch drop
	q.observe(1*time.Second, 3*time.Second, 1)
	if q.perImage != 2*time.Second || q.gen != 2*time.Second || q.slowest != 7*time.Second {
		t.Errorf("pace = %+v", q)
	}
}

func TestCapabilityErrorText(t *testing.T) {
	for _, tt := range []struct{ msg, capability string }{
		{"registry.ollama.ai/library/qwen2.5vl:7b does not support tools", "tools"},
		{`"gemma3:4b" does not support thinking`, "thinking"},
		{`"nomic-embed-text" does not support chat`, "chat"},
		{"something else does not support insert", ""},
	} {
		err := classify(api.StatusError{StatusCode: 400, ErrorMessage: tt.msg}, "h", "m")
		var ce *CapabilityError
		if !errors.As(err, &ce) || ce.Capability != tt.capability {
			t.Errorf("%q: %v (%T), want capability %q", tt.msg, err, err, tt.capability)
		}
	}
}

func TestWarmUpTimeout(t *testing.T) {
	chat := &scriptedChat{}
	a, _, _, _ := newAgent(chat, nil)
	a.Client = &blockingLoad{scriptedChat: chat, started: make(chan struct{})}
	a.Timeouts = Timeouts{FirstToken: 50 * time.Millisecond}
	_, err := a.Run(context.Background(), "x")
	var te *TimeoutError
	if !errors.As(err, &te) || !te.Loading || !strings.Contains(err.Error(), "did not finish loading within 50ms") {
		t.Errorf("Run = %v, want a load timeout", err)
	}
}

func TestOutputLimitIsNotRetried(t *testing.T) {
	srv := ollamatest.NewServer(installed)
	defer srv.Close()
	srv.Script(ollamatest.Reply{DoneReason: "length"}, ollamatest.Reply{Content: `{"type":"done","text":"ok"}`})
	a, _, _, _ := newAgent(nil, nil)
	a.Client, a.Model = srv.Client(), "m"
	_, err := a.Run(context.Background(), "x")
	if !errors.Is(err, errOutputLimit) || len(srv.PromptRequests()) != 1 {
		t.Errorf("Run = %v after %d requests, want the output limit after one", err, len(srv.PromptRequests()))
	}
}
