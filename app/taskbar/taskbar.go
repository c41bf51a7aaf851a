// Package taskbar owns the small always-on-top bar that deskhand's global
// hotkey opens over whatever application has focus: one line to type a task
// in, prefilled with the title of the window the user was in, Enter to start
// it, Esc to close.
//
// The bar is a fyne window with no decorations (a splash window). Reading the
// active window's title, and putting the bar at the top centre of the monitor
// under the pointer (Place), above other windows and with the focus, is
// platform code on the bar's native window: on X11 (x11.go) EWMH
// _NET_WM_STATE_ABOVE and _NET_ACTIVE_WINDOW; on Windows (internal/win)
// SetWindowPos HWND_TOPMOST and SetForegroundWindow; on macOS (internal/mac,
// through purego) the floating window level and activating deskhand. The rest
// is plain fyne and tested with its test driver.
package taskbar

import (
	"image"
	"strings"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Title is the bar's window title, for people and window managers (and
// xdotool in tests).
const Title = "deskhand task"

// Width is the bar's width on the screen, in fyne units.
const Width = 640

// Bar is the task bar. Its methods are called on fyne's goroutine.
type Bar struct {
	Entry *Entry
	Hint  *widget.Label

	win    fyne.Window
	submit func(task string) error
	shown  bool
	// Raise places and raises the window after it is shown; platform code by
	// default, replaced in tests.
	Raise func(fyne.Window)
}

// New makes the bar (hidden) in app a. submit starts a task; an error, such as
// "a task is running", is shown in the bar, which stays open.
func New(a fyne.App, submit func(task string) error) *Bar {
	var w fyne.Window
	if d, ok := a.Driver().(desktop.Driver); ok {
		w = d.CreateSplashWindow()
	} else {
		w = a.NewWindow(Title)
	}
	w.SetTitle(Title)
	b := &Bar{win: w, submit: submit, Raise: raise}
	b.Entry = newEntry(b.Close)
	b.Entry.SetPlaceHolder("What should deskhand do?")
	b.Entry.OnSubmitted = func(string) { b.onSubmit() }
	b.Hint = widget.NewLabel("Enter starts · Esc closes · deskhand asks before every action")
	b.Hint.Truncation = fyne.TextTruncateEllipsis
	w.SetContent(b.Content())
	w.Resize(fyne.NewSize(Width, b.Content().MinSize().Height))
	w.Canvas().SetOnTypedKey(func(k *fyne.KeyEvent) {
		if k.Name == fyne.KeyEscape {
			b.Close()
		}
	})
	return b
}

// Content is the bar's layout: the deskhand icon, the task line, the hint.
func (b *Bar) Content() fyne.CanvasObject {
	icon := widget.NewIcon(fyne.CurrentApp().Icon())
	if fyne.CurrentApp().Icon() == nil {
		icon = widget.NewIcon(theme.ComputerIcon())
	}
	// A border in the theme's primary colour: the bar has no frame of its own
	// and floats over any application.
	edge := canvas.NewRectangle(theme.Color(theme.ColorNameBackground))
	edge.StrokeColor = theme.Color(theme.ColorNamePrimary)
	edge.StrokeWidth = 2
	edge.CornerRadius = theme.InputRadiusSize()
	return container.NewStack(edge, container.NewPadded(container.NewBorder(nil, b.Hint, icon, nil, b.Entry)))
}

// Window is the bar's window.
func (b *Bar) Window() fyne.Window { return b.win }

// Shown reports whether the bar is open.
func (b *Bar) Shown() bool { return b.shown }

// Open shows the bar with the title of the window the user was in as context
// ("" for none), the cursor after it so that the task follows it.
func (b *Bar) Open(activeTitle string) {
	b.Entry.SetText(Prefill(activeTitle))
	b.Entry.CursorColumn = len([]rune(b.Entry.Text))
	b.Entry.Refresh()
	b.setHint("")
	b.win.Show()
	b.shown = true
	if b.Raise != nil {
		b.Raise(b.win)
	}
	b.win.RequestFocus()
	b.win.Canvas().Focus(b.Entry)
}

// Close hides the bar.
func (b *Bar) Close() {
	b.win.Hide()
	b.shown = false
}

func (b *Bar) onSubmit() {
	task := strings.TrimSpace(b.Entry.Text)
	if task == strings.TrimSpace(Prefill(contextOf(task))) { // empty, or the context alone
		b.setHint("Type what deskhand should do, then press Enter.")
		return
	}
	if err := b.submit(task); err != nil {
		b.setHint(err.Error())
		return
	}
	b.Close()
}

func (b *Bar) setHint(msg string) {
	if msg == "" {
		b.Hint.SetText("Enter starts · Esc closes · deskhand asks before every action")
		b.Hint.Importance = widget.MediumImportance
	} else {
		b.Hint.SetText(msg)
		b.Hint.Importance = widget.WarningImportance
	}
	b.Hint.Refresh()
}

// maxContext is the longest window title the prefill keeps, in runes.
const maxContext = 80

// Prefill is the task line's text for the window the user was in: `In
// "Untitled - Mousepad": `, or "" for no title. The title is put on one line,
// stripped of control characters and cut to maxContext runes.
func Prefill(title string) string {
	title = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, title)
	title = strings.Join(strings.Fields(title), " ")
	if title == "" {
		return ""
	}
	if r := []rune(title); len(r) > maxContext {
		title = string(r[:maxContext-1]) + "…"
	}
	return "In “" + title + "”: "
}

// contextOf returns the title in a task line that starts with a prefill.
func contextOf(line string) string {
	rest, ok := strings.CutPrefix(line, "In “")
	if !ok {
		return ""
	}
	title, _, ok := strings.Cut(rest, "”: ")
	if !ok {
		title, _, ok = strings.Cut(rest, "”:")
	}
	if !ok {
		return ""
	}
	return title
}

// Place returns where a bar of size goes on monitor mon: centred, near the
// top, as launchers sit.
func Place(mon image.Rectangle, size image.Point) image.Point {
	x := mon.Min.X + (mon.Dx()-size.X)/2
	y := mon.Min.Y + mon.Dy()/8
	return image.Pt(max(x, mon.Min.X), max(y, mon.Min.Y))
}

// Entry is the bar's task line: a one-line entry that closes the bar on Esc,
// which a plain entry keeps to itself.
type Entry struct {
	widget.Entry
	onEscape func()
}

func newEntry(onEscape func()) *Entry {
	e := &Entry{onEscape: onEscape}
	e.ExtendBaseWidget(e)
	return e
}

// TypedKey closes the bar on Esc and hands every other key to the entry.
func (e *Entry) TypedKey(k *fyne.KeyEvent) {
	if k.Name == fyne.KeyEscape {
		e.onEscape()
		return
	}
	e.Entry.TypedKey(k)
}
