//go:build !darwin

package permissions

import (
	"errors"
	"fmt"
	"runtime"
)

func openSettings(k Kind) error {
	return fmt.Errorf("%s needs no permission on %s: %w", k, runtime.GOOS, errors.ErrUnsupported)
}
