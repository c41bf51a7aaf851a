// Package ollamatest owns a fake Ollama server for tests, in the spirit of
// net/http/httptest: a real HTTP server on 127.0.0.1 that speaks the parts of
// Ollama's API (v0.17.4) that deskhand uses, answers chat requests from a script,
// and records every request it receives.
//
// It is a genuine server on loopback, so it serves an *api.Client in the same
// process as well as a deskhand binary started with OLLAMA_HOST=srv.URL.
//
// Endpoints: HEAD|GET / (heartbeat), HEAD|GET /api/version, HEAD|GET /api/tags,
// POST /api/show, POST /api/chat and POST /api/pull. Anything else answers
// 404 "404 page not found", as Ollama's router does. Status codes and error
// texts follow server/routes.go at v0.17.4:
//
//   - an unknown model: 404 {"error":"model 'X' not found"} (show and chat);
//   - tools to a model without the "tools" capability: 400
//     {"error":"registry.ollama.ai/library/X:tag does not support tools"};
//   - think to a model without "thinking": 400 {"error":"\"X\" does not support thinking"};
//   - a model without "completion": 400 {"error":"\"X\" does not support chat"};
//   - chat with no messages: a load reply (done_reason "load"), or "unload" with keep_alive 0;
//   - pull, by default: a "pulling manifest" line then the error line Ollama
//     streams when the registry cannot be resolved (see [Server.SetRemote]).
//
// Chat replies come from [Server.Script] (one reply per request, in order), then
// from the function given to [Server.Handle]; when both are exhausted the server
// answers 500 so the test fails loudly. Model loads, unloads and the capability
// errors above are answered by the server itself and consume no reply.
package ollamatest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // ImageSizes decodes JPEG screenshots
	_ "image/png"  // and PNG ones
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ollama/ollama/api"
)

// DefaultVersion is what GET /api/version reports unless [Server.SetVersion] changes it.
const DefaultVersion = "0.17.4"

// Model describes an installed model.
type Model struct {
	// Name as given to ollama pull, e.g. "uitars15:7b" or "qwen2.5vl:7b". A name
	// without a tag means ":latest"; names match case-insensitively, as in Ollama.
	Name string
	// Capabilities reported by /api/show and enforced by /api/chat:
	// "completion", "vision", "tools", "thinking" (also "insert", "embedding").
	Capabilities []string
	// Architecture is model_info["general.architecture"], e.g. "qwen25vl", "qwen3vl".
	Architecture string
	// Family is details.family; empty means Architecture.
	Family string
	// ParameterSize ("8.3B") and QuantizationLevel ("Q4_K_M") go in details.
	ParameterSize     string
	QuantizationLevel string
	// Size in bytes, as /api/tags reports it (and the download size for pulls).
	Size int64
	// ContextLength, when > 0, is model_info["<arch>.context_length"].
	ContextLength int
	// ModelInfo holds extra model_info keys (e.g. "qwen25vl.vision.patch_size");
	// they override the generated ones.
	ModelInfo map[string]any
	// Renderer and Parser, when set, appear as RENDERER/PARSER lines in the
	// generated Modelfile, as for Ollama's built-in renderers (qwen3-vl-instruct …).
	Renderer string
	Parser   string
	// Template is the show response's template; empty means "{{ .Prompt }}".
	Template string
	// Modelfile, when set, replaces the generated Modelfile text.
	Modelfile string
	// ModifiedAt defaults to the time the model was installed in the server.
	ModifiedAt time.Time
}

// Request is one HTTP request the server received. Its slices and the decoded
// Chat are shared between copies and must not be modified.
type Request struct {
	Method string
	Path   string
	Time   time.Time // when the request arrived
	End    time.Time // when the server finished answering; zero while in flight
	Body   []byte    // the raw request body
	// Chat is the decoded body of a /api/chat request; nil for other paths and
	// for bodies that do not decode as an api.ChatRequest.
	Chat *api.ChatRequest
	// Status is the HTTP status the server answered (0 while in flight, or when
	// the request ended before any byte was written).
	Status int
	// Cancelled reports that the client went away (its context was cancelled or
	// the connection closed) before the reply was finished.
	Cancelled bool
}

// Images returns the images of every message of a chat request, in order.
func (r Request) Images() [][]byte {
	if r.Chat == nil {
		return nil
	}
	var out [][]byte
	for _, m := range r.Chat.Messages {
		for _, img := range m.Images {
			out = append(out, img)
		}
	}
	return out
}

// ImageSizes returns the size of every image of a chat request, in message
// order, decoded with image.DecodeConfig (PNG and JPEG are registered). An image
// that does not decode has size (0,0).
func (r Request) ImageSizes() []image.Point {
	imgs := r.Images()
	if imgs == nil {
		return nil
	}
	out := make([]image.Point, len(imgs))
	for i, img := range imgs {
		cfg, _, err := image.DecodeConfig(bytes.NewReader(img))
		if err == nil {
			out[i] = image.Pt(cfg.Width, cfg.Height)
		}
	}
	return out
}

// Server is a fake Ollama server listening on 127.0.0.1. Its methods are safe
// for concurrent use.
type Server struct {
	// URL is the base URL, "http://127.0.0.1:port", suitable for OLLAMA_HOST.
	URL string

	listener  net.Listener
	http      *http.Server
	transport *http.Transport
	serveDone chan struct{}
	done      chan struct{} // closed by Close: every handler returns
	closeOnce sync.Once
	handlers  sync.WaitGroup

	mu       sync.Mutex
	version  string
	models   []Model
	script   []Reply
	handle   func(*api.ChatRequest) Reply
	remote   *Remote
	requests []*Request
	chats    int // chat requests that asked for a reply (numbering for errors)
	callIDs  int
	changed  chan struct{} // closed and replaced whenever requests change
	closed   bool
}

// NewServer starts a fake Ollama on a free loopback port with models installed.
// It panics if it cannot listen, like httptest.NewServer. Call Close when done.
func NewServer(models ...Model) *Server {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(fmt.Sprintf("ollamatest: failed to listen on a port: %v", err))
	}
	s := &Server{
		URL:       "http://" + ln.Addr().String(),
		listener:  ln,
		transport: &http.Transport{Proxy: nil, DisableCompression: true},
		serveDone: make(chan struct{}),
		done:      make(chan struct{}),
		version:   DefaultVersion,
		changed:   make(chan struct{}),
	}
	s.Install(models...)
	s.http = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(s.serveDone)
		_ = s.http.Serve(ln)
	}()
	return s
}

// Client returns an *api.Client for the server. Its transport is closed by Close.
func (s *Server) Client() *api.Client {
	u, err := url.Parse(s.URL)
	if err != nil {
		panic(err)
	}
	return api.NewClient(u, &http.Client{Transport: s.transport})
}

// Close stops the server. Handlers still running, including hung ones, return
// at once: a reply in progress is aborted (the client sees its connection
// close). Close blocks until every handler has returned. It is safe to call
// more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		close(s.done)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.http.Shutdown(ctx); err != nil {
			_ = s.http.Close()
		}
		<-s.serveDone
		s.handlers.Wait()
		s.transport.CloseIdleConnections()
	})
}

// SetVersion sets what /api/version reports.
func (s *Server) SetVersion(v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.version = v
}

// Install adds models, or replaces installed models of the same name.
func (s *Server) Install(models ...Model) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range models {
		s.installLocked(m)
	}
}

func (s *Server) installLocked(m Model) {
	n, ok := parseName(m.Name)
	if !ok {
		panic(fmt.Sprintf("ollamatest: invalid model name %q", m.Name))
	}
	if m.ModifiedAt.IsZero() {
		m.ModifiedAt = time.Now()
	}
	m.Capabilities = slices.Clone(m.Capabilities)
	m.ModelInfo = maps.Clone(m.ModelInfo)
	s.models = slices.DeleteFunc(s.models, func(x Model) bool { return sameName(x.Name, n) })
	s.models = append(s.models, m)
}

// Remove uninstalls the named models.
func (s *Server) Remove(names ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, name := range names {
		if n, ok := parseName(name); ok {
			s.models = slices.DeleteFunc(s.models, func(x Model) bool { return sameName(x.Name, n) })
		}
	}
}

// Models returns the installed models.
func (s *Server) Models() []Model {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.models)
}

// lookup returns the installed model named name and its canonical full name.
func (s *Server) lookup(name string) (Model, name, bool) {
	n, ok := parseName(name)
	if !ok {
		return Model{}, n, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.models {
		if sameName(m.Name, n) {
			mn, _ := parseName(m.Name)
			return m, mn, true
		}
	}
	return Model{}, n, false
}

// Requests returns a copy of every request received so far, in arrival order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requestsLocked()
}

func (s *Server) requestsLocked() []Request {
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		out[i] = *r
	}
	return out
}

// ChatRequests returns the requests to /api/chat.
func (s *Server) ChatRequests() []Request {
	return chatOnly(s.Requests())
}

func chatOnly(rs []Request) []Request {
	var out []Request
	for _, r := range rs {
		if r.Path == "/api/chat" {
			out = append(out, r)
		}
	}
	return out
}

// Wait calls cond with the requests received so far, again after every
// change (a request arriving or finishing), until it returns true, and
// reports whether it did within timeout.
func (s *Server) Wait(timeout time.Duration, cond func([]Request) bool) bool {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		s.mu.Lock()
		ok := cond(s.requestsLocked())
		ch := s.changed
		s.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ch:
		case <-timer.C:
			return cond(s.Requests())
		}
	}
}

// WaitChatRequests waits until at least n chat requests have arrived (the last
// may still be in flight), and reports whether they did within timeout.
func (s *Server) WaitChatRequests(n int, timeout time.Duration) bool {
	return s.Wait(timeout, func(rs []Request) bool { return len(chatOnly(rs)) >= n })
}

// WaitCancelled waits until a chat request has been cancelled by its client,
// and reports whether one was within timeout.
func (s *Server) WaitCancelled(timeout time.Duration) bool {
	return s.Wait(timeout, func(rs []Request) bool {
		return slices.ContainsFunc(chatOnly(rs), func(r Request) bool { return r.Cancelled })
	})
}

// update changes a recorded request under the lock and wakes waiters.
func (s *Server) update(r *Request, f func(*Request)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(r)
	close(s.changed)
	s.changed = make(chan struct{})
}

// errClientGone and errServerClosed end a handler early.
var (
	errClientGone   = errors.New("client went away")
	errServerClosed = errors.New("server closed")
)

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		http.Error(w, "ollamatest: server closed", http.StatusServiceUnavailable)
		return
	}
	s.handlers.Add(1)
	s.mu.Unlock()
	defer s.handlers.Done()

	body, _ := io.ReadAll(r.Body)
	rec := &Request{Method: r.Method, Path: r.URL.Path, Time: time.Now(), Body: body}
	if rec.Path == "/api/chat" && r.Method == http.MethodPost {
		var req api.ChatRequest
		if json.Unmarshal(body, &req) == nil {
			rec.Chat = &req
		}
	}
	s.mu.Lock()
	s.requests = append(s.requests, rec)
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()

	rw := &recorder{ResponseWriter: w}
	var err error
	defer func() {
		s.update(rec, func(q *Request) {
			q.End = time.Now()
			q.Status = rw.status
			if errors.Is(err, errClientGone) || r.Context().Err() != nil {
				q.Cancelled = true
			}
		})
		if errors.Is(err, errServerClosed) {
			// Like a server going down: drop the connection mid-reply.
			panic(http.ErrAbortHandler)
		}
	}()

	switch {
	case r.URL.Path == "/" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
		rw.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			_, _ = io.WriteString(rw, "Ollama is running")
		}
	case r.URL.Path == "/api/version" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		s.mu.Lock()
		v := s.version
		s.mu.Unlock()
		writeJSON(rw, http.StatusOK, map[string]string{"version": v})
	case r.URL.Path == "/api/tags" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		writeJSON(rw, http.StatusOK, s.list())
	case r.URL.Path == "/api/show" && r.Method == http.MethodPost:
		s.show(rw, body)
	case r.URL.Path == "/api/chat" && r.Method == http.MethodPost:
		err = s.chat(r.Context(), rw, body, rec)
	case r.URL.Path == "/api/pull" && r.Method == http.MethodPost:
		err = s.pull(r.Context(), rw, body)
	default:
		// gin's answer to an unknown route.
		rw.Header().Set("Content-Type", "text/plain")
		rw.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(rw, "404 page not found")
	}
}

// recorder remembers the status written and flushes after every write.
type recorder struct {
	http.ResponseWriter
	status int
}

func (w *recorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	if err != nil {
		return n, fmt.Errorf("%w: %v", errClientGone, err)
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
	return n, nil
}

func (w *recorder) written() bool { return w.status != 0 }

// writeJSON answers like gin's c.JSON.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"ollamatest: `+err.Error()+`"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, err = w.Write(b)
	return err
}

// writeError answers {"error": msg} with status.
func writeError(w http.ResponseWriter, status int, msg string) error {
	return writeJSON(w, status, map[string]string{"error": msg})
}

// writeLine writes v as one NDJSON line.
func writeLine(w http.ResponseWriter, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/x-ndjson")
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// sleep waits d, or until the client goes away or the server closes.
func (s *Server) sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		select {
		case <-ctx.Done():
			return errClientGone
		case <-s.done:
			return errServerClosed
		default:
			return nil
		}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return errClientGone
	case <-s.done:
		return errServerClosed
	}
}

// hang waits until the client goes away or the server closes.
func (s *Server) hang(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return errClientGone
	case <-s.done:
		return errServerClosed
	}
}

// decodeBody decodes body into v like gin's ShouldBindJSON and returns the
// error message Ollama answers with 400, or "".
func decodeBody(body []byte, v any) string {
	err := json.NewDecoder(bytes.NewReader(body)).Decode(v)
	switch {
	case errors.Is(err, io.EOF):
		return "missing request body"
	case err != nil:
		return err.Error()
	}
	return ""
}

func (s *Server) list() api.ListResponse {
	s.mu.Lock()
	models := slices.Clone(s.models)
	s.mu.Unlock()
	// most recently modified first, like Ollama
	slices.SortStableFunc(models, func(a, b Model) int { return b.ModifiedAt.Compare(a.ModifiedAt) })
	out := api.ListResponse{Models: []api.ListModelResponse{}}
	for _, m := range models {
		n, _ := parseName(m.Name)
		out.Models = append(out.Models, api.ListModelResponse{
			Name:       n.DisplayShortest(),
			Model:      n.DisplayShortest(),
			ModifiedAt: m.ModifiedAt,
			Size:       m.Size,
			Digest:     digest(n.String()),
			Details:    m.details(),
		})
	}
	return out
}

func (m Model) details() api.ModelDetails {
	fam := m.Family
	if fam == "" {
		fam = m.Architecture
	}
	d := api.ModelDetails{
		Format:            "gguf",
		Family:            fam,
		ParameterSize:     m.ParameterSize,
		QuantizationLevel: m.QuantizationLevel,
	}
	if fam != "" {
		d.Families = []string{fam}
	}
	return d
}

func (s *Server) show(w http.ResponseWriter, body []byte) error {
	var req api.ShowRequest
	if msg := decodeBody(body, &req); msg != "" {
		return writeError(w, http.StatusBadRequest, msg)
	}
	if req.Model == "" {
		req.Model = req.Name
	}
	if req.Model == "" {
		return writeError(w, http.StatusBadRequest, "model is required")
	}
	if _, ok := parseName(req.Model); !ok {
		return writeError(w, http.StatusBadRequest, "invalid model name")
	}
	m, n, ok := s.lookup(req.Model)
	if !ok {
		return writeError(w, http.StatusNotFound, fmt.Sprintf("model '%s' not found", req.Model))
	}

	info := map[string]any{}
	if m.Architecture != "" {
		info["general.architecture"] = m.Architecture
		if m.ContextLength > 0 {
			info[m.Architecture+".context_length"] = m.ContextLength
		}
	}
	maps.Copy(info, m.ModelInfo)

	tmpl := m.Template
	if tmpl == "" {
		tmpl = "{{ .Prompt }}"
	}
	resp := api.ShowResponse{
		Modelfile:  m.modelfile(n, tmpl),
		Template:   tmpl,
		Details:    m.details(),
		ModelInfo:  info,
		ModifiedAt: m.ModifiedAt,
	}
	if req.System != "" {
		resp.System = req.System
	}
	// Capabilities is []model.Capability (a string type); fill it through JSON
	// so this package needs nothing but the api package.
	if len(m.Capabilities) > 0 {
		b, _ := json.Marshal(m.Capabilities)
		_ = json.Unmarshal(b, &resp.Capabilities)
	}
	return writeJSON(w, http.StatusOK, resp)
}

// modelfile renders the Modelfile text the way "ollama show --modelfile" does.
func (m Model) modelfile(n name, tmpl string) string {
	if m.Modelfile != "" {
		return m.Modelfile
	}
	var sb strings.Builder
	fmt.Fprintln(&sb, `# Modelfile generated by "ollama show"`)
	fmt.Fprintln(&sb, "# To build a new Modelfile based on this, replace FROM with:")
	fmt.Fprintf(&sb, "# FROM %s\n\n", n.DisplayShortest())
	fmt.Fprintf(&sb, "FROM /root/.ollama/models/blobs/sha256-%s\n", digest("model:"+n.String()))
	fmt.Fprintf(&sb, "TEMPLATE %s\n", quote(tmpl))
	if m.Renderer != "" {
		fmt.Fprintf(&sb, "RENDERER %s\n", quote(m.Renderer))
	}
	if m.Parser != "" {
		fmt.Fprintf(&sb, "PARSER %s\n", quote(m.Parser))
	}
	return sb.String()
}

// quote is parser.quote at v0.17.4.
func quote(s string) string {
	if strings.Contains(s, "\n") || strings.HasPrefix(s, " ") || strings.HasSuffix(s, " ") {
		if strings.Contains(s, `"`) {
			return `"""` + s + `"""`
		}
		return `"` + s + `"`
	}
	return s
}

// digest is a stable fake sha256 hex digest for s.
func digest(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// name is a model name split like Ollama's types/model.Name.
type name struct{ Host, Namespace, Model, Tag string }

const (
	defaultHost      = "registry.ollama.ai"
	defaultNamespace = "library"
	defaultTag       = "latest"
)

// parseName parses s like model.ParseName: [host/][namespace/]model[:tag],
// filling in the defaults. It reports false for names Ollama rejects.
func parseName(s string) (name, bool) {
	n := name{Host: defaultHost, Namespace: defaultNamespace, Tag: defaultTag}
	s = strings.TrimPrefix(strings.TrimPrefix(s, "https://"), "http://")
	if i := strings.LastIndex(s, ":"); i > strings.LastIndex(s, "/") {
		s, n.Tag = s[:i], s[i+1:]
	}
	parts := strings.Split(s, "/")
	switch len(parts) {
	case 1:
		n.Model = parts[0]
	case 2:
		n.Namespace, n.Model = parts[0], parts[1]
	case 3:
		n.Host, n.Namespace, n.Model = parts[0], parts[1], parts[2]
	default:
		return n, false
	}
	for _, p := range []string{n.Host, n.Namespace, n.Model, n.Tag} {
		if p == "" || strings.ContainsAny(p, " \t\n\"'\\") {
			return n, false
		}
	}
	return n, true
}

// sameName reports whether installed name s is n, ignoring case.
func sameName(s string, n name) bool {
	m, ok := parseName(s)
	return ok && strings.EqualFold(m.String(), n.String())
}

// String is the fully qualified name, host/namespace/model:tag.
func (n name) String() string { return n.Host + "/" + n.Namespace + "/" + n.Model + ":" + n.Tag }

// DisplayShortest is the name as ollama list shows it.
func (n name) DisplayShortest() string {
	switch {
	case !strings.EqualFold(n.Host, defaultHost):
		return n.Host + "/" + n.Namespace + "/" + n.Model + ":" + n.Tag
	case !strings.EqualFold(n.Namespace, defaultNamespace):
		return n.Namespace + "/" + n.Model + ":" + n.Tag
	}
	return n.Model + ":" + n.Tag
}
