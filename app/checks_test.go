package app

import (
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/deskhand/deskhand/models"
	"github.com/deskhand/deskhand/planner"
	"github.com/deskhand/deskhand/planner/ollamatest"
)

var (
	qwen3vl = ollamatest.Model{Name: "qwen3-vl:8b-instruct", Capabilities: []string{"completion", "vision", "tools"},
		Architecture: "qwen3vl", ParameterSize: "8.8B", QuantizationLevel: "Q4_K_M", Size: 6e9}
	llama = ollamatest.Model{Name: "llama3.2:3b", Capabilities: []string{"completion", "tools"},
		Architecture: "llama", ParameterSize: "3.2B", QuantizationLevel: "Q4_K_M", Size: 2e9}
)

func TestProblemsOf(t *testing.T) {
	usable := Models{Usable: []Model{{}}}
	for _, tc := range []struct {
		name string
		ms   Models
		err  error
		env  environment
		want []string
	}{
		{"all well", usable, nil, environment{GOOS: "linux"}, nil},
		{"ollama down", Models{}, &planner.OllamaDownError{Host: "http://127.0.0.1:11434"}, environment{GOOS: "linux"}, []string{"Ollama is not running"}},
		{"no vision model", Models{Others: 2}, nil, environment{GOOS: "linux"}, []string{"No vision model is installed"}},
		{"remote refused", Models{}, &RemoteNotAllowedError{Host: "http://10.0.0.1:11434"}, environment{}, []string{"Ollama is on another machine"}},
		{"other error", Models{}, errors.New("HTTP 500"), environment{}, []string{"Ollama did not answer as expected"}},
		{"wayland first", Models{}, nil, environment{Wayland: true, Permissions: []problem{{Kind: problemPermission, Title: "Screen Recording"}}},
			[]string{"This is a Wayland session", "Screen Recording", "No vision model is installed"}},
	} {
		var got []string
		for _, p := range problemsOf(tc.ms, tc.err, tc.env) {
			got = append(got, p.Title)
			if p.Body == "" && p.Kind != problemPermission {
				t.Errorf("%s: %q says nothing to do", tc.name, p.Title)
			}
		}
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%s: problems %q, want %q", tc.name, got, tc.want)
		}
	}
	for _, goos := range []string{"linux", "darwin", "windows"} {
		if !strings.Contains(installOllama(goos), "ollama.com/download") {
			t.Errorf("%s: no download link", goos)
		}
	}
}

// The picker lists the usable vision models best first, with the adapter;
// text-only models are left out.
func TestModelPicker(t *testing.T) {
	srv := ollamatest.NewServer(llama, uitarsModel, qwen3vl)
	defer srv.Close()
	a := newLoopApp(t)
	store := newSettingsStore(a.Preferences())
	store.Update(func(s *Settings) { s.Host = srv.URL })
	var p *ModelPicker
	onUI(func() {
		p = NewModelPicker(store, OllamaCatalog)
		a.NewWindow("t").SetContent(p.Content())
	})
	onUI(p.Load)
	waitFor(t, func() bool { return len(p.Select.Options) > 0 })
	onUI(func() {
		opts := p.Select.Options
		if len(opts) != 3 || opts[0] != autoOption || opts[1] != qwen3vl.Name || opts[2] != uitarsModel.Name {
			t.Errorf("options %q, want auto, %s, %s", opts, qwen3vl.Name, uitarsModel.Name)
		}
		if p.Select.Selected != autoOption || !strings.Contains(p.Info.Text, "qwen3-vl:8b-instruct · adapter") {
			t.Errorf("auto: selected %q, info %q", p.Select.Selected, p.Info.Text)
		}
		p.Select.SetSelected(uitarsModel.Name)
		if store.Get().Model != uitarsModel.Name || !strings.Contains(p.Info.Text, "adapter uitars15") {
			t.Errorf("picked: setting %q, info %q", store.Get().Model, p.Info.Text)
		}
	})
	srv.Remove(uitarsModel.Name)
	onUI(p.Load)
	waitFor(t, func() bool { return strings.Contains(p.Info.Text, "is not installed") })
	onUI(func() {
		if p.Select.Selected != uitarsModel.Name {
			t.Errorf("the missing model's pick was dropped: %q", p.Select.Selected)
		}
	})
}

// With Ollama down the checks say how to start it and check again by
// themselves; once it answers with no vision model they offer the download,
// whose progress shows; then the box goes away.
func TestChecksLive(t *testing.T) {
	// A port with nothing behind it: Ollama is down.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	downURL := "http://" + ln.Addr().String()
	ln.Close()

	a := newLoopApp(t)
	store := newSettingsStore(a.Preferences())
	store.Update(func(s *Settings) { s.Host = downURL })
	var p *ModelPicker
	var c *Checks
	onUI(func() {
		p = NewModelPicker(store, OllamaCatalog)
		c = NewChecks(store, p)
		c.env = func() environment { return environment{GOOS: "linux"} }
		c.Every = 50 * time.Millisecond
		a.NewWindow("t").SetContent(fyne.NewContainerWithoutLayout(c.Content(), p.Content()))
	})
	onUI(p.Load)
	waitFor(t, func() bool { return strings.Join(c.Problems(), "|") == "Ollama is not running" })
	onUI(func() {
		if !c.box.Visible() || !strings.Contains(p.Info.Text, "Ollama is not running at "+downURL) {
			t.Errorf("box shown %v, picker says %q", c.box.Visible(), p.Info.Text)
		}
	})

	srv := ollamatest.NewServer(llama)
	defer srv.Close()
	srv.SetRemote(&ollamatest.Remote{Models: []ollamatest.Model{qwen3vl}, Steps: 6, StepDelay: 30 * time.Millisecond})
	onUI(func() { store.Update(func(s *Settings) { s.Host = srv.URL }) })
	waitFor(t, func() bool { return strings.Join(c.Problems(), "|") == "No vision model is installed" })

	var b *widget.Button
	onUI(func() { b = findButton(c.box, "Download "+models.Recommended) })
	if b == nil {
		t.Fatal("no download button")
	}
	tap(t, b)
	var lines []string
	waitFor(t, func() bool {
		lines = append(lines, c.pull.line.Text)
		return !c.pull.running() && len(c.Problems()) == 0
	})
	all := strings.Join(lines, "\n")
	if !strings.Contains(all, "Downloading "+models.Recommended+": ") {
		t.Errorf("no progress line was shown:\n%s", all)
	}
	onUI(func() {
		if c.box.Visible() {
			t.Error("the box stays with nothing wrong")
		}
		if p.Select.Selected != autoOption || len(p.Select.Options) != 2 {
			t.Errorf("after the download: %q", p.Select.Options)
		}
	})
}

func TestPullMeter(t *testing.T) {
	t0 := time.Unix(0, 0)
	m := newPullMeter("m:1b", t0)
	if f, line := m.report(); f != -1 || !strings.HasPrefix(line, "Asking") {
		t.Errorf("at the start: %v %q", f, line)
	}
	const total = 6e9
	// 60 MB/s for 10 s on the big layer, with a small layer done at once.
	m.observe(planner.PullProgress{Status: "pulling manifest"}, t0)
	m.observe(planner.PullProgress{Status: "pulling a", Digest: "sha256:a", Total: 1e6, Completed: 1e6}, t0)
	for i := 0; i <= 10; i++ {
		m.observe(planner.PullProgress{Status: "pulling b", Digest: "sha256:b", Total: total, Completed: int64(i) * 60e6}, t0.Add(time.Duration(i)*time.Second))
	}
	f, line := m.report()
	if f < 0.09 || f > 0.11 {
		t.Errorf("fraction %v, want about 0.1", f)
	}
	// 5.4 GB left at 60 MB/s: 90 s, said as one or two minutes.
	if !strings.HasPrefix(line, "Downloading m:1b: 601 MB of 6.0 GB · 60 MB/s · about ") || !strings.HasSuffix(line, " min left") {
		t.Errorf("line %q", line)
	}
	m.observe(planner.PullProgress{Status: "verifying sha256 digest"}, t0.Add(20*time.Second))
	if _, line := m.report(); !strings.HasPrefix(line, "Checking") {
		t.Errorf("verifying: %q", line)
	}
	for d, want := range map[time.Duration]string{
		3 * time.Second: "a few seconds", 42 * time.Second: "about 40 s", 90 * time.Second: "about 2 min", 125 * time.Minute: "about 2 h 5 min",
	} {
		if got := roughly(d); got != want {
			t.Errorf("roughly(%v) = %q, want %q", d, got, want)
		}
	}
}
