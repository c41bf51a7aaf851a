// Package app owns deskhand's graphical app, built with fyne: the main window
// (the setup checks, a task box, the model picker, Start and Stop, and the steps
// of the run as they happen), past runs, settings, the task bar that a global
// hotkey opens over any application, the tray menu, and the approval asked
// before each action. Widgets stay thin: they call into the planner through
// Starter and planner.Approver, fold its events with app/history, and every
// update from a worker goes through fyne.Do.
package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"runtime"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"github.com/ollama/ollama/api"

	"github.com/deskhand/deskhand/actuation"
	"github.com/deskhand/deskhand/app/cli"
	"github.com/deskhand/deskhand/app/overlay"
	"github.com/deskhand/deskhand/app/taskbar"
	"github.com/deskhand/deskhand/assets"
	"github.com/deskhand/deskhand/perception"
	"github.com/deskhand/deskhand/planner"
)

// AppID is the app's fyne ID: its preferences live under it.
const AppID = "io.github.deskhand"

// Run starts the app and returns the process's exit status when it quits.
func Run() int {
	if _, err := perception.Monitors(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "deskhand:", err)
		return cli.ExitUsage
	}
	a, err := newFyneApp()
	if err != nil {
		fmt.Fprintln(os.Stderr, "deskhand:", err)
		return cli.ExitUsage
	}
	a.SetIcon(assets.Icon)
	root, err := cli.DefaultTraceRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "deskhand:", err)
		return cli.ExitUsage
	}
	// The overlay asks at the target on the screen; without one (no X11 SHAPE, a
	// missing macOS framework) the window's dialog with the frozen frame asks alone.
	ov, err := overlay.Open()
	var hide func(context.Context) (func(), error)
	if err != nil {
		fmt.Fprintln(os.Stderr, "deskhand: the on-screen overlay is off:", err)
		ov = nil
	} else {
		defer ov.Close()
		hide = ov.Hide
	}
	d := newDesk(a, deps{
		start: func(ctx context.Context, job Job) (planner.Result, error) {
			return startTask(ctx, job, hide, root)
		},
		catalog: OllamaCatalog,
		root:    root,
	})
	if ov != nil {
		d.ui.Overlay = ov
	}
	d.watchTaskKey()
	d.store.OnChange(func(old, s Settings) {
		if old.TaskKey != s.TaskKey {
			d.watchTaskKey()
		}
	})
	d.setupTray()
	if onStarted != nil {
		a.Lifecycle().SetOnStarted(onStarted)
	}
	d.win.ShowAndRun()
	d.stopTaskKey()
	return 0
}

// onStarted, if set, is called once the app's window is up: the start-up
// benchmark's finish line.
var onStarted func()

// deps are what the desk needs from outside: tests give fakes.
type deps struct {
	start   Starter
	catalog Catalog
	root    string // where runs are recorded
}

// desk is the running app: the main window and its tabs, the task bar, the
// hotkey and the tray. Its fields are touched on fyne's goroutine.
type desk struct {
	app   fyne.App
	win   fyne.Window
	store *settingsStore
	ui    *UI
	hist  *HistoryView
	sets  *SettingsView
	tabs  *container.AppTabs
	bar   *taskbar.Bar

	stopKey   func()
	stopItem  *fyne.MenuItem
	trayMenu  *fyne.Menu
	keyStatus string // why the hotkey does not work, or ""
}

// newDesk builds the app's windows in a.
func newDesk(a fyne.App, x deps) *desk {
	d := &desk{app: a, store: newSettingsStore(a.Preferences())}
	d.win = a.NewWindow("deskhand")
	d.ui = NewUI(d.win, d.store, x.start, x.catalog)
	d.hist = NewHistoryView(d.win, x.root)
	d.sets = NewSettingsView(d.store)
	d.tabs = container.NewAppTabs(
		container.NewTabItemWithIcon("Task", theme.MediaPlayIcon(), d.ui.Content()),
		container.NewTabItemWithIcon("Past runs", theme.HistoryIcon(), d.hist.Content()),
		container.NewTabItemWithIcon("Settings", theme.SettingsIcon(), d.sets.Content()),
	)
	d.tabs.OnSelected = func(t *container.TabItem) {
		switch t.Text {
		case "Past runs":
			d.hist.Reload()
		case "Settings":
			d.sets.Fill(d.store.Get())
		}
	}
	d.ui.OnRunning = func(running bool) {
		if d.stopItem != nil {
			d.stopItem.Disabled = !running
			d.trayMenu.Refresh()
		}
		if !running && d.tabs.Selected().Text == "Past runs" {
			d.hist.Reload()
		}
		// With the overlay asking at the target, the window steps aside during a
		// run: it would be in every screenshot and could hide what the model must
		// see. It comes back with the outcome. (Without the overlay its dialog is
		// the only place that asks, so it stays.)
		if d.ui.Overlay != nil {
			if running {
				d.win.Hide()
			} else {
				d.win.Show()
			}
		}
	}
	d.store.OnChange(func(old, s Settings) {
		if old.Host != s.Host || old.AllowRemote != s.AllowRemote || old.Adapter != s.Adapter {
			if d.ui.Models != nil {
				d.ui.Models.Load()
			}
		}
	})
	d.bar = taskbar.New(a, d.submit)
	d.win.SetContent(d.tabs)
	d.win.Resize(fyne.NewSize(800, 640))
	d.win.SetMaster()
	d.win.Canvas().Focus(d.ui.Task)
	if d.ui.Models != nil {
		d.ui.Models.Load()
	}
	return d
}

// submit starts a task typed in the task bar.
func (d *desk) submit(task string) error {
	if d.ui.Running() {
		return errors.New("deskhand is busy with a task: stop it first (Stop, or the stop key)")
	}
	if !d.ui.StartTask(task) {
		return errors.New(d.ui.Status.Text)
	}
	d.tabs.SelectIndex(0)
	if d.ui.Overlay == nil {
		// The window's dialog is the only place that asks: it must be seen.
		d.win.Show()
		d.win.RequestFocus()
	}
	return nil
}

// openBar opens the task bar, or closes it if it is open: the hotkey toggles.
func (d *desk) openBar(activeTitle string) {
	if d.bar.Shown() {
		d.bar.Close()
		return
	}
	if activeTitle == "deskhand" || activeTitle == taskbar.Title {
		activeTitle = "" // deskhand's own window is no context
	}
	d.bar.Open(activeTitle)
}

// watchTaskKey (re)starts watching the task bar's hotkey on the whole desktop.
// The watcher's goroutine ends with stopTaskKey.
func (d *desk) watchTaskKey() {
	d.stopTaskKey()
	key, _, err := d.store.Get().Keys()
	if err == nil {
		d.stopKey, err = actuation.WatchPanicKey(context.Background(), key, func() {
			// Read before the bar opens: it becomes the active window.
			title := taskbar.ActiveTitle()
			fyne.Do(func() { d.openBar(title) })
		})
	}
	d.keyStatus = ""
	switch {
	case errors.Is(err, actuation.ErrPanicKeyTaken):
		d.keyStatus = fmt.Sprintf("Another program already uses %s, so the task bar's hotkey does not work: pick another in Settings.", key)
	case err != nil:
		d.keyStatus = fmt.Sprintf("The task bar's hotkey does not work here (%v).", err)
	}
	if d.keyStatus != "" && !d.ui.Running() {
		d.ui.Status.SetText(d.keyStatus)
	}
}

func (d *desk) stopTaskKey() {
	if d.stopKey != nil {
		d.stopKey()
		d.stopKey = nil
	}
}

// setupTray puts deskhand's menu in the system tray, where the driver has one.
func (d *desk) setupTray() {
	tray, ok := d.app.(desktop.App)
	if !ok {
		return
	}
	if (runtime.GOOS == "linux" || runtime.GOOS == "freebsd") && os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		// No session bus, so no tray: fyne's systray would try to start one,
		// fail, and crash when the app quits (fyne.io/systray nativeEnd closes a
		// nil connection).
		return
	}
	show := func() {
		d.win.Show()
		d.win.RequestFocus()
	}
	d.stopItem = fyne.NewMenuItem("Stop", d.ui.StopTask)
	d.stopItem.Disabled = true
	quit := fyne.NewMenuItem("Quit", d.app.Quit)
	quit.IsQuit = true
	d.trayMenu = fyne.NewMenu("deskhand",
		fyne.NewMenuItem("New task…", func() { d.openBar("") }),
		d.stopItem,
		fyne.NewMenuItem("Show window", show),
		fyne.NewMenuItemSeparator(),
		quit,
	)
	tray.SetSystemTrayMenu(d.trayMenu)
	tray.SetSystemTrayIcon(assets.Icon)
	// With a tray to come back from, closing the window keeps deskhand running,
	// so the hotkey still opens the task bar; Quit is in the tray menu.
	d.win.SetCloseIntercept(d.win.Hide)
}

// startTask runs a job with the same loop as `deskhand run`, set up from the
// job's settings.
func startTask(ctx context.Context, job Job, hide func(context.Context) (func(), error), root string) (planner.Result, error) {
	s := job.Settings
	host, err := s.OllamaURL()
	if err != nil {
		return planner.Result{Status: planner.StatusFailed}, err
	}
	_, panicKey, err := s.Keys()
	if err != nil {
		return planner.Result{Status: planner.StatusFailed}, err
	}
	// The stop key stops the run from anywhere, like the Stop button. If it
	// cannot be grabbed (another program has it), Stop still works.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if stop, err := actuation.WatchPanicKey(ctx, panicKey, func() {
		cancel(fmt.Errorf("%w (%s)", planner.ErrPanicKey, panicKey))
	}); err == nil {
		defer stop()
	}
	sess, err := cli.Prepare(ctx, cli.Setup{Model: s.Model, Adapter: s.Adapter, Monitor: -1, MaxSteps: s.MaxSteps,
		TraceRoot: root, Host: host.String(), Client: api.NewClient(host, http.DefaultClient), PanicKey: panicKey, Hide: hide,
		ImageFormat: s.ImageFormat})
	if err != nil {
		return planner.Result{Status: planner.StatusFailed}, err
	}
	defer sess.Close()
	if job.Traced != nil {
		job.Traced(sess.Trace.Dir)
	}
	sess.Agent.Approver = job.Approver
	sess.Agent.Policy = s.Policy
	sess.Agent.KeepScreens = s.KeepScreens
	// The user's mouse stops the run, as in a terminal; the Stop button and
	// the stop key still work where it cannot.
	sess.Warn = func(msg string) { fmt.Fprintln(os.Stderr, "deskhand:", msg) }
	release, _ := sess.WatchHands(ctx, s.Policy == planner.ConfirmNone, cancel)
	defer release()
	return sess.Run(ctx, job.Task, job.Events)
}
