package app

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/ollama/ollama/api"

	"github.com/deskhand/deskhand/app/permissions"
	"github.com/deskhand/deskhand/models"
	"github.com/deskhand/deskhand/perception"
	"github.com/deskhand/deskhand/planner"
)

// problem is one thing that keeps deskhand from working, said so that the user
// knows what to do.
type problem struct {
	Kind  problemKind
	Title string
	Body  string
	Perm  permissions.Kind // for problemPermission
}

type problemKind int

const (
	problemOllama problemKind = iota + 1
	problemNoModel
	problemSettings
	problemDisplay
	problemPermission
)

// environment is what the checks know of the machine besides Ollama.
type environment struct {
	Wayland bool
	GOOS    string
	// Permissions are the missing macOS permissions, said as problems.
	Permissions []problem
}

// permissionProblems returns the permissions deskhand lacks: macOS
// Accessibility and Screen Recording (none elsewhere).
func permissionProblems() []problem {
	var ps []problem
	for _, k := range permissions.Check().Missing() {
		ps = append(ps, problem{Kind: problemPermission, Perm: k,
			Title: "deskhand needs the " + k.String() + " permission",
			Body:  (&permissions.MissingError{Kinds: []permissions.Kind{k}}).Error()})
	}
	return ps
}

// currentEnvironment looks at the session deskhand runs in.
func currentEnvironment() environment {
	return environment{
		Wayland:     os.Getenv("XDG_SESSION_TYPE") == "wayland" || os.Getenv("WAYLAND_DISPLAY") != "",
		GOOS:        runtime.GOOS,
		Permissions: permissionProblems(),
	}
}

// problemsOf lists what is wrong, most fundamental first, from the last model
// listing and the environment.
func problemsOf(ms Models, err error, env environment) []problem {
	var ps []problem
	if env.Wayland {
		ps = append(ps, problem{Kind: problemDisplay, Title: "This is a Wayland session",
			Body: (&perception.NoDisplayError{Wayland: true}).Error()})
	}
	ps = append(ps, env.Permissions...)
	var down *planner.OllamaDownError
	var remote *RemoteNotAllowedError
	switch {
	case errors.As(err, &down):
		ps = append(ps, problem{Kind: problemOllama, Title: "Ollama is not running",
			Body: fmt.Sprintf("deskhand runs its vision model in Ollama, on this machine, and nothing answers at %s.\n%s\nThis box goes away by itself once Ollama answers.", down.Host, installOllama(env.GOOS))})
	case errors.As(err, &remote):
		ps = append(ps, problem{Kind: problemSettings, Title: "Ollama is on another machine", Body: remote.Error()})
	case err != nil:
		ps = append(ps, problem{Kind: problemOllama, Title: "Ollama did not answer as expected", Body: err.Error() + "\nCheck that Ollama is up to date and running."})
	case len(ms.Usable) == 0:
		what := "No model is installed in Ollama yet."
		switch {
		case ms.Others == 1:
			what = "The model installed in Ollama cannot see the screen."
		case ms.Others > 1:
			what = fmt.Sprintf("None of the %d models installed in Ollama can see the screen.", ms.Others)
		}
		body := fmt.Sprintf("%s deskhand recommends %s (about 6 GB; %s needs about 3 GB, for machines with less than 16 GB of memory).",
			what, models.Recommended, models.RecommendedSmall)
		ps = append(ps, problem{Kind: problemNoModel, Title: "No vision model is installed", Body: body})
	}
	return ps
}

// installOllama says how to install and start Ollama on goos.
func installOllama(goos string) string {
	switch goos {
	case "darwin":
		return "Install it from https://ollama.com/download (drag Ollama to Applications), then open the Ollama app."
	case "windows":
		return "Install it from https://ollama.com/download, then start Ollama from the Start menu."
	}
	return "Install it with `curl -fsSL https://ollama.com/install.sh | sh` (see https://ollama.com/download), then start it with `ollama serve`, or `systemctl start ollama` where the installer set up the service."
}

// Checks is the box at the top of the main window that lists what keeps
// deskhand from working, each with what to do, and checks again by itself
// every few seconds until all is well. With nothing wrong it takes no room.
type Checks struct {
	box    *fyne.Container
	picker *ModelPicker
	env    func() environment
	pull   *pullView
	// Every is how often the checks run again while something is wrong.
	Every time.Duration
	timer *time.Timer
	shown []problem
}

// NewChecks builds the checks over the model picker's listings.
func NewChecks(settings *settingsStore, picker *ModelPicker) *Checks {
	c := &Checks{box: container.NewVBox(), picker: picker, env: currentEnvironment, Every: 5 * time.Second}
	c.pull = newPullView(settings, OllamaPull, picker.Load)
	picker.OnList(c.update)
	return c
}

// Content is the box; hidden while nothing is wrong.
func (c *Checks) Content() fyne.CanvasObject {
	c.box.Hide()
	return c.box
}

// Problems returns the titles of the problems shown, for tests.
func (c *Checks) Problems() []string {
	var out []string
	for _, p := range c.shown {
		out = append(out, p.Title)
	}
	return out
}

// update shows the problems of a new listing, and plans the next check while
// there are any. Runs on fyne's goroutine.
func (c *Checks) update(ms Models, err error) {
	ps := problemsOf(ms, err, c.env())
	c.shown = ps
	c.box.RemoveAll()
	for _, p := range ps {
		c.box.Add(c.card(p))
	}
	if len(ps) == 0 {
		c.box.Hide()
		return
	}
	c.box.Show()
	// Check again soon, unless a download is running: it reloads the list
	// when it ends.
	if c.timer != nil {
		c.timer.Stop()
	}
	if c.Every > 0 && !c.pull.running() {
		c.timer = time.AfterFunc(c.Every, func() { fyne.Do(c.picker.Load) })
	}
}

// card draws one problem.
func (c *Checks) card(p problem) fyne.CanvasObject {
	title := widget.NewLabelWithStyle(p.Title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.Importance = widget.WarningImportance
	body := widget.NewLabel(p.Body)
	body.Wrapping = fyne.TextWrapWord
	parts := container.NewVBox(title, body)
	switch p.Kind {
	case problemOllama, problemSettings:
		parts.Add(container.NewHBox(widget.NewButtonWithIcon("Check again", theme.ViewRefreshIcon(), c.picker.Load)))
	case problemNoModel:
		parts.Add(c.pull.content())
	case problemPermission:
		k := p.Perm
		open := widget.NewButton("Open System Settings", func() {
			if err := permissions.OpenSettings(k); err != nil {
				body.SetText(p.Body + "\n" + err.Error())
			}
		})
		open.Importance = widget.HighImportance
		ask := widget.NewButton("Ask macOS", func() {
			if err := permissions.Request(k); err != nil {
				body.SetText(p.Body + "\n" + err.Error())
			}
		})
		parts.Add(container.NewHBox(open, ask))
	}
	return container.NewVBox(parts, widget.NewSeparator())
}

// Puller downloads a model into the Ollama the settings name.
type Puller func(ctx context.Context, s Settings, model string, progress func(planner.PullProgress)) error

// OllamaPull downloads over HTTP with planner.Pull.
func OllamaPull(ctx context.Context, s Settings, model string, progress func(planner.PullProgress)) error {
	u, err := s.OllamaURL()
	if err != nil {
		return err
	}
	return planner.Pull(ctx, api.NewClient(u, http.DefaultClient), u.String(), model, progress)
}

// pullView is the one-click download of the recommended model: buttons, then
// a progress bar with the speed and the time left, and Cancel.
type pullView struct {
	settings *settingsStore
	pull     Puller
	done     func() // called after a download ends, to list the models again

	box      *fyne.Container
	buttons  *fyne.Container
	bar      *widget.ProgressBar
	line     *widget.Label
	cancelB  *widget.Button
	cancel   context.CancelFunc
	throttle *throttle
	meter    *pullMeter // written by the download's goroutine under its lock
}

func newPullView(settings *settingsStore, pull Puller, done func()) *pullView {
	v := &pullView{settings: settings, pull: pull, done: done}
	big := widget.NewButtonWithIcon("Download "+models.Recommended, theme.DownloadIcon(), func() { v.start(models.Recommended) })
	big.Importance = widget.HighImportance
	small := widget.NewButton("Download "+models.RecommendedSmall+" (smaller)", func() { v.start(models.RecommendedSmall) })
	v.buttons = container.NewHBox(big, small)
	v.bar = widget.NewProgressBar()
	v.line = widget.NewLabel("")
	v.line.Wrapping = fyne.TextWrapWord
	v.cancelB = widget.NewButton("Cancel", func() {
		if v.cancel != nil {
			v.cancel()
		}
	})
	v.bar.Hide()
	v.cancelB.Hide()
	v.box = container.NewVBox(v.buttons, container.NewBorder(nil, nil, nil, v.cancelB, v.bar), v.line)
	v.throttle = newThrottle(time.Second/4, v.draw)
	return v
}

func (v *pullView) content() fyne.CanvasObject { return v.box }

func (v *pullView) running() bool { return v.cancel != nil }

// start downloads model on a goroutine of its own, which ends with the
// download (done, failed or cancelled).
func (v *pullView) start(model string) {
	if v.cancel != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	v.cancel = cancel
	m := newPullMeter(model, time.Now())
	v.meter = m
	v.buttons.Hide()
	v.bar.SetValue(0)
	v.bar.Show()
	v.cancelB.Show()
	v.line.SetText("Starting the download of " + model + "…")
	s := v.settings.Get()
	go func() {
		err := v.pull(ctx, s, model, func(p planner.PullProgress) {
			m.observe(p, time.Now())
			v.throttle.poke()
		})
		cancelled := ctx.Err() != nil
		cancel()
		fyne.Do(func() {
			v.cancel = nil
			v.bar.Hide()
			v.cancelB.Hide()
			v.buttons.Show()
			switch {
			case cancelled:
				v.line.SetText("Download cancelled. It resumes where it stopped when you start it again.")
			case err != nil:
				v.line.SetText(err.Error())
			default:
				v.line.SetText(model + " is installed.")
			}
			v.done()
		})
	}()
}

func (v *pullView) draw() {
	if v.meter == nil || v.cancel == nil {
		return
	}
	frac, line := v.meter.report()
	if frac >= 0 {
		v.bar.SetValue(frac)
	}
	v.line.SetText(line)
}

// pullMeter adds up a download's progress over its layers and estimates its
// speed and the time left. It is written by the download's goroutine and read
// by fyne's, hence its lock.
type pullMeter struct {
	model string
	start time.Time

	mu        sync.Mutex
	layers    map[string][2]int64 // digest: completed, total
	order     []string
	status    string
	last      time.Time
	lastBytes int64
	rate      float64 // bytes a second, smoothed
}

func newPullMeter(model string, now time.Time) *pullMeter {
	return &pullMeter{model: model, start: now, last: now, layers: map[string][2]int64{}}
}

// rateWindow is the time constant of the speed's smoothing: long enough to
// steady the number, short enough to follow a change of network.
const rateWindow = 3 * time.Second

func (m *pullMeter) observe(p planner.PullProgress, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.status = p.Status
	if p.Digest == "" || p.Total <= 0 {
		return
	}
	if _, ok := m.layers[p.Digest]; !ok {
		m.order = append(m.order, p.Digest)
	}
	m.layers[p.Digest] = [2]int64{p.Completed, p.Total}
	done, _ := m.sums()
	dt := now.Sub(m.last)
	if dt < 200*time.Millisecond {
		return // too short to tell a speed from
	}
	inst := float64(done-m.lastBytes) / dt.Seconds()
	if m.rate == 0 {
		m.rate = inst
	} else {
		k := 1 - math.Exp(-dt.Seconds()/rateWindow.Seconds())
		m.rate += (inst - m.rate) * k
	}
	m.last, m.lastBytes = now, done
}

func (m *pullMeter) sums() (done, total int64) {
	for _, l := range m.layers {
		done += l[0]
		total += l[1]
	}
	return done, total
}

// report returns the fraction done (-1: unknown) and a line such as "Downloading
// qwen3-vl:8b-instruct: 1.2 GB of 6.1 GB · 23 MB/s · about 3 min left".
func (m *pullMeter) report() (float64, string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	done, total := m.sums()
	switch {
	case strings.HasPrefix(m.status, "verifying"):
		return 1, "Checking the download of " + m.model + "…"
	case strings.HasPrefix(m.status, "writing") || m.status == "success":
		return 1, "Installing " + m.model + "…"
	case total == 0:
		return -1, "Asking the Ollama library for " + m.model + "…"
	}
	line := fmt.Sprintf("Downloading %s: %s of %s", m.model, bytesText(done), bytesText(total))
	if m.rate > 0 {
		left := time.Duration(float64(total-done) / m.rate * float64(time.Second))
		line += fmt.Sprintf(" · %s/s · %s left", bytesText(int64(m.rate)), roughly(left))
	}
	return float64(done) / float64(total), line
}

// bytesText is n in the unit people read sizes in.
func bytesText(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.1f GB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.0f MB", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.0f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d B", n)
}

// roughly is a time left as people say it.
func roughly(d time.Duration) string {
	switch {
	case d < 10*time.Second:
		return "a few seconds"
	case d < time.Minute:
		return fmt.Sprintf("about %d s", int(d.Seconds()/5)*5)
	case d < time.Hour:
		return fmt.Sprintf("about %d min", int(math.Round(d.Minutes())))
	}
	return fmt.Sprintf("about %d h %d min", int(d.Hours()), int(d.Minutes())%60)
}
