package tally

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/accord-coop/accord/policies"
)

func profile(voters string, quorum, threshold policies.Milli, block, closeEarly bool) *policies.Profile {
	return &policies.Profile{Name: "p", Voters: voters, Quorum: quorum, Threshold: threshold, Block: block, CloseEarly: closeEarly}
}

// electorate: members a1..a3 of co-op a, b1..b3 of b, c1..c2 of c.
var electorate = map[string]string{"a1": "a", "a2": "a", "a3": "a", "b1": "b", "b2": "b", "b3": "b", "c1": "c", "c2": "c"}

func ballots(s string) []Ballot {
	var out []Ballot
	for _, f := range strings.Fields(s) {
		m, c, _ := strings.Cut(f, "=")
		out = append(out, Ballot{Member: m, Choice: c})
	}
	return out
}

func TestTally(t *testing.T) {
	members := profile(policies.VotersMembers, 500, 500, false, true)
	consent := profile(policies.VotersMembers, 0, 500, true, true)
	coops := profile(policies.VotersCoops, 500, 660, false, true)
	coopsConsent := profile(policies.VotersCoops, 500, 500, true, true)
	tests := []struct {
		name    string
		p       *policies.Profile
		ballots string
		want    string // "outcome yes/no/abstain/block voted/eligible quorum decided"
	}{
		{"a member vote passes", members, "a1=yes a2=yes b1=yes c1=no c2=abstain", "passed 3/1/1/0 5/8 quorum open"},
		{"close early: so many yes that the rest cannot turn it", members, "a1=yes a2=yes a3=yes b1=yes b2=yes", "passed 5/0/0/0 5/8 quorum decided"},
		{"quorum not met", members, "a1=yes a2=yes b1=yes", "rejected 3/0/0/0 3/8 no-quorum open"},
		{"abstain counts for quorum, not threshold", members, "a1=yes a2=abstain b1=abstain c1=abstain", "passed 1/0/3/0 4/8 quorum open"},
		{"threshold is strict: 2 of 4 is not more than half", members, "a1=yes a2=yes b1=no b2=no", "rejected 2/2/0/0 4/8 quorum open"},
		{"the last vote of a member counts", members, "a1=no a2=yes a1=yes b1=yes c1=yes", "passed 4/0/0/0 4/8 quorum open"},
		{"ineligible ballots are not counted", members, "a1=yes x9=no y8=no a2=yes b1=yes b2=yes", "passed 4/0/0/0 4/8 quorum open"},
		{"without consent a block is a no", members, "a1=yes a2=yes b1=block b2=block c1=no", "rejected 2/1/0/2 5/8 quorum open"},
		{"with consent one block fails it", consent, "a1=yes a2=yes a3=yes b1=yes b2=yes b3=yes c1=yes c2=block", "rejected 7/0/0/1 8/8 quorum decided blocked"},
		{"consent: a pass is never decided while someone may block", consent, "a1=yes a2=yes a3=yes b1=yes b2=yes b3=yes c1=yes", "passed 7/0/0/0 7/8 quorum open"},
		{"close early: enough no that nothing can pass", members, "a1=no a2=no a3=no b1=no b2=no", "rejected 0/5/0/0 5/8 quorum decided"},
		{"everyone voted", members, "a1=yes a2=yes a3=no b1=yes b2=yes b3=no c1=no c2=yes", "passed 5/3/0/0 8/8 quorum decided"},
		// Co-ops: a says yes 2:1, b splits 1:1 with an abstain (a tie: abstain), c says no.
		{"a co-op vote where one co-op's members split", coops, "a1=yes a2=yes a3=no b1=yes b2=no b3=abstain c1=no c2=no", "rejected 1/1/1/0 3/3 quorum decided"},
		{"co-ops: two of three yes passes 0.66", coops, "a1=yes a2=yes a3=yes b1=yes b2=yes b3=yes c1=no c2=no", "passed 2/1/0/0 3/3 quorum decided"},
		{"co-ops: a co-op with members still to vote is not final", coops, "a1=yes a2=yes b1=yes b2=yes b3=yes c1=no c2=no", "passed 2/1/0/0 3/3 quorum open"},
		{"co-ops: quorum of co-ops", coops, "a1=yes", "rejected 1/0/0/0 1/3 no-quorum open"},
		{"nobody voted", members, "", "rejected 0/0/0/0 0/8 no-quorum open"},
		// Consent under voters: coops: b votes yes 2:1, yet b3's block fails it.
		{"co-ops with consent: one member's block fails it though their co-op votes yes", coopsConsent,
			"a1=yes a2=yes a3=yes b1=yes b2=yes b3=block c1=yes c2=yes", "rejected 3/0/0/0 3/3 quorum decided blocked"},
		{"co-ops with consent: a block decides at once", coopsConsent, "a1=yes b3=block", "rejected 1/0/0/1 2/3 quorum decided blocked"},
		{"co-ops with consent: no block, passes", coopsConsent, "a1=yes a2=yes a3=yes b1=yes b2=yes b3=yes c1=yes c2=yes", "passed 3/0/0/0 3/3 quorum decided"},
		{"co-ops without consent: a member's block is their co-op's no at most", coops,
			"a1=yes a2=yes a3=yes b1=yes b2=yes b3=block c1=yes c2=yes", "passed 3/0/0/0 3/3 quorum decided"},
	}
	for _, tt := range tests {
		tl := Count(tt.p, electorate, ballots(tt.ballots))
		got := fmt.Sprintf("%s %d/%d/%d/%d %d/%d", tl.Outcome, tl.Yes, tl.No, tl.Abstain, tl.Block, tl.Voted, tl.Eligible)
		got += map[bool]string{true: " quorum", false: " no-quorum"}[tl.QuorumMet]
		got += map[bool]string{true: " decided", false: " open"}[tl.Decided]
		if tl.Blocked {
			got += " blocked"
		}
		if got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
}

func TestTallyByCoop(t *testing.T) {
	tl := Count(profile(policies.VotersCoops, 0, 500, false, false), electorate, ballots("a1=yes a2=no b1=yes b2=yes c1=abstain"))
	var got []string
	for _, c := range tl.ByCoop {
		got = append(got, fmt.Sprintf("%s:%d/%d:%d-%d-%d:%s", c.Coop, c.Voted, c.Eligible, c.Yes, c.No, c.Abstain, c.Vote))
	}
	if strings.Join(got, " ") != "a:2/3:1-1-0:abstain b:2/3:2-0-0:yes c:1/2:0-0-1:abstain" {
		t.Errorf("by co-op: %v", got)
	}
}

// tallyBench is 10,000 members of 500 co-ops (20 each) and a vote of each.
func tallyBench() (map[string]string, []Ballot) {
	eligible := map[string]string{}
	var bs []Ballot
	choices := []string{ChoiceYes, ChoiceNo, ChoiceAbstain, ChoiceYes, ChoiceBlock}
	for i := range 10000 {
		m := fmt.Sprint("m", i)
		eligible[m] = fmt.Sprint("coop", i%500)
		bs = append(bs, Ballot{Member: m, Choice: choices[i%len(choices)]})
	}
	return eligible, bs
}

// BenchmarkTallyPlainLoop is the baseline: count the choices of the same
// ballots by co-op in a plain loop.
func BenchmarkTallyPlainLoop(b *testing.B) {
	eligible, bs := tallyBench()
	for range b.N {
		counts := map[string]int{}
		for _, x := range bs {
			counts[eligible[x.Member]+"/"+x.Choice]++
		}
	}
}

// BenchmarkTally10000Votes: a proposal with 10,000 votes from 500 co-ops
// (20 members each), under voters: coops. Goal: ≤ 10 ms a tally.
func BenchmarkTally10000Votes(b *testing.B) {
	eligible, bs := tallyBench()
	p := profile(policies.VotersCoops, 500, 500, true, true)
	b.ResetTimer()
	for range b.N {
		Count(p, eligible, bs)
	}
}

// TestTallyBlocksShowWhoAndWhy: the tally lists each standing block with
// its member, co-op and reason; a replaced block is not listed.
func TestTallyBlocksShowWhoAndWhy(t *testing.T) {
	p := profile(policies.VotersCoops, 0, 500, true, false)
	tl := Count(p, electorate, []Ballot{
		{Member: "c2", Choice: ChoiceBlock, Reason: "breaks the charter"},
		{Member: "a1", Choice: ChoiceBlock, Reason: "changed later"},
		{Member: "a1", Choice: ChoiceYes},
		{Member: "b1", Choice: ChoiceBlock, Reason: "too soon"},
	})
	want := []BlockNote{{Member: "b1", Coop: "b", Reason: "too soon"}, {Member: "c2", Coop: "c", Reason: "breaks the charter"}}
	if !tl.Blocked || fmt.Sprint(tl.Blocks) != fmt.Sprint(want) {
		t.Errorf("blocked %v, blocks %+v, want %+v", tl.Blocked, tl.Blocks, want)
	}
}

// TestOfElectorate: the electorate and each vote's co-op come from the
// version's dated memberships: a member who joins while the vote is open
// may vote from that day; a vote cast before their membership or after it
// ended does not count; a member who moves co-ops votes in the co-op of
// the day they vote.
func TestOfElectorate(t *testing.T) {
	coops := `version: 1
coops: [{id: a, name: A}, {id: b, name: B}]
members:
  - {id: stays, identities: [gitea:stays], memberships: [{coop: a, since: 2020-01-01}]}
  - {id: joins, identities: [gitea:joins], memberships: [{coop: b, since: 2026-11-05}]}
  - {id: leaves, identities: [gitea:leaves], memberships: [{coop: a, since: 2020-01-01, until: 2026-11-03}]}
  - {id: moves, identities: [gitea:moves], memberships: [{coop: a, since: 2020-01-01, until: 2026-11-04}, {coop: b, since: 2026-11-05}]}
  - {id: gone, identities: [gitea:gone], memberships: [{coop: a, since: 2020-01-01, until: 2021-01-01}]}
`
	scoring := "version: 1\nweights: {pr_merged: 10, review_approved: 3, review_changes_requested: 3, review_commented: 1, issue_opened: 2, issue_closed: 1, comment: 0.5, commit: 1, release_published: 5, manual: 1}\n"
	gov := "version: 1\nprofiles:\n  default: {duration: 7d, voters: members, quorum: 0, threshold: 0.5}\n"
	set, errs := policies.Parse(map[string][]byte{"coops.yml": []byte(coops), "scoring.yml": []byte(scoring), "governance.yml": []byte(gov)}, nil)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	day := func(d int) time.Time { return time.Date(2026, 11, d, 12, 0, 0, 0, time.UTC) }
	votes := []Vote{
		{Member: "joins", Choice: ChoiceNo, At: day(4)},  // before joining: not counted
		{Member: "joins", Choice: ChoiceYes, At: day(6)}, // counted, in b
		{Member: "leaves", Choice: ChoiceNo, At: day(4)}, // after leaving: not counted
		{Member: "moves", Choice: ChoiceYes, At: day(6)}, // counted in b
		{Member: "stays", Choice: ChoiceYes, At: day(2)}, // counted in a
		{Member: "gone", Choice: ChoiceNo, At: day(2)},   // not in the electorate
	}
	tl := Of(set, "default", day(2), day(9), votes)
	got := fmt.Sprintf("%d/%d yes %d no %d", tl.Voted, tl.Eligible, tl.Yes, tl.No)
	if got != "3/4 yes 3 no 0" {
		t.Errorf("got %s, want 3/4 yes 3 no 0 (stays, joins, leaves, moves may vote; gone may not)", got)
	}
	for _, c := range tl.ByCoop {
		if c.Coop == "b" && c.Voted != 2 {
			t.Errorf("co-op b: %+v, want joins and moves", c)
		}
	}
}
