package planner

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Trace records a run on disk as contracts.md §5 says: a folder run-YYYYMMDD-HHMMSS
// with trace.jsonl (one Event per line) and the exact image bytes sent to the model
// (step-NNN.png or .jpg). Every line is fsynced, so a killed process leaves a
// readable trace.
type Trace struct {
	Dir string // the run's folder

	mu   sync.Mutex
	f    *os.File
	err  error // the first write error; later events are dropped
	step int
}

// NewTrace creates a run folder under root.
func NewTrace(root string, now time.Time) (*Trace, error) {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("create trace folder: %w", err)
	}
	base := "run-" + now.Format("20060102-150405")
	dir := filepath.Join(root, base)
	for i := 2; ; i++ {
		err := os.Mkdir(dir, 0o755)
		if err == nil {
			break
		}
		if !errors.Is(err, os.ErrExist) || i > 100 {
			return nil, fmt.Errorf("create trace folder: %w", err)
		}
		dir = filepath.Join(root, fmt.Sprintf("%s-%d", base, i))
	}
	f, err := os.OpenFile(filepath.Join(dir, "trace.jsonl"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("create trace: %w", err)
	}
	return &Trace{Dir: dir, f: f}, nil
}

// Record writes one event. Deltas of streamed text are left out: the full reply
// follows in a model_replied event.
func (t *Trace) Record(e Event) {
	if e.Kind == ThinkingDelta || e.Kind == ContentDelta {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.err != nil || t.f == nil {
		return
	}
	line := struct {
		Event
		Image string `json:"image,omitempty"`
	}{Event: e}
	if e.Kind == FrameCaptured && e.Frame != nil && len(e.Frame.Data) > 0 {
		ext := ".png"
		if e.Frame.MIME == "image/jpeg" {
			ext = ".jpg"
		}
		line.Image = fmt.Sprintf("step-%03d%s", e.Step, ext)
		if err := writeSynced(filepath.Join(t.Dir, line.Image), e.Frame.Data); err != nil {
			t.err = err
			return
		}
	}
	b, err := json.Marshal(line)
	if err != nil {
		t.err = err
		return
	}
	if _, err := t.f.Write(append(b, '\n')); err != nil {
		t.err = err
		return
	}
	t.err = t.f.Sync()
}

// Close closes the trace and reports the first error met while writing it.
func (t *Trace) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.f == nil {
		return t.err
	}
	err := t.f.Close()
	t.f = nil
	return errors.Join(t.err, err)
}

func writeSynced(path string, data []byte) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
