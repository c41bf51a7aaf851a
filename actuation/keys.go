package actuation

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Canonical key names of contracts.md §2, besides single printable characters.
var canonicalKeys = map[string]bool{
	"ctrl": true, "alt": true, "shift": true, "super": true,
	"enter": true, "tab": true, "esc": true, "backspace": true, "delete": true, "space": true,
	"up": true, "down": true, "left": true, "right": true, "home": true, "end": true,
	"pageup": true, "pagedown": true, "insert": true, "capslock": true, "printscreen": true,
}

// Modifiers are the canonical modifier keys, in the order combinations are printed.
var Modifiers = []string{"ctrl", "alt", "shift", "super"}

// keyAliases maps what models and people write (lower-cased, with '_', '-' and ' '
// removed) to canonical names.
var keyAliases = map[string]string{
	"control": "ctrl", "ctl": "ctrl", "lctrl": "ctrl", "rctrl": "ctrl", "leftctrl": "ctrl", "rightctrl": "ctrl",
	"controlleft": "ctrl", "controlright": "ctrl", "strg": "ctrl",
	"option": "alt", "opt": "alt", "lalt": "alt", "ralt": "alt", "altleft": "alt", "altright": "alt", "altgr": "alt",
	"lshift": "shift", "rshift": "shift", "shiftleft": "shift", "shiftright": "shift",
	"cmd": "super", "command": "super", "win": "super", "windows": "super", "meta": "super", "lwin": "super",
	"rwin": "super", "metaleft": "super", "metaright": "super", "os": "super", "logo": "super", "lsuper": "super",
	"return": "enter", "ret": "enter", "kpenter": "enter", "numpadenter": "enter", "linefeed": "enter",
	"escape": "esc",
	"del":    "delete", "forwarddelete": "delete",
	"bksp": "backspace", "backspacekey": "backspace", "back": "backspace",
	"spacebar": "space",
	"arrowup":  "up", "uparrow": "up", "keyup": "up",
	"arrowdown": "down", "downarrow": "down", "keydown": "down",
	"arrowleft": "left", "leftarrow": "left",
	"arrowright": "right", "rightarrow": "right",
	"pgup": "pageup", "prior": "pageup",
	"pgdn": "pagedown", "pgdown": "pagedown", "next": "pagedown",
	"ins":  "insert",
	"caps": "capslock", "capslk": "capslock",
	"print": "printscreen", "prtsc": "printscreen", "prtscr": "printscreen", "printscr": "printscreen", "snapshot": "printscreen",
	"plus": "+", "minus": "-", "equal": "=", "equals": "=", "comma": ",", "period": ".", "dot": ".",
	"slash": "/", "backslash": "\\", "semicolon": ";", "apostrophe": "'", "quote": "'", "grave": "`",
	"backquote": "`", "bracketleft": "[", "bracketright": "]", "leftbracket": "[", "rightbracket": "]",
}

// NormalizeKey returns the canonical name of one key as a model or a person may write
// it: "Return", "Escape", "control", "cmd", "ArrowUp", "page_down", "F5", "A".
func NormalizeKey(k string) (string, error) {
	s := strings.TrimSpace(k)
	if s == "" {
		return "", fmt.Errorf("empty key name")
	}
	if utf8.RuneCountInString(s) == 1 {
		if s == " " {
			return "space", nil
		}
		return strings.ToLower(s), nil
	}
	low := strings.ToLower(s)
	squashed := strings.NewReplacer("_", "", "-", "", " ", "").Replace(low)
	if canonicalKeys[squashed] {
		return squashed, nil
	}
	if a, ok := keyAliases[squashed]; ok {
		return a, nil
	}
	if strings.HasPrefix(squashed, "key") && utf8.RuneCountInString(squashed) == 4 { // KeyA (DOM code)
		return squashed[3:], nil
	}
	if strings.HasPrefix(squashed, "digit") && len(squashed) == 6 { // Digit1 (DOM code)
		return squashed[5:], nil
	}
	var n int
	if _, err := fmt.Sscanf(squashed, "f%d", &n); err == nil && fmt.Sprintf("f%d", n) == squashed && n >= 1 && n <= 24 {
		return squashed, nil
	}
	return "", fmt.Errorf("unknown key %q", k)
}

// ParseKeys splits a combination such as "Ctrl+S", "ctrl s", "cmd-shift-z" or
// "ctrl + +" into canonical key names, modifiers first in canonical order.
func ParseKeys(combo string) ([]string, error) {
	s := strings.TrimSpace(combo)
	if s == "" {
		return nil, fmt.Errorf("empty key combination")
	}
	var parts []string
	switch {
	case utf8.RuneCountInString(s) == 1:
		parts = []string{s}
	case strings.Contains(s, "+"):
		parts = splitKeep(s, '+')
	case strings.Contains(s, " "):
		parts = strings.Fields(s)
	case strings.Count(s, "-") > 0 && !strings.HasSuffix(strings.ToLower(s), "page-down") && isModifierCombo(s, '-'):
		parts = splitKeep(s, '-')
	default:
		parts = []string{s}
	}
	return NormalizeKeys(parts)
}

// NormalizeKeys normalises each key and orders modifiers first, keeping the last
// non-modifier keys in the order given. Duplicates are dropped.
func NormalizeKeys(keys []string) ([]string, error) {
	seen := map[string]bool{}
	var mods, rest []string
	for _, k := range keys {
		if strings.TrimSpace(k) == "" && k != " " {
			continue
		}
		n, err := NormalizeKey(k)
		if err != nil {
			return nil, err
		}
		if seen[n] {
			continue
		}
		seen[n] = true
		if isModifier(n) {
			mods = append(mods, n)
		} else {
			rest = append(rest, n)
		}
	}
	if len(mods)+len(rest) == 0 {
		return nil, fmt.Errorf("empty key combination")
	}
	var out []string
	for _, m := range Modifiers {
		for _, x := range mods {
			if x == m {
				out = append(out, m)
			}
		}
	}
	return append(out, rest...), nil
}

func isModifier(k string) bool {
	for _, m := range Modifiers {
		if k == m {
			return true
		}
	}
	return false
}

// splitKeep splits on sep, but keeps a literal sep key ("ctrl++" → ctrl, +).
func splitKeep(s string, sep rune) []string {
	var out []string
	fields := strings.Split(s, string(sep))
	for i := 0; i < len(fields); i++ {
		f := strings.TrimSpace(fields[i])
		if f == "" {
			// "a++" splits into a, "", "": the empty pair is the literal separator.
			if i+1 < len(fields) && strings.TrimSpace(fields[i+1]) == "" {
				out = append(out, string(sep))
				i++
			} else if i == len(fields)-1 && i > 0 {
				out = append(out, string(sep))
			}
			continue
		}
		out = append(out, f)
	}
	return out
}

// isModifierCombo reports whether every part before the last separator is a modifier,
// so "ctrl-shift-z" splits but "page-down" does not.
func isModifierCombo(s string, sep rune) bool {
	parts := strings.Split(s, string(sep))
	for _, p := range parts[:len(parts)-1] {
		n, err := NormalizeKey(p)
		if err != nil || !isModifier(n) {
			return false
		}
	}
	return true
}
