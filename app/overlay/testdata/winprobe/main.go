//go:build windows

// Command winprobe shows one overlay prompt on a Windows desktop and reports on
// stdout what happened, one line at a time, for wine_test.go to drive under Wine
// from Linux: "shown" once the prompt's windows are up, "hidden" and "restored"
// around a Hide (with -hide), then "answer " and the Answer as JSON, or "error "
// and a message.
//
//	winprobe [-hide] -monitor 0,0,1280,800 '{"type":"click","x":300,"y":200}'
//
// With -hide, once shown, it hides the overlay at a line on stdin and puts it
// back at the next: the test captures the screen in between, so no pause is
// guessed.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"syscall"
	"time"
	"unsafe"

	"github.com/deskhand/deskhand/app/overlay"
)

var (
	user32              = syscall.NewLazyDLL("user32.dll")
	procFindWindowW     = user32.NewProc("FindWindowW")
	procIsWindowVisible = user32.NewProc("IsWindowVisible")
	overlayClassName, _ = syscall.UTF16PtrFromString("DeskhandOverlay")
)

func main() {
	hide := flag.Bool("hide", false, "once shown, hide the overlay at a line on stdin and restore it at the next")
	monitor := flag.String("monitor", "0,0,1920,1080", "the monitor's bounds: minX,minY,maxX,maxY")
	timeout := flag.Duration("timeout", time.Minute, "give up after this long")
	flag.Parse()
	if err := run(*hide, *monitor, *timeout, flag.Arg(0)); err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
}

func run(hide bool, monitor string, timeout time.Duration, action string) error {
	var p overlay.Prompt
	if err := json.Unmarshal([]byte(action), &p.Action); err != nil {
		return fmt.Errorf("the action %q: %w", action, err)
	}
	m := &p.Monitor
	if _, err := fmt.Sscanf(monitor, "%d,%d,%d,%d", &m.Min.X, &m.Min.Y, &m.Max.X, &m.Max.Y); err != nil {
		return fmt.Errorf("the monitor %q: %w", monitor, err)
	}
	// As wine_test.go's probePrompt: the test places the panel and its
	// buttons from the same prompt.
	p.Step, p.Risk, p.Thought = 1, "low", "winprobe"
	o, err := overlay.Open()
	if err != nil {
		return err
	}
	defer o.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()

	done := make(chan struct{})
	defer close(done)
	go func() {
		// Ask says nothing when its windows are up; a visible window of the
		// overlay's class (overlay_windows.go) does.
		for !shown() {
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
		fmt.Println("shown")
		if !hide {
			return
		}
		in := bufio.NewReader(os.Stdin)
		in.ReadString('\n')
		restore, err := o.Hide(ctx)
		if err != nil || restore == nil {
			fmt.Println("error hide:", err, "restore is nil:", restore == nil)
			cancel()
			return
		}
		fmt.Println("hidden")
		in.ReadString('\n')
		restore()
		fmt.Println("restored")
	}()

	a, err := o.Ask(ctx, p)
	if err != nil {
		return err
	}
	b, err := json.Marshal(a)
	if err != nil {
		return err
	}
	fmt.Printf("answer %s\n", b)
	return nil
}

// shown reports whether an overlay window is visible.
func shown() bool {
	w, _, _ := procFindWindowW.Call(uintptr(unsafe.Pointer(overlayClassName)), 0)
	if w == 0 {
		return false
	}
	v, _, _ := procIsWindowVisible.Call(w)
	return v != 0
}
