// Package actuation owns the hands of deskhand: the Action data type that flows from
// models to the desktop (contracts.md §2), its validation, key-name normalisation, and
// the Desktop that performs actions with mouse and keyboard events. Only robot_cgo.go
// touches robotgo; everything else builds and tests with CGO_ENABLED=0.
package actuation

import (
	"encoding/json"
	"fmt"
	"image"
	"strings"
)

// Type names an action, as in contracts.md §2.
type Type string

// The action types of contracts.md §2.
const (
	Click    Type = "click"
	Move     Type = "move"
	Drag     Type = "drag"
	Scroll   Type = "scroll"
	TypeText Type = "type"
	Key      Type = "key"
	Wait     Type = "wait"
	Done     Type = "done"
	Fail     Type = "fail"
	AskUser  Type = "ask_user"
)

// Action is one action in actuation space: integer pixels of the virtual desktop that
// the mouse moves in (physical pixels on Linux and Windows, logical points on macOS).
// It is plain data; its JSON form is the public contract users and traces rely on.
type Action struct {
	Type      Type     `json:"type"`
	X         *int     `json:"x,omitempty"`
	Y         *int     `json:"y,omitempty"`
	X2        *int     `json:"x2,omitempty"`
	Y2        *int     `json:"y2,omitempty"`
	Button    string   `json:"button,omitempty"`
	Clicks    int      `json:"clicks,omitempty"`
	Direction string   `json:"direction,omitempty"`
	Amount    int      `json:"amount,omitempty"`
	Text      string   `json:"text,omitempty"`
	Keys      []string `json:"keys,omitempty"`
	Seconds   float64  `json:"seconds,omitempty"`
	Thought   string   `json:"thought,omitempty"`
}

// Int returns a pointer to v, for building Actions.
func Int(v int) *int { return &v }

// Point returns the action's (x, y) and whether it has one.
func (a Action) Point() (image.Point, bool) {
	if a.X == nil || a.Y == nil {
		return image.Point{}, false
	}
	return image.Pt(*a.X, *a.Y), true
}

// End returns a drag's (x2, y2) and whether it has one.
func (a Action) End() (image.Point, bool) {
	if a.X2 == nil || a.Y2 == nil {
		return image.Point{}, false
	}
	return image.Pt(*a.X2, *a.Y2), true
}

// Terminal reports whether the action ends a run instead of touching the desktop.
func (a Action) Terminal() bool {
	return a.Type == Done || a.Type == Fail || a.Type == AskUser
}

// String renders the action as its contract JSON, for messages and logs.
func (a Action) String() string {
	b, err := json.Marshal(a)
	if err != nil {
		return string(a.Type)
	}
	return string(b)
}

// Describe says in plain words what the action will do, for approval prompts.
func (a Action) Describe() string {
	p, hasP := a.Point()
	switch a.Type {
	case Click:
		n := map[int]string{1: "", 2: "double-", 3: "triple-"}[a.Clicks]
		return fmt.Sprintf("%s%s-click at (%d, %d)", n, orDefault(a.Button, "left"), p.X, p.Y)
	case Move:
		return fmt.Sprintf("move the pointer to (%d, %d)", p.X, p.Y)
	case Drag:
		e, _ := a.End()
		return fmt.Sprintf("drag from (%d, %d) to (%d, %d)", p.X, p.Y, e.X, e.Y)
	case Scroll:
		where := "where the pointer is"
		if hasP {
			where = fmt.Sprintf("at (%d, %d)", p.X, p.Y)
		}
		return fmt.Sprintf("scroll %s %d notches %s", a.Direction, a.Amount, where)
	case TypeText:
		text := strings.ReplaceAll(a.Text, "\n", "⏎")
		return fmt.Sprintf("type %q", text)
	case Key:
		return "press " + strings.Join(a.Keys, "+")
	case Wait:
		return fmt.Sprintf("wait %gs", a.Seconds)
	case Done:
		return "report the task done: " + a.Text
	case Fail:
		return "give up: " + a.Text
	case AskUser:
		return "ask you: " + a.Text
	}
	return string(a.Type)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
