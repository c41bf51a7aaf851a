package permissions

import (
	"fmt"
	"os/exec"
)

func openSettings(k Kind) error {
	u := settingsURL(k)
	if u == "" {
		return fmt.Errorf("unknown permission %s", k)
	}
	if out, err := exec.Command("open", u).CombinedOutput(); err != nil {
		return fmt.Errorf("open System Settings for %s (System Settings › Privacy & Security › %s): %w: %s", k, k, err, out)
	}
	return nil
}
