package ollamatest

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/ollama/ollama/api"
)

// Remote is the model registry as /api/pull sees it. Without one (the
// default) the machine is offline: every pull streams "pulling manifest" and
// then the error Ollama streams when registry.ollama.ai cannot be resolved.
type Remote struct {
	// Models can be pulled: the pull streams progress like Ollama ("pulling
	// manifest", "pulling <digest>" with Total/Completed, "verifying sha256
	// digest", "writing manifest", "success") and then installs the model.
	// Pulling any other name fails with "pull model manifest: file does not
	// exist", as Ollama does when the registry answers 404.
	Models []Model
	// Steps is the number of progress lines per layer; 0 means 4.
	Steps int
	// StepDelay waits before each progress line after the first.
	StepDelay time.Duration
	// Error, when set, fails every pull of an offered model with this error
	// line after the first layer's progress (e.g. a lost connection).
	Error string
}

// SetRemote sets the registry /api/pull talks to; nil makes the machine
// offline again. The server keeps its own copy.
func (s *Server) SetRemote(r *Remote) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r == nil {
		s.remote = nil
		return
	}
	c := *r
	c.Models = append([]Model(nil), r.Models...)
	s.remote = &c
}

// OfflineError is the error Ollama v0.17.4 streams for a pull of modelName
// when registry.ollama.ai (or the name's host) cannot be resolved.
func OfflineError(modelName string) string {
	n, _ := parseName(modelName)
	return fmt.Sprintf("pull model manifest: Get %q: dial tcp: lookup %s: no such host",
		"https://"+n.Host+"/v2/"+n.Namespace+"/"+n.Model+"/manifests/"+n.Tag, n.Host)
}

// pull answers POST /api/pull, following PullHandler and PullModel.
func (s *Server) pull(ctx context.Context, w *recorder, body []byte) error {
	var req api.PullRequest
	if msg := decodeBody(body, &req); msg != "" {
		return writeError(w, http.StatusBadRequest, msg)
	}
	nameStr := cmp.Or(req.Model, req.Name)
	n, ok := parseName(nameStr)
	if !ok {
		return writeError(w, http.StatusBadRequest, "invalid model name")
	}
	stream := req.Stream == nil || *req.Stream

	s.mu.Lock()
	var remote *Remote
	var model *Model
	if s.remote != nil {
		r := *s.remote
		remote = &r
		for i := range r.Models {
			if sameName(r.Models[i].Name, n) {
				m := r.Models[i]
				model = &m
			}
		}
	}
	s.mu.Unlock()

	// Not streamed, Ollama keeps the last progress and answers it, or the
	// error with 500.
	var last api.ProgressResponse
	sent := 0
	progress := func(p api.ProgressResponse) error {
		if sent > 0 && remote != nil {
			if err := s.sleep(ctx, remote.StepDelay); err != nil {
				return err
			}
		}
		sent++
		last = p
		if !stream {
			return nil
		}
		return writeLine(w, p)
	}
	fail := func(msg string) error {
		if !stream || !w.written() {
			return writeError(w, http.StatusInternalServerError, msg)
		}
		return writeLine(w, map[string]string{"error": msg})
	}

	if err := progress(api.ProgressResponse{Status: "pulling manifest"}); err != nil {
		return err
	}
	switch {
	case remote == nil:
		return fail(OfflineError(nameStr))
	case model == nil:
		return fail("pull model manifest: file does not exist")
	}

	steps := remote.Steps
	if steps <= 0 {
		steps = 4
	}
	size := model.Size
	if size <= 0 {
		size = 1 << 20
	}
	layers := []struct {
		digest string
		size   int64
	}{
		{"sha256:" + digest("model:"+n.String()), size},
		{"sha256:" + digest("template:"+n.String()), 1479},
	}
	for i, l := range layers {
		for k := 1; k <= steps; k++ {
			p := api.ProgressResponse{
				Status:    "pulling " + l.digest[7:19],
				Digest:    l.digest,
				Total:     l.size,
				Completed: l.size * int64(k) / int64(steps),
			}
			if err := progress(p); err != nil {
				return err
			}
		}
		if i == 0 && remote.Error != "" {
			return fail(remote.Error)
		}
	}
	for _, st := range []string{"verifying sha256 digest", "writing manifest"} {
		if err := progress(api.ProgressResponse{Status: st}); err != nil {
			return err
		}
	}
	m := *model
	m.ModifiedAt = time.Now()
	s.Install(m)
	if err := progress(api.ProgressResponse{Status: "success"}); err != nil {
		return err
	}
	if !stream {
		return writeJSON(w, http.StatusOK, last)
	}
	return nil
}
