package perception

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"time"
)

// Image formats a Capturer can send.
const (
	FormatPNG  = "png"
	FormatJPEG = "jpeg"
)

// DefaultSettle is how long Settle waits when given no limit.
const DefaultSettle = 3 * time.Second

// settleInterval is the time between Settle's samples. A 1920×1080 capture and
// its thumbnail take about 20 ms on X11, so sampling keeps under half a core
// busy while settling; see stability for how the interval and settleQuiet set
// Settle's latency.
const settleInterval = 50 * time.Millisecond

// Capturer captures the monitor the user is working on, as a model should see it.
// The zero value is ready to use: it follows the pointer, sends PNG and hides
// nothing. *Capturer implements planner.Screen.
type Capturer struct {
	// FixedMonitor makes Capture always capture monitor Monitor (an index into
	// Monitors). When false, the default, Capture takes the monitor under the
	// pointer, where the last action happened, and Monitor is ignored.
	FixedMonitor bool
	Monitor      int

	// Format is the encoding sent to the model: "png" (the default, lossless, best
	// for text) or "jpeg" (smaller and faster to encode; blurs small text).
	Format string
	// Quality is the JPEG quality, 1–100; 0 means 80.
	Quality int

	// Hide, if set, is called before every capture so the app can take its own
	// windows (the confirmation overlay, the status window) off the screen, and
	// restore is called as soon as the pixels are read, before resizing and
	// encoding, so they are gone for as short a time as possible. Hide must not
	// return until the windows are really gone: on X11 without a compositor the
	// windows below need a moment to repaint what was uncovered. Settle does not
	// call Hide: a static overlay does not keep the screen from settling, and
	// hiding it for every sample would make it flicker.
	// A nil restore means nothing was on the screen to hide.
	Hide func(ctx context.Context) (restore func(), err error)

	// be replaces the registered backend in tests.
	be backend

	// still is Settle's last sample once the screen was still, for the next
	// Capture to use instead of reading the screen again: in the agent's loop
	// Capture comes right after Settle, and a capture is 12 ms at 1920x1080 and
	// 60 ms at 3840x2160. Settle and Capture are called from one goroutine.
	still *stillSample

	// watch is Settle's source of damage reports (X11), kept between calls.
	watch damageWatch
}

// stillSample is a capture Settle found still.
type stillSample struct {
	img *image.RGBA
	at  time.Time
	mon Monitor
	// unchanged, set when Settle had damage reports, reports whether nothing
	// was drawn on mon since the sample; see fresh.
	unchanged func(context.Context) bool
}

// stillFresh is how old Settle's last sample may be for Capture to use it when
// Settle sampled: the screen had been still for settleQuiet when it was taken.
// A variable only so that tests of the reuse can lengthen it.
var stillFresh = 100 * time.Millisecond

func (c *Capturer) backend() backend {
	if c.be != nil {
		return c.be
	}
	return platform
}

// pick returns the monitor to capture.
func (c *Capturer) pick(ctx context.Context, be backend) (Monitor, error) {
	ms, err := monitorsOf(ctx, be)
	if err != nil {
		return Monitor{}, err
	}
	if c.FixedMonitor {
		if c.Monitor < 0 || c.Monitor >= len(ms) {
			return Monitor{}, fmt.Errorf("monitor %d does not exist: this desktop has monitors 0..%d — pick one of those",
				c.Monitor, len(ms)-1)
		}
		return ms[c.Monitor], nil
	}
	p, err := be.pointer()
	if err != nil {
		return Monitor{}, fmt.Errorf("find the monitor under the pointer: %w", err)
	}
	return monitorAt(ms, p), nil
}

// Capture captures the chosen monitor, resizes it to grid and encodes it once.
// The Frame carries everything needed to map the model's coordinates back.
//
// Frame.Scale is measured, as captured pixels per actuation unit along x, not
// assumed from the OS:
//   - Linux/X11: 1. The mouse moves in root-window pixels and captures are in the
//     same pixels; desktop scaling only makes applications draw bigger.
//   - Windows: 1. deskhand is per-monitor DPI aware, so monitor bounds, mouse
//     input and captures are all in physical pixels. (A process that is not DPI
//     aware would see virtualised bounds and blurry upscaled captures.)
//   - macOS: 1 today. robotgo moves the mouse in points and monitor bounds are in
//     points; kbinani/screenshot scales each capture down to the display's size
//     in points, so a Retina capture has half the physical resolution. A capture
//     at full resolution (ScreenCaptureKit) would make Scale 2 here; nothing else
//     has to change, since the mapping goes through Bounds, not Captured.
func (c *Capturer) Capture(ctx context.Context, grid Grid) (Frame, error) {
	enc, err := c.encoder()
	if err != nil {
		return Frame{}, err
	}
	be := c.backend()
	m, err := c.pick(ctx, be)
	if err != nil {
		return Frame{}, err
	}
	png := c.Format == "" || c.Format == FormatPNG
	img, taken, bgr, err := c.grab(ctx, be, m, png)
	if err != nil {
		return Frame{}, err
	}
	captured := img.Rect.Size()
	if captured.X <= 0 || captured.Y <= 0 {
		return Frame{}, fmt.Errorf("capture of monitor %d at %v came back empty — check that the screen is not locked or off", m.Index, m.Bounds)
	}
	size := grid.Size(captured.X, captured.Y)
	data, mime, err := resizeEncode(img, bgr, size, c.Format, enc)
	if err != nil {
		return Frame{}, err
	}
	if err := ctx.Err(); err != nil {
		return Frame{}, err
	}
	return Frame{
		Monitor:  m.Index,
		Bounds:   m.Bounds,
		Captured: captured,
		Scale:    float64(captured.X) / float64(m.Bounds.Dx()),
		Image:    size,
		Data:     data,
		MIME:     mime,
		Taken:    taken,
	}, nil
}

// resizeEncode resizes img to size and encodes it with enc. For PNG, the
// default, it takes resizePNG, which resizes and compresses in one pass over
// bands and decodes to exactly Resize's pixels; enc handles the rest (JPEG, an
// image with transparency).
//
// With bgr, img's pixels are B, G, R, x (see bgrx), and img is the caller's to
// change.
func resizeEncode(img *image.RGBA, bgr bool, size image.Point, format string, enc func(image.Image) ([]byte, string, error)) ([]byte, string, error) {
	if format == "" || format == FormatPNG {
		var buf bytes.Buffer // sized by resizePNGFrom, which knows the size
		if resizePNGFrom(&buf, img, size, bgr) {
			return buf.Bytes(), "image/png", nil
		}
	}
	if bgr {
		bgrxToRGBA(img.Pix)
	}
	return enc(Resize(img, size))
}

// grab captures r with the app's windows hidden. Settle's last still sample of
// the same monitor, if fresh, is used instead of reading the screen again, unless
// Hide had something to take off the screen (it was then in the sample too).
// With raw, a fresh capture may come as the X server sends it (bgr: see bgrx).
func (c *Capturer) grab(ctx context.Context, be backend, m Monitor, raw bool) (img *image.RGBA, taken time.Time, bgr bool, err error) {
	still := c.still
	c.still = nil
	if err := ctx.Err(); err != nil {
		return nil, time.Time{}, false, err
	}
	if c.Hide != nil {
		restore, err := c.Hide(ctx)
		if restore != nil {
			// Also after a failed Hide: a partly hidden overlay must come back.
			defer restore()
			still = nil
		}
		if err != nil {
			return nil, time.Time{}, false, fmt.Errorf("hide deskhand's windows before capturing: %w", err)
		}
	}
	if still != nil && still.mon.Bounds == m.Bounds && still.fresh(ctx) {
		return still.img, still.at, false, nil
	}
	r := m.Bounds
	if rc, ok := be.(bgrxCapturer); ok && raw {
		img, ok, err := rc.captureBGRX(r)
		if err != nil {
			return nil, time.Time{}, false, err
		}
		if ok {
			return img, time.Now(), true, nil
		}
	}
	img, err = be.capture(r)
	if err != nil {
		return nil, time.Time{}, false, err
	}
	return img, time.Now(), false, nil
}

// bgrxCapturer is a backend that can capture without converting the pixels
// (see bgrx); ok is false where it cannot, and capture is used instead.
type bgrxCapturer interface {
	captureBGRX(r image.Rectangle) (img *image.RGBA, ok bool, err error)
}

// encoder returns the function that encodes images in c's format.
func (c *Capturer) encoder() (func(image.Image) ([]byte, string, error), error) {
	switch c.Format {
	case "", FormatPNG:
		return encodePNG, nil
	case FormatJPEG, "jpg":
		q := c.Quality
		if q <= 0 {
			q = 80
		}
		q = min(q, 100)
		return func(img image.Image) ([]byte, string, error) {
			var buf bytes.Buffer
			if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
				return nil, "", fmt.Errorf("encode jpeg: %w", err)
			}
			return buf.Bytes(), "image/jpeg", nil
		}, nil
	default:
		return nil, fmt.Errorf("unknown image format %q: use %q or %q", c.Format, FormatPNG, FormatJPEG)
	}
}

// encodePNG encodes img as PNG, favouring speed: the model's prompt processing,
// not the upload, is what the bytes cost. Opaque *image.RGBA images (every
// capture) take encodeFastPNG; anything else image/png at BestSpeed.
func encodePNG(img image.Image) ([]byte, string, error) {
	var buf bytes.Buffer
	if rgba, ok := img.(*image.RGBA); ok {
		buf.Grow(rgba.Rect.Dx() * rgba.Rect.Dy() / 2)
		if encodeFastPNG(&buf, rgba) {
			return buf.Bytes(), "image/png", nil
		}
		buf.Reset()
	}
	if err := stdPNG.Encode(&buf, img); err != nil {
		return nil, "", fmt.Errorf("encode png: %w", err)
	}
	return buf.Bytes(), "image/png", nil
}

// Settle waits until the screen stops changing and returns nil as soon as it has
// seen no change for a short quiet window (see stability for what counts as no
// change: a blinking caret does not). It returns nil after maxWait
// (DefaultSettle when maxWait <= 0) even if the screen never settles, since
// animations and videos never do, and ctx's error if ctx ends first.
//
// On X11 it listens to the X server's damage reports (settleDamage): a still
// screen is known still 70 ms after the call, and the screen is captured only
// where and when something was drawn. Elsewhere, and on an X server without the
// DAMAGE extension, it samples the monitor every 50 ms and waits for 100 ms
// without change (settleSampling). Either way Capture right after it uses its
// last capture when nothing changed since.
//
// The monitor is chosen once, at the start.
func (c *Capturer) Settle(ctx context.Context, maxWait time.Duration) error {
	if maxWait <= 0 {
		maxWait = DefaultSettle
	}
	deadline := time.Now().Add(maxWait)
	be := c.backend()
	m, err := c.pick(ctx, be)
	if err != nil {
		return err
	}
	c.still = nil
	if dm := c.damageSource(be); dm != nil {
		err := c.settleDamage(ctx, be, dm, m, deadline)
		if !errors.Is(err, errDamageLost) {
			return err
		}
		c.closeDamage()
	}
	return c.settleSampling(ctx, be, m, deadline)
}

// settleSampling is Settle without damage reports: it samples m every
// settleInterval until stability says the screen has settled.
func (c *Capturer) settleSampling(ctx context.Context, be backend, m Monitor, deadline time.Time) error {
	var st stability
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	for {
		start := time.Now()
		if err := ctx.Err(); err != nil {
			return err
		}
		img, err := be.capture(m.Bounds)
		if err != nil {
			return fmt.Errorf("wait for the screen to settle: %w", err)
		}
		if st.add(thumbnail(img), start) {
			c.still = &stillSample{img: img, at: start, mon: m}
			return nil
		}
		next := start.Add(settleInterval)
		if !next.Before(deadline) {
			return nil
		}
		timer.Reset(time.Until(next))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
		}
	}
}
