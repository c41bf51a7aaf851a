package models

import (
	_ "embed"

	"github.com/deskhand/deskhand/perception"
)

// qwen25vlPrompt is the system message of Qwen2.5-VL's computer-use cookbook
// (QwenLM/Qwen2.5-VL cookbooks/computer_use.ipynb): "You are a helpful assistant."
// and qwen-agent's NousFnCallPrompt with the cookbook's ComputerUse tool
// (cookbooks/utils/agent_function_call.py), rendered by json.dumps exactly as
// qwen-agent renders it, and as GroundNext and other Qwen2.5-VL fine-tunes were
// trained on it. {display_width_px}x{display_height_px} is the image the model sees.
// Ollama's qwen2.5vl has no tools capability, so the tool travels as this text.
//
//go:embed prompts/qwen25vl.txt
var qwen25vlPrompt string

// NewQwen25VL returns the adapter for Qwen2.5-VL and its GUI fine-tunes (UI-Venus-7B,
// GTA1, GroundNext …): the computer_use tool as text in the system message,
// <tool_call> replies, and absolute pixels of the image the model saw on Qwen's
// 28-pixel grid (contracts.md §4, "resized pixels").
func NewQwen25VL() *Qwen {
	return &Qwen{
		name:       "qwen25vl",
		convention: perception.ImagePixels,
		factor:     28,
		prompt:     qwen25vlPrompt,
		valid: []string{"key", "type", "mouse_move", "left_click", "left_click_drag", "right_click",
			"middle_click", "double_click", "scroll", "wait", "terminate"},
	}
}
