//go:build !cgo

package actuation

import (
	"errors"
	"fmt"
)

func init() {
	newBackend = func() (backend, error) {
		return nil, fmt.Errorf("this deskhand was built without cgo, so it cannot move the mouse or press keys; rebuild it with CGO_ENABLED=1 (see desktop-testing.md for the C packages): %w", errors.ErrUnsupported)
	}
}
