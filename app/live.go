package app

import (
	"image"
	"image/draw"
	"math"
	"sync"
	"time"

	"fyne.io/fyne/v2"

	"github.com/deskhand/deskhand/actuation"
	"github.com/deskhand/deskhand/app/history"
	"github.com/deskhand/deskhand/app/overlay"
	"github.com/deskhand/deskhand/perception"
	"github.com/deskhand/deskhand/planner"
)

// live is the run on screen: its events folded into steps (history.Run, the
// same folding the past runs use), a thumbnail per step, and which steps the
// window has not drawn yet. The agent's goroutine writes it through sink, the
// thumbnail worker adds pictures, fyne's goroutine reads it when it draws.
type live struct {
	mu       sync.Mutex
	run      history.Run
	thumbs   map[int]image.Image
	asking   int          // the step waiting for the user's approval, 0 for none
	loading  bool         // the model is being loaded into memory
	dirty    map[int]bool // steps changed since the last draw
	gen      int          // bumped by reset, so a late thumbnail of an old run is dropped
	jobs     map[int]thumbJob
	wake     chan struct{} // tells the worker there are jobs
	redraw   *throttle
	thumbW   int // the width thumbnails are scaled to
	lastMark map[int]bool
	// frames are the steps' captures. The current step's keeps its bytes
	// (shared with the agent, not copied) for the thumbnail's marker; older
	// steps' are dropped, since a run of large screenshots would otherwise hold
	// tens of megabytes, and read back from the trace when enlarged.
	frames map[int]perception.Frame
}

// thumbJob is a frame to draw, with the action to mark on it (nil: none yet).
type thumbJob struct {
	gen   int
	frame perception.Frame
	act   *actuation.Action
}

// thumbWidth is the pixel width of the step list's pictures: 1.5 times their size
// on the screen, so they stay sharp on most HiDPI monitors.
const thumbWidth = 360

func newLive(draw func()) *live {
	l := &live{wake: make(chan struct{}, 1), thumbW: thumbWidth}
	l.redraw = newThrottle(time.Second/20, draw)
	l.reset()
	return l
}

// reset empties the view for a new run.
func (l *live) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.run = history.Run{}
	l.thumbs = map[int]image.Image{}
	l.dirty = map[int]bool{}
	l.jobs = map[int]thumbJob{}
	l.lastMark = map[int]bool{}
	l.frames = map[int]perception.Frame{}
	l.asking, l.loading = 0, false
	l.gen++
}

// sink takes one event of the run; it never blocks on drawing.
func (l *live) sink(e planner.Event) {
	l.mu.Lock()
	l.run.Apply(e, "")
	switch e.Kind {
	case planner.ModelLoading:
		l.loading = true
	case planner.ModelLoaded, planner.StepStarted, planner.RunFinished:
		l.loading = false
	}
	if e.Kind == planner.StepStarted {
		for n, f := range l.frames {
			if n < e.Step && f.Data != nil {
				f.Data = nil
				l.frames[n] = f
			}
		}
	}
	if e.Step > 0 {
		l.dirty[e.Step] = true
	}
	l.dirty[0] = true // the run's own line
	queued := false
	if s := l.step(e.Step); s != nil && s.Frame != nil {
		switch e.Kind {
		case planner.FrameCaptured:
			if len(e.Frame.Data) > 0 {
				l.frames[e.Step] = *e.Frame
				l.jobs[e.Step] = thumbJob{gen: l.gen, frame: *e.Frame}
				queued = true
			}
		case planner.ActionProposed, planner.ActionEdited, planner.ActionRejected:
			// Draw the marker once the step has an action with a target, and
			// again if the user moved it.
			if a, ok := s.Marked(); ok && (!l.lastMark[e.Step] || e.Kind == planner.ActionEdited) {
				if f, ok := l.frames[e.Step]; ok {
					l.jobs[e.Step] = thumbJob{gen: l.gen, frame: f, act: &a}
					l.lastMark[e.Step] = true
					queued = true
				}
			}
		}
	}
	l.mu.Unlock()
	if queued {
		select {
		case l.wake <- struct{}{}:
		default:
		}
	}
	l.redraw.poke()
}

func (l *live) step(n int) *history.Step {
	for i := len(l.run.Steps) - 1; i >= 0; i-- {
		if l.run.Steps[i].N == n {
			return l.run.Steps[i]
		}
	}
	return nil
}

// setAsking marks step n as waiting for the user (0: nobody is asked).
func (l *live) setAsking(n int) {
	l.mu.Lock()
	if l.asking != 0 {
		l.dirty[l.asking] = true
	}
	l.asking = n
	if n != 0 {
		l.dirty[n] = true
	}
	l.mu.Unlock()
	l.redraw.poke()
}

// thumbnails draws the queued pictures until stop is closed and nothing is
// left. It is the run's thumbnail goroutine: decoding a frame and drawing its
// marker takes tens of milliseconds, which the agent should not wait for.
func (l *live) thumbnails(stop <-chan struct{}) {
	for {
		l.mu.Lock()
		jobs := l.jobs
		l.jobs = map[int]thumbJob{}
		l.mu.Unlock()
		for n, j := range jobs {
			img := thumbnail(j, l.thumbW)
			l.mu.Lock()
			if j.gen == l.gen && img != nil {
				l.thumbs[n] = img
				l.dirty[n] = true
			}
			l.mu.Unlock()
		}
		if len(jobs) > 0 {
			l.redraw.poke()
			continue
		}
		select {
		case <-l.wake:
		case <-stop:
			l.mu.Lock()
			left := len(l.jobs)
			l.mu.Unlock()
			if left == 0 {
				return
			}
		}
	}
}

// thumbnail draws j's frame scaled to width w, with its action's marker. The
// marker is drawn after scaling, at least markerMin pixels thick: scaled with
// the picture, its 3-pixel lines would fade to a pink haze.
func thumbnail(j thumbJob, w int) image.Image {
	img, err := overlay.Thumbnail(j.frame, actuation.Action{})
	if err != nil {
		return nil
	}
	b := img.Bounds()
	if b.Dx() > w {
		img = perception.Resize(img, image.Pt(w, b.Dy()*w/b.Dx()))
	}
	if j.act != nil && !j.frame.Bounds.Empty() {
		mark(img, overlay.Marker(*j.act), j.frame.Bounds)
	}
	return img
}

// markerMin is the least thickness of the marker's lines on a thumbnail.
const markerMin = 2

// mark draws the marker's rectangles rs, in actuation space on a monitor at
// bounds, onto img, which shows the whole monitor.
func mark(img *image.RGBA, rs []image.Rectangle, bounds image.Rectangle) {
	sx := float64(img.Rect.Dx()) / float64(bounds.Dx())
	sy := float64(img.Rect.Dy()) / float64(bounds.Dy())
	c := image.NewUniform(overlay.MarkerColor)
	for _, r := range rs {
		r = r.Sub(bounds.Min)
		m := image.Rect(int(float64(r.Min.X)*sx), int(float64(r.Min.Y)*sy),
			int(math.Ceil(float64(r.Max.X)*sx)), int(math.Ceil(float64(r.Max.Y)*sy)))
		if m.Dx() < markerMin {
			m.Max.X = m.Min.X + markerMin
		}
		if m.Dy() < markerMin {
			m.Max.Y = m.Min.Y + markerMin
		}
		draw.Draw(img, m.Intersect(img.Rect), c, image.Point{}, draw.Src)
	}
}

// throttle calls draw on fyne's goroutine at most once per interval however
// often it is poked, and always once after the last poke: the model's thinking
// streams in token by token, far faster than anyone reads.
type throttle struct {
	every time.Duration
	draw  func()
	now   func() time.Time
	after func(time.Duration, func()) // time.AfterFunc; tests replace it
	do    func(func())                // fyne.Do; tests replace it

	mu      sync.Mutex
	pending bool
	last    time.Time
}

func newThrottle(every time.Duration, draw func()) *throttle {
	return &throttle{every: every, draw: draw, now: time.Now,
		after: func(d time.Duration, f func()) { time.AfterFunc(d, f) },
		do:    fyne.Do}
}

// poke asks for a draw.
func (t *throttle) poke() {
	t.mu.Lock()
	if t.pending {
		t.mu.Unlock()
		return // the draw to come will see this change too
	}
	t.pending = true
	wait := t.every - t.now().Sub(t.last)
	t.mu.Unlock()
	if wait > 0 {
		t.after(wait, t.fire)
		return
	}
	t.fire()
}

func (t *throttle) fire() {
	t.do(func() {
		t.mu.Lock()
		t.pending, t.last = false, t.now()
		t.mu.Unlock()
		t.draw()
	})
}
