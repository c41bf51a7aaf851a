package cli

import (
	"strings"
	"testing"

	"github.com/deskhand/deskhand/actuation"
)

func TestPasteSetting(t *testing.T) {
	for _, tc := range []struct {
		env     string
		want    int
		wantErr string
	}{
		{"", 0, ""}, // the actuation default
		{"on", 0, ""},
		{"off", -1, ""},
		{"NEVER", -1, ""},
		{"200", 200, ""},
		{"-3", 0, "want off, on, or the number"},
		{"sometimes", 0, "want off, on, or the number"},
	} {
		t.Setenv("DESKHAND_PASTE", tc.env)
		d, err := newHands(actuation.PanicKey{})
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("DESKHAND_PASTE=%q: err %v, want %q", tc.env, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("DESKHAND_PASTE=%q: %v", tc.env, err)
			continue
		}
		if d.PasteThreshold != tc.want {
			t.Errorf("DESKHAND_PASTE=%q: threshold %d, want %d", tc.env, d.PasteThreshold, tc.want)
		}
	}
}
