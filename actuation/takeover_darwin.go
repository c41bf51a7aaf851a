//go:build darwin

package actuation

import (
	"errors"
	"fmt"
	"image"
)

// darwinPointer reads the pointer through robotgo (robot_cgo.go sets
// robotLocation), in points like the Desktop's moves.
type darwinPointer struct{ b backend }

func openPointer() (pointerSource, error) {
	if robotLocation == nil {
		return nil, fmt.Errorf("watching the mouse needs a build with cgo: %w", errors.ErrUnsupported)
	}
	b, err := newBackend()
	if err != nil {
		return nil, err
	}
	return darwinPointer{b}, nil
}

func (darwinPointer) pointer() (image.Point, error)      { return robotLocation(), nil }
func (p darwinPointer) bounds() (image.Rectangle, error) { return p.b.bounds() }
func (darwinPointer) close()                             {}
