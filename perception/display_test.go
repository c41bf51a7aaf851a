package perception

import (
	"errors"
	"strings"
	"testing"
)

func TestDisplayEnvError(t *testing.T) {
	tests := []struct {
		goos    string
		env     map[string]string
		wantErr bool
		wayland bool
		says    string
	}{
		{"linux", map[string]string{"DISPLAY": ":0"}, false, false, ""},
		{"linux", map[string]string{"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}, false, false, ""}, // XWayland
		{"linux", map[string]string{}, true, false, "DISPLAY is not set"},
		{"linux", map[string]string{"WAYLAND_DISPLAY": "wayland-0"}, true, true, "Ubuntu on Xorg"},
		{"linux", map[string]string{"XDG_SESSION_TYPE": "wayland"}, true, true, "XWayland with DISPLAY set"},
		{"linux", map[string]string{"XDG_SESSION_TYPE": "x11"}, true, false, "under Xvfb"},
		{"freebsd", map[string]string{}, true, false, "DISPLAY is not set"},
		{"darwin", map[string]string{}, false, false, ""},
		{"windows", map[string]string{"WAYLAND_DISPLAY": "x"}, false, false, ""},
	}
	for _, tc := range tests {
		err := displayEnvError(tc.goos, func(k string) string { return tc.env[k] })
		if (err != nil) != tc.wantErr {
			t.Errorf("%s %v: err = %v, want error %v", tc.goos, tc.env, err, tc.wantErr)
			continue
		}
		if err == nil {
			continue
		}
		var nd *NoDisplayError
		if !errors.As(err, &nd) {
			t.Errorf("%s %v: %T is not a *NoDisplayError", tc.goos, tc.env, err)
			continue
		}
		if nd.Wayland != tc.wayland {
			t.Errorf("%s %v: Wayland = %v, want %v", tc.goos, tc.env, nd.Wayland, tc.wayland)
		}
		if !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s %v: %q does not say %q", tc.goos, tc.env, err, tc.says)
		}
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
