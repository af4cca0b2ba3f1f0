package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/accord-coop/accord/forges/gitea/fixtures"
	"github.com/accord-coop/accord/ledger"
	"github.com/accord-coop/accord/store"
)

// TestBackfillGitea runs `accord backfill` against a fake Gitea answering
// recorded shapes: the merge (with its co-author from the PR's commits),
// the reviews, the issues and the release go into the ledger; a second run
// adds nothing.
func TestBackfillGitea(t *testing.T) {
	srv := fixtures.New(t, "../../forges/gitea/testdata/api", giteaToken)
	for _, name := range []string{"list-closed-pulls", "list-reviews", "list-issues", "list-releases", "pr-commits"} {
		srv.Replay(name)
	}
	srv.Handle("GET", "/api/v1/repos/federation/commons/pulls/3/reviews", fixtures.Response{Status: 200,
		Headers: map[string]string{"Content-Type": "application/json;charset=utf-8", "X-Total-Count": "0"}, Body: json.RawMessage(`[]`)})
	dir := t.TempDir()
	cfg := connectConfig(t, dir, srv.URL)
	env := []string{"TEST_GITEA_TOKEN=" + giteaToken}

	out, errOut, code := accord(t, dir, env, "backfill", "gitea", "federation/commons", "--config", cfg)
	if code != 0 || !strings.Contains(out, "gitea:federation/commons: backfilled: 8 new facts recorded, 0 already in the ledger") {
		t.Fatalf("backfill: %d %q %q", code, out, errOut)
	}
	if strings.Contains(errOut, "\x1b[") {
		t.Errorf("progress escapes on a non-terminal: %q", errOut)
	}
	st, err := store.Open(filepath.Join(dir, "accord.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	facts, err := st.Facts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, f := range facts {
		kinds[f.Kind]++
		if f.Kind == ledger.FactPRMerged && (f.Number != 2 || len(f.CoAuthors) != 1 || f.CoAuthors[0].Email != "carol@e2e.local") {
			t.Errorf("merge fact %+v: want #2 co-authored by carol", f)
		}
	}
	if kinds[ledger.FactPRMerged] != 1 || kinds[ledger.FactReviewApproved] == 0 || kinds[ledger.FactIssueOpened] == 0 || kinds[ledger.FactReleasePublished] == 0 {
		t.Errorf("facts by kind: %v", kinds)
	}
	if _, _, err := st.VerifyLedger(context.Background()); err != nil {
		t.Error(err)
	}
	// The second run asks only for what changed since the first began:
	// Gitea answers that nothing did, and the releases stop at the first
	// older than the first run (its two releases, already in the ledger).
	srv.Handle("GET", "/api/v1/repos/federation/commons/issues", fixtures.Response{Status: 200,
		Headers: map[string]string{"Content-Type": "application/json;charset=utf-8", "X-Total-Count": "0"}, Body: json.RawMessage(`[]`)})
	before := len(srv.Requests())
	out2, _, code := accord(t, dir, env, "backfill", "gitea", "federation/commons", "--config", cfg)
	again, _ := st.Facts(context.Background())
	if code != 0 || len(again) != len(facts) || !strings.Contains(out2, "backfilled: 0 new facts recorded, 2 already in the ledger (8 from this repository in all runs)") {
		t.Errorf("second run: %d, %d facts, want %d: %s", code, len(again), len(facts), out2)
	}
	var asked []string
	for _, r := range srv.Requests()[before:] {
		asked = append(asked, r.Path+"?since="+r.Query.Get("since"))
		if strings.HasSuffix(r.Path, "/pulls") || strings.Contains(r.Path, "/reviews") || (strings.HasSuffix(r.Path, "/issues") && r.Query.Get("since") == "") {
			t.Errorf("the second run read the whole past again: %s", r.Path)
		}
	}
	if len(asked) != 2 {
		t.Errorf("the second run asked %v; want the changed issues and one page of releases", asked)
	}
	for _, c := range [][]string{{"backfill", "gitea"}, {"backfill", "gitea", "x/y", "--since", "yesterday"}, {"backfill", "nope", "x/y"}} {
		if _, _, code := accord(t, dir, env, append(c, "--config", cfg)...); code == 0 {
			t.Errorf("accord %v succeeded", c)
		}
	}
}
