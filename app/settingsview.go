package app

import (
	"fmt"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/deskhand/deskhand/actuation"
	"github.com/deskhand/deskhand/models"
	"github.com/deskhand/deskhand/planner"
)

// The confirmation policies as the settings window words them.
const (
	askAll  = "Ask before every action (recommended)"
	askHigh = "Ask only before high-risk actions (sending, deleting, closing, running commands…)"
	askNone = "Never ask: every action runs unasked"
)

const autoAdapter = "Automatic (from the model)"

// SettingsView is the settings tab: a form over a copy of the settings, saved
// to fyne's Preferences with Save once it is valid.
type SettingsView struct {
	Adapter     *widget.Select
	Host        *widget.Entry
	AllowRemote *widget.Check
	Policy      *widget.RadioGroup
	PolicyWarn  *widget.Label
	TaskKey     *widget.Entry
	PanicKey    *widget.Entry
	KeepScreens *widget.Select
	MaxSteps    *widget.Entry
	Format      *widget.RadioGroup
	Save        *widget.Button
	Message     *widget.Label

	store *settingsStore
}

// NewSettingsView builds the form, filled from the settings in use.
func NewSettingsView(store *settingsStore) *SettingsView {
	v := &SettingsView{store: store}
	v.Adapter = widget.NewSelect(append([]string{autoAdapter}, models.Names()...), nil)
	v.Host = widget.NewEntry()
	v.Host.SetPlaceHolder("this machine (OLLAMA_HOST, else 127.0.0.1:11434)")
	v.AllowRemote = widget.NewCheck("Send screenshots to this other machine", nil)
	v.PolicyWarn = widget.NewLabel("Without asking, deskhand clicks, types and presses keys on its own, even where it may send, delete or pay. Stop it with Stop or the stop key.")
	v.PolicyWarn.Wrapping = fyne.TextWrapWord
	v.PolicyWarn.Importance = widget.DangerImportance
	v.Policy = widget.NewRadioGroup([]string{askAll, askHigh, askNone}, func(s string) {
		if s == askNone {
			v.PolicyWarn.Show()
		} else {
			v.PolicyWarn.Hide()
		}
	})
	v.Policy.Required = true
	v.TaskKey = widget.NewEntry()
	v.TaskKey.SetPlaceHolder(DefaultTaskKey)
	v.PanicKey = widget.NewEntry()
	v.PanicKey.SetPlaceHolder(actuation.DefaultPanicKey)
	var counts []string
	for i := 1; i <= maxKeepScreens; i++ {
		counts = append(counts, strconv.Itoa(i))
	}
	v.KeepScreens = widget.NewSelect(counts, nil)
	v.MaxSteps = widget.NewEntry()
	v.Format = widget.NewRadioGroup([]string{"PNG", "JPEG"}, nil)
	v.Format.Horizontal = true
	v.Format.Required = true
	v.Message = widget.NewLabel("")
	v.Message.Wrapping = fyne.TextWrapWord
	v.Save = widget.NewButton("Save", v.onSave)
	v.Save.Importance = widget.HighImportance
	v.Fill(store.Get())
	return v
}

// Content lays out the form.
func (v *SettingsView) Content() fyne.CanvasObject {
	form := widget.NewForm(
		&widget.FormItem{Text: "Ollama address", Widget: v.Host, HintText: "Where the model runs. Another machine sees every screenshot."},
		&widget.FormItem{Text: "", Widget: v.AllowRemote},
		&widget.FormItem{Text: "Adapter", Widget: v.Adapter, HintText: "How deskhand reads the model's replies; pick one only for a model it does not recognise."},
		&widget.FormItem{Text: "Confirmation", Widget: container.NewVBox(v.Policy, v.PolicyWarn)},
		&widget.FormItem{Text: "Task bar hotkey", Widget: v.TaskKey, HintText: "Opens the task bar from any application."},
		&widget.FormItem{Text: "Stop key", Widget: v.PanicKey, HintText: "Stops a run from anywhere; deskhand never presses it."},
		&widget.FormItem{Text: "Screens remembered", Widget: v.KeepScreens, HintText: "Screenshots sent again with each request: more is slower."},
		&widget.FormItem{Text: "Steps per task", Widget: v.MaxSteps, HintText: fmt.Sprintf("At most 1 to %d model replies.", maxMaxSteps)},
		&widget.FormItem{Text: "Screenshot format", Widget: v.Format, HintText: "PNG keeps small text sharp; JPEG is smaller and faster."},
	)
	reset := widget.NewButton("Defaults", func() {
		d := DefaultSettings()
		cur := v.store.Get()
		d.Model = cur.Model // picked on the Task tab
		v.Fill(d)
		v.Message.SetText("Defaults filled in: press Save to keep them.")
	})
	// The buttons stay in view below the form, which scrolls.
	buttons := container.NewVBox(widget.NewSeparator(), container.NewBorder(nil, nil, container.NewHBox(v.Save, reset), nil, v.Message))
	return container.NewBorder(nil, buttons, nil, nil, container.NewVScroll(container.NewPadded(form)))
}

// Fill sets the form from s.
func (v *SettingsView) Fill(s Settings) {
	if s.Adapter == "" {
		v.Adapter.SetSelected(autoAdapter)
	} else {
		v.Adapter.SetSelected(s.Adapter)
	}
	v.Host.SetText(s.Host)
	v.AllowRemote.SetChecked(s.AllowRemote)
	switch s.Policy {
	case planner.ConfirmHigh:
		v.Policy.SetSelected(askHigh)
	case planner.ConfirmNone:
		v.Policy.SetSelected(askNone)
	default:
		v.Policy.SetSelected(askAll)
	}
	v.TaskKey.SetText(s.TaskKey)
	v.PanicKey.SetText(s.PanicKey)
	v.KeepScreens.SetSelected(strconv.Itoa(s.KeepScreens))
	v.MaxSteps.SetText(strconv.Itoa(s.MaxSteps))
	if s.ImageFormat == "jpeg" {
		v.Format.SetSelected("JPEG")
	} else {
		v.Format.SetSelected("PNG")
	}
}

// Read returns the settings the form says, over the ones in use.
func (v *SettingsView) Read() (Settings, error) {
	s := v.store.Get()
	s.Adapter = v.Adapter.Selected
	if s.Adapter == autoAdapter {
		s.Adapter = ""
	}
	s.Host = strings.TrimSpace(v.Host.Text)
	s.AllowRemote = v.AllowRemote.Checked
	switch v.Policy.Selected {
	case askHigh:
		s.Policy = planner.ConfirmHigh
	case askNone:
		s.Policy = planner.ConfirmNone
	default:
		s.Policy = planner.ConfirmAll
	}
	s.TaskKey = strings.TrimSpace(v.TaskKey.Text)
	if s.TaskKey == "" {
		s.TaskKey = DefaultTaskKey
	}
	s.PanicKey = strings.TrimSpace(v.PanicKey.Text)
	s.KeepScreens, _ = strconv.Atoi(v.KeepScreens.Selected)
	n, err := strconv.Atoi(strings.TrimSpace(v.MaxSteps.Text))
	if err != nil {
		return s, fmt.Errorf("steps per task must be a number from 1 to %d", maxMaxSteps)
	}
	s.MaxSteps = n
	s.ImageFormat = strings.ToLower(v.Format.Selected)
	return s, s.Validate()
}

func (v *SettingsView) onSave() {
	s, err := v.Read()
	if err != nil {
		v.Message.Importance = widget.DangerImportance
		v.Message.SetText("Not saved: " + err.Error())
		return
	}
	v.store.Update(func(cur *Settings) { *cur = s })
	v.Message.Importance = widget.SuccessImportance
	v.Message.SetText("Saved. The next task uses these settings.")
}
