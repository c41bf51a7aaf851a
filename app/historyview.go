package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/deskhand/deskhand/app/history"
	"github.com/deskhand/deskhand/app/overlay"
	"github.com/deskhand/deskhand/planner"
)

// HistoryView is the past runs tab: the recorded runs, newest first, and one
// of them step by step with its screenshots and actions drawn, to export as one
// HTML page. Its fields are touched only on fyne's goroutine.
type HistoryView struct {
	List   *widget.List
	Prev   *widget.Button
	Next   *widget.Button
	Export *widget.Button
	Header *widget.Label
	Where  *widget.Label
	Body   *widget.Label
	Pic    *canvas.Image

	win  fyne.Window
	root string
	runs []*history.Run
	run  *history.Run
	step int // index into run.Steps
}

// NewHistoryView lists the runs under root.
func NewHistoryView(win fyne.Window, root string) *HistoryView {
	v := &HistoryView{win: win, root: root}
	v.List = widget.NewList(
		func() int { return len(v.runs) },
		func() fyne.CanvasObject {
			t := widget.NewLabel("")
			t.Truncation = fyne.TextTruncateEllipsis
			t.TextStyle = fyne.TextStyle{Bold: true}
			d := widget.NewLabel("")
			d.Truncation = fyne.TextTruncateEllipsis
			return container.NewVBox(t, d)
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			r := v.runs[i]
			box := o.(*fyne.Container)
			box.Objects[0].(*widget.Label).SetText(runTitle(r))
			box.Objects[1].(*widget.Label).SetText(runLine(r))
		},
	)
	v.List.OnSelected = func(i widget.ListItemID) { v.open(v.runs[i]) }
	v.Prev = widget.NewButtonWithIcon("", theme.NavigateBackIcon(), func() { v.show(v.step - 1) })
	v.Next = widget.NewButtonWithIcon("", theme.NavigateNextIcon(), func() { v.show(v.step + 1) })
	v.Export = widget.NewButtonWithIcon("Export as HTML…", theme.DocumentSaveIcon(), v.onExport)
	v.Header = widget.NewLabel("Pick a run on the left.")
	v.Header.Wrapping = fyne.TextWrapWord
	v.Where = widget.NewLabel("")
	v.Body = widget.NewLabel("")
	v.Body.Wrapping = fyne.TextWrapWord
	v.Pic = canvas.NewImageFromImage(nil)
	v.Pic.FillMode = canvas.ImageFillContain
	v.Pic.ScaleMode = canvas.ImageScaleSmooth
	v.Pic.SetMinSize(fyne.NewSize(400, 225))
	v.enable()
	return v
}

// Content lays the list beside the run.
func (v *HistoryView) Content() fyne.CanvasObject {
	nav := container.NewHBox(v.Prev, v.Where, v.Next, layout.NewSpacer(), v.Export)
	detail := container.NewBorder(container.NewVBox(v.Header, nav), nil, nil, nil,
		container.NewVSplit(v.Pic, container.NewVScroll(v.Body)))
	refresh := widget.NewButtonWithIcon("Refresh", theme.ViewRefreshIcon(), v.Reload)
	left := container.NewBorder(nil, refresh, nil, nil, v.List)
	split := container.NewHSplit(left, detail)
	split.Offset = 0.3
	return split
}

// Reload reads the runs again.
func (v *HistoryView) Reload() {
	runs, err := history.List(v.root)
	if err != nil {
		v.Header.SetText(err.Error())
	}
	v.runs = runs
	v.List.UnselectAll()
	v.List.Refresh()
	if len(runs) == 0 {
		v.run = nil
		v.Header.SetText(fmt.Sprintf("No runs yet. Each task you start is recorded in %s.", v.root))
		v.Where.SetText("")
		v.Body.SetText("")
		v.Pic.Image = nil
		v.Pic.Refresh()
	}
	v.enable()
}

func (v *HistoryView) open(r *history.Run) {
	v.run = r
	v.Header.SetText(runTitle(r) + "\n" + runLine(r))
	v.show(0)
}

// show shows step i of the open run.
func (v *HistoryView) show(i int) {
	defer v.enable()
	if v.run == nil || len(v.run.Steps) == 0 {
		v.Where.SetText("No steps")
		v.Body.SetText(v.run.Text)
		v.Pic.Image = nil
		v.Pic.Refresh()
		return
	}
	i = max(0, min(i, len(v.run.Steps)-1))
	v.step = i
	s := v.run.Steps[i]
	v.Where.SetText(fmt.Sprintf("Step %d of %d", i+1, len(v.run.Steps)))
	var lines []string
	if s.Thought != "" {
		lines = append(lines, "Thought: "+s.Thought)
	}
	for _, a := range s.Actions {
		l := a.Describe()
		if a.Risk != nil {
			if t := riskText(*a.Risk); t != "" {
				l += " — " + t
			}
		}
		lines = append(lines, l)
	}
	lines = append(lines, s.Notes...)
	if t := history.Timings(s); t != "" {
		lines = append(lines, t)
	}
	if i == len(v.run.Steps)-1 && v.run.Finished {
		lines = append(lines, outcome(resultOf(v.run)))
	}
	v.Body.SetText(strings.Join(lines, "\n"))
	v.Pic.Image = nil
	if f, err := v.run.LoadFrame(s); err == nil {
		act, _ := s.Marked()
		if img, err := overlay.Thumbnail(f, act); err == nil {
			v.Pic.Image = img
		}
	}
	v.Pic.Refresh()
}

func (v *HistoryView) enable() {
	has := v.run != nil && len(v.run.Steps) > 0
	setEnabled(v.Prev, has && v.step > 0)
	setEnabled(v.Next, has && v.step < len(v.run.Steps)-1)
	setEnabled(v.Export, v.run != nil)
}

func (v *HistoryView) onExport() {
	r := v.run
	if r == nil {
		return
	}
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			return
		}
		err = history.ExportHTML(w, r)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			dialog.ShowError(err, v.win)
			return
		}
		dialog.ShowInformation("Exported", "Saved "+w.URI().Name()+": one file with every screenshot, to open in any browser.", v.win)
	}, v.win)
	d.SetFileName("deskhand-" + filepath.Base(r.Dir) + ".html")
	d.SetFilter(storage.NewExtensionFileFilter([]string{".html"}))
	if home, err := os.UserHomeDir(); err == nil {
		if l, err := storage.ListerForURI(storage.NewFileURI(home)); err == nil {
			d.SetLocation(l)
		}
	}
	d.Show()
}

// runTitle is a run's task on one line.
func runTitle(r *history.Run) string {
	t := strings.Join(strings.Fields(r.Task), " ")
	if t == "" {
		return "(no task)"
	}
	return t
}

// runLine says when a run was, with what, and how it ended.
func runLine(r *history.Run) string {
	parts := []string{r.Started.Local().Format("2 Jan 15:04"), fmt.Sprintf("%d steps", len(r.Steps))}
	if r.Model != "" {
		parts = append(parts, r.Model)
	}
	switch {
	case !r.Finished:
		parts = append(parts, "unfinished")
	default:
		parts = append(parts, string(r.Status))
	}
	return strings.Join(parts, " · ")
}

func setEnabled(b *widget.Button, on bool) {
	if on {
		b.Enable()
	} else {
		b.Disable()
	}
}

// resultOf is a recorded run's outcome as the agent returned it.
func resultOf(r *history.Run) (planner.Result, error) {
	var err error
	if r.Error != "" {
		err = errors.New(r.Error)
	}
	return planner.Result{Status: r.Status, Text: r.Text, Steps: len(r.Steps)}, err
}
