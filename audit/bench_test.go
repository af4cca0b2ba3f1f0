package audit

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/accord-coop/accord/ledger"
	"github.com/accord-coop/accord/policies"
	"github.com/accord-coop/accord/tally"
)

// BenchmarkAudit audits an export of ACCORD_AUDIT_BENCH_FACTS facts
// (default 100,000; the target is 1,000,000 in at most 10 s) among which
// one proposal in 1,000 facts, each with 20 votes (some changed, some
// withdrawn) and its outcome, beside the baseline in the same run:
// ledger.VerifyJSONL over the same file, which reads and hashes every line
// and checks nothing else.
//
//	ACCORD_AUDIT_BENCH_FACTS=1000000 go test ./audit -run '^$' -bench Audit -benchtime 3x
func BenchmarkAudit(b *testing.B) {
	n := 100_000
	if s := os.Getenv("ACCORD_AUDIT_BENCH_FACTS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			b.Fatal(err)
		}
	}
	path := filepath.Join(b.TempDir(), "ledger.jsonl")
	entries, outcomes := writeBenchExport(b, path, n)
	st, _ := os.Stat(path)
	b.Logf("%d entries (%d facts, %d outcomes), %d MiB", entries, n, outcomes, st.Size()>>20)
	run := func(b *testing.B, f func(*os.File)) {
		for b.Loop() {
			file, err := os.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			f(file)
			file.Close()
		}
		b.ReportMetric(float64(entries)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
	}
	b.Run("baseline=ledger.VerifyJSONL", func(b *testing.B) {
		run(b, func(f *os.File) {
			if c, _, err := ledger.VerifyJSONL(f); err != nil || c != entries {
				b.Fatal(c, err)
			}
		})
	})
	b.Run("audit.Run", func(b *testing.B) {
		run(b, func(f *os.File) {
			r, err := Run(f)
			if err != nil || !r.OK() || r.Entries != entries || !strings.Contains(r.Summary(), fmt.Sprintf("%d outcomes recomputed, all match", outcomes)) {
				b.Fatal(err, r.Summary(), r.Differences)
			}
		})
	})
}

// writeBenchExport writes a ledger of n facts to path: the federation of
// tools/benchledger (40 co-ops, 500 members), and every 1,000 facts a
// proposal whose outcome the bot would have recorded.
func writeBenchExport(b *testing.B, path string, n int) (entries int64, outcomes int) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var last ledger.Entry
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	add := func(kind, key string, body any) {
		raw, err := ledger.Canonical(body)
		if err != nil {
			b.Fatal(err)
		}
		at = at.Add(time.Second)
		e := ledger.Entry{Seq: last.Seq + 1, Kind: kind, Key: key, At: at, Body: raw, Prev: last.Hash}
		e.Hash = e.ComputeHash()
		if err := ledger.WriteJSONL(w, e); err != nil {
			b.Fatal(err)
		}
		last = e
	}
	files := benchPolicy()
	set, errs := policies.Parse(files, nil)
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	v := set.Version
	text := map[string]string{}
	for k, d := range files {
		text[k] = string(d)
	}
	add(ledger.KindPolicy, "policy:"+v, map[string]any{"version": v, "source": "dir:/bench", "content": v, "files": text})
	kinds := policies.FactKinds()
	for i := range n {
		m := (i * 7919) % 520
		fact := ledger.Fact{ID: ledger.FactID("bench", "github", fmt.Sprint(i)), Kind: kinds[i%len(kinds)], Forge: "github",
			Repo: fmt.Sprintf("coop%d/repo", m%40), Number: int64(i % 5000), Who: ledger.Person{Identity: fmt.Sprintf("github:m%d", m)},
			At: at, Labels: [][]string{nil, {"bug"}}[i%2], Delivery: fmt.Sprint("github/", i)}
		add(ledger.KindFact, fact.ID, fact)
		if i%1000 != 999 {
			continue
		}
		// A proposal, its votes and its outcome, as the bot writes them.
		id := int64(i/1000 + 1)
		opened := at
		deadline := opened.Add(time.Hour)
		profile := []string{"default", "coops"}[id%2]
		add(ledger.KindProposal, fmt.Sprintf("proposal:github:coop0/repo#%d:comment:%d", id, id), map[string]any{"forge": "github",
			"repo": "coop0/repo", "number": id, "profile": profile, "policy": v, "proposer": "github:m1",
			"opened_at": opened, "deadline": deadline, "kind": "", "head": ""})
		var votes []tally.Vote
		ballots := map[string]string{}
		for j := range 20 {
			m := int((id*31 + int64(j)*17) % 500)
			choice := []string{"yes", "yes", "no", "abstain"}[j%4]
			cast := opened.Add(time.Duration(j+1) * time.Second)
			comment := id*100 + int64(j)
			body := map[string]any{"proposal": id, "member": fmt.Sprint("m", m), "identity": fmt.Sprint("github:m", m), "choice": choice, "comment": comment, "at": cast}
			add(ledger.KindVote, fmt.Sprintf("vote:%d:%d:1:%d", id, comment, cast.UnixNano()), body)
			switch j % 5 {
			case 3: // withdrawn
				add(ledger.KindVote, fmt.Sprintf("withdraw:%d:%d", id, comment), map[string]any{"proposal": id, "comment": comment, "withdrawn": true})
				continue
			case 4: // changed
				choice = "no"
				body["choice"] = choice
				add(ledger.KindVote, fmt.Sprintf("vote:%d:%d:1:%d", id, comment, cast.Add(time.Second).UnixNano()), body)
			}
			votes = append(votes, tally.Vote{Member: fmt.Sprint("m", m), Choice: choice, At: cast})
			ballots[fmt.Sprint("m", m)] = choice
		}
		t := tally.Of(set, profile, opened, deadline, votes)
		at = deadline.Add(time.Minute)
		add(ledger.KindOutcome, fmt.Sprint("outcome:", id), map[string]any{"proposal": id, "forge": "github", "repo": "coop0/repo",
			"number": id, "profile": profile, "policy": v, "opened_at": opened, "deadline": deadline, "voters": t.Voters,
			"outcome": t.Outcome, "why": "the deadline passed", "yes": t.Yes, "no": t.No, "abstain": t.Abstain, "block": t.Block,
			"eligible": t.Eligible, "voted": t.Voted, "quorum_met": t.QuorumMet, "blocked": t.Blocked, "votes": ballots})
		outcomes++
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return last.Seq, outcomes
}

// benchPolicy is tools/benchledger's federation: 40 co-ops, 500 members
// who each move co-op once.
func benchPolicy() map[string][]byte {
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
	return map[string][]byte{
		policies.CoopsFile:   []byte(c.String()),
		policies.ScoringFile: []byte(testScoring),
		policies.GovernanceFile: []byte("version: 1\nprofiles:\n  default: {duration: 1h, voters: members, quorum: 0.01, threshold: 0.5}\n" +
			"  coops: {duration: 1h, voters: coops, quorum: 0.1, threshold: 0.5, block: true}\n"),
	}
}
