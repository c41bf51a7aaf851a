package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/deskhand/deskhand/models"
	"github.com/deskhand/deskhand/planner"
)

// showParallel bounds the /api/show requests in flight: Ollama answers each
// from disk, and a machine with dozens of models should not queue them all.
const showParallel = 4

// modelsCmd is `deskhand models`: the local models with size, quantisation,
// capabilities and the adapter deskhand would use, best candidates first.
func modelsCmd(ctx context.Context, args []string, stdio IO) int {
	fs := newFlagSet("models", stdio.Stderr)
	allowRemote := fs.Bool("allow-remote-model", false, "allow a non-local OLLAMA_HOST")
	if err := fs.Parse(args); err != nil {
		if isFlagHelp(err) {
			return 0
		}
		return ExitUsage
	}
	host, err := planner.HostFromEnv()
	if err != nil {
		fmt.Fprintln(stdio.Stderr, "deskhand:", err)
		return ExitUsage
	}
	if !planner.IsLoopback(host) && !*allowRemote {
		fmt.Fprintln(stdio.Stderr, "deskhand:", &planner.RemoteHostError{Host: host.String()})
		return ExitUsage
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	client := api.NewClient(host, http.DefaultClient)
	if err := client.Heartbeat(ctx); err != nil {
		fmt.Fprintln(stdio.Stderr, "deskhand:", &planner.OllamaDownError{Host: host.String(), Err: err})
		return ExitUsage
	}
	list, err := client.List(ctx)
	if err != nil {
		fmt.Fprintf(stdio.Stderr, "deskhand: list models at %s: %v\n", host, err)
		return ExitUsage
	}
	writeModels(stdio.Stdout, showAll(ctx, client, list.Models))
	return 0
}

// modelRow is one installed model as the listing shows it.
type modelRow struct {
	facts   models.ModelFacts
	choice  models.Choice
	chosen  error // why the model cannot be used
	showErr error // /api/show failed: capabilities unknown
}

// showAll asks Ollama about every model, showParallel at a time, and returns
// the rows best-first; models Ollama would not describe come last.
func showAll(ctx context.Context, c *api.Client, list []api.ListModelResponse) []modelRow {
	rows := make([]modelRow, len(list))
	sem := make(chan struct{}, showParallel)
	var wg sync.WaitGroup
	for i, m := range list {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			show, err := c.Show(ctx, &api.ShowRequest{Model: m.Name})
			if err != nil {
				rows[i] = modelRow{facts: models.FactsFrom(m, nil), showErr: err}
				return
			}
			rows[i] = modelRow{facts: models.FactsFrom(m, show)}
		})
	}
	wg.Wait()

	var known []models.ModelFacts
	var failed []modelRow
	byName := make(map[string]modelRow, len(rows))
	for _, r := range rows {
		if r.showErr != nil {
			failed = append(failed, r)
			continue
		}
		known = append(known, r.facts)
		byName[r.facts.Name] = r
	}
	out := make([]modelRow, 0, len(rows))
	for _, f := range models.Rank(known) {
		r := byName[f.Name]
		r.choice, r.chosen = models.Choose(f)
		out = append(out, r)
	}
	return append(out, failed...)
}

// writeModels prints the table and a line of advice under it.
func writeModels(w io.Writer, rows []modelRow) {
	if len(rows) == 0 {
		fmt.Fprintf(w, "No models are installed in Ollama. Install one that can use a desktop:\n  ollama pull %s\n", models.Recommended)
		return
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSIZE\tPARAMS\tQUANT\tCAPABILITIES\tADAPTER\tWHY")
	var best *modelRow
	gui := false
	for i, r := range rows {
		f := r.facts
		caps, adapter, why := capsList(f.Capabilities), "-", r.choice.Reason
		switch {
		case r.showErr != nil:
			caps, why = "?", "Ollama would not describe it: "+oneLine(r.showErr.Error(), 120)
		case r.chosen == nil:
			adapter = r.choice.Adapter
			if best == nil {
				best = &rows[i]
			}
			gui = gui || r.choice.GUI
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", f.Name, humanSize(f.Size), orDash(f.ParameterSize),
			orDash(f.Quantization), caps, adapter, why)
	}
	tw.Flush()
	fmt.Fprintln(w)
	switch {
	case best == nil:
		fmt.Fprintf(w, "None of these models can see the screen. Install one that can use a desktop:\n  ollama pull %s   (about 6 GB; %s on smaller machines)\n",
			models.Recommended, models.RecommendedSmall)
	case !gui:
		fmt.Fprintf(w, "deskhand run uses %s unless --model says otherwise, but none of these models was trained on screens: expect missed clicks.\nBetter: ollama pull %s   (about 6 GB; %s on smaller machines)\n",
			best.facts.Name, models.Recommended, models.RecommendedSmall)
	default:
		fmt.Fprintf(w, "deskhand run uses %s unless --model says otherwise.\n", best.facts.Name)
	}
}

// capsList shows the capabilities that tell models apart: every chat model
// has "completion".
func capsList(caps []string) string {
	var out []string
	for _, c := range caps {
		if c != "completion" {
			out = append(out, c)
		}
	}
	return orDash(strings.Join(out, ","))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// humanSize writes a size the way `ollama list` does, in powers of 1000.
func humanSize(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.1f GB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.0f MB", float64(n)/1e6)
	case n > 0:
		return fmt.Sprintf("%d B", n)
	}
	return "-"
}
