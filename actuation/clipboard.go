package actuation

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// Long text is pasted, not typed: key by key, CJK text arrives at about 40
// characters a second (every character needs a keyboard map change on X11), and
// an application may drop keys under load. A paste puts the text on the clipboard,
// presses the paste shortcut, waits until the application has fetched the text,
// and puts back what the clipboard held before.
//
// Newlines and tabs are still pressed as keys between the pasted runs, as
// contracts.md §2 asks: "ls\n" pastes "ls" and presses Enter, so a terminal runs
// it and a form is submitted exactly as when typing; a paste of several lines would
// not run them in a shell with bracketed paste, and would land in one field of a
// form. Terminals do not paste with ctrl+v (in a shell it quotes the next key):
// they are recognised by their window class (WM_CLASS on X11) and get
// shift+insert, which pastes in every terminal (and in GTK, Qt, browsers and
// Windows consoles). Most terminals paste the PRIMARY selection with it, so on X11
// deskhand owns PRIMARY too for them, and restores it as well.
//
// The user's clipboard must survive: when it cannot be saved whole (it is too big,
// or its owner does not answer) the text is typed instead. X11 keeps what the
// previous owner could convert, every target, text or not; Windows every format
// that is memory (not GDI objects: a bitmap comes back from its DIB); macOS only
// text, so there a clipboard holding anything else means typing.

// DefaultPasteThreshold is the length, in characters, from which a type action is
// pasted.
const DefaultPasteThreshold = 64

// Limits of the clipboard path.
const (
	pasteTimeout = 2 * time.Second        // for the application to fetch the pasted text
	saveTimeout  = time.Second            // to read the previous clipboard, all of it
	saveLimit    = 32 << 20               // bytes of previous clipboard content kept, at most
	pasteSettle  = 300 * time.Millisecond // where the fetch cannot be seen (macOS, some Windows apps)
)

// errNotFetched means the focused application did not fetch the pasted text: it
// may not take pastes at all (a game, a canvas), or not the kind of text offered.
var errNotFetched = errors.New("the focused window did not take the pasted text")

// clipboard is the system clipboard of one platform: clipboard_x11.go,
// clipboard_windows.go, clipboard_darwin.go.
type clipboard interface {
	// hold saves what the clipboard holds, for the session's restore. An
	// error means it could not be saved whole: the text is then typed.
	hold(ctx context.Context) (pasteSession, error)
	// close releases the clipboard, handing content deskhand keeps for the
	// user to a clipboard manager where there is one.
	close() error
}

// pasteSession is one type action's use of the clipboard.
type pasteSession interface {
	// paste makes text the clipboard's content, presses the paste shortcut
	// with press, and returns when the focused application has fetched it.
	// errNotFetched means it did not, in time: the text is then typed.
	paste(ctx context.Context, text string, press func(keys []string) error) error
	// restore puts back what hold saved, unless someone else has set the
	// clipboard since.
	restore() error
}

// newClipboard opens the clipboard of this platform.
var newClipboard func() (clipboard, error)

// shouldPaste reports whether text is long enough to paste, with something to
// paste between its newlines and tabs.
func (d *Desktop) shouldPaste(text string) bool {
	limit := d.PasteThreshold
	if limit == 0 {
		limit = DefaultPasteThreshold
	}
	return limit > 0 && (d.clip != nil || newClipboard != nil) && utf8.RuneCountInString(text) >= limit &&
		strings.ContainsFunc(text, func(r rune) bool { return r != '\n' && r != '\r' && r != '\t' })
}

// pasteText enters text through the clipboard, pressing newlines and tabs as
// keys. It returns how many of text's characters it entered: fewer than all, with
// a nil error, when the rest is to be typed (the clipboard is unavailable, or the
// application did not take a paste).
func (d *Desktop) pasteText(ctx context.Context, text string, total int) (done int, err error) {
	if d.clip == nil && d.clipErr == nil {
		d.clip, d.clipErr = newClipboard()
	}
	if d.clip == nil {
		return 0, nil
	}
	s, err := d.clip.hold(ctx)
	if err != nil {
		return 0, ctx.Err() // nil unless cancelled: type instead
	}
	defer func() {
		if rerr := s.restore(); rerr != nil {
			err = errors.Join(err, fmt.Errorf("%d of %d characters were entered, but your clipboard could not be put back: %w", done, total, rerr))
		}
	}()
	steps, _ := typeSteps(text, math.MaxInt) // Do checked text
	for _, st := range steps {
		if err := ctx.Err(); err != nil {
			return done, fmt.Errorf("pasting stopped after %d of %d characters: %w", done, total, err)
		}
		if st.key != "" {
			err = d.b.keyTap([]string{st.key})
		} else {
			err = s.paste(ctx, st.text, d.b.keyTap)
		}
		switch {
		case errors.Is(err, errNotFetched):
			return done, nil
		case err != nil && ctx.Err() != nil:
			return done, fmt.Errorf("pasting stopped after %d of %d characters: %w", done, total, ctx.Err())
		case err != nil:
			return done, fmt.Errorf("paste after %d of %d characters: %w", done, total, err)
		}
		done += st.runes
	}
	return done, nil
}

// Close releases what the Desktop holds: the connection of its clipboard, after
// handing the clipboard content it restored to a clipboard manager, if one runs
// (without one the restored content lasts as long as the process, as with any X11
// application). The Desktop may be used again afterwards.
func (d *Desktop) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	c := d.clip
	d.clip, d.clipErr = nil, nil
	if c == nil {
		return nil
	}
	if err := c.close(); err != nil {
		return fmt.Errorf("release the clipboard: %w", err)
	}
	return nil
}

// terminalClasses are the window classes (lower case, X11 WM_CLASS instance or
// class, or Windows class names) of terminals, which paste with shift+insert.
var terminalClasses = []string{
	"xterm", "uxterm", "gnome-terminal", "gnome-terminal-server", "konsole", "kitty", "alacritty",
	"urxvt", "rxvt", "xfce4-terminal", "terminator", "tilix", "st", "st-256color", "lxterminal",
	"mate-terminal", "qterminal", "terminology", "sakura", "guake", "tilda", "yakuake", "kgx",
	"org.gnome.console", "org.gnome.ptyxis", "ptyxis", "wezterm", "org.wezfurlong.wezterm",
	"com.mitchellh.ghostty", "ghostty", "foot", "contour", "rio", "cool-retro-term", "eterm",
	"aterm", "deepin-terminal", "io.elementary.terminal", "blackbox", "com.raggesilver.blackbox",
	"mintty", "putty", "pterm", "terminal",
}

// isTerminal reports whether a window of one of classes is a terminal.
func isTerminal(classes ...string) bool {
	for _, c := range classes {
		c = strings.ToLower(c)
		for _, t := range terminalClasses {
			if c == t {
				return true
			}
		}
		if strings.HasSuffix(c, "term") || strings.HasSuffix(c, "terminal") {
			return true
		}
	}
	return false
}

// pasteKeys returns the shortcut that pastes the clipboard into a window: ctrl+v,
// or shift+insert in a terminal.
func pasteKeys(terminal bool) []string {
	if terminal {
		return []string{"shift", "insert"}
	}
	return []string{"ctrl", "v"}
}
