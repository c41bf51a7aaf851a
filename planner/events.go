package planner

import (
	"time"

	"github.com/deskhand/deskhand/actuation"
	"github.com/deskhand/deskhand/perception"
)

// EventKind names what happened in a run.
type EventKind string

// The events of a run, in the order they usually happen.
const (
	RunStarted    EventKind = "run_started"
	ModelLoading  EventKind = "model_loading" // the warm-up: the UI can say "loading the model…"
	ModelLoaded   EventKind = "model_loaded"  // with Millis["load"]
	StepStarted   EventKind = "step_started"
	FrameCaptured EventKind = "frame_captured"
	ThinkingDelta EventKind = "thinking_delta"
	ContentDelta  EventKind = "content_delta"
	ModelReplied  EventKind = "model_replied"
	ReplyRejected EventKind = "reply_rejected"
	// SwitchedToText: the model's tool calls failed, so the run goes on with the
	// adapter's text format (TextFallback); Error says why.
	SwitchedToText EventKind = "switched_to_text"
	Decided        EventKind = "decided"
	ActionProposed EventKind = "action_proposed"
	ActionApproved EventKind = "action_approved"
	ActionSkipped  EventKind = "action_skipped"
	ActionEdited   EventKind = "action_edited"
	ActionRejected EventKind = "action_rejected"
	ActionExecuted EventKind = "action_executed"
	ActionFailed   EventKind = "action_failed"
	ScreenSettled  EventKind = "screen_settled"
	// Paused: the user took over during an action (Text says how); Resumed:
	// they handed control back.
	Paused      EventKind = "paused"
	Resumed     EventKind = "resumed"
	RunFinished EventKind = "run_finished"
)

// Event is one thing that happened in a run, as plain data: the app renders it, the
// terminal prints it, and a trace stores it as one JSON line.
type Event struct {
	Kind     EventKind         `json:"kind"`
	Time     time.Time         `json:"time"`
	Step     int               `json:"step,omitempty"`
	Task     string            `json:"task,omitempty"`
	Model    string            `json:"model,omitempty"`
	Adapter  string            `json:"adapter,omitempty"`
	Frame    *perception.Frame `json:"frame,omitempty"`
	Text     string            `json:"text,omitempty"`
	Thinking string            `json:"thinking,omitempty"`
	Decision *Decision         `json:"decision,omitempty"`
	Action   *actuation.Action `json:"action,omitempty"`
	// Risk is the action's risk, on ActionProposed and ActionApproved.
	Risk   *Risk  `json:"risk,omitempty"`
	Status Status `json:"status,omitempty"`
	Error  string `json:"error,omitempty"`
	// Millis holds timings in milliseconds: capture, model, first_token, load,
	// prompt_eval, eval, act, settle.
	Millis map[string]float64 `json:"ms,omitempty"`
	// NumCtx is the context length asked of Ollama, on RunStarted; Options holds
	// every option sent with each request of the run.
	NumCtx  int            `json:"num_ctx,omitempty"`
	Options map[string]any `json:"options,omitempty"`
	// PromptEvalCount and EvalCount are Ollama's token counts for the step's reply.
	PromptEvalCount int `json:"prompt_eval_count,omitempty"`
	EvalCount       int `json:"eval_count,omitempty"`
}

// AutoApproved is the Text of an ActionApproved event for an action the policy let
// run without asking.
const AutoApproved = "auto-approved by policy"

// EventSink receives events on the agent's goroutine. It must not block for long:
// the GUI's sink hands each event to fyne.Do.
type EventSink func(Event)

// Status is how a run ended.
type Status string

// The ways a run ends, each with its own exit status in `deskhand run`.
const (
	StatusDone    Status = "done"     // the model reported the task done
	StatusFailed  Status = "failed"   // the model gave up, or a step failed for good
	StatusLimit   Status = "limit"    // a step, time or error limit was hit
	StatusStopped Status = "stopped"  // the user stopped the run
	StatusAsked   Status = "ask_user" // the model needs the user
)

// Result is how a run ended.
type Result struct {
	Status Status `json:"status"`
	Text   string `json:"text,omitempty"`
	Steps  int    `json:"steps"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
