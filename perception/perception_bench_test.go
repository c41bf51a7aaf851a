//go:build cgo

package perception

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/deskhand/deskhand/perception/xvfbtest"
)

// BenchmarkPerception measures one perception step at the screen sizes deskhand
// must handle, each on its own Xvfb desktop filled with terminals of text, with
// the steps side by side in one run so their ratio can be read off:
//
//	capture    reading the monitor's pixels (the backend alone)
//	resize     scaling a capture to the model's grid
//	encode     encoding the resized image as PNG
//	resizepng  resizing and encoding fused, as Capture does both
//	frame      the whole of Capture: capture, resize and encode
//	frame32    the same for a factor-32 model (Qwen3-VL)
//	ratio      a capture and a frame in turn: their times and frame/capture
//
// frame / capture is the overhead perception adds on top of reading the screen.
func BenchmarkPerception(b *testing.B) {
	for _, s := range []image.Point{{1366, 768}, {1920, 1080}, {2560, 1440}, {3840, 2160}} {
		b.Run(fmt.Sprintf("%dx%d", s.X, s.Y), func(b *testing.B) {
			benchPerception(b, s.X, s.Y)
		})
	}
}

func benchPerception(b *testing.B, w, h int) {
	xvfbtest.Need(b, "xterm")
	d := xvfbtest.Start(b, w, h)
	d.Setenv(b)
	// Text-heavy content: terminals of directory listings covering most of the
	// screen, overlapping as real windows do.
	cols, rows := 110, 40
	for i := range 6 {
		x, y := (i%3)*w/3, (i/3)*h/2
		d.Launch(b, "xterm", "-geometry", strconv.Itoa(cols)+"x"+strconv.Itoa(rows)+"+"+strconv.Itoa(x)+"+"+strconv.Itoa(y),
			"-e", "sh", "-c", "ls -laR /usr/share/doc | head -"+strconv.Itoa(rows+i)+"; sleep 600")
	}
	ctx := context.Background()
	r := image.Rect(0, 0, w, h)
	// The figures mean nothing on a screen the terminals have not drawn yet (a
	// black screen compresses to a few KB): wait for their text.
	var img *image.RGBA
	for deadline := time.Now().Add(20 * time.Second); ; {
		time.Sleep(500 * time.Millisecond)
		var err error
		if img, err = platform.capture(r); err != nil {
			b.Fatal(err)
		}
		if light, dark := lightDark(img); light > 0.15 && dark > 0.01 {
			break
		} else if time.Now().After(deadline) {
			b.Fatalf("the terminals did not draw their text within 20 s (%.0f %% light, %.1f %% dark pixels)", 100*light, 100*dark)
		}
	}
	size := (Grid{}).Size(w, h)
	small := Resize(img, size)
	b.Run("capture", func(b *testing.B) {
		cpu := processCPU()
		for b.Loop() {
			if _, err := platform.capture(r); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, cpu)
	})
	b.Run("resize", func(b *testing.B) {
		cpu := processCPU()
		for b.Loop() {
			Resize(img, size)
		}
		reportCPU(b, cpu)
	})
	// image/png's size for comparison, and each filter's.
	var std bytes.Buffer
	if err := stdPNG.Encode(&std, small); err != nil {
		b.Fatal(err)
	}
	for _, f := range []byte{filterNone, filterSub, filterUp} {
		var buf bytes.Buffer
		c0 := processCPU()
		for range 5 {
			buf.Reset()
			encodeFastPNGFilter(&buf, small, f)
		}
		b.Logf("%v: filter %d %d KB %v, image/png BestSpeed %d KB", size, f, buf.Len()/1024, (processCPU()-c0)/5, std.Len()/1024)
	}
	b.Run("encode", func(b *testing.B) {
		var n int
		cpu := processCPU()
		for b.Loop() {
			data, _, err := encodePNG(small)
			if err != nil {
				b.Fatal(err)
			}
			n = len(data)
		}
		reportCPU(b, cpu)
		b.ReportMetric(float64(n)/1024, "KB")
		b.ReportMetric(float64(std.Len())/1024, "std-KB")
	})
	b.Run("resizepng", func(b *testing.B) {
		var buf bytes.Buffer
		cpu := processCPU()
		for b.Loop() {
			buf.Reset()
			if !resizePNG(&buf, img, size) {
				b.Fatal("resizePNG declined a capture")
			}
		}
		reportCPU(b, cpu)
		b.ReportMetric(float64(buf.Len())/1024, "KB")
	})
	// ratio alternates a bare capture and a frame in one loop and reports their
	// mean times and the frame's multiple of the capture, so both see the same
	// machine: on a shared 2-core machine the capture alone drifts by a third
	// between runs. A collection before each keeps either from paying for the
	// other's garbage (each frame leaves a capture's worth).
	b.Run("ratio", func(b *testing.B) {
		var c Capturer
		var tc, tf time.Duration
		for b.Loop() {
			// Each starts with no garbage left by the other to collect.
			runtime.GC()
			t0 := time.Now()
			if _, err := platform.capture(r); err != nil {
				b.Fatal(err)
			}
			tc += time.Since(t0)
			runtime.GC()
			t1 := time.Now()
			if _, err := c.Capture(ctx, Grid{}); err != nil {
				b.Fatal(err)
			}
			tf += time.Since(t1)
		}
		b.ReportMetric(float64(tc.Microseconds())/1000/float64(b.N), "capture-ms")
		b.ReportMetric(float64(tf.Microseconds())/1000/float64(b.N), "frame-ms")
		b.ReportMetric(float64(tf)/float64(tc), "frame/capture")
	})
	// frame is Capture for a factor-28 model (Qwen2.5-VL, UI-TARS), frame32 for
	// Qwen3-VL's factor 32.
	for _, g := range []struct {
		name string
		grid Grid
	}{{"frame", Grid{}}, {"frame32", Grid{Factor: 32}}} {
		b.Run(g.name, func(b *testing.B) {
			var c Capturer
			var n int
			cpu := processCPU()
			for b.Loop() {
				f, err := c.Capture(ctx, g.grid)
				if err != nil {
					b.Fatal(err)
				}
				n = len(f.Data)
			}
			reportCPU(b, cpu)
			b.ReportMetric(float64(n)/1024, "KB")
		})
	}
}

// lightDark returns the fractions of img's pixels that are light (a terminal's
// background) and dark (its text).
func lightDark(img *image.RGBA) (light, dark float64) {
	var nl, nd int
	p := img.Pix
	for i := 0; i+4 <= len(p); i += 4 {
		switch sum := int(p[i]) + int(p[i+1]) + int(p[i+2]); {
		case sum > 600:
			nl++
		case sum < 150:
			nd++
		}
	}
	n := float64(len(p) / 4)
	return float64(nl) / n, float64(nd) / n
}
