package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accord-coop/accord/store"
)

// issueOpened is a GitHub "issues opened" delivery for issue n of
// outlandish/website (a repository of the example policies): a fact each.
func issueOpened(t *testing.T, n int) []byte {
	t.Helper()
	raw, err := os.ReadFile("../../forges/github/testdata/payloads/issues.opened.1.json")
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	issue := p["issue"].(map[string]any)
	issue["number"], issue["id"] = n, 1000000+n
	repo := p["repository"].(map[string]any)
	repo["full_name"], repo["name"] = "outlandish/website", "website"
	repo["owner"].(map[string]any)["login"] = "outlandish"
	body, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// TestBackupWhileServing: `accord backup FILE` copies the database of a
// running `accord serve` while deliveries arrive; the copy opens, its
// ledger verifies (`accord ledger verify --config` on it) and holds what
// had arrived; a second backup to the same file is refused, the file
// unchanged.
func TestBackupWhileServing(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir)
	cfg := filepath.Join(dir, "accord.yml")

	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		sent int
	)
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 1; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			body := issueOpened(t, i)
			if code := s.post("github", githubHeaders("issues", fmt.Sprint("bk-", i), githubSecret, body), body); code != 202 {
				t.Errorf("delivery %d: %d", i, code)
				return
			}
			mu.Lock()
			sent = i
			mu.Unlock()
		}
	}()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		n := sent
		mu.Unlock()
		if n >= 30 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d deliveries sent in 20 s", n)
		}
	}

	backup := filepath.Join(t.TempDir(), "backup.db")
	out, errOut, code := accord(t, dir, nil, "backup", backup, "--config", cfg)
	if code != 0 || errOut != "" || !strings.HasPrefix(out, "backup: "+backup+" written (") || !strings.Contains(out, "the chain holds") {
		t.Fatalf("backup: %d %q %q", code, out, errOut)
	}
	time.Sleep(100 * time.Millisecond) // deliveries go on arriving
	close(stop)
	wg.Wait()

	// Refused: the file exists.
	before, _ := os.ReadFile(backup)
	_, errOut, code = accord(t, dir, nil, "backup", backup, "--config", cfg)
	if code != 1 || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "never overwrites") {
		t.Errorf("backup to an existing file: %d %q, want exit 1, one line", code, errOut)
	}
	if after, _ := os.ReadFile(backup); string(after) != string(before) {
		t.Error("the existing backup changed")
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(backup), ".*partial*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
	if _, _, code := accord(t, dir, nil, "backup", "--config", cfg); code != 2 {
		t.Errorf("backup without FILE: exit %d, want 2", code)
	}

	// The copy verifies as a database of its own.
	bcfg := filepath.Join(t.TempDir(), "accord.yml")
	if err := os.WriteFile(bcfg, []byte("database: "+backup+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = accord(t, dir, nil, "ledger", "verify", "--config", bcfg)
	if code != 0 || !strings.HasPrefix(out, "ledger: ") || !strings.Contains(out, "the chain holds") {
		t.Fatalf("ledger verify on the backup: %d %q %q", code, out, errOut)
	}
	bst, err := store.Open(backup, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer bst.Close()
	ctx := context.Background()
	counts, err := bst.CountDeliveries(ctx)
	var total int64
	for _, n := range counts {
		total += n
	}
	mu.Lock()
	all := sent
	mu.Unlock()
	if err != nil || total < 30 || total > int64(all) {
		t.Errorf("the backup holds %d deliveries (%v), want from 30 to the %d sent", total, err, all)
	}
	n, _, err := bst.VerifyLedger(ctx)
	if err != nil || n == 0 {
		t.Errorf("the backup's ledger: %d entries, %v", n, err)
	}
	// The live database went on growing past the copy.
	live := s.openStore()
	waitProcessed(t, live)
	ln, _, err := live.VerifyLedger(ctx)
	if err != nil || ln < n {
		t.Errorf("live ledger %d entries (%v), backup %d", ln, err, n)
	}
	t.Logf("sent %d; backup: %d deliveries, %d ledger entries; live: %d entries", all, total, n, ln)
}
