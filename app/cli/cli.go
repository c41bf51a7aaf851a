// Package cli owns deskhand's command line (contracts.md §3): `run` does one task
// from a terminal with a y/n/e/q prompt before each action, `parse` turns one model
// reply into actions, `models` lists local models, and `version`. It wires the
// planner to real perception, actuation and Ollama; it never imports fyne.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// Version is deskhand's version, printed by `deskhand version`.
const Version = "0.1.0"

// Exit statuses of `deskhand run` (contracts.md §3).
const (
	ExitDone    = 0
	ExitFailed  = 1
	ExitUsage   = 2
	ExitStopped = 3
	ExitAsked   = 4
)

// IO is where a command reads and writes; tests replace it.
type IO struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// IsTerminal reports whether Stdin is a terminal a person can answer on.
	IsTerminal func() bool
}

// Main runs the command in args (without the program name) and returns the exit
// status.
func Main(ctx context.Context, args []string, stdio IO) int {
	if len(args) == 0 {
		fmt.Fprintln(stdio.Stderr, usage)
		return ExitUsage
	}
	switch args[0] {
	case "run":
		return runCmd(ctx, args[1:], stdio)
	case "parse":
		return parseCmd(args[1:], stdio)
	case "models":
		return modelsCmd(ctx, args[1:], stdio)
	case "calibrate":
		return calibrateCmd(ctx, args[1:], stdio)
	case "version", "--version", "-version":
		fmt.Fprintln(stdio.Stdout, "deskhand", Version)
		return 0
	case "help", "-h", "--help", "-help":
		fmt.Fprintln(stdio.Stdout, usage)
		return 0
	}
	fmt.Fprintf(stdio.Stderr, "deskhand: unknown command %q\n\n%s\n", args[0], usage)
	return ExitUsage
}

const usage = `usage:
  deskhand                         start the app
  deskhand run [flags] TASK        do one task from a terminal
      --model NAME         Ollama model (default: the best installed vision model)
      --adapter NAME       uitars15 | uitars10 | qwen25vl | qwen3vl | json (default: detected from the model)
      --yes                approve every action without asking (same as --confirm none)
      --confirm WHICH      all (ask before every action, the default) | high (only high-risk ones) | none
      --max-steps N        default 30
      --trace DIR          where the run's trace is written (default: the user data dir)
      --monitor N          which monitor (default: the one under the mouse pointer)
      --allow-remote-model allow an OLLAMA_HOST that is not this machine
      stop: Ctrl+C, the panic key (ctrl+alt+shift+esc, or DESKHAND_PANIC_KEY), or the pointer
      pushed into the top-left corner; using the mouse or keyboard during an action pauses
      exit status: 0 done, 1 failed or a limit, 2 setup error, 3 stopped, 4 the model asks you
  deskhand parse --adapter NAME --screen WxH [--image WxH]   model reply on stdin → actions as JSON lines
  deskhand models                  local models and the adapter deskhand would use
  deskhand calibrate [flags]       measure how accurately a model clicks on this machine, and why not
      --model NAME         Ollama model (default: the best installed vision model)
      --adapter NAME       as for run (default: detected from the model)
      --monitor N          where the board of targets is shown (default: under the pointer)
      --synthetic          send the board as an image instead of showing it (checks the model only)
      --screen WxH         screen size for --synthetic (default: the monitor's, else 1920x1080)
      --json               print the raw results as JSON
      --allow-remote-model allow an OLLAMA_HOST that is not this machine
      exit status: 0 the clicks hit, 1 they miss (see the diagnosis), 2 setup error, 3 stopped
  deskhand version`

// parseInterspersed parses flags that may come before or after positional
// arguments ("deskhand run open xterm --yes"), and returns the positionals.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, usage) }
	return fs
}

func parseSize(s string) (w, h int, err error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if _, err := fmt.Sscanf(s, "%dx%d", &w, &h); err != nil || w <= 0 || h <= 0 || fmt.Sprintf("%dx%d", w, h) != s {
		return 0, 0, fmt.Errorf("size %q is not WIDTHxHEIGHT, e.g. 1920x1080", s)
	}
	return w, h, nil
}

func isFlagHelp(err error) bool { return errors.Is(err, flag.ErrHelp) }

// DefaultIO is the process's standard streams.
func DefaultIO(isTerminal func() bool) IO {
	return IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, IsTerminal: isTerminal}
}
