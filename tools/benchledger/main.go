// Command benchledger measures the ledger and scoring of issue 5 over a
// synthetic federation, each figure beside a baseline taken in the same run:
//
//	go run ./tools/benchledger -n 1000000 -dir /tmp/bench
//
// It writes the federation's policy files (40 co-ops, 500 members who each
// move co-op once, the same as scoring/bench_test.go) to DIR/policies and an
// accord.yml in DIR whose database is DIR/accord.db, so that `accord score`
// and `accord ledger verify` can be run on the same data afterwards (see
// tools/bench-ledger.sh). It records the policy version as `accord serve`
// would, appends n facts to the ledger in batches, and then times:
//
//   - the appends (facts/s), against the same canonical encoding and hash
//     chain done in memory, with no database;
//   - scoring.Score on the facts read back from the ledger, against a plain
//     Go loop summing the weights per identity over the same facts;
//   - store.VerifyLedger, against reading every ledger row with no checks.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/accord-coop/accord/bot"
	"github.com/accord-coop/accord/ledger"
	"github.com/accord-coop/accord/policies"
	"github.com/accord-coop/accord/scoring"
	"github.com/accord-coop/accord/store"
	"github.com/accord-coop/accord/transparency"
)

func main() {
	n := flag.Int("n", 1_000_000, "how many facts to append")
	dir := flag.String("dir", "", "the `directory` to write the policies, accord.yml and accord.db to (required)")
	batch := flag.Int("batch", 5000, "facts per AppendEntries call")
	runs := flag.Int("runs", 3, "timed runs of each read, verify, score and baseline; the median is reported")
	flag.Parse()
	if *dir == "" || *n <= 0 || *batch <= 0 || *runs <= 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*n, *dir, *batch, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "benchledger:", err)
		os.Exit(1)
	}
}

func run(n int, dir string, batch, runs int) error {
	ctx := context.Background()
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	polDir := filepath.Join(dir, "policies")
	if err := os.MkdirAll(polDir, 0o755); err != nil {
		return err
	}
	files := policyFiles()
	set, errs := policies.Parse(files, []string{"github"})
	if len(errs) > 0 {
		return fmt.Errorf("the generated policy files do not validate: %v", errs)
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(polDir, name), data, 0o644); err != nil {
			return err
		}
	}
	db := filepath.Join(dir, "accord.db")
	cfg := fmt.Sprintf("database: %s\npolicies:\n  dir: %s\nforges:\n  - name: github\n    type: github\n", db, polDir)
	if err := os.WriteFile(filepath.Join(dir, "accord.yml"), []byte(cfg), 0o644); err != nil {
		return err
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(db + suffix); err != nil && !os.IsNotExist(err) {
			return err
		}
	}

	st, err := store.Open(db, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()

	// The policy version, recorded as `accord serve` records one read from a
	// directory: in policy_versions, and as the ledger's first entry.
	version := policies.ContentVersion(files)
	set.Version = version
	source := (bot.PolicySource{Dir: polDir}).String()
	now := time.Now()
	if _, err := st.RecordPolicyVersion(ctx, store.PolicyVersion{Version: version, Source: source, Content: version,
		Valid: true, Files: files, LoadedAt: now}); err != nil {
		return err
	}
	text := map[string]string{}
	for k, v := range files {
		text[k] = string(v)
	}
	if _, err := st.AppendEntries(ctx, now, []store.NewEntry{{Kind: ledger.KindPolicy, Key: "policy:" + version,
		Body: bot.PolicyEntry{Version: version, Source: source, Content: version, Files: text}}}); err != nil {
		return err
	}

	facts := benchFacts(n)
	fmt.Printf("benchledger: %d facts, %d members, %d co-ops, 24 months; GOMAXPROCS %d, %s\n",
		n, 500, 40, runtime.GOMAXPROCS(0), runtime.Version())

	// Appending: the baseline is the same work without the database, the
	// canonical encoding of each fact and the hash chain, in memory.
	start := time.Now()
	var last ledger.Entry
	at := time.Unix(0, now.UnixNano()).UTC()
	for i := range facts {
		body, err := ledger.Canonical(facts[i])
		if err != nil {
			return err
		}
		e := ledger.Entry{Seq: last.Seq + 1, Kind: ledger.KindFact, Key: facts[i].ID, At: at, Body: body, Prev: last.Hash}
		e.Hash = e.ComputeHash()
		last = e
	}
	chainTime := time.Since(start)

	start = time.Now()
	appended := 0
	es := make([]store.NewEntry, 0, batch)
	for i := 0; i < len(facts); i += batch {
		es = es[:0]
		for _, f := range facts[i:min(i+batch, len(facts))] {
			es = append(es, store.NewEntry{Kind: ledger.KindFact, Key: f.ID, Body: f})
		}
		k, err := st.AppendEntries(ctx, time.Now(), es)
		if err != nil {
			return err
		}
		appended += k
	}
	appendTime := time.Since(start)
	if appended != n {
		return fmt.Errorf("appended %d facts of %d", appended, n)
	}
	fmt.Printf("append: %d facts in batches of %d: %s, %.0f facts/s; in-memory encode+hash chain %s, %.0f facts/s; ratio %.2f\n",
		n, batch, round(appendTime), float64(n)/appendTime.Seconds(), round(chainTime), float64(n)/chainTime.Seconds(),
		chainTime.Seconds()/appendTime.Seconds())
	facts = nil
	runtime.GC()

	// Reading every row (baseline) and verifying the chain, alternately.
	var readTimes, verifyTimes []time.Duration
	var rows, verified int64
	for range runs {
		start = time.Now()
		rows = 0
		if err := st.LedgerEntries(ctx, func(ledger.Entry) error { rows++; return nil }); err != nil {
			return err
		}
		readTimes = append(readTimes, time.Since(start))
		start = time.Now()
		c, _, err := st.VerifyLedger(ctx)
		if err != nil {
			return err
		}
		verifyTimes = append(verifyTimes, time.Since(start))
		verified = c
	}
	if verified != rows {
		return fmt.Errorf("verified %d entries of %d", verified, rows)
	}
	read, verify := median(readTimes), median(verifyTimes)
	fmt.Printf("verify: %d entries: %s (runs %s); read all rows, no checks: %s (runs %s); ratio %.2f\n",
		verified, round(verify), list(verifyTimes), round(read), list(readTimes), verify.Seconds()/read.Seconds())

	// Inclusion proofs from the stored tree at the full size, against
	// reading one entry by its seq (the baseline), alternately.
	size, root, err := st.TreeHead(ctx)
	if err != nil {
		return err
	}
	var proveTimes, oneTimes []time.Duration
	for i := range 101 {
		idx := (int64(i)*7919 + 17) % size
		start = time.Now()
		proof, err := transparency.ProveInclusion(idx, size, st.HashReader(ctx))
		if err != nil {
			return err
		}
		proveTimes = append(proveTimes, time.Since(start))
		start = time.Now()
		e, err := st.LedgerEntryAt(ctx, idx+1)
		if err != nil {
			return err
		}
		oneTimes = append(oneTimes, time.Since(start))
		leaf, _ := transparency.LeafHash(e.Hash)
		if err := transparency.CheckLeaf(transparency.Checkpoint{Size: size, Root: root}, idx, leaf, proof); err != nil {
			return err
		}
	}
	prove, one := median(proveTimes), median(oneTimes)
	fmt.Printf("prove: inclusion proof at %d entries from the stored tree: median %s of 101; read one entry by seq: %s; ratio %.2f\n",
		size, prove, one, prove.Seconds()/one.Seconds())

	// The facts as `accord score` reads them.
	start = time.Now()
	got, err := st.Facts(ctx)
	if err != nil {
		return err
	}
	factsTime := time.Since(start)
	if len(got) != n {
		return fmt.Errorf("read back %d facts of %d", len(got), n)
	}
	fmt.Printf("st.Facts (read + decode): %s\n", round(factsTime))

	// Scoring against the plain loop, alternately; the heap is sampled
	// every 10 ms while Score runs.
	var scoreTimes, loopTimes []time.Duration
	var sink int64
	var peak, base, alloc uint64
	var res scoring.Result
	for range runs {
		start = time.Now()
		sum := map[string]int64{}
		for i := range got {
			sum[got[i].Who.Identity] += int64(set.Scoring.Weight(got[i].Kind))
		}
		loopTimes = append(loopTimes, time.Since(start))
		sink += sum["github:m1"]

		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		var hi atomic.Uint64
		hi.Store(before.HeapInuse)
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			t := time.NewTicker(10 * time.Millisecond)
			defer t.Stop()
			var ms runtime.MemStats
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					runtime.ReadMemStats(&ms)
					if ms.HeapInuse > hi.Load() {
						hi.Store(ms.HeapInuse)
					}
				}
			}
		}()
		start = time.Now()
		res = scoring.Score(got, set)
		scoreTimes = append(scoreTimes, time.Since(start))
		close(stop)
		<-done
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		base, alloc = before.HeapInuse, after.TotalAlloc-before.TotalAlloc
		peak = max(peak, hi.Load(), after.HeapInuse)
	}
	score, loop := median(scoreTimes), median(loopTimes)
	fmt.Printf("score: %d facts, %d periods: %s (runs %s); plain loop: %s (runs %s); ratio %.1f\n",
		len(got), len(res.Periods), round(score), list(scoreTimes), round(loop), list(loopTimes), score.Seconds()/loop.Seconds())
	fmt.Printf("score memory: heap in use before (the facts) %d MiB, peak while scoring %d MiB (+%d MiB), allocated by Score %d MiB\n",
		base>>20, peak>>20, (peak-base)>>20, alloc>>20)
	if sink < 0 {
		fmt.Println(sink)
	}
	// For tools/bench-ledger.sh.
	fmt.Printf("read_all_seconds=%.3f\n", read.Seconds())
	return nil
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func round(d time.Duration) time.Duration { return d.Round(time.Millisecond) }

func list(ds []time.Duration) string {
	var s []string
	for _, d := range ds {
		s = append(s, round(d).String())
	}
	return strings.Join(s, " ")
}

// The generators below are those of scoring/bench_test.go (benchSet and
// benchFacts), copied so that the tool and the benchmark score the same
// federation.

const benchScoring = `version: 1
period: month
weights: {pr_merged: 10, review_approved: 3, review_changes_requested: 3, review_commented: 1, issue_opened: 2, issue_closed: 1, comment: 0.5, commit: 1, release_published: 5, manual: 1}
multipliers:
  labels: {bug: 1.5, documentation: 0.8, security: 2}
  repos: {github:coop0/repo: 0.5}
caps: {comment: 1.2}
exclude:
  bots: true
  identities: [github:ci-user]
co_authors: split
`

const benchGovernance = "version: 1\nprofiles:\n  default: {}\n"

// policyFiles are a federation of 40 co-ops and 500 members, each member
// moving co-op once, halfway through the 24 months of benchFacts.
func policyFiles() map[string][]byte {
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
		policies.CoopsFile: []byte(c.String()), policies.ScoringFile: []byte(benchScoring), policies.GovernanceFile: []byte(benchGovernance),
	}
}

// benchFacts makes n facts over 24 months by 500 members and a few
// strangers, every kind, some labelled, commits by email, shuffled.
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
