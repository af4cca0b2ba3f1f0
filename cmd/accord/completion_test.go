package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCompletion: each shell's script names every command and the flags,
// and parses; bash's completes.
func TestCompletion(t *testing.T) {
	dir := t.TempDir()
	for _, sh := range []string{"bash", "zsh", "fish"} {
		out, errOut, code := accord(t, dir, nil, "completion", sh)
		if code != 0 || errOut != "" {
			t.Fatalf("completion %s: %d %q", sh, code, errOut)
		}
		for _, c := range commands {
			if !strings.Contains(out, c.name) {
				t.Errorf("completion %s lacks %s", sh, c.name)
			}
		}
		for _, w := range []string{"checkpoint-from", "policy-ref", "check-proof"} {
			if !strings.Contains(out, w) {
				t.Errorf("completion %s lacks %s", sh, w)
			}
		}
		path := filepath.Join(dir, "accord."+sh)
		os.WriteFile(path, []byte(out), 0o644)
		if bin, err := exec.LookPath(sh); err == nil {
			if b, err := exec.Command(bin, "-n", path).CombinedOutput(); err != nil {
				t.Errorf("%s -n: %v\n%s", sh, err, b)
			}
		} else {
			t.Logf("no %s here: its script is not parsed", sh)
		}
	}
	if bash, err := exec.LookPath("bash"); err == nil {
		script := `source ` + filepath.Join(dir, "accord.bash") + `
complete_words() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _accord; echo "${COMPREPLY[*]}"; }
complete_words accord led
complete_words accord --config x.yml ledger ver
complete_words accord ledger verify --o
complete_words accord ledger keygen --o
complete_words accord outbox retry --
`
		out, err := exec.Command(bash, "-c", script).CombinedOutput()
		want := "ledger\nverify\n\n--origin --out\n--help --config --forge --since --state\n"
		if err != nil || string(out) != want {
			t.Errorf("bash completion: %v\n%s\nwant\n%s", err, out, want)
		}
	}
	if out, errOut, code := accord(t, dir, nil, "completion", "powershell"); code != 2 || out != "" || !strings.Contains(errOut, "bash, zsh or fish") {
		t.Errorf("completion powershell: %d %q %q", code, out, errOut)
	}
}
