package cli

import (
	"encoding/json"
	"fmt"
	"image"
	"io"

	"github.com/deskhand/deskhand/models"
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
	var img image.Point // zero: what deskhand would send for that screen
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
	actions, _, err := models.ParseReply(adapter, string(raw), image.Pt(sw, sh), img)
	if err != nil {
		fmt.Fprintln(stdio.Stderr, "deskhand parse:", err)
		return ExitFailed
	}
	enc := json.NewEncoder(stdio.Stdout)
	enc.SetEscapeHTML(false)
	for _, a := range actions {
		if err := enc.Encode(a); err != nil {
			fmt.Fprintln(stdio.Stderr, "deskhand parse:", err)
			return ExitFailed
		}
	}
	return 0
}
