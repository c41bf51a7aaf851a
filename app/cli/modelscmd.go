package cli

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/deskhand/deskhand/models"
	"github.com/deskhand/deskhand/planner"
)

// modelsCmd is `deskhand models`: the local models with size, quantisation,
// capabilities and the adapter deskhand would use.
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
	tw := tabwriter.NewWriter(stdio.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSIZE\tQUANT\tCAPABILITIES\tADAPTER")
	for _, m := range list.Models {
		show, err := client.Show(ctx, &api.ShowRequest{Model: m.Name})
		if err != nil {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", m.Name, humanSize(m.Size), m.Details.QuantizationLevel, "?", "error: "+err.Error())
			continue
		}
		var caps []string
		vision := false
		for _, c := range show.Capabilities {
			caps = append(caps, string(c))
			vision = vision || c == "vision"
		}
		arch, _ := show.ModelInfo["general.architecture"].(string)
		adapter := "-"
		switch name, err := models.Detect(m.Name, arch); {
		case !vision:
			adapter = "- (no vision)"
		case err == nil:
			adapter = name
		default:
			adapter = "- (no adapter yet)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", m.Name, humanSize(m.Size), m.Details.QuantizationLevel, strings.Join(caps, ","), adapter)
	}
	tw.Flush()
	if len(list.Models) == 0 {
		fmt.Fprintln(stdio.Stderr, "no models are installed; install a vision model, e.g. `ollama pull qwen2.5vl:7b`")
	}
	return 0
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.0f MB", float64(n)/(1<<20))
	default:
		return fmt.Sprintf("%d B", n)
	}
}
