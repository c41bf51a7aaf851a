package cli

import (
	"encoding/json"
	"fmt"
	"image"
	"io"

	"github.com/ollama/ollama/api"

	"github.com/deskhand/deskhand/models"
	"github.com/deskhand/deskhand/perception"
)

// parseCmd is `deskhand parse --adapter NAME --screen WxH [--image WxH]`: one model
// reply on stdin, its actions as JSON lines in screen pixels on stdout.
func parseCmd(args []string, stdio IO) int {
	fs := newFlagSet("parse", stdio.Stderr)
	name := fs.String("adapter", "", "model adapter")
	screenFlag := fs.String("screen", "", "screen size WxH")
	imageFlag := fs.String("image", "", "size of the image the model saw, WxH")
	if err := fs.Parse(args); err != nil {
		if isFlagHelp(err) {
			return 0
		}
		return ExitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stdio.Stderr, "deskhand parse: unexpected argument %q; the reply is read from standard input\n", fs.Arg(0))
		return ExitUsage
	}
	if *name == "" || *screenFlag == "" {
		fmt.Fprintln(stdio.Stderr, "deskhand parse: --adapter and --screen are required, e.g. deskhand parse --adapter uitars15 --screen 1920x1080 < reply.txt")
		return ExitUsage
	}
	adapter, err := models.For(*name)
	if err != nil {
		fmt.Fprintln(stdio.Stderr, "deskhand parse:", err)
		return ExitUsage
	}
	sw, sh, err := parseSize(*screenFlag)
	if err != nil {
		fmt.Fprintln(stdio.Stderr, "deskhand parse: --screen:", err)
		return ExitUsage
	}
	img := adapter.Grid().Size(sw, sh)
	if *imageFlag != "" {
		iw, ih, err := parseSize(*imageFlag)
		if err != nil {
			fmt.Fprintln(stdio.Stderr, "deskhand parse: --image:", err)
			return ExitUsage
		}
		img = image.Pt(iw, ih)
	}
	raw, err := io.ReadAll(stdio.Stdin)
	if err != nil {
		fmt.Fprintln(stdio.Stderr, "deskhand parse: read the reply:", err)
		return ExitUsage
	}
	frame := perception.Frame{
		Bounds:   image.Rect(0, 0, sw, sh),
		Captured: image.Pt(sw, sh),
		Scale:    1,
		Image:    img,
	}
	dec, err := adapter.Parse(api.Message{Role: "assistant", Content: string(raw)}, frame)
	if err != nil {
		fmt.Fprintln(stdio.Stderr, "deskhand parse:", err)
		return ExitFailed
	}
	enc := json.NewEncoder(stdio.Stdout)
	enc.SetEscapeHTML(false)
	for _, a := range dec.Actions {
		if err := enc.Encode(a); err != nil {
			fmt.Fprintln(stdio.Stderr, "deskhand parse:", err)
			return ExitFailed
		}
	}
	return 0
}
