package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// copyExamples copies the example policy files into a new directory, with
// edit applied to the file named name.
func copyExamples(t *testing.T, name string, edit func(string) string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"coops.yml", "scoring.yml", "governance.yml"} {
		data, err := os.ReadFile(filepath.Join(examplesDir(t), f))
		if err != nil {
			t.Fatal(err)
		}
		if f == name {
			data = []byte(edit(string(data)))
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

var errorLine = regexp.MustCompile(`^\S+\.yml:\d+:\d+: .+`)

func TestPolicyCheck(t *testing.T) {
	dir := t.TempDir()
	out, errOut, code := accord(t, dir, nil, "policy", "check", examplesDir(t))
	if code != 0 || !strings.Contains(out, ": valid (") {
		t.Fatalf("examples: exit %d\n%s%s", code, out, errOut)
	}
	broken := map[string]struct {
		file string
		edit func(string) string
	}{
		"unknown co-op":   {"coops.yml", func(s string) string { return strings.Replace(s, "coop: outlandish", "coop: outlandsh", 1) }},
		"bad quorum":      {"governance.yml", func(s string) string { return strings.Replace(s, "quorum: 0.5", "quorum: 1.5", 1) }},
		"negative weight": {"scoring.yml", func(s string) string { return strings.Replace(s, "pr_merged: 10", "pr_merged: -10", 1) }},
		"unknown key":     {"scoring.yml", func(s string) string { return strings.Replace(s, "weights:", "wieghts:", 1) }},
	}
	for name, b := range broken {
		bdir := copyExamples(t, b.file, b.edit)
		out, errOut, code := accord(t, dir, []string{"GITHUB_ACTIONS=", "GITEA_ACTIONS="}, "policy", "check", bdir)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if code != 1 || len(lines) == 0 || !strings.Contains(errOut, "errors in") {
			t.Errorf("%s: exit %d\n%s%s", name, code, out, errOut)
			continue
		}
		for _, l := range lines {
			if !errorLine.MatchString(l) || !strings.Contains(l, b.file) {
				t.Errorf("%s: %q is not file:line:col: message in %s", name, l, b.file)
			}
		}
	}
	// The forges a server knows: with --forges, a repo of another forge is an error.
	out, _, code = accord(t, dir, nil, "policy", "check", "--forges", "github", examplesDir(t))
	if code != 1 || !strings.Contains(out, "gitea") {
		t.Errorf("--forges github: exit %d\n%s", code, out)
	}
}

// TestPolicyCheckAnnotates: in GitHub Actions (or Forgejo Actions) each
// error is also a workflow command, so it shows on its line of the pull
// request's files.
func TestPolicyCheckAnnotates(t *testing.T) {
	bdir := copyExamples(t, "governance.yml", func(s string) string { return strings.Replace(s, "quorum: 0.5", "quorum: 1.5", 1) })
	out, _, code := accord(t, t.TempDir(), []string{"GITHUB_ACTIONS=true"}, "policy", "check", bdir)
	want := "::error file=" + filepath.Join(bdir, "governance.yml") + ",line="
	if code != 1 || !strings.Contains(out, want) || !strings.Contains(out, "quorum") {
		t.Errorf("annotations: %d\n%s", code, out)
	}
}

func TestPolicySchema(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"coops", "scoring", "governance"} {
		out, errOut, code := accord(t, dir, nil, "policy", "schema", name)
		var schema map[string]any
		if code != 0 || json.Unmarshal([]byte(out), &schema) != nil || schema["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
			t.Errorf("schema %s: exit %d %s %.200s", name, code, errOut, out)
		}
	}
	if _, errOut, code := accord(t, dir, nil, "policy", "schema", "votes"); code != 2 || !strings.Contains(errOut, "use coops, scoring, governance") {
		t.Errorf("schema votes: %d %q", code, errOut)
	}
	if _, errOut, code := accord(t, dir, nil, "policy"); code != 2 || !strings.Contains(errOut, "give a subcommand") {
		t.Errorf("policy: %d %q", code, errOut)
	}
}

func TestPolicyDiff(t *testing.T) {
	dir := t.TempDir()
	ex := examplesDir(t)
	changed := copyExamples(t, "scoring.yml", func(s string) string { return strings.Replace(s, "pr_merged: 10", "pr_merged: 12", 1) })
	broken := copyExamples(t, "governance.yml", func(s string) string { return strings.Replace(s, "voters: coops", "voters: everyone", 1) })
	if out, _, code := accord(t, dir, nil, "policy", "diff", ex, ex); code != 0 || !strings.Contains(out, "are the same version") {
		t.Errorf("same: %d %s", code, out)
	}
	if out, _, code := accord(t, dir, nil, "policy", "diff", ex, changed); code != 0 || !strings.Contains(out, "valid (version sha256:") {
		t.Errorf("changed: %d %s", code, out)
	}
	// With a ledger: the preview of November 2026 (scoreDB's facts).
	sdir, cfg := scoreDB(t)
	out, errOut, code := accord(t, sdir, nil, "policy", "diff", ex, changed, "--period", "2026-11", "--config", cfg)
	if code != 0 || !strings.Contains(out, "| co-op | 2026-11 before | after | change |") || !strings.Contains(out, "| outlandish | 10 | 12 | +2 | 10 | 12 | +2 |") {
		t.Errorf("preview: %d %s %s", code, out, errOut)
	}
	if out, _, code := accord(t, dir, nil, "policy", "diff", ex, broken); code != 1 || !strings.Contains(out, "governance.yml:") {
		t.Errorf("broken: %d %s", code, out)
	}
}
