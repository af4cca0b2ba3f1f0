// Package tally counts the votes of a proposal under the rules of the
// policy version it opened with: who may vote (the electorate, by dated
// memberships), each member's last ballot, co-op votes, quorum, threshold
// and consent, and whether votes still to come can change the outcome. It
// is pure: the bot and the ledger audit both count with it.
package tally

import (
	"slices"
	"strings"
	"time"

	"github.com/accord-coop/accord/policies"
)

// Vote choices.
const (
	ChoiceYes     = "yes"
	ChoiceNo      = "no"
	ChoiceAbstain = "abstain"
	ChoiceBlock   = "block"
)

// Outcomes of a proposal.
const (
	OutcomePassed    = "passed"
	OutcomeRejected  = "rejected"
	OutcomeCancelled = "cancelled"
)

// Ballot is a member's vote as it stands (the last one they cast).
type Ballot struct {
	Member string
	Choice string // Choice*
	Reason string // the rest of the /vote line: a block's reason is shown
}

// BlockNote is a block vote that stands: who, of which co-op, and why.
type BlockNote struct {
	Member, Coop, Reason string
}

// Tally is the count of a proposal under its profile.
type Tally struct {
	Voters                  string // policies.VotersMembers or VotersCoops: what Eligible and the counts are of
	Eligible                int    // members (or co-ops) who may vote
	Voted                   int    // of those, who have voted (abstain and block count)
	Yes, No, Abstain, Block int
	// ByCoop is each co-op's members' votes and, with voters: coops, the
	// co-op's vote: the choice most of its voting members made, a tie
	// being abstain; "" when none of them has voted. Sorted by co-op.
	ByCoop []CoopTally

	QuorumMet bool
	// Blocked: the profile has block: true and a member's block vote
	// stands. Under voters: coops too, any one member's block fails the
	// proposal, whatever their co-op's vote.
	Blocked bool
	// Blocks are the block votes that stand, sorted by member.
	Blocks  []BlockNote
	Outcome string // what closing now would give: OutcomePassed or OutcomeRejected
	// Decided: no vote still to come can change Outcome (for close_early).
	// Votes already cast are taken as they are.
	Decided bool
}

// CoopTally is one co-op's share of a tally.
type CoopTally struct {
	Coop                    string
	Eligible, Voted         int
	Yes, No, Abstain, Block int
	Vote                    string // the co-op's vote with voters: coops
}

// Count counts ballots, in the order they were cast (a member's last
// one counts), under a profile. eligible maps each member who may vote to
// their co-op now; ballots of anyone else are not counted (the caller
// refuses them when they are cast). It is pure and linear in the number of
// ballots.
func Count(p *policies.Profile, eligible map[string]string, ballots []Ballot) Tally {
	coops := map[string]*CoopTally{}
	for _, c := range eligible {
		ct := coops[c]
		if ct == nil {
			ct = &CoopTally{Coop: c}
			coops[c] = ct
		}
		ct.Eligible++
	}
	var blocks []BlockNote
	last := make(map[string]int, len(ballots)) // a member's last ballot counts
	for i, b := range ballots {
		last[b.Member] = i
	}
	for i, b := range ballots {
		c, ok := eligible[b.Member]
		if !ok || last[b.Member] != i {
			continue
		}
		ct := coops[c]
		ct.Voted++
		count(&ct.Yes, &ct.No, &ct.Abstain, &ct.Block, b.Choice)
		if b.Choice == ChoiceBlock {
			blocks = append(blocks, BlockNote{Member: b.Member, Coop: c, Reason: b.Reason})
		}
	}
	slices.SortFunc(blocks, func(a, b BlockNote) int { return strings.Compare(a.Member, b.Member) })
	t := Tally{Voters: p.Voters, Blocks: blocks}
	if t.Voters == "" {
		t.Voters = policies.VotersMembers
	}
	for _, ct := range coops {
		ct.Vote = coopVote(ct)
		t.ByCoop = append(t.ByCoop, *ct)
	}
	slices.SortFunc(t.ByCoop, func(a, b CoopTally) int { return strings.Compare(a.Coop, b.Coop) })
	// fixed are the counts no vote to come can change; flexible, how many
	// units of the tally (members, or co-ops) may still vote either way.
	var fixed Tally
	var flexible int
	if t.Voters == policies.VotersCoops {
		for _, ct := range t.ByCoop {
			t.Eligible++
			if ct.Vote != "" {
				t.Voted++
				count(&t.Yes, &t.No, &t.Abstain, &t.Block, ct.Vote)
			}
			if ct.Voted < ct.Eligible {
				flexible++ // more members may vote and turn the co-op's vote
			} else {
				fixed.Voted++
				count(&fixed.Yes, &fixed.No, &fixed.Abstain, &fixed.Block, ct.Vote)
			}
		}
	} else {
		for _, ct := range t.ByCoop {
			t.Eligible += ct.Eligible
			t.Voted += ct.Voted
			t.Yes, t.No, t.Abstain, t.Block = t.Yes+ct.Yes, t.No+ct.No, t.Abstain+ct.Abstain, t.Block+ct.Block
		}
		fixed = t
		flexible = t.Eligible - t.Voted
	}
	fixed.Eligible = t.Eligible
	t.Outcome, t.QuorumMet, t.Blocked = outcome(p, t.Eligible, t.Voted, t.Yes, t.No, t.Block, len(blocks))
	t.Decided = decided(p, t.Outcome, fixed, flexible, len(blocks))
	return t
}

func count(yes, no, abstain, block *int, choice string) {
	switch choice {
	case ChoiceYes:
		*yes++
	case ChoiceNo:
		*no++
	case ChoiceBlock:
		*block++
	default:
		*abstain++
	}
}

// coopVote is the choice most of a co-op's voting members made; a tie for
// the most is abstain.
func coopVote(ct *CoopTally) string {
	if ct.Voted == 0 {
		return ""
	}
	best, n, tie := "", -1, false
	for _, c := range []struct {
		choice string
		n      int
	}{{ChoiceYes, ct.Yes}, {ChoiceNo, ct.No}, {ChoiceAbstain, ct.Abstain}, {ChoiceBlock, ct.Block}} {
		switch {
		case c.n > n:
			best, n, tie = c.choice, c.n, false
		case c.n == n:
			tie = true
		}
	}
	if tie {
		return ChoiceAbstain
	}
	return best
}

// outcome is what closing with these counts gives. The quorum is the share
// of the eligible who voted (abstain and block count). With consent
// (block: true) one block fails it: a unit's (member's or co-op's) block,
// or any member's (memberBlocks), whatever their co-op's vote. Without
// consent a block is a no. The threshold is strict: yes/(yes+no) must be
// greater than it; with no yes and no no, nothing passes.
func outcome(p *policies.Profile, eligible, voted, yes, no, block, memberBlocks int) (string, bool, bool) {
	quorum := eligible > 0 && int64(voted)*int64(policies.One) >= int64(p.Quorum)*int64(eligible)
	blocked := p.Block && (block > 0 || memberBlocks > 0)
	if !p.Block {
		no += block
	}
	passes := yes+no > 0 && int64(yes)*int64(policies.One) > int64(p.Threshold)*int64(yes+no)
	if quorum && !blocked && passes {
		return OutcomePassed, quorum, blocked
	}
	return OutcomeRejected, quorum, blocked
}

// decided reports whether the votes still to come cannot change the
// outcome: fixed holds the counts that cannot change, and flexible units
// may still vote any way. The outcome is monotone in each count, so it is
// decided when it is the same with all of them voting yes, all no, all
// block (with consent), and none voting (quorum may fail).
func decided(p *policies.Profile, now string, fixed Tally, flexible, memberBlocks int) bool {
	if flexible == 0 {
		return true
	}
	f := fixed
	ends := []struct{ voted, yes, no, block int }{
		{f.Voted + flexible, f.Yes + flexible, f.No, f.Block},
		{f.Voted + flexible, f.Yes, f.No + flexible, f.Block},
		{f.Voted, f.Yes, f.No, f.Block},
	}
	if p.Block {
		ends = append(ends, struct{ voted, yes, no, block int }{f.Voted + flexible, f.Yes, f.No, f.Block + flexible})
	}
	for _, e := range ends {
		if o, _, _ := outcome(p, f.Eligible, e.voted, e.yes, e.no, e.block, memberBlocks); o != now {
			return false
		}
	}
	return true
}

// Vote is a vote comment's ballot as recorded: its member, choice, reason
// and when its comment was created.
type Vote struct {
	Member, Choice, Reason string
	At                     time.Time
}

// ProfileOf is the named profile of set, or its default profile if the
// name is gone (a recorded version cannot lose it; a hand-made one could).
func ProfileOf(set *policies.Set, name string) *policies.Profile {
	if prof := set.Governance.Profile(name); prof != nil {
		return prof
	}
	return set.Governance.Default()
}

// Of counts votes, in the order they were cast, under the rules of set,
// the proposal's policy version, and its profile. The electorate is the
// members of that version with a membership at some time between opened
// and deadline; a vote counts in the co-op its voter belonged to when it
// was cast, and only if they had a membership then.
func Of(set *policies.Set, profile string, opened, deadline time.Time, votes []Vote) Tally {
	eligible := make(map[string]string, len(set.Coops.Members))
	for _, m := range set.Coops.Members {
		if coop, ok := coopDuring(m, opened, deadline); ok {
			eligible[m.ID] = coop
		}
	}
	bs := make([]Ballot, 0, len(votes))
	for _, v := range votes {
		m := set.Coops.Member(v.Member)
		if m == nil {
			continue
		}
		coop, ok := m.CoopAt(v.At)
		if !ok {
			continue
		}
		eligible[v.Member] = coop
		bs = append(bs, Ballot{Member: v.Member, Choice: v.Choice, Reason: v.Reason})
	}
	return Count(ProfileOf(set, profile), eligible, bs)
}

// coopDuring is the member's co-op at from, or else the first one whose
// membership starts by to.
func coopDuring(m policies.Member, from, to time.Time) (string, bool) {
	if coop, ok := m.CoopAt(from); ok {
		return coop, true
	}
	first := ""
	var since time.Time
	for _, ms := range m.Memberships {
		if ms.Since.After(from) && !ms.Since.After(to) && (first == "" || ms.Since.Before(since)) {
			first, since = ms.Coop, ms.Since
		}
	}
	return first, first != ""
}
