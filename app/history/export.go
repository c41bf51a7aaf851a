package history

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"
	"image"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/deskhand/deskhand/app/overlay"
	"github.com/deskhand/deskhand/perception"
)

// ExportHTML writes run r as one HTML page that needs nothing else: every
// screenshot inline as a data: URI, exactly the bytes the model saw, with the
// action's marker drawn over it in SVG (so the picture is not re-encoded and
// the marker stays sharp at any zoom). Everything from the trace is escaped by
// html/template: a task or a model's reply cannot inject markup.
func ExportHTML(w io.Writer, r *Run) error {
	page := exportPage{Run: r, Title: "deskhand run: " + oneLine(r.Task, 80)}
	for _, s := range r.Steps {
		ps := exportStep{Step: s, Timings: Timings(s)}
		if f, err := r.LoadFrame(s); err == nil {
			ps.Shot = shotOf(f, s)
		}
		page.Steps = append(page.Steps, ps)
	}
	if err := exportTmpl.Execute(w, page); err != nil {
		return fmt.Errorf("export the run as HTML: %w", err)
	}
	return nil
}

type exportPage struct {
	*Run
	Title string
	Steps []exportStep
}

type exportStep struct {
	*Step
	Shot    *shot
	Timings string
}

// shot is a screenshot with the marker of its step's action.
type shot struct {
	Src           template.URL
	Width, Height int
	View          image.Rectangle // the monitor, in actuation space
	Marks         []image.Rectangle
}

func shotOf(f perception.Frame, s *Step) *shot {
	if f.MIME != "image/png" && f.MIME != "image/jpeg" {
		return nil
	}
	size := f.Image
	if size.X <= 0 || size.Y <= 0 {
		cfg, _, err := image.DecodeConfig(bytes.NewReader(f.Data))
		if err != nil {
			return nil
		}
		size = image.Pt(cfg.Width, cfg.Height)
	}
	// A data: URI built here from the image's own bytes and a MIME type checked
	// above, so it is safe as a URL.
	sh := &shot{Src: template.URL("data:" + f.MIME + ";base64," + base64.StdEncoding.EncodeToString(f.Data)), Width: size.X, Height: size.Y}
	if a, ok := s.Marked(); ok && !f.Bounds.Empty() {
		// The SVG's user space is the monitor in actuation space, stretched over
		// the image: the marker's rectangles go in as the overlay draws them.
		sh.View, sh.Marks = f.Bounds, overlay.Marker(a)
	}
	return sh
}

// Timings says how long the step's parts took, in the order they happen.
func Timings(s *Step) string {
	var parts []string
	for _, k := range []struct{ key, name string }{
		{"capture", "capture"}, {"first_token", "first token"}, {"model", "model"},
		{"act", "act"}, {"settle", "settle"},
	} {
		if v, ok := s.Millis[k.key]; ok {
			parts = append(parts, k.name+" "+Millis(v))
		}
	}
	if s.PromptTokens > 0 || s.EvalTokens > 0 {
		parts = append(parts, fmt.Sprintf("%d tokens in, %d out", s.PromptTokens, s.EvalTokens))
	}
	return strings.Join(parts, " · ")
}

// Millis formats a duration in milliseconds the way people read it: "35 ms",
// "2.4 s", "1 min 5 s".
func Millis(v float64) string {
	d := time.Duration(v * float64(time.Millisecond))
	switch {
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	return fmt.Sprintf("%d min %d s", int(d.Minutes()), int(d.Seconds())%60)
}

// oneLine is s on one line, cut to n runes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// Describe says in words what became of the action.
func (a *Act) Describe() string {
	d := a.Done().Describe()
	switch a.Outcome {
	case Pending:
		return "Proposed: " + d
	case Approved:
		return "Doing: " + d
	case Executed:
		switch {
		case a.Edited != nil:
			return "Did, as you corrected it: " + d
		case a.Auto:
			return "Did without asking: " + d
		}
		return "Did: " + d
	case Skipped:
		if a.Error != "" {
			return "Skipped: " + d + " (" + a.Error + ")"
		}
		return "Skipped: " + d
	case Rejected:
		return "Not done: " + d + " — " + a.Error
	case Failed:
		return "Failed: " + d + " — " + a.Error
	case Interrupted:
		return "Interrupted: " + d + " — you took over"
	}
	return d
}

var exportTmpl = template.Must(template.New("run").Funcs(template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Format("2 Jan 2006 15:04:05")
	},
	"dur":  func(d time.Duration) string { return Millis(float64(d.Milliseconds())) },
	"ms":   Millis,
	"base": filepath.Base,
	"high": func(a *Act) bool {
		return a.Risk != nil && a.Risk.Level != "" && a.Risk.High()
	},
	"reasons": func(a *Act) string {
		if a.Risk == nil {
			return ""
		}
		return strings.Join(a.Risk.Reasons, "; ")
	},
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="deskhand">
<title>{{.Title}}</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1100px; padding: 24px; color: #1f232a; background: #f6f7f9; }
h1 { font-size: 22px; margin: 0 0 4px; }
.meta { color: #5a6270; margin: 0 0 20px; }
.status { font-weight: 600; }
.status.done { color: #1f7a4d; } .status.failed, .status.limit { color: #b3261e; } .status.stopped, .status.ask_user { color: #8a6100; }
section { background: #fff; border: 1px solid #dde1e6; border-radius: 8px; padding: 16px; margin: 0 0 16px; }
h2 { font-size: 17px; margin: 0 0 8px; }
.shot { position: relative; margin: 8px 0; }
.shot img, .shot svg { display: block; width: 100%; height: auto; }
.shot svg { position: absolute; top: 0; left: 0; height: 100%; pointer-events: none; }
.shot rect { fill: #ff2d95; }
ul.acts { padding-left: 20px; margin: 8px 0; }
.risk { color: #b3261e; font-weight: 600; }
.timings, .note { color: #5a6270; font-size: 13px; }
details pre { white-space: pre-wrap; background: #f0f2f5; padding: 8px; border-radius: 6px; font-size: 13px; }
</style>
</head>
<body>
<h1>{{.Task}}</h1>
<p class="meta">{{when .Started}} · {{.Model}} (adapter {{.Adapter}}) · {{len .Steps}} steps{{with .Duration}} · {{dur .}}{{end}}{{if .LoadMs}} · model loaded in {{ms .LoadMs}}{{end}}<br>
{{if .Finished}}<span class="status {{.Status}}">{{.Status}}</span>{{with .Text}}: {{.}}{{end}}{{with .Error}} — {{.}}{{end}}{{else}}<span class="status failed">unfinished</span>: the run was still going when this trace ends.{{end}}</p>
{{range .Steps}}<section id="step-{{.N}}">
<h2>Step {{.N}}</h2>
{{with .Shot}}<div class="shot"><img src="{{.Src}}" width="{{.Width}}" height="{{.Height}}" alt="The screen the model saw at this step">{{if .Marks}}<svg viewBox="{{.View.Min.X}} {{.View.Min.Y}} {{.View.Dx}} {{.View.Dy}}" preserveAspectRatio="none" aria-hidden="true">{{range .Marks}}<rect x="{{.Min.X}}" y="{{.Min.Y}}" width="{{.Dx}}" height="{{.Dy}}"/>{{end}}</svg>{{end}}</div>
{{end}}{{with .Thought}}<p><b>Thought:</b> {{.}}</p>
{{end}}{{if .Actions}}<ul class="acts">{{range .Actions}}<li>{{.Describe}}{{if high .}} <span class="risk">High risk{{with reasons .}}: {{.}}{{end}}</span>{{end}}</li>{{end}}</ul>
{{end}}{{range .Notes}}<p class="note">{{.}}</p>
{{end}}{{with .Timings}}<p class="timings">{{.}}</p>
{{end}}{{with .Thinking}}<details><summary>The model's thinking</summary><pre>{{.}}</pre></details>
{{end}}{{with .Reply}}<details><summary>The model's reply</summary><pre>{{.}}</pre></details>
{{end}}</section>
{{end}}<p class="meta">Exported by deskhand from {{base .Dir}}.</p>
</body>
</html>
`))
