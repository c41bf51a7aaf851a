// Package calibrate owns `deskhand calibrate`: it shows a board of labelled
// targets at known positions on a monitor, captures it as a run would, asks the
// model to click each target, and measures where each click would land. It then
// diagnoses a systematic error (a wrong coordinate convention, a server-side
// resize, HiDPI scaling, a monitor's origin) and says how to fix it, or says
// that the model simply does not find things on the screen. Nothing is ever
// clicked. Only board_x11.go touches the X server.
package calibrate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // captures may be JPEG
	"image/png"
	"math"
	"strings"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/deskhand/deskhand/actuation"
	"github.com/deskhand/deskhand/perception"
	"github.com/deskhand/deskhand/planner"
)

// Screen captures the monitor the board is shown on; *perception.Capturer with
// a fixed monitor is one.
type Screen interface {
	Capture(ctx context.Context, grid perception.Grid) (perception.Frame, error)
}

// Config is one calibration.
type Config struct {
	Client planner.ChatClient
	Model  string
	// Adapter speaks the model's language; Alternatives are the other adapters
	// the diagnosis may suggest instead.
	Adapter      planner.Adapter
	Alternatives []planner.Adapter
	// Screen captures Monitor, on which the board is shown. With Synthetic set,
	// or no Screen, the board is not shown: its image is sent to the model as if
	// captured from a screen of Monitor's size, which checks the model and the
	// adapter but not the capture, the display's scaling or the monitor layout.
	Screen    Screen
	Monitor   perception.Monitor
	Monitors  []perception.Monitor // every monitor, for the origin diagnosis
	Synthetic bool
	// BoardTimeout caps the wait for the board to appear in captures; 0 means 5 s.
	BoardTimeout time.Duration
	// Progress, if set, is called after each target's reply.
	Progress func(r Result, done, total int)

	// show puts the board on the screen; nil means the platform's window.
	show shower
}

// shower shows an image covering r (in actuation space) above every window,
// until hide is called. It returns errNoWindow where it cannot.
type shower interface {
	show(ctx context.Context, r image.Rectangle, img *image.RGBA) (hide func(), err error)
}

// errNoWindow means the board cannot be shown on this system; calibration then
// falls back to a synthetic frame.
var errNoWindow = errors.New("deskhand cannot show the calibration board on this system yet")

// BoardHiddenError means the board was shown but did not appear in the
// captures: another window covers it, or the capture shows another place.
type BoardHiddenError struct {
	Monitor int
	Bounds  image.Rectangle
	Found   int
	Targets int
}

func (e *BoardHiddenError) Error() string {
	return fmt.Sprintf("the calibration board was shown on monitor %d (%v) but only %d of its %d targets appeared in the screen capture — "+
		"close full-screen windows and screen savers and try again, or pass --synthetic to check the model alone", e.Monitor, e.Bounds, e.Found, e.Targets)
}

// Result is one target: where it is, where the model's click would land.
type Result struct {
	Label int `json:"label"`
	// Expected is the target's centre in actuation space.
	Expected image.Point `json:"expected"`
	// Got is where the click would land in actuation space; nil when the reply
	// had no usable point (see Problem).
	Got *image.Point `json:"got,omitempty"`
	// ErrorPx is the distance from Expected to Got.
	ErrorPx *float64 `json:"error_px,omitempty"`
	Hit     bool     `json:"hit"`
	// Raw is the model's own numbers in the adapter's convention, when known.
	Raw *[2]float64 `json:"raw,omitempty"`
	// Reply is the model's reply as it came.
	Reply   string  `json:"reply"`
	Problem string  `json:"problem,omitempty"`
	Millis  float64 `json:"ms"`
}

// Check is the capture check: whether deskhand's own capture shows the board
// where it was drawn, before any model is asked.
type Check struct {
	Targets int `json:"targets"`
	Found   int `json:"found"`
	// MaxDeviation is the largest distance between a target's centre and where
	// the capture shows it, in actuation units.
	MaxDeviation float64    `json:"max_deviation_px"`
	Tolerance    float64    `json:"tolerance_px"`
	OK           bool       `json:"ok"`
	Diagnosis    *Diagnosis `json:"diagnosis,omitempty"`
}

// Report is the outcome of a calibration.
type Report struct {
	Model      string                `json:"model"`
	Adapter    string                `json:"adapter"`
	Convention perception.Convention `json:"convention,omitempty"`
	// Mode is "screen" (the board was shown and captured) or "synthetic".
	Mode     string          `json:"mode"`
	Monitor  int             `json:"monitor"`
	Bounds   image.Rectangle `json:"bounds"`
	Captured image.Point     `json:"captured"`
	Scale    float64         `json:"scale"`
	Image    image.Point     `json:"image"`
	Radius   int             `json:"radius"`
	Check    *Check          `json:"capture_check,omitempty"`
	Targets  []Result        `json:"targets"`
	Answered int             `json:"answered"`
	Hits     int             `json:"hits"`
	// MedianError and MaxError are over the replies with a click.
	MedianError *float64  `json:"median_error_px,omitempty"`
	MaxError    *float64  `json:"max_error_px,omitempty"`
	Fit         *Fit      `json:"fit,omitempty"`
	Diagnosis   Diagnosis `json:"diagnosis"`
	Notes       []string  `json:"notes,omitempty"`
}

// OK reports whether the model clicks accurately on this machine.
func (r *Report) OK() bool { return r.Diagnosis.Kind == KindOK }

// Instruction is what the model is asked for each target.
func Instruction(label int) string {
	return fmt.Sprintf("Click the centre of the circle labelled %d.", label)
}

// conventioner is an adapter that says how its model writes coordinates.
type conventioner interface {
	Convention() perception.Convention
}

// Run calibrates: it shows the board (or makes a synthetic frame), asks the
// model about every target, one request each, and diagnoses the clicks. Its
// errors are setup errors, or ctx's cause when it is cancelled; a model that
// clicks badly is a Report whose Diagnosis says so.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Client == nil || cfg.Adapter == nil || cfg.Model == "" {
		return nil, errors.New("calibrate: Client, Adapter and Model must be set")
	}
	board, err := NewBoard(cfg.Monitor.Bounds.Size())
	if err != nil {
		return nil, err
	}
	img := board.Render()
	rep := &Report{Model: cfg.Model, Adapter: cfg.Adapter.Name(), Radius: board.Radius}
	grid := cfg.Adapter.Grid()

	var frame perception.Frame
	synthetic := cfg.Synthetic || cfg.Screen == nil
	if !synthetic {
		var check *Check
		frame, check, err = cfg.onScreen(ctx, board, img, grid)
		switch {
		case errors.Is(err, errNoWindow):
			synthetic = true
			rep.Notes = append(rep.Notes, err.Error()+": the board was sent to the model as a synthetic screenshot instead")
		case err != nil:
			return nil, cause(ctx, err)
		default:
			rep.Mode, rep.Check = "screen", check
		}
	}
	if synthetic {
		if frame, err = syntheticFrame(ctx, img, cfg.Monitor, grid); err != nil {
			return nil, err
		}
		rep.Mode = "synthetic"
		rep.Notes = append(rep.Notes, "synthetic: the board was not shown on the screen, so the screen capture, "+
			"the display's scaling (HiDPI) and the monitor layout were not checked, only the model and the adapter")
	}
	rep.Monitor, rep.Bounds, rep.Captured, rep.Scale, rep.Image = frame.Monitor, frame.Bounds, frame.Captured, frame.Scale, frame.Image
	if rep.Check != nil && !rep.Check.OK {
		rep.Diagnosis = *rep.Check.Diagnosis
		return rep, nil
	}

	conv := perception.Convention("")
	if c, ok := cfg.Adapter.(conventioner); ok {
		conv = c.Convention()
	}
	replies := make([]api.Message, len(board.Targets))
	decisions := make([]parsed, len(board.Targets))
	for i, t := range board.Targets {
		t0 := time.Now()
		reply, err := cfg.ask(ctx, frame, t)
		if err != nil {
			return nil, cause(ctx, err)
		}
		replies[i] = reply
		decisions[i] = parse(cfg.Adapter, reply, frame)
		r := Result{Label: t.Label, Expected: frame.Bounds.Min.Add(t.Centre), Reply: replyText(reply),
			Problem: decisions[i].problem, Millis: ms(time.Since(t0))}
		if decisions[i].ok {
			p := decisions[i].at
			r.Got = &p
		}
		rep.Targets = append(rep.Targets, r)
		if cfg.Progress != nil {
			cfg.Progress(scored(r, board.Radius), i+1, len(board.Targets))
		}
	}
	if conv == "" {
		conv = probeConvention(cfg.Adapter, replies, frame)
		if conv != "" {
			rep.Notes = append(rep.Notes, fmt.Sprintf("adapter %s does not say how it reads coordinates; its replies read as %s", rep.Adapter, conv))
		}
	}
	rep.Convention = conv

	g := geometry{size: frame.Bounds.Size(), img: frame.Image, origin: frame.Bounds.Min, conv: conv,
		radius: float64(board.Radius), adapter: rep.Adapter, grid: grid,
		alternatives: map[string]alternative{}}
	if rep.Mode == "screen" {
		for _, m := range cfg.Monitors {
			g.others = append(g.others, m.Bounds.Min)
		}
	}
	for _, a := range append([]planner.Adapter{cfg.Adapter}, cfg.Alternatives...) {
		alt := alternative{factor: a.Grid().Factor}
		if alt.factor == 0 {
			alt.factor = 28 // the zero Grid's
		}
		if c, ok := a.(conventioner); ok {
			alt.conv = c.Convention()
		}
		g.alternatives[a.Name()] = alt
	}
	samples := make([]sample, len(board.Targets))
	for i, t := range board.Targets {
		s := sample{want: centreOf(t.Centre)}
		d := decisions[i]
		switch {
		case d.ok:
			s.got, s.ok = centreOf(d.at.Sub(frame.Bounds.Min)), true
			if conv != "" {
				s.raw, s.hasRaw = g.unplace(d.at.Sub(frame.Bounds.Min), conv), true
			}
		case d.outside != nil && conv != "":
			// The point is off the screen in the adapter's reading, but the
			// numbers may be right in another convention.
			s.raw, s.hasRaw = fpt{d.outside.X, d.outside.Y}, true
			s.got, s.ok = g.place(s.raw, conv), true
		}
		if s.hasRaw {
			rep.Targets[i].Raw = &[2]float64{round2(s.raw.X), round2(s.raw.Y)}
		}
		rep.Targets[i] = scored(rep.Targets[i], board.Radius)
		samples[i] = s
	}
	rep.Diagnosis, rep.Fit = diagnose(g, samples)
	rep.summarise()
	return rep, nil
}

// scored fills in a result's error and hit.
func scored(r Result, radius int) Result {
	if r.Got == nil {
		r.ErrorPx, r.Hit = nil, false
		return r
	}
	e := round2(math.Hypot(float64(r.Got.X-r.Expected.X), float64(r.Got.Y-r.Expected.Y)))
	r.ErrorPx, r.Hit = &e, e <= float64(radius)
	return r
}

func (r *Report) summarise() {
	var errs []float64
	r.Answered, r.Hits = 0, 0
	for _, t := range r.Targets {
		if t.ErrorPx != nil {
			r.Answered++
			errs = append(errs, *t.ErrorPx)
			if t.Hit {
				r.Hits++
			}
		}
	}
	if len(errs) > 0 {
		m, x := round2(medianOf(errs)), round2(maxOf(errs))
		r.MedianError, r.MaxError = &m, &x
	}
}

func maxOf(v []float64) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		m = max(m, x)
	}
	return m
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// cause returns ctx's cause when ctx ended (Ctrl+C is planner.ErrStopped), else err.
func cause(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return err
}

// ask sends one target's request: the adapter's opening for the instruction,
// then the frame, at temperature 0, not streamed; the options are the planner's
// (seed, context length), so the model stays loaded for the next run.
func (c Config) ask(ctx context.Context, frame perception.Frame, t Target) (api.Message, error) {
	stream, off := false, false
	req := &api.ChatRequest{
		Model:    c.Model,
		Messages: append(c.Adapter.Start(Instruction(t.Label)), c.Adapter.Observe(frame, "")),
		Stream:   &stream,
		Options: map[string]any{
			"temperature": 0,
			"seed":        planner.Seed,
			// The context a run would ask for, so a run after the calibration
			// finds the model loaded as it needs it.
			"num_ctx":     planner.NeededContext(c.Adapter, planner.DefaultKeepScreens, planner.DefaultMaxSteps, planner.DefaultNumPredict, 0),
			"num_predict": planner.DefaultNumPredict,
		},
		KeepAlive: &api.Duration{Duration: planner.DefaultKeepAlive},
		Truncate:  &off,
		Shift:     &off,
	}
	c.Adapter.Configure(req)
	var reply api.Message
	chat := func() error {
		reply = api.Message{}
		return c.Client.Chat(ctx, req, func(r api.ChatResponse) error {
			reply.Content += r.Message.Content
			reply.Thinking += r.Message.Thinking
			reply.ToolCalls = append(reply.ToolCalls, r.Message.ToolCalls...)
			return nil
		})
	}
	err := chat()
	// A server that fails on tool calls (ollama/ollama#14492) or refuses tools:
	// ask again with the tool written into the prompt, as a run falls back.
	var se api.StatusError
	if tf, ok := c.Adapter.(planner.TextFallback); ok && len(req.Tools) > 0 && errors.As(err, &se) &&
		(se.StatusCode >= 500 || strings.Contains(se.ErrorMessage, "does not support tools")) {
		req.Messages = append(c.Adapter.Start(Instruction(t.Label)), c.Adapter.Observe(frame, ""))
		tf.ConfigureText(req)
		err = chat()
	}
	if err != nil {
		return api.Message{}, fmt.Errorf("ask %s about target %d: %w", c.Model, t.Label, err)
	}
	reply.Role = "assistant"
	return reply, nil
}

func replyText(m api.Message) string {
	s := m.Content
	if s == "" {
		s = m.Thinking
	}
	for _, tc := range m.ToolCalls {
		s += fmt.Sprintf("\n[tool call %s %s]", tc.Function.Name, tc.Function.Arguments.String())
	}
	return s
}

// parsed is what one reply says: the first point it would click or move to.
type parsed struct {
	at      image.Point
	ok      bool
	outside *perception.OutsideError // the reply's point is off the screen in the adapter's reading
	problem string
}

// parse takes the first action with a point: a click, a move, the start of a
// drag, the place of a scroll. Nothing is ever performed.
func parse(a planner.Adapter, reply api.Message, f perception.Frame) parsed {
	d, err := a.Parse(reply, f)
	if err != nil {
		var out *perception.OutsideError
		if errors.As(err, &out) {
			return parsed{outside: out, problem: out.Error()}
		}
		return parsed{problem: err.Error()}
	}
	for _, act := range d.Actions {
		switch act.Type {
		case actuation.Click, actuation.Move, actuation.Drag, actuation.Scroll:
			if p, ok := act.Point(); ok {
				return parsed{at: p, ok: true}
			}
		}
	}
	var types []string
	for _, act := range d.Actions {
		types = append(types, string(act.Type))
	}
	if len(types) == 0 {
		return parsed{problem: "the reply has no action"}
	}
	return parsed{problem: fmt.Sprintf("the reply has no click, only %v", types)}
}

// probeConvention tells how an adapter that does not say reads coordinates: a
// pixel reading moves when the image gets bigger, a relative one does not.
func probeConvention(a planner.Adapter, replies []api.Message, f perception.Frame) perception.Convention {
	big := f
	big.Image = f.Image.Mul(2)
	for _, r := range replies {
		p1, p2 := parse(a, r, f), parse(a, r, big)
		if !p1.ok || !p2.ok {
			if p1.outside != nil && p1.outside.Convention != "" {
				return p1.outside.Convention
			}
			continue
		}
		if p1.at != p2.at {
			return perception.ImagePixels
		}
		if d := p1.at.Sub(f.Bounds.Min); d.X > 8 && d.Y > 8 {
			return perception.Relative1000
		}
	}
	return ""
}

// syntheticFrame is the board as a capture of monitor m would be sent: resized
// to the adapter's grid and encoded as PNG.
func syntheticFrame(ctx context.Context, img *image.RGBA, m perception.Monitor, grid perception.Grid) (perception.Frame, error) {
	if err := ctx.Err(); err != nil {
		return perception.Frame{}, context.Cause(ctx)
	}
	size := img.Rect.Size()
	sent := grid.Size(size.X, size.Y)
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, perception.Resize(img, sent)); err != nil {
		return perception.Frame{}, fmt.Errorf("encode the calibration board: %w", err)
	}
	return perception.Frame{
		Monitor:  m.Index,
		Bounds:   m.Bounds,
		Captured: size,
		Scale:    1,
		Image:    sent,
		Data:     buf.Bytes(),
		MIME:     "image/png",
		Taken:    time.Now(),
	}, nil
}

// onScreen shows the board on the monitor, captures it once it is up, checks
// that the capture shows it where it was drawn, and takes it down.
func (c Config) onScreen(ctx context.Context, b Board, img *image.RGBA, grid perception.Grid) (perception.Frame, *Check, error) {
	sh := c.show
	if sh == nil {
		sh = platformShower{}
	}
	hide, err := sh.show(ctx, c.Monitor.Bounds, img)
	if err != nil {
		return perception.Frame{}, nil, err
	}
	defer hide()
	timeout := c.BoardTimeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	deadline := time.Now().Add(timeout)
	var frame perception.Frame
	var spots map[int]Spot
	for {
		if frame, err = c.Screen.Capture(ctx, grid); err != nil {
			return perception.Frame{}, nil, fmt.Errorf("capture the calibration board: %w", err)
		}
		shot, _, err := image.Decode(bytes.NewReader(frame.Data))
		if err != nil {
			return perception.Frame{}, nil, fmt.Errorf("decode the capture of the calibration board: %w", err)
		}
		spots = b.Find(shot)
		if len(spots) == len(b.Targets) || time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return perception.Frame{}, nil, context.Cause(ctx)
		case <-time.After(100 * time.Millisecond):
		}
	}
	// Three targets are enough for the capture check to measure a shift or a
	// scale (which may push the others out of the capture); fewer, and the board
	// is not there.
	if len(spots) < 3 {
		return perception.Frame{}, nil, &BoardHiddenError{Monitor: frame.Monitor, Bounds: frame.Bounds, Found: len(spots), Targets: len(b.Targets)}
	}
	return frame, checkCapture(b, frame, spots, c.Monitors), nil
}

// checkCapture compares where the capture shows each target with where it was
// drawn. Within about two captured pixels, deskhand's own path is exact and any
// error the model makes is the model's (or the adapter's); beyond, the capture
// itself is off and the diagnosis says how.
func checkCapture(b Board, f perception.Frame, spots map[int]Spot, monitors []perception.Monitor) *Check {
	g := geometry{size: f.Bounds.Size(), img: f.Image, origin: f.Bounds.Min}
	for _, m := range monitors {
		g.others = append(g.others, m.Bounds.Min)
	}
	// One pixel of the sent image covers size/img actuation units; the centroid
	// of a blurred ring is good to about one of them.
	g.radius = 2 + 1.5*math.Max(float64(g.size.X)/float64(g.img.X), float64(g.size.Y)/float64(g.img.Y))
	ch := &Check{Targets: len(b.Targets), Found: len(spots), Tolerance: round2(g.radius)}
	samples := make([]sample, len(b.Targets))
	for i, t := range b.Targets {
		samples[i].want = centreOf(t.Centre)
		if s, ok := spots[t.Label]; ok {
			samples[i].got, samples[i].ok = g.place(fpt{s.X, s.Y}, perception.ImagePixels), true
			ch.MaxDeviation = max(ch.MaxDeviation, samples[i].want.dist(samples[i].got))
		}
	}
	ch.MaxDeviation = round2(ch.MaxDeviation)
	if ch.MaxDeviation <= g.radius && ch.Found >= needHits(ch.Targets) {
		ch.OK = true
		return ch
	}
	d, _ := diagnose(g, samples)
	switch {
	case ch.MaxDeviation <= g.radius:
		// Exact where seen, but too many unseen: something covers the board.
		ch.Diagnosis = &Diagnosis{Kind: KindCovered,
			Summary: fmt.Sprintf("only %d of the %d targets showed in the screen capture, each where it was drawn: something covers part of the board", ch.Found, ch.Targets),
			Fix:     "close or move the windows, panels or notifications that stay above full-screen windows, then calibrate again"}
		return ch
	case d.Kind == KindGrounding || d.Kind == KindOK || d.Kind == KindUnreadable:
		d = Diagnosis{Kind: KindScale, Summary: fmt.Sprintf("some targets appear up to %s from where they were drawn", px(ch.MaxDeviation))}
	}
	d.Summary = "deskhand's own screen capture does not match the screen, before any model is involved: " + d.Summary
	d.Fix = "report this output (with --json) at the deskhand issue tracker; until it is fixed, clicks on this monitor land off target whatever the model. " + d.Fix
	ch.Diagnosis = &d
	return ch
}
