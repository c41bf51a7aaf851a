//go:build darwin

package actuation

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

func init() { newClipboard = func() (clipboard, error) { return macClipboard{}, nil } }

// macClipboard uses pbcopy and pbpaste, which handle plain text only. Before
// pasting it asks AppleScript what the clipboard holds: anything besides text (an
// image, rich text, files) could not be put back, so then the text is typed. The
// pasteboard does not tell its owner when it is read: deskhand waits pasteSettle
// after cmd+v.
type macClipboard struct{}

// macTextClasses are the AppleScript clipboard classes of plain text.
var macTextClasses = []string{"«class utf8»", "«class ut16»", "string", "unicode text", "Unicode text", "«class utf16»"}

func pbEnv() []string {
	// pbcopy and pbpaste use the locale's encoding: without UTF-8 they mangle
	// anything beyond ASCII.
	return append(os.Environ(), "LANG=en_US.UTF-8", "LC_ALL=en_US.UTF-8", "__CF_USER_TEXT_ENCODING=0x1F5:0x8000100:0x8000100")
}

func pbRun(ctx context.Context, stdin []byte, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = pbEnv()
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}

func (macClipboard) hold(ctx context.Context) (pasteSession, error) {
	ctx, cancel := context.WithTimeout(ctx, saveTimeout)
	defer cancel()
	info, err := pbRun(ctx, nil, "osascript", "-e", "clipboard info")
	if err != nil {
		return nil, err
	}
	// "«class utf8», 12, string, 12, «class PNGf», 3456"
	parts := strings.Split(strings.TrimSpace(string(info)), ", ")
	for i := 0; i < len(parts); i += 2 {
		class := parts[i]
		text := false
		for _, t := range macTextClasses {
			text = text || class == t
		}
		if class != "" && !text {
			return nil, errors.New("the clipboard holds more than text, which pbcopy could not put back")
		}
	}
	saved, err := pbRun(ctx, nil, "pbpaste")
	if err != nil {
		return nil, err
	}
	return &macSession{saved: saved}, nil
}

type macSession struct {
	saved  []byte
	pasted string // the text of the last paste; "" none
}

func (s *macSession) paste(ctx context.Context, text string, press func([]string) error) error {
	if _, err := pbRun(ctx, []byte(text), "pbcopy"); err != nil {
		return fmt.Errorf("%w (%v)", errNotFetched, err)
	}
	s.pasted = text
	if err := press([]string{"super", "v"}); err != nil {
		return err
	}
	return sleep(ctx, pasteSettle)
}

func (s *macSession) restore() error {
	if s.pasted == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	now, err := pbRun(ctx, nil, "pbpaste")
	if err != nil {
		return err
	}
	if string(now) != s.pasted {
		return nil // the user copied something since: theirs stays
	}
	_, err = pbRun(ctx, s.saved, "pbcopy")
	return err
}

// close has nothing to hand over: the pasteboard server keeps the content.
func (macClipboard) close() error { return nil }
