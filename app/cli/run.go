package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/deskhand/deskhand/actuation"
	"github.com/deskhand/deskhand/models"
	"github.com/deskhand/deskhand/planner"
)

// runOptions are the flags of `deskhand run`.
type runOptions struct {
	model       string
	adapter     string
	yes         bool
	policy      planner.Policy // --confirm; --yes is ConfirmNone
	maxSteps    int
	traceDir    string
	monitor     int
	allowRemote bool
	task        string
	panicKey    actuation.PanicKey      // from DESKHAND_PANIC_KEY
	stop        context.CancelCauseFunc // stops the run, with a cause that wraps planner.ErrStopped
}

func runCmd(ctx context.Context, args []string, stdio IO) int {
	fs := newFlagSet("run", stdio.Stderr)
	var o runOptions
	fs.StringVar(&o.model, "model", "", "Ollama model")
	fs.StringVar(&o.adapter, "adapter", "", "model adapter")
	fs.BoolVar(&o.yes, "yes", false, "approve every action without asking")
	confirm := fs.String("confirm", "all", "which actions to ask about: all, high (high-risk only) or none (same as --yes)")
	fs.IntVar(&o.maxSteps, "max-steps", planner.DefaultMaxSteps, "most model replies")
	fs.StringVar(&o.traceDir, "trace", "", "trace folder")
	fs.IntVar(&o.monitor, "monitor", -1, "monitor index")
	fs.BoolVar(&o.allowRemote, "allow-remote-model", false, "allow a non-local OLLAMA_HOST")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		if isFlagHelp(err) {
			return 0
		}
		return ExitUsage
	}
	o.task = strings.TrimSpace(strings.Join(pos, " "))
	if o.task == "" {
		fmt.Fprintln(stdio.Stderr, "deskhand:", planner.ErrEmptyTask)
		return ExitUsage
	}
	if o.policy, err = planner.ParsePolicy(*confirm); err != nil {
		fmt.Fprintln(stdio.Stderr, "deskhand: --confirm:", err)
		return ExitUsage
	}
	if o.yes {
		o.policy = planner.ConfirmNone
	}
	o.yes = o.policy == planner.ConfirmNone
	if o.maxSteps < 1 {
		fmt.Fprintf(stdio.Stderr, "deskhand: --max-steps must be at least 1, not %d\n", o.maxSteps)
		return ExitUsage
	}
	if o.adapter != "" {
		if _, err := models.For(o.adapter); err != nil {
			fmt.Fprintln(stdio.Stderr, "deskhand:", err)
			return ExitUsage
		}
	}
	if !o.yes && (stdio.IsTerminal == nil || !stdio.IsTerminal()) {
		fmt.Fprintln(stdio.Stderr, "deskhand: refusing to act: there is no terminal to ask before each action — run it in a terminal, or pass --yes to approve every action without asking")
		return ExitUsage
	}
	host, err := planner.HostFromEnv()
	if err != nil {
		fmt.Fprintln(stdio.Stderr, "deskhand:", err)
		return ExitUsage
	}
	if !planner.IsLoopback(host) && !o.allowRemote {
		fmt.Fprintln(stdio.Stderr, "deskhand:", &planner.RemoteHostError{Host: host.String()})
		return ExitUsage
	}
	panicKey, err := actuation.PanicKeyFromEnv()
	if err != nil {
		fmt.Fprintln(stdio.Stderr, "deskhand:", err)
		return ExitUsage
	}
	switch o.policy {
	case planner.ConfirmNone:
		fmt.Fprintf(stdio.Stderr, "deskhand: warning: --yes approves every action without asking; press Ctrl+C or %s to stop\n", panicKey)
	case planner.ConfirmHigh:
		fmt.Fprintf(stdio.Stderr, "deskhand: warning: only high-risk actions are asked about; press Ctrl+C or %s to stop\n", panicKey)
	}

	// Ctrl+C cancels the run with ErrStopped as its cause, which aborts the Ollama
	// request in flight, stops typing between chunks and ends any prompt.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() { // ends when the run returns (ctx done) or on the first signal
		select {
		case <-sigs:
			cancel(planner.ErrStopped)
		case <-ctx.Done():
		}
	}()

	// The panic key does the same from anywhere on the desktop, with its own cause.
	// Without a display Prepare says so; a combination another program holds
	// leaves Ctrl+C.
	stopWatch, err := actuation.WatchPanicKey(ctx, panicKey, func() {
		cancel(fmt.Errorf("%w (%s)", planner.ErrPanicKey, panicKey))
	})
	switch {
	case err == nil:
		defer stopWatch()
	case !errors.Is(err, actuation.ErrNoDisplay):
		fmt.Fprintf(stdio.Stderr, "deskhand: warning: the panic key is unavailable (%v); press Ctrl+C to stop\n", err)
	}
	o.panicKey = panicKey
	o.stop = cancel

	code, err := run(ctx, o, host.String(), api.NewClient(host, http.DefaultClient), stdio)
	if err != nil {
		fmt.Fprintln(stdio.Stderr, "deskhand:", err)
	}
	return code
}

// Setup is what a run needs besides the task, shared by the terminal and the app.
type Setup struct {
	Model     string // "" picks the best installed vision model
	Adapter   string // "" detects it from the model
	Monitor   int    // -1: the monitor under the pointer
	MaxSteps  int
	TraceRoot string // "" is the user data folder
	Host      string
	Client    *api.Client
	PanicKey  actuation.PanicKey // the combination the agent may never press; zero: the default
	// ImageFormat is the screenshots' encoding: "png" (the default) or "jpeg".
	ImageFormat string
	// Hide, if set, takes deskhand's own windows (the overlay) off the screen
	// before each capture and returns the function that puts them back.
	Hide func(context.Context) (restore func(), err error)
}

// Session is an agent ready to run, with the model it talks to and its trace.
type Session struct {
	Agent *planner.Agent
	Model planner.ModelInfo
	Trace *planner.Trace
	// Warn, if set, is told what works less well than it should (the keyboard
	// cannot be watched for a takeover).
	Warn func(msg string)
}

// Close ends the session: its trace (Close may also have been called on it) and
// the screen's connection for settle detection.
func (s *Session) Close() error {
	if c, ok := s.Agent.Screen.(interface{ Close() error }); ok {
		c.Close()
	}
	return s.Trace.Close()
}

// Prepare checks Ollama, the model and the display, and builds the agent. The
// caller sets Approver, adds its own event sink with Run, and closes the session.
// Its errors are setup errors (exit status 2).
func Prepare(ctx context.Context, s Setup) (*Session, error) {
	info, adapter, err := chooseModel(ctx, s.Client, s.Host, s.Model, s.Adapter)
	if err != nil {
		return nil, err
	}
	screen, err := newScreen(ctx, s.Monitor)
	if err != nil {
		return nil, err
	}
	screen.Hide = s.Hide
	screen.Format = s.ImageFormat
	hands, err := newHands(s.PanicKey)
	if err != nil {
		return nil, err
	}
	root := s.TraceRoot
	if root == "" {
		if root, err = DefaultTraceRoot(); err != nil {
			return nil, err
		}
	}
	trace, err := planner.NewTrace(root, time.Now())
	if err != nil {
		return nil, err
	}
	return &Session{
		Model: info,
		Trace: trace,
		Agent: &planner.Agent{
			Screen:   screen,
			Actuator: hands,
			Client:   s.Client,
			Adapter:  adapter,
			Model:    info.Name,
			Info:     info, // think flag and num_ctx cap (planner.NeededContext)
			Host:     s.Host,
			MaxSteps: s.MaxSteps,
		},
	}, nil
}

// WatchHands hands the desktop back to the user when they take it: moving the
// mouse, pressing a key or a button while deskhand acts interrupts the action,
// and the run pauses (planner.Agent.Interrupt: the approver asks whether to go
// on; without one the run stops). Pushing the pointer into the top-left corner,
// or taking over with betweenActions while no action runs, calls stop with a
// cause wrapping planner.ErrStopped (exit status 3). release
// stops watching and hands the clipboard deskhand restored to a clipboard
// manager; call it when the run ends, also after an error. The error, when not
// nil, says why the mouse cannot stop the run (no display is not an error:
// Prepare has said so already).
func (s *Session) WatchHands(ctx context.Context, betweenActions bool, stop context.CancelCauseFunc) (release func(), err error) {
	hands, ok := s.Agent.Actuator.(*actuation.Desktop)
	if !ok {
		return func() {}, nil
	}
	opts := actuation.TakeoverOptions{BetweenActions: betweenActions, NoKeys: func(err error) {
		if s.Warn != nil {
			s.Warn(fmt.Sprintf("pressing keys will not pause deskhand (%v); moving the mouse still does", err))
		}
	}}
	stopWatch, err := actuation.WatchTakeover(ctx, hands, opts, func(reason error) {
		if errors.Is(reason, actuation.ErrTakeover) && s.Agent.Interrupt(reason) {
			return
		}
		stop(fmt.Errorf("%w: %w", planner.ErrStopped, reason))
	})
	if err != nil {
		if errors.Is(err, actuation.ErrNoDisplay) {
			err = nil
		}
		return func() { hands.Close() }, err
	}
	return func() { stopWatch(); hands.Close() }, nil
}

// Run runs task, recording every event in the trace before handing it to sink.
func (s *Session) Run(ctx context.Context, task string, sink planner.EventSink) (planner.Result, error) {
	s.Agent.Events = func(e planner.Event) {
		s.Trace.Record(e)
		if sink != nil {
			sink(e)
		}
	}
	return s.Agent.Run(ctx, task)
}

// run checks the setup, runs the agent, and maps the outcome to an exit status.
func run(ctx context.Context, o runOptions, host string, client *api.Client, stdio IO) (int, error) {
	sess, err := Prepare(ctx, Setup{Model: o.model, Adapter: o.adapter, Monitor: o.monitor, MaxSteps: o.maxSteps,
		TraceRoot: o.traceDir, Host: host, Client: client, PanicKey: o.panicKey})
	if err != nil {
		if errors.Is(err, planner.ErrStopped) {
			return ExitStopped, err
		}
		return ExitUsage, err
	}
	defer sess.Close()
	// With --yes nobody answers prompts between actions, so mouse movement then
	// stops the run too.
	sess.Warn = func(msg string) { fmt.Fprintln(stdio.Stderr, "deskhand: warning:", msg) }
	release, err := sess.WatchHands(ctx, o.yes, o.stop)
	defer release()
	if err != nil {
		fmt.Fprintf(stdio.Stderr, "deskhand: warning: moving the mouse will not stop deskhand (%v); press Ctrl+C or %s to stop\n", err, o.panicKey)
	}
	fmt.Fprintf(stdio.Stderr, "deskhand: %s with %s (adapter %s); trace in %s\n", quoteTask(o.task), sess.Model.Name, sess.Agent.Adapter.Name(), sess.Trace.Dir)

	printer := &progress{w: stdio.Stderr}
	if o.yes {
		// --yes is the user's choice, warned about above: nothing is asked, and
		// high-risk actions are still printed with their reasons (see progress).
		sess.Agent.Policy = planner.ConfirmNone
	} else {
		sess.Agent.Policy = o.policy
		sess.Agent.Approver = newTerminalApprover(stdio.Stdin, stdio.Stderr)
	}
	res, err := sess.Run(ctx, o.task, printer.print)
	if cerr := sess.Trace.Close(); cerr != nil {
		fmt.Fprintln(stdio.Stderr, "deskhand: the trace is incomplete:", cerr)
	}
	switch res.Status {
	case planner.StatusDone:
		fmt.Fprintln(stdio.Stdout, "done:", res.Text)
		return ExitDone, nil
	case planner.StatusStopped:
		if cause := context.Cause(ctx); errors.Is(cause, planner.ErrPanicKey) ||
			errors.Is(cause, actuation.ErrTakeover) || errors.Is(cause, actuation.ErrFailsafe) {
			return ExitStopped, cause
		}
		if err != nil && err != planner.ErrStopped {
			return ExitStopped, err // a takeover the user did not resume from
		}
		return ExitStopped, errors.New("stopped")
	case planner.StatusAsked:
		// An action that changed nothing three times (*planner.LoopError) also
		// needs the user: exit 4, with deskhand's own sentence, not the model's.
		if loop := (*planner.LoopError)(nil); errors.As(err, &loop) {
			return ExitAsked, err
		}
		fmt.Fprintln(stdio.Stdout, "the model asks:", res.Text)
		return ExitAsked, nil
	}
	if err == nil {
		err = errors.New("the run ended without finishing the task")
	}
	return ExitFailed, err
}

// DefaultTraceRoot is the per-user data folder for traces, where runs from the
// terminal and the app are recorded and the app's past runs are listed.
func DefaultTraceRoot() (string, error) {
	if runtime.GOOS == "linux" || runtime.GOOS == "freebsd" {
		if d := os.Getenv("XDG_DATA_HOME"); d != "" {
			return filepath.Join(d, "deskhand", "traces"), nil
		}
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("find the home folder for traces (pass --trace DIR): %w", err)
		}
		return filepath.Join(home, ".local", "share", "deskhand", "traces"), nil
	}
	d, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find the user data folder for traces (pass --trace DIR): %w", err)
	}
	return filepath.Join(d, "deskhand", "traces"), nil
}

func quoteTask(t string) string {
	if len(t) > 60 {
		t = t[:57] + "…"
	}
	return fmt.Sprintf("%q", t)
}
