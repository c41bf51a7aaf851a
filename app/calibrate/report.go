package calibrate

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteText writes the report for a person: the setup, one line per target, the
// summary, the fit, and the diagnosis with its fix.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	conv := ""
	if r.Convention != "" {
		conv = " (reads " + describe(r.Convention, r.Image) + ")"
	}
	fmt.Fprintf(&b, "Calibration of %s with adapter %s%s\n", r.Model, r.Adapter, conv)
	where := "the board was shown on the screen and captured"
	if r.Mode == "synthetic" {
		where = "the board was sent as a synthetic screenshot"
	}
	fmt.Fprintf(&b, "Monitor %d: %dx%d at (%d, %d), sent as a %dx%d image; %s\n",
		r.Monitor, r.Bounds.Dx(), r.Bounds.Dy(), r.Bounds.Min.X, r.Bounds.Min.Y, r.Image.X, r.Image.Y, where)
	if c := r.Check; c != nil {
		if c.OK {
			fmt.Fprintf(&b, "Capture check: %d of %d targets appear where they were drawn (within %s)\n", c.Found, c.Targets, px(c.MaxDeviation))
		} else {
			fmt.Fprintf(&b, "Capture check FAILED: %d of %d targets found, up to %s from where they were drawn\n", c.Found, c.Targets, px(c.MaxDeviation))
		}
	}
	if len(r.Targets) > 0 {
		b.WriteString("\n")
		tw := tabwriter.NewWriter(&b, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  label\texpected\tclick\terror\tresult")
		for _, t := range r.Targets {
			got, e, verdict := "-", "-", "miss"
			if t.Got != nil {
				got = fmt.Sprintf("(%d, %d)", t.Got.X, t.Got.Y)
			}
			if t.ErrorPx != nil {
				e = px(*t.ErrorPx)
			}
			if t.Hit {
				verdict = "hit"
			}
			if t.Problem != "" {
				verdict += " — " + oneLine(t.Problem, 100)
			}
			fmt.Fprintf(tw, "  %d\t(%d, %d)\t%s\t%s\t%s\n", t.Label, t.Expected.X, t.Expected.Y, got, e, verdict)
		}
		tw.Flush()
		b.WriteString("\n")
		if r.MedianError != nil {
			fmt.Fprintf(&b, "Median error %s, largest %s; %d of %d clicks within %d px of the centre", px(*r.MedianError), px(*r.MaxError), r.Hits, len(r.Targets), r.Radius)
			if r.Answered < len(r.Targets) {
				fmt.Fprintf(&b, "; %d replies without a usable click", len(r.Targets)-r.Answered)
			}
			b.WriteString(".\n")
		} else {
			fmt.Fprintf(&b, "None of the %d replies had a usable click.\n", len(r.Targets))
		}
		if f := r.Fit; f != nil {
			fmt.Fprintf(&b, "Fit (relative to the monitor): x' = %.3f·x %+.1f, y' = %.3f·y %+.1f (median residual %s)\n", f.AX, f.BX, f.AY, f.BY, px(f.Residual))
		}
	}
	b.WriteString("\n")
	d := r.Diagnosis
	if d.Kind == KindUnreadable {
		// The replies themselves say best what the model does instead.
		for i, t := range r.Targets {
			if t.Got == nil && i < 3 {
				fmt.Fprintf(&b, "Reply about target %d: %q\n", t.Label, oneLine(t.Reply, 200))
			}
		}
	}
	if d.Kind == KindOK {
		fmt.Fprintf(&b, "Diagnosis: OK: %s. %s clicks accurately on this machine.\n", d.Summary, r.Model)
	} else {
		fmt.Fprintf(&b, "Diagnosis: %s.\n", capitalise(d.Summary))
	}
	if d.Fix != "" {
		fmt.Fprintf(&b, "Fix: %s.\n", capitalise(strings.TrimSuffix(d.Fix, ".")))
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "Note: %s.\n", capitalise(strings.TrimSuffix(n, ".")))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// ProgressLine is one line about a target just measured, for the terminal.
func ProgressLine(r Result, done, total int) string {
	switch {
	case r.Got == nil:
		return fmt.Sprintf("target %d/%d (label %d): no click — %s (%.1f s)", done, total, r.Label, oneLine(r.Problem, 100), r.Millis/1000)
	default:
		verdict := "miss"
		if r.Hit {
			verdict = "hit"
		}
		return fmt.Sprintf("target %d/%d (label %d): clicked (%d, %d), %s off, %s (%.1f s)", done, total, r.Label, r.Got.X, r.Got.Y, px(*r.ErrorPx), verdict, r.Millis/1000)
	}
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		s = string(r[:n-1]) + "…"
	}
	return s
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
