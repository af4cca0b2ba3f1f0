package main

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden help texts in testdata/help")

// helpCases are every help text: accord's, each command's, and each
// sub-subcommand's, with the golden file of each.
func helpCases(t *testing.T) map[string][]string {
	t.Helper()
	cases := map[string][]string{"accord": {"--help"}}
	for _, s := range specs(t.Context()) {
		cases[s.name] = []string{s.name, "--help"}
		for _, sub := range s.subNames() {
			cases[s.name+"-"+sub] = []string{s.name, sub, "--help"}
		}
	}
	return cases
}

// TestHelpGolden: each help text is as in testdata/help (go test -run
// TestHelpGolden -update rewrites them), lists flags as --flag, and a
// sub-subcommand's only the flags it takes.
func TestHelpGolden(t *testing.T) {
	dir := t.TempDir()
	single := regexp.MustCompile(`(?m)^\s+-[a-z]`)
	for name, args := range helpCases(t) {
		out, errOut, code := accord(t, dir, nil, args...)
		if code != 0 || errOut != "" {
			t.Errorf("accord %s: exit %d, stderr %q", strings.Join(args, " "), code, errOut)
		}
		if single.MatchString(out) {
			t.Errorf("accord %s: a flag in -flag form:\n%s", strings.Join(args, " "), out)
		}
		golden := filepath.Join("testdata", "help", name+".txt")
		if *update {
			if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Errorf("%v (go test -run TestHelpGolden -update writes it)", err)
			continue
		}
		if out != string(want) {
			t.Errorf("accord %s: help differs from %s (-update rewrites it):\n%s", strings.Join(args, " "), golden, out)
		}
	}
}

// TestHelpOnlyOwnFlags: the help of a sub-subcommand of a command sharing
// one flag set shows only the flags that sub-subcommand takes.
func TestHelpOnlyOwnFlags(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		args       []string
		has, lacks []string
	}{
		{[]string{"ledger", "verify", "--help"}, []string{"--file", "--checkpoint-from", "--key", "--config"}, []string{"--out", "--origin", "--format", "--state"}},
		{[]string{"ledger", "keygen", "--help"}, []string{"--out", "--origin"}, []string{"--file", "--key", "--state"}},
		{[]string{"deliveries", "list", "--help"}, []string{"--state", "--limit"}, []string{"--forge", "--since"}},
		{[]string{"outbox", "retry", "--help"}, []string{"--state", "--forge", "--since"}, []string{"--limit"}},
		{[]string{"policy", "check", "--help"}, []string{"--forges"}, []string{"--period"}},
		{[]string{"policy", "schema", "--help"}, []string{"--config"}, []string{"--forges", "--period"}},
		{[]string{"score", "--help"}, []string{"--period", "--by", "--format", "--policy-ref"}, []string{"--amount"}},
	}
	for _, tt := range tests {
		out, _, code := accord(t, dir, nil, tt.args...)
		for _, f := range tt.has {
			if code != 0 || !strings.Contains(out, "  "+f+" ") {
				t.Errorf("accord %s: exit %d, lacks %s:\n%s", strings.Join(tt.args, " "), code, f, out)
			}
		}
		for _, f := range tt.lacks {
			if strings.Contains(out, "\n  "+f+" ") {
				t.Errorf("accord %s shows %s:\n%s", strings.Join(tt.args, " "), f, out)
			}
		}
	}
	// 'accord help ledger verify' is 'accord ledger verify --help'.
	want, _, _ := accord(t, dir, nil, "ledger", "verify", "--help")
	if out, errOut, code := accord(t, dir, nil, "help", "ledger", "verify"); code != 0 || out != want {
		t.Errorf("help ledger verify: %d %q %q, want %q", code, out, errOut, want)
	}
	// 'deliveries list' is the listing 'deliveries' is.
	if out, errOut, code := accord(t, dir, []string{"ACCORD_DATABASE=" + filepath.Join(dir, "a.db")}, "deliveries", "list"); code != 0 || !strings.HasPrefix(out, "ID") {
		t.Errorf("deliveries list: %d %q %q", code, out, errOut)
	}
}
