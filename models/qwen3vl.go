package models

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ollama/ollama/api"

	"github.com/deskhand/deskhand/perception"
)

// qwen3vlPrompt is qwen-agent's NousFnCallPrompt system message with Qwen3-VL's
// ComputerUse tool (QwenLM/Qwen3-VL cookbooks/utils/agent_function_call.py, which
// adds triple_click, hscroll and answer) configured as the computer-use cookbook
// does, cfg {"display_width_px": 1000, "display_height_px": 1000}: Qwen3-VL writes
// coordinates relative to 0..1000 and the cookbook maps them back with x/1000·W.
// (The 999 of the mobile_use cookbook is not used: its 999 "screen" is a prompt
// choice of that notebook, and on a 1000 scale the two differ by under 0.1 %.)
//
// The JSON line inside <tools></tools> becomes the api.Tool that Configure sends;
// Ollama's qwen3-vl and qwen3.5 renderers put it back into this very layout after
// the system message "You are a helpful assistant.". The whole text is the system
// message only when tools cannot be used (ConfigureText).
//
//go:embed prompts/qwen3vl.txt
var qwen3vlPrompt string

// NewQwen3VL returns the adapter for Qwen3-VL, Qwen3.5 and their GUI fine-tunes
// (GUI-Owl-1.5, UI-Venus-1.5, MAI-UI …): computer_use as a real tool (Ollama returns
// Message.ToolCalls), <tool_call> text understood too, thinking variants handled,
// and coordinates relative to 0..1000 on Qwen3-VL's 32-pixel grid.
func NewQwen3VL() *Qwen {
	tool, err := qwenToolOf(qwen3vlPrompt)
	if err != nil {
		// The prompt is embedded at build time; TestQwenPromptStable checks it.
		panic("models: embedded prompts/qwen3vl.txt: " + err.Error())
	}
	return &Qwen{
		name:       "qwen3vl",
		convention: perception.Relative1000,
		factor:     32,
		prompt:     qwen3vlPrompt,
		tool:       &tool,
		valid: []string{"key", "type", "mouse_move", "left_click", "left_click_drag", "right_click",
			"middle_click", "double_click", "triple_click", "scroll", "hscroll", "wait", "terminate", "answer"},
	}
}

// qwenToolOf decodes the tool between <tools> and </tools> of a NousFnCallPrompt.
func qwenToolOf(prompt string) (api.Tool, error) {
	_, rest, ok := strings.Cut(prompt, "<tools>\n")
	line, _, ok2 := strings.Cut(rest, "\n</tools>")
	if !ok || !ok2 {
		return api.Tool{}, fmt.Errorf("no <tools></tools> block")
	}
	var t api.Tool
	if err := json.Unmarshal([]byte(line), &t); err != nil {
		return api.Tool{}, err
	}
	if t.Function.Name != qwenToolName {
		return api.Tool{}, fmt.Errorf("the tool is %q, not %s", t.Function.Name, qwenToolName)
	}
	return t, nil
}
