package models

import (
	"bytes"
	"encoding/json"
	"errors"
	"image"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ollama/ollama/api"

	"github.com/deskhand/deskhand/actuation"
	"github.com/deskhand/deskhand/perception"
	"github.com/deskhand/deskhand/planner"
)

// corpusNames returns the replies in a corpus folder, sorted: *.txt files are a
// reply's Content, *.json files (other than *.golden.json) a whole api.Message
// (tool calls, thinking). It fails with fewer than least: a corpus that lost its
// files must not pass by testing nothing.
func corpusNames(t testing.TB, dir string, least int) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range paths {
		n := filepath.Base(p)
		if strings.HasSuffix(n, ".txt") || strings.HasSuffix(n, ".json") && !strings.HasSuffix(n, ".golden.json") {
			names = append(names, n)
		}
	}
	if len(names) < least {
		t.Fatalf("%s has %d replies, want at least %d", dir, len(names), least)
	}
	slices.Sort(names)
	return names
}

// corpusText returns a corpus file's text.
func corpusText(t testing.TB, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// checkParse checks what every adapter's Parse owes its caller on a corpus
// reply: an error only for an err- reply (wantErr), and then a
// *planner.ParseError wrapping ErrBadOutput whose Raw is the text read, as the
// planner's corrective re-ask needs. It returns the error's text for the golden
// file, or "".
func checkParse(t *testing.T, d planner.Decision, err error, wantErr bool) string {
	t.Helper()
	if wantErr && err == nil {
		t.Errorf("an err- reply parsed without error: %v", d.Actions)
	}
	if !wantErr && err != nil {
		t.Errorf("parse: %v", err)
	}
	if err == nil {
		return ""
	}
	var pe *planner.ParseError
	if !errors.As(err, &pe) || !errors.Is(err, planner.ErrBadOutput) {
		t.Errorf("error %v is not a *planner.ParseError wrapping ErrBadOutput", err)
	} else if pe.Raw != d.Raw {
		t.Errorf("ParseError.Raw = %q, want Decision.Raw %q", pe.Raw, d.Raw)
	}
	return err.Error()
}

// checkGolden compares v, as indented JSON, with the golden file path, or
// rewrites the file with -update.
func checkGolden(t *testing.T, path string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./models -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the parse differs from %s (go test ./models -update rewrites it)\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// checkNoStrays makes sure every golden file in dir has its reply (a file of the
// same stem ending in one of exts), so a renamed reply does not leave a stale
// expectation behind.
func checkNoStrays(t *testing.T, dir string, exts ...string) {
	t.Helper()
	goldens, _ := filepath.Glob(filepath.Join(dir, "*.golden.json"))
	for _, g := range goldens {
		stem := g[:len(g)-len(".golden.json")]
		found := false
		for _, e := range exts {
			if _, err := os.Stat(stem + e); err == nil {
				found = true
			}
		}
		if !found {
			t.Errorf("%s has no reply file", g)
		}
	}
}

// checkFuzzParse is every adapter's fuzz property: Parse never panics, an error
// wraps ErrBadOutput (so the planner re-asks), and otherwise there are actions,
// each normalised and on the frame's screen.
func checkFuzzParse(t *testing.T, a planner.Adapter, m api.Message, fr perception.Frame) {
	t.Helper()
	d, err := a.Parse(m, fr)
	if err != nil {
		if !errors.Is(err, planner.ErrBadOutput) {
			t.Fatalf("error %v does not wrap ErrBadOutput", err)
		}
		return
	}
	if len(d.Actions) == 0 {
		t.Fatal("no actions and no error")
	}
	for _, act := range d.Actions {
		n, err := actuation.Normalize(act, fr.Bounds)
		if err != nil {
			t.Fatalf("action %v fails Normalize: %v", act, err)
		}
		if n.String() != act.String() {
			t.Fatalf("action %v is not normalised (%v)", act, n)
		}
	}
}

// checkOneAction parses reply with a and checks that it is exactly want.
func checkOneAction(t *testing.T, a planner.Adapter, f perception.Frame, reply string, want actuation.Action) {
	t.Helper()
	d, err := a.Parse(api.Message{Content: reply}, f)
	if err != nil {
		t.Errorf("%s: %v", reply, err)
		return
	}
	if len(d.Actions) != 1 || d.Actions[0].String() != want.String() {
		t.Errorf("%s:\n got %v\nwant %s", reply, d.Actions, want)
	}
}

// checkLanding parses msg with a and checks that its first action lands at
// want (its start and, for a drag, its end), and that the model's coordinates
// model map there through Frame.ToScreen too: the adapter must use the one
// mapping function, not a copy of it.
func checkLanding(t *testing.T, a interface {
	planner.Adapter
	Convention() perception.Convention
}, f perception.Frame, msg string, model [][2]float64, want []image.Point) {
	t.Helper()
	d, err := a.Parse(api.Message{Content: msg}, f)
	if err != nil {
		t.Fatal(err)
	}
	act := d.Actions[0]
	p, _ := act.Point()
	got := []image.Point{p}
	if e, ok := act.End(); ok {
		got = append(got, e)
	}
	if !slices.Equal(got, want) {
		t.Errorf("landed at %v, want %v", got, want)
	}
	for i, m := range model {
		sp, err := f.ToScreen(m[0], m[1], a.Convention())
		if err != nil || i >= len(got) || sp != got[i] {
			t.Errorf("Frame.ToScreen(%g, %g) = %v, %v; the adapter gave %v", m[0], m[1], sp, err, got)
		}
	}
}
