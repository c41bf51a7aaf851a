// Command deskhand is a desktop computer-use agent: it sees the screen, asks a local
// vision model served by Ollama what to do, and does it with the mouse and keyboard,
// asking before each action. With no arguments it starts the app; `deskhand run`
// does one task from a terminal (see README.md).
package main

import (
	"context"
	"os"

	"golang.org/x/term"

	"github.com/deskhand/deskhand/app"
	"github.com/deskhand/deskhand/app/cli"
	"github.com/deskhand/deskhand/app/quietlocale"
)

func main() {
	quietlocale.Restore()
	if len(os.Args) < 2 {
		os.Exit(app.Run())
	}
	stdio := cli.DefaultIO(func() bool { return term.IsTerminal(int(os.Stdin.Fd())) })
	os.Exit(cli.Main(context.Background(), os.Args[1:], stdio))
}
