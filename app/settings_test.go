package app

import (
	"errors"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"github.com/deskhand/deskhand/models"
	"github.com/deskhand/deskhand/planner"
)

// Settings saved to fyne's Preferences come back the same, every field.
func TestSettingsRoundTrip(t *testing.T) {
	a := newLoopApp(t)
	if got := LoadSettings(a.Preferences()); got != DefaultSettings() {
		t.Errorf("first start: %+v, want the defaults %+v", got, DefaultSettings())
	}
	s := Settings{
		Model: "qwen3-vl:8b-instruct", Adapter: models.Names()[0], Host: "http://10.0.0.5:11434", AllowRemote: true,
		Policy: planner.ConfirmHigh, TaskKey: "ctrl+shift+k", PanicKey: "ctrl+alt+shift+f9",
		KeepScreens: 5, MaxSteps: 80, ImageFormat: "jpeg",
	}
	s.Save(a.Preferences())
	if got := LoadSettings(a.Preferences()); got != s {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, s)
	}
	for _, p := range []planner.Policy{planner.ConfirmAll, planner.ConfirmNone} {
		s.Policy = p
		s.Save(a.Preferences())
		if got := LoadSettings(a.Preferences()).Policy; got != p {
			t.Errorf("policy %q came back as %q", p, got)
		}
	}
}

// Values that no longer make sense fall back to their defaults instead of
// keeping the app from starting.
func TestLoadSettingsRepairs(t *testing.T) {
	a := newLoopApp(t)
	p := a.Preferences()
	p.SetString(prefAdapter, "gpt9")
	p.SetString(prefPolicy, "sometimes")
	p.SetString(prefTaskKey, "q")
	p.SetString(prefPanicKey, "ctrl+alt+f1")
	p.SetInt(prefKeepScreens, 0)
	p.SetInt(prefMaxSteps, 100000)
	p.SetString(prefImageFormat, "gif")
	if got, want := LoadSettings(p), DefaultSettings(); got != want {
		t.Errorf("repaired: %+v, want %+v", got, want)
	}
}

func TestSettingsValidate(t *testing.T) {
	t.Setenv("OLLAMA_HOST", "")
	ok := DefaultSettings()
	for _, tc := range []struct {
		name string
		edit func(*Settings)
		want string // in the error; "" for valid
	}{
		{"defaults", func(*Settings) {}, ""},
		{"remote without opt-in", func(s *Settings) { s.Host = "192.168.1.9" }, "turn on"},
		{"remote with opt-in", func(s *Settings) { s.Host = "192.168.1.9"; s.AllowRemote = true }, ""},
		{"loopback", func(s *Settings) { s.Host = "localhost:11500" }, ""},
		{"unknown adapter", func(s *Settings) { s.Adapter = "gpt9" }, "unknown adapter"},
		{"same keys", func(s *Settings) { s.TaskKey = "ctrl+alt+shift+esc" }, "both"},
		{"bad hotkey", func(s *Settings) { s.TaskKey = "q" }, "task bar's hotkey"},
		{"steps", func(s *Settings) { s.MaxSteps = 0 }, "steps per task"},
		{"screens", func(s *Settings) { s.KeepScreens = 11 }, "screenshots to remember"},
		{"format", func(s *Settings) { s.ImageFormat = "webp" }, "png or jpeg"},
	} {
		s := ok
		tc.edit(&s)
		err := s.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: error %v, want one saying %q", tc.name, err, tc.want)
		}
	}
	s := ok
	s.Host = "example.com"
	_, err := s.OllamaURL()
	if !errors.As(err, new(*planner.RemoteHostError)) {
		t.Errorf("a remote host's error %v does not unwrap to planner.RemoteHostError", err)
	}
	t.Setenv("OLLAMA_HOST", "127.0.0.1:12345")
	if u, err := ok.OllamaURL(); err != nil || u.Host != "127.0.0.1:12345" {
		t.Errorf("OLLAMA_HOST not used: %v %v", u, err)
	}
}

// The settings tab reads and writes the same settings, and refuses to save
// what cannot work.
func TestSettingsView(t *testing.T) {
	a := newLoopApp(t)
	onUI(func() {
		store := newSettingsStore(a.Preferences())
		changed := 0
		store.OnChange(func(old, s Settings) { changed++ })
		v := NewSettingsView(store)
		w := a.NewWindow("settings")
		w.SetContent(v.Content())

		v.Policy.SetSelected(askNone)
		if !v.PolicyWarn.Visible() {
			t.Error("no warning for never asking")
		}
		v.Format.SetSelected("JPEG")
		v.KeepScreens.SetSelected("6")
		v.MaxSteps.SetText("12")
		v.TaskKey.SetText("ctrl+alt+t")
		test.Tap(v.Save)
		got := LoadSettings(a.Preferences())
		if got.Policy != planner.ConfirmNone || got.ImageFormat != "jpeg" || got.KeepScreens != 6 || got.MaxSteps != 12 || got.TaskKey != "ctrl+alt+t" || changed != 1 {
			t.Errorf("saved %+v (%d changes)", got, changed)
		}

		v.Host.SetText("10.1.1.1")
		v.MaxSteps.SetText("many")
		test.Tap(v.Save)
		if !strings.HasPrefix(v.Message.Text, "Not saved") || changed != 1 {
			t.Errorf("bad values: %q, %d changes", v.Message.Text, changed)
		}
		v.MaxSteps.SetText("12")
		test.Tap(v.Save)
		if !strings.Contains(v.Message.Text, "turn on") {
			t.Errorf("a remote host without opt-in: %q", v.Message.Text)
		}
		v.AllowRemote.SetChecked(true)
		test.Tap(v.Save)
		if s := store.Get(); s.Host != "10.1.1.1" || !s.AllowRemote {
			t.Errorf("opt-in not saved: %+v (%q)", s, v.Message.Text)
		}
		v.Policy.SetSelected(askAll)
		if v.PolicyWarn.Visible() {
			t.Error("the warning stays for asking before every action")
		}
	})
}
