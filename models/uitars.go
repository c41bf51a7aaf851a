package models

import (
	_ "embed"
	"fmt"
	"regexp"
	"strings"

	"github.com/ollama/ollama/api"

	"github.com/deskhand/deskhand/actuation"
	"github.com/deskhand/deskhand/perception"
	"github.com/deskhand/deskhand/planner"
)

// The prompts are embedded byte for byte: Ollama's prompt cache is an exact token-prefix
// match, so the opening messages must never change between steps or builds.
var (
	// uitars15Prompt is COMPUTER_USE from bytedance/UI-TARS codes/prompts.py (the
	// UI-TARS-1.5 computer template) with OSWorld's call_user() line added after
	// finished(), so the model can hand over to the user instead of guessing.
	//go:embed prompts/uitars15.txt
	uitars15Prompt string

	// uitars10Prompt is OSWorld's UITARS_USR_PROMPT_THOUGHT filled with
	// UITARS_CALL_USR_ACTION_SPACE: the computer prompt UI-TARS v1 was evaluated with.
	//go:embed prompts/uitars10.txt
	uitars10Prompt string
)

// uitarsSystem is the system message OSWorld's UI-TARS agent sends before the prompt.
const uitarsSystem = "You are a helpful assistant."

// uitarsLanguage fills {language}: the language the model writes its Thought in.
const uitarsLanguage = "English"

// waitSeconds is how long wait() sleeps: the prompt promises the model 5 s.
const waitSeconds = 5

// scrollNotches is the wheel notches one scroll() turns; UI-TARS gives no amount.
const scrollNotches = 3

// UITARS is the adapter for the UI-TARS family (ByteDance): a "Thought: … Action: …"
// reply whose actions are Python-style calls such as click(start_box='(x,y)').
// UI-TARS-1.5 (Qwen2.5-VL based) writes absolute pixels of the image it saw;
// UI-TARS v1 (Qwen2-VL based) writes 0..1000 of width and height. Both see images on
// Qwen's 28-pixel grid.
type UITARS struct {
	name       string
	convention perception.Convention
	prompt     string
}

// NewUITARS15 returns the adapter for UI-TARS-1.5: absolute pixels of the image the
// model saw (contracts.md §4, "resized pixels").
func NewUITARS15() *UITARS {
	return &UITARS{name: "uitars15", convention: perception.ImagePixels, prompt: uitars15Prompt}
}

// NewUITARS10 returns the adapter for UI-TARS v1 (2B/7B/72B): coordinates relative
// to 0..1000 (README_v1 "Coordinate Mapping").
func NewUITARS10() *UITARS {
	return &UITARS{name: "uitars10", convention: perception.Relative1000, prompt: uitars10Prompt}
}

// Name is the adapter's --adapter name.
func (u *UITARS) Name() string { return u.name }

// Convention is how the model writes coordinates.
func (u *UITARS) Convention() perception.Convention { return u.convention }

// Grid is Qwen's 28-pixel grid under Ollama's pixel cap, so the image the model sees
// is the image deskhand sent and pixel coordinates map back exactly.
func (u *UITARS) Grid() perception.Grid { return perception.Grid{Factor: 28} }

// Prompt returns the user prompt for task: the embedded template with {language}
// and {instruction} filled in one pass, so a task that itself contains "{language}"
// is left alone.
func (u *UITARS) Prompt(task string) string {
	return strings.NewReplacer("{language}", uitarsLanguage, "{instruction}", task).Replace(u.prompt)
}

// Start returns the opening messages in the layout of OSWorld's UI-TARS agent: the
// plain system message, then the prompt with the task as the first user message.
// Screenshots follow as their own user messages (Observe).
func (u *UITARS) Start(task string) []api.Message {
	return []api.Message{
		{Role: "system", Content: uitarsSystem},
		{Role: "user", Content: u.Prompt(task)},
	}
}

// Observe returns the user message carrying the frame's image exactly as encoded,
// with note as its text when there is one.
func (u *UITARS) Observe(f perception.Frame, note string) api.Message {
	return observe(f, note)
}

// Configure makes the request plain text: UI-TARS answers in its own grammar, has no
// tool template, and no thinking mode (Ollama rejects think=true for such a model).
func (u *UITARS) Configure(req *api.ChatRequest) {
	req.Tools = nil
	req.Format = nil
	req.Think = &api.ThinkValue{Value: false}
}

// Parse turns a UI-TARS reply into actions in actuation space. The reply is read from
// Content, or from Thinking when Content is empty (a server that routes the whole
// answer to thinking). A reply that does not follow the grammar, or names a point
// outside the image, returns a *planner.ParseError.
func (u *UITARS) Parse(reply api.Message, f perception.Frame) (planner.Decision, error) {
	raw := reply.Content
	if strings.TrimSpace(raw) == "" {
		raw = reply.Thinking
	}
	d := planner.Decision{Raw: raw}
	// A frame that cannot map coordinates is the caller's bug, not the model's: it
	// must not be fed back to the model as bad output.
	if f.Bounds.Empty() {
		return d, fmt.Errorf("frame has empty bounds %v", f.Bounds)
	}
	if u.convention == perception.ImagePixels && (f.Image.X <= 0 || f.Image.Y <= 0) {
		return d, fmt.Errorf("frame has no image size")
	}
	r, err := splitReply(raw)
	d.Thought = r.thought
	if err != nil {
		return d, planner.BadOutput(raw, "%v", err)
	}
	acts, err := buildActions(r, f, u.convention)
	if err != nil {
		// Keep the cause (an off-screen point is a *perception.OutsideError).
		return d, &planner.ParseError{Raw: raw, Reason: err.Error(), Err: err}
	}
	d.Actions = acts
	return d, nil
}

// boxRE finds the bare start_box/end_box points UI-TARS writes in its answers.
var boxRE = regexp.MustCompile(`(start_box|end_box)=(['"])\((\s*-?[0-9.]+\s*,\s*-?[0-9.]+\s*)\)(['"])`)

// HistoryMessage returns reply as it should be re-sent in the history: UI-TARS
// replies drop the <|box_start|>/<|box_end|> tokens the model was trained to see
// around points, so they are put back (add_box_token in UI-TARS README_deploy.md).
// The planner may use it through an interface check; it is not part of
// planner.Adapter.
func (u *UITARS) HistoryMessage(reply api.Message) api.Message {
	reply.Content = boxRE.ReplaceAllString(reply.Content, "$1=$2<|box_start|>($3)<|box_end|>$4")
	return reply
}

// buildActions maps each call to contract actions, through f.ToScreen for every
// point and actuation.Normalize for every action.
func buildActions(r parsedReply, f perception.Frame, c perception.Convention) ([]actuation.Action, error) {
	var out []actuation.Action
	pressed := map[string]int{} // keys of a press() → index of its action in out
	for _, cl := range r.calls {
		a, kind, err := cl.action(r.thought, f, c)
		if err != nil {
			return nil, err
		}
		switch kind {
		case kindPress:
			out = append(out, a)
			pressed[strings.Join(a.Keys, "+")] = len(out) - 1
			continue
		case kindRelease:
			// deskhand taps keys; it cannot hold one down across other actions. A
			// release right after its press is a plain tap; one after other actions
			// asked for a held key, which would silently become a plain click.
			k := strings.Join(a.Keys, "+")
			if i, ok := pressed[k]; ok {
				delete(pressed, k)
				if i != len(out)-1 {
					return nil, fmt.Errorf("%s: holding %s down while doing other actions is not supported; use hotkey(key='…') instead", cl.short(), k)
				}
			}
			continue
		}
		out = append(out, a)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no action in the reply")
	}
	for i, a := range out {
		n, err := actuation.Normalize(a, f.Bounds)
		if err != nil {
			return nil, fmt.Errorf("action %d: %w", i+1, err)
		}
		n.Thought = r.thought
		out[i] = n
	}
	return out, nil
}
