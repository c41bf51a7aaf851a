package planner

import (
	"fmt"
	"path"
	"regexp"
	"strings"
	"unicode"

	"github.com/deskhand/deskhand/actuation"
)

// The risk policy lives here, in code, and not in the prompt: the model proposes
// actions, deskhand decides which of them a person must see first. Nothing the model
// says or the screen shows can change the Policy; the rules below only ever raise an
// action's risk, never lower it.
//
// The classifier is deliberately simple and over-cautious: a false "high" costs the
// user one extra prompt under ConfirmHigh, a false "low" or "medium" can cost their
// files. It reads the action, the model's thought for the step, and the actions that
// ran just before (so that "Enter right after typing" can be told from "Enter after a
// click").

// RiskLevel says how much harm an action can do if it is wrong.
type RiskLevel string

// The risk levels, in increasing order.
const (
	RiskLow    RiskLevel = "low"    // cannot change anything: move, scroll, wait, done …
	RiskMedium RiskLevel = "medium" // changes something undoable: click, type, ordinary keys
	RiskHigh   RiskLevel = "high"   // may submit, send, delete, close or run something
)

// Risk is an action's class and, for medium and high, why.
type Risk struct {
	Level   RiskLevel `json:"level"`
	Reasons []string  `json:"reasons,omitempty"`
}

// High reports whether the risk is high. A risk with an unknown level counts as high.
func (r Risk) High() bool { return r.Level != RiskLow && r.Level != RiskMedium }

// String is the level and the reasons, for logs and prompts.
func (r Risk) String() string {
	if len(r.Reasons) == 0 {
		return string(r.Level)
	}
	return string(r.Level) + ": " + strings.Join(r.Reasons, "; ")
}

// RiskContext is what the classifier may use besides the action itself.
type RiskContext struct {
	// Thought is the model's reasoning for this step.
	Thought string
	// Recent holds the last actions that ran in this run, oldest first.
	Recent []actuation.Action
	// PasswordField says the focused field looks like a password field. Classify
	// also infers it from Window and from the click that chose the field.
	PasswordField bool
	// Window is the window that has the keyboard focus, when the actuator can say
	// (FocusReader): a password prompt's class or title marks typing into it.
	Window *actuation.Window
}

// passwordWindow matches the title of a window that asks for a secret: sudo and
// polkit prompts, keyring and SSH passphrase dialogs, login pages named so.
var passwordWindow = regexp.MustCompile(`\b(password|passwort|mot de passe|contraseña|passcode|passphrase|pin|authenticat(e|ion)|unlock|keyring|log ?in|sign ?in|credentials?|sudo)\b`)

// passwordClasses are window classes (lower case) of programs that only ask
// for secrets.
var passwordClasses = []string{"pinentry", "pinentry-gtk-2", "pinentry-gnome3", "pinentry-qt", "gcr-prompter",
	"polkit-gnome-authentication-agent-1", "polkit-kde-authentication-agent-1", "lxpolkit", "ssh-askpass",
	"x11-ssh-askpass", "ksshaskpass", "gnome-ssh-askpass", "kwalletd5", "kwalletd6", "keepassxc", "1password", "bitwarden"}

// LooksLikePassword reports whether typing into w types a secret: its class is a
// password prompt's, or its title asks for one.
func LooksLikePassword(w actuation.Window) bool {
	for _, c := range w.Class {
		c = strings.ToLower(c)
		for _, p := range passwordClasses {
			if c == p || strings.HasPrefix(c, "pinentry") {
				return true
			}
		}
	}
	return passwordWindow.MatchString(strings.ToLower(fold(w.Title)))
}

// passwordContext reports whether ctx says the text goes into a password field:
// set by the caller, the focused window, or the click that chose the field (the
// last action before typing, whose thought names a password).
func passwordContext(ctx RiskContext) bool {
	if ctx.PasswordField || (ctx.Window != nil && LooksLikePassword(*ctx.Window)) {
		return true
	}
	if n := len(ctx.Recent); n > 0 {
		last := ctx.Recent[n-1]
		if last.Type == actuation.Click && passwordThought.MatchString(strings.ToLower(fold(last.Thought))) {
			return true
		}
	}
	return false
}

// passwordThought is the thought of a click into a password field.
var passwordThought = regexp.MustCompile(`\b(password|passcode|passphrase|pin)\b`)

// recentActions is how many executed actions the agent keeps for RiskContext.
const recentActions = 8

// Policy says which actions need the user's approval. The user sets it, in code or
// with a flag; the model never can.
type Policy string

// The policies. The zero value asks for every action.
const (
	ConfirmAll  Policy = ""     // ask before every action (the default)
	ConfirmHigh Policy = "high" // ask only before high-risk actions
	ConfirmNone Policy = "none" // ask for nothing (--yes)
)

// ParsePolicy reads a policy as a person writes it: all, high or none.
func ParsePolicy(s string) (Policy, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "all", "every", "always":
		return ConfirmAll, nil
	case "high", "high-risk", "risky":
		return ConfirmHigh, nil
	case "none", "never", "yes":
		return ConfirmNone, nil
	}
	return ConfirmAll, fmt.Errorf("confirmation policy %q is not all, high or none", s)
}

// String names the policy.
func (p Policy) String() string {
	switch p {
	case ConfirmHigh:
		return "confirm high-risk actions"
	case ConfirmNone:
		return "confirm nothing"
	}
	return "confirm every action"
}

// NeedsApproval reports whether an action of risk r must be approved by the user.
// Any policy it does not know asks, like ConfirmAll.
func (p Policy) NeedsApproval(r Risk) bool {
	switch p {
	case ConfirmNone:
		return false
	case ConfirmHigh:
		return r.High()
	}
	return true
}

// Classify returns the risk of action a, which may be raw or normalised.
func Classify(a actuation.Action, ctx RiskContext) Risk {
	var reasons []string
	level := RiskMedium
	switch a.Type {
	case actuation.Move, actuation.Scroll, actuation.Wait, actuation.Done, actuation.Fail, actuation.AskUser:
		// They cannot change anything: the pointer moves, the view scrolls, or the run
		// ends. A thought about paying does not make a scroll dangerous either.
		return Risk{Level: RiskLow}
	case actuation.Click, actuation.Drag:
		reasons = clickRisks(a, ctx)
	case actuation.TypeText:
		reasons = typeRisks(a, ctx)
	case actuation.Key:
		reasons = keyRisks(a, ctx)
	default:
		return Risk{Level: RiskHigh, Reasons: []string{fmt.Sprintf("unknown action type %q", a.Type)}}
	}
	reasons = append(reasons, thoughtRisks(a, ctx.Thought)...)
	if len(reasons) > 0 {
		level = RiskHigh
	}
	return Risk{Level: level, Reasons: dedupe(reasons)}
}

func clickRisks(actuation.Action, RiskContext) []string {
	// A click alone is medium: what it hits is only known from the screen. Clicks on
	// "Pay" or "Send" are caught by the thought rules.
	return nil
}

// ---- typing ----

func typeRisks(a actuation.Action, ctx RiskContext) []string {
	text := a.Text
	body := strings.Trim(text, "\r\n")
	// The worst news first: a dangerous command matters more than how it is sent.
	var r []string
	for _, s := range shellRisks(text) {
		r = append(r, "types a shell command with `"+s+"`")
	}
	if passwordContext(ctx) && body != "" {
		r = append(r, "types into what looks like a password field")
	}
	if strings.ContainsAny(text, "\r\n") {
		switch {
		case body != "":
			// The actuator turns "\n" into Enter: in a chat, a search box, a form or a
			// terminal that sends or runs what was just typed.
			r = append(r, "presses Enter right after typing, which submits the text")
		case lastInputWasTyping(ctx.Recent):
			r = append(r, "presses Enter right after typing, which submits the text")
		}
	}
	if n := strings.Count(text, "\b") + strings.Count(text, "\x7f"); n >= 2 {
		r = append(r, fmt.Sprintf("types %d backspace or delete characters", n))
	}
	if body != "" && selectedAll(ctx.Recent) {
		r = append(r, "types over everything selected with select-all, replacing it")
	}
	return r
}

// ---- keys ----

// dangerousCombos are key combinations that close, quit, log out, or delete, keyed
// by their canonical form (modifiers in actuation.Modifiers order, then the key).
var dangerousCombos = map[string]string{
	"alt+f4":             "closes the window (alt+f4)",
	"ctrl+f4":            "closes the tab or document (ctrl+f4)",
	"ctrl+w":             "closes the tab or window (ctrl+w)",
	"ctrl+shift+w":       "closes the window (ctrl+shift+w)",
	"ctrl+q":             "quits the application (ctrl+q)",
	"ctrl+shift+q":       "quits the application (ctrl+shift+q)",
	"super+q":            "quits the application (super+q, ⌘Q on macOS)",
	"super+w":            "closes the window (super+w, ⌘W on macOS)",
	"super+shift+q":      "logs out or quits (super+shift+q)",
	"super+alt+esc":      "opens Force Quit (⌥⌘Esc on macOS)",
	"ctrl+alt+delete":    "opens the system's security screen (ctrl+alt+delete)",
	"ctrl+alt+backspace": "kills the X session (ctrl+alt+backspace)",
	"ctrl+backspace":     "deletes a whole word (ctrl+backspace)",
	"alt+backspace":      "deletes a whole word (alt+backspace)",
	"ctrl+delete":        "deletes a whole word (ctrl+delete)",
	"shift+delete":       "deletes for good, bypassing the trash (shift+delete)",
	"super+backspace":    "deletes (⌘⌫ moves the selection to the trash on macOS)",
	"super+delete":       "deletes (super+delete)",
	"ctrl+shift+delete":  "clears browsing data (ctrl+shift+delete)",
	"ctrl+enter":         "sends or submits in many apps (ctrl+enter)",
	"super+enter":        "sends or submits in many apps (super+enter)",
	"ctrl+shift+enter":   "sends or submits in many apps (ctrl+shift+enter)",
	"alt+s":              "sends the message in Outlook and Thunderbird-style mailers (alt+s)",
}

// deleteRun is how many backspace or delete presses in a row, this one included,
// make an edit "backspace-heavy".
const deleteRun = 3

func keyRisks(a actuation.Action, ctx RiskContext) []string {
	keys := canonicalKeys(a.Keys)
	combo := strings.Join(keys, "+")
	var r []string
	if why, ok := dangerousCombos[combo]; ok {
		r = append(r, why)
	}
	switch combo {
	case "enter":
		if lastInputWasTyping(ctx.Recent) {
			r = append(r, "presses Enter right after typing, which submits the text")
		}
	case "backspace", "delete":
		if selectedAll(ctx.Recent) {
			r = append(r, "deletes everything selected with select-all")
		} else if n := 1 + trailingDeletes(ctx.Recent); n >= deleteRun {
			r = append(r, fmt.Sprintf("presses %s %d times in a row", combo, n))
		}
	case "ctrl+x", "super+x":
		if selectedAll(ctx.Recent) {
			r = append(r, "cuts everything selected with select-all")
		}
	}
	if passwordContext(ctx) && len(keys) == 1 && len([]rune(keys[0])) == 1 {
		r = append(r, "types into what looks like a password field")
	}
	return r
}

// canonicalKeys normalises keys the way the actuator will, so that "Alt+F4",
// ["ALT","f4"] and ["f4","alt"] all read as alt+f4.
func canonicalKeys(keys []string) []string {
	if n, err := actuation.NormalizeKeys(keys); err == nil {
		return n
	}
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = strings.ToLower(strings.TrimSpace(k))
	}
	return out
}

// inputs returns the recent actions that put input into the focused window, newest
// first: moves, scrolls and waits do not change what Enter or Delete will act on.
func inputs(recent []actuation.Action) []actuation.Action {
	var out []actuation.Action
	for i := len(recent) - 1; i >= 0; i-- {
		switch recent[i].Type {
		case actuation.Move, actuation.Scroll, actuation.Wait:
			continue
		}
		out = append(out, recent[i])
	}
	return out
}

// lastInputWasTyping reports whether the last input was typed text.
func lastInputWasTyping(recent []actuation.Action) bool {
	in := inputs(recent)
	return len(in) > 0 && in[0].Type == actuation.TypeText && strings.Trim(in[0].Text, "\r\n") != ""
}

// selectedAll reports whether the last input was select-all (ctrl+a, or ⌘A).
func selectedAll(recent []actuation.Action) bool {
	in := inputs(recent)
	if len(in) == 0 || in[0].Type != actuation.Key {
		return false
	}
	c := strings.Join(canonicalKeys(in[0].Keys), "+")
	return c == "ctrl+a" || c == "super+a"
}

// trailingDeletes counts the backspace or delete presses that ran last, in a row.
func trailingDeletes(recent []actuation.Action) int {
	n := 0
	for _, a := range inputs(recent) {
		if a.Type != actuation.Key {
			break
		}
		c := strings.Join(canonicalKeys(a.Keys), "+")
		if c != "backspace" && c != "delete" {
			break
		}
		n++
	}
	return n
}

// ---- the model's thought ----

// thoughtRules flag actions whose step the model reasoned about as consequential:
// money, messages, deleting, installing. They apply to clicks, drags, typing and
// keys, the actions that can commit something; the first match per topic counts.
var thoughtRules = []struct {
	topic string
	re    *regexp.Regexp
}{
	{"paying", regexp.MustCompile(`\b(pay|pays|paying|payment|payments|checkout|credit card|card number|billing)\b`)},
	{"purchasing", regexp.MustCompile(`\b(buy|buying|purchase|purchasing|add to cart|subscribe|subscription)\b`)},
	{"submitting an order", regexp.MustCompile(`\b(submit|place|confirm|complete)(s|ing)?\s+(the\s+|my\s+|this\s+|your\s+|an?\s+)?(order|purchase|booking|reservation|payment)\b`)},
	{"transferring money", regexp.MustCompile(`\b(transfer|transferring|wire|wiring)\b`)},
	{"sending", regexp.MustCompile(`\b(send|sends|sending|reply all|publish|publishing|tweet)\b`)},
	{"sending", regexp.MustCompile(`\b(forward|post)(s|ing)?\s+(the\s+|this\s+|my\s+|a\s+)?(e-?mail|message|comment|reply|tweet|status|review)\b`)},
	{"deleting", regexp.MustCompile(`\b(delete|deletes|deleting|erase|erasing|wipe|wiping|empty (the )?trash|permanently|discard)\b`)},
	{"deleting", regexp.MustCompile(`\bremov(e|es|ing)\s+(the\s+|this\s+|that\s+|all\s+|my\s+|these\s+)?(files?|folders?|director(y|ies)|accounts?|apps?|applications?|programs?|packages?|users?|repo(sitory)?|branch(es)?|contacts?|emails?|messages?|photos?|data)\b`)},
	{"uninstalling", regexp.MustCompile(`\b(uninstall|uninstalls|uninstalling|uninstaller)\b`)},
	{"installing", regexp.MustCompile(`\b(install|installs|installing|installer|download and run)\b`)},
	{"entering a password", regexp.MustCompile(`\b(password|passcode|passphrase|pin code|one-time code|2fa code)\b`)},
}

func thoughtRisks(a actuation.Action, thought string) []string {
	if thought == "" {
		thought = a.Thought
	}
	if strings.TrimSpace(thought) == "" {
		return nil
	}
	t := strings.ToLower(fold(thought))
	var r []string
	seen := map[string]bool{}
	for _, rule := range thoughtRules {
		if seen[rule.topic] {
			continue
		}
		// A password is only at risk when something is typed.
		if rule.topic == "entering a password" && a.Type != actuation.TypeText {
			continue
		}
		if m := rule.re.FindString(t); m != "" {
			seen[rule.topic] = true
			r = append(r, fmt.Sprintf("follows a thought about %s (%q)", rule.topic, m))
		}
	}
	return r
}

// ---- shell commands ----

// Shell detection works on a folded copy of the text: Unicode lookalikes and
// full-width letters mapped to ASCII, lower case, quotes and backslashes dropped (so
// r\m, "rm" and ｒｍ all read rm), whitespace collapsed. It looks for command words
// at the start of a command (after ; && || | newline or a prompt sign), and for a
// few patterns anywhere.

// shellPatterns match anywhere in the folded text.
var shellPatterns = []struct {
	name string
	re   *regexp.Regexp
}{
	{"curl … | sh", regexp.MustCompile(`\b(curl|wget|fetch|iwr|invoke-webrequest|irm|invoke-restmethod)\b[^;\n]*\|\s*(sudo\s+)?(sh|bash|zsh|dash|ksh|fish|python[0-9.]*|perl|ruby|node|iex|invoke-expression|source)\b`)},
	{"curl … | sh", regexp.MustCompile(`(sh|bash|zsh)\s+(-c\s+)?(\$\(|<\()\s*(curl|wget)\b`)},
	// Matched with the spaces removed too (see shellRisks): ": ( ) { : | : & } ; :".
	{"a fork bomb", regexp.MustCompile(`\(\)\s*\{[^}]*\|[^}]*&\s*\}\s*;`)},
	{"> /dev/sd…", regexp.MustCompile(`(>|of=)\s*/dev/(sd|hd|vd|xvd|nvme|mmcblk|disk)`)},
	{"DROP TABLE", regexp.MustCompile(`\bdrop\s+(table|database|schema)\b`)},
	{"TRUNCATE TABLE", regexp.MustCompile(`\btruncate\s+table\b`)},
	{"DELETE FROM", regexp.MustCompile(`\bdelete\s+from\s+[\w.]+\s*(;|where\b|$)`)},
	{"format c:", regexp.MustCompile(`\bformat(\.com)?\s+[a-z]:`)},
	{"del /s", regexp.MustCompile(`\b(del|erase|rd|rmdir)\b[^;&|\n]*\s/[sq]\b`)},
	{"Remove-Item -Recurse", regexp.MustCompile(`\b(remove-item|ri)\b[^;|\n]*\s-(r|recurse|fo|force)\b`)},
	{"Invoke-Expression", regexp.MustCompile(`\b(invoke-expression|iex)\s*[\(\$]`)},
}

// bareOK are arguments that leave shutdown-like commands a command ("shutdown now",
// "reboot -f", "shutdown +5", "shutdown 22:00") rather than the first word of a
// sentence ("Shutdown procedures are …").
var bareOK = regexp.MustCompile(`^(-.*|now|\+\d+|\d{1,2}:\d{2}|0|6)$`)

var numeric = regexp.MustCompile(`^[0-9.,]+$`)

// pathish says an argument looks like a file: rm is a command, "RM 500 for the
// hotel" is ringgit.
func pathish(s string) bool {
	return strings.HasPrefix(s, "-") || strings.HasPrefix(s, "$") || strings.ContainsAny(s, "/~*.")
}

// shellCommands judge one simple command by its first word; they return the name
// used in the reason, or "" when the command is harmless.
var shellCommands = map[string]func(args []string) string{
	"rm": func(args []string) string {
		recursive, force, target := false, false, false
		for _, a := range args {
			switch {
			case a == "--recursive":
				recursive = true
			case a == "--force":
				force = true
			case strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--"):
				recursive = recursive || strings.ContainsAny(a, "rR")
				force = force || strings.Contains(a, "f")
			}
			target = target || pathish(a)
		}
		switch {
		case recursive && force:
			return "rm -rf"
		case recursive:
			return "rm -r"
		case target:
			return "rm"
		case len(args) >= 1 && len(args) <= 2 && !numeric.MatchString(args[0]):
			return "rm" // rm notes
		}
		return ""
	},
	"sudo":   always("sudo"),
	"doas":   always("doas"),
	"pkexec": always("pkexec"),
	"su": func(args []string) string {
		if len(args) == 0 || strings.HasPrefix(args[0], "-") || args[0] == "root" {
			return "su"
		}
		return "" // "su casa es grande"
	},
	"dd": func(args []string) string {
		for _, a := range args {
			if strings.HasPrefix(a, "if=") || strings.HasPrefix(a, "of=") {
				return "dd"
			}
		}
		return ""
	},
	"chmod": func(args []string) string {
		for _, a := range args {
			if a == "-r" || a == "--recursive" || a == "777" || a == "a+rwx" || a == "000" {
				return "chmod " + strings.Join(args, " ")
			}
		}
		return ""
	},
	"chown": func(args []string) string {
		for _, a := range args {
			if a == "-r" || a == "--recursive" {
				return "chown -R"
			}
		}
		return ""
	},
	"shutdown": bare("shutdown"),
	"reboot":   bare("reboot"),
	"poweroff": bare("poweroff"),
	"halt":     bare("halt"),
	"init": func(args []string) string {
		if len(args) == 1 && (args[0] == "0" || args[0] == "6") {
			return "init " + args[0]
		}
		return ""
	},
	"systemctl": func(args []string) string {
		for _, a := range args {
			switch a {
			case "poweroff", "reboot", "halt", "suspend", "hibernate", "kexec":
				return "systemctl " + a
			}
		}
		return ""
	},
	"git": func(args []string) string {
		if len(args) == 0 {
			return ""
		}
		rest := args[1:]
		switch args[0] {
		case "push":
			for _, a := range rest {
				if a == "-f" || strings.HasPrefix(a, "--force") || strings.HasPrefix(a, "+") || a == "--delete" || a == "--mirror" {
					return "git push " + a
				}
			}
		case "reset":
			for _, a := range rest {
				if a == "--hard" {
					return "git reset --hard"
				}
			}
		case "clean":
			for _, a := range rest {
				if strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") && strings.Contains(a, "f") {
					return "git clean " + a
				}
			}
		case "branch":
			for _, a := range rest {
				if a == "-d" || a == "--delete" {
					return "git branch -D" // the text is lower-cased: -d and -D look alike
				}
			}
		}
		return ""
	},
	// These need a file or device argument, so "Parted ways …" stays prose.
	"shred":   withTarget("shred"),
	"wipefs":  withTarget("wipefs"),
	"fdisk":   withTarget("fdisk"),
	"parted":  withTarget("parted"),
	"crontab": flag("crontab", "-r"),
	"find":    flag("find", "-delete"),
	"kill": func(args []string) string {
		if len(args) > 0 && args[len(args)-1] == "-1" {
			return "kill -1"
		}
		return ""
	},
}

func always(name string) func([]string) string { return func([]string) string { return name } }

func withTarget(name string) func([]string) string {
	return func(args []string) string {
		for _, a := range args {
			if pathish(a) {
				return name
			}
		}
		return ""
	}
}

func bare(name string) func([]string) string {
	return func(args []string) string {
		for _, a := range args {
			if !bareOK.MatchString(a) {
				return ""
			}
		}
		return name
	}
}

func flag(name, f string) func([]string) string {
	return func(args []string) string {
		for _, a := range args {
			if a == f {
				return name + " " + f
			}
		}
		return ""
	}
}

// prefixWords run the command that follows them; the classifier looks past them
// ("nohup rm -rf ~", "xargs rm", "time dd if=…").
var prefixWords = map[string]bool{
	"nohup": true, "time": true, "nice": true, "exec": true, "command": true, "builtin": true,
	"xargs": true, "env": true, "then": true, "do": true, "else": true, "!": true, "$": true, "#": true,
	"%": true, ">": true, ">>>": true, "ps>": true, "c:>": true,
}

// assignment is a variable assignment before a command (LANG=C rm …).
var assignment = regexp.MustCompile(`^[a-z_][a-z0-9_]*=`)

// commandBreaks end one simple command: ; && || | & newlines, subshells, backquotes.
var commandBreaks = regexp.MustCompile(`;|&&|\|\||[|&\n\r(){}` + "`" + `]|\$\(`)

// shellRisks returns the names of the dangerous commands in text, in order.
func shellRisks(text string) []string {
	t := foldShell(text)
	if t == "" {
		return nil
	}
	var out []string
	for _, seg := range commandBreaks.Split(t, -1) {
		words := strings.Fields(seg)
		for len(words) > 0 {
			w := words[0]
			// Skip a prompt sign, a prefix word or a variable assignment (A=1 rm …).
			if prefixWords[w] || (assignment.MatchString(w) && len(words) > 1) {
				words = words[1:]
				continue
			}
			break
		}
		if len(words) == 0 {
			continue
		}
		cmd := path.Base(words[0]) // /bin/rm is rm
		if strings.HasPrefix(cmd, "mkfs") {
			out = append(out, "mkfs")
			continue
		}
		// Commands that run another command given as arguments: judge that one too
		// (quotes are gone, so ssh host 'rm -rf x' reads ssh host rm -rf x).
		switch {
		case cmd == "ssh":
			if rest := stripFlags(words[1:]); len(rest) > 1 {
				out = append(out, shellRisks(strings.Join(rest[1:], " "))...)
			}
		case (cmd == "sh" || cmd == "bash" || cmd == "zsh" || cmd == "dash") && len(words) > 2 && words[1] == "-c":
			out = append(out, shellRisks(strings.Join(words[2:], " "))...)
		}
		if judge, ok := shellCommands[cmd]; ok {
			if name := judge(words[1:]); name != "" {
				out = append(out, name)
			}
			// sudo runs the command after it: judge that one too.
			if (cmd == "sudo" || cmd == "doas") && len(words) > 1 {
				out = append(out, shellRisks(strings.Join(stripFlags(words[1:]), " "))...)
			}
		}
	}
	squashed := strings.ReplaceAll(t, " ", "")
	for _, p := range shellPatterns {
		if p.re.MatchString(t) || (p.name == "a fork bomb" && p.re.MatchString(squashed)) {
			out = append(out, p.name)
		}
	}
	return dedupe(out)
}

// stripFlags drops sudo's own options (sudo -u root rm …).
func stripFlags(words []string) []string {
	for len(words) > 0 && strings.HasPrefix(words[0], "-") {
		f := words[0]
		words = words[1:]
		if (f == "-u" || f == "-g" || f == "-h" || f == "-p") && len(words) > 0 {
			words = words[1:] // the option's value
		}
	}
	return words
}

// foldShell prepares text for the shell rules: folded lookalikes, lower case,
// quotes and backslashes dropped, runs of spaces collapsed.
func foldShell(text string) string {
	t := strings.ToLower(fold(text))
	t = strings.NewReplacer(`"`, "", "'", "", `\`+"\n", "", `\`, "").Replace(t)
	var b strings.Builder
	space := false
	for _, r := range t {
		if r == ' ' || r == '\t' {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// lookalikes maps letters that render like ASCII to the ASCII letter: Cyrillic and
// Greek homoglyphs, dashes, and the like. Cheap, not complete: a determined attacker
// has other ways in, and those are what the approval prompt is for.
var lookalikes = map[rune]rune{
	'а': 'a', 'е': 'e', 'о': 'o', 'р': 'p', 'с': 'c', 'х': 'x', 'у': 'y', 'і': 'i', 'ѕ': 's', 'ј': 'j',
	'к': 'k', 'м': 'm', 'н': 'h', 'т': 't', 'в': 'b', 'г': 'r', 'ԁ': 'd', 'һ': 'h', 'ԛ': 'q', 'ԝ': 'w',
	'А': 'A', 'Е': 'E', 'О': 'O', 'Р': 'P', 'С': 'C', 'Х': 'X', 'У': 'Y', 'І': 'I', 'Ѕ': 'S', 'Ј': 'J',
	'К': 'K', 'М': 'M', 'Н': 'H', 'Т': 'T', 'В': 'B',
	'α': 'a', 'ο': 'o', 'ρ': 'p', 'ε': 'e', 'ι': 'i', 'κ': 'k', 'ν': 'v', 'τ': 't', 'υ': 'u', 'χ': 'x',
	'Α': 'A', 'Β': 'B', 'Ε': 'E', 'Η': 'H', 'Ι': 'I', 'Κ': 'K', 'Μ': 'M', 'Ν': 'N', 'Ο': 'O', 'Ρ': 'P',
	'Τ': 'T', 'Χ': 'X', 'Υ': 'Y', 'Ζ': 'Z',
	'ⅿ': 'm', 'ⅰ': 'i', 'ⅽ': 'c', 'ⅾ': 'd', 'ⅼ': 'l', 'ℓ': 'l',
	'‐': '-', '‑': '-', '‒': '-', '–': '-', '—': '-', '―': '-', '−': '-', '⁃': '-',
	'‘': '\'', '’': '\'', '‚': '\'', '‛': '\'', '“': '"', '”': '"', '„': '"', '‟': '"', '«': '"', '»': '"',
	'∣': '|', '│': '|', '￨': '|', 'ǀ': '|', '⁄': '/', '∕': '/', '⧸': '/', '˜': '~', '∼': '~',
}

// fold maps lookalikes and full-width forms to ASCII, turns Unicode spaces into
// spaces and drops invisible characters.
func fold(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII
			return r - 0xFEE0
		case r == 0x200B || r == 0x200C || r == 0x200D || r == 0x2060 || r == 0xFEFF || r == 0x00AD:
			return -1 // zero-width and soft hyphen: invisible, so "r\u200bm" reads rm
		case r == '\n' || r == '\r' || r == '\t':
			return r
		case unicode.IsSpace(r):
			return ' '
		}
		if a, ok := lookalikes[r]; ok {
			return a
		}
		return r
	}, s)
}

func dedupe(s []string) []string {
	if len(s) < 2 {
		return s
	}
	seen := map[string]bool{}
	out := s[:0:0]
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
