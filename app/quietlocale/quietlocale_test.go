package quietlocale

import (
	"os"
	"testing"
)

func TestHideAndRestore(t *testing.T) {
	tests := []struct {
		name   string
		env    map[string]string // "" value: unset
		hidden bool
	}{
		{"C.UTF-8 everywhere", map[string]string{"LC_ALL": "C.UTF-8", "LC_MESSAGES": "", "LANG": "C.UTF-8"}, true},
		{"plain C in LANG", map[string]string{"LC_ALL": "", "LC_MESSAGES": "", "LANG": "C"}, true},
		{"POSIX messages", map[string]string{"LC_ALL": "", "LC_MESSAGES": "POSIX", "LANG": "de_DE.UTF-8"}, true},
		{"a real locale", map[string]string{"LC_ALL": "", "LC_MESSAGES": "", "LANG": "fr_FR.UTF-8"}, false},
		{"LC_ALL wins", map[string]string{"LC_ALL": "en_GB.UTF-8", "LC_MESSAGES": "", "LANG": "C"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				if v == "" {
					t.Setenv(k, "x") // registers the restore of the test's own value
					os.Unsetenv(k)
				} else {
					t.Setenv(k, v)
				}
			}
			hide()
			if got := effective(); tt.hidden && got != "en_US.UTF-8" {
				t.Errorf("while hidden, the locale is %q, want en_US.UTF-8", got)
			}
			Restore()
			for k, v := range tt.env {
				got, set := os.LookupEnv(k)
				if v == "" && set || v != "" && got != v {
					t.Errorf("after Restore %s = %q (set %v), want %q", k, got, set, v)
				}
			}
		})
	}
}
