package scoring

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/accord-coop/accord/ledger"
	"github.com/accord-coop/accord/policies"
)

// benchSet is a federation of 40 co-ops and 500 members, each member
// moving co-op once, halfway through the 24 months of benchFacts.
func benchSet(b *testing.B) *policies.Set {
	var c strings.Builder
	c.WriteString("version: 1\ncoops:\n")
	for i := range 40 {
		fmt.Fprintf(&c, "  - id: coop%d\n    repos: [github:coop%d/repo]\n", i, i)
	}
	c.WriteString("members:\n")
	for i := range 500 {
		fmt.Fprintf(&c, "  - id: m%d\n    identities: [github:m%d]\n    emails: [m%d@example.org]\n    memberships:\n", i, i, i)
		fmt.Fprintf(&c, "      - {coop: coop%d, since: 2020-01-01, until: 2024-12-31}\n      - {coop: coop%d, since: 2025-01-01}\n", i%40, (i+1)%40)
	}
	scoring := strings.Replace(testScoring, "github:cotech/website", "github:coop0/repo", 1)
	set, errs := policies.Parse(map[string][]byte{
		policies.CoopsFile: []byte(c.String()), policies.ScoringFile: []byte(scoring), policies.GovernanceFile: []byte(testGovernance),
	}, nil)
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	return set
}

// benchFacts makes n facts over 24 months by 500 members and a few
// strangers, every kind, some labelled, commits by email.
func benchFacts(n int) []ledger.Fact {
	kinds := policies.FactKinds()
	lbls := [][]string{nil, {"bug"}, {"documentation", "security"}, nil}
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	step := 24 * 30 * 24 * time.Hour / time.Duration(n)
	facts := make([]ledger.Fact, n)
	for i := range facts {
		m := (i * 7919) % 520 // 20 of 520 are strangers
		f := ledger.Fact{ID: ledger.FactID("bench", "github", fmt.Sprint(i)), Kind: kinds[i%len(kinds)], Forge: "github",
			Repo: fmt.Sprintf("coop%d/repo", m%40), At: start.Add(time.Duration(i) * step), Labels: lbls[i%len(lbls)], Delivery: "d"}
		if f.Kind == ledger.FactCommit {
			f.Who.Email = fmt.Sprintf("m%d@example.org", m)
		} else {
			f.Who.Identity = fmt.Sprintf("github:m%d", m)
		}
		if f.Kind == ledger.FactManual {
			f.Points = 1500
		}
		if f.Kind == ledger.FactPRMerged && i%3 == 0 {
			f.CoAuthors = []ledger.Person{{Email: fmt.Sprintf("m%d@example.org", (m+1)%500)}}
		}
		facts[i] = f
	}
	// Shuffle deterministically, so that Score pays for sorting.
	for i := range facts {
		j := (i * 104729) % len(facts)
		facts[i], facts[j] = facts[j], facts[i]
	}
	return facts
}

// BenchmarkScore scores 1,000,000 facts (500 members, 40 co-ops, 24
// months); the goal in issue 5 is ≤ 1 s and ≤ 300 MB.
func BenchmarkScore(b *testing.B) {
	set, facts := benchSet(b), benchFacts(1_000_000)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		Score(facts, set)
	}
}

// BenchmarkPlainLoop is the baseline: a plain Go loop summing weights per
// identity over the same facts.
func BenchmarkPlainLoop(b *testing.B) {
	set, facts := benchSet(b), benchFacts(1_000_000)
	b.ResetTimer()
	for b.Loop() {
		sum := map[string]int64{}
		for i := range facts {
			sum[facts[i].Who.Identity] += int64(set.Scoring.Weight(facts[i].Kind))
		}
	}
}

// BenchmarkScoreInOrder is BenchmarkScore with the facts in time order, as
// the ledger mostly holds them.
func BenchmarkScoreInOrder(b *testing.B) {
	set, facts := benchSet(b), benchFacts(1_000_000)
	ordered := make([]ledger.Fact, 0, len(facts))
	for _, i := range canonical(facts) {
		ordered = append(ordered, facts[i])
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		Score(ordered, set)
	}
}
