package actuation

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// fakeClip is a clipboard that logs to a fake backend, so that pastes, keys and
// typing appear in one sequence.
type fakeClip struct {
	f        *fake
	holdErr  error
	refuse   int           // the paste (1-based) that the application does not fetch, and all after it; 0: none
	fetchLag time.Duration // how long the application takes to fetch
	pastes   int
}

func (c *fakeClip) hold(ctx context.Context) (pasteSession, error) {
	if c.holdErr != nil {
		c.f.record("hold failed")
		return nil, c.holdErr
	}
	c.f.record("hold")
	return c, nil
}

func (c *fakeClip) paste(ctx context.Context, text string, press func([]string) error) error {
	c.pastes++
	c.f.record("paste %s", text)
	if err := press(pasteKeys(false)); err != nil {
		return err
	}
	if c.refuse > 0 && c.pastes >= c.refuse {
		return errNotFetched
	}
	return sleep(ctx, c.fetchLag)
}

func (c *fakeClip) restore() error { return c.f.record("restore") }
func (c *fakeClip) close() error   { return nil }

func TestPasteCalls(t *testing.T) {
	long := strings.Repeat("日本語", 10) // 30 characters, at the threshold of 30
	tests := []struct {
		name string
		text string
		clip fakeClip
		want []string
	}{
		{"short text is typed", "héllo 你好\n", fakeClip{},
			[]string{"type héll", "type o 你好", "key enter"}},
		{"long text is pasted, newline pressed", long + "\n", fakeClip{},
			[]string{"hold", "paste " + long, "key ctrl+v", "key enter", "restore"}},
		{"runs between newlines and tabs", "first line, long enough\r\nsecond\tthird\n\n", fakeClip{},
			[]string{"hold", "paste first line, long enough", "key ctrl+v", "key enter", "paste second", "key ctrl+v",
				"key tab", "paste third", "key ctrl+v", "key enter", "key enter", "restore"}},
		{"only newlines are typed", strings.Repeat("\n", 40), fakeClip{}, slices.Repeat([]string{"key enter"}, 40)},
		{"clipboard not saved: typed", long, fakeClip{holdErr: errors.New("too big")},
			append([]string{"hold failed"}, typeCalls(long)...)},
		{"not fetched: restored, the rest typed", "0123456789012345678901234567890\nabcdefgh", fakeClip{refuse: 2},
			[]string{"hold", "paste 0123456789012345678901234567890", "key ctrl+v", "key enter",
				"paste abcdefgh", "key ctrl+v", "restore", "type abcd", "type efgh"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			d := fakeDesktop(f)
			d.PasteThreshold = 30
			tt.clip.f = f
			d.clip = &tt.clip
			err := d.Do(t.Context(), Action{Type: TypeText, Text: tt.text})
			if err != nil {
				t.Fatalf("Do = %v", err)
			}
			if got := f.Calls(); !slices.Equal(got, tt.want) {
				t.Errorf("calls\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func typeCalls(s string) []string {
	steps, _ := typeSteps(s, 4)
	var calls []string
	for _, st := range steps {
		calls = append(calls, "type "+st.text)
	}
	return calls
}

// A cancel while the application fetches stops the paste, restores the clipboard
// and types nothing more.
func TestPasteCancel(t *testing.T) {
	f := newFake()
	d := fakeDesktop(f)
	d.PasteThreshold = 10
	d.clip = &fakeClip{f: f, fetchLag: time.Second}
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(30*time.Millisecond, cancel)
	start := time.Now()
	err := d.Do(ctx, Action{Type: TypeText, Text: "a long line of text\nand another one"})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "pasting stopped after 0 of") {
		t.Fatalf("Do = %v, want a cancel that says how far pasting got", err)
	}
	if took := time.Since(start); took > 100*time.Millisecond {
		t.Errorf("Do returned %v after start, want about 30 ms", took)
	}
	want := []string{"hold", "paste a long line of text", "key ctrl+v", "restore"}
	if got := f.Calls(); !slices.Equal(got, want) {
		t.Errorf("calls\n got %q\nwant %q", got, want)
	}
}

func TestIsTerminal(t *testing.T) {
	for _, tt := range []struct {
		classes []string
		want    bool
	}{
		{[]string{"xterm", "XTerm"}, true},
		{[]string{"gnome-terminal-server", "Gnome-terminal"}, true},
		{[]string{"konsole", "konsole"}, true},
		{[]string{"kitty", "kitty"}, true},
		{[]string{"Alacritty", "Alacritty"}, true},
		{[]string{"urxvt", "URxvt"}, true},
		{[]string{"xfce4-terminal", "Xfce4-terminal"}, true},
		{[]string{"org.wezfurlong.wezterm"}, true},
		{[]string{"mousepad", "Mousepad"}, false},
		{[]string{"Navigator", "firefox"}, false},
		{[]string{"code", "Code"}, false},
		{nil, false},
	} {
		if got := isTerminal(tt.classes...); got != tt.want {
			t.Errorf("isTerminal(%q) = %v, want %v", tt.classes, got, tt.want)
		}
	}
}
