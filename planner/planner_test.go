package planner

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/deskhand/deskhand/actuation"
	"github.com/deskhand/deskhand/perception"
)

// fakeScreen returns 1920x1080 frames sent as 1904x1064 images. Each capture's
// bytes differ (the screen changes) unless static is set, which every capture
// returns.
type fakeScreen struct {
	mu       sync.Mutex
	captures int
	settles  int
	static   []byte
}

func (s *fakeScreen) Capture(ctx context.Context, g perception.Grid) (perception.Frame, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.captures++
	data := s.static
	if data == nil {
		data = []byte{byte(s.captures), 'p', 'n', 'g'}
	}
	return perception.Frame{
		Bounds: image.Rect(0, 0, 1920, 1080), Captured: image.Pt(1920, 1080), Scale: 1,
		Image: g.Size(1920, 1080), Data: data, MIME: "image/png",
	}, nil
}

func (s *fakeScreen) Settle(ctx context.Context, max time.Duration) error {
	s.mu.Lock()
	s.settles++
	s.mu.Unlock()
	return ctx.Err()
}

type fakeHands struct {
	mu   sync.Mutex
	done []actuation.Action
	err  error
}

func (h *fakeHands) Do(ctx context.Context, a actuation.Action) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.err != nil {
		return h.err
	}
	h.done = append(h.done, a)
	return nil
}

// fakeAdapter speaks a tiny grammar: the reply is one action as contract JSON, with
// x/y in pixels of the image the model saw.
type fakeAdapter struct{}

func (fakeAdapter) Name() string          { return "fake" }
func (fakeAdapter) Grid() perception.Grid { return perception.Grid{Factor: 28} }
func (fakeAdapter) Start(task string) []api.Message {
	return []api.Message{{Role: "system", Content: "SYSTEM"}, {Role: "user", Content: "TASK: " + task}}
}
func (fakeAdapter) Observe(f perception.Frame, note string) api.Message {
	return api.Message{Role: "user", Content: note, Images: []api.ImageData{f.Data}}
}
func (fakeAdapter) Configure(req *api.ChatRequest) {}
func (fakeAdapter) Parse(reply api.Message, f perception.Frame) (Decision, error) {
	var a actuation.Action
	if err := json.Unmarshal([]byte(reply.Content), &a); err != nil {
		return Decision{}, BadOutput(reply.Content, "not JSON: %v", err)
	}
	if p, ok := a.Point(); ok {
		q, err := f.ToScreen(float64(p.X), float64(p.Y), perception.ImagePixels)
		if err != nil {
			return Decision{}, BadOutput(reply.Content, "%v", err)
		}
		a.X, a.Y = &q.X, &q.Y
	}
	return Decision{Thought: a.Thought, Actions: []actuation.Action{a}, Raw: reply.Content}, nil
}

// scriptedChat replies with one scripted item per request: a reply text or an error.
// A request without messages is a model load, answered at once like Ollama does
// (done_reason "load"), recorded in loads and not in requests.
type scriptedChat struct {
	mu       sync.Mutex
	replies  []any // string or error
	requests []*api.ChatRequest
	loads    []*api.ChatRequest
	block    bool  // block until ctx is done
	loadErr  error // the answer to loads, if not nil
}

func (c *scriptedChat) Chat(ctx context.Context, req *api.ChatRequest, fn api.ChatResponseFunc) error {
	c.mu.Lock()
	if len(req.Messages) == 0 {
		c.loads = append(c.loads, req)
		err := c.loadErr
		c.mu.Unlock()
		if err != nil {
			return err
		}
		return fn(api.ChatResponse{Message: api.Message{Role: "assistant"}, Done: true, DoneReason: "load"})
	}
	cp := *req
	cp.Messages = append([]api.Message(nil), req.Messages...)
	c.requests = append(c.requests, &cp)
	if c.block {
		c.mu.Unlock()
		<-ctx.Done()
		return ctx.Err()
	}
	if len(c.replies) == 0 {
		c.mu.Unlock()
		return errors.New("script exhausted")
	}
	r := c.replies[0]
	c.replies = c.replies[1:]
	c.mu.Unlock()
	switch r := r.(type) {
	case error:
		return r
	case string:
		half := len(r) / 2
		if err := fn(api.ChatResponse{Message: api.Message{Role: "assistant", Content: r[:half]}}); err != nil {
			return err
		}
		return fn(api.ChatResponse{Message: api.Message{Role: "assistant", Content: r[half:]}, Done: true, DoneReason: "stop",
			Metrics: api.Metrics{PromptEvalCount: 100, EvalCount: 20}})
	}
	panic("bad script")
}

func approveAll(context.Context, ApprovalRequest) (Approval, error) {
	return Approval{Verdict: Approve}, nil
}

func newAgent(chat *scriptedChat, ap ApproverFunc) (*Agent, *fakeScreen, *fakeHands, *[]Event) {
	var events []Event
	var mu sync.Mutex
	s, h := &fakeScreen{}, &fakeHands{}
	if ap == nil {
		ap = approveAll
	}
	return &Agent{
		Screen: s, Actuator: h, Client: chat, Adapter: fakeAdapter{}, Approver: ap, Model: "m",
		Events: func(e Event) { mu.Lock(); events = append(events, e); mu.Unlock() },
	}, s, h, &events
}

func TestRunOutcomes(t *testing.T) {
	click := `{"type":"click","x":952,"y":532,"thought":"the middle"}`
	tests := []struct {
		name       string
		replies    []any
		maxSteps   int
		wantStatus Status
		wantErr    error // matched with errors.Is; nil means no error
		wantErrAs  any
		wantActs   int
		wantReqs   int
	}{
		{"done at once", []any{`{"type":"done","text":"ok"}`}, 0, StatusDone, nil, nil, 0, 1},
		{"click then done", []any{click, `{"type":"done","text":"ok"}`}, 0, StatusDone, nil, nil, 1, 2},
		{"fail", []any{`{"type":"fail","text":"no app"}`}, 0, StatusFailed, nil, new(*GaveUpError), 0, 1},
		{"ask user", []any{`{"type":"ask_user","text":"password?"}`}, 0, StatusAsked, nil, new(*AskUserError), 0, 1},
		{"step limit", []any{click, click, click}, 2, StatusLimit, ErrStepLimit, nil, 2, 2},
		{"bad then good", []any{"I think I should click", `{"type":"done","text":"ok"}`}, 0, StatusDone, nil, nil, 0, 2},
		{"bad twice", []any{"nonsense", "still nonsense"}, 0, StatusFailed, ErrBadOutput, new(*UnparsableError), 0, 2},
		{"server error retried", []any{api.StatusError{StatusCode: 500, ErrorMessage: "runner crashed"}, `{"type":"done","text":"ok"}`}, 0, StatusDone, nil, nil, 0, 2},
		{"server errors give up", []any{api.StatusError{StatusCode: 500}, api.StatusError{StatusCode: 502}, api.StatusError{StatusCode: 500}}, 0, StatusFailed, nil, new(api.StatusError), 0, 3},
		{"off-screen click rejected", []any{`{"type":"click","x":5000,"y":10}`, `{"type":"done","text":"ok"}`}, 0, StatusDone, nil, nil, 0, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chat := &scriptedChat{replies: tt.replies}
			a, _, hands, _ := newAgent(chat, nil)
			a.MaxSteps = tt.maxSteps
			res, err := a.Run(context.Background(), "do it")
			if res.Status != tt.wantStatus {
				t.Errorf("status = %q, want %q (err %v)", res.Status, tt.wantStatus, err)
			}
			if tt.wantErr == nil && tt.wantErrAs == nil && err != nil {
				t.Errorf("err = %v, want nil", err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErrAs != nil && !errors.As(err, tt.wantErrAs) {
				t.Errorf("err = %v (%T), want %T", err, err, tt.wantErrAs)
			}
			if len(hands.done) != tt.wantActs {
				t.Errorf("actions done = %d, want %d: %v", len(hands.done), tt.wantActs, hands.done)
			}
			if len(chat.requests) != tt.wantReqs {
				t.Errorf("requests = %d, want %d", len(chat.requests), tt.wantReqs)
			}
		})
	}
}

func TestClickIsMappedToScreen(t *testing.T) {
	chat := &scriptedChat{replies: []any{`{"type":"click","x":952,"y":532}`, `{"type":"done","text":"ok"}`}}
	a, screen, hands, _ := newAgent(chat, nil)
	if _, err := a.Run(context.Background(), "click the middle"); err != nil {
		t.Fatal(err)
	}
	// 952 of 1904 image pixels is the middle of 1920 screen pixels (960), and the
	// centre of image pixel 952 maps to screen pixel floor(952.5*1920/1904) = 960.
	got, _ := hands.done[0].Point()
	if want := image.Pt(960, 540); got != want {
		t.Errorf("click at %v, want %v", got, want)
	}
	if screen.settles != 1 {
		t.Errorf("settles = %d, want 1 (after the one action)", screen.settles)
	}
}

func TestCorrectiveReask(t *testing.T) {
	chat := &scriptedChat{replies: []any{"let me think", `{"type":"done","text":"ok"}`}}
	a, screen, _, _ := newAgent(chat, nil)
	if _, err := a.Run(context.Background(), "x"); err != nil {
		t.Fatal(err)
	}
	second := chat.requests[1].Messages
	last := second[len(second)-1]
	if last.Role != "user" || !strings.Contains(last.Content, "could not be used") {
		t.Errorf("last message of the re-ask = %+v, want a corrective user message", last)
	}
	if prev := second[len(second)-2]; prev.Role != "assistant" || prev.Content != "let me think" {
		t.Errorf("re-ask does not carry the bad reply: %+v", prev)
	}
	if screen.captures != 1 {
		t.Errorf("captures = %d, want 1: the re-ask is about the same screenshot", screen.captures)
	}
}

func TestUnparsableNamesRawReply(t *testing.T) {
	chat := &scriptedChat{replies: []any{"first words", "I refuse to use the format"}}
	a, _, _, _ := newAgent(chat, nil)
	res, err := a.Run(context.Background(), "x")
	if err == nil || !strings.Contains(err.Error(), "I refuse to use the format") {
		t.Errorf("err = %v, want it to quote the raw reply", err)
	}
	if res.Text != "I refuse to use the format" {
		t.Errorf("result text = %q", res.Text)
	}
}

func TestVerdicts(t *testing.T) {
	click := `{"type":"click","x":100,"y":100}`
	tests := []struct {
		name       string
		approval   Approval
		wantStatus Status
		wantActs   int
		wantNote   string
	}{
		{"skip", Approval{Verdict: Skip, Reason: "wrong window"}, StatusDone, 0, "did not allow"},
		{"edit", Approval{Verdict: Edit, Action: actuation.Action{Type: actuation.Click, X: actuation.Int(7), Y: actuation.Int(8)}}, StatusDone, 1, "corrected"},
		{"edit off-screen", Approval{Verdict: Edit, Action: actuation.Action{Type: actuation.Click, X: actuation.Int(-7), Y: actuation.Int(8)}}, StatusDone, 0, "invalid"},
		{"quit", Approval{Verdict: Quit}, StatusStopped, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chat := &scriptedChat{replies: []any{click, `{"type":"done","text":"ok"}`}}
			a, _, hands, _ := newAgent(chat, func(context.Context, ApprovalRequest) (Approval, error) { return tt.approval, nil })
			res, err := a.Run(context.Background(), "x")
			if res.Status != tt.wantStatus {
				t.Fatalf("status = %q, want %q (err %v)", res.Status, tt.wantStatus, err)
			}
			if len(hands.done) != tt.wantActs {
				t.Errorf("actions = %v, want %d", hands.done, tt.wantActs)
			}
			if tt.wantNote != "" {
				msgs := chat.requests[1].Messages
				if note := msgs[len(msgs)-1].Content; !strings.Contains(note, tt.wantNote) {
					t.Errorf("note to the model = %q, want it to contain %q", note, tt.wantNote)
				}
			}
			if tt.name == "edit" {
				if p, _ := hands.done[0].Point(); p != image.Pt(7, 8) {
					t.Errorf("edited click at %v, want (7,8)", p)
				}
			}
		})
	}
}

func TestStopCancelsInFlightRequest(t *testing.T) {
	// Ctrl+C and the panic key (whose cause carries the combination) both stop.
	for _, cause := range []error{ErrStopped, fmt.Errorf("%w (ctrl+alt+shift+esc)", ErrPanicKey)} {
		t.Run(cause.Error(), func(t *testing.T) { testStop(t, cause) })
	}
}

func testStop(t *testing.T, cause error) {
	chat := &scriptedChat{block: true}
	a, _, _, _ := newAgent(chat, nil)
	ctx, cancel := context.WithCancelCause(context.Background())
	done := make(chan struct{})
	var res Result
	var err error
	go func() { res, err = a.Run(ctx, "x"); close(done) }()
	for {
		chat.mu.Lock()
		n := len(chat.requests)
		chat.mu.Unlock()
		if n > 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	t0 := time.Now()
	cancel(cause)
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Run did not return after Stop")
	}
	if res.Status != StatusStopped || !errors.Is(err, ErrStopped) {
		t.Errorf("Run = %q, %v; want stopped, ErrStopped", res.Status, err)
	}
	t.Logf("stopped %v after cancel", time.Since(t0))
}

func TestPanicKeyIsAStop(t *testing.T) {
	if !errors.Is(ErrPanicKey, ErrStopped) || !errors.Is(fmt.Errorf("%w (f12)", ErrPanicKey), ErrStopped) {
		t.Error("ErrPanicKey is not ErrStopped")
	}
	if errors.Is(ErrStopped, ErrPanicKey) {
		t.Error("ErrStopped is ErrPanicKey")
	}
}

func TestEmptyTask(t *testing.T) {
	a, _, _, _ := newAgent(&scriptedChat{}, nil)
	if _, err := a.Run(context.Background(), "  \n"); !errors.Is(err, ErrEmptyTask) {
		t.Errorf("err = %v, want ErrEmptyTask", err)
	}
}

func TestRequestSettingsAreStable(t *testing.T) {
	click := `{"type":"click","x":10,"y":10}`
	chat := &scriptedChat{replies: []any{click, click, click, click, click, click, click, `{"type":"done","text":"ok"}`}}
	a, _, _, _ := newAgent(chat, nil)
	if _, err := a.Run(context.Background(), "x"); err != nil {
		t.Fatal(err)
	}
	first := chat.requests[0]
	for i, r := range chat.requests {
		if r.Truncate == nil || *r.Truncate || r.Shift == nil || *r.Shift {
			t.Errorf("request %d: truncate/shift not off", i)
		}
		if r.Options["num_ctx"] != first.Options["num_ctx"] || r.Options["temperature"] != 0 || r.Options["seed"] != first.Options["seed"] {
			t.Errorf("request %d options %v differ from %v", i, r.Options, first.Options)
		}
		if r.Messages[0].Content != "SYSTEM" {
			t.Errorf("request %d does not start with the system prompt", i)
		}
		images := 0
		for _, m := range r.Messages {
			if len(m.Images) > 0 {
				images++
			}
		}
		if images > DefaultKeepScreens+2 {
			t.Errorf("request %d carries %d screenshots, want at most %d", i, images, DefaultKeepScreens+2)
		}
	}
	// Old screenshots are re-sent as the same bytes until they are dropped.
	r3, r4 := chat.requests[2], chat.requests[3]
	if string(r3.Messages[2].Images[0]) != string(r4.Messages[2].Images[0]) {
		t.Error("the first screenshot changed between requests")
	}
}

func TestTraceIsReadableAfterEachStep(t *testing.T) {
	root := t.TempDir()
	tr, err := NewTrace(root, time.Date(2026, 11, 28, 15, 4, 5, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, "run-20261128-150405"); tr.Dir != want {
		t.Errorf("trace dir = %s, want %s", tr.Dir, want)
	}
	chat := &scriptedChat{replies: []any{`{"type":"click","x":10,"y":10}`, `{"type":"done","text":"ok"}`}}
	a, _, _, _ := newAgent(chat, nil)
	a.Events = tr.Record
	if _, err := a.Run(context.Background(), "trace me"); err != nil {
		t.Fatal(err)
	}
	// Read before Close: a killed process leaves what was fsynced.
	f, err := os.Open(filepath.Join(tr.Dir, "trace.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var kinds []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e struct {
			Kind  string `json:"kind"`
			Image string `json:"image"`
		}
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		kinds = append(kinds, e.Kind)
		if e.Image != "" {
			if _, err := os.Stat(filepath.Join(tr.Dir, e.Image)); err != nil {
				t.Errorf("image %s: %v", e.Image, err)
			}
		}
	}
	joined := strings.Join(kinds, " ")
	for _, want := range []string{"run_started", "frame_captured", "model_replied", "action_approved", "action_executed", "run_finished"} {
		if !strings.Contains(joined, want) {
			t.Errorf("trace lacks %s: %s", want, joined)
		}
	}
	if _, err := os.Stat(filepath.Join(tr.Dir, "step-001.png")); err != nil {
		t.Error(err)
	}
	if err := tr.Close(); err != nil {
		t.Error(err)
	}
}

func TestParseHost(t *testing.T) {
	tests := []struct {
		in, want string
		loopback bool
	}{
		{"", "http://127.0.0.1:11434", true},
		{"0.0.0.0", "http://0.0.0.0:11434", true},
		{":8080", "http://127.0.0.1:8080", true},
		{"localhost:1234", "http://localhost:1234", true},
		{"http://[::1]:11434", "http://[::1]:11434", true},
		{"https://ollama.example.com", "https://ollama.example.com:443", false},
		{"192.168.1.20", "http://192.168.1.20:11434", false},
		{"10.0.0.5:11434", "http://10.0.0.5:11434", false},
	}
	for _, tt := range tests {
		u, err := ParseHost(tt.in)
		if err != nil {
			t.Errorf("ParseHost(%q): %v", tt.in, err)
			continue
		}
		if u.String() != tt.want || IsLoopback(u) != tt.loopback {
			t.Errorf("ParseHost(%q) = %s loopback %v, want %s loopback %v", tt.in, u, IsLoopback(u), tt.want, tt.loopback)
		}
	}
}

// frameStartAdapter opens with a system message naming the first frame's image
// size, as the Qwen2.5-VL prompt does.
type frameStartAdapter struct{ fakeAdapter }

func (frameStartAdapter) StartFrame(task string, f perception.Frame) []api.Message {
	return []api.Message{{Role: "system", Content: fmt.Sprintf("screen %dx%d", f.Image.X, f.Image.Y)}, {Role: "user", Content: task}}
}

// A FrameStarter's opening, built from the first frame, is what every request
// starts with, byte for byte.
func TestFrameStarter(t *testing.T) {
	chat := &scriptedChat{replies: []any{`{"type":"click","x":952,"y":532}`, `{"type":"done","text":"ok"}`}}
	a, _, _, _ := newAgent(chat, nil)
	a.Adapter = frameStartAdapter{}
	if _, err := a.Run(context.Background(), "do it"); err != nil {
		t.Fatal(err)
	}
	if len(chat.requests) != 2 {
		t.Fatalf("%d requests, want 2", len(chat.requests))
	}
	for i, req := range chat.requests {
		if got := req.Messages[0].Content; got != "screen 1904x1064" {
			t.Errorf("request %d opens with %q, want the first frame's size", i+1, got)
		}
		if got := req.Messages[1].Content; got != "do it" {
			t.Errorf("request %d: second message %q, want the task", i+1, got)
		}
	}
}

// focusHands is hands that can say which window has the focus.
type focusHands struct {
	fakeHands
	w     actuation.Window
	asked int
}

func (h *focusHands) Focused(ctx context.Context) (actuation.Window, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.asked++
	return h.w, nil
}

// Before typing, the loop asks the actuator which window has the focus: typing
// into a password prompt is high risk even when the model's words do not say so.
func TestTypingIntoPasswordWindowIsHighRisk(t *testing.T) {
	for _, tc := range []struct {
		w    actuation.Window
		want RiskLevel
	}{
		{actuation.Window{Class: []string{"pinentry-gnome3"}, Title: "Passphrase"}, RiskHigh},
		{actuation.Window{Class: []string{"mousepad"}, Title: "notes.txt - Mousepad"}, RiskMedium},
	} {
		chat := &scriptedChat{replies: []any{`{"type":"type","text":"hunter2"}`, `{"type":"done","text":"ok"}`}}
		a, _, _, events := newAgent(chat, nil)
		hands := &focusHands{w: tc.w}
		a.Actuator = hands
		if _, err := a.Run(context.Background(), "unlock it"); err != nil {
			t.Fatal(err)
		}
		var got RiskLevel
		for _, e := range *events {
			if e.Kind == ActionProposed && e.Risk != nil {
				got = e.Risk.Level
			}
		}
		if got != tc.want || hands.asked == 0 {
			t.Errorf("%v: risk %q (focus asked %d times), want %q", tc.w, got, hands.asked, tc.want)
		}
	}
}
