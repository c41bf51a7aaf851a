package planner

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLayering keeps the layers apart: the loop and the adapters never touch the
// GUI or the robot, and adapters stay pure (no network, no files, no clocks).
func TestLayering(t *testing.T) {
	banned := []string{"fyne.io/", "github.com/go-vgo/robotgo", "github.com/kbinani/screenshot", "golang.design/x/hotkey"}
	tests := []struct {
		pkg      string
		forbid   []string
		deepOnly []string // forbidden anywhere in the dependency graph
	}{
		{"github.com/deskhand/deskhand/planner", banned, []string{"fyne.io/"}},
		{"github.com/deskhand/deskhand/models", append(banned, "net/http", "os", "time"), []string{"fyne.io/"}},
		{"github.com/deskhand/deskhand/app/cli", []string{"fyne.io/"}, []string{"fyne.io/"}},
	}
	for _, tt := range tests {
		imports := goList(t, "{{join .Imports \"\\n\"}}", tt.pkg)
		for _, imp := range imports {
			for _, bad := range tt.forbid {
				if matches(imp, bad) {
					t.Errorf("%s imports %s", tt.pkg, imp)
				}
			}
		}
		for _, dep := range goList(t, "{{join .Deps \"\\n\"}}", tt.pkg) {
			for _, bad := range tt.deepOnly {
				if matches(dep, bad) {
					t.Errorf("%s depends on %s", tt.pkg, dep)
				}
			}
		}
	}
}

// matches reports whether import path p is bad: a prefix when bad ends in "/",
// else the package itself or one below it.
func matches(p, bad string) bool {
	if strings.HasSuffix(bad, "/") {
		return strings.HasPrefix(p, bad)
	}
	return p == bad || strings.HasPrefix(p, bad+"/")
}

func goList(t *testing.T, format, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", format, pkg).Output()
	if err != nil {
		t.Fatalf("go list %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}
