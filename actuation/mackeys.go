package actuation

import "fmt"

// The macOS panic key (panickey_darwin.go) matches key codes and modifier flags
// of Quartz events; the tables are plain Go, tested everywhere.

// macKeyCodes are the virtual key codes (Carbon's kVK_*) of the keys a panic
// key may use, by canonical name. They are positions on the keyboard, named
// after the US layout, as macOS's own shortcuts are.
var macKeyCodes = map[string]int64{
	"a": 0, "s": 1, "d": 2, "f": 3, "h": 4, "g": 5, "z": 6, "x": 7, "c": 8, "v": 9, "b": 11, "q": 12,
	"w": 13, "e": 14, "r": 15, "y": 16, "t": 17, "1": 18, "2": 19, "3": 20, "4": 21, "6": 22, "5": 23,
	"=": 24, "9": 25, "7": 26, "-": 27, "8": 28, "0": 29, "]": 30, "o": 31, "u": 32, "[": 33, "i": 34,
	"p": 35, "enter": 36, "l": 37, "j": 38, "'": 39, "k": 40, ";": 41, "\\": 42, ",": 43, "/": 44,
	"n": 45, "m": 46, ".": 47, "tab": 48, "space": 49, "`": 50, "backspace": 51, "esc": 53,
	"f17": 64, "f18": 79, "f19": 80, "f20": 90, "f5": 96, "f6": 97, "f7": 98, "f3": 99, "f8": 100,
	"f9": 101, "f11": 103, "f13": 105, "f16": 106, "f14": 107, "f10": 109, "f12": 111, "f15": 113,
	"insert": 114, "home": 115, "pageup": 116, "delete": 117, "f4": 118, "end": 119, "f2": 120,
	"pagedown": 121, "f1": 122, "left": 123, "right": 124, "down": 125, "up": 126,
}

// CGEventFlags of the modifiers, and all four.
const (
	cgFlagShift   = 0x00020000
	cgFlagControl = 0x00040000
	cgFlagOption  = 0x00080000
	cgFlagCommand = 0x00100000
	cgFlagMods    = cgFlagShift | cgFlagControl | cgFlagOption | cgFlagCommand
)

// macPanicKey returns the key code and modifier flags a Quartz key event has
// when p is pressed.
func macPanicKey(p PanicKey) (code int64, flags uint64, err error) {
	keys := p.pressed()
	for _, k := range keys[:len(keys)-1] {
		switch k {
		case "shift":
			flags |= cgFlagShift
		case "ctrl":
			flags |= cgFlagControl
		case "alt":
			flags |= cgFlagOption
		case "super":
			flags |= cgFlagCommand
		default:
			return 0, 0, fmt.Errorf("the panic key %s: %q is not a modifier on macOS", p, k)
		}
	}
	key := keys[len(keys)-1]
	code, ok := macKeyCodes[key]
	if !ok {
		return 0, 0, fmt.Errorf("the panic key %s: deskhand does not know macOS's code for %q; use a letter, a digit, Esc or F1–F20", p, key)
	}
	return code, flags, nil
}
