package app

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"

	"fyne.io/fyne/v2"

	"github.com/deskhand/deskhand/actuation"
	"github.com/deskhand/deskhand/models"
	"github.com/deskhand/deskhand/planner"
)

// DefaultTaskKey is the global hotkey that opens the task bar.
const DefaultTaskKey = "ctrl+alt+space"

// Settings are the user's choices, kept in fyne's Preferences between runs of
// the app. The zero value is not valid: start from DefaultSettings or
// LoadSettings.
type Settings struct {
	Model   string // "" picks the best installed vision model
	Adapter string // "" detects it from the model
	// Host is Ollama's address; "" is OLLAMA_HOST, or this machine. Another
	// machine is used only with AllowRemote: screenshots of the desktop go
	// there (contracts.md §3).
	Host        string
	AllowRemote bool
	Policy      planner.Policy
	TaskKey     string // opens the task bar from anywhere
	PanicKey    string // stops a run from anywhere; "" is actuation.DefaultPanicKey
	// KeepScreens is how many of the latest screenshots are sent again with
	// each request: the model's memory of the screen.
	KeepScreens int
	MaxSteps    int
	ImageFormat string // "png" (sharp text) or "jpeg" (smaller, faster)
}

// The limits the settings window allows.
const (
	maxKeepScreens = 10
	maxMaxSteps    = 500
)

// DefaultSettings are the settings of a first start.
func DefaultSettings() Settings {
	return Settings{
		TaskKey:     DefaultTaskKey,
		KeepScreens: planner.DefaultKeepScreens,
		MaxSteps:    planner.DefaultMaxSteps,
		ImageFormat: "png",
	}
}

// The keys of the settings in fyne's Preferences.
const (
	prefModel       = "model"
	prefAdapter     = "adapter"
	prefHost        = "ollama_host"
	prefAllowRemote = "allow_remote_model"
	prefPolicy      = "confirm"
	prefTaskKey     = "task_hotkey"
	prefPanicKey    = "panic_key"
	prefKeepScreens = "history_length"
	prefMaxSteps    = "max_steps"
	prefImageFormat = "image_format"
)

// LoadSettings reads the settings from p, with the defaults for what is
// missing. A value that is no longer valid (edited by hand, or from another
// version) falls back to its default rather than keep the app from starting.
func LoadSettings(p fyne.Preferences) Settings {
	d := DefaultSettings()
	s := Settings{
		Model:       p.String(prefModel),
		Adapter:     p.String(prefAdapter),
		Host:        p.String(prefHost),
		AllowRemote: p.Bool(prefAllowRemote),
		TaskKey:     p.StringWithFallback(prefTaskKey, d.TaskKey),
		PanicKey:    p.String(prefPanicKey),
		KeepScreens: p.IntWithFallback(prefKeepScreens, d.KeepScreens),
		MaxSteps:    p.IntWithFallback(prefMaxSteps, d.MaxSteps),
		ImageFormat: p.StringWithFallback(prefImageFormat, d.ImageFormat),
	}
	s.Policy, _ = planner.ParsePolicy(p.String(prefPolicy))
	if s.Adapter != "" {
		if _, err := models.For(s.Adapter); err != nil {
			s.Adapter = ""
		}
	}
	if _, err := actuation.ParsePanicKey(s.TaskKey); err != nil {
		s.TaskKey = d.TaskKey
	}
	if _, err := actuation.ParsePanicKey(s.PanicKey); err != nil {
		s.PanicKey = ""
	}
	if s.KeepScreens < 1 || s.KeepScreens > maxKeepScreens {
		s.KeepScreens = d.KeepScreens
	}
	if s.MaxSteps < 1 || s.MaxSteps > maxMaxSteps {
		s.MaxSteps = d.MaxSteps
	}
	if s.ImageFormat != "png" && s.ImageFormat != "jpeg" {
		s.ImageFormat = d.ImageFormat
	}
	return s
}

// Save writes the settings to p.
func (s Settings) Save(p fyne.Preferences) {
	p.SetString(prefModel, s.Model)
	p.SetString(prefAdapter, s.Adapter)
	p.SetString(prefHost, s.Host)
	p.SetBool(prefAllowRemote, s.AllowRemote)
	p.SetString(prefPolicy, policyName(s.Policy))
	p.SetString(prefTaskKey, s.TaskKey)
	p.SetString(prefPanicKey, s.PanicKey)
	p.SetInt(prefKeepScreens, s.KeepScreens)
	p.SetInt(prefMaxSteps, s.MaxSteps)
	p.SetString(prefImageFormat, s.ImageFormat)
}

// policyName is the word ParsePolicy reads back.
func policyName(p planner.Policy) string {
	switch p {
	case planner.ConfirmHigh:
		return "high"
	case planner.ConfirmNone:
		return "none"
	}
	return "all"
}

// RemoteNotAllowedError refuses an Ollama on another machine that the user has
// not allowed in the settings.
type RemoteNotAllowedError struct{ Host string }

func (e *RemoteNotAllowedError) Error() string {
	return fmt.Sprintf("Ollama at %s is not this machine: screenshots of your desktop would leave it — turn on \"Send screenshots to this other machine\" in Settings if you mean it", e.Host)
}

// Unwrap lets callers that know the planner's error find it.
func (e *RemoteNotAllowedError) Unwrap() error { return &planner.RemoteHostError{Host: e.Host} }

// OllamaURL is the Ollama address the settings name: Host, else OLLAMA_HOST,
// else this machine. It refuses another machine without AllowRemote.
func (s Settings) OllamaURL() (*url.URL, error) {
	var u *url.URL
	var err error
	if strings.TrimSpace(s.Host) == "" {
		u, err = planner.HostFromEnv()
	} else {
		u, err = planner.ParseHost(s.Host)
	}
	if err != nil {
		return nil, err
	}
	if !planner.IsLoopback(u) && !s.AllowRemote {
		return u, &RemoteNotAllowedError{Host: u.String()}
	}
	return u, nil
}

// Keys returns the parsed task bar and panic keys.
func (s Settings) Keys() (task, panicKey actuation.PanicKey, err error) {
	if task, err = actuation.ParsePanicKey(s.TaskKey); err != nil {
		return task, panicKey, fmt.Errorf("the task bar's hotkey: %w", err)
	}
	if panicKey, err = actuation.ParsePanicKey(s.PanicKey); err != nil {
		return task, panicKey, fmt.Errorf("the stop key: %w", err)
	}
	if task.Matches(panicKey.Keys()) {
		return task, panicKey, fmt.Errorf("the task bar's hotkey and the stop key are both %s: pick two different combinations", task)
	}
	return task, panicKey, nil
}

// Validate reports the first setting that cannot work, in words for the
// settings window.
func (s Settings) Validate() error {
	var errs []error
	if s.Adapter != "" {
		if _, err := models.For(s.Adapter); err != nil {
			errs = append(errs, err)
		}
	}
	if _, err := s.OllamaURL(); err != nil {
		errs = append(errs, err)
	}
	if _, err := planner.ParsePolicy(policyName(s.Policy)); err != nil || policyName(s.Policy) == "all" && s.Policy != planner.ConfirmAll {
		errs = append(errs, fmt.Errorf("unknown confirmation policy %q", s.Policy))
	}
	if _, _, err := s.Keys(); err != nil {
		errs = append(errs, err)
	}
	if s.KeepScreens < 1 || s.KeepScreens > maxKeepScreens {
		errs = append(errs, fmt.Errorf("screenshots to remember must be 1 to %d, not %d", maxKeepScreens, s.KeepScreens))
	}
	if s.MaxSteps < 1 || s.MaxSteps > maxMaxSteps {
		errs = append(errs, fmt.Errorf("steps per task must be 1 to %d, not %d", maxMaxSteps, s.MaxSteps))
	}
	if s.ImageFormat != "png" && s.ImageFormat != "jpeg" {
		errs = append(errs, fmt.Errorf("image format %q is not png or jpeg", s.ImageFormat))
	}
	return errors.Join(errs...)
}

// settingsStore holds the settings in use and keeps them in fyne's
// Preferences. Its methods are safe to call from any goroutine; listeners run
// on the goroutine that called Update (fyne's, for the settings window).
type settingsStore struct {
	prefs fyne.Preferences

	mu        sync.Mutex
	s         Settings
	listeners []func(old, new Settings)
}

func newSettingsStore(p fyne.Preferences) *settingsStore {
	return &settingsStore{prefs: p, s: LoadSettings(p)}
}

// Get returns the settings in use.
func (st *settingsStore) Get() Settings {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.s
}

// Update changes the settings with f, saves them, and tells the listeners.
func (st *settingsStore) Update(f func(*Settings)) {
	st.mu.Lock()
	old := st.s
	f(&st.s)
	s := st.s
	listeners := slices.Clone(st.listeners)
	st.mu.Unlock()
	s.Save(st.prefs)
	for _, l := range listeners {
		l(old, s)
	}
}

// OnChange adds a listener for changed settings.
func (st *settingsStore) OnChange(f func(old, new Settings)) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.listeners = append(st.listeners, f)
}
