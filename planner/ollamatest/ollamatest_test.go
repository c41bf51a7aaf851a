package ollamatest_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/deskhand/deskhand/planner/ollamatest"
)

var (
	uitars = ollamatest.Model{
		Name:              "uitars15:7b",
		Capabilities:      []string{"completion", "vision"},
		Architecture:      "qwen25vl",
		ParameterSize:     "8.3B",
		QuantizationLevel: "Q4_K_M",
		Size:              5_969_000_000,
		ContextLength:     128000,
		ModelInfo:         map[string]any{"qwen25vl.vision.patch_size": 14},
	}
	qwen3vl = ollamatest.Model{
		Name:          "qwen3-vl:8b-instruct",
		Capabilities:  []string{"completion", "vision", "tools"},
		Architecture:  "qwen3vl",
		ContextLength: 262144,
		Renderer:      "qwen3-vl-instruct",
		Parser:        "qwen3-vl-instruct",
	}
	thinker = ollamatest.Model{
		Name:         "qwen3-vl:8b-thinking",
		Capabilities: []string{"completion", "vision", "tools", "thinking"},
		Architecture: "qwen3vl",
	}
	embedder = ollamatest.Model{
		Name:         "nomic-embed-text",
		Capabilities: []string{"embedding"},
		Architecture: "nomic-bert",
	}
)

func newServer(t *testing.T) (*ollamatest.Server, *api.Client) {
	t.Helper()
	srv := ollamatest.NewServer(uitars, qwen3vl, thinker, embedder)
	t.Cleanup(srv.Close)
	return srv, srv.Client()
}

func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func ptr[T any](v T) *T { return &v }

func statusError(t *testing.T, err error) api.StatusError {
	t.Helper()
	var se api.StatusError
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not an api.StatusError", err, err)
	}
	return se
}

func TestHeartbeatVersionTags(t *testing.T) {
	srv, c := newServer(t)
	if err := c.Heartbeat(ctx(t)); err != nil {
		t.Fatalf("Heartbeat: %v", err)
	}
	v, err := c.Version(ctx(t))
	if err != nil || v != "0.17.4" {
		t.Fatalf("Version = %q, %v; want 0.17.4", v, err)
	}
	srv.SetVersion("0.30.1")
	if v, _ := c.Version(ctx(t)); v != "0.30.1" {
		t.Fatalf("Version after SetVersion = %q", v)
	}

	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "Ollama is running" {
		t.Fatalf("GET / = %d %q", resp.StatusCode, body)
	}

	list, err := c.List(ctx(t))
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	var names []string
	for _, m := range list.Models {
		names = append(names, m.Name)
		if m.Name == "uitars15:7b" {
			if m.Size != uitars.Size || m.Details.Family != "qwen25vl" || m.Details.QuantizationLevel != "Q4_K_M" || m.Details.ParameterSize != "8.3B" || len(m.Digest) != 64 {
				t.Errorf("uitars in list = %+v", m)
			}
		}
	}
	slices.Sort(names)
	want := []string{"nomic-embed-text:latest", "qwen3-vl:8b-instruct", "qwen3-vl:8b-thinking", "uitars15:7b"}
	if !slices.Equal(names, want) {
		t.Fatalf("List names = %v, want %v", names, want)
	}
	if got := len(srv.Requests()); got != 5 {
		t.Fatalf("recorded %d requests, want 5", got)
	}
}

func TestShow(t *testing.T) {
	_, c := newServer(t)
	tests := []struct {
		name       string
		model      string
		status     int
		errText    string
		caps       []string
		arch       string
		ctxLen     float64
		modelfile  string
		extraKey   string
		extraValue any
	}{
		{name: "uitars", model: "uitars15:7b", caps: []string{"completion", "vision"}, arch: "qwen25vl", ctxLen: 128000,
			modelfile: "# FROM uitars15:7b", extraKey: "qwen25vl.vision.patch_size", extraValue: float64(14)},
		{name: "case insensitive", model: "UITARS15:7B", caps: []string{"completion", "vision"}, arch: "qwen25vl", ctxLen: 128000},
		{name: "renderer in modelfile", model: "qwen3-vl:8b-instruct", caps: []string{"completion", "vision", "tools"}, arch: "qwen3vl",
			ctxLen: 262144, modelfile: "\nRENDERER qwen3-vl-instruct\nPARSER qwen3-vl-instruct\n"},
		{name: "unknown", model: "qwen2.5vl:7b", status: 404, errText: "model 'qwen2.5vl:7b' not found"},
		{name: "no tag unknown", model: "uitars15", status: 404, errText: "model 'uitars15' not found"},
		{name: "empty", model: "", status: 400, errText: "model is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := c.Show(ctx(t), &api.ShowRequest{Model: tt.model})
			if tt.status != 0 {
				se := statusError(t, err)
				if se.StatusCode != tt.status || se.ErrorMessage != tt.errText {
					t.Fatalf("Show error = %d %q, want %d %q", se.StatusCode, se.ErrorMessage, tt.status, tt.errText)
				}
				return
			}
			if err != nil {
				t.Fatalf("Show: %v", err)
			}
			var caps []string
			for _, c := range resp.Capabilities {
				caps = append(caps, string(c))
			}
			if !slices.Equal(caps, tt.caps) {
				t.Errorf("Capabilities = %v, want %v", caps, tt.caps)
			}
			if resp.ModelInfo["general.architecture"] != tt.arch || resp.Details.Family != tt.arch {
				t.Errorf("architecture = %v, family %q, want %q", resp.ModelInfo["general.architecture"], resp.Details.Family, tt.arch)
			}
			if got := resp.ModelInfo[tt.arch+".context_length"]; got != tt.ctxLen {
				t.Errorf("context_length = %v, want %v", got, tt.ctxLen)
			}
			if tt.extraKey != "" && resp.ModelInfo[tt.extraKey] != tt.extraValue {
				t.Errorf("ModelInfo[%s] = %v, want %v", tt.extraKey, resp.ModelInfo[tt.extraKey], tt.extraValue)
			}
			if !strings.HasPrefix(resp.Modelfile, `# Modelfile generated by "ollama show"`) || !strings.Contains(resp.Modelfile, tt.modelfile) {
				t.Errorf("Modelfile = %q, want it to contain %q", resp.Modelfile, tt.modelfile)
			}
		})
	}
}

// chat runs one chat and returns every response received.
func chat(t *testing.T, c *api.Client, req *api.ChatRequest) ([]api.ChatResponse, error) {
	t.Helper()
	var got []api.ChatResponse
	err := c.Chat(ctx(t), req, func(r api.ChatResponse) error {
		got = append(got, r)
		return nil
	})
	return got, err
}

func user(text string, images ...api.ImageData) []api.Message {
	return []api.Message{{Role: "user", Content: text, Images: images}}
}

func clickTool() api.Tools {
	props := api.NewToolPropertiesMap()
	props.Set("x", api.ToolProperty{Type: api.PropertyType{"integer"}})
	return api.Tools{{Type: "function", Function: api.ToolFunction{
		Name:       "click",
		Parameters: api.ToolFunctionParameters{Type: "object", Properties: props},
	}}}
}

func TestChat(t *testing.T) {
	args := api.NewToolCallFunctionArguments()
	args.Set("x", 12)
	call := api.ToolCall{Function: api.ToolCallFunction{Name: "click", Arguments: args}}

	tests := []struct {
		name        string
		script      []ollamatest.Reply
		req         api.ChatRequest
		status      int    // want an api.StatusError with this code
		errText     string // and this message, or a plain error with it
		minChunks   int
		content     string
		thinking    string
		calls       int
		doneReason  string
		promptEval  int
		scriptAfter int
	}{
		{
			name:    "streaming",
			script:  []ollamatest.Reply{{Content: "click(start_box='(10,20)')  and then wait", PromptEvalCount: 1234, EvalCount: 9}},
			req:     api.ChatRequest{Model: "uitars15:7b", Messages: user("open the menu")},
			content: "click(start_box='(10,20)')  and then wait", minChunks: 5, doneReason: "stop", promptEval: 1234,
		},
		{
			name:    "streaming in fixed chunks",
			script:  []ollamatest.Reply{{Content: "héllo wörld", Chunks: 3}},
			req:     api.ChatRequest{Model: "uitars15:7b", Messages: user("hi")},
			content: "héllo wörld", minChunks: 4, doneReason: "stop",
		},
		{
			name:    "not streaming",
			script:  []ollamatest.Reply{{Content: "one two three", Thinking: "hmm let me see", DoneReason: "length"}},
			req:     api.ChatRequest{Model: "qwen3-vl:8b-thinking", Messages: user("hi"), Stream: ptr(false)},
			content: "one two three", thinking: "hmm let me see", minChunks: 1, doneReason: "length",
		},
		{
			name:    "thinking then content streamed",
			script:  []ollamatest.Reply{{Content: "done.", Thinking: "first I think"}},
			req:     api.ChatRequest{Model: "qwen3-vl:8b-thinking", Messages: user("hi"), Think: &api.ThinkValue{Value: true}},
			content: "done.", thinking: "first I think", minChunks: 4, doneReason: "stop",
		},
		{
			name:   "tool calls",
			script: []ollamatest.Reply{{ToolCalls: []api.ToolCall{call}}},
			req:    api.ChatRequest{Model: "qwen3-vl:8b-instruct", Messages: user("click"), Tools: clickTool()},
			calls:  1, minChunks: 2, doneReason: "stop",
		},
		{
			name:   "unknown model",
			script: []ollamatest.Reply{{Content: "unused"}},
			req:    api.ChatRequest{Model: "qwen2.5vl:7b", Messages: user("hi")},
			status: 404, errText: "model 'qwen2.5vl:7b' not found", scriptAfter: 1,
		},
		{
			name:   "tools without the capability",
			script: []ollamatest.Reply{{Content: "unused"}},
			req:    api.ChatRequest{Model: "uitars15:7b", Messages: user("hi"), Tools: clickTool()},
			status: 400, errText: "registry.ollama.ai/library/uitars15:7b does not support tools", scriptAfter: 1,
		},
		{
			name:   "think without the capability",
			req:    api.ChatRequest{Model: "uitars15:7b", Messages: user("hi"), Think: &api.ThinkValue{Value: true}},
			status: 400, errText: `"uitars15:7b" does not support thinking`,
		},
		{
			name:    "think false without the capability",
			script:  []ollamatest.Reply{{Content: "ok"}},
			req:     api.ChatRequest{Model: "uitars15:7b", Messages: user("hi"), Think: &api.ThinkValue{Value: false}},
			content: "ok", minChunks: 2, doneReason: "stop",
		},
		{
			name:   "think level on a non-harmony model",
			req:    api.ChatRequest{Model: "qwen3-vl:8b-thinking", Messages: user("hi"), Think: &api.ThinkValue{Value: "high"}},
			status: 400, errText: `think value "high" is not supported for this model`,
		},
		{
			name:   "model without completion",
			req:    api.ChatRequest{Model: "nomic-embed-text", Messages: user("hi")},
			status: 400, errText: `"nomic-embed-text" does not support chat`,
		},
		{
			name:      "load",
			script:    []ollamatest.Reply{{Content: "unused"}},
			req:       api.ChatRequest{Model: "uitars15:7b", KeepAlive: &api.Duration{Duration: time.Hour}},
			minChunks: 1, doneReason: "load", scriptAfter: 1,
		},
		{
			name:      "unload",
			req:       api.ChatRequest{Model: "uitars15:7b", KeepAlive: &api.Duration{}},
			minChunks: 1, doneReason: "unload",
		},
		{
			name:   "scripted HTTP error",
			script: []ollamatest.Reply{{Status: 500, Error: "model runner has unexpectedly stopped"}},
			req:    api.ChatRequest{Model: "uitars15:7b", Messages: user("hi")},
			status: 500, errText: "model runner has unexpectedly stopped",
		},
		{
			name:    "mid-stream error",
			script:  []ollamatest.Reply{{Content: "<tool_call>{\"name\":", Error: "qwen3 tool call parsing failed"}},
			req:     api.ChatRequest{Model: "qwen3-vl:8b-instruct", Messages: user("hi")},
			errText: "qwen3 tool call parsing failed", minChunks: 1,
		},
		{
			name:   "error not streamed is a 500",
			script: []ollamatest.Reply{{Content: "partial", Error: "boom"}},
			req:    api.ChatRequest{Model: "uitars15:7b", Messages: user("hi"), Stream: ptr(false)},
			status: 500, errText: "boom",
		},
		{
			name:    "script exhausted",
			req:     api.ChatRequest{Model: "uitars15:7b", Messages: user("hi")},
			status:  500,
			errText: "ollamatest: script exhausted",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := newServer(t)
			srv.Script(tt.script...)
			got, err := chat(t, c, &tt.req)
			switch {
			case tt.status != 0:
				se := statusError(t, err)
				if se.StatusCode != tt.status || !strings.HasPrefix(se.ErrorMessage, tt.errText) {
					t.Fatalf("error = %d %q, want %d %q", se.StatusCode, se.ErrorMessage, tt.status, tt.errText)
				}
			case tt.errText != "":
				var se api.StatusError
				if err == nil || errors.As(err, &se) || err.Error() != tt.errText {
					t.Fatalf("error = %v, want the plain error %q", err, tt.errText)
				}
			case err != nil:
				t.Fatalf("Chat: %v", err)
			}
			if srv.Pending() != tt.scriptAfter {
				t.Errorf("%d scripted replies left, want %d", srv.Pending(), tt.scriptAfter)
			}
			if len(got) < tt.minChunks {
				t.Fatalf("got %d responses, want at least %d", len(got), tt.minChunks)
			}
			if tt.status != 0 || tt.errText != "" {
				return
			}
			var content, thinking strings.Builder
			var calls []api.ToolCall
			for i, r := range got {
				content.WriteString(r.Message.Content)
				thinking.WriteString(r.Message.Thinking)
				calls = append(calls, r.Message.ToolCalls...)
				if r.Done != (i == len(got)-1) {
					t.Errorf("response %d Done = %v", i, r.Done)
				}
				if r.Model != tt.req.Model || r.Message.Role != "assistant" || r.CreatedAt.IsZero() {
					t.Errorf("response %d = %+v", i, r)
				}
			}
			if content.String() != tt.content || thinking.String() != tt.thinking {
				t.Errorf("content %q thinking %q, want %q %q", content.String(), thinking.String(), tt.content, tt.thinking)
			}
			if len(calls) != tt.calls {
				t.Fatalf("%d tool calls, want %d", len(calls), tt.calls)
			}
			for _, call := range calls {
				x, _ := call.Function.Arguments.Get("x")
				if call.Function.Name != "click" || x != float64(12) || !strings.HasPrefix(call.ID, "call_") {
					t.Errorf("tool call = %+v", call)
				}
			}
			last := got[len(got)-1]
			if last.DoneReason != tt.doneReason {
				t.Errorf("DoneReason = %q, want %q", last.DoneReason, tt.doneReason)
			}
			if tt.doneReason == "stop" || tt.doneReason == "length" {
				if last.PromptEvalCount == 0 || last.EvalCount == 0 || last.TotalDuration <= 0 || last.EvalDuration <= 0 || last.PromptEvalDuration <= 0 {
					t.Errorf("metrics = %+v", last.Metrics)
				}
				if tt.promptEval != 0 && last.PromptEvalCount != tt.promptEval {
					t.Errorf("PromptEvalCount = %d, want %d", last.PromptEvalCount, tt.promptEval)
				}
			}
			reqs := srv.ChatRequests()
			if len(reqs) != 1 || reqs[0].Chat == nil || reqs[0].Chat.Model != tt.req.Model || reqs[0].Status != 200 || reqs[0].Cancelled {
				t.Errorf("recorded %+v", reqs)
			}
		})
	}
}

func TestChatScriptOrderThenHandler(t *testing.T) {
	srv, c := newServer(t)
	srv.Script(ollamatest.Reply{Content: "first"}, ollamatest.Reply{Content: "second"})
	srv.Handle(func(req *api.ChatRequest) ollamatest.Reply {
		return ollamatest.Reply{Content: "echo " + req.Messages[len(req.Messages)-1].Content}
	})
	for _, want := range []string{"first", "second", "echo third", "echo fourth"} {
		text := strings.Fields(want)[len(strings.Fields(want))-1]
		got, err := chat(t, c, &api.ChatRequest{Model: "uitars15:7b", Messages: user(text), Stream: ptr(false)})
		if err != nil || len(got) != 1 || got[0].Message.Content != want {
			t.Fatalf("reply = %+v, %v; want %q", got, err, want)
		}
	}
}

func TestBadBodies(t *testing.T) {
	srv, _ := newServer(t)
	tests := []struct {
		path, body string
		status     int
		errText    string
	}{
		{"/api/chat", "", 400, "missing request body"},
		{"/api/chat", "{not json", 400, "invalid character"},
		{"/api/chat", `{"model":"uitars15:7b","messages":"nope"}`, 400, "json: cannot unmarshal"},
		{"/api/chat", `{"messages":[]}`, 400, "model is required"},
		{"/api/chat", `{"model":"uitars15:7b","messages":[],"top_logprobs":21}`, 400, "top_logprobs must be between 0 and 20"},
		{"/api/show", "", 400, "missing request body"},
		{"/api/pull", "", 400, "missing request body"},
		{"/api/generate", `{}`, 404, "404 page not found"},
		{"/api/tags", `{}`, 404, "404 page not found"}, // POST is not routed
	}
	for _, tt := range tests {
		t.Run(tt.path+" "+tt.body, func(t *testing.T) {
			resp, err := http.Post(srv.URL+tt.path, "application/json", strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.errText) {
				t.Fatalf("POST %s = %d %s, want %d %q", tt.path, resp.StatusCode, body, tt.status, tt.errText)
			}
		})
	}
	reqs := srv.Requests()
	if len(reqs) != len(tests) || reqs[1].Chat != nil || string(reqs[1].Body) != "{not json" {
		t.Fatalf("recorded %d requests: %+v", len(reqs), reqs)
	}
}

func TestPull(t *testing.T) {
	tests := []struct {
		name     string
		remote   *ollamatest.Remote
		model    string
		stream   bool
		status   int
		errText  string
		statuses []string
	}{
		{
			name: "offline", model: "qwen2.5vl:7b", stream: true,
			errText:  `pull model manifest: Get "https://registry.ollama.ai/v2/library/qwen2.5vl/manifests/7b": dial tcp: lookup registry.ollama.ai: no such host`,
			statuses: []string{"pulling manifest"},
		},
		{
			name: "offline, no tag", model: "qwen3-vl", stream: true,
			errText:  `pull model manifest: Get "https://registry.ollama.ai/v2/library/qwen3-vl/manifests/latest": dial tcp: lookup registry.ollama.ai: no such host`,
			statuses: []string{"pulling manifest"},
		},
		{
			name: "offline, installed model, not streamed", model: "uitars15:7b", status: 500,
			errText: ollamatest.OfflineError("uitars15:7b"),
		},
		{
			name: "online, unknown model", remote: &ollamatest.Remote{}, model: "nope:1b", stream: true,
			errText: "pull model manifest: file does not exist", statuses: []string{"pulling manifest"},
		},
		{
			name: "online, lost connection", model: "qwen2.5vl:7b", stream: true,
			remote:   &ollamatest.Remote{Models: []ollamatest.Model{{Name: "qwen2.5vl:7b", Size: 1000}}, Steps: 2, Error: "unexpected EOF"},
			errText:  "unexpected EOF",
			statuses: []string{"pulling manifest", "pulling ", "pulling "},
		},
		{
			name: "online, success", model: "qwen2.5vl:7b", stream: true,
			remote:   &ollamatest.Remote{Models: []ollamatest.Model{{Name: "qwen2.5vl:7b", Size: 1000, Capabilities: []string{"completion", "vision"}}}, Steps: 2, StepDelay: time.Millisecond},
			statuses: []string{"pulling manifest", "pulling ", "pulling ", "pulling ", "pulling ", "verifying sha256 digest", "writing manifest", "success"},
		},
		{
			name: "online, success not streamed", model: "qwen2.5vl:7b",
			remote:   &ollamatest.Remote{Models: []ollamatest.Model{{Name: "qwen2.5vl:7b", Capabilities: []string{"completion", "vision"}}}},
			statuses: []string{"success"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := newServer(t)
			srv.SetRemote(tt.remote)
			var got []api.ProgressResponse
			err := c.Pull(ctx(t), &api.PullRequest{Model: tt.model, Stream: ptr(tt.stream)}, func(p api.ProgressResponse) error {
				got = append(got, p)
				return nil
			})
			switch {
			case tt.status != 0:
				se := statusError(t, err)
				if se.StatusCode != tt.status || se.ErrorMessage != tt.errText {
					t.Fatalf("error = %d %q, want %d %q", se.StatusCode, se.ErrorMessage, tt.status, tt.errText)
				}
			case tt.errText != "":
				var se api.StatusError
				if err == nil || errors.As(err, &se) || err.Error() != tt.errText {
					t.Fatalf("error = %v, want the plain error %q", err, tt.errText)
				}
			case err != nil:
				t.Fatalf("Pull: %v", err)
			}
			if len(got) != len(tt.statuses) {
				t.Fatalf("progress = %+v, want statuses %q", got, tt.statuses)
			}
			for i, p := range got {
				if !strings.HasPrefix(p.Status, tt.statuses[i]) {
					t.Errorf("progress %d = %+v, want status %q", i, p, tt.statuses[i])
				}
				if strings.HasPrefix(p.Status, "pulling ") && p.Status != "pulling manifest" &&
					(p.Status != "pulling "+strings.TrimPrefix(p.Digest, "sha256:")[:12] || p.Total == 0 || p.Completed == 0) {
					t.Errorf("layer progress = %+v", p)
				}
			}
			_, err = c.Show(ctx(t), &api.ShowRequest{Model: tt.model})
			installed := err == nil
			wantInstalled := tt.model == "uitars15:7b" || (tt.errText == "" && tt.status == 0)
			if installed != wantInstalled {
				t.Fatalf("installed after pull = %v (%v), want %v", installed, err, wantInstalled)
			}
		})
	}
}

func TestHangCancelled(t *testing.T) {
	tests := []struct {
		name    string
		content string
		stream  bool
		wantErr bool // Chat returns context.Canceled, not nil
	}{
		{"streamed, hangs mid-reply", "partial ", true, false},
		{"streamed, hangs before the first byte", "", true, true},
		{"not streamed", "partial ", false, true},
	}
	for _, tt := range tests {
		stream := tt.stream
		t.Run(tt.name, func(t *testing.T) {
			srv, c := newServer(t)
			srv.Script(ollamatest.Reply{Content: tt.content, Hang: true})
			cctx, cancel := context.WithCancel(ctx(t))
			errc := make(chan error, 1)
			done := make(chan bool, 1)
			go func() {
				var sawDone bool
				errc <- c.Chat(cctx, &api.ChatRequest{Model: "uitars15:7b", Messages: user("hi"), Stream: ptr(stream)},
					func(r api.ChatResponse) error { sawDone = sawDone || r.Done; return nil })
				done <- sawDone
			}()
			if !srv.WaitChatRequests(1, 5*time.Second) {
				t.Fatal("the chat request never arrived")
			}
			if srv.WaitCancelled(50 * time.Millisecond) {
				t.Fatal("WaitCancelled is true before the client cancelled")
			}
			select {
			case err := <-errc:
				t.Fatalf("Chat returned while the server hangs: %v", err)
			case <-time.After(50 * time.Millisecond):
			}
			cancel() // what Ctrl+C does to the planner's context
			// api.Client.Chat returns nil when the context is cancelled after the
			// stream started (stream never checks scanner.Err), and
			// context.Canceled before; either way no Done response arrives.
			err := <-errc
			t.Logf("Chat returned %v", err)
			if <-done {
				t.Fatal("a Done response arrived from a hung reply")
			}
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Fatalf("Chat error = %v, want context.Canceled or nil", err)
			}
			if tt.wantErr != (err != nil) {
				t.Fatalf("Chat error = %v, want an error: %v", err, tt.wantErr)
			}
			if !srv.WaitCancelled(5 * time.Second) {
				t.Fatal("the server did not record the cancellation")
			}
			r := srv.ChatRequests()[0]
			if !r.Cancelled || r.End.IsZero() || r.End.Before(r.Time) {
				t.Fatalf("recorded %+v", r)
			}
		})
	}
}

func TestDelayAndChunkDelay(t *testing.T) {
	srv, c := newServer(t)
	srv.Script(ollamatest.Reply{Content: "a b c", Delay: 60 * time.Millisecond, ChunkDelay: 20 * time.Millisecond})
	start := time.Now()
	_, err := chat(t, c, &api.ChatRequest{Model: "uitars15:7b", Messages: user("hi")})
	if err != nil {
		t.Fatal(err)
	}
	// 60ms before the first chunk, then 3 more chunks (b, c, done) 20ms apart.
	if el := time.Since(start); el < 120*time.Millisecond {
		t.Fatalf("reply took %v, want ≥ 120ms", el)
	}
}

func TestCloseEndsHungHandlers(t *testing.T) {
	before := runtime.NumGoroutine()
	srv := ollamatest.NewServer(uitars)
	c := srv.Client()
	srv.Script(ollamatest.Reply{Hang: true}, ollamatest.Reply{Content: "x ", Hang: true})
	type result struct {
		err       error
		responses int
		done      bool
	}
	results := make(chan result, 2)
	chunk := make(chan struct{}, 1)
	for range 2 {
		go func() {
			var res result
			res.err = c.Chat(context.Background(), &api.ChatRequest{Model: "uitars15:7b", Messages: user("hi")},
				func(r api.ChatResponse) error {
					res.responses++
					res.done = res.done || r.Done
					chunk <- struct{}{}
					return nil
				})
			results <- res
		}()
	}
	if !srv.WaitChatRequests(2, 5*time.Second) {
		t.Fatal("the chat requests never arrived")
	}
	<-chunk // the second reply streamed its chunk and hangs
	closed := make(chan struct{})
	go func() { srv.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return with hung handlers")
	}
	// The connection is dropped: before any byte the client gets an error;
	// mid-stream api.Client.Chat returns nil, but no Done response arrived.
	for range 2 {
		res := <-results
		t.Logf("hung chat ended with %+v", res)
		if res.done || (res.responses == 0 && res.err == nil) {
			t.Errorf("hung chat ended with %+v when the server closed", res)
		}
	}
	for _, r := range srv.ChatRequests() {
		if r.Cancelled || r.End.IsZero() {
			t.Errorf("recorded %+v after Close", r)
		}
	}
	srv.Close() // twice is fine
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines after Close, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}

func encodePNG(t *testing.T, w, h int, c color.Color) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestImagesRecordedAndHandled(t *testing.T) {
	srv, c := newServer(t)
	shot := image.NewRGBA(image.Rect(0, 0, 56, 28))
	shot.Set(40, 10, color.RGBA{R: 255, A: 255}) // the "button"
	var pngBuf, jpgBuf bytes.Buffer
	if err := png.Encode(&pngBuf, shot); err != nil {
		t.Fatal(err)
	}
	if err := jpeg.Encode(&jpgBuf, image.NewGray(image.Rect(0, 0, 32, 64)), nil); err != nil {
		t.Fatal(err)
	}
	// The handler finds the red pixel in the last image, as a grounding model would.
	srv.Handle(func(req *api.ChatRequest) ollamatest.Reply {
		imgs := req.Messages[len(req.Messages)-1].Images
		img, err := png.Decode(bytes.NewReader(imgs[len(imgs)-1]))
		if err != nil {
			return ollamatest.Reply{Status: 500, Error: err.Error()}
		}
		b := img.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				if r, _, _, _ := img.At(x, y).RGBA(); r > 0 {
					return ollamatest.Reply{Content: "click(start_box='(" + strconv.Itoa(x) + "," + strconv.Itoa(y) + ")')"}
				}
			}
		}
		return ollamatest.Reply{Content: "finished()"}
	})
	msgs := []api.Message{
		{Role: "system", Content: "you are an agent"},
		{Role: "user", Content: "old", Images: []api.ImageData{jpgBuf.Bytes()}},
		{Role: "user", Content: "now", Images: []api.ImageData{[]byte("not an image"), pngBuf.Bytes()}},
	}
	got, err := chat(t, c, &api.ChatRequest{Model: "uitars15:7b", Messages: msgs, Stream: ptr(false)})
	if err != nil {
		t.Fatal(err)
	}
	if want := "click(start_box='(40,10)')"; got[0].Message.Content != want {
		t.Fatalf("reply %q, want %q", got[0].Message.Content, want)
	}
	r := srv.ChatRequests()[0]
	sizes := r.ImageSizes()
	want := []image.Point{{32, 64}, {0, 0}, {56, 28}}
	if !slices.Equal(sizes, want) {
		t.Fatalf("ImageSizes = %v, want %v", sizes, want)
	}
	if len(r.Images()) != 3 || !bytes.Equal(r.Images()[2], pngBuf.Bytes()) {
		t.Fatal("Images() does not return the raw bytes sent")
	}
	if (ollamatest.Request{}).ImageSizes() != nil {
		t.Fatal("ImageSizes of a non-chat request is not nil")
	}
}

func TestConcurrentChats(t *testing.T) {
	srv, c := newServer(t)
	srv.Handle(func(req *api.ChatRequest) ollamatest.Reply {
		return ollamatest.Reply{Content: req.Messages[0].Content, ChunkDelay: time.Millisecond}
	})
	const n = 20
	cctx := ctx(t)
	errc := make(chan error, n)
	for i := range n {
		go func() {
			want := "msg " + string(rune('a'+i))
			var sb strings.Builder
			err := c.Chat(cctx, &api.ChatRequest{Model: "uitars15:7b", Messages: user(want)}, func(r api.ChatResponse) error {
				sb.WriteString(r.Message.Content)
				return nil
			})
			if err == nil && sb.String() != want {
				err = errors.New("got " + sb.String() + ", want " + want)
			}
			errc <- err
		}()
		_ = srv.Requests() // read while handlers write
	}
	for range n {
		if err := <-errc; err != nil {
			t.Error(err)
		}
	}
	if got := len(srv.ChatRequests()); got != n {
		t.Fatalf("%d chat requests recorded, want %d", got, n)
	}
}

// TestOtherProcess checks that a separate process finds the server through
// OLLAMA_HOST, as the deskhand binary does.
func TestOtherProcess(t *testing.T) {
	if os.Getenv("OLLAMATEST_CHILD") == "1" {
		c, err := api.ClientFromEnvironment()
		if err != nil {
			t.Fatal(err)
		}
		var out strings.Builder
		err = c.Chat(context.Background(), &api.ChatRequest{Model: "uitars15:7b", Messages: user("hi")}, func(r api.ChatResponse) error {
			out.WriteString(r.Message.Content)
			return nil
		})
		if err != nil || out.String() != "from the fake" {
			t.Fatalf("child chat = %q, %v", out.String(), err)
		}
		return
	}
	srv, _ := newServer(t)
	srv.Script(ollamatest.Reply{Content: "from the fake"})
	cmd := exec.Command(os.Args[0], "-test.run=^TestOtherProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "OLLAMATEST_CHILD=1", "OLLAMA_HOST="+srv.URL)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if reqs := srv.ChatRequests(); len(reqs) != 1 || reqs[0].Status != 200 {
		t.Fatalf("recorded %+v", reqs)
	}
}
