package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/accord-coop/accord/policies"
	"github.com/accord-coop/accord/store"
	"github.com/accord-coop/accord/tally"
)

// ResultBody is the comment that announces a closed proposal's result:
// the outcome, the final tally, who voted what, and the hash of the
// outcome's ledger entry, which anyone can look up in an export.
func (h *Proposals) ResultBody(ctx context.Context, id int64) (string, error) {
	p, err := h.Store.GetProposal(ctx, id)
	if err != nil {
		return "", err
	}
	if p.State == store.ProposalOpen {
		return "", fmt.Errorf("proposal %d is open", id)
	}
	hash, err := h.Store.EntryHash(ctx, OutcomeKey(p.ID))
	if err != nil {
		return "", err
	}
	votes, err := h.Store.Votes(ctx, p.ID)
	if err != nil {
		return "", err
	}
	set, err := h.rulesOf(ctx, p)
	if err != nil {
		return "", err
	}
	t := tallyOf(set, p, votes)
	last := map[string]string{}
	for _, v := range votes {
		last[v.Member] = v.Choice
	}
	counts := map[string]int{}
	var names []string
	for m, c := range last {
		counts[c]++
		names = append(names, m)
	}
	slices.Sort(names)
	var b strings.Builder
	fmt.Fprintf(&b, "**The vote %s.** %d yes, %d no, %d abstain, %d block.\n\n", p.State,
		counts[tally.ChoiceYes], counts[tally.ChoiceNo], counts[tally.ChoiceAbstain], counts[tally.ChoiceBlock])
	if len(names) > 0 {
		b.WriteString("Votes: ")
		for i, m := range names {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s %s", m, last[m])
		}
		b.WriteString(".\n\n")
	}
	writeBlocks(&b, t)
	if p.Kind == store.ProposalPolicy {
		if p.State == tally.OutcomePassed {
			fmt.Fprintf(&b, "The policy files at `%s` are approved: merged into the governance branch as they are, they take effect. "+
				"A later push to this pull request needs a vote of its own.\n\n", short(p.HeadSHA))
		} else {
			b.WriteString("The policy files stay as they are: merging this pull request would not put its files in force.\n\n")
		}
	}
	fmt.Fprintf(&b, "Rules: profile **%s** of policy version `%s`, in force when the vote opened.\n\n", p.Profile, p.Policy)
	fmt.Fprintf(&b, "Recorded in the ledger as entry `%s` (`accord ledger export` shows it; `accord ledger verify` checks it).\n", hash)
	cp, err := h.Checkpoints.Latest(ctx)
	if err != nil {
		return "", err
	}
	if cp != nil {
		fmt.Fprintf(&b, "\nThe ledger's signed checkpoint with this outcome in it (%d entries). Keep it: "+
			"`accord ledger verify --checkpoint FILE` shows that a later log still holds it, and "+
			"`accord ledger prove %s` that this outcome is in it.\n\n```\n%s```\n", cp.Size, OutcomeKey(p.ID), cp.Signed)
	}
	return b.String(), nil
}

// StatusBody is the status comment of a proposal: the question, the
// rules in words, the deadline, how to vote, and the tally with its
// per-co-op breakdown; once closed, the result, who voted what, and the
// ledger entry's hash.
func (h *Proposals) StatusBody(ctx context.Context, id int64) (string, error) {
	p, err := h.Store.GetProposal(ctx, id)
	if err != nil {
		return "", err
	}
	set, err := h.rulesOf(ctx, p)
	if err != nil {
		return "", err
	}
	prof := profileOf(set, p)
	votes, err := h.Store.Votes(ctx, p.ID)
	if err != nil {
		return "", err
	}
	t := tallyOf(set, p, votes)
	var b strings.Builder
	fmt.Fprintf(&b, "### Vote: %s\n\n", p.Title)
	fmt.Fprintf(&b, "Profile **%s** of policy version `%s`, in force when the vote opened; later versions do not change it: %s\n\n",
		prof.Name, short(p.Policy), rules(prof))
	switch {
	case p.State == store.ProposalOpen && !h.now().Before(p.Deadline):
		fmt.Fprintf(&b, "The deadline, **%s UTC**, has passed: the result is being counted. Votes cast before it count, even if they reach Accord late.\n\n",
			p.Deadline.UTC().Format("2006-01-02 15:04"))
		if p.Note != "" {
			b.WriteString(p.Note + "\n\n")
		}
	case p.State == store.ProposalOpen:
		fmt.Fprintf(&b, "Open until **%s UTC** (%s left). Vote with a comment: `/vote yes`, `/vote no`, `/vote abstain`%s. Your last vote counts; deleting its comment withdraws it.\n\n",
			p.Deadline.UTC().Format("2006-01-02 15:04"), left(p.Deadline.Sub(h.now())), map[bool]string{true: " or `/vote block`", false: ""}[prof.Block])
	default:
		hash, _ := h.Store.EntryHash(ctx, OutcomeKey(p.ID))
		fmt.Fprintf(&b, "**Result: %s** (closed %s UTC). Ledger entry `%s`.\n\n", p.State, p.ClosedAt.UTC().Format("2006-01-02 15:04"), hash)
	}
	unit := map[string]string{policies.VotersCoops: "co-ops"}[t.Voters]
	if unit == "" {
		unit = "members"
	}
	fmt.Fprintf(&b, "| yes | no | abstain | block | voted | quorum |\n|---|---|---|---|---|---|\n| %d | %d | %d | %d | %d of %d %s | %s |\n\n",
		t.Yes, t.No, t.Abstain, t.Block, t.Voted, t.Eligible, unit, map[bool]string{true: "met", false: "not met"}[t.QuorumMet])
	b.WriteString("| co-op | voted | yes | no | abstain | block |" + map[bool]string{true: " co-op's vote |", false: ""}[t.Voters == policies.VotersCoops] + "\n")
	b.WriteString("|---|---|---|---|---|---|" + map[bool]string{true: "---|", false: ""}[t.Voters == policies.VotersCoops] + "\n")
	for _, c := range t.ByCoop {
		fmt.Fprintf(&b, "| %s | %d of %d | %d | %d | %d | %d |", c.Coop, c.Voted, c.Eligible, c.Yes, c.No, c.Abstain, c.Block)
		if t.Voters == policies.VotersCoops {
			fmt.Fprintf(&b, " %s |", orWord(c.Vote, "–"))
		}
		b.WriteString("\n")
	}
	if len(t.Blocks) > 0 {
		b.WriteString("\n")
		writeBlocks(&b, t)
	}
	if p.State != store.ProposalOpen && len(votes) > 0 {
		last := map[string]store.VoteRow{}
		for _, v := range votes {
			last[v.Member] = v
		}
		var names []string
		for m := range last {
			names = append(names, m)
		}
		slices.Sort(names)
		b.WriteString("\nVotes: ")
		for i, m := range names {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s %s", m, last[m].Choice)
		}
		b.WriteString(".\n")
	}
	return b.String(), nil
}

// writeBlocks says who blocked and why.
func writeBlocks(b *strings.Builder, t tally.Tally) {
	if len(t.Blocks) == 0 {
		return
	}
	b.WriteString("Blocked by: ")
	for i, bl := range t.Blocks {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(b, "%s (%s)", bl.Member, bl.Coop)
		if bl.Reason != "" {
			fmt.Fprintf(b, ": %q", bl.Reason)
		}
	}
	if t.Blocked {
		b.WriteString(". A single block fails this vote.\n\n")
	} else {
		b.WriteString(" (this profile has no consent rule: a block counts as no).\n\n")
	}
}

// left says a time left in days, hours and minutes: "6d 23h 59m".
func left(d time.Duration) string {
	d = max(d, 0).Round(time.Minute)
	days, hours, mins := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case days > 0:
		return fmt.Sprintf("%dd %dh %dm", days, hours, mins)
	case hours > 0:
		return fmt.Sprintf("%dh %dm", hours, mins)
	}
	return fmt.Sprintf("%dm", mins)
}

func orWord(s, word string) string {
	if s == "" {
		return word
	}
	return s
}

func short(v string) string {
	if len(v) > 14 {
		return v[:14]
	}
	return v
}

// rules says a profile's rules in words.
func rules(p *policies.Profile) string {
	who := "one member, one vote"
	if p.Voters == policies.VotersCoops {
		who = "one co-op, one vote (a co-op votes as most of its members do)"
	}
	s := fmt.Sprintf("%s; at least %s of those who may vote must vote; it passes when yes is more than %s of yes and no",
		who, percent(p.Quorum), percent(p.Threshold))
	if p.Block {
		s += "; a single block fails it"
	}
	if p.CloseEarly {
		s += "; it closes as soon as the outcome is decided"
	}
	return s + "."
}

func percent(m policies.Milli) string {
	return strings.TrimSuffix(strings.TrimSuffix(fmt.Sprintf("%.1f", float64(m)/10), "0"), ".") + "%"
}
