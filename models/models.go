// Package models owns one pure adapter per model family: its prompt, the image grid
// it expects, its output grammar and its coordinate convention, each behind the
// planner.Adapter interface. Adapters do no I/O and keep no state, so the same reply
// always parses to the same actions; every model coordinate reaches the screen only
// through perception.Frame.ToScreen. The registry maps the names of the --adapter
// flag (contracts.md §3) to adapters.
package models

import (
	"fmt"
	"image"
	"strings"

	"github.com/ollama/ollama/api"

	"github.com/deskhand/deskhand/actuation"
	"github.com/deskhand/deskhand/perception"
	"github.com/deskhand/deskhand/planner"
)

// entry is one registered adapter. A new family adds a line to registry and
// nothing else.
type entry struct {
	name string
	make func() planner.Adapter
}

// registry lists the adapters in the order Names reports them. It is built on each
// call, so there is no package state to mutate.
func registry() []entry {
	return []entry{
		{"uitars15", func() planner.Adapter { return NewUITARS15() }},
		{"uitars10", func() planner.Adapter { return NewUITARS10() }},
		{"qwen25vl", func() planner.Adapter { return NewQwen25VL() }},
		{"qwen3vl", func() planner.Adapter { return NewQwen3VL() }},
		{"json", func() planner.Adapter { return NewJSON() }},
	}
}

// Names returns the adapter names For accepts, in a stable order.
func Names() []string {
	var names []string
	for _, e := range registry() {
		names = append(names, e.name)
	}
	return names
}

// For returns the adapter called name (as given to --adapter). Names are matched
// without regard to case or surrounding space.
func For(name string) (planner.Adapter, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	for _, e := range registry() {
		if e.name == n {
			return e.make(), nil
		}
	}
	return nil, fmt.Errorf("unknown adapter %q: valid adapters are %s", name, strings.Join(Names(), ", "))
}

// FrameFor returns the Frame of a capture of a whole screen of size screen, at the
// origin, with scale 1, sent to the model as an image of size img. It is the frame
// `deskhand parse` and tests parse replies against when there is no real capture.
func FrameFor(screen, img image.Point) perception.Frame {
	return perception.Frame{
		Bounds:   image.Rectangle{Max: screen},
		Captured: screen,
		Scale:    1,
		Image:    img,
	}
}

// ParseReply parses one model reply with adapter a as if the model had seen an image
// of size img of a screen of size screen (both in pixels). A zero img means the size
// deskhand would send for that screen: a.Grid().Size(screen). It returns the actions
// in screen pixels and the model's thought; errors wrap planner.ErrBadOutput.
func ParseReply(a planner.Adapter, reply string, screen, img image.Point) ([]actuation.Action, string, error) {
	if screen.X <= 0 || screen.Y <= 0 {
		return nil, "", fmt.Errorf("screen size %dx%d is not positive", screen.X, screen.Y)
	}
	if img == (image.Point{}) {
		img = a.Grid().Size(screen.X, screen.Y)
	}
	if img.X <= 0 || img.Y <= 0 {
		return nil, "", fmt.Errorf("image size %dx%d is not positive", img.X, img.Y)
	}
	d, err := a.Parse(api.Message{Role: "assistant", Content: reply}, FrameFor(screen, img))
	if err != nil {
		return nil, d.Thought, err
	}
	return d.Actions, d.Thought, nil
}

// observe is the user message of a step for a family whose prompt says all
// there is to say about the format: the frame's image exactly as encoded (so
// the prompt cache keeps it byte for byte), and note, what happened to the last
// action, as its text when there is one.
func observe(f perception.Frame, note string) api.Message {
	m := api.Message{Role: "user", Images: []api.ImageData{api.ImageData(f.Data)}}
	if strings.TrimSpace(note) != "" {
		m.Content = note
	}
	return m
}
