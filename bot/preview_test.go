package bot

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accord-coop/accord/ledger"
	"github.com/accord-coop/accord/policies"
)

// TestPolicyPreview: raising a weight shows, per co-op, the credits before
// and after over the last full period and over all periods.
func TestPolicyPreview(t *testing.T) {
	old, errs := policies.LoadDir("../policies/examples", nil)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	files := map[string][]byte{}
	for _, n := range policies.FileNames() {
		files[n], _ = os.ReadFile(filepath.Join("../policies/examples", n))
	}
	files[policies.ScoringFile] = []byte(strings.Replace(string(files[policies.ScoringFile]), "pr_merged: 10", "pr_merged: 12", 1))
	newSet, errs := policies.Parse(files, nil)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	fact := func(id, who string, at time.Time) ledger.Fact {
		return ledger.Fact{ID: id, Kind: ledger.FactPRMerged, Forge: "github", Repo: "outlandish/website", Who: ledger.Person{Identity: who}, At: at}
	}
	facts := []ledger.Fact{
		fact("1", "github:alice-o", time.Date(2026, 10, 3, 0, 0, 0, 0, time.UTC)), // agile-collective, last full month
		fact("2", "github:bilal-k", time.Date(2026, 10, 4, 0, 0, 0, 0, time.UTC)), // outlandish
		fact("3", "github:bilal-k", time.Date(2026, 6, 4, 0, 0, 0, 0, time.UTC)),  // outlandish, earlier
		fact("4", "github:bilal-k", now),                                          // this month: not in the last full one
	}
	got := PolicyPreview(facts, old, newSet, now)
	for _, want := range []string{
		"| co-op | 2026-10 before | after | change | all periods before | after | change |",
		"| agile-collective | 10 | 12 | +2 | 10 | 12 | +2 |",
		"| outlandish | 10 | 12 | +2 | 30 | 36 | +6 |",
		"Over 4 facts in the ledger",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("preview lacks %q:\n%s", want, got)
		}
	}
}

// TestPolicyPreviewRepos: listing a repository under a co-op brings its
// facts into the federation, and the preview says so.
func TestPolicyPreviewRepos(t *testing.T) {
	files := map[string][]byte{}
	for _, n := range policies.FileNames() {
		files[n], _ = os.ReadFile(filepath.Join("../policies/examples", n))
	}
	old, errs := policies.Parse(files, nil)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	files[policies.CoopsFile] = []byte(strings.Replace(string(files[policies.CoopsFile]), "      - github:outlandish/wp-starter\n",
		"      - github:outlandish/wp-starter\n      - github:outlandish/new-site\n", 1))
	newSet, errs := policies.Parse(files, nil)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	facts := []ledger.Fact{
		{ID: "1", Kind: ledger.FactPRMerged, Forge: "github", Repo: "outlandish/new-site", Who: ledger.Person{Identity: "github:bilal-k"}, At: time.Date(2026, 10, 4, 0, 0, 0, 0, time.UTC)},
		{ID: "2", Kind: ledger.FactPRMerged, Forge: "github", Repo: "outlandish/website", Who: ledger.Person{Identity: "github:bilal-k"}, At: time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC)},
	}
	got := PolicyPreview(facts, old, newSet, now)
	for _, want := range []string{
		"| outlandish | 10 | 20 | +10 | 10 | 20 | +10 |",
		"Facts from repositories that no co-op lists in coops.yml earn no credit: 1 before, 0 after.",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("preview lacks %q:\n%s", want, got)
		}
	}
	if got := PolicyPreview(facts[1:], old, newSet, now); strings.Contains(got, "no co-op lists") {
		t.Errorf("a preview without outside facts mentions them:\n%s", got)
	}
}
