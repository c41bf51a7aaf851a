package planner

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/ollama/ollama/api"
)

// DefaultHost is where Ollama listens unless OLLAMA_HOST says otherwise.
const DefaultHost = "http://127.0.0.1:11434"

// OllamaDownError means nothing answered at the Ollama address.
type OllamaDownError struct {
	Host string
	Err  error
}

func (e *OllamaDownError) Error() string {
	return fmt.Sprintf("Ollama is not running at %s — start it with `ollama serve` (or set OLLAMA_HOST to where it runs)", e.Host)
}

func (e *OllamaDownError) Unwrap() error { return e.Err }

// ModelMissingError means the model is not installed in Ollama.
type ModelMissingError struct {
	Model     string
	Installed []string // installed models with vision, best first
}

func (e *ModelMissingError) Error() string {
	msg := fmt.Sprintf("model %q is not installed in Ollama — install it with `ollama pull %s`", e.Model, e.Model)
	if len(e.Installed) > 0 {
		msg += "; installed vision models: " + strings.Join(e.Installed, ", ")
	}
	return msg
}

// NoVisionError means the model cannot see images, so it cannot use a desktop.
type NoVisionError struct {
	Model     string
	Installed []string // installed models with vision
}

func (e *NoVisionError) Error() string {
	msg := fmt.Sprintf("model %q cannot see images (Ollama does not list the \"vision\" capability for it), so it cannot use the desktop", e.Model)
	if len(e.Installed) > 0 {
		return msg + "; use one of your vision models: " + strings.Join(e.Installed, ", ")
	}
	return msg + "; install a vision model deskhand supports (README.md, Models)"
}

// NoModelError means no model was named and no installed vision model can be used.
type NoModelError struct {
	Vision []string // installed vision models deskhand has no adapter for
}

func (e *NoModelError) Error() string {
	if len(e.Vision) > 0 {
		return fmt.Sprintf("none of your vision models (%s) can be driven by deskhand — pass --model NAME --adapter json to try one anyway, or install a GUI model with `ollama pull qwen3-vl:8b-instruct` (README.md, Models, lists others)",
			strings.Join(e.Vision, ", "))
	}
	return "no vision model is installed in Ollama — install one with `ollama pull qwen3-vl:8b-instruct` (README.md, Models, lists others), then pass it with --model"
}

// RemoteHostError refuses to send screenshots to another machine without consent.
type RemoteHostError struct{ Host string }

func (e *RemoteHostError) Error() string {
	return fmt.Sprintf("OLLAMA_HOST %s is not this machine: screenshots of your desktop would leave it — pass --allow-remote-model if you mean it", e.Host)
}

// HostFromEnv returns the Ollama base URL the Ollama way: OLLAMA_HOST, with the
// scheme, host and port defaulted ("0.0.0.0" and ":11434" are valid values).
func HostFromEnv() (*url.URL, error) {
	return ParseHost(os.Getenv("OLLAMA_HOST"))
}

// ParseHost parses an OLLAMA_HOST value.
func ParseHost(s string) (*url.URL, error) {
	s = strings.TrimSpace(strings.Trim(strings.TrimSpace(s), `"'`))
	if s == "" {
		return url.Parse(DefaultHost)
	}
	scheme := "http"
	if i := strings.Index(s, "://"); i >= 0 {
		scheme, s = s[:i], s[i+3:]
	}
	host, path, _ := strings.Cut(s, "/")
	port := "11434"
	if scheme == "https" {
		port = "443"
	}
	if h, p, err := net.SplitHostPort(host); err == nil {
		host, port = h, p
	} else if strings.HasPrefix(host, ":") {
		host, port = "", host[1:]
	}
	if host == "" {
		host = "127.0.0.1"
	}
	u := &url.URL{Scheme: scheme, Host: net.JoinHostPort(host, port)}
	if path != "" {
		u.Path = "/" + path
	}
	if _, err := url.Parse(u.String()); err != nil {
		return nil, fmt.Errorf("OLLAMA_HOST %q is not a valid address: %w", s, err)
	}
	return u, nil
}

// IsLoopback reports whether u points at this machine.
func IsLoopback(u *url.URL) bool {
	h := u.Hostname()
	if strings.EqualFold(h, "localhost") || strings.HasSuffix(strings.ToLower(h), ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && (ip.IsLoopback() || ip.IsUnspecified())
}

// ModelClient is the part of *api.Client used to check the model before a run.
type ModelClient interface {
	Heartbeat(ctx context.Context) error
	List(ctx context.Context) (*api.ListResponse, error)
	Show(ctx context.Context, req *api.ShowRequest) (*api.ShowResponse, error)
}

// ModelInfo is what deskhand knows about a model before a run.
type ModelInfo struct {
	Name         string
	Capabilities []string
	Architecture string
	Family       string
	// ContextLength is the context the model was trained for
	// (model_info["<arch>.context_length"]); 0 when Ollama does not say.
	ContextLength int
}

// Has reports whether the model has capability c ("vision", "tools", "thinking").
func (m ModelInfo) Has(c string) bool { return slices.Contains(m.Capabilities, c) }

// CheckModel checks that Ollama runs and that model is installed and can see. With
// an empty model it picks the first model rank returns: rank gets every installed
// model and returns those deskhand can drive, best first (nil keeps the vision
// models in Ollama's order). Errors are *OllamaDownError, *ModelMissingError,
// *NoVisionError or *NoModelError, and name the usable models best first.
func CheckModel(ctx context.Context, c ModelClient, host string, model string, rank func([]ModelInfo) []ModelInfo) (ModelInfo, error) {
	if err := c.Heartbeat(ctx); err != nil {
		return ModelInfo{}, classify(err, host, model)
	}
	list, err := c.List(ctx)
	if err != nil {
		return ModelInfo{}, classify(err, host, model)
	}
	var vision []string
	var all, usable []ModelInfo
	infos := map[string]ModelInfo{}
	for _, m := range list.Models {
		info, err := show(ctx, c, m.Name)
		if err != nil {
			continue
		}
		infos[m.Name] = info
		all = append(all, info)
		if info.Has("vision") {
			vision = append(vision, m.Name)
			usable = append(usable, info)
		}
	}
	if rank != nil {
		usable = rank(all)
	}
	var names []string // best first, for the errors
	for _, u := range usable {
		names = append(names, u.Name)
	}
	if model == "" {
		if len(usable) > 0 {
			return usable[0], nil
		}
		return ModelInfo{}, &NoModelError{Vision: vision}
	}
	info, ok := infos[model]
	if !ok {
		if info, err = show(ctx, c, model); err != nil {
			var se api.StatusError
			if errors.As(err, &se) && se.StatusCode == http.StatusNotFound {
				return ModelInfo{}, &ModelMissingError{Model: model, Installed: names}
			}
			return ModelInfo{}, classify(err, host, model)
		}
	}
	if !info.Has("vision") {
		return ModelInfo{}, &NoVisionError{Model: model, Installed: names}
	}
	return info, nil
}

func show(ctx context.Context, c ModelClient, name string) (ModelInfo, error) {
	resp, err := c.Show(ctx, &api.ShowRequest{Model: name})
	if err != nil {
		return ModelInfo{}, err
	}
	info := ModelInfo{Name: name, Family: resp.Details.Family}
	for _, cap := range resp.Capabilities {
		info.Capabilities = append(info.Capabilities, string(cap))
	}
	if a, ok := resp.ModelInfo["general.architecture"].(string); ok {
		info.Architecture = a
		info.ContextLength = intOf(resp.ModelInfo[a+".context_length"])
	}
	return info, nil
}

// intOf reads a model_info number: JSON decodes it as float64, a hand-built
// response may hold any integer type.
func intOf(v any) int {
	switch n := v.(type) {
	case float64:
		return int(n)
	case int:
		return n
	case int64:
		return int(n)
	case uint32:
		return int(n)
	case uint64:
		return int(n)
	}
	return 0
}

// classify turns a transport or status error into one the user can act on.
func classify(err error, host, model string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var se api.StatusError
	if errors.As(err, &se) && se.StatusCode == http.StatusNotFound && model != "" &&
		strings.Contains(se.ErrorMessage, "not found") {
		return &ModelMissingError{Model: model}
	}
	if errors.As(err, &se) && se.StatusCode == http.StatusBadRequest && strings.Contains(se.ErrorMessage, "does not support") {
		ce := &CapabilityError{Model: model, Message: se.ErrorMessage}
		for _, c := range []string{"tools", "thinking", "chat"} {
			if strings.HasSuffix(strings.TrimSpace(se.ErrorMessage), "does not support "+c) {
				ce.Capability = c
			}
		}
		return ce
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return &OllamaDownError{Host: host, Err: err}
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return &OllamaDownError{Host: host, Err: err}
	}
	return fmt.Errorf("ollama at %s: %w", host, err)
}

// Puller is the part of *api.Client that downloads models.
type Puller interface {
	Pull(ctx context.Context, req *api.PullRequest, fn api.PullProgressFunc) error
}

// PullProgress is one step of a download, as Ollama reports it: "pulling
// manifest", then "pulling <digest>" for each layer with its byte counts, then
// "verifying sha256 digest", "writing manifest" and "success".
type PullProgress struct {
	Status    string `json:"status"`
	Digest    string `json:"digest,omitempty"`
	Total     int64  `json:"total,omitempty"`     // bytes of the layer being pulled
	Completed int64  `json:"completed,omitempty"` // bytes of it done so far
}

// Fraction is how much of the current layer is done, from 0 to 1, or -1 when the
// step has no size (the manifest, the checks).
func (p PullProgress) Fraction() float64 {
	if p.Total <= 0 {
		return -1
	}
	return min(1, float64(p.Completed)/float64(p.Total))
}

// PullError means a model could not be downloaded.
type PullError struct {
	Model string
	// Offline: the registry could not be reached. NotFound: the registry has no
	// model of that name.
	Offline, NotFound bool
	Err               error
}

func (e *PullError) Error() string {
	switch {
	case e.Offline:
		return fmt.Sprintf("could not download %s: this machine cannot reach the Ollama registry — connect to the internet and try again (a cancelled download resumes where it stopped)", e.Model)
	case e.NotFound:
		return fmt.Sprintf("could not download %s: the Ollama library has no model of that name — check the name and tag on https://ollama.com/library", e.Model)
	}
	return fmt.Sprintf("could not download %s: %v — try again (the download resumes), or run `ollama pull %s` to see Ollama's own messages", e.Model, e.Err, e.Model)
}

func (e *PullError) Unwrap() error { return e.Err }

// Pull downloads model into Ollama, calling progress (if not nil) for every step
// Ollama reports. It returns nil once Ollama reports success; the model is then
// installed. Cancelling ctx stops the download, and a later Pull resumes it.
// Errors are *OllamaDownError, *PullError, or ctx's cause.
func Pull(ctx context.Context, c Puller, host, model string, progress func(PullProgress)) error {
	done := false
	err := c.Pull(ctx, &api.PullRequest{Model: model}, func(p api.ProgressResponse) error {
		done = p.Status == "success"
		if progress != nil {
			progress(PullProgress{Status: p.Status, Digest: p.Digest, Total: p.Total, Completed: p.Completed})
		}
		return nil
	})
	switch {
	case ctx.Err() != nil:
		return context.Cause(ctx)
	case err == nil && !done:
		return &PullError{Model: model, Err: errors.New("the download ended before Ollama reported success")}
	case err == nil:
		return nil
	}
	if down := classify(err, host, ""); errors.As(down, new(*OllamaDownError)) {
		return down
	}
	msg := err.Error()
	var se api.StatusError
	if errors.As(err, &se) {
		msg = se.ErrorMessage
	}
	pe := &PullError{Model: model, Err: err}
	switch {
	case strings.Contains(msg, "file does not exist") || strings.Contains(msg, "not found"):
		pe.NotFound = true
	case strings.Contains(msg, "no such host") || strings.Contains(msg, "dial tcp") ||
		strings.Contains(msg, "network is unreachable") || strings.Contains(msg, "i/o timeout"):
		pe.Offline = true
	}
	return pe
}
