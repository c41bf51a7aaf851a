// Package calibratetest owns a fake model for calibration tests: it finds the
// target a request names in the request's screenshot, by the target's colour,
// and answers with a click on it, in the coordinate convention it is told to
// use, optionally distorted the way a real fault would distort it. It plugs
// into planner/ollamatest's Server.Handle.
package calibratetest

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"image"
	_ "image/jpeg" // screenshots may be JPEG
	_ "image/png"  // or PNG
	"regexp"
	"strconv"
	"sync"

	"github.com/ollama/ollama/api"

	"github.com/deskhand/deskhand/app/calibrate"
	"github.com/deskhand/deskhand/perception"
	"github.com/deskhand/deskhand/planner/ollamatest"
)

// Model answers calibration requests like a model that sees perfectly.
type Model struct {
	// Convention is how the model writes coordinates: perception.ImagePixels (of
	// the image it got) or perception.Relative1000.
	Convention perception.Convention
	// Distort, if set, moves the point the model found, given in pixels of the
	// image it got, before it is written: (x, y) in, (x, y) out.
	Distort func(x, y float64, img image.Point) (float64, float64)
	// Format writes the reply for a point; nil writes a UI-TARS click.
	Format func(x, y float64) string

	mu    sync.Mutex
	cache map[[32]byte]map[int]calibrate.Spot
}

// labelRE finds the label in calibrate.Instruction's text.
var labelRE = regexp.MustCompile(`labelled (\d+)`)

// UITARS writes a UI-TARS-1.5 click, numbers rounded as a model writes them.
func UITARS(x, y float64) string {
	return fmt.Sprintf("Thought: The circle with that label is there; I click its centre.\nAction: click(start_box='(%.0f,%.0f)')", x, y)
}

// Handle answers one chat request; it is safe for concurrent use.
func (m *Model) Handle(req *api.ChatRequest) ollamatest.Reply {
	label, img, ok := request(req)
	if !ok {
		return ollamatest.Reply{Content: "Thought: I cannot tell what to click.\nAction: wait()"}
	}
	spots, size, err := m.find(img)
	if err != nil {
		return ollamatest.Reply{Content: "Thought: The image is broken: " + err.Error() + "\nAction: wait()"}
	}
	s, ok := spots[label]
	if !ok {
		return ollamatest.Reply{Content: fmt.Sprintf("Thought: I see no circle labelled %d.\nAction: wait()", label)}
	}
	x, y := s.X, s.Y
	if m.Distort != nil {
		x, y = m.Distort(x, y, size)
	}
	if m.Convention == perception.Relative1000 {
		// The pixel's centre as a fraction of the image, as a model that reads
		// 0..1000 means it.
		x, y = (x+0.5)*1000/float64(size.X), (y+0.5)*1000/float64(size.Y)
	}
	format := m.Format
	if format == nil {
		format = UITARS
	}
	return ollamatest.Reply{Content: format(x, y)}
}

// request returns the label asked for and the newest image of req.
func request(req *api.ChatRequest) (label int, img []byte, ok bool) {
	for _, msg := range req.Messages {
		if sm := labelRE.FindStringSubmatch(msg.Content); sm != nil {
			label, _ = strconv.Atoi(sm[1])
		}
		for _, im := range msg.Images {
			img = im
		}
	}
	return label, img, label > 0 && img != nil
}

// find locates every target in an encoded image, once per distinct image.
func (m *Model) find(data []byte) (map[int]calibrate.Spot, image.Point, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, image.Point{}, err
	}
	size := image.Pt(cfg.Width, cfg.Height)
	key := sha256.Sum256(data)
	m.mu.Lock()
	spots, ok := m.cache[key]
	m.mu.Unlock()
	if ok {
		return spots, size, nil
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, size, err
	}
	b, err := calibrate.NewBoard(size)
	if err != nil {
		return nil, size, err
	}
	spots = b.Find(img)
	m.mu.Lock()
	if m.cache == nil {
		m.cache = map[[32]byte]map[int]calibrate.Spot{}
	}
	m.cache[key] = spots
	m.mu.Unlock()
	return spots, size, nil
}
