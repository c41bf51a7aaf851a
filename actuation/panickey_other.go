//go:build darwin

package actuation

import (
	"errors"
	"fmt"
	"runtime"
)

func watchPanicKey(p PanicKey, onPress func()) (panicWatcher, error) {
	return nil, fmt.Errorf("the panic key is not implemented on %s yet: %w", runtime.GOOS, errors.ErrUnsupported)
}
