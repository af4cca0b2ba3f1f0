package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestContainerStart runs the binary exactly as the image's entrypoint
// does: `accord serve` with no config, in an empty working directory (the
// /data volume), with the image's environment (listen on all addresses,
// the database on the volume, the example policies where the image copies
// them). It becomes ready, and `accord healthcheck` (the image's
// HEALTHCHECK) says so; before it runs, healthcheck fails in one line.
func TestContainerStart(t *testing.T) {
	share := filepath.Join(t.TempDir(), "usr/local/share/accord/policies")
	os.MkdirAll(share, 0o755)
	for _, name := range []string{"coops.yml", "scoring.yml", "governance.yml"} {
		data, err := os.ReadFile(filepath.Join("../../policies/examples", name))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(share, name), data, 0o644)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	data := t.TempDir() // WORKDIR /data, empty
	env := []string{"ACCORD_LISTEN=0.0.0.0:" + strconv.Itoa(port), "ACCORD_DATABASE=" + filepath.Join(data, "accord.db"),
		"ACCORD_POLICIES_DIR=" + share}
	if _, errOut, code := accord(t, data, env, "healthcheck"); code != 1 || strings.Count(errOut, "\n") != 1 {
		t.Fatalf("healthcheck with no server: exit %d, %q", code, errOut)
	}
	cmd := exec.Command(accordBin, "serve")
	cmd.Dir, cmd.Env = data, append(os.Environ(), env...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, errOut, code := accord(t, data, env, "healthcheck")
		if code == 0 && out == "ready\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready: %d %q %q", code, out, errOut)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, err := os.Stat(filepath.Join(data, "accord.db")); err != nil {
		t.Errorf("no database on the volume: %v", err)
	}
}
