package ollamatest

import "time"

// IsLoad reports whether r is a chat request without messages: a model load (a
// client's warm-up, done_reason "load") or unload, which the server answers
// without a reply from the script.
func (r Request) IsLoad() bool {
	return r.Path == "/api/chat" && r.Chat != nil && len(r.Chat.Messages) == 0
}

// PromptRequests returns the chat requests that carried messages, the ones a
// model answers: ChatRequests without loads and unloads.
func (s *Server) PromptRequests() []Request {
	return promptsOnly(s.Requests())
}

func promptsOnly(rs []Request) []Request {
	var out []Request
	for _, r := range chatOnly(rs) {
		if !r.IsLoad() {
			out = append(out, r)
		}
	}
	return out
}

// WaitPromptRequests waits until at least n prompt requests have arrived (the
// last may still be in flight), and reports whether they did within timeout.
func (s *Server) WaitPromptRequests(n int, timeout time.Duration) bool {
	return s.Wait(timeout, func(rs []Request) bool { return len(promptsOnly(rs)) >= n })
}
