package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/accord-coop/accord/store"
)

// accord runs the binary with args in dir and returns its output and exit
// status. The environment has no ACCORD_* variables but those in env.
func accord(t *testing.T, dir string, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(accordBin, args...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ACCORD_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func TestHelpEverywhere(t *testing.T) {
	dir := t.TempDir()
	out, _, code := accord(t, dir, nil, "--help")
	if code != 0 || !strings.Contains(out, "serve") || !strings.Contains(out, "deliveries") {
		t.Errorf("accord --help: %d\n%s", code, out)
	}
	for _, cmd := range []string{"serve", "deliveries", "outbox", "connect", "forges", "version"} {
		out, errOut, code := accord(t, dir, nil, cmd, "--help")
		if code != 0 || !strings.HasPrefix(out, "Usage: accord "+cmd) || !strings.Contains(out, "-config") || errOut != "" {
			t.Errorf("accord %s --help: %d\n%s%s", cmd, code, out, errOut)
		}
	}
	if _, _, code := accord(t, dir, nil); code != 2 {
		t.Errorf("accord with no command: exit %d, want 2", code)
	}
}

// TestErrorsAreOneLine: every mistake is one line on stderr and a non-zero
// exit, 2 for the command line.
func TestErrorsAreOneLine(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"serve", "--no-such-flag"}, 2, "flag provided but not defined"},
		{[]string{"serve", "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"deliveries", "--state", "lost"}, 2, `--state "lost"`},
		{[]string{"deliveries", "retry"}, 2, "give an ID, or --state"},
		{[]string{"deliveries", "retry", "abc"}, 2, `retry "abc"`},
		{[]string{"serve", "--config", "missing.yml"}, 1, "missing.yml"},
		{[]string{"deliveries", "retry", "12345"}, 1, "no delivery 12345"},
		{[]string{"outbox", "--state", "ignored"}, 2, `--state "ignored": use queued, processing, done, dead`},
		{[]string{"outbox", "retry", "7"}, 1, "no effect 7"},
	}
	for _, tt := range tests {
		out, errOut, code := accord(t, dir, []string{"ACCORD_DATABASE=" + filepath.Join(dir, "a.db")}, tt.args...)
		if code != tt.code || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, tt.want) || out != "" {
			t.Errorf("accord %s: exit %d, stdout %q, stderr %q; want exit %d and one line with %q",
				strings.Join(tt.args, " "), code, out, errOut, tt.code, tt.want)
		}
	}
}

func TestVersion(t *testing.T) {
	out, _, code := accord(t, t.TempDir(), nil, "version")
	if code != 0 || !regexp.MustCompile(`^accord \S+ go1\.\d+`).MatchString(out) {
		t.Errorf("accord version: %d %q", code, out)
	}
}

// TestServeWithNoConfig: in an empty directory, serve starts on the embedded
// default and says in one line where it listens and what is missing.
func TestServeWithNoConfig(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(accordBin, "serve")
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ACCORD_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "ACCORD_LISTEN=127.0.0.1:0")
	var errb syncBuffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(errb.String(), "\n") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	first := strings.SplitN(errb.String(), "\n", 2)[0]
	for _, want := range []string{"listening on http://127.0.0.1:", "config defaults", "accord.db",
		"github(github)", "gitea(gitea)", "forgejo(forgejo)", "missing:", "ACCORD_GITHUB_WEBHOOK_SECRETS",
		"not gated by votes"} {
		if !strings.Contains(first, want) {
			t.Errorf("start line lacks %q:\n%s", want, first)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "accord.db")); err != nil {
		t.Errorf("no database in the working directory: %v", err)
	}
}

// TestDeadLetterAndRetry: a delivery whose payload does not parse goes dead,
// `accord deliveries --state dead` lists it and `accord deliveries retry ID`
// queues it again, and the running server processes it again.
func TestDeadLetterAndRetry(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir)
	body := []byte(`{"action":"opened","issue":{"number":1}}`) // no repository
	if code := s.post("github", githubHeaders("issues", "broken-1", githubSecret, body), body); code != 202 {
		t.Fatalf("post: %d", code)
	}
	st := s.openStore()
	waitProcessed(t, st)
	cfg := filepath.Join(dir, "accord.yml")
	out, errOut, code := accord(t, dir, nil, "deliveries", "--config", cfg, "--state", "dead")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 2 || !strings.Contains(lines[1], "broken-1") || !strings.Contains(lines[1], "no repository") {
		t.Fatalf("deliveries --state dead: %d %s\n%s", code, errOut, out)
	}
	id := strings.Fields(lines[1])[0]
	dj, _, _ := accord(t, dir, nil, "deliveries", "--config", cfg, "--state", "dead", "--format", "json")
	validJSON(t, "deliveries.schema.json", dj)
	if !strings.Contains(dj, `"delivery_id": "broken-1"`) || !strings.Contains(dj, `"state": "dead"`) {
		t.Errorf("deliveries --format json: %s", dj)
	}
	if out, _, _ := accord(t, dir, nil, "deliveries", "--config", cfg, "--state", "done"); strings.Contains(out, "broken-1") {
		t.Errorf("dead delivery listed as done:\n%s", out)
	}

	before, _ := st.ListDeliveries(context.Background(), store.StateDead, 10)
	out, errOut, code = accord(t, dir, nil, "deliveries", "retry", id, "--config", cfg)
	if code != 0 || !strings.Contains(out, "delivery "+id+" queued again") {
		t.Fatalf("retry: %d %s %s", code, out, errOut)
	}
	// The server takes it up again: it is tried once more and, as the
	// payload is still broken, goes dead again, later, after one try.
	deadline := time.Now().Add(20 * time.Second)
	for {
		after, _ := st.ListDeliveries(context.Background(), store.StateDead, 10)
		if len(after) == 1 && after[0].Attempts == 1 && after[0].DoneAt.After(before[0].DoneAt) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("retried delivery not processed again: %+v", after)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// In bulk: every dead delivery of a forge since a date, at once.
	for i := 2; i <= 4; i++ {
		b := []byte(fmt.Sprintf(`{"action":"opened","issue":{"number":%d}}`, i))
		s.post("github", githubHeaders("issues", fmt.Sprint("broken-", i), githubSecret, b), b)
	}
	waitProcessed(t, st)
	if out, errOut, code := accord(t, dir, nil, "deliveries", "retry", "--state", "dead", "--forge", "gitea", "--config", cfg); code != 0 || out != "0 deliveries queued again; a running 'accord serve' picks it up within a second\n" {
		t.Errorf("bulk retry of another forge: %d %q %q", code, out, errOut)
	}
	out, errOut, code = accord(t, dir, nil, "deliveries", "retry", "--state", "dead", "--forge", "github", "--since", time.Now().UTC().Format(time.DateOnly), "--config", cfg)
	if code != 0 || !strings.HasPrefix(out, "4 deliveries queued again") {
		t.Errorf("bulk retry: %d %q %q", code, out, errOut)
	}
	if _, errOut, code := accord(t, dir, nil, "deliveries", "retry", "--config", cfg); code != 2 || !strings.Contains(errOut, "give an ID, or --state") {
		t.Errorf("retry with neither: %d %q", code, errOut)
	}
	if _, errOut, code := accord(t, dir, nil, "outbox", "retry", "--state", "processing", "--config", cfg); code == 0 || !strings.Contains(errOut, "finished state") {
		t.Errorf("bulk retry of effects in progress: %d %q", code, errOut)
	}
}

func TestProposalsCommand(t *testing.T) {
	dir, cfg := scoreDB(t) // a database with no proposals yet
	out, errOut, code := accord(t, dir, nil, "proposals", "--config", cfg)
	if code != 0 || !strings.HasPrefix(out, "ID") {
		t.Errorf("proposals: %d %q %q", code, out, errOut)
	}
	if out, _, code := accord(t, dir, nil, "proposals", "--format", "json", "--config", cfg); code != 0 || out != "{\n  \"proposals\": []\n}\n" {
		t.Errorf("proposals --format json with none: %d %q", code, out)
	}
	if _, errOut, code := accord(t, dir, nil, "proposals", "show", "9", "--config", cfg); code != 1 || !strings.Contains(errOut, "no proposal 9") {
		t.Errorf("show 9: %d %q", code, errOut)
	}
	if _, _, code := accord(t, dir, nil, "proposals", "delete", "--config", cfg); code != 2 {
		t.Errorf("proposals delete: exit %d, want 2", code)
	}
}
