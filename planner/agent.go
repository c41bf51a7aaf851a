package planner

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"strings"
	"sync"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/deskhand/deskhand/actuation"
	"github.com/deskhand/deskhand/perception"
)

// Defaults for the zero values of Agent's fields.
const (
	DefaultMaxSteps    = 30
	DefaultSettle      = 3 * time.Second
	DefaultKeepScreens = 3
	// DefaultNumCtx is the least context a run asks for (see NeededContext).
	DefaultNumCtx    = 16384
	DefaultMaxTime   = time.Hour
	DefaultMaxErrors = 5
)

// ErrEmptyTask is returned for a task with no words in it.
var ErrEmptyTask = errors.New("the task is empty — say what deskhand should do, e.g. deskhand run \"open a terminal and list my files\"")

// Agent runs one task at a time on the desktop. Set its fields before calling Run
// and do not change them while it runs.
type Agent struct {
	Screen   Screen
	Actuator Actuator
	Client   ChatClient
	Adapter  Adapter
	// Approver is asked before every action that Policy says needs approval; nil
	// approves nothing and stops the run at the first such action, since acting
	// unasked is what --yes (ConfirmNone) is for.
	Approver Approver
	// Policy says which actions need approval; the zero value, ConfirmAll, asks for
	// every one. Only the user sets it: nothing the model says reaches it.
	Policy Policy
	// Events receives progress events; nil drops them.
	Events EventSink
	// Model is the Ollama model name.
	Model string
	// Info is what CheckModel found out about the model. Its capabilities decide
	// the think flag, its context length caps num_ctx. The zero value means
	// unknown: Think is sent as it is, and num_ctx is not capped.
	Info ModelInfo
	// Host is the Ollama address, used in error messages.
	Host string
	// MaxSteps caps the number of model replies; 0 means DefaultMaxSteps.
	MaxSteps int
	// MaxTime caps the run's wall time, time spent waiting for approvals
	// included; 0 means DefaultMaxTime.
	MaxTime time.Duration
	// MaxErrors caps the errors in a row (replies not understood, server errors,
	// actions refused as invalid) before the run stops; 0 means DefaultMaxErrors.
	MaxErrors int
	// Timeouts bound each request to the model; see Timeouts for the defaults.
	Timeouts Timeouts
	// Settle caps the wait for the screen to stop changing after acting; 0 means
	// DefaultSettle.
	Settle time.Duration
	// KeepScreens is how many of the latest screenshots are re-sent; 0 means
	// DefaultKeepScreens.
	KeepScreens int
	// NumCtx is the context length asked of Ollama; 0 computes it with
	// NeededContext.
	NumCtx int
	// NumPredict caps the tokens of one reply, thinking included; 0 means
	// DefaultNumPredict.
	NumPredict int
	// KeepAlive is how long Ollama keeps the model loaded after each request, and
	// so after the run; 0 means DefaultKeepAlive.
	KeepAlive time.Duration
	// Think is the user's choice for a model that can think; nil lets a model
	// that can think do so. See run.thinking.
	Think *bool

	// acting cancels the action running now, for Interrupt.
	acting struct {
		mu     sync.Mutex
		cancel context.CancelCauseFunc
	}
}

// Interrupt stops the action running now, if any, with cause, and reports
// whether there was one. The run then pauses: an Approver that is also a Pauser
// is asked whether to go on (the model is told its action may be incomplete);
// without one, the run stops with cause (wrapped in ErrStopped). It is for the
// user taking over the mouse or keyboard, and safe to call from any goroutine.
func (a *Agent) Interrupt(cause error) bool {
	a.acting.mu.Lock()
	defer a.acting.mu.Unlock()
	if a.acting.cancel == nil {
		return false
	}
	a.acting.cancel(cause)
	a.acting.cancel = nil
	return true
}

// doInterruptible runs act with a context Interrupt can cancel.
func (a *Agent) doInterruptible(ctx context.Context, act actuation.Action) (interrupted error, err error) {
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	a.acting.mu.Lock()
	a.acting.cancel = cancel
	a.acting.mu.Unlock()
	err = a.Actuator.Do(actx, act)
	a.acting.mu.Lock()
	a.acting.cancel = nil
	a.acting.mu.Unlock()
	if actx.Err() != nil && ctx.Err() == nil {
		if cause := context.Cause(actx); cause != nil && !errors.Is(cause, context.Canceled) {
			return cause, err
		}
	}
	return nil, err
}

// Run drives the desktop until the model reports done, fails or asks for the user,
// the user stops it, or a limit is hit. It is synchronous; cancel ctx with cause
// ErrStopped to stop it. The error is nil only when the task is done.
func (a *Agent) Run(ctx context.Context, task string) (Result, error) {
	if strings.TrimSpace(task) == "" {
		return Result{Status: StatusFailed}, ErrEmptyTask
	}
	if a.Screen == nil || a.Actuator == nil || a.Client == nil || a.Adapter == nil {
		return Result{Status: StatusFailed}, errors.New("planner: agent needs a Screen, an Actuator, a Client and an Adapter")
	}
	maxTime := or(a.MaxTime, DefaultMaxTime)
	ctx, cancel := context.WithTimeoutCause(ctx, maxTime, ErrWallTime)
	defer cancel()
	r := &run{
		Agent:      a,
		task:       task,
		maxSteps:   or(a.MaxSteps, DefaultMaxSteps),
		maxErrors:  or(a.MaxErrors, DefaultMaxErrors),
		keep:       or(a.KeepScreens, DefaultKeepScreens),
		numPredict: or(a.NumPredict, DefaultNumPredict),
		seed:       maphash.MakeSeed(),
	}
	// One options map for the whole run, the warm-up included: a change of runner
	// options reloads the model and a change of sampling breaks reproducibility.
	r.options = r.buildOptions()
	r.think = r.thinking()
	r.emit(Event{Kind: RunStarted, Task: task, Model: a.Model, Adapter: a.Adapter.Name(), NumCtx: r.numCtx(), Options: r.options})
	res, err := r.loop(ctx)
	if ctx.Err() != nil {
		switch cause := context.Cause(ctx); {
		case errors.Is(cause, ErrStopped) || errors.Is(err, ErrStopped):
			res.Status, err = StatusStopped, ErrStopped
		case errors.Is(cause, ErrWallTime):
			res.Status = StatusLimit
			err = fmt.Errorf("%w: the run took longer than %s", ErrWallTime, maxTime)
		}
	}
	ev := Event{Kind: RunFinished, Status: res.Status, Text: res.Text, Step: res.Steps}
	if err != nil {
		ev.Error = err.Error()
	}
	r.emit(ev)
	return res, err
}

type run struct {
	*Agent
	task       string
	maxSteps   int
	maxErrors  int
	keep       int
	numPredict int
	messages   []api.Message
	options    map[string]any
	think      *bool
	// recent holds the last actions that ran, oldest first, for Classify.
	recent []actuation.Action

	// cached is how many leading messages Ollama has in its prompt cache: those
	// of the last request, less any changed since (trimImages).
	cached   int
	pace     pace // the model's speed so far, for the timeouts
	textMode bool // fell back to the adapter's text format (TextFallback)
	hadTools bool // the last request carried tools

	faults   int // errors in a row
	seed     maphash.Seed
	attempts []attempt // the last steps that acted, for the loop check
}

func (r *run) emit(e Event) {
	if r.Events == nil {
		return
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	r.Events(e)
}

// statusOf is how a run that ends with err ended.
func statusOf(err error) Status {
	switch {
	case errors.Is(err, ErrStopped):
		return StatusStopped
	case errors.Is(err, ErrErrorLimit) || errors.Is(err, ErrStepLimit) || errors.Is(err, ErrWallTime):
		return StatusLimit
	case errors.As(err, new(*LoopError)):
		return StatusAsked
	}
	return StatusFailed
}

func (r *run) loop(ctx context.Context) (Result, error) {
	r.messages = r.Adapter.Start(r.task)
	if err := r.warmUp(ctx); err != nil {
		return Result{Status: statusOf(err)}, err
	}
	note := ""
	for step := 1; ; step++ {
		if step > r.maxSteps {
			return Result{Status: StatusLimit, Steps: step - 1, Text: fmt.Sprintf("stopped after %d steps without finishing", r.maxSteps)},
				fmt.Errorf("%w: %d steps (raise it with --max-steps)", ErrStepLimit, r.maxSteps)
		}
		if err := context.Cause(ctx); err != nil {
			return Result{Status: StatusStopped, Steps: step - 1}, err
		}
		r.emit(Event{Kind: StepStarted, Step: step})

		t0 := time.Now()
		frame, err := r.Screen.Capture(ctx, r.Adapter.Grid())
		if err != nil {
			return Result{Status: StatusFailed, Steps: step - 1}, fmt.Errorf("capture the screen: %w", err)
		}
		r.emit(Event{Kind: FrameCaptured, Step: step, Frame: &frame, Millis: map[string]float64{"capture": ms(time.Since(t0))}})
		screen := r.screenHash(frame)
		if err := r.checkLoop(screen); err != nil {
			return Result{Status: StatusAsked, Steps: step - 1, Text: err.Error()}, err
		}
		if fs, ok := r.Adapter.(FrameStarter); ok && step == 1 {
			r.messages = fs.StartFrame(r.task, frame)
		}
		r.messages = append(r.messages, r.Adapter.Observe(frame, note))
		if changed := r.trimImages(); changed >= 0 {
			r.cached = min(r.cached, changed)
		}
		note = ""

		dec, err := r.decide(ctx, step, frame)
		if err != nil {
			return Result{Status: statusOf(err), Steps: step, Text: rawOf(err)}, err
		}

		var done []actuation.Action
		for _, act := range dec.Actions {
			if act.Terminal() {
				return r.finish(step, act)
			}
			var quit bool
			var did *actuation.Action
			note, did, quit, err = r.act(ctx, step, frame, dec, act)
			if err != nil {
				return Result{Status: statusOf(err), Steps: step}, err
			}
			if quit {
				return Result{Status: StatusStopped, Steps: step, Text: "you quit at the approval prompt"}, ErrStopped
			}
			if did != nil {
				done = append(done, *did)
			}
			if note != "" {
				break // tell the model before it goes on with a stale plan
			}
		}
		r.recordAttempt(screen, done)

		t1 := time.Now()
		if err := r.Screen.Settle(ctx, or(r.Settle, DefaultSettle)); err != nil {
			if ctx.Err() != nil {
				return Result{Status: StatusStopped, Steps: step}, context.Cause(ctx)
			}
			return Result{Status: StatusFailed, Steps: step}, fmt.Errorf("wait for the screen: %w", err)
		}
		r.emit(Event{Kind: ScreenSettled, Step: step, Millis: map[string]float64{"settle": ms(time.Since(t1))}})
	}
}

func (r *run) finish(step int, act actuation.Action) (Result, error) {
	switch act.Type {
	case actuation.Done:
		return Result{Status: StatusDone, Steps: step, Text: act.Text}, nil
	case actuation.AskUser:
		return Result{Status: StatusAsked, Steps: step, Text: act.Text}, &AskUserError{Question: act.Text}
	default:
		return Result{Status: StatusFailed, Steps: step, Text: act.Text}, &GaveUpError{Reason: act.Text}
	}
}

// act validates, approves and performs one action. It returns a note for the model
// when the action did not run as proposed, the action performed (nil if none), and
// quit when the user quit.
func (r *run) act(ctx context.Context, step int, frame perception.Frame, dec Decision, act actuation.Action) (note string, did *actuation.Action, quit bool, err error) {
	act, verr := actuation.Normalize(act, frame.Bounds)
	if verr != nil {
		r.emit(Event{Kind: ActionRejected, Step: step, Action: &act, Error: verr.Error()})
		if err := r.fault(verr.Error()); err != nil {
			return "", nil, false, err
		}
		return fmt.Sprintf("Your action %s was not performed: %v.", act.Type, verr), nil, false, nil
	}
	// The risk is judged in code from the normalised action, the thought and what
	// ran before; the policy that decides whether to ask is the user's.
	rc := RiskContext{Thought: dec.Thought, Recent: r.recent}
	if f, ok := r.Actuator.(FocusReader); ok && (act.Type == actuation.TypeText || act.Type == actuation.Key) {
		if w, err := f.Focused(ctx); err == nil {
			rc.Window = &w
		}
	}
	risk := Classify(act, rc)
	r.emit(Event{Kind: ActionProposed, Step: step, Action: &act, Risk: &risk})
	ans := Approval{Verdict: Approve}
	auto := !r.Policy.NeedsApproval(risk)
	if !auto {
		if r.Approver == nil {
			return "", nil, false, errors.New("planner: no approver to ask before acting")
		}
		var err error
		ans, err = r.Approver.Approve(ctx, ApprovalRequest{Step: step, Action: act, Frame: frame, Thought: dec.Thought, Risk: risk})
		if err != nil {
			if ctx.Err() != nil {
				return "", nil, false, context.Cause(ctx)
			}
			return "", nil, false, fmt.Errorf("ask for approval: %w", err)
		}
	}
	switch ans.Verdict {
	case Approve:
		ev := Event{Kind: ActionApproved, Step: step, Action: &act, Risk: &risk}
		if auto {
			ev.Text = AutoApproved
		}
		r.emit(ev)
	case Skip:
		r.emit(Event{Kind: ActionSkipped, Step: step, Action: &act, Text: ans.Reason})
		n := fmt.Sprintf("The user did not allow your action (%s).", act.Describe())
		if ans.Reason != "" {
			n += " They said: " + ans.Reason
		}
		return n, nil, false, nil
	case Edit:
		edited, verr := actuation.Normalize(ans.Action, frame.Bounds)
		if verr != nil {
			r.emit(Event{Kind: ActionRejected, Step: step, Action: &edited, Error: verr.Error()})
			return fmt.Sprintf("The user's correction of your action was invalid: %v.", verr), nil, false, nil
		}
		r.emit(Event{Kind: ActionEdited, Step: step, Action: &edited})
		act = edited
	case Quit:
		return "", nil, true, nil
	default:
		return "", nil, false, fmt.Errorf("approver answered %q", ans.Verdict)
	}
	t0 := time.Now()
	if cause, err := r.doInterruptible(ctx, act); cause != nil {
		return r.pause(ctx, step, act, cause)
	} else if err != nil {
		if ctx.Err() != nil {
			return "", nil, false, context.Cause(ctx)
		}
		r.emit(Event{Kind: ActionFailed, Step: step, Action: &act, Error: err.Error()})
		var inv *actuation.InvalidActionError
		if errors.As(err, &inv) {
			if err := r.fault(err.Error()); err != nil {
				return "", nil, false, err
			}
			return fmt.Sprintf("Your action %s was not performed: %v.", act.Type, err), nil, false, nil
		}
		return "", nil, false, fmt.Errorf("step %d: %s: %w", step, act.Describe(), err)
	}
	r.emit(Event{Kind: ActionExecuted, Step: step, Action: &act, Millis: map[string]float64{"act": ms(time.Since(t0))}})
	// The risk of the next action may hang on why this one was done (a click
	// into the password field makes the typing after it high risk).
	done := act
	if done.Thought == "" {
		done.Thought = dec.Thought
	}
	r.remember(done)
	r.faults = 0
	if ans.Verdict == Edit {
		return "The user corrected your action; it was performed as: " + act.Describe() + ".", &act, false, nil
	}
	return "", &act, false, nil
}

// pause handles an action Interrupt stopped: the user took over. A Pauser is
// asked whether to go on; the model is then told its action may be half done and
// looks at the screen afresh. Without a Pauser, or if the user says stop, the run
// stops.
func (r *run) pause(ctx context.Context, step int, act actuation.Action, cause error) (note string, did *actuation.Action, quit bool, err error) {
	r.emit(Event{Kind: Paused, Step: step, Action: &act, Text: cause.Error()})
	p, ok := r.Approver.(Pauser)
	if !ok {
		return "", nil, false, fmt.Errorf("%w: %w", ErrStopped, cause)
	}
	resume, err := p.Pause(ctx, PauseRequest{Step: step, Action: act, Reason: cause.Error()})
	switch {
	case err != nil && ctx.Err() != nil:
		return "", nil, false, context.Cause(ctx)
	case err != nil:
		return "", nil, false, fmt.Errorf("%w: %w (and asking to go on failed: %v)", ErrStopped, cause, err)
	case !resume:
		return "", nil, false, fmt.Errorf("%w: %w", ErrStopped, cause)
	}
	r.emit(Event{Kind: Resumed, Step: step})
	return fmt.Sprintf("The user took control while your action (%s) ran, so it may be incomplete, and then handed control back. Look at the new screenshot before going on.", act.Describe()), nil, false, nil
}

// remember adds an action that ran to the short history Classify reads.
func (r *run) remember(act actuation.Action) {
	r.recent = append(r.recent, act)
	if len(r.recent) > recentActions {
		r.recent = append(r.recent[:0:0], r.recent[len(r.recent)-recentActions:]...)
	}
}

// decide asks the model and parses its reply, re-asking once when the reply does
// not parse and retrying twice on server errors (with a corrective note when the
// server could not read the reply). A failure of Ollama's tool calling switches
// an adapter that has a text format to it (TextFallback).
func (r *run) decide(ctx context.Context, step int, frame perception.Frame) (Decision, error) {
	reasked, serverRetries := false, 0
	for {
		reply, err := r.ask(ctx, step)
		if err != nil {
			if ctx.Err() != nil {
				return Decision{}, context.Cause(ctx)
			}
			switch {
			case r.fallBack(err):
				r.emit(Event{Kind: SwitchedToText, Step: step, Error: r.classify(err).Error()})
			case retryable(err) && serverRetries < 2:
				serverRetries++
				r.emit(Event{Kind: ReplyRejected, Step: step, Error: err.Error()})
				if unreadable(err) {
					r.messages = append(r.messages, corrective(err))
				}
			default:
				return Decision{}, r.classify(err)
			}
			if lerr := r.fault(err.Error()); lerr != nil {
				return Decision{}, lerr
			}
			continue
		}
		dec, perr := r.Adapter.Parse(reply, frame)
		if perr == nil {
			r.messages = append(r.messages, r.history(reply))
			r.emit(Event{Kind: Decided, Step: step, Decision: &dec})
			return dec, nil
		}
		raw := reply.Content
		if raw == "" {
			raw = reply.Thinking
		}
		r.emit(Event{Kind: ReplyRejected, Step: step, Text: raw, Error: perr.Error()})
		if reasked {
			return Decision{}, &UnparsableError{Raw: raw, Err: perr}
		}
		if lerr := r.fault(perr.Error()); lerr != nil {
			return Decision{}, lerr
		}
		reasked = true
		r.messages = append(r.messages,
			r.history(reply),
			api.Message{Role: "user", Content: fmt.Sprintf("Your reply could not be used: %v. Look at the same screenshot and answer again, exactly in the output format you were given.", perr)})
	}
}

// historian is an Adapter that rewrites its model's replies before they are sent
// back as history (UI-TARS wants past points wrapped in box tokens again).
type historian interface {
	HistoryMessage(reply api.Message) api.Message
}

// history is the assistant message that stands for reply in the conversation.
func (r *run) history(reply api.Message) api.Message {
	if h, ok := r.Adapter.(historian); ok {
		return h.HistoryMessage(reply)
	}
	// Thinking is not re-sent: Ollama's renderers drop it from past turns anyway.
	return api.Message{Role: "assistant", Content: reply.Content, ToolCalls: reply.ToolCalls}
}

// ask sends the conversation and collects the streamed reply.
func (r *run) ask(ctx context.Context, step int) (api.Message, error) {
	req := r.request(r.messages)
	images := 0
	for _, m := range r.messages[min(r.cached, len(r.messages)):] {
		images += len(m.Images)
	}
	var reply api.Message
	var content, thinking strings.Builder
	var final api.ChatResponse
	gotDone := false
	t0 := time.Now()
	first, err := r.chat(ctx, req, images, func(resp api.ChatResponse) error {
		if resp.Message.Thinking != "" {
			thinking.WriteString(resp.Message.Thinking)
			r.emit(Event{Kind: ThinkingDelta, Step: step, Thinking: resp.Message.Thinking})
		}
		if resp.Message.Content != "" {
			content.WriteString(resp.Message.Content)
			r.emit(Event{Kind: ContentDelta, Step: step, Text: resp.Message.Content})
		}
		reply.ToolCalls = append(reply.ToolCalls, resp.Message.ToolCalls...)
		if resp.Done {
			final, gotDone = resp, true
		}
		return nil
	})
	if err == nil && !gotDone {
		// api.Client.Chat returns nil when a stream is cut short (it does not check
		// the scanner's error), so a missing final chunk is the only sign.
		if ctx.Err() != nil {
			return api.Message{}, context.Cause(ctx)
		}
		err = errors.New("the connection to Ollama closed before the reply was complete (did the model runner crash? see `ollama ps` and the server log)")
	}
	if err != nil {
		return api.Message{}, err
	}
	all := time.Since(t0)
	r.pace.observe(first, all, images)
	r.cached = len(req.Messages)
	reply.Role = "assistant"
	reply.Content, reply.Thinking = content.String(), thinking.String()
	r.emit(Event{Kind: ModelReplied, Step: step, Text: reply.Content, Thinking: reply.Thinking,
		PromptEvalCount: final.PromptEvalCount, EvalCount: final.EvalCount,
		Millis: map[string]float64{"model": ms(all), "first_token": ms(first),
			"load": ms(final.LoadDuration), "prompt_eval": ms(final.PromptEvalDuration), "eval": ms(final.EvalDuration)}})
	if final.DoneReason == "length" && reply.Content == "" && len(reply.ToolCalls) == 0 && reply.Thinking == "" {
		// Asking again would give the same reply: the request is deterministic.
		return reply, fmt.Errorf("%w (%d tokens)", errOutputLimit, r.numPredict)
	}
	return reply, nil
}

// errOutputLimit is a reply that used all of num_predict without an answer.
var errOutputLimit = errors.New("the model reached its output limit without answering")

// dropBatch is how many screenshots over KeepScreens a request may carry before
// trimImages drops them all at once: the prompt prefix Ollama has cached then
// changes once every dropBatch steps instead of at every step.
const dropBatch = 3

// trimImages keeps the newest screenshots and turns older ones into text once
// there are dropBatch more than KeepScreens, so that the prompt prefix Ollama has
// cached stays unchanged for several steps at a time. It returns the index of the
// first message it changed, or -1.
func (r *run) trimImages() int {
	var idx []int
	for i, m := range r.messages {
		if len(m.Images) > 0 {
			idx = append(idx, i)
		}
	}
	if len(idx) < r.keep+dropBatch {
		return -1
	}
	for _, i := range idx[:len(idx)-r.keep] {
		m := r.messages[i]
		m.Images = nil
		if m.Content == "" {
			m.Content = "(an earlier screenshot, no longer shown)"
		}
		r.messages[i] = m
	}
	return idx[0]
}

// AskUserError means the model needs the user to go on.
type AskUserError struct{ Question string }

func (e *AskUserError) Error() string { return "the model asks for you: " + e.Question }

// GaveUpError means the model reported that it cannot do the task.
type GaveUpError struct{ Reason string }

func (e *GaveUpError) Error() string { return "the model gave up: " + e.Reason }

// UnparsableError means the model's reply did not parse, even after one corrective
// re-ask. Raw is what it said.
type UnparsableError struct {
	Raw string
	Err error
}

func (e *UnparsableError) Error() string {
	return fmt.Sprintf("the model's reply could not be understood, even after asking again (%v); it said: %q", e.Err, truncate(e.Raw, 400))
}

func (e *UnparsableError) Unwrap() error { return e.Err }

func rawOf(err error) string {
	var u *UnparsableError
	if errors.As(err, &u) {
		return u.Raw
	}
	return ""
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
