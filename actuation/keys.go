package actuation

import (
	"fmt"
	"strings"
	"unicode"
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
	// X keysym names, as xdotool-style agents write them ("Control_L", "Page_Up", "quotedbl").
	"controll": "ctrl", "controlr": "ctrl", "ctrll": "ctrl", "ctrlr": "ctrl",
	"altl": "alt", "altr": "alt", "shiftl": "shift", "shiftr": "shift",
	"superl": "super", "superr": "super", "metal": "super", "metar": "super", "rsuper": "super",
	"sysreq": "printscreen", "printscrn": "printscreen",
	"exclam": "!", "at": "@", "numbersign": "#", "hash": "#", "dollar": "$", "percent": "%",
	"asciicircum": "^", "caret": "^", "ampersand": "&", "asterisk": "*", "star": "*",
	"parenleft": "(", "parenright": ")", "underscore": "_", "braceleft": "{", "braceright": "}",
	"bar": "|", "pipe": "|", "colon": ":", "quotedbl": "\"", "doublequote": "\"", "less": "<",
	"greater": ">", "question": "?", "asciitilde": "~", "tilde": "~",
}

// NormalizeKey returns the canonical name of one key as a model or a person may write
// it: "Return", "Escape", "control", "cmd", "ArrowUp", "page_down", "F5", "A".
// A single ASCII letter is lower-cased ("A" is the a key); NormalizeKeys adds the
// shift that an upper-case letter implies.
func NormalizeKey(k string) (string, error) {
	if k == " " {
		return "space", nil
	}
	s := strings.TrimSpace(k)
	if s == "" {
		return "", fmt.Errorf("empty key name")
	}
	if r, size := utf8.DecodeRuneInString(s); size == len(s) {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			return "", fmt.Errorf("key %q is not a printable character or a key name", k)
		}
		if r >= 'A' && r <= 'Z' {
			return string(r + ('a' - 'A')), nil
		}
		return s, nil
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

// ParseKeys splits a combination such as "Ctrl+S", "ctrl s", "cmd-shift-z",
// "ctrl + +", "ctrl--" or "Page Down" into canonical key names, modifiers first in
// canonical order.
func ParseKeys(combo string) ([]string, error) {
	if combo == " " {
		return []string{"space"}, nil
	}
	s := strings.TrimSpace(combo)
	if s == "" {
		return nil, fmt.Errorf("empty key combination")
	}
	switch {
	case utf8.RuneCountInString(s) == 1:
		return NormalizeKeys([]string{s})
	case strings.Contains(s, "+"):
		return NormalizeKeys(splitKeep(s, '+'))
	case strings.Contains(s, "-"):
		return splitModifiers(splitKeep(s, '-'), "-")
	case strings.Contains(s, " "):
		return splitModifiers(strings.Fields(s), " ")
	}
	return NormalizeKeys([]string{s})
}

// splitModifiers takes the leading fields that are modifiers and reads the rest,
// joined again with sep, as one key: "ctrl-page-down" is ctrl and page-down, while
// "page-down" alone is one key. Separated by spaces, a rest that is no key name is
// read as several keys ("ctrl c v").
func splitModifiers(fields []string, sep string) ([]string, error) {
	i := 0
	for ; i < len(fields)-1; i++ {
		if n, err := NormalizeKey(fields[i]); err != nil || !isModifier(n) {
			break
		}
	}
	rest := strings.Join(fields[i:], sep)
	keys, err := NormalizeKeys(append(fields[:i:i], rest))
	if err != nil && sep == " " && len(fields)-i > 1 {
		if keys, err2 := NormalizeKeys(fields); err2 == nil {
			return keys, nil
		}
	}
	return keys, err
}

// NormalizeKeys normalises each key and orders modifiers first, keeping the
// non-modifier keys in the order given. Duplicates are dropped. An upper-case letter
// adds shift ("A" is shift+a, as xdotool and pyautogui read it) unless ctrl, alt or
// super is held too: "Ctrl+S" is how people write ctrl+s.
func NormalizeKeys(keys []string) ([]string, error) {
	seen := map[string]bool{}
	var mods, rest []string
	upper := false
	for _, k := range keys {
		if strings.TrimSpace(k) == "" && k != " " {
			continue
		}
		n, err := NormalizeKey(k)
		if err != nil {
			return nil, err
		}
		if t := strings.TrimSpace(k); len(t) == 1 && t[0] >= 'A' && t[0] <= 'Z' {
			upper = true
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
	if upper && !seen["ctrl"] && !seen["alt"] && !seen["super"] && !seen["shift"] {
		mods = append(mods, "shift")
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
