// Package app owns deskhand's graphical app, built with fyne: the main window with
// a task box, Start and Stop, and the steps of the run, and the approval asked
// before each action. Widgets stay thin: they call into the planner through
// Starter and planner.Approver, and every update from a worker goes through
// fyne.Do.
package app

import (
	"context"
	"fmt"
	"net/http"
	"os"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"github.com/ollama/ollama/api"

	"github.com/deskhand/deskhand/actuation"
	"github.com/deskhand/deskhand/app/cli"
	"github.com/deskhand/deskhand/app/overlay"
	"github.com/deskhand/deskhand/assets"
	"github.com/deskhand/deskhand/perception"
	"github.com/deskhand/deskhand/planner"
)

// Run starts the app and returns the process's exit status when it quits.
func Run() int {
	if _, err := perception.Monitors(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "deskhand:", err)
		return cli.ExitUsage
	}
	a := fyneapp.NewWithID("io.github.deskhand")
	a.SetIcon(assets.Icon)
	w := a.NewWindow("deskhand")
	// The overlay asks at the target on the screen; without one (no X11 SHAPE,
	// Windows, macOS) the window's dialog with the frozen frame asks alone.
	ov, err := overlay.Open()
	if err != nil {
		fmt.Fprintln(os.Stderr, "deskhand: the on-screen overlay is off:", err)
		ov = nil
	} else {
		defer ov.Close()
	}
	u := NewUI(w, func(ctx context.Context, task string, ap planner.Approver, sink planner.EventSink) (planner.Result, error) {
		var hide func(context.Context) (func(), error)
		if ov != nil {
			hide = ov.Hide
		}
		return startTask(ctx, task, hide, ap, sink)
	})
	if ov != nil {
		u.Overlay = ov
	}
	w.SetContent(u.Content())
	w.Resize(fyne.NewSize(640, 420))
	w.Canvas().Focus(u.Task)
	w.ShowAndRun()
	return 0
}

// startTask runs a task with the same loop as `deskhand run`.
func startTask(ctx context.Context, task string, hide func(context.Context) (func(), error), ap planner.Approver, sink planner.EventSink) (planner.Result, error) {
	host, err := planner.HostFromEnv()
	if err != nil {
		return planner.Result{Status: planner.StatusFailed}, err
	}
	if !planner.IsLoopback(host) {
		return planner.Result{Status: planner.StatusFailed}, &planner.RemoteHostError{Host: host.String()}
	}
	panicKey, err := actuation.PanicKeyFromEnv()
	if err != nil {
		return planner.Result{Status: planner.StatusFailed}, err
	}
	// The panic key stops the run from anywhere, like the Stop button. If it cannot
	// be grabbed (another program has it), Stop still works.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if stop, err := actuation.WatchPanicKey(ctx, panicKey, func() {
		cancel(fmt.Errorf("%w (%s)", planner.ErrPanicKey, panicKey))
	}); err == nil {
		defer stop()
	}
	sess, err := cli.Prepare(ctx, cli.Setup{Monitor: -1, Host: host.String(), Client: api.NewClient(host, http.DefaultClient), PanicKey: panicKey, Hide: hide})
	if err != nil {
		return planner.Result{Status: planner.StatusFailed}, err
	}
	defer sess.Trace.Close()
	sess.Agent.Approver = ap
	return sess.Run(ctx, task, sink)
}
