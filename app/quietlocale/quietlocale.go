// Package quietlocale keeps fyne from logging "Error parsing user locale C" at start-up
// in a C or POSIX locale (the default on servers and in containers): fyne reads the
// locale in a package init, before main runs, and logs three lines of error for a
// value it cannot parse. This package, initialised before fyne's (Go initialises
// packages in import-path order once their dependencies are ready, and this one
// needs only os), hides a C locale from that read; Restore, called first thing in
// main, puts the environment back exactly as it was.
package quietlocale

import (
	"os"
	"strings"
)

// The variables fyne's locale lookup reads, in its order.
var vars = []string{"LC_ALL", "LC_MESSAGES", "LANG"}

type saved struct {
	value string
	set   bool
}

var orig map[string]saved

func init() { hide() }

// hide swaps a C locale for en_US.UTF-8 until Restore.
func hide() {
	if !isC(effective()) {
		return
	}
	orig = map[string]saved{}
	for _, k := range vars {
		v, ok := os.LookupEnv(k)
		orig[k] = saved{v, ok}
		os.Unsetenv(k)
	}
	os.Setenv("LANG", "en_US.UTF-8")
}

// Restore puts the locale variables back as they were before init changed them.
func Restore() {
	for k, s := range orig {
		if s.set {
			os.Setenv(k, s.value)
		} else {
			os.Unsetenv(k)
		}
	}
	orig = nil
}

// effective is the locale a C library would use for messages.
func effective() string {
	for _, k := range vars {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return ""
}

func isC(v string) bool {
	base, _, _ := strings.Cut(v, ".")
	return base == "C" || base == "POSIX"
}
