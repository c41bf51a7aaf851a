package perception

import (
	"image"
	"runtime"
	"testing"
)

// MonitorScaling is information only, but it must name the unit of actuation
// space and never claim a factor it did not read.
func TestMonitorScaling(t *testing.T) {
	s := MonitorScaling(Monitor{Bounds: image.Rect(0, 0, 1920, 1080), Primary: true})
	if s.Space == "" {
		t.Errorf("%+v names no unit of actuation space", s)
	}
	if s.Factor < 0 {
		t.Errorf("%+v has a negative factor", s)
	}
	if runtime.GOOS == "linux" && (s.Factor != 0 || s.Space != "X11 root-window pixels") {
		t.Errorf("on X11: %+v, want root-window pixels and no factor", s)
	}
}
