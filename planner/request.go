package planner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/deskhand/deskhand/perception"
)

// What a request asks of Ollama, when Agent leaves it to the defaults.
const (
	DefaultNumPredict = 1024
	DefaultKeepAlive  = 30 * time.Minute
	// Seed is the sampling seed of every request: with temperature 0 it changes
	// nothing, but it keeps a run reproducible should a model ignore temperature.
	Seed = 42
)

// The text part of NeededContext's budget, in tokens.
const (
	// bytesPerToken is low on purpose: English prose runs about 4 bytes a token on
	// Qwen's tokenizer, JSON and coordinates nearer 3. Too large a context costs
	// memory; too small a one stops the run with a *ContextOverflowError.
	bytesPerToken = 3
	// taskTokens is room for the task, so that num_ctx does not depend on it: a
	// different num_ctx reloads the model, and the next task should find it loaded.
	taskTokens = 256
	// messageTokens is the role markers and separators around each message.
	messageTokens = 8
	// stepTokens is one step kept as text: the reply (thought and action) and a
	// note about the action, or the words left where a screenshot was dropped.
	stepTokens = 200
	// contextStep is what num_ctx is rounded up to, so that small changes in the
	// prompts or the settings do not change it.
	contextStep = 2048
)

// ImageTokens is the number of prompt tokens a model on Qwen's vision encoder
// spends on an image of size pixels sent on grid g: one token per factor×factor
// pixels (14-pixel patches merged 2×2 for Qwen2.5-VL and UI-TARS, factor 28;
// 16-pixel patches merged 2×2 for Qwen3-VL and Qwen3.5, factor 32), plus the
// vision_start and vision_end tokens around them. At 1920×1080 that is
// 1904×1064 → 68×38 = 2,584 (+2) for factor 28 and 1920×1088 → 60×34 = 2,040 (+2)
// for factor 32, as in models-ollama.md §4.2 (computed there with Ollama v0.17.4's
// own resize code).
func ImageTokens(g perception.Grid, size image.Point) int {
	f := g.Factor
	if f <= 0 {
		f = 28
	}
	if size.X <= 0 || size.Y <= 0 {
		return 0
	}
	return (size.X/f)*(size.Y/f) + 2
}

// MaxImageTokens is the most tokens any screenshot sent on grid g can cost, on
// any screen: the grid caps the pixels (Ollama's 2,097,152 by default), so at most
// MaxPixels/factor² tokens (2,674 for factor 28, 2,048 for factor 32), plus two.
// Models that spend a fixed number per image, whatever its size (Gemma 3: 256),
// say so through ImageTokenCounter.
func MaxImageTokens(g perception.Grid) int {
	f, px := g.Factor, g.MaxPixels
	if f <= 0 {
		f = 28
	}
	if px <= 0 || px > perception.OllamaMaxPixels {
		px = perception.OllamaMaxPixels
	}
	return px/(f*f) + 2
}

// NeededContext is the num_ctx a run needs, in tokens: the screenshots of the
// fullest request (keep, plus the ones a batch drop has not removed yet: see
// trimImages), the adapter's opening messages and tools with room for the task,
// maxSteps steps kept as text, and numPredict tokens of reply. It is rounded up
// to a multiple of 2048 and is at least DefaultNumCtx, so that it seldom changes
// from run to run (a change reloads the model), but never more than
// contextLength, the model's own context, when that is known (> 0).
//
// For UI-TARS-1.5 (factor 28) with the defaults — 3 screenshots kept, 30 steps,
// 1,024 tokens of reply — that is 5×2,676 image tokens + about 8,400 of text:
// 22,528.
func NeededContext(a Adapter, keep, maxSteps, numPredict, contextLength int) int {
	perImage := MaxImageTokens(a.Grid())
	if c, ok := a.(ImageTokenCounter); ok {
		perImage = c.MaxImageTokens()
	}
	images := keep + dropBatch - 1

	opening := a.Start("")
	req := &api.ChatRequest{Messages: opening}
	a.Configure(req)
	text := 0
	for _, m := range opening {
		text += len(m.Role) + len(m.Content)
	}
	if len(req.Tools) > 0 {
		if b, err := json.Marshal(req.Tools); err == nil {
			text += len(b)
		}
	}
	n := images*perImage + text/bytesPerToken + messageTokens*len(opening) + taskTokens +
		maxSteps*stepTokens + numPredict
	n = max((n+contextStep-1)/contextStep*contextStep, DefaultNumCtx)
	if contextLength > 0 {
		n = min(n, contextLength)
	}
	return n
}

// Timeouts bound each request to the model. A request that has sent nothing
// after FirstToken, or has not finished after Total, fails with a *TimeoutError.
// Both start generous, since the first request may wait for the model to load,
// then adapt to the model's measured speed: Factor times the slowest request seen
// so far, never under the Min values. Zero fields take the defaults.
type Timeouts struct {
	FirstToken    time.Duration // until something is measured; DefaultFirstToken
	Total         time.Duration // until something is measured; DefaultTotal
	MinFirstToken time.Duration // the adapted first-token limit's floor; DefaultMinFirstToken
	MinTotal      time.Duration // the adapted total limit's floor; DefaultMinTotal
	Factor        float64       // how much slower than the slowest so far is allowed; DefaultTimeoutFactor
}

// The default Timeouts. The floors leave room for a model Ollama unloaded in the
// meantime (loading takes seconds to tens of seconds) and for a step whose
// prompt is no longer cached.
const (
	DefaultFirstToken    = 120 * time.Second
	DefaultTotal         = 300 * time.Second
	DefaultMinFirstToken = 60 * time.Second
	DefaultMinTotal      = 120 * time.Second
	DefaultTimeoutFactor = 4
)

func (t Timeouts) withDefaults() Timeouts {
	t.FirstToken = or(t.FirstToken, DefaultFirstToken)
	t.Total = or(t.Total, DefaultTotal)
	t.MinFirstToken = or(t.MinFirstToken, DefaultMinFirstToken)
	t.MinTotal = or(t.MinTotal, DefaultMinTotal)
	t.Factor = or(t.Factor, DefaultTimeoutFactor)
	return t
}

// pace is the model's measured speed in this run.
type pace struct {
	seen     bool
	perImage time.Duration // slowest wait for the first chunk, per screenshot not yet cached
	gen      time.Duration // slowest time from the first chunk to the last
	slowest  time.Duration // slowest request, all of it
}

// limits returns the first-token and total limits for a request with images
// screenshots Ollama has not cached yet. The wait for the first chunk is mostly
// the encoding and prefill of new screenshots, so it is scaled by their number: a
// step after a batch drop re-reads all the screenshots kept.
func (t Timeouts) limits(p pace, images int) (first, total time.Duration) {
	t = t.withDefaults()
	if !p.seen {
		return t.FirstToken, t.Total
	}
	scale := func(d time.Duration, n int) time.Duration { return time.Duration(t.Factor * float64(d) * float64(n)) }
	first = max(t.MinFirstToken, scale(p.perImage, max(images, 1)))
	total = max(t.MinTotal, first+scale(p.gen, 1))
	return first, total
}

// observe records a request that finished: first is when its first chunk came,
// all how long it took, images how many screenshots were not cached.
func (p *pace) observe(first, all time.Duration, images int) {
	p.seen = true
	p.perImage = max(p.perImage, first/time.Duration(max(images, 1)))
	p.gen = max(p.gen, all-first)
	p.slowest = max(p.slowest, all)
}

// options returns the one options map of a run. Runner options (num_ctx) that
// change reload the model; sampling options that change break reproducibility.
func (r *run) buildOptions() map[string]any {
	numCtx := r.NumCtx
	if numCtx <= 0 {
		numCtx = NeededContext(r.Adapter, r.keep, r.maxSteps, r.numPredict, r.Info.ContextLength)
	} else if r.Info.ContextLength > 0 {
		numCtx = min(numCtx, r.Info.ContextLength)
	}
	return map[string]any{
		"temperature": 0,
		"seed":        Seed,
		"num_ctx":     numCtx,
		"num_predict": r.numPredict,
	}
}

// thinking decides the think flag of every request: what the user chose, when
// the model can think; off when Ollama says it cannot (true would be refused
// with HTTP 400); and, when the user did not choose, on for a model that can,
// which is Ollama's own default made explicit (a qwen3-vl thinking variant asked
// not to think sends its whole answer as thinking, ollama/ollama#13353). With
// nothing known about the model the user's choice is sent as is, or nothing.
func (r *run) thinking() *bool {
	known := len(r.Info.Capabilities) > 0
	can := r.Info.Has("thinking")
	switch {
	case known && !can:
		return new(false)
	case r.Think != nil:
		return new(*r.Think)
	case known:
		return new(true)
	}
	return nil
}

// request builds a chat request for msgs with the run's fixed settings. The
// adapter configures it last: it knows its family's format (UI-TARS, for one,
// has no thinking mode and says so).
func (r *run) request(msgs []api.Message) *api.ChatRequest {
	stream, off := true, false
	req := &api.ChatRequest{
		Model:     r.Model,
		Messages:  msgs,
		Stream:    &stream,
		Options:   r.options,
		KeepAlive: &api.Duration{Duration: or(r.KeepAlive, DefaultKeepAlive)},
		// An over-long prompt must be an error, not a silently dropped system prompt.
		Truncate: &off,
		Shift:    &off,
	}
	if r.think != nil {
		req.Think = &api.ThinkValue{Value: *r.think}
	}
	if fb, ok := r.Adapter.(TextFallback); ok && r.textMode {
		fb.ConfigureText(req)
	} else {
		r.Adapter.Configure(req)
	}
	r.hadTools = len(req.Tools) > 0
	return req
}

// chat sends req with the limits for a request with images uncached
// screenshots, and passes each chunk to fn. It returns when the first chunk came
// (0 if none did), and a *TimeoutError when a limit ran out.
func (r *run) chat(ctx context.Context, req *api.ChatRequest, images int, fn api.ChatResponseFunc) (first time.Duration, err error) {
	firstLimit, totalLimit := r.Timeouts.limits(r.pace, images)
	rctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	slowest := r.pace.slowest
	timeout := func(firstToken bool, limit time.Duration) func() {
		return func() {
			cancel(&TimeoutError{Model: r.Model, FirstToken: firstToken, Limit: limit, Slowest: slowest})
		}
	}
	firstTimer := time.AfterFunc(firstLimit, timeout(true, firstLimit))
	defer firstTimer.Stop()
	totalTimer := time.AfterFunc(totalLimit, timeout(false, totalLimit))
	defer totalTimer.Stop()

	t0 := time.Now()
	err = r.Client.Chat(rctx, req, func(resp api.ChatResponse) error {
		if first == 0 {
			first = max(time.Since(t0), time.Nanosecond)
			firstTimer.Stop()
		}
		return fn(resp)
	})
	if ctx.Err() == nil && rctx.Err() != nil {
		var te *TimeoutError
		if cause := context.Cause(rctx); errors.As(cause, &te) {
			return first, te
		}
	}
	return first, err
}

// warmUp loads the model with the run's options before the first screenshot, so
// the first step does not wait for the load and a model that cannot run (missing,
// refused, out of memory) fails before anything happens on the desktop. It is
// Ollama's preload: a chat request with no messages (models-ollama.md §1.7), with
// the same options, tools and think flag as every later request, so that Ollama
// checks the capabilities now and never reloads the model for the first step.
func (r *run) warmUp(ctx context.Context) error {
	r.emit(Event{Kind: ModelLoading, Model: r.Model})
	t0 := time.Now()
	for {
		// Nothing is measured yet, so the first-token limit is the generous one
		// meant to cover a load.
		_, err := r.chat(ctx, r.request(nil), 0, func(api.ChatResponse) error { return nil })
		if te := (*TimeoutError)(nil); errors.As(err, &te) {
			te.Loading = true
		}
		if err == nil {
			r.emit(Event{Kind: ModelLoaded, Model: r.Model, Millis: map[string]float64{"load": ms(time.Since(t0))}})
			return nil
		}
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		if r.fallBack(err) {
			r.emit(Event{Kind: SwitchedToText, Error: r.classify(err).Error()})
			continue
		}
		return r.classify(err)
	}
}

// fallBack switches the run to the adapter's text format when err is a failure
// of Ollama's tool calling and the adapter has one (TextFallback), and reports
// whether it did.
func (r *run) fallBack(err error) bool {
	if _, ok := r.Adapter.(TextFallback); !ok || r.textMode || !r.hadTools {
		return false
	}
	var se api.StatusError
	switch {
	case errors.As(err, &se):
		if se.StatusCode < 500 && !(se.StatusCode == 400 && strings.Contains(se.ErrorMessage, "does not support tools")) {
			return false
		}
	case !strings.Contains(strings.ToLower(err.Error()), "tool call"):
		// After the first chunk Ollama reports a failed tool call as an error line
		// ("qwen3 tool call parsing failed …"), which the client returns as is.
		return false
	}
	r.textMode = true
	r.cached = 0 // the text format changes the opening, so nothing is cached
	return true
}

// classify turns a request's error into one the user can act on.
func (r *run) classify(err error) error {
	var se api.StatusError
	if errors.As(err, &se) && se.StatusCode == 400 && strings.Contains(se.ErrorMessage, "exceeds the context length") {
		return &ContextOverflowError{Model: r.Model, NumCtx: r.numCtx()}
	}
	var te *TimeoutError
	if errors.As(err, &te) {
		return te
	}
	return classify(err, r.Host, r.Model)
}

func (r *run) numCtx() int {
	n, _ := r.options["num_ctx"].(int)
	return n
}

// retryable reports whether a request that failed with err may succeed if sent
// again: server errors (the runner crashed and restarts, a reply the server
// could not parse) and errors Ollama sent in the middle of a reply, or a reply
// cut short. Transport errors, refusals and timeouts are not.
func retryable(err error) bool {
	var se api.StatusError
	if errors.As(err, &se) {
		return se.StatusCode >= 500
	}
	var ue *url.Error
	var ne net.Error
	return !errors.As(err, &ue) && !errors.As(err, &ne) && !errors.As(err, new(*TimeoutError)) &&
		!errors.Is(err, errOutputLimit) && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// unreadable reports whether a server error says the model's reply could not be
// read, so the retry should tell the model.
func unreadable(err error) bool {
	msg := strings.ToLower(err.Error())
	return strings.Contains(msg, "pars") || strings.Contains(msg, "tool call") || strings.Contains(msg, "json")
}

// corrective is the note that goes with a retry after an unreadable reply.
func corrective(err error) api.Message {
	msg := err.Error()
	var se api.StatusError
	if errors.As(err, &se) && se.ErrorMessage != "" {
		msg = se.ErrorMessage
	}
	return api.Message{Role: "user", Content: fmt.Sprintf("Your last reply could not be read (%s). Look at the same screenshot and answer again, exactly in the output format you were given.", truncate(msg, 200))}
}
