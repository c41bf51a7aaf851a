//go:build cgo

package app

import (
	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
)

// newFyneApp starts fyne's desktop driver (GLFW and OpenGL, through cgo).
func newFyneApp() (fyne.App, error) { return fyneapp.NewWithID(AppID), nil }
