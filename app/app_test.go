package app

import (
	"context"
	"github.com/deskhand/deskhand/app/cli"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/deskhand/deskhand/app/taskbar"
	"github.com/deskhand/deskhand/planner"
	"github.com/deskhand/deskhand/planner/ollamatest"
)

// fakeCatalog lists the fake Ollama's one model.
func fakeCatalog(ctx context.Context, s Settings) (Models, error) {
	return Models{Host: "http://127.0.0.1:11434", Usable: []Model{{Facts: factsOf(uitarsModel), Choice: mustChoose(uitarsModel)}}}, nil
}

// The whole app without a display: a task from the task bar runs with the
// settings, is recorded, and shows in past runs, which exports it.
func TestDeskTaskBarToPastRuns(t *testing.T) {
	srv := ollamatest.NewServer(uitarsModel)
	defer srv.Close()
	srv.Script(clickReply("the Files icon", 100, 100), doneReply("Opened"))
	root := t.TempDir()
	a := newLoopApp(t)
	var d *desk
	onUI(func() {
		d = newDesk(a, deps{start: tracedStarter(srv, &fakeHands{}, root), catalog: fakeCatalog, root: root})
		d.store.Update(func(s *Settings) { s.Policy = planner.ConfirmNone })
		d.openBar("Home - Files")
		if !d.bar.Shown() {
			t.Error("the task bar did not open")
		}
		test.Type(d.bar.Entry, "open Documents")
	})
	onUI(func() { d.bar.Entry.OnSubmitted(d.bar.Entry.Text) })
	onUI(func() {
		if d.bar.Shown() || !d.ui.Running() {
			t.Errorf("after Enter: bar shown %v, running %v", d.bar.Shown(), d.ui.Running())
		}
		if err := d.submit("another"); err == nil || !strings.Contains(err.Error(), "busy") {
			t.Errorf("a second task while one runs: %v", err)
		}
	})
	d.ui.Wait()
	waitFor(t, func() bool { return d.ui.Status.Text == "Done: Opened" })

	onUI(func() {
		d.tabs.SelectIndex(1) // past runs: reloads
		if len(d.hist.runs) != 1 || d.hist.runs[0].Task != "In “Home - Files”: open Documents" {
			t.Fatalf("past runs: %v", d.hist.runs)
		}
		d.hist.List.Select(0)
		if d.hist.Pic.Image == nil || !strings.Contains(d.hist.Body.Text, "Did without asking: left-click") || d.hist.Where.Text != "Step 1 of 2" {
			t.Errorf("step 1: pic %v, %q, %q", d.hist.Pic.Image != nil, d.hist.Where.Text, d.hist.Body.Text)
		}
		test.Tap(d.hist.Next)
		if !strings.Contains(d.hist.Body.Text, "Done: Opened") || !d.hist.Next.Disabled() || d.hist.Prev.Disabled() {
			t.Errorf("step 2: %q", d.hist.Body.Text)
		}
	})
}

// The task bar's window is titled for window managers and tests.
func TestTaskBarTitle(t *testing.T) {
	a := newLoopApp(t)
	onUI(func() {
		d := newDesk(a, deps{start: func(context.Context, Job) (planner.Result, error) { return planner.Result{}, nil }, catalog: fakeCatalog, root: t.TempDir()})
		if got := d.bar.Window().Title(); got != taskbar.Title {
			t.Errorf("title %q", got)
		}
		d.openBar("deskhand") // our own window is no context
		if d.bar.Entry.Text != "" {
			t.Errorf("prefill from deskhand itself: %q", d.bar.Entry.Text)
		}
	})
}

func TestTraceRoot(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", "/tmp/xdg")
	root, err := cli.DefaultTraceRoot()
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(filepath.Dir(root)) != "deskhand" {
		t.Errorf("trace root %q", root)
	}
}
