package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accord-coop/accord/config"
	"github.com/accord-coop/accord/ledger"
)

// The three policy versions of TestAuditThroughTheBot: version 2 asks
// for seven yes in ten under the default profile; version 3 adds frank to
// co-op c.
const auditGovernance = `version: 1
profiles:
  default: {duration: 1m, voters: members, quorum: 0.5, threshold: 0.5}
  consent: {duration: 1m, voters: coops, quorum: 0.5, threshold: 0.5, block: true}
  early: {duration: 7d, voters: members, quorum: 0.5, threshold: 0.5, close_early: true}
`

var auditGovernance2 = strings.Replace(auditGovernance, "default: {duration: 1m, voters: members, quorum: 0.5, threshold: 0.5}",
	"default: {duration: 1m, voters: members, quorum: 0.5, threshold: 0.7}", 1)

func auditConfig(t *testing.T, dir, forge, url string) {
	scenarioConfig(t, dir, forge, url)
	os.WriteFile(filepath.Join(dir, "policies", "governance.yml"), []byte(auditGovernance), 0o644)
}

// TestAuditThroughTheBot builds a ledger with the real bot through its
// intake, with Gitea-shaped and GitHub-shaped deliveries, on a test clock:
// facts, three policy versions (the bot restarted on each), and proposals
// under voters: members and voters: coops (a block, a withdrawal, an
// edit), one closed early, one cancelled, two closed under the version
// they opened with though another is in force. `accord ledger export`
// writes it; `accord audit` finds nothing to say. Then one vote's choice
// is changed in the export and the chain re-hashed after it, so that
// `accord ledger verify --file` finds it whole: the audit names the
// proposal whose outcome it changes.
func TestAuditThroughTheBot(t *testing.T) {
	bothShapes(t, runAuditThroughTheBot)
}

func runAuditThroughTheBot(t *testing.T, forge string) {
	r := newRig(t, forge, auditConfig)
	dir, clk, sh, s, st := r.dir, r.clk, r.sh, r.s, r.st
	c := 300000
	say := func(issue int, login, text string) int {
		c++
		sh.comment(s, "created", issue, c, login, text)
		return c
	}
	restart := func(file, content string) {
		waitProcessed(t, st)
		s.kill()
		os.WriteFile(filepath.Join(dir, "policies", file), []byte(content), 0o644)
		s = startInProcess(t, dir, clk)
	}

	// Version 1. Facts; a member vote (31) and a consent vote by co-ops
	// (32) that close at their deadline, after two more versions.
	say(30, "alice", "Thanks, this reads well.")
	say(30, "bob", "Agreed, and the numbers add up.")
	say(31, "alice", "/propose")
	say(31, "alice", "/vote yes")
	say(31, "bob", "/vote yes")
	say(31, "carol", "/vote no")
	say(31, "dave", "I would rather wait for the budget.")
	say(32, "alice", "/propose consent")
	say(32, "alice", "/vote yes")
	bobs := say(32, "bob", "/vote yes")
	sh.comment(s, "deleted", 32, bobs, "bob", "/vote yes")
	carols := say(32, "carol", "/vote yes")
	// The forges date comments to the second, and the bot keys a vote
	// entry by the comment and the second it was written: an edit within
	// the second of the text before it gets no entry of its own, though the
	// store takes its choice, and the audit says so. That is the bot's to
	// fix; here the edit comes a second later.
	clk.add(time.Second)
	sh.comment(s, "edited", 32, carols, "carol", "/vote no\nthe budget is not there yet")
	say(32, "dave", "/vote yes")
	say(32, "erin", "/vote block the budget is missing")
	votesOn := func(n int64) int {
		ps, _ := st.ListProposals(context.Background(), 100)
		for _, p := range ps {
			if p.Number == n {
				return voteEntries(t, st, p.ID)
			}
		}
		return 0
	}
	waitProcessed(t, st)
	if votesOn(31) != 3 || votesOn(32) != 7 {
		t.Fatalf("vote entries: 31 %d, 32 %d", votesOn(31), votesOn(32))
	}

	// Version 2: a stricter default. A vote that closes early (33).
	restart("governance.yml", auditGovernance2)
	say(33, "bob", "/propose early")
	for _, m := range []string{"alice", "bob", "carol", "dave"} {
		say(33, m, "/vote yes")
	}
	waitFor(t, "the early close of 33", func() bool { return outcomes(st)[33] != nil })

	// Version 3: frank joins co-op c. A vote at the deadline (34) and a
	// cancelled one (35).
	coops, err := os.ReadFile(filepath.Join(dir, "policies", "coops.yml"))
	if err != nil {
		t.Fatal(err)
	}
	restart("coops.yml", strings.Replace(string(coops), "maintainers:",
		fmt.Sprintf("  - {id: frank, identities: [%s:frank], memberships: [{coop: c, since: 2020-01-01}]}\nmaintainers:", forge), 1))
	say(34, "frank", "/propose")
	say(34, "frank", "/vote yes")
	say(34, "alice", "/vote yes")
	say(34, "erin", "/vote +1")
	say(35, "carol", "/propose")
	say(35, "carol", "/vote no")
	say(35, "carol", "/proposal cancel")
	waitFor(t, "the cancel of 35", func() bool { return outcomes(st)[35] != nil })

	// The deadlines pass while the bot is down; it closes 31, 32 and 34 at
	// its start.
	waitProcessed(t, st)
	s.kill()
	clk.add(2*time.Minute + config.DefaultCloseGrace)
	s = startInProcess(t, dir, clk)
	waitFor(t, "the deadline closes", func() bool {
		o := outcomes(st)
		return o[31] != nil && o[32] != nil && o[34] != nil
	})
	waitProcessed(t, st)
	s.kill()

	o := outcomes(st)
	for n, want := range map[int64]string{31: "passed", 32: "rejected", 33: "passed", 34: "passed", 35: "cancelled"} {
		if o[n]["outcome"] != want {
			t.Errorf("issue %d: %v, want %s", n, o[n], want)
		}
	}
	if o[32]["blocked"] != true || o[32]["voters"] != "coops" || fmt.Sprint(o[32]["votes"]) != "map[alice:yes carol:no dave:yes erin:block]" {
		t.Errorf("issue 32: %v", o[32])
	}
	if o[31]["policy"] == o[33]["policy"] || o[33]["policy"] == o[34]["policy"] || o[31]["policy"] != o[32]["policy"] {
		t.Errorf("the versions: 31 %v, 32 %v, 33 %v, 34 %v", o[31]["policy"], o[32]["policy"], o[33]["policy"], o[34]["policy"])
	}

	// The export, as `accord ledger export` writes it.
	var export, errb bytes.Buffer
	if err := runLedger(context.Background(), []string{"export", "--config", filepath.Join(dir, "accord.yml")}, &export, &errb); err != nil {
		t.Fatalf("export: %v %s", err, errb.String())
	}
	if n := strings.Count(export.String(), `"kind":"policy"`); n != 3 {
		t.Errorf("%d policy versions in the ledger, want 3", n)
	}
	file := filepath.Join(t.TempDir(), "ledger.jsonl")
	os.WriteFile(file, export.Bytes(), 0o600)
	out, errOut, err := auditCmd(file)
	entries := strings.Count(export.String(), "\n")
	want := fmt.Sprintf("%d entries, chain holds; 5 outcomes recomputed, all match\n"+
		"scores: not recorded in the ledger, nothing to compare\npayouts: none recorded in the ledger, nothing to compare\n", entries)
	if err != nil || out != want || errOut != "" {
		t.Fatalf("audit of the export: %v\n%s%s\nwant:\n%s", err, out, errOut, want)
	}

	// Bob's yes on 31 becomes a no, and the chain after it is re-hashed.
	id31 := int64(o[31]["proposal"].(float64))
	forged := rewrite(t, export.Bytes(), func(e *ledger.Entry) bool {
		var v map[string]any
		json.Unmarshal(e.Body, &v)
		if e.Kind != ledger.KindVote || v["proposal"] != float64(id31) || v["member"] != "bob" {
			return false
		}
		v["choice"] = "no"
		e.Body, _ = ledger.Canonical(v)
		// A careful forger makes the key say the new choice too (a vote's
		// key ends with a hash of its choice and reason).
		parts := strings.Split(e.Key, ":")
		reason, _ := v["reason"].(string)
		parts[len(parts)-1] = ledger.BallotHash("no", reason)
		e.Key = strings.Join(parts, ":")
		return true
	})
	os.WriteFile(file, forged, 0o600)
	var verified bytes.Buffer
	if err := runLedger(context.Background(), []string{"verify", "--file", file}, &verified, &errb); err != nil {
		t.Fatalf("the re-hashed chain does not hold: %v %s", err, errb.String())
	}
	out, errOut, err = auditCmd(file)
	subject := fmt.Sprintf("proposal %d (%s:%s#31)", id31, forge, o[31]["repo"])
	outcome := entryOf(t, forged, fmt.Sprint("outcome:", id31)).Seq
	wantLines := []string{
		fmt.Sprintf("%s: outcome: recorded passed, recomputed rejected (entry %d)", subject, outcome),
		fmt.Sprintf("%s: yes: recorded 2, recomputed 1 (entry %d)", subject, outcome),
		fmt.Sprintf("%s: no: recorded 1, recomputed 2 (entry %d)", subject, outcome),
		fmt.Sprintf("%s: votes.bob: recorded yes, recomputed no (entry %d)", subject, outcome),
		fmt.Sprintf("%d entries, chain holds; 5 outcomes recomputed, 1 proposal differs", entries),
	}
	if err != errFailed || !strings.HasPrefix(out, strings.Join(wantLines, "\n")+"\n") ||
		errOut != "accord audit: "+file+": 4 differences between what the ledger records and what it re-derives to\n" {
		t.Errorf("audit of the forged export: %v\n%s%s\nwant:\n%s", err, out, errOut, strings.Join(wantLines, "\n"))
	}
	// Through run, the exit status is 1.
	if code := run(context.Background(), []string{"audit", file}, &bytes.Buffer{}, &bytes.Buffer{}); code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
}

// auditCmd runs `accord audit FILE` in process.
func auditCmd(file string) (stdout, stderr string, err error) {
	var out, errb bytes.Buffer
	err = runAudit(context.Background(), []string{file}, &out, &errb)
	return out.String(), errb.String(), err
}

// rewrite changes the first entry of an export that change accepts, and
// re-hashes every entry from it on, as one who forges a ledger would.
func rewrite(t *testing.T, export []byte, change func(*ledger.Entry) bool) []byte {
	t.Helper()
	var out bytes.Buffer
	r := ledger.NewJSONLReader(bytes.NewReader(export))
	changed, prev := false, ""
	for {
		e, err := r.Next()
		if err != nil {
			break
		}
		if !changed && change(&e) {
			changed = true
		}
		if changed {
			e.Prev = prev
			e.Hash = e.ComputeHash()
		}
		prev = e.Hash
		ledger.WriteJSONL(&out, e)
	}
	if !changed {
		t.Fatal("no entry to change")
	}
	return out.Bytes()
}

func entryOf(t *testing.T, export []byte, key string) ledger.Entry {
	t.Helper()
	r := ledger.NewJSONLReader(bytes.NewReader(export))
	for {
		e, err := r.Next()
		if err != nil {
			t.Fatalf("no entry %s", key)
		}
		if e.Key == key {
			return e
		}
	}
}

// TestAuditCommandLine: usage mistakes exit 2, an export that cannot be
// read exits 1 with one line on stderr, a broken chain is named.
func TestAuditCommandLine(t *testing.T) {
	dir := t.TempDir()
	runIt := func(args ...string) (string, string, int) {
		var out, errb bytes.Buffer
		code := run(context.Background(), append([]string{"audit"}, args...), &out, &errb)
		return out.String(), errb.String(), code
	}
	if out, errOut, code := runIt("--help"); code != 0 || !strings.HasPrefix(out, "Usage: accord audit EXPORT.jsonl") || errOut != "" {
		t.Errorf("--help: %d %q %q", code, out, errOut)
	}
	for _, args := range [][]string{{}, {"a.jsonl", "b.jsonl"}, {"--format", "csv", "a.jsonl"}} {
		if _, errOut, code := runIt(args...); code != 2 || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%q: exit %d, %q", args, code, errOut)
		}
	}
	if out, errOut, code := runIt(filepath.Join(dir, "missing.jsonl")); code != 1 || out != "" || strings.Count(errOut, "\n") != 1 ||
		!strings.Contains(errOut, "missing.jsonl") {
		t.Errorf("missing file: %d %q %q", code, out, errOut)
	}
	// Two entries, the second's link cut.
	var buf bytes.Buffer
	prev := ""
	for i := int64(1); i <= 2; i++ {
		e := ledger.Entry{Seq: i, Kind: ledger.KindFact, Key: fmt.Sprint("k", i), At: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), Body: []byte(`{}`), Prev: prev}
		if i == 2 {
			e.Prev = "cut"
		}
		e.Hash = e.ComputeHash()
		prev = e.Hash
		ledger.WriteJSONL(&buf, e)
	}
	file := filepath.Join(dir, "cut.jsonl")
	os.WriteFile(file, buf.Bytes(), 0o600)
	out, errOut, code := runIt(file)
	if code != 1 || !strings.HasPrefix(out, "chain: broken at ledger entry 2: its link to the previous entry does not match") ||
		!strings.Contains(out, "(the entry before it holds)\n2 entries, chain broken at entry 2; 0 outcomes recomputed, all match\n") ||
		errOut != "accord audit: "+file+": the chain is broken\n" {
		t.Errorf("a cut chain: %d\n%s%s", code, out, errOut)
	}
}
