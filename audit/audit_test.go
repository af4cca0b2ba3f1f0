package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/accord-coop/accord/ledger"
	"github.com/accord-coop/accord/policies"
)

const testCoops = `version: 1
coops:
  - {id: a, name: A}
  - {id: b, name: B}
  - {id: c, name: C}
members:
  - {id: alice, identities: [github:alice], memberships: [{coop: a, since: 2020-01-01}]}
  - {id: bob, identities: [github:bob], memberships: [{coop: a, since: 2020-01-01}]}
  - {id: carol, identities: [github:carol], memberships: [{coop: b, since: 2020-01-01}]}
  - {id: dave, identities: [github:dave], memberships: [{coop: b, since: 2020-01-01}]}
  - {id: erin, identities: [github:erin], memberships: [{coop: c, since: 2020-01-01}]}
  - {id: gone, identities: [github:gone], memberships: [{coop: c, since: 2020-01-01, until: 2026-09-30}]}
maintainers: [alice]
`

const testScoring = "version: 1\nweights: {pr_merged: 10, review_approved: 3, review_changes_requested: 3, review_commented: 1, issue_opened: 2, issue_closed: 1, comment: 0.5, commit: 1, release_published: 5, manual: 1}\n"

// testGovernance is version 1's; strictGovernance (version 2) asks for
// nine yes in ten.
const testGovernance = `version: 1
profiles:
  default: {duration: 7d, voters: members, quorum: 0.5, threshold: 0.5}
  early: {duration: 7d, voters: members, quorum: 0.5, threshold: 0.5, close_early: true}
  consent: {duration: 7d, voters: coops, quorum: 0.5, threshold: 0.5, block: true}
`

var strictGovernance = strings.Replace(testGovernance, "default: {duration: 7d, voters: members, quorum: 0.5, threshold: 0.5}",
	"default: {duration: 7d, voters: members, quorum: 0.5, threshold: 0.9}", 1)

var (
	opened   = time.Date(2026, 10, 5, 9, 0, 0, 123, time.UTC)
	deadline = opened.Add(7 * 24 * time.Hour)
)

// book writes a ledger by hand, as the bot would: each entry chained to the
// one before, recorded a second after it.
type book struct {
	t  *testing.T
	es []ledger.Entry
}

func (b *book) add(kind, key string, body any) {
	b.t.Helper()
	raw, err := ledger.Canonical(body)
	if err != nil {
		b.t.Fatal(err)
	}
	at := opened.Add(time.Duration(len(b.es)) * time.Second)
	if n := len(b.es); n > 0 && b.es[n-1].At.After(at) {
		at = b.es[n-1].At.Add(time.Second)
	}
	b.es = append(b.es, ledger.Entry{Kind: kind, Key: key, At: at, Body: raw})
	rechain(b.es)
}

// addAt adds an entry recorded at at.
func (b *book) addAt(at time.Time, kind, key string, body any) {
	b.add(kind, key, body)
	b.es[len(b.es)-1].At = at
	rechain(b.es)
}

// rechain numbers and links es from the first, as one who rewrites a
// ledger would.
func rechain(es []ledger.Entry) {
	prev := ""
	for i := range es {
		es[i].Seq, es[i].Prev = int64(i+1), prev
		es[i].Hash = es[i].ComputeHash()
		prev = es[i].Hash
	}
}

// policy records a version (its content hash, as for a directory).
func (b *book) policy(governance string) string { return b.policyAs("", governance) }

// policyAs records a version named version ("": its content hash), as a
// governance repo's commit names it.
func (b *book) policyAs(version, governance string) string {
	files := map[string]string{policies.CoopsFile: testCoops, policies.ScoringFile: testScoring, policies.GovernanceFile: governance}
	raw := map[string][]byte{}
	for k, v := range files {
		raw[k] = []byte(v)
	}
	content := policies.ContentVersion(raw)
	v := version
	if v == "" {
		v = content
	}
	b.add(ledger.KindPolicy, "policy:"+v, map[string]any{"version": v, "source": "dir:/p", "content": content, "files": files})
	return v
}

func (b *book) fact(n int) {
	f := ledger.Fact{Kind: ledger.FactComment, Forge: "github", Repo: "coop/site", Number: int64(n), Ref: fmt.Sprint(n),
		Who: ledger.Person{Identity: "github:alice"}, At: opened, Delivery: fmt.Sprint("github/", n)}
	f.ID = ledger.FactID(f.Kind, f.Forge, f.Repo, f.Ref)
	b.add(ledger.KindFact, f.ID, f)
}

// propose opens proposal id on issue number, as bot.open writes it.
func (b *book) propose(id, number int64, profile, version string) {
	b.add(ledger.KindProposal, fmt.Sprintf("proposal:github:coop/site#%d:comment:%d", number, id*1000),
		map[string]any{"forge": "github", "repo": "coop/site", "number": number, "profile": profile, "policy": version,
			"proposer": "github:alice", "opened_at": opened, "deadline": deadline, "kind": "", "head": ""})
}

// vote records comment's vote on proposal p, as bot.putVote writes it:
// cast minutes after opening, written at written minutes (0: when cast).
func (b *book) vote(p, comment int64, member, choice, reason string, cast, written int, reconciled bool) {
	at := opened.Add(time.Duration(cast) * time.Minute)
	w := at
	if written > 0 {
		w = opened.Add(time.Duration(written) * time.Minute)
	}
	body := map[string]any{"proposal": p, "member": member, "identity": "github:" + member, "choice": choice, "comment": comment, "at": at}
	if choice == "block" && reason != "" {
		body["reason"] = reason
	}
	if reconciled {
		body["reconciled"] = true
	}
	b.add(ledger.KindVote, fmt.Sprintf("vote:%d:%d:1:%d", p, comment, w.UnixNano()), body)
}

func (b *book) withdraw(p, comment int64) {
	b.add(ledger.KindVote, fmt.Sprintf("withdraw:%d:%d", p, comment), map[string]any{"proposal": p, "comment": comment, "withdrawn": true})
}

// outcome records proposal p's outcome on issue number with the fields of
// a bot's outcome entry, taking the counts from o.
func (b *book) outcome(p, number int64, profile, version string, o map[string]any) {
	body := map[string]any{"proposal": p, "forge": "github", "repo": "coop/site", "number": number, "profile": profile,
		"policy": version, "opened_at": opened, "deadline": deadline, "voters": "members", "why": "the deadline passed",
		"quorum_met": true, "blocked": false}
	for k, v := range o {
		if v == nil {
			delete(body, k)
		} else {
			body[k] = v
		}
	}
	b.addAt(deadline.Add(time.Minute), ledger.KindOutcome, fmt.Sprint("outcome:", p), body)
}

// counts is an outcome's counts: yes, no, abstain, block, eligible, voted.
func counts(outcome string, c [6]int, votes map[string]string) map[string]any {
	return map[string]any{"outcome": outcome, "yes": c[0], "no": c[1], "abstain": c[2], "block": c[3], "eligible": c[4], "voted": c[5], "votes": votes}
}

func audit(t *testing.T, es []ledger.Entry) *Report {
	t.Helper()
	a := New()
	for _, e := range es {
		a.Add(e)
	}
	r := a.Report()
	// The same through an export.
	var buf bytes.Buffer
	for _, e := range es {
		if err := ledger.WriteJSONL(&buf, e); err != nil {
			t.Fatal(err)
		}
	}
	r2, err := Run(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(r2.Differences, r2.Summary(), r2.Broken) != fmt.Sprint(r.Differences, r.Summary(), r.Broken) {
		t.Errorf("Run and Add differ:\n%v\n%v", r2, r)
	}
	return r
}

// lines is what the report says, one difference a line, then the summary.
func lines(r *Report) string {
	var s []string
	for _, d := range r.Differences {
		s = append(s, d.String())
	}
	return strings.Join(append(s, r.Summary()), "\n")
}

func wantLines(t *testing.T, r *Report, want ...string) {
	t.Helper()
	if got := lines(r); got != strings.Join(want, "\n") {
		t.Errorf("the audit says:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
}

// members is a proposal under voters: members on issue 7: alice and bob
// yes, carol no, among facts.
func members(t *testing.T) (*book, string) {
	b := &book{t: t}
	b.fact(1)
	v1 := b.policy(testGovernance)
	b.fact(2)
	b.propose(1, 7, "default", v1)
	b.vote(1, 101, "alice", "yes", "", 1, 0, false)
	b.fact(3)
	b.vote(1, 102, "bob", "yes", "", 2, 0, false)
	b.vote(1, 103, "carol", "no", "", 3, 0, false)
	b.fact(4)
	b.outcome(1, 7, "default", v1, counts("passed", [6]int{2, 1, 0, 0, 5, 3}, map[string]string{"alice": "yes", "bob": "yes", "carol": "no"}))
	b.fact(5)
	return b, v1
}

func TestMatchingOutcome(t *testing.T) {
	b, _ := members(t)
	r := audit(t, b.es)
	wantLines(t, r, "11 entries, chain holds; 1 outcome recomputed, all match")
	if !r.OK() || r.Head != b.es[len(b.es)-1].Hash {
		t.Errorf("report %+v", r)
	}
	if got := strings.Join(r.Notes, "\n"); got != "scores: not recorded in the ledger, nothing to compare\npayouts: none recorded in the ledger, nothing to compare" {
		t.Errorf("notes %q", got)
	}
}

// setBody rewrites the body of the entry with key and re-hashes the chain
// after it, so that the chain holds.
func setBody(t *testing.T, es []ledger.Entry, key string, edit func(map[string]any)) {
	t.Helper()
	for i := range es {
		if es[i].Key != key {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(es[i].Body, &m); err != nil {
			t.Fatal(err)
		}
		edit(m)
		es[i].Body, _ = ledger.Canonical(m)
		rechain(es)
		return
	}
	t.Fatalf("no entry %s", key)
}

func keyOf(t *testing.T, es []ledger.Entry, prefix string) string {
	t.Helper()
	for _, e := range es {
		if strings.HasPrefix(e.Key, prefix) {
			return e.Key
		}
	}
	t.Fatalf("no entry %s…", prefix)
	return ""
}

func TestChangedVoteChoice(t *testing.T) {
	b, _ := members(t)
	setBody(t, b.es, keyOf(t, b.es, "vote:1:103:"), func(m map[string]any) { m["choice"] = "yes" })
	r := audit(t, b.es)
	wantLines(t, r,
		"proposal 1 (github:coop/site#7): yes: recorded 2, recomputed 3 (entry 10)",
		"proposal 1 (github:coop/site#7): no: recorded 1, recomputed 0 (entry 10)",
		"proposal 1 (github:coop/site#7): votes.carol: recorded no, recomputed yes (entry 10)",
		"11 entries, chain holds; 1 outcome recomputed, 1 proposal differs")
}

func TestDeletedVoteEntry(t *testing.T) {
	b, _ := members(t)
	var es []ledger.Entry
	for _, e := range b.es {
		if !strings.HasPrefix(e.Key, "vote:1:102:") {
			es = append(es, e)
		}
	}
	r := audit(t, es)
	var be *ledger.BrokenError
	if !errors.As(r.Broken, &be) || be.Seq != 8 || r.OK() {
		t.Fatalf("broken: %v", r.Broken)
	}
	if !strings.HasPrefix(r.Summary(), "10 entries, chain broken at entry 8; 1 outcome recomputed, 1 proposal differs") {
		t.Errorf("summary %q", r.Summary())
	}
	// The votes that are left are counted all the same.
	if got := lines(r); !strings.Contains(got, "votes.bob: recorded yes, recomputed (none)") {
		t.Errorf("the audit says:\n%s", got)
	}
}

func TestForgedOutcomeCount(t *testing.T) {
	b, _ := members(t)
	setBody(t, b.es, "outcome:1", func(m map[string]any) { m["yes"], m["eligible"] = 3, 4 })
	wantLines(t, audit(t, b.es),
		"proposal 1 (github:coop/site#7): eligible: recorded 4, recomputed 5 (entry 10)",
		"proposal 1 (github:coop/site#7): yes: recorded 3, recomputed 2 (entry 10)",
		"11 entries, chain holds; 1 outcome recomputed, 1 proposal differs")
}

// TestWrongPolicyVersion: the proposal opened under version 1 (a simple
// majority); version 2 asks for nine in ten.
func TestWrongPolicyVersion(t *testing.T) {
	build := func(named string, outcome string) (*book, string, string) {
		b := &book{t: t}
		v1 := b.policy(testGovernance)
		b.propose(1, 7, "default", v1)
		v2 := b.policy(strictGovernance)
		b.vote(1, 101, "alice", "yes", "", 1, 0, false)
		b.vote(1, 102, "bob", "yes", "", 2, 0, false)
		b.vote(1, 103, "carol", "no", "", 3, 0, false)
		v := map[string]string{"1": v1, "2": v2}[named]
		b.outcome(1, 7, "default", v, counts(outcome, [6]int{2, 1, 0, 0, 5, 3}, map[string]string{"alice": "yes", "bob": "yes", "carol": "no"}))
		return b, v1, v2
	}
	// Counted under version 1 and said to be of version 2.
	b, v1, v2 := build("2", "passed")
	wantLines(t, audit(t, b.es),
		fmt.Sprintf("proposal 1 (github:coop/site#7): policy: recorded %s, opened under %s (as its proposal entry 2 says) (entry 7)", v2, v1),
		"proposal 1 (github:coop/site#7): outcome: recorded passed, recomputed rejected (entry 7)",
		"7 entries, chain holds; 1 outcome recomputed, 1 proposal differs")
	// Said to be of version 1 and counted under version 2.
	b, _, _ = build("1", "rejected")
	wantLines(t, audit(t, b.es),
		"proposal 1 (github:coop/site#7): outcome: recorded rejected, recomputed passed (entry 7)",
		"7 entries, chain holds; 1 outcome recomputed, 1 proposal differs")
	b, _, _ = build("1", "passed")
	wantLines(t, audit(t, b.es), "7 entries, chain holds; 1 outcome recomputed, all match")
}

// TestWithdrawalsAndReconciledReplayed: the votes as the store keeps them.
func TestWithdrawalsAndReconciledReplayed(t *testing.T) {
	b := &book{t: t}
	v1 := b.policy(testGovernance)
	b.propose(1, 7, "default", v1)
	b.vote(1, 101, "alice", "no", "", 1, 0, false)      // alice's first comment…
	b.vote(1, 102, "bob", "yes", "", 2, 0, false)       // deleted: withdrawn
	b.vote(1, 103, "carol", "no", "", 3, 0, false)      // edited to yes
	b.vote(1, 104, "alice", "yes", "", 4, 0, false)     // …and her second: her ballot, cast last
	b.vote(1, 105, "erin", "yes", "", 5, 0, false)      // edited to hold no vote: withdrawn
	b.vote(1, 101, "alice", "abstain", "", 1, 6, false) // an edit of her first comment: still cast first
	b.withdraw(1, 102)
	b.vote(1, 103, "carol", "yes", "", 3, 7, false)
	b.withdraw(1, 105)
	b.withdraw(1, 999)                            // a comment that held no vote
	b.vote(1, 106, "dave", "yes", "", 8, 0, true) // read from the forge at the close
	b.outcome(1, 7, "default", v1, counts("passed", [6]int{3, 0, 0, 0, 5, 3}, map[string]string{"alice": "yes", "carol": "yes", "dave": "yes"}))
	wantLines(t, audit(t, b.es), "14 entries, chain holds; 1 outcome recomputed, all match")

	// Counting the entries in ledger order, or the first entry of each
	// comment, or ignoring withdrawals, would not give this.
	setBody(t, b.es, "outcome:1", func(m map[string]any) {
		m["yes"], m["abstain"], m["voted"] = 3, 1, 4
		m["votes"] = map[string]string{"alice": "abstain", "bob": "yes", "carol": "yes", "dave": "yes"}
	})
	wantLines(t, audit(t, b.es),
		"proposal 1 (github:coop/site#7): voted: recorded 4, recomputed 3 (entry 14)",
		"proposal 1 (github:coop/site#7): abstain: recorded 1, recomputed 0 (entry 14)",
		"proposal 1 (github:coop/site#7): votes.alice: recorded abstain, recomputed yes (entry 14)",
		"proposal 1 (github:coop/site#7): votes.bob: recorded yes, recomputed (none) (entry 14)",
		"14 entries, chain holds; 1 outcome recomputed, 1 proposal differs")
}

// TestConsentUnderCoops: voters: coops with block: true. Co-op a says yes,
// b is split between carol's yes and dave's block (a tie: abstain), c says
// yes; dave's block fails it all the same.
func TestConsentUnderCoops(t *testing.T) {
	b := &book{t: t}
	v1 := b.policy(testGovernance)
	b.propose(3, 9, "consent", v1)
	for i, v := range [][2]string{{"alice", "yes"}, {"bob", "yes"}, {"carol", "yes"}, {"dave", "block"}, {"erin", "yes"}} {
		b.vote(3, int64(301+i), v[0], v[1], "the budget is missing", i+1, 0, false)
	}
	o := counts("rejected", [6]int{2, 0, 1, 0, 3, 3}, map[string]string{"alice": "yes", "bob": "yes", "carol": "yes", "dave": "block", "erin": "yes"})
	o["voters"], o["blocked"] = "coops", true
	o["blocks"] = []map[string]string{{"Member": "dave", "Coop": "b", "Reason": "the budget is missing"}}
	b.outcome(3, 9, "consent", v1, o)
	wantLines(t, audit(t, b.es), "8 entries, chain holds; 1 outcome recomputed, all match")

	// Without dave's block, it passes.
	setBody(t, b.es, keyOf(t, b.es, "vote:3:304:"), func(m map[string]any) { m["choice"] = "yes"; delete(m, "reason") })
	wantLines(t, audit(t, b.es),
		"proposal 3 (github:coop/site#9): outcome: recorded rejected, recomputed passed (entry 8)",
		"proposal 3 (github:coop/site#9): yes: recorded 2, recomputed 3 (entry 8)",
		"proposal 3 (github:coop/site#9): abstain: recorded 1, recomputed 0 (entry 8)",
		"proposal 3 (github:coop/site#9): blocked: recorded true, recomputed false (entry 8)",
		`proposal 3 (github:coop/site#9): blocks: recorded dave (b) "the budget is missing", recomputed (none) (entry 8)`,
		"proposal 3 (github:coop/site#9): votes.dave: recorded block, recomputed yes (entry 8)",
		"8 entries, chain holds; 1 outcome recomputed, 1 proposal differs")
}

// TestEarlierOutcomeShape: an outcome recorded before outcomes said
// opened_at, deadline, voters, quorum_met and blocked takes its times from
// the proposal opened last on its issue before it.
func TestEarlierOutcomeShape(t *testing.T) {
	b := &book{t: t}
	v1 := b.policy(testGovernance)
	// An earlier proposal on the same issue, ten years before (nobody was a
	// member then), and one on another issue.
	b.add(ledger.KindProposal, "proposal:github:coop/site#7:comment:1", map[string]any{"forge": "github", "repo": "coop/site", "number": 7,
		"profile": "default", "policy": v1, "proposer": "github:alice", "opened_at": opened.AddDate(-10, 0, 0), "deadline": opened.AddDate(-10, 0, 7)})
	b.add(ledger.KindProposal, "proposal:github:coop/site#8:comment:2", map[string]any{"forge": "github", "repo": "coop/site", "number": 8,
		"profile": "default", "policy": v1, "proposer": "github:alice", "opened_at": opened.AddDate(-1, 0, 0), "deadline": opened.AddDate(-1, 0, 7)})
	b.propose(1, 7, "default", v1)
	b.vote(1, 101, "alice", "yes", "", 1, 0, false)
	o := counts("rejected", [6]int{1, 0, 0, 0, 5, 1}, map[string]string{"alice": "yes"})
	o["opened_at"], o["deadline"], o["voters"], o["quorum_met"], o["blocked"] = nil, nil, nil, nil, nil
	b.outcome(1, 7, "default", v1, o)
	wantLines(t, audit(t, b.es), "6 entries, chain holds; 1 outcome recomputed, all match")

	// With its proposal entry gone (and the chain rewritten):
	var es []ledger.Entry
	for _, e := range b.es {
		if e.Key != "proposal:github:coop/site#7:comment:1000" {
			es = append(es, e)
		}
	}
	rechain(es)
	// Then the proposal opened on #7 before is taken for it: alice's vote
	// is cast after that one's deadline, and its electorate is alice alone.
	wantLines(t, audit(t, es),
		"proposal 1 (github:coop/site#7): comment 101: cast at 2026-10-05T09:01:00.000000123Z, after the deadline 2016-10-12T09:00:00.000000123Z (entry 4)",
		"proposal 1 (github:coop/site#7): outcome: recorded rejected, recomputed passed (entry 5)",
		"proposal 1 (github:coop/site#7): eligible: recorded 5, recomputed 1 (entry 5)",
		"5 entries, chain holds; 1 outcome recomputed, 1 proposal differs")
}

func TestCancelledComparesCounts(t *testing.T) {
	b := &book{t: t}
	v1 := b.policy(testGovernance)
	b.propose(1, 7, "default", v1)
	b.vote(1, 101, "alice", "yes", "", 1, 0, false)
	o := counts("cancelled", [6]int{1, 0, 0, 0, 5, 1}, map[string]string{"alice": "yes"})
	o["quorum_met"] = false
	b.outcome(1, 7, "default", v1, o)
	wantLines(t, audit(t, b.es), "4 entries, chain holds; 1 outcome recomputed, all match")
	setBody(t, b.es, "outcome:1", func(m map[string]any) { m["yes"], m["no"] = 0, 1 })
	wantLines(t, audit(t, b.es),
		"proposal 1 (github:coop/site#7): yes: recorded 0, recomputed 1 (entry 4)",
		"proposal 1 (github:coop/site#7): no: recorded 1, recomputed 0 (entry 4)",
		"4 entries, chain holds; 1 outcome recomputed, 1 proposal differs")
}

// TestVotesTheBotWouldRefuse: entries no bot writes, each named.
func TestVotesTheBotWouldRefuse(t *testing.T) {
	b := &book{t: t}
	v1 := b.policy(testGovernance)
	b.propose(1, 7, "early", v1)
	b.vote(1, 101, "alice", "yes", "", 1, 0, false)
	b.vote(1, 102, "bob", "yes", "", 7*24*60+1, 0, false) // after the deadline
	b.vote(1, 103, "carol", "yes", "", 2, 7*24*60+5, false)
	b.add(ledger.KindVote, fmt.Sprintf("vote:1:104:1:%d", opened.UnixNano()), map[string]any{"proposal": 1, "member": "dave",
		"identity": "github:erin", "choice": "yes", "comment": 104, "at": opened}) // erin's comment, recorded as dave's
	b.vote(1, 105, "gone", "yes", "", 3, 0, false) // no membership that day
	b.vote(1, 106, "erin", "maybe", "", 3, 0, false)
	// What the bot would have counted of them: gone's vote does not count,
	// erin's is an abstention.
	b.addAt(opened.Add(time.Hour), ledger.KindOutcome, "outcome:1", map[string]any{"proposal": 1, "forge": "github", "repo": "coop/site",
		"number": 7, "profile": "early", "policy": v1, "opened_at": opened, "deadline": deadline, "voters": "members",
		"outcome": "passed", "yes": 4, "no": 0, "abstain": 1, "block": 0, "eligible": 5, "voted": 5, "quorum_met": true, "blocked": false,
		"votes": map[string]string{"alice": "yes", "bob": "yes", "carol": "yes", "dave": "yes", "erin": "maybe", "gone": "yes"}})
	b.vote(1, 107, "erin", "no", "", 4, 0, false)
	b.add(ledger.KindVote, "vote:1:108:1:5", map[string]any{"proposal": 2, "member": "erin", "identity": "github:erin", "choice": "no", "comment": 108, "at": opened})
	wantLines(t, audit(t, b.es),
		`proposal 1: comment 106: the choice "maybe" is not a vote (entry 8)`,
		"proposal 1 (github:coop/site#7): comment 104: recorded as dave's vote, but github:erin is erin in policy version "+v1+" (entry 6)",
		"proposal 1 (github:coop/site#7): comment 103: written at 2026-10-12T09:05:00.000000123Z, after the deadline 2026-10-12T09:00:00.000000123Z (entry 5)",
		"proposal 1 (github:coop/site#7): comment 105: gone had no membership on 2026-10-05 (entry 7)",
		"proposal 1 (github:coop/site#7): comment 102: cast at 2026-10-12T09:01:00.000000123Z, after the deadline 2026-10-12T09:00:00.000000123Z (entry 4)",
		"proposal 1: comment 107: a vote entry after the proposal's outcome (the store takes none once it is closed) (entry 10)",
		"proposal 2: vote entry vote:1:108:1:5: its key is not that of the vote its body records (proposal 2, comment 108) (entry 11)",
		"11 entries, chain holds; 1 outcome recomputed, 2 proposals differ")
}

func TestPolicyEntryChecked(t *testing.T) {
	b, v1 := members(t)
	setBody(t, b.es, "policy:"+v1, func(m map[string]any) {
		m["files"].(map[string]any)["coops.yml"] = strings.Replace(testCoops, "coop: a, since: 2020-01-01}]}\n  - {id: bob", "coop: b, since: 2020-01-01}]}\n  - {id: bob", 1)
	})
	got := lines(audit(t, b.es))
	if !strings.HasPrefix(got, "policy "+v1+": content: recorded "+v1+", recomputed sha256:") ||
		!strings.HasSuffix(got, "11 entries, chain holds; 1 outcome recomputed, all match") {
		t.Errorf("the audit says:\n%s", got)
	}
	setBody(t, b.es, "policy:"+v1, func(m map[string]any) { m["files"].(map[string]any)["governance.yml"] = "version: 2\n" })
	got = lines(audit(t, b.es))
	if !strings.Contains(got, "policy "+v1+": files: its files are not valid: governance.yml:") ||
		!strings.Contains(got, "proposal 1 (github:coop/site#7): policy: version "+v1+" (entry 2): its files are not valid") {
		t.Errorf("the audit says:\n%s", got)
	}
}

func TestMalformedLines(t *testing.T) {
	b, _ := members(t)
	var buf bytes.Buffer
	for i, e := range b.es {
		ledger.WriteJSONL(&buf, e)
		if i == 4 {
			buf.WriteString("not an entry\n")
		}
	}
	r, err := Run(&buf)
	if err != nil {
		t.Fatal(err)
	}
	var le *ledger.LineError
	if !errors.As(r.Broken, &le) || le.Line != 6 || r.Entries != 11 {
		t.Fatalf("report %+v", r)
	}
	if got := lines(r); got != "11 entries, chain broken; 1 outcome recomputed, all match" {
		t.Errorf("the audit says:\n%s", got)
	}
	r, err = Run(strings.NewReader(""))
	if err != nil || lines(r) != "0 entries, chain holds; 0 outcomes recomputed, all match" {
		t.Errorf("empty: %v %q", err, lines(r))
	}
}

// TestEarlyCloseUndecided: a proposal closed before its deadline must have
// been decided: with close_early, alice's and bob's yes of five do not
// decide it.
func TestEarlyCloseUndecided(t *testing.T) {
	b := &book{t: t}
	v1 := b.policy(testGovernance)
	b.propose(1, 7, "early", v1)
	b.vote(1, 101, "alice", "yes", "", 1, 0, false)
	b.vote(1, 102, "bob", "yes", "", 2, 0, false)
	b.vote(1, 103, "carol", "yes", "", 3, 0, false)
	body := map[string]any{"proposal": 1, "forge": "github", "repo": "coop/site", "number": 7, "profile": "early", "policy": v1,
		"opened_at": opened, "deadline": deadline, "voters": "members", "outcome": "passed", "yes": 3, "no": 0, "abstain": 0,
		"block": 0, "eligible": 5, "voted": 3, "quorum_met": true, "blocked": false,
		"votes": map[string]string{"alice": "yes", "bob": "yes", "carol": "yes"}}
	b.addAt(opened.Add(time.Hour), ledger.KindOutcome, "outcome:1", body)
	wantLines(t, audit(t, b.es), "6 entries, chain holds; 1 outcome recomputed, all match")

	// Without carol's vote two of five is short of the quorum, and the two
	// still to vote could make it.
	var es []ledger.Entry
	for _, e := range b.es {
		if !strings.HasPrefix(e.Key, "vote:1:103:") {
			es = append(es, e)
		}
	}
	rechain(es)
	setBody(t, es, "outcome:1", func(m map[string]any) {
		m["outcome"], m["yes"], m["voted"], m["quorum_met"] = "rejected", 2, 2, false
		m["votes"] = map[string]string{"alice": "yes", "bob": "yes"}
	})
	wantLines(t, audit(t, es),
		"proposal 1 (github:coop/site#7): outcome: closed at 2026-10-05T10:00:00.000000123Z, before the deadline 2026-10-12T09:00:00.000000123Z, though votes still to come could change it (entry 5)",
		"5 entries, chain holds; 1 outcome recomputed, 1 proposal differs")
}

// TestVersionsOfTheSameFiles: a governance repo records a version per
// commit; commits that do not touch the files record the same files under
// another name, each a version an outcome may name.
func TestVersionsOfTheSameFiles(t *testing.T) {
	b := &book{t: t}
	b.policyAs("1111111111111111111111111111111111111111", strictGovernance)
	b.policyAs("2222222222222222222222222222222222222222", testGovernance)
	v3 := b.policyAs("3333333333333333333333333333333333333333", testGovernance)
	b.propose(1, 7, "default", v3)
	b.vote(1, 101, "alice", "yes", "", 1, 0, false)
	b.vote(1, 102, "bob", "yes", "", 2, 0, false)
	b.vote(1, 103, "carol", "no", "", 3, 0, false)
	b.outcome(1, 7, "default", v3, counts("passed", [6]int{2, 1, 0, 0, 5, 3}, map[string]string{"alice": "yes", "bob": "yes", "carol": "no"}))
	wantLines(t, audit(t, b.es), "8 entries, chain holds; 1 outcome recomputed, all match")
	setBody(t, b.es, "policy:"+v3, func(m map[string]any) { m["version"] = "4444444444444444444444444444444444444444" })
	wantLines(t, audit(t, b.es),
		"policy 4444444444444444444444444444444444444444: key: recorded policy:"+v3+", recomputed policy:4444444444444444444444444444444444444444 (entry 3)",
		"proposal 1 (github:coop/site#7): policy: version "+v3+" is not in the ledger before this outcome: cannot recompute (entry 8)",
		"8 entries, chain holds; 0 outcomes recomputed, 1 proposal differs")
}
