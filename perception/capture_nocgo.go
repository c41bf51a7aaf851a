//go:build !cgo

package perception

import (
	"errors"
	"fmt"
	"image"
)

func init() { registerBackend(noCgo{}) }

// noCgo is the backend of builds without cgo: kbinani/screenshot and robotgo need
// it, so everything but screen access still builds and tests with CGO_ENABLED=0.
type noCgo struct{}

var errNoCgo = fmt.Errorf("screen capture needs cgo, and this deskhand was built with CGO_ENABLED=0 — "+
	"rebuild it with CGO_ENABLED=1 and a C compiler: %w", errors.ErrUnsupported)

func (noCgo) monitors() ([]Monitor, error)                 { return nil, errNoCgo }
func (noCgo) pointer() (image.Point, error)                { return image.Point{}, errNoCgo }
func (noCgo) capture(image.Rectangle) (*image.RGBA, error) { return nil, errNoCgo }
