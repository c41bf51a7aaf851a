package models

import (
	"fmt"
	"strings"
)

// Detect chooses the adapter for an installed model from its name and its
// general.architecture, or says why it cannot.
func Detect(name, arch string) (string, error) {
	n := strings.ToLower(name)
	squashed := strings.NewReplacer("-", "", "_", "", ".", "", " ", "").Replace(n)
	if strings.Contains(squashed, "uitars") {
		// UI-TARS 1.0 is Qwen2-VL based and writes 0..1000; UI-TARS-1.5 is
		// Qwen2.5-VL based and writes pixels of the image it saw.
		if arch == "qwen2vl" || strings.Contains(squashed, "uitars10") || strings.Contains(squashed, "uitarsv1") ||
			strings.Contains(squashed, "uitars2b") || strings.Contains(squashed, "uitars72bdpo") || strings.Contains(squashed, "uitars7bdpo") ||
			strings.Contains(squashed, "uitars7bsft") || strings.Contains(squashed, "uitars2bsft") || strings.Contains(squashed, "uitars72bsft") {
			return "uitars10", nil
		}
		return "uitars15", nil
	}
	return "", fmt.Errorf("deskhand has no adapter for model %q (architecture %q) yet — pass --adapter uitars15 (or uitars10) if it writes UI-TARS actions, or use a UI-TARS model", name, arch)
}
