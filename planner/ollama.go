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
		return fmt.Sprintf("none of your vision models (%s) has a deskhand adapter yet — import UI-TARS-1.5 (see README.md), or pass --model NAME --adapter uitars15 if one of them writes UI-TARS actions",
			strings.Join(e.Vision, ", "))
	}
	return "no vision model is installed in Ollama — import UI-TARS-1.5 (see README.md) or install one with `ollama pull NAME`, then pass it with --model"
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
}

// Has reports whether the model has capability c ("vision", "tools", "thinking").
func (m ModelInfo) Has(c string) bool { return slices.Contains(m.Capabilities, c) }

// CheckModel checks that Ollama runs and that model is installed and can see. With
// an empty model it picks the first installed vision model that usable accepts
// (nil accepts any). Errors are *OllamaDownError, *ModelMissingError,
// *NoVisionError or *NoModelError.
func CheckModel(ctx context.Context, c ModelClient, host string, model string, usable func(ModelInfo) bool) (ModelInfo, error) {
	if err := c.Heartbeat(ctx); err != nil {
		return ModelInfo{}, classify(err, host, model)
	}
	list, err := c.List(ctx)
	if err != nil {
		return ModelInfo{}, classify(err, host, model)
	}
	var vision []string
	infos := map[string]ModelInfo{}
	for _, m := range list.Models {
		info, err := show(ctx, c, m.Name)
		if err != nil {
			continue
		}
		infos[m.Name] = info
		if info.Has("vision") {
			vision = append(vision, m.Name)
		}
	}
	if model == "" {
		for _, name := range vision {
			if usable == nil || usable(infos[name]) {
				return infos[name], nil
			}
		}
		return ModelInfo{}, &NoModelError{Vision: vision}
	}
	info, ok := infos[model]
	if !ok {
		if info, err = show(ctx, c, model); err != nil {
			var se api.StatusError
			if errors.As(err, &se) && se.StatusCode == http.StatusNotFound {
				return ModelInfo{}, &ModelMissingError{Model: model, Installed: vision}
			}
			return ModelInfo{}, classify(err, host, model)
		}
	}
	if !info.Has("vision") {
		return ModelInfo{}, &NoVisionError{Model: model, Installed: vision}
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
	}
	return info, nil
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
