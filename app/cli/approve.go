package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/deskhand/deskhand/actuation"
	"github.com/deskhand/deskhand/planner"
)

// terminalApprover asks on a terminal before each action:
// [y]es / [n]o (skip) / [e]dit / [q]uit.
type terminalApprover struct {
	out   io.Writer
	in    io.Reader
	once  sync.Once
	lines chan string
}

func newTerminalApprover(in io.Reader, out io.Writer) *terminalApprover {
	return &terminalApprover{in: in, out: out}
}

// readLine returns the next line typed, or ctx's cause when the run is stopped
// while waiting. One goroutine reads stdin for the whole process: a blocked read
// cannot be interrupted, so it is started once and ends at end of input.
func (t *terminalApprover) readLine(ctx context.Context) (string, error) {
	t.once.Do(func() {
		t.lines = make(chan string)
		go func() {
			sc := bufio.NewScanner(t.in)
			for sc.Scan() {
				t.lines <- sc.Text()
			}
			close(t.lines)
		}()
	})
	select {
	case line, ok := <-t.lines:
		if !ok {
			return "", io.EOF
		}
		return line, nil
	case <-ctx.Done():
		return "", context.Cause(ctx)
	}
}

func (t *terminalApprover) Approve(ctx context.Context, req planner.ApprovalRequest) (planner.Approval, error) {
	// The model's thought was printed with the step (see progress).
	fmt.Fprintf(t.out, "  next: %s\n", req.Action.Describe())
	if req.Risk.High() && req.Risk.Level != "" {
		fmt.Fprintf(t.out, "  HIGH RISK: %s\n", riskReasons(req.Risk))
	}
	for {
		fmt.Fprint(t.out, "  [y]es / [n]o (skip) / [e]dit / [q]uit: ")
		line, err := t.readLine(ctx)
		if errors.Is(err, io.EOF) {
			fmt.Fprintln(t.out)
			return planner.Approval{Verdict: planner.Quit, Reason: "end of input"}, nil
		}
		if err != nil {
			fmt.Fprintln(t.out) // end the prompt's line after ^C
			return planner.Approval{}, err
		}
		switch strings.ToLower(strings.TrimSpace(line)) {
		case "y", "yes":
			return planner.Approval{Verdict: planner.Approve}, nil
		case "n", "no", "s", "skip":
			fmt.Fprint(t.out, "  why (optional, told to the model): ")
			reason, err := t.readLine(ctx)
			if err != nil && !errors.Is(err, io.EOF) {
				return planner.Approval{}, err
			}
			return planner.Approval{Verdict: planner.Skip, Reason: strings.TrimSpace(reason)}, nil
		case "e", "edit":
			a, err := t.edit(ctx, req.Action)
			if err != nil {
				if ctx.Err() != nil {
					return planner.Approval{}, err
				}
				fmt.Fprintln(t.out, "  ", err)
				continue
			}
			return planner.Approval{Verdict: planner.Edit, Action: a}, nil
		case "q", "quit":
			return planner.Approval{Verdict: planner.Quit}, nil
		}
	}
}

// Pause says deskhand stepped back because the user took over, and waits for
// them to hand control back (Enter) or stop (q).
func (t *terminalApprover) Pause(ctx context.Context, req planner.PauseRequest) (bool, error) {
	fmt.Fprintf(t.out, "  paused: %s.\n  The desktop is yours; deskhand will look at the screen again before it goes on.\n", req.Reason)
	for {
		fmt.Fprint(t.out, "  [c]ontinue / [q]uit: ")
		line, err := t.readLine(ctx)
		if errors.Is(err, io.EOF) {
			fmt.Fprintln(t.out)
			return false, nil
		}
		if err != nil {
			fmt.Fprintln(t.out)
			return false, err
		}
		switch strings.ToLower(strings.TrimSpace(line)) {
		case "", "c", "continue", "y", "yes":
			return true, nil
		case "q", "quit", "n", "no":
			return false, nil
		}
	}
}

// edit asks for the part of the action a person would change: the point, the
// text or the keys.
func (t *terminalApprover) edit(ctx context.Context, a actuation.Action) (actuation.Action, error) {
	switch a.Type {
	case actuation.Click, actuation.Move, actuation.Drag, actuation.Scroll:
		fmt.Fprint(t.out, "  new point as x,y: ")
		line, err := t.readLine(ctx)
		if err != nil {
			return a, err
		}
		x, y, err := parsePoint(line)
		if err != nil {
			return a, err
		}
		a.X, a.Y = actuation.Int(x), actuation.Int(y)
		if a.Type == actuation.Drag {
			fmt.Fprint(t.out, "  new end point as x,y: ")
			if line, err = t.readLine(ctx); err != nil {
				return a, err
			}
			if x, y, err = parsePoint(line); err != nil {
				return a, err
			}
			a.X2, a.Y2 = actuation.Int(x), actuation.Int(y)
		}
	case actuation.TypeText:
		fmt.Fprint(t.out, `  new text (write \n for Enter): `)
		line, err := t.readLine(ctx)
		if err != nil {
			return a, err
		}
		a.Text = strings.ReplaceAll(line, `\n`, "\n")
	case actuation.Key:
		fmt.Fprint(t.out, "  new keys, e.g. ctrl+s: ")
		line, err := t.readLine(ctx)
		if err != nil {
			return a, err
		}
		keys, err := actuation.ParseKeys(line)
		if err != nil {
			return a, err
		}
		a.Keys = keys
	default:
		return a, fmt.Errorf("a %s action has nothing to edit", a.Type)
	}
	return a, nil
}

func parsePoint(s string) (int, int, error) {
	f := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '(' || r == ')' })
	if len(f) != 2 {
		return 0, 0, fmt.Errorf("%q is not a point like 640,360", strings.TrimSpace(s))
	}
	x, err1 := strconv.Atoi(f[0])
	y, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("%q is not a point like 640,360", strings.TrimSpace(s))
	}
	return x, y, nil
}

// riskReasons joins a risk's reasons for one line of output.
func riskReasons(r planner.Risk) string {
	if len(r.Reasons) == 0 {
		return "no reason given"
	}
	return oneLine(strings.Join(r.Reasons, "; "), 400)
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// progress prints a run's events for a person watching the terminal.
type progress struct{ w io.Writer }

func (p *progress) print(e planner.Event) {
	switch e.Kind {
	case planner.StepStarted:
		fmt.Fprintf(p.w, "step %d: looking at the screen…\n", e.Step)
	case planner.Decided:
		if e.Decision != nil && e.Decision.Thought != "" {
			fmt.Fprintf(p.w, "  thought: %s\n", oneLine(e.Decision.Thought, 300))
		}
	case planner.ReplyRejected:
		fmt.Fprintf(p.w, "  the reply was not usable (%s); asking again\n", e.Error)
	case planner.ActionRejected:
		fmt.Fprintf(p.w, "  not done: %s\n", e.Error)
	case planner.ActionApproved:
		// Asked actions showed their risk at the prompt; those the policy let through
		// show it here, so high risk is never silent.
		if e.Text == planner.AutoApproved && e.Risk != nil && e.Risk.High() {
			fmt.Fprintf(p.w, "  HIGH RISK, approved without asking: %s: %s\n", e.Action.Describe(), riskReasons(*e.Risk))
		}
	case planner.ActionExecuted:
		fmt.Fprintf(p.w, "  did: %s\n", e.Action.Describe())
	case planner.ActionFailed:
		fmt.Fprintf(p.w, "  failed: %s: %s\n", e.Action.Describe(), e.Error)
	case planner.Resumed:
		fmt.Fprintln(p.w, "  going on from the screen as it is now")
	case planner.ModelLoading:
		fmt.Fprintf(p.w, "loading %s…\n", e.Model)
	case planner.ModelLoaded:
		if ms := e.Millis["load"]; ms >= 1000 {
			fmt.Fprintf(p.w, "  loaded in %.1f s\n", ms/1000)
		}
	case planner.SwitchedToText:
		fmt.Fprintf(p.w, "  the model's tool calls failed (%s); going on with its text format\n", e.Error)
	case planner.RunFinished:
		fmt.Fprintf(p.w, "finished after %d steps: %s\n", e.Step, e.Status)
	}
}
