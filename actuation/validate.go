package actuation

import (
	"fmt"
	"image"
	"strings"
)

// InvalidActionError says why an action cannot be performed. Callers branch on it with
// errors.As: the planner feeds it back to the model instead of acting.
type InvalidActionError struct {
	Action Action
	Reason string
}

func (e *InvalidActionError) Error() string {
	return fmt.Sprintf("invalid %s action: %s", e.Action.Type, e.Reason)
}

// Normalize fills the contract's defaults (button left, one click, three notches) and
// canonical key names, and checks the action against the desktop's bounds in
// actuation space. Points outside bounds are rejected, never clamped: a click the
// model aimed off-screen is a mistake to report, not to guess at.
func Normalize(a Action, bounds image.Rectangle) (Action, error) {
	bad := func(format string, args ...any) (Action, error) {
		return a, &InvalidActionError{Action: a, Reason: fmt.Sprintf(format, args...)}
	}
	inside := func(name string, p image.Point) error {
		if !p.In(bounds) {
			return &InvalidActionError{Action: a, Reason: fmt.Sprintf("%s (%d, %d) is outside the screen %v", name, p.X, p.Y, bounds)}
		}
		return nil
	}
	needPoint := func() error {
		p, ok := a.Point()
		if !ok {
			return &InvalidActionError{Action: a, Reason: "needs x and y"}
		}
		return inside("point", p)
	}
	switch a.Type {
	case Click:
		if err := needPoint(); err != nil {
			return a, err
		}
		a.Button = strings.ToLower(orDefault(a.Button, "left"))
		if a.Button != "left" && a.Button != "right" && a.Button != "middle" {
			return bad("button %q is not left, right or middle", a.Button)
		}
		if a.Clicks == 0 {
			a.Clicks = 1
		}
		if a.Clicks < 1 || a.Clicks > 3 {
			return bad("clicks must be 1, 2 or 3, not %d", a.Clicks)
		}
	case Move:
		if err := needPoint(); err != nil {
			return a, err
		}
	case Drag:
		if err := needPoint(); err != nil {
			return a, err
		}
		e, ok := a.End()
		if !ok {
			return bad("needs x2 and y2")
		}
		if err := inside("end point", e); err != nil {
			return a, err
		}
		a.Button = strings.ToLower(orDefault(a.Button, "left"))
		if a.Button != "left" && a.Button != "right" && a.Button != "middle" {
			return bad("button %q is not left, right or middle", a.Button)
		}
	case Scroll:
		if a.X != nil || a.Y != nil {
			if err := needPoint(); err != nil {
				return a, err
			}
		}
		a.Direction = strings.ToLower(a.Direction)
		switch a.Direction {
		case "up", "down", "left", "right":
		default:
			return bad("direction %q is not up, down, left or right", a.Direction)
		}
		if a.Amount == 0 {
			a.Amount = 3
		}
		if a.Amount < 0 || a.Amount > 50 {
			return bad("amount %d is not between 1 and 50 notches", a.Amount)
		}
	case TypeText:
		if a.Text == "" {
			return bad("no text to type")
		}
	case Key:
		keys, err := NormalizeKeys(a.Keys)
		if err != nil {
			return bad("%v", err)
		}
		a.Keys = keys
	case Wait:
		if a.Seconds < 0 || a.Seconds > 60 {
			return bad("wait of %gs is not between 0 and 60 seconds", a.Seconds)
		}
		if a.Seconds == 0 {
			a.Seconds = 1
		}
	case Done, Fail, AskUser:
	default:
		return bad("unknown action type %q", a.Type)
	}
	return a, nil
}
