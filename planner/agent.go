package planner

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
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
	DefaultNumCtx      = 16384
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
	// Host is the Ollama address, used in error messages.
	Host string
	// MaxSteps caps the number of model replies; 0 means DefaultMaxSteps.
	MaxSteps int
	// Settle caps the wait for the screen to stop changing after acting; 0 means
	// DefaultSettle.
	Settle time.Duration
	// KeepScreens is how many of the latest screenshots are re-sent; 0 means
	// DefaultKeepScreens.
	KeepScreens int
	// NumCtx is the context length asked of Ollama; 0 means DefaultNumCtx.
	NumCtx int
	// Think asks a thinking model to think (nil leaves Ollama's default).
	Think *bool
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
	r := &run{Agent: a, task: task, maxSteps: or(a.MaxSteps, DefaultMaxSteps)}
	r.emit(Event{Kind: RunStarted, Task: task, Model: a.Model, Adapter: a.Adapter.Name()})
	res, err := r.loop(ctx)
	if cause := context.Cause(ctx); ctx.Err() != nil && (errors.Is(cause, ErrStopped) || errors.Is(err, ErrStopped)) {
		res.Status, err = StatusStopped, ErrStopped
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
	task     string
	maxSteps int
	messages []api.Message
	options  map[string]any
	// recent holds the last actions that ran, oldest first, for Classify.
	recent []actuation.Action
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

func (r *run) loop(ctx context.Context) (Result, error) {
	r.messages = r.Adapter.Start(r.task)
	// One options map for the whole run: a change of runner options reloads the
	// model and a change of sampling breaks reproducibility.
	r.options = map[string]any{
		"temperature": 0,
		"seed":        42,
		"num_ctx":     or(r.NumCtx, DefaultNumCtx),
		"num_predict": 1024,
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
		r.messages = append(r.messages, r.Adapter.Observe(frame, note))
		r.trimImages()
		note = ""

		dec, err := r.decide(ctx, step, frame)
		if err != nil {
			return Result{Status: StatusFailed, Steps: step, Text: rawOf(err)}, err
		}

		for _, act := range dec.Actions {
			if act.Terminal() {
				return r.finish(step, act)
			}
			var done bool
			note, done, err = r.act(ctx, step, frame, dec, act)
			if err != nil {
				return Result{Status: StatusFailed, Steps: step}, err
			}
			if done {
				return Result{Status: StatusStopped, Steps: step, Text: "you quit at the approval prompt"}, ErrStopped
			}
			if note != "" {
				break // tell the model before it goes on with a stale plan
			}
		}

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
// when the action did not run as proposed, and quit when the user quit.
func (r *run) act(ctx context.Context, step int, frame perception.Frame, dec Decision, act actuation.Action) (note string, quit bool, err error) {
	act, verr := actuation.Normalize(act, frame.Bounds)
	if verr != nil {
		r.emit(Event{Kind: ActionRejected, Step: step, Action: &act, Error: verr.Error()})
		return fmt.Sprintf("Your action %s was not performed: %v.", act.Type, verr), false, nil
	}
	// The risk is judged in code from the normalised action, the thought and what
	// ran before; the policy that decides whether to ask is the user's.
	risk := Classify(act, RiskContext{Thought: dec.Thought, Recent: r.recent})
	r.emit(Event{Kind: ActionProposed, Step: step, Action: &act, Risk: &risk})
	ans := Approval{Verdict: Approve}
	auto := !r.Policy.NeedsApproval(risk)
	if !auto {
		if r.Approver == nil {
			return "", false, errors.New("planner: no approver to ask before acting")
		}
		var err error
		ans, err = r.Approver.Approve(ctx, ApprovalRequest{Step: step, Action: act, Frame: frame, Thought: dec.Thought, Risk: risk})
		if err != nil {
			if ctx.Err() != nil {
				return "", false, context.Cause(ctx)
			}
			return "", false, fmt.Errorf("ask for approval: %w", err)
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
		return n, false, nil
	case Edit:
		edited, verr := actuation.Normalize(ans.Action, frame.Bounds)
		if verr != nil {
			r.emit(Event{Kind: ActionRejected, Step: step, Action: &edited, Error: verr.Error()})
			return fmt.Sprintf("The user's correction of your action was invalid: %v.", verr), false, nil
		}
		r.emit(Event{Kind: ActionEdited, Step: step, Action: &edited})
		act = edited
	case Quit:
		return "", true, nil
	default:
		return "", false, fmt.Errorf("approver answered %q", ans.Verdict)
	}
	t0 := time.Now()
	if err := r.Actuator.Do(ctx, act); err != nil {
		if ctx.Err() != nil {
			return "", false, context.Cause(ctx)
		}
		r.emit(Event{Kind: ActionFailed, Step: step, Action: &act, Error: err.Error()})
		var inv *actuation.InvalidActionError
		if errors.As(err, &inv) {
			return fmt.Sprintf("Your action %s was not performed: %v.", act.Type, err), false, nil
		}
		return "", false, fmt.Errorf("step %d: %s: %w", step, act.Describe(), err)
	}
	r.emit(Event{Kind: ActionExecuted, Step: step, Action: &act, Millis: map[string]float64{"act": ms(time.Since(t0))}})
	r.remember(act)
	if ans.Verdict == Edit {
		return "The user corrected your action; it was performed as: " + act.Describe() + ".", false, nil
	}
	return "", false, nil
}

// remember adds an action that ran to the short history Classify reads.
func (r *run) remember(act actuation.Action) {
	r.recent = append(r.recent, act)
	if len(r.recent) > recentActions {
		r.recent = append(r.recent[:0:0], r.recent[len(r.recent)-recentActions:]...)
	}
}

// decide asks the model and parses its reply, re-asking once when the reply does
// not parse and retrying twice on server errors.
func (r *run) decide(ctx context.Context, step int, frame perception.Frame) (Decision, error) {
	reasked, serverRetries := false, 0
	for {
		reply, err := r.ask(ctx, step)
		if err != nil {
			var se api.StatusError
			if errors.As(err, &se) && se.StatusCode >= http.StatusInternalServerError && serverRetries < 2 && ctx.Err() == nil {
				serverRetries++
				r.emit(Event{Kind: ReplyRejected, Step: step, Error: err.Error()})
				continue
			}
			if ctx.Err() != nil {
				return Decision{}, context.Cause(ctx)
			}
			return Decision{}, classify(err, r.Host, r.Model)
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
	stream := true
	off := false
	req := &api.ChatRequest{
		Model:     r.Model,
		Messages:  r.messages,
		Stream:    &stream,
		Options:   r.options,
		KeepAlive: &api.Duration{Duration: 30 * time.Minute},
		// An over-long prompt must be an error, not a silently dropped system prompt.
		Truncate: &off,
		Shift:    &off,
	}
	if r.Think != nil {
		req.Think = &api.ThinkValue{Value: *r.Think}
	}
	r.Adapter.Configure(req)
	var reply api.Message
	var content, thinking strings.Builder
	var final api.ChatResponse
	t0 := time.Now()
	var first time.Duration
	gotDone := false
	err := r.Client.Chat(ctx, req, func(resp api.ChatResponse) error {
		if first == 0 && (resp.Message.Content != "" || resp.Message.Thinking != "") {
			first = time.Since(t0)
		}
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
	reply.Role = "assistant"
	reply.Content, reply.Thinking = content.String(), thinking.String()
	r.emit(Event{Kind: ModelReplied, Step: step, Text: reply.Content, Thinking: reply.Thinking,
		PromptEvalCount: final.PromptEvalCount, EvalCount: final.EvalCount,
		Millis: map[string]float64{"model": ms(time.Since(t0)), "first_token": ms(first),
			"load": ms(final.LoadDuration), "prompt_eval": ms(final.PromptEvalDuration), "eval": ms(final.EvalDuration)}})
	if final.DoneReason == "length" && reply.Content == "" && len(reply.ToolCalls) == 0 && reply.Thinking == "" {
		return reply, errors.New("the model stopped at its output limit without answering")
	}
	return reply, nil
}

// trimImages keeps the newest KeepScreens screenshots and turns older ones into
// text. It drops images in batches, not one per step, so the prompt prefix Ollama
// has cached stays unchanged for several steps at a time.
func (r *run) trimImages() {
	keep := or(r.KeepScreens, DefaultKeepScreens)
	var idx []int
	for i, m := range r.messages {
		if len(m.Images) > 0 {
			idx = append(idx, i)
		}
	}
	if len(idx) <= keep+2 {
		return
	}
	for _, i := range idx[:len(idx)-keep] {
		m := r.messages[i]
		m.Images = nil
		if m.Content == "" {
			m.Content = "(an earlier screenshot, no longer shown)"
		}
		r.messages[i] = m
	}
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
