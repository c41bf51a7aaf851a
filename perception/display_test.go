package perception

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestSessionCheck(t *testing.T) {
	tests := []struct {
		name    string
		goos    string
		env     map[string]string
		wantErr bool
		wayland bool
		says    []string // in the error, or in the warning when there is no error
	}{
		{name: "X11", goos: "linux", env: map[string]string{"DISPLAY": ":0", "XDG_SESSION_TYPE": "x11"}},
		{name: "X11 without a session type (ssh -X, Xvfb)", goos: "linux", env: map[string]string{"DISPLAY": ":0"}},
		{name: "XWayland", goos: "linux",
			env:  map[string]string{"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "wayland"},
			says: []string{"warning", "XWayland (DISPLAY=:0)", "portal", "permission", "black", "X11 windows only", "Ubuntu on Xorg"}},
		{name: "XWayland, session type only", goos: "linux", env: map[string]string{"DISPLAY": ":1", "XDG_SESSION_TYPE": "wayland"},
			says: []string{"DISPLAY=:1", "Ubuntu on Xorg"}},
		{name: "XWayland, WAYLAND_DISPLAY only", goos: "linux", env: map[string]string{"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"},
			says: []string{"portal"}},
		{name: "no display", goos: "linux", env: map[string]string{}, wantErr: true, says: []string{"DISPLAY is not set", "under Xvfb"}},
		{name: "X11 session type, no display", goos: "linux", env: map[string]string{"XDG_SESSION_TYPE": "x11"}, wantErr: true,
			says: []string{"DISPLAY is not set"}},
		{name: "Wayland without XWayland", goos: "linux", env: map[string]string{"WAYLAND_DISPLAY": "wayland-0"}, wantErr: true,
			wayland: true, says: []string{"Wayland session", "Ubuntu on Xorg", "log out"}},
		{name: "Wayland session type without XWayland", goos: "linux", env: map[string]string{"XDG_SESSION_TYPE": "wayland"},
			wantErr: true, wayland: true, says: []string{"X11 session", "XWayland"}},
		{name: "freebsd, no display", goos: "freebsd", env: map[string]string{}, wantErr: true, says: []string{"DISPLAY is not set"}},
		{name: "macOS", goos: "darwin", env: map[string]string{}},
		{name: "Windows ignores Wayland variables", goos: "windows", env: map[string]string{"WAYLAND_DISPLAY": "x", "XDG_SESSION_TYPE": "wayland"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err, warning := sessionCheck(tc.goos, func(k string) string { return tc.env[k] })
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			text := warning
			if err != nil {
				if warning != "" {
					t.Errorf("both an error and a warning: %q", warning)
				}
				var nd *NoDisplayError
				if !errors.As(err, &nd) {
					t.Fatalf("%T is not a *NoDisplayError", err)
				}
				if nd.Wayland != tc.wayland {
					t.Errorf("Wayland = %v, want %v", nd.Wayland, tc.wayland)
				}
				text = err.Error()
			}
			if len(tc.says) == 0 && text != "" {
				t.Errorf("unexpected warning %q", text)
			}
			for _, s := range tc.says {
				if !strings.Contains(text, s) {
					t.Errorf("%q does not say %q", text, s)
				}
			}
		})
	}
}

// displayEnvError returns sessionCheck's error and prints its warning once per
// process, however often it is called.
func TestDisplayEnvErrorWarnsOnce(t *testing.T) {
	var buf bytes.Buffer
	warnings.Lock()
	old, oldSeen := warnings.w, warnings.seen
	warnings.w, warnings.seen = &buf, nil
	warnings.Unlock()
	t.Cleanup(func() {
		warnings.Lock()
		warnings.w, warnings.seen = old, oldSeen
		warnings.Unlock()
	})

	xwayland := map[string]string{"DISPLAY": ":0", "XDG_SESSION_TYPE": "wayland"}
	for range 3 {
		if err := displayEnvError("linux", func(k string) string { return xwayland[k] }); err != nil {
			t.Fatalf("XWayland: %v, want no error", err)
		}
	}
	if n := strings.Count(buf.String(), "XWayland"); n != 1 {
		t.Errorf("the XWayland warning was printed %d times, want once:\n%s", n, buf.String())
	}
	buf.Reset()
	if err := displayEnvError("linux", func(k string) string { return map[string]string{"DISPLAY": ":0"}[k] }); err != nil || buf.Len() > 0 {
		t.Errorf("X11: err = %v, warning %q; want neither", err, buf.String())
	}
	var nd *NoDisplayError
	if err := displayEnvError("linux", func(string) string { return "" }); !errors.As(err, &nd) || buf.Len() > 0 {
		t.Errorf("no display: err = %v, warning %q; want a *NoDisplayError only", err, buf.String())
	}
}

func TestNoDisplayErrorMessages(t *testing.T) {
	cause := errors.New("dial unix /tmp/.X11-unix/X9: connect: no such file or directory")
	err := error(&NoDisplayError{Display: ":9", Err: cause})
	if !errors.Is(err, cause) {
		t.Error("NoDisplayError does not unwrap to its cause")
	}
	for _, want := range []string{`":9"`, "no such file", "XAUTHORITY"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not mention %s", err, want)
		}
	}
	err = &NoDisplayError{Err: errors.New("the system reports no active monitors")}
	if !strings.Contains(err.Error(), "logged-in desktop session") {
		t.Errorf("%q does not say what to do", err)
	}
}
