package models

import (
	"bytes"
	"errors"
	"image"
	"slices"
	"strings"
	"testing"

	"github.com/deskhand/deskhand/actuation"
	"github.com/deskhand/deskhand/perception"
	"github.com/deskhand/deskhand/planner"
)

func TestNames(t *testing.T) {
	if got, want := Names(), []string{"uitars15", "uitars10", "qwen25vl", "qwen3vl", "json"}; !slices.Equal(got, want) {
		t.Errorf("Names() = %v, want %v", got, want)
	}
}

func TestFor(t *testing.T) {
	for _, n := range Names() {
		a, err := For(n)
		if err != nil || a.Name() != n {
			t.Errorf("For(%q) = %v, %v", n, a, err)
		}
	}
	if a, err := For(" UITARS15 "); err != nil || a.Name() != "uitars15" {
		t.Errorf("For is not lenient about case and space: %v, %v", a, err)
	}
	_, err := For("qwen9")
	if err == nil || !strings.Contains(err.Error(), `unknown adapter "qwen9"`) || !strings.Contains(err.Error(), "uitars15, uitars10") {
		t.Errorf("For(qwen9) error = %v, want one listing the valid names", err)
	}
	// Adapters are values: two calls do not share state.
	a, _ := For("uitars15")
	b, _ := For("uitars15")
	if a == b {
		t.Error("For returned the same adapter twice")
	}
}

// TestParseReply is what `deskhand parse` does: a reply on stdin, a screen size, and
// the default image size for that screen and adapter.
func TestParseReply(t *testing.T) {
	a, _ := For("uitars15")
	acts, thought, err := ParseReply(a, "Thought: Click it.\nAction: click(start_box='(952,532)')", image.Pt(2560, 1440), image.Point{})
	if err != nil {
		t.Fatal(err)
	}
	want := actuation.Action{Type: actuation.Click, X: actuation.Int(1280), Y: actuation.Int(720), Button: "left", Clicks: 1, Thought: "Click it."}
	if thought != "Click it." || len(acts) != 1 || acts[0].String() != want.String() {
		t.Errorf("got %v %q, want %v", acts, thought, want)
	}
	// An explicit image size overrides the default: here the model saw the full screen.
	acts, _, err = ParseReply(a, "Action: click(start_box='(952,532)')", image.Pt(2560, 1440), image.Pt(2560, 1440))
	if err != nil || *acts[0].X != 952 || *acts[0].Y != 532 {
		t.Errorf("got %v, %v", acts, err)
	}
	_, thought, err = ParseReply(a, "Thought: Hmm.\nAction: click(start_box='(5000,1)')", image.Pt(1920, 1080), image.Point{})
	if !errors.Is(err, planner.ErrBadOutput) || thought != "Hmm." {
		t.Errorf("got %q, %v", thought, err)
	}
	if _, _, err := ParseReply(a, "Action: wait()", image.Point{}, image.Point{}); err == nil || errors.Is(err, planner.ErrBadOutput) {
		t.Errorf("zero screen: got %v", err)
	}
	if _, _, err := ParseReply(a, "Action: wait()", image.Pt(10, 10), image.Pt(-1, 5)); err == nil {
		t.Error("negative image size accepted")
	}
}

func TestFrameFor(t *testing.T) {
	f := FrameFor(image.Pt(1920, 1080), image.Pt(1904, 1064))
	if f.Bounds != image.Rect(0, 0, 1920, 1080) || f.Captured != image.Pt(1920, 1080) || f.Scale != 1 || f.Image != image.Pt(1904, 1064) {
		t.Errorf("FrameFor = %+v", f)
	}
}

// Every adapter's step message carries the frame's image exactly as encoded (the
// prompt cache depends on it) and what happened to the last action; the JSON
// family adds its reminder of the format.
func TestObserve(t *testing.T) {
	f := perception.Frame{Data: []byte{0x89, 'P', 'N', 'G'}, MIME: "image/png", Image: image.Pt(1904, 1064)}
	const note = "The click was skipped by the user."
	for _, name := range Names() {
		a, err := For(name)
		if err != nil {
			t.Fatal(err)
		}
		want, wantNoted := "", note
		if name == "json" {
			want, wantNoted = jsonObserveText, note+"\n\n"+jsonObserveText
		}
		for _, tc := range []struct{ note, want string }{{"", want}, {"  ", want}, {note, wantNoted}} {
			m := a.Observe(f, tc.note)
			if m.Role != "user" || m.Content != tc.want || len(m.Images) != 1 || !bytes.Equal(m.Images[0], f.Data) {
				t.Errorf("%s: Observe(note %q) = %+v, want the image and %q", name, tc.note, m, tc.want)
			}
		}
	}
}
