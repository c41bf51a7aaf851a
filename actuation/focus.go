package actuation

import "context"

// Window is what deskhand knows of the window that has the keyboard focus: its
// class (X11 WM_CLASS instance and class, lower case) and its title. The risk
// policy reads it before typing: a password prompt (pinentry, polkit, a keyring,
// a window titled "Password") makes typed text high risk.
type Window struct {
	Class []string `json:"class,omitempty"`
	Title string   `json:"title,omitempty"`
}

// Focused returns the focused window. Where the platform cannot say (Windows and
// macOS for now), it returns ErrFocusUnknown and the policy goes by the model's
// words alone.
func (d *Desktop) Focused(ctx context.Context) (Window, error) {
	if err := ctx.Err(); err != nil {
		return Window{}, err
	}
	return focusedWindow()
}
