// Package assets owns deskhand's bundled resources: the application icon, embedded
// in the binary so the app needs no files beside it.
package assets

import (
	_ "embed"

	"fyne.io/fyne/v2"
)

//go:embed Icon.png
var iconPNG []byte

// Icon is deskhand's application icon (512×512 PNG).
var Icon = fyne.NewStaticResource("Icon.png", iconPNG)
