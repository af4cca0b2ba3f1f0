package main

import (
	"runtime/debug"
	"strings"
	"testing"
)

// TestGlobalFlagsBeforeCommand: 'accord --config F score' is 'accord score
// --config F'; --version is 'version'; other flags before the command are
// one line and exit 2.
func TestGlobalFlagsBeforeCommand(t *testing.T) {
	dir, cfg := scoreDB(t)
	after, errOut, code := accord(t, dir, nil, "score", "--config", cfg, "--period", "2026-11")
	if code != 0 || after == "" {
		t.Fatalf("score --config: %d %q", code, errOut)
	}
	for _, args := range [][]string{
		{"--config", cfg, "score", "--period", "2026-11"},
		{"--config=" + cfg, "score", "--period", "2026-11"},
		{"-config", cfg, "score", "--period=2026-11"},
	} {
		if out, errOut, code := accord(t, t.TempDir(), nil, args...); code != 0 || out != after {
			t.Errorf("accord %s: %d %q %q, want %q", strings.Join(args, " "), code, out, errOut, after)
		}
	}
	// The config before the command is the one used: a missing one fails.
	if _, errOut, code := accord(t, dir, nil, "--config", "missing.yml", "score"); code != 1 || !strings.Contains(errOut, "missing.yml") {
		t.Errorf("--config missing.yml score: %d %q", code, errOut)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--period", "2026-11", "score"}, "give it after the command"},
		{[]string{"--config"}, "flag needs an argument: --config"},
		{[]string{"--config", cfg}, "give a command after --config"},
	} {
		out, errOut, code := accord(t, dir, nil, tt.args...)
		if code != 2 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, tt.want) {
			t.Errorf("accord %s: %d %q %q, want exit 2 and one line with %q", strings.Join(tt.args, " "), code, out, errOut, tt.want)
		}
	}
}

// TestVersionFlag: --version prints what 'version' prints.
func TestVersionFlag(t *testing.T) {
	dir := t.TempDir()
	want, _, _ := accord(t, dir, nil, "version")
	for _, args := range [][]string{{"--version"}, {"-version"}, {"--config", "x.yml", "--version"}} {
		if out, errOut, code := accord(t, dir, nil, args...); code != 0 || out != want {
			t.Errorf("accord %s: %d %q %q, want %q", strings.Join(args, " "), code, out, errOut, want)
		}
	}
	if strings.HasPrefix(want, "accord  ") || strings.HasPrefix(want, "accord dev ") {
		t.Errorf("version without -ldflags: %q", want)
	}
}

// TestVersionOf: -ldflags first, then the module version go build stamps,
// then the VCS revision.
func TestVersionOf(t *testing.T) {
	rev := []debug.BuildSetting{{Key: "vcs.revision", Value: "9692088abcdef0123456789"}, {Key: "vcs.time", Value: "2026-12-03T19:00:00Z"}}
	tests := []struct {
		ldflags string
		bi      *debug.BuildInfo
		want    string
	}{
		{"v1.2.3", &debug.BuildInfo{Main: debug.Module{Version: "v0.9.0"}}, "v1.2.3"},
		{"", &debug.BuildInfo{Main: debug.Module{Version: "v0.9.0"}}, "v0.9.0"},
		{"", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261203190000-9692088abcde+dirty"}}, "v0.0.0-20261203190000-9692088abcde+dirty"},
		{"", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: rev}, "devel-9692088abcde"},
		{"", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: append(rev, debug.BuildSetting{Key: "vcs.modified", Value: "true"})}, "devel-9692088abcde+dirty"},
		{"", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "devel"},
		{"", nil, "devel"},
	}
	for _, tt := range tests {
		if got := versionOf(tt.ldflags, tt.bi); got != tt.want {
			t.Errorf("versionOf(%q, %+v) = %q, want %q", tt.ldflags, tt.bi, got, tt.want)
		}
	}
}
