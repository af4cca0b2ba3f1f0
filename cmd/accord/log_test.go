package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestLogEnv: an unknown ACCORD_LOG_LEVEL or ACCORD_LOG_FORMAT stops serve
// at start with one line; ACCORD_LOG_FORMAT=json logs JSON, the start and,
// at shutdown, what is still queued; the start line too is JSON.
func TestLogEnv(t *testing.T) {
	dir := t.TempDir()
	for _, env := range []string{"ACCORD_LOG_LEVEL=verbose", "ACCORD_LOG_FORMAT=xml"} {
		out, errOut, code := accord(t, dir, []string{env}, "serve")
		if code != 1 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, env[:strings.Index(env, "=")]) {
			t.Errorf("%s serve: %d %q %q", env, code, out, errOut)
		}
	}
	cmd := exec.Command(accordBin, "serve")
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ACCORD_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "ACCORD_LISTEN=127.0.0.1:0", "ACCORD_LOG_FORMAT=json", "ACCORD_LOG_LEVEL=INFO")
	var errb syncBuffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(errb.String(), "accord started") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Signal(os.Interrupt)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("serve: %v\n%s", err, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(errb.String()), "\n")
	var started, stopped map[string]any
	for i, l := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Errorf("not JSON: %q", l)
			continue
		}
		msg, _ := rec["msg"].(string)
		if i == 0 && !strings.HasPrefix(msg, "accord: listening on http://127.0.0.1:") {
			t.Errorf("first record is not the start line: %q", l)
		}
		switch {
		case msg == "accord started":
			started = rec
		case strings.HasPrefix(msg, "accord stopped"):
			stopped = rec
		}
	}
	if started == nil || started["version"] == nil || started["listen"] == nil {
		t.Errorf("no start record with version and listen:\n%s", errb.String())
	}
	if stopped == nil || stopped["deliveries_queued"] != 0.0 || stopped["effects_queued"] != 0.0 {
		t.Errorf("no stop record with deliveries_queued 0 and effects_queued 0:\n%s", errb.String())
	}
}
