package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/ollama/ollama/api"

	"github.com/deskhand/deskhand/models"
	"github.com/deskhand/deskhand/planner"
)

// Model is an installed model deskhand can drive, with the adapter it would
// use and why.
type Model struct {
	Facts  models.ModelFacts
	Choice models.Choice
}

// Models is what Ollama has: the usable vision models best first, and how
// many other models there are.
type Models struct {
	Host   string
	Usable []Model
	Others int // installed models deskhand cannot drive (no vision, no adapter)
}

// Catalog lists the installed models of the Ollama the settings name. Its
// errors are *planner.OllamaDownError when nothing answers there.
type Catalog func(ctx context.Context, s Settings) (Models, error)

// showParallel bounds the /api/show requests in flight, as `deskhand models`.
const showParallel = 4

// OllamaCatalog asks Ollama over HTTP.
func OllamaCatalog(ctx context.Context, s Settings) (Models, error) {
	u, err := s.OllamaURL()
	if err != nil {
		return Models{}, err
	}
	return listModels(ctx, api.NewClient(u, http.DefaultClient), u.String())
}

// listModels asks c for its models and the facts of each.
func listModels(ctx context.Context, c planner.ModelClient, host string) (Models, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	out := Models{Host: host}
	if err := c.Heartbeat(ctx); err != nil {
		return out, &planner.OllamaDownError{Host: host, Err: err}
	}
	list, err := c.List(ctx)
	if err != nil {
		return out, fmt.Errorf("list the models of Ollama at %s: %w", host, err)
	}
	facts := make([]models.ModelFacts, len(list.Models))
	sem := make(chan struct{}, showParallel)
	var wg sync.WaitGroup
	for i, m := range list.Models {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			show, err := c.Show(ctx, &api.ShowRequest{Model: m.Name})
			if err != nil {
				show = nil // capabilities unknown: Choose takes the model to see
			}
			facts[i] = models.FactsFrom(m, show)
		})
	}
	wg.Wait()
	for _, f := range models.Rank(facts) {
		c, err := models.Choose(f)
		if err != nil || c.Adapter == "" {
			out.Others++
			continue
		}
		out.Usable = append(out.Usable, Model{Facts: f, Choice: c})
	}
	return out, nil
}

// ModelPicker picks the model of the next runs among the installed vision
// models, best first, and says which adapter deskhand would use with it. Its
// fields are touched only on fyne's goroutine.
type ModelPicker struct {
	Select  *widget.Select
	Refresh *widget.Button
	Info    *widget.Label

	settings *settingsStore
	catalog  Catalog
	last     Models
	lastErr  error
	loaded   bool
	busy     bool
	listened []func(Models, error)
}

// autoOption is the picker's first entry: no model named, the best one is used.
const autoOption = "Automatic: the best installed"

// NewModelPicker builds the picker; call Load to fill it.
func NewModelPicker(settings *settingsStore, catalog Catalog) *ModelPicker {
	p := &ModelPicker{settings: settings, catalog: catalog}
	p.Select = widget.NewSelect(nil, p.onPick)
	p.Select.PlaceHolder = "Looking for models…"
	p.Refresh = widget.NewButtonWithIcon("", theme.ViewRefreshIcon(), p.Load)
	p.Info = widget.NewLabel("")
	p.Info.Wrapping = fyne.TextWrapWord
	return p
}

// Content lays the picker out on one line, with its explanation below.
func (p *ModelPicker) Content() fyne.CanvasObject {
	return container.NewVBox(
		container.NewBorder(nil, nil, widget.NewLabel("Model"), p.Refresh, p.Select),
		p.Info)
}

// OnList calls f on fyne's goroutine with every new listing (the checks).
func (p *ModelPicker) OnList(f func(Models, error)) { p.listened = append(p.listened, f) }

// Load asks Ollama again, on a goroutine of its own that ends within the
// catalog's timeout; the picker updates when it answers.
func (p *ModelPicker) Load() {
	if p.busy {
		return
	}
	p.busy = true
	p.Refresh.Disable()
	s := p.settings.Get()
	go func() {
		ms, err := p.catalog(context.Background(), s)
		fyne.Do(func() {
			p.busy = false
			p.Refresh.Enable()
			p.show(ms, err)
		})
	}()
}

// show fills the picker from a listing.
func (p *ModelPicker) show(ms Models, err error) {
	p.last, p.lastErr, p.loaded = ms, err, true
	want := p.settings.Get().Model
	opts := []string{autoOption}
	for _, m := range ms.Usable {
		opts = append(opts, m.Facts.Name)
	}
	if want != "" && !p.has(want) {
		opts = append(opts, want) // kept, and said to be missing below
	}
	p.Select.SetOptions(opts)
	p.Select.PlaceHolder = "No vision model"
	// Set the selection without saving it back: this is not the user's pick.
	p.Select.OnChanged = nil
	if want == "" {
		p.Select.SetSelected(autoOption)
	} else {
		p.Select.SetSelected(want)
	}
	p.Select.OnChanged = p.onPick
	p.Info.SetText(p.describe())
	for _, f := range p.listened {
		f(ms, err)
	}
}

func (p *ModelPicker) has(name string) bool {
	for _, m := range p.last.Usable {
		if m.Facts.Name == name {
			return true
		}
	}
	return false
}

func (p *ModelPicker) onPick(opt string) {
	if opt == autoOption {
		opt = ""
	}
	p.settings.Update(func(s *Settings) { s.Model = opt })
	p.Info.SetText(p.describe())
}

// describe is the line under the picker: the adapter and why, or what is
// wrong and what to do.
func (p *ModelPicker) describe() string {
	if p.lastErr != nil {
		var down *planner.OllamaDownError
		if errors.As(p.lastErr, &down) {
			return fmt.Sprintf("Ollama is not running at %s — start it (see above), then press ⟳.", down.Host)
		}
		return p.lastErr.Error()
	}
	s := p.settings.Get()
	name := s.Model
	if name == "" {
		if len(p.last.Usable) == 0 {
			return "No installed model can see the screen: download one (see above)."
		}
		name = p.last.Usable[0].Facts.Name
	}
	for _, m := range p.last.Usable {
		if m.Facts.Name != name {
			continue
		}
		adapter := m.Choice.Adapter
		if s.Adapter != "" {
			adapter = s.Adapter + " (set in Settings)"
		}
		line := fmt.Sprintf("%s · adapter %s · %s", name, adapter, m.Choice.Reason)
		if !m.Choice.GUI {
			line += " — not trained on GUIs: expect misses; " + models.Recommended + " is"
		}
		return line
	}
	return fmt.Sprintf("%s is not installed in Ollama at %s: pick another model, or run `ollama pull %s`.", name, p.last.Host, name)
}
