package ollamatest_test

import (
	"context"
	"testing"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/deskhand/deskhand/planner/ollamatest"
)

func TestPromptRequestsLeaveLoadsOut(t *testing.T) {
	srv := ollamatest.NewServer(ollamatest.Model{Name: "m", Capabilities: []string{"completion", "vision"}})
	defer srv.Close()
	srv.Script(ollamatest.Reply{Content: "hi"})
	c := srv.Client()
	ctx := context.Background()
	noop := func(api.ChatResponse) error { return nil }
	if err := c.Chat(ctx, &api.ChatRequest{Model: "m"}, noop); err != nil {
		t.Fatal(err)
	}
	if err := c.Chat(ctx, &api.ChatRequest{Model: "m", Messages: []api.Message{{Role: "user", Content: "hello"}}}, noop); err != nil {
		t.Fatal(err)
	}
	if err := c.Chat(ctx, &api.ChatRequest{Model: "m", KeepAlive: &api.Duration{}}, noop); err != nil {
		t.Fatal(err)
	}
	if !srv.WaitPromptRequests(1, time.Second) {
		t.Fatal("the prompt request was not seen")
	}
	all, prompts := srv.ChatRequests(), srv.PromptRequests()
	if len(all) != 3 || len(prompts) != 1 || prompts[0].Chat.Messages[0].Content != "hello" {
		t.Errorf("%d chat requests, %d prompt requests %+v; want 3 and the one with a message", len(all), len(prompts), prompts)
	}
	if !all[0].IsLoad() || all[1].IsLoad() || !all[2].IsLoad() {
		t.Errorf("IsLoad wrong: %v %v %v", all[0].IsLoad(), all[1].IsLoad(), all[2].IsLoad())
	}
}
