// Package planner owns the agent loop: observe the screen, ask the model, parse its
// reply into actions, get each action approved, act, wait for the screen to settle,
// and repeat until the model reports done, fails, asks for the user, or a limit is
// hit. It defines the small interfaces the loop consumes (Screen, Actuator,
// ChatClient, Adapter, Approver); other packages provide them. It never imports fyne
// or robotgo.
package planner

import (
	"context"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/deskhand/deskhand/actuation"
	"github.com/deskhand/deskhand/perception"
)

// Screen captures what the model sees next and tells when the screen has settled.
type Screen interface {
	// Capture captures the screen and resizes it to grid.
	Capture(ctx context.Context, grid perception.Grid) (perception.Frame, error)
	// Settle returns once the screen has stopped changing, or after at most max.
	Settle(ctx context.Context, max time.Duration) error
}

// Actuator performs one action on the desktop. Actions arrive validated and in
// actuation space.
type Actuator interface {
	Do(ctx context.Context, a actuation.Action) error
}

// FocusReader is an Actuator that can say which window has the keyboard focus.
// Before text is typed the loop asks it, so typing into a password prompt is
// classed high risk (*actuation.Desktop is one on X11).
type FocusReader interface {
	Focused(ctx context.Context) (actuation.Window, error)
}

// ChatClient is the part of *api.Client the planner uses.
type ChatClient interface {
	Chat(ctx context.Context, req *api.ChatRequest, fn api.ChatResponseFunc) error
}

// Adapter speaks one model family's language: its prompt, its image grid, its output
// grammar and its coordinate convention. Implementations are pure: no I/O, no
// clocks, no globals, so the same reply always parses to the same actions.
type Adapter interface {
	// Name is the adapter's name on the command line (uitars15, qwen3vl …).
	Name() string
	// Grid is the image geometry the model expects.
	Grid() perception.Grid
	// Start returns the opening messages for task. They must be byte-stable for a
	// given task, so Ollama's prompt cache stays warm across steps.
	Start(task string) []api.Message
	// Observe returns the user message that carries a new screenshot. note, if not
	// empty, tells the model what happened to its last action.
	Observe(f perception.Frame, note string) api.Message
	// Configure sets what the family needs on a request (tools, format).
	Configure(req *api.ChatRequest)
	// Parse turns the model's reply into actions in actuation space, mapped through
	// f. A reply that does not follow the grammar returns an error wrapping
	// ErrBadOutput.
	Parse(reply api.Message, f perception.Frame) (Decision, error)
}

// The optional interfaces below let an adapter say more than Adapter does. The loop
// checks for them with a type assertion; an adapter implements only those it needs.

// TextFallback is an Adapter that can also work without Ollama's tool calling: the
// prompt then describes the tools in text and Parse reads the calls from the reply's
// content. The loop switches to it, for the rest of the run, when a request with
// tools fails with "does not support tools" (HTTP 400) or with a server error
// (HTTP 500: Ollama turns a malformed tool call into one, ollama/ollama#14492).
// Switching back would change the prompt prefix again, so it never does.
type TextFallback interface {
	// ConfigureText sets what the family needs on a request without tools; it
	// replaces Configure once the run has fallen back.
	ConfigureText(req *api.ChatRequest)
}

// FrameStarter is an Adapter whose opening messages depend on the screen: the
// Qwen2.5-VL computer-use prompt states the size of the image the model sees.
// The loop calls StartFrame instead of Start once the first frame is captured,
// before the first request, so the opening stays byte-stable for the run.
type FrameStarter interface {
	StartFrame(task string, f perception.Frame) []api.Message
}

// ImageTokenCounter is an Adapter whose model does not spend one token per
// Grid.Factor² pixels on an image (e.g. Gemma 3: 256 tokens, whatever the size).
// The loop sizes num_ctx with it instead of MaxImageTokens.
type ImageTokenCounter interface {
	// MaxImageTokens is the most prompt tokens one screenshot costs the model.
	MaxImageTokens() int
}

// Decision is what the model decided in one reply.
type Decision struct {
	Thought string             `json:"thought,omitempty"`
	Actions []actuation.Action `json:"actions"`
	Raw     string             `json:"raw"`
}

// Verdict is the user's answer to an approval request.
type Verdict string

// The verdicts of an approval.
const (
	Approve Verdict = "approve" // act as proposed
	Skip    Verdict = "skip"    // do not act; tell the model and go on
	Edit    Verdict = "edit"    // act with Approval.Action instead
	Quit    Verdict = "quit"    // stop the run
)

// ApprovalRequest asks whether one action may run.
type ApprovalRequest struct {
	Step    int              `json:"step"`
	Action  actuation.Action `json:"action"`
	Frame   perception.Frame `json:"frame"`
	Thought string           `json:"thought,omitempty"`
	// Risk is how risky the action is and why; high risk must be shown with its
	// reasons.
	Risk Risk `json:"risk"`
}

// Approval is the user's answer.
type Approval struct {
	Verdict Verdict          `json:"verdict"`
	Action  actuation.Action `json:"action,omitzero"` // with Edit: the action to run instead
	Reason  string           `json:"reason,omitempty"`
}

// Approver asks the user whether an action may run. It blocks until the user answers
// or ctx is done.
type Approver interface {
	Approve(ctx context.Context, req ApprovalRequest) (Approval, error)
}

// Pauser is an Approver that can also ask, after the user took over in the
// middle of an action (Agent.Interrupt), whether to go on. It blocks until the
// user answers or ctx is done; resume false stops the run.
type Pauser interface {
	Pause(ctx context.Context, req PauseRequest) (resume bool, err error)
}

// PauseRequest says what was interrupted and why.
type PauseRequest struct {
	Step   int              `json:"step"`
	Action actuation.Action `json:"action"`
	Reason string           `json:"reason"`
}

// ApproverFunc adapts a function to Approver.
type ApproverFunc func(context.Context, ApprovalRequest) (Approval, error)

// Approve calls f.
func (f ApproverFunc) Approve(ctx context.Context, r ApprovalRequest) (Approval, error) {
	return f(ctx, r)
}
