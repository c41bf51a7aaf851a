package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/deskhand/deskhand/actuation"
	"github.com/deskhand/deskhand/planner"
)

func TestTerminalApprover(t *testing.T) {
	click := actuation.Action{Type: actuation.Click, X: actuation.Int(10), Y: actuation.Int(20), Button: "left", Clicks: 1}
	typ := actuation.Action{Type: actuation.TypeText, Text: "hello\n"}
	tests := []struct {
		name   string
		action actuation.Action
		input  string
		want   planner.Approval
	}{
		{"yes", click, "y\n", planner.Approval{Verdict: planner.Approve}},
		{"yes word", click, "YES\n", planner.Approval{Verdict: planner.Approve}},
		{"skip with reason", click, "n\nwrong button\n", planner.Approval{Verdict: planner.Skip, Reason: "wrong button"}},
		{"quit", click, "q\n", planner.Approval{Verdict: planner.Quit}},
		{"end of input quits", click, "", planner.Approval{Verdict: planner.Quit, Reason: "end of input"}},
		{"unknown answer asks again", click, "maybe\ny\n", planner.Approval{Verdict: planner.Approve}},
		{"edit point", click, "e\n30, 40\n", planner.Approval{Verdict: planner.Edit,
			Action: actuation.Action{Type: actuation.Click, X: actuation.Int(30), Y: actuation.Int(40), Button: "left", Clicks: 1}}},
		{"edit bad point then yes", click, "e\nthere\ny\n", planner.Approval{Verdict: planner.Approve}},
		{"edit text", typ, "e\nbye\\n\n", planner.Approval{Verdict: planner.Edit, Action: actuation.Action{Type: actuation.TypeText, Text: "bye\n"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			ap := newTerminalApprover(strings.NewReader(tt.input), &out)
			got, err := ap.Approve(context.Background(), planner.ApprovalRequest{Step: 1, Action: tt.action, Thought: "because"})
			if err != nil {
				t.Fatal(err)
			}
			if got.Verdict != tt.want.Verdict || got.Reason != tt.want.Reason || got.Action.String() != tt.want.Action.String() {
				t.Errorf("Approve = %+v (%s), want %+v (%s)", got, got.Action, tt.want, tt.want.Action)
			}
			if !strings.Contains(out.String(), "[y]es / [n]o (skip) / [e]dit / [q]uit") {
				t.Errorf("prompt = %q", out.String())
			}
		})
	}
}

func TestTerminalApproverStops(t *testing.T) {
	r, w := io.Pipe()
	defer w.Close()
	ap := newTerminalApprover(r, io.Discard)
	ctx, cancel := context.WithCancelCause(context.Background())
	go func() { time.Sleep(20 * time.Millisecond); cancel(planner.ErrStopped) }()
	t0 := time.Now()
	_, err := ap.Approve(ctx, planner.ApprovalRequest{Action: actuation.Action{Type: actuation.Key, Keys: []string{"enter"}}})
	if !errors.Is(err, planner.ErrStopped) {
		t.Errorf("err = %v, want ErrStopped", err)
	}
	if d := time.Since(t0); d > time.Second {
		t.Errorf("took %v to stop", d)
	}
}

func TestParseCommand(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		stdin    string
		wantCode int
		want     []string // JSON lines
		wantErr  string
	}{
		{"uitars15 click on 2560x1440", []string{"parse", "--adapter", "uitars15", "--screen", "2560x1440"},
			"Thought: click the middle\nAction: click(start_box='(952,532)')", 0,
			[]string{`{"type":"click","x":1280,"y":720,"button":"left","clicks":1,"thought":"click the middle"}`}, ""},
		{"uitars10 relative", []string{"parse", "--adapter", "uitars10", "--screen", "1920x1080"},
			"Action: click(start_box='(500,500)')", 0,
			[]string{`{"type":"click","x":960,"y":540,"button":"left","clicks":1}`}, ""},
		{"explicit image size", []string{"parse", "--adapter", "uitars15", "--screen", "1920x1080", "--image", "960x540"},
			"Action: click(start_box='(480,270)')", 0,
			[]string{`{"type":"click","x":961,"y":541,"button":"left","clicks":1}`}, ""},
		{"unparsable", []string{"parse", "--adapter", "uitars15", "--screen", "1920x1080"}, "I would click it", 1, nil, "not understood"},
		{"missing screen", []string{"parse", "--adapter", "uitars15"}, "", 2, nil, "--screen are required"},
		{"bad screen", []string{"parse", "--adapter", "uitars15", "--screen", "big"}, "", 2, nil, "WIDTHxHEIGHT"},
		{"unknown adapter", []string{"parse", "--adapter", "nope", "--screen", "10x10"}, "", 2, nil, "uitars15"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := Main(context.Background(), tt.args, IO{Stdin: strings.NewReader(tt.stdin), Stdout: &out, Stderr: &errb})
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr %q", code, tt.wantCode, errb.String())
			}
			if tt.wantErr != "" && !strings.Contains(errb.String(), tt.wantErr) {
				t.Errorf("stderr = %q, want %q", errb.String(), tt.wantErr)
			}
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			if len(tt.want) == 0 {
				return
			}
			if len(lines) != len(tt.want) {
				t.Fatalf("output %q, want %d lines", out.String(), len(tt.want))
			}
			for i := range tt.want {
				if !jsonEqual(t, lines[i], tt.want[i]) {
					t.Errorf("line %d = %s, want %s", i, lines[i], tt.want[i])
				}
			}
		})
	}
}

func jsonEqual(t *testing.T, a, b string) bool {
	var x, y any
	if err := json.Unmarshal([]byte(a), &x); err != nil {
		t.Fatalf("%q: %v", a, err)
	}
	if err := json.Unmarshal([]byte(b), &y); err != nil {
		t.Fatal(err)
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return string(xa) == string(ya)
}

func TestInterspersedFlags(t *testing.T) {
	fs := newFlagSet("run", io.Discard)
	yes := fs.Bool("yes", false, "")
	model := fs.String("model", "", "")
	pos, err := parseInterspersed(fs, []string{"open", "--yes", "the", "--model", "m", "terminal"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(pos, " ") != "open the terminal" || !*yes || *model != "m" {
		t.Errorf("pos=%q yes=%v model=%q", pos, *yes, *model)
	}
}

func TestTerminalApproverShowsHighRisk(t *testing.T) {
	typ := actuation.Action{Type: actuation.TypeText, Text: "rm -rf ~\n"}
	click := actuation.Action{Type: actuation.Click, X: actuation.Int(1), Y: actuation.Int(2), Button: "left", Clicks: 1}
	tests := []struct {
		name   string
		action actuation.Action
		want   string // "" for no risk line
	}{
		{"high", typ, "  HIGH RISK: types a shell command with `rm -rf`"},
		{"medium", click, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			ap := newTerminalApprover(strings.NewReader("y\n"), &out)
			risk := planner.Classify(tt.action, planner.RiskContext{})
			if _, err := ap.Approve(context.Background(), planner.ApprovalRequest{Step: 1, Action: tt.action, Risk: risk}); err != nil {
				t.Fatal(err)
			}
			got := out.String()
			if tt.want == "" {
				if strings.Contains(got, "RISK") {
					t.Errorf("output %q shows a risk for a %s action", got, risk.Level)
				}
				return
			}
			if !strings.Contains(got, tt.want) || !strings.Contains(got, "presses Enter right after typing") {
				t.Errorf("output %q lacks %q and the Enter reason", got, tt.want)
			}
			// The risk comes after the action and before the prompt.
			if i, j, k := strings.Index(got, "next:"), strings.Index(got, "HIGH RISK"), strings.Index(got, "[y]es"); !(i < j && j < k) {
				t.Errorf("order of action, risk and prompt is wrong: %q", got)
			}
		})
	}
}

func TestProgressShowsAutoApprovedHighRisk(t *testing.T) {
	var out bytes.Buffer
	p := &progress{w: &out}
	typ := actuation.Action{Type: actuation.TypeText, Text: "sudo reboot"}
	high := planner.Classify(typ, planner.RiskContext{})
	click := actuation.Action{Type: actuation.Click, X: actuation.Int(1), Y: actuation.Int(2)}
	med := planner.Classify(click, planner.RiskContext{})
	p.print(planner.Event{Kind: planner.ActionApproved, Action: &click, Risk: &med, Text: planner.AutoApproved})
	p.print(planner.Event{Kind: planner.ActionApproved, Action: &typ, Risk: &high, Text: planner.AutoApproved})
	got := out.String()
	if strings.Count(got, "\n") != 1 || !strings.Contains(got, "HIGH RISK, approved without asking") || !strings.Contains(got, "`sudo`") {
		t.Errorf("progress = %q, want one HIGH RISK line naming sudo", got)
	}
}
