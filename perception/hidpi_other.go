//go:build !windows && !(darwin && cgo)

package perception

import "runtime"

func platformScaling(Monitor) Scaling {
	if runtime.GOOS == "darwin" {
		return Scaling{Space: "points", Note: "this deskhand was built without cgo and cannot read the backing scale"}
	}
	return Scaling{Space: "X11 root-window pixels",
		Note: "captures and the mouse use the same pixels; the desktop's scaling setting does not change them"}
}
