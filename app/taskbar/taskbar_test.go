package taskbar

import (
	"errors"
	"image"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

func TestPrefill(t *testing.T) {
	for _, tc := range []struct{ title, want string }{
		{"", ""},
		{"   ", ""},
		{"Untitled - Mousepad", "In “Untitled - Mousepad”: "},
		{"a\nb\tc\x00d", "In “a b c d”: "},
		{strings.Repeat("é", 100), "In “" + strings.Repeat("é", 79) + "…”: "},
	} {
		if got := Prefill(tc.title); got != tc.want {
			t.Errorf("Prefill(%q) = %q, want %q", tc.title, got, tc.want)
		}
		if tc.want != "" && contextOf(tc.want+"save it") != strings.TrimSuffix(strings.TrimPrefix(tc.want, "In “"), "”: ") {
			t.Errorf("contextOf(%q) = %q", tc.want, contextOf(tc.want))
		}
	}
}

func TestPlace(t *testing.T) {
	// The second of two monitors, at a non-zero origin.
	got := Place(image.Rect(1280, 0, 3200, 1080), image.Pt(640, 80))
	if want := image.Pt(1280+640, 135); got != want {
		t.Errorf("Place = %v, want %v", got, want)
	}
	// A bar wider than the monitor starts at its left edge.
	if got := Place(image.Rect(0, 0, 500, 400), image.Pt(640, 80)); got.X != 0 {
		t.Errorf("too wide: %v", got)
	}
}

func newBar(t *testing.T, submit func(string) error) *Bar {
	a := test.NewTempApp(t)
	b := New(a, submit)
	b.Raise = nil
	return b
}

// The bar opens with the context, Enter submits the whole line, Esc closes.
func TestBarEnterAndEsc(t *testing.T) {
	var got []string
	b := newBar(t, func(task string) error { got = append(got, task); return nil })
	b.Open("Inbox - Thunderbird")
	if !b.Shown() || b.Entry.Text != "In “Inbox - Thunderbird”: " {
		t.Fatalf("opened: shown=%v text=%q", b.Shown(), b.Entry.Text)
	}
	if b.Window().Canvas().Focused() != b.Entry {
		t.Error("the task line does not have the focus")
	}
	test.Type(b.Entry, "reply to Anna")
	b.Entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if len(got) != 1 || got[0] != "In “Inbox - Thunderbird”: reply to Anna" || b.Shown() {
		t.Errorf("Enter: submitted %q, shown=%v", got, b.Shown())
	}

	b.Open("")
	b.Entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if b.Shown() || len(got) != 1 {
		t.Errorf("Esc: shown=%v, submitted %q", b.Shown(), got)
	}
}

// An empty task, or the context alone, is not submitted; a refusal stays in
// the bar with its reason.
func TestBarRefuses(t *testing.T) {
	calls := 0
	b := newBar(t, func(string) error { calls++; return errors.New("deskhand is busy with a task") })
	b.Open("Files")
	b.Entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if calls != 0 || !b.Shown() || !strings.HasPrefix(b.Hint.Text, "Type what") {
		t.Errorf("context alone: %d calls, shown=%v, hint %q", calls, b.Shown(), b.Hint.Text)
	}
	test.Type(b.Entry, "open Downloads")
	b.Entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if calls != 1 || !b.Shown() || b.Hint.Text != "deskhand is busy with a task" {
		t.Errorf("refused: %d calls, shown=%v, hint %q", calls, b.Shown(), b.Hint.Text)
	}
	b.Open("")
	if !strings.HasPrefix(b.Hint.Text, "Enter starts") {
		t.Errorf("the old message stays: %q", b.Hint.Text)
	}
}
