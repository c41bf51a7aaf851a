package main

import (
	"fmt"
	"image"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/deskhand/deskhand/perception/xvfbtest"
	"github.com/deskhand/deskhand/planner/ollamatest"
)

// family is one model family as Ollama describes it, and how such a model
// writes a click at a point of the image it saw (w×h), typing, and the end.
type family struct {
	name    string
	model   ollamatest.Model
	adapter string // the adapter deskhand must detect
	click   func(p, img image.Point) ollamatest.Reply
	typing  func(text string) ollamatest.Reply
	done    func(text string) ollamatest.Reply
}

func qwenArgs(kv ...any) api.ToolCallFunctionArguments {
	a := api.NewToolCallFunctionArguments()
	for i := 0; i < len(kv); i += 2 {
		a.Set(kv[i].(string), kv[i+1])
	}
	return a
}

func qwenCall(kv ...any) []api.ToolCall {
	return []api.ToolCall{{Function: api.ToolCallFunction{Name: "computer_use", Arguments: qwenArgs(kv...)}}}
}

// per1000 is p in 0..1000 of the image.
func per1000(p, img image.Point) (float64, float64) {
	return float64(p.X) * 1000 / float64(img.X), float64(p.Y) * 1000 / float64(img.Y)
}

var families = []family{
	{
		name:    "qwen3vl tool calls",
		model:   ollamatest.Model{Name: "qwen3-vl:8b-instruct", Capabilities: []string{"completion", "vision", "tools"}, Architecture: "qwen3vl", ParameterSize: "8.8B", QuantizationLevel: "Q4_K_M"},
		adapter: "qwen3vl",
		click: func(p, img image.Point) ollamatest.Reply {
			x, y := per1000(p, img)
			return ollamatest.Reply{Content: "The target terminal is on the left; I click into it.",
				ToolCalls: qwenCall("action", "left_click", "coordinate", []any{x, y})}
		},
		typing: func(text string) ollamatest.Reply {
			return ollamatest.Reply{ToolCalls: qwenCall("action", "type", "text", text)}
		},
		done: func(text string) ollamatest.Reply {
			return ollamatest.Reply{Content: text, ToolCalls: qwenCall("action", "terminate", "status", "success")}
		},
	},
	{
		name:    "qwen25vl text tool calls",
		model:   ollamatest.Model{Name: "qwen2.5vl:7b", Capabilities: []string{"completion", "vision"}, Architecture: "qwen25vl", ParameterSize: "8.3B", QuantizationLevel: "Q4_K_M"},
		adapter: "qwen25vl",
		click: func(p, img image.Point) ollamatest.Reply {
			return ollamatest.Reply{Content: fmt.Sprintf("I click into the target terminal.\n<tool_call>\n{\"name\": \"computer_use\", \"arguments\": {\"action\": \"left_click\", \"coordinate\": [%d, %d]}}\n</tool_call>", p.X, p.Y)}
		},
		typing: func(text string) ollamatest.Reply {
			q := strings.ReplaceAll(text, "\n", `\n`)
			return ollamatest.Reply{Content: fmt.Sprintf("<tool_call>\n{\"name\": \"computer_use\", \"arguments\": {\"action\": \"type\", \"text\": \"%s\"}}\n</tool_call>", q)}
		},
		done: func(text string) ollamatest.Reply {
			return ollamatest.Reply{Content: "<tool_call>\n{\"name\": \"computer_use\", \"arguments\": {\"action\": \"terminate\", \"status\": \"success\"}}\n</tool_call>"}
		},
	},
	{
		name:    "json general model",
		model:   ollamatest.Model{Name: "gemma3:12b", Capabilities: []string{"completion", "vision"}, Architecture: "gemma3", ParameterSize: "12.2B", QuantizationLevel: "Q4_K_M"},
		adapter: "json",
		click: func(p, img image.Point) ollamatest.Reply {
			x, y := per1000(p, img)
			return ollamatest.Reply{Content: fmt.Sprintf(`{"thought": "The target terminal is on the left.", "action": {"type": "click", "x": %.0f, "y": %.0f}}`, x, y)}
		},
		typing: func(text string) ollamatest.Reply {
			q := strings.ReplaceAll(text, "\n", `\n`)
			return ollamatest.Reply{Content: fmt.Sprintf(`{"thought": "I type the command.", "action": {"type": "type", "text": "%s"}}`, q)}
		},
		done: func(text string) ollamatest.Reply {
			return ollamatest.Reply{Content: fmt.Sprintf(`{"thought": "It ran.", "action": {"type": "done", "text": "%s"}}`, text)}
		},
	},
}

// TestEveryFamilyEndToEnd: for every model family, the real binary detects the
// adapter from what Ollama says of the model, sends images on that family's grid
// (with its tools or schema), reads replies written the family's way, and clicks
// and types where the model meant, on a real desktop.
func TestEveryFamilyEndToEnd(t *testing.T) {
	size := image.Pt(1920, 1080)
	for _, f := range families {
		t.Run(f.name, func(t *testing.T) {
			d := xvfbtest.Start(t, size.X, size.Y)
			out := filepath.Join(t.TempDir(), "out.txt")
			centre := targetAndDecoy(t, d, "70x20+700+450", "70x20-80-120")
			srv := ollamatest.NewServer(f.model)
			defer srv.Close()
			var mu sync.Mutex
			var img image.Point
			var reqs []*api.ChatRequest
			step := 0
			srv.Handle(func(req *api.ChatRequest) ollamatest.Reply {
				mu.Lock()
				defer mu.Unlock()
				step++
				reqs = append(reqs, req)
				img = lastImageSize(t, req)
				switch step {
				case 1:
					return f.click(toImage(centre, size, img), img)
				case 2:
					return f.typing(fmt.Sprintf("echo deskhand-%s > %s\n", f.adapter, out))
				default:
					return f.done("The file was written.")
				}
			})
			r := deskhand(t, d, []string{"OLLAMA_HOST=" + srv.URL}, "run", "--yes", "--trace", t.TempDir(), "run echo in the target terminal")
			if r.code != 0 {
				t.Fatalf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stderr, "(adapter "+f.adapter+")") {
				t.Errorf("stderr does not name adapter %s:\n%s", f.adapter, r.stderr)
			}
			if got, want := waitFile(t, out, 5*time.Second), "deskhand-"+f.adapter+"\n"; got != want {
				t.Errorf("file = %q, want %q", got, want)
			}
			mu.Lock()
			defer mu.Unlock()
			grid := 28
			if f.adapter == "qwen3vl" {
				grid = 32
			}
			if img.X%grid != 0 || img.Y%grid != 0 || img.X*img.Y > 2<<20 {
				t.Errorf("image sent %v: not on the %d-pixel grid within Ollama's cap", img, grid)
			}
			// One image pixel of the model's answer is this many screen pixels; a
			// 0..1000 answer rounds to a thousandth of the screen.
			tol := image.Pt(size.X/img.X+1, size.Y/img.Y+1)
			if f.adapter != "qwen25vl" {
				tol = image.Pt(size.X/1000+2, size.Y/1000+2)
			}
			if p := pointer(t, d); abs(p.X-centre.X) > tol.X || abs(p.Y-centre.Y) > tol.Y {
				t.Errorf("pointer at %v after the click, want within %v of %v", p, tol, centre)
			}
			first := reqs[0]
			switch f.adapter {
			case "qwen3vl":
				if len(first.Tools) != 1 || first.Tools[0].Function.Name != "computer_use" {
					t.Errorf("qwen3vl request tools = %+v, want computer_use", first.Tools)
				}
			case "json":
				if len(first.Format) == 0 || !strings.Contains(string(first.Format), `"action"`) {
					t.Errorf("json request format = %s, want the action schema", first.Format)
				}
			case "qwen25vl":
				if len(first.Tools) != 0 || !strings.Contains(first.Messages[0].Content, fmt.Sprintf("%dx%d", img.X, img.Y)) {
					t.Errorf("qwen25vl: tools %d, system prompt does not state the image size %v", len(first.Tools), img)
				}
			}
		})
	}
}
