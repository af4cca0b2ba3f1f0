package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// actionStep is one step of action.yml, as a runner reads it.
type actionStep struct {
	If    string            `yaml:"if"`
	Uses  string            `yaml:"uses"`
	Shell string            `yaml:"shell"`
	Env   map[string]string `yaml:"env"`
	Run   string            `yaml:"run"`
}

// TestAction runs the shell steps of the repo's action.yml as a runner
// would (bash, the inputs put in through ${{ inputs.* }}): the install step
// asks go for the pinned version into the cached directory, and the check
// step runs that binary on the path, annotating each error. A path with
// shell in it stays a path. What only a runner does (setup-go, the cache)
// is not run here.
func TestAction(t *testing.T) {
	data, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var action struct {
		Inputs map[string]struct {
			Required bool   `yaml:"required"`
			Default  string `yaml:"default"`
		} `yaml:"inputs"`
		Runs struct {
			Using string       `yaml:"using"`
			Steps []actionStep `yaml:"steps"`
		} `yaml:"runs"`
	}
	if err := yaml.Unmarshal(data, &action); err != nil {
		t.Fatal(err)
	}
	if !action.Inputs["version"].Required || action.Runs.Using != "composite" {
		t.Fatalf("action.yml: version must be required (pinned), composite: %+v", action)
	}
	var shells []actionStep
	for _, s := range action.Runs.Steps {
		if s.Run != "" {
			shells = append(shells, s)
		}
	}
	if len(shells) != 2 {
		t.Fatalf("want an install and a check step, got %+v", shells)
	}
	home := t.TempDir()
	bin := t.TempDir()
	// A go that records how it was asked to install, and installs the
	// accord under test.
	goScript := "#!/bin/sh\necho \"$GOBIN $*\" > \"" + filepath.Join(home, "go-args") + "\"\nmkdir -p \"$GOBIN\" && cp \"" + accordBin + "\" \"$GOBIN/accord\"\n"
	if err := os.WriteFile(filepath.Join(bin, "go"), []byte(goScript), 0o755); err != nil {
		t.Fatal(err)
	}
	bdir := copyExamples(t, "governance.yml", func(s string) string { return strings.Replace(s, "quorum: 0.5", "quorum: 1.5", 1) })
	policyDir := filepath.Join(t.TempDir(), "accord $(touch pwned)")
	if err := os.Rename(bdir, policyDir); err != nil {
		t.Fatal(err)
	}
	inputs := map[string]string{"version": "v0.5.0", "path": policyDir}
	run := func(s actionStep) (string, int) {
		cmd := exec.Command("bash", "-e", "-c", expandInputs(s.Run, inputs))
		cmd.Dir = home
		cmd.Env = []string{"HOME=" + home, "PATH=" + bin + ":/usr/bin:/bin", "GITHUB_ACTIONS=true"}
		for k, v := range s.Env {
			cmd.Env = append(cmd.Env, k+"="+expandInputs(v, inputs))
		}
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), code
	}
	if out, code := run(shells[0]); code != 0 {
		t.Fatalf("install step: %d %s", code, out)
	}
	args, _ := os.ReadFile(filepath.Join(home, "go-args"))
	if want := filepath.Join(home, ".accord-bin") + " install github.com/accord-coop/accord/cmd/accord@v0.5.0\n"; string(args) != want {
		t.Errorf("go was run as %q, want %q", args, want)
	}
	out, code := run(shells[1])
	if code != 1 || !strings.Contains(out, "::error file="+filepath.Join(policyDir, "governance.yml")+",line=") || !strings.Contains(out, "quorum") {
		t.Errorf("check step: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(home, "pwned")); err == nil {
		t.Error("the path input ran as shell")
	}
}

// expandInputs replaces ${{ inputs.NAME }} as a runner does, by text.
func expandInputs(s string, inputs map[string]string) string {
	for k, v := range inputs {
		s = strings.ReplaceAll(s, "${{ inputs."+k+" }}", v)
	}
	return s
}
