//go:build !cgo

package app

import (
	"errors"

	"fyne.io/fyne/v2"
)

// newFyneApp has no driver to offer: fyne's windows need cgo (GLFW and
// OpenGL). The rest of the package builds and tests without it.
func newFyneApp() (fyne.App, error) {
	return nil, errors.New("this deskhand was built without cgo, and its window needs it: use `deskhand run TASK`, or build with CGO_ENABLED=1")
}
