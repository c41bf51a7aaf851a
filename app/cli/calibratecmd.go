package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/deskhand/deskhand/app/calibrate"
	"github.com/deskhand/deskhand/models"
	"github.com/deskhand/deskhand/perception"
	"github.com/deskhand/deskhand/planner"
)

// calibrateOptions are the flags of `deskhand calibrate`.
type calibrateOptions struct {
	model       string
	adapter     string
	monitor     int
	synthetic   bool
	screen      image.Point // --screen, for --synthetic
	json        bool
	allowRemote bool
}

// calibrateCmd is `deskhand calibrate`: how accurately the model clicks on this
// machine, and why not. Exit status: 0 the clicks hit; 1 they do not (the
// diagnosis says why, and how to fix it), or deskhand's own capture is off;
// 2 usage or setup error; 3 stopped by the user.
func calibrateCmd(ctx context.Context, args []string, stdio IO) int {
	fs := newFlagSet("calibrate", stdio.Stderr)
	var o calibrateOptions
	var screen string
	fs.StringVar(&o.model, "model", "", "Ollama model")
	fs.StringVar(&o.adapter, "adapter", "", "model adapter")
	fs.IntVar(&o.monitor, "monitor", -1, "monitor index")
	fs.BoolVar(&o.synthetic, "synthetic", false, "send the board as an image instead of showing it")
	fs.StringVar(&screen, "screen", "", "screen size for --synthetic, WxH")
	fs.BoolVar(&o.json, "json", false, "print the results as JSON")
	fs.BoolVar(&o.allowRemote, "allow-remote-model", false, "allow a non-local OLLAMA_HOST")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		if isFlagHelp(err) {
			return 0
		}
		return ExitUsage
	}
	if len(pos) > 0 {
		fmt.Fprintf(stdio.Stderr, "deskhand: calibrate takes no arguments, only flags (got %q)\n", pos)
		return ExitUsage
	}
	if o.adapter != "" {
		if _, err := models.For(o.adapter); err != nil {
			fmt.Fprintln(stdio.Stderr, "deskhand:", err)
			return ExitUsage
		}
	}
	if screen != "" {
		if !o.synthetic {
			fmt.Fprintln(stdio.Stderr, "deskhand: --screen only applies with --synthetic; without it the board is shown on a real monitor (choose it with --monitor)")
			return ExitUsage
		}
		w, h, err := parseSize(screen)
		if err != nil {
			fmt.Fprintln(stdio.Stderr, "deskhand: --screen:", err)
			return ExitUsage
		}
		o.screen = image.Pt(w, h)
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

	// Ctrl+C cancels with ErrStopped, which aborts the request in flight and takes
	// the board down.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		select {
		case <-sigs:
			cancel(planner.ErrStopped)
		case <-ctx.Done():
		}
	}()

	code, err := runCalibration(ctx, o, host.String(), api.NewClient(host, http.DefaultClient), stdio)
	if err != nil {
		fmt.Fprintln(stdio.Stderr, "deskhand:", err)
	}
	return code
}

// runCalibration checks the model, picks the monitor, calibrates and prints the
// report.
func runCalibration(ctx context.Context, o calibrateOptions, host string, client *api.Client, stdio IO) (int, error) {
	setupErr := func(err error) (int, error) {
		if errors.Is(err, planner.ErrStopped) {
			return ExitStopped, err
		}
		return ExitUsage, err
	}
	info, adapter, err := chooseModel(ctx, client, host, o.model, o.adapter)
	if err != nil {
		return setupErr(err)
	}
	cfg := calibrate.Config{
		Client:  client,
		Model:   info.Name,
		Adapter: adapter,
		Progress: func(r calibrate.Result, done, total int) {
			fmt.Fprintln(stdio.Stderr, "deskhand:", calibrate.ProgressLine(r, done, total))
		},
	}
	for _, name := range models.Names() {
		if name == adapter.Name() {
			continue
		}
		if a, err := models.For(name); err == nil {
			cfg.Alternatives = append(cfg.Alternatives, a)
		}
	}
	if err := pickMonitor(ctx, o, &cfg); err != nil {
		return setupErr(err)
	}
	how := "showing a board of numbered targets on monitor %d for a moment"
	if cfg.Synthetic {
		how = "sending a synthetic screenshot of numbered targets (monitor %d's size)"
	}
	fmt.Fprintf(stdio.Stderr, "deskhand: calibrating %s (adapter %s): "+how+", then asking the model to click each target; nothing is clicked\n",
		info.Name, adapter.Name(), cfg.Monitor.Index)
	rep, err := calibrate.Run(ctx, cfg)
	if err != nil {
		return setupErr(err)
	}
	if o.json {
		enc := json.NewEncoder(stdio.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return ExitUsage, fmt.Errorf("write the report: %w", err)
		}
	} else if err := rep.WriteText(stdio.Stdout); err != nil {
		return ExitUsage, fmt.Errorf("write the report: %w", err)
	}
	if !rep.OK() {
		return ExitFailed, nil
	}
	return ExitDone, nil
}

// chooseModel checks Ollama and the model, and picks the adapter: the one place
// where a run (Prepare) and a calibration choose them.
func chooseModel(ctx context.Context, client *api.Client, host, model, adapterName string) (planner.ModelInfo, planner.Adapter, error) {
	checkCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	info, err := planner.CheckModel(checkCtx, client, host, model, models.Candidates)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return planner.ModelInfo{}, nil, context.Cause(ctx)
		}
		return planner.ModelInfo{}, nil, err
	}
	name := adapterName
	if name == "" {
		c, err := models.Choose(models.FactsOf(info))
		if err != nil {
			return planner.ModelInfo{}, nil, err
		}
		name = c.Adapter
	}
	a, err := models.For(name)
	if err != nil {
		return planner.ModelInfo{}, nil, err
	}
	return info, a, nil
}

// defaultSyntheticScreen is the screen a synthetic calibration assumes when
// neither --screen nor a display says otherwise: the commonest desktop size.
var defaultSyntheticScreen = image.Pt(1920, 1080)

// pickMonitor sets where the board goes: the monitor asked for, or the one under
// the pointer, as a run would capture; with --synthetic, a screen of --screen's
// size, else of that monitor's size when there is a display, else 1920x1080.
func pickMonitor(ctx context.Context, o calibrateOptions, cfg *calibrate.Config) error {
	cfg.Synthetic = o.synthetic
	if o.synthetic && o.screen != (image.Point{}) {
		cfg.Monitor = perception.Monitor{Bounds: image.Rectangle{Max: o.screen}, Primary: true}
		return nil
	}
	mons, err := perception.Monitors(ctx)
	if err != nil {
		if o.synthetic {
			cfg.Monitor = perception.Monitor{Bounds: image.Rectangle{Max: defaultSyntheticScreen}, Primary: true}
			return nil
		}
		return fmt.Errorf("%w (to check the model without a display, pass --synthetic)", err)
	}
	idx := o.monitor
	switch {
	case idx >= len(mons):
		return fmt.Errorf("there is no monitor %d: this desktop has %d (numbered 0 to %d)", idx, len(mons), len(mons)-1)
	case idx < 0:
		// The monitor under the pointer, as the capture of a run picks it; a tiny
		// grid keeps this first capture cheap.
		f, err := (&perception.Capturer{}).Capture(ctx, perception.Grid{Factor: 28, MaxPixels: 64 * 64})
		if err != nil {
			return fmt.Errorf("find the monitor under the pointer: %w", err)
		}
		idx = f.Monitor
	}
	cfg.Monitor, cfg.Monitors = mons[idx], mons
	if !o.synthetic {
		cfg.Screen = &perception.Capturer{FixedMonitor: true, Monitor: idx}
	}
	return nil
}
