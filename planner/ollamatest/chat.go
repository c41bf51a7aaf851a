package ollamatest

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ollama/ollama/api"
)

// Reply is the server's answer to one chat request.
type Reply struct {
	// Thinking, Content and ToolCalls are the assistant message. Streamed, the
	// thinking comes first, then the content, in chunks (see Chunks), then one
	// chunk with all the tool calls, then a final chunk with Done set. Tool calls
	// without an ID get one ("call_…"), as Ollama gives them.
	Thinking  string
	Content   string
	ToolCalls []api.ToolCall

	// Status, when ≥ 400, answers with that HTTP status and {"error": Error}
	// before any byte of reply (Error defaults to the status text).
	Status int
	// Error with Status 0 fails mid-reply: streamed, after the thinking and
	// content chunks, as an {"error": …} line on HTTP 200 (the client gets a
	// plain error); if nothing was streamed yet, or the request is not
	// streamed, as HTTP 500, which is what Ollama does.
	Error string

	// Delay waits before the first byte of the reply.
	Delay time.Duration
	// Hang, after Delay and any thinking and content chunks, never finishes the
	// reply: the handler waits until the client goes away (the request is then
	// recorded as Cancelled) or the server closes (the connection is dropped).
	Hang bool
	// ChunkDelay waits before each streamed chunk after the first. Not
	// streamed, the reply is sent after the sum of those waits.
	ChunkDelay time.Duration
	// Chunks, when > 0, splits Thinking and Content each into that many pieces;
	// 0 splits them after every run of white space, like tokens.
	Chunks int

	// DoneReason of the final chunk; "" means "stop". Ollama also sends "length".
	DoneReason string

	// Metrics of the final chunk. Zero counts are estimated: PromptEvalCount as
	// one token per 4 bytes of message text plus 768 per image (Ollama's own
	// heuristic), EvalCount as the number of chunks. Zero durations are measured.
	PromptEvalCount    int
	EvalCount          int
	LoadDuration       time.Duration
	PromptEvalDuration time.Duration
	EvalDuration       time.Duration
}

// Script queues replies; each chat request that asks for a reply takes the
// next one, in order.
func (s *Server) Script(replies ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script = append(s.script, replies...)
}

// Handle sets a function that computes the reply to a chat request once the
// script is exhausted. It receives its own decoded copy of the request; nil
// removes it. It runs on the request's goroutine, may be called concurrently,
// and should return promptly (use Reply.Delay or Hang to make the client wait).
func (s *Server) Handle(f func(req *api.ChatRequest) Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handle = f
}

// Pending returns the number of scripted replies not yet consumed.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.script)
}

// chat answers POST /api/chat, following ChatHandler in server/routes.go.
func (s *Server) chat(ctx context.Context, w *recorder, body []byte, rec *Request) error {
	start := rec.Time
	var req api.ChatRequest
	if msg := decodeBody(body, &req); msg != "" {
		return writeError(w, http.StatusBadRequest, msg)
	}
	if req.TopLogprobs < 0 || req.TopLogprobs > 20 {
		return writeError(w, http.StatusBadRequest, "top_logprobs must be between 0 and 20")
	}
	if _, ok := parseName(req.Model); !ok {
		return writeError(w, http.StatusBadRequest, "model is required")
	}
	m, full, ok := s.lookup(req.Model)
	if !ok {
		return writeError(w, http.StatusNotFound, fmt.Sprintf("model '%s' not found", req.Model))
	}

	// Unload and load answer at once, without the model.
	control := func(reason string) error {
		return writeJSON(w, http.StatusOK, api.ChatResponse{
			Model:      req.Model,
			CreatedAt:  time.Now().UTC(),
			Message:    api.Message{Role: "assistant"},
			Done:       true,
			DoneReason: reason,
		})
	}
	if len(req.Messages) == 0 && req.KeepAlive != nil && req.KeepAlive.Duration == 0 {
		return control("unload")
	}

	has := func(c string) bool { return slices.Contains(m.Capabilities, c) }
	if !has("thinking") && req.Think != nil && req.Think.Bool() {
		return writeError(w, http.StatusBadRequest, fmt.Sprintf("%q does not support thinking", req.Model))
	}
	var missing []string
	if !has("completion") {
		missing = append(missing, "completion")
	}
	if len(req.Tools) > 0 && !has("tools") {
		missing = append(missing, "tools")
	}
	switch {
	case slices.Contains(missing, "completion"):
		return writeError(w, http.StatusBadRequest, fmt.Sprintf("%q does not support chat", req.Model))
	case len(missing) > 0:
		return writeError(w, http.StatusBadRequest, full.String()+" does not support "+strings.Join(missing, "\n"))
	}

	if len(req.Messages) == 0 {
		return control("load")
	}
	if req.Think != nil && req.Think.IsString() && m.Architecture != "gptoss" && m.Parser != "harmony" {
		return writeError(w, http.StatusBadRequest, fmt.Sprintf("think value %q is not supported for this model", req.Think.String()))
	}

	reply, n, ok := s.next(body)
	if !ok {
		return writeError(w, http.StatusInternalServerError,
			fmt.Sprintf("ollamatest: script exhausted: no reply for chat request %d (model %q); call Script or Handle", n, req.Model))
	}
	return s.answer(ctx, w, &req, reply, start)
}

// next takes the next scripted reply, or asks the handler. n numbers the chat
// requests that asked for a reply, from 1.
func (s *Server) next(body []byte) (r Reply, n int, ok bool) {
	s.mu.Lock()
	s.chats++
	n = s.chats
	if len(s.script) > 0 {
		r = s.script[0]
		s.script = s.script[1:]
		s.mu.Unlock()
		return r, n, true
	}
	h := s.handle
	s.mu.Unlock()
	if h == nil {
		return Reply{}, n, false
	}
	var own api.ChatRequest
	if decodeBody(body, &own) != "" {
		return Reply{}, n, false
	}
	return h(&own), n, true
}

// answer sends reply, streamed or not.
func (s *Server) answer(ctx context.Context, w *recorder, req *api.ChatRequest, r Reply, start time.Time) error {
	stream := req.Stream == nil || *req.Stream
	if err := s.sleep(ctx, r.Delay); err != nil {
		return err
	}
	if r.Status >= 400 {
		msg := r.Error
		if msg == "" {
			msg = http.StatusText(r.Status)
		}
		return writeError(w, r.Status, msg)
	}

	thinking := split(r.Thinking, r.Chunks)
	content := split(r.Content, r.Chunks)
	calls := slices.Clone(r.ToolCalls)
	for i := range calls {
		if calls[i].ID == "" {
			calls[i].ID = s.callID()
		}
	}
	nchunks := len(thinking) + len(content)
	if len(calls) > 0 {
		nchunks++
	}
	firstByte := time.Now()

	msg := func(content, thinking string, calls []api.ToolCall) api.ChatResponse {
		return api.ChatResponse{
			Model:     req.Model,
			CreatedAt: time.Now().UTC(),
			Message:   api.Message{Role: "assistant", Content: content, Thinking: thinking, ToolCalls: calls},
		}
	}
	final := func() api.ChatResponse {
		res := msg("", "", nil)
		res.Done = true
		res.DoneReason = r.DoneReason
		if res.DoneReason == "" {
			res.DoneReason = "stop"
		}
		now := time.Now()
		res.Metrics = api.Metrics{
			TotalDuration:      now.Sub(start),
			LoadDuration:       or(r.LoadDuration, time.Millisecond),
			PromptEvalCount:    or(r.PromptEvalCount, promptTokens(req)),
			PromptEvalDuration: or(r.PromptEvalDuration, max(firstByte.Sub(start), time.Millisecond)),
			EvalCount:          or(r.EvalCount, max(nchunks, 1)),
			EvalDuration:       or(r.EvalDuration, max(now.Sub(firstByte), time.Millisecond)),
		}
		return res
	}

	if !stream {
		if err := s.sleep(ctx, time.Duration(max(nchunks-1, 0))*r.ChunkDelay); err != nil {
			return err
		}
		if r.Hang {
			return s.hang(ctx)
		}
		if r.Error != "" {
			return writeError(w, http.StatusInternalServerError, r.Error)
		}
		res := final()
		res.Message.Content = r.Content
		res.Message.Thinking = r.Thinking
		res.Message.ToolCalls = calls
		return writeJSON(w, http.StatusOK, res)
	}

	sent := 0
	send := func(res api.ChatResponse) error {
		if sent > 0 {
			if err := s.sleep(ctx, r.ChunkDelay); err != nil {
				return err
			}
		}
		sent++
		return writeLine(w, res)
	}
	for _, t := range thinking {
		if err := send(msg("", t, nil)); err != nil {
			return err
		}
	}
	for _, c := range content {
		if err := send(msg(c, "", nil)); err != nil {
			return err
		}
	}
	if r.Hang {
		return s.hang(ctx)
	}
	if r.Error != "" {
		if !w.written() {
			return writeError(w, http.StatusInternalServerError, r.Error)
		}
		return writeLine(w, map[string]string{"error": r.Error})
	}
	if len(calls) > 0 {
		if err := send(msg("", "", calls)); err != nil {
			return err
		}
	}
	return send(final())
}

// callID returns a tool call ID shaped like Ollama's ("call_" and 8 of [a-z0-9]).
func (s *Server) callID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.callIDs++
	id := strconv.FormatInt(int64(s.callIDs), 36)
	return "call_" + strings.Repeat("0", max(8-len(id), 0)) + id
}

// split cuts text into n pieces of about equal length, or, with n ≤ 0, after
// every run of white space. It never cuts inside a UTF-8 sequence.
func split(text string, n int) []string {
	if text == "" {
		return nil
	}
	var out []string
	if n > 0 {
		runes := utf8.RuneCountInString(text)
		n = min(n, runes)
		per, rest := runes/n, runes%n
		for i := range n {
			k := per
			if i < rest {
				k++
			}
			j := 0
			for c := 0; c < k; c++ {
				_, size := utf8.DecodeRuneInString(text[j:])
				j += size
			}
			out = append(out, text[:j])
			text = text[j:]
		}
		return out
	}
	for text != "" {
		i := strings.IndexFunc(text, unicode.IsSpace)
		if i < 0 {
			return append(out, text)
		}
		j := i + strings.IndexFunc(text[i:], func(r rune) bool { return !unicode.IsSpace(r) })
		if j < i {
			return append(out, text)
		}
		out = append(out, text[:j])
		text = text[j:]
	}
	return out
}

// promptTokens estimates the prompt size: a token per 4 bytes of text and
// 768 per image, Ollama's budget heuristic.
func promptTokens(req *api.ChatRequest) int {
	n := 1
	for _, m := range req.Messages {
		n += (len(m.Content)+3)/4 + 768*len(m.Images)
	}
	return n
}

// or returns v, or def when v is zero.
func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
