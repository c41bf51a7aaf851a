//go:build cgo && linux

package actuation

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Focused names the window a click just focused, by class and UTF-8 title, as
// the risk policy reads it before typing.
func TestX11Focused(t *testing.T) {
	d, desk := x11Desktop(t)
	title := "[sudo] password for ana — 終端"
	_, gx, gy, gw, gh := terminal(t, d, title, 60, 400, t.TempDir())
	do(t, desk, Action{Type: Click, X: Int(gx + gw/2), Y: Int(gy + gh/2), Button: "left", Clicks: 1})
	var w Window
	var err error
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if w, err = desk.Focused(context.Background()); err == nil && strings.HasPrefix(w.Title, "[sudo]") {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	// xterm writes a non-Latin-1 title as COMPOUND_TEXT: the Latin and UTF-8
	// parts come through, the Kanji (in JIS) do not.
	if want := "[sudo] password for ana — "; w.Title != want || !slices.Contains(w.Class, "xterm") {
		t.Errorf("Focused = %+v (%s), want class xterm and title %q", w, strconv.Quote(w.Title), want)
	}
}

func TestCompoundText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain title", "plain title"},
		{"caf\xe9", "café"},
		{"[sudo] password \x1b%G\xe2\x80\x94\x1b%@ \x1b$(B=*C<\x1b(B end", "[sudo] password —  end"},
		{"cut \x1b", "cut "},
	} {
		if got := compoundText([]byte(tc.in)); got != tc.want {
			t.Errorf("compoundText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
