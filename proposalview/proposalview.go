// Package proposalview is a proposal as members see it: its record, its
// tally under the policy version it opened with, and the votes that stand.
// `accord proposals --format json` and the web pages and API show the same
// View (schema: docs/schemas/proposals.schema.json): snake_case keys, []
// for empty lists.
package proposalview

import (
	"context"
	"fmt"
	"time"

	"github.com/accord-coop/accord/policies"
	"github.com/accord-coop/accord/store"
	"github.com/accord-coop/accord/tally"
)

// View is a proposal with its tally.
type View struct {
	ID           int64      `json:"id"`
	Forge        string     `json:"forge"`
	Repo         string     `json:"repo"`
	Number       int64      `json:"number"`
	Title        string     `json:"title"`
	Kind         string     `json:"kind"`
	Profile      string     `json:"profile"`
	Policy       string     `json:"policy"`
	Proposer     string     `json:"proposer"`
	OpenedAt     time.Time  `json:"opened_at"`
	Deadline     time.Time  `json:"deadline"`
	State        string     `json:"state"`
	ClosedAt     *time.Time `json:"closed_at"`
	SecondsLeft  int64      `json:"seconds_left"` // 0 once the deadline has passed
	Note         string     `json:"note"`
	OutcomeEntry string     `json:"outcome_entry"` // the outcome's ledger hash, once closed
	Tally        *Tally     `json:"tally"`         // null if the policy version cannot be read
	Votes        []Vote     `json:"votes"`         // each member's vote that stands
	// Rules is the profile the proposal is counted under; nil with Tally.
	Rules *policies.Profile `json:"-"`
}

// Tally is the count as it stands, and what closing now gives.
type Tally struct {
	Voters    string      `json:"voters"`
	Eligible  int         `json:"eligible"`
	Voted     int         `json:"voted"`
	Yes       int         `json:"yes"`
	No        int         `json:"no"`
	Abstain   int         `json:"abstain"`
	Block     int         `json:"block"`
	Quorum    string      `json:"quorum"` // the profile's share, e.g. "0.5"
	QuorumMet bool        `json:"quorum_met"`
	Blocked   bool        `json:"blocked"`
	Outcome   string      `json:"outcome"` // what closing now gives
	Decided   bool        `json:"decided"`
	ByCoop    []CoopTally `json:"by_coop"`
	Blocks    []Block     `json:"blocks"`
}

// CoopTally is one co-op's members' votes.
type CoopTally struct {
	Coop     string `json:"coop"`
	Eligible int    `json:"eligible"`
	Voted    int    `json:"voted"`
	Yes      int    `json:"yes"`
	No       int    `json:"no"`
	Abstain  int    `json:"abstain"`
	Block    int    `json:"block"`
	Vote     string `json:"vote"` // the co-op's vote with voters: coops
}

// Block is a block vote that stands.
type Block struct {
	Member string `json:"member"`
	Coop   string `json:"coop"`
	Reason string `json:"reason"`
}

// Vote is a member's vote that stands: the last they cast.
type Vote struct {
	Member   string    `json:"member"`
	Identity string    `json:"identity"`
	Choice   string    `json:"choice"`
	Reason   string    `json:"reason"`
	At       time.Time `json:"at"`
	Comment  int64     `json:"comment"`
}

// Of is p as shown at now, read from st: its votes, its outcome's ledger
// entry once closed, and its tally under the policy version it opened
// with.
func Of(ctx context.Context, st *store.Store, p *store.Proposal, now time.Time) (View, error) {
	v := View{ID: p.ID, Forge: p.Forge, Repo: p.Repo, Number: p.Number, Title: p.Title, Kind: p.Kind,
		Profile: p.Profile, Policy: p.Policy, Proposer: p.Proposer, OpenedAt: p.OpenedAt, Deadline: p.Deadline, State: p.State,
		Note: p.Note, Votes: []Vote{}}
	if v.Kind == "" {
		v.Kind = "question"
	}
	if p.State == store.ProposalOpen {
		v.SecondsLeft = max(int64(p.Deadline.Sub(now)/time.Second), 0)
	} else {
		closed := p.ClosedAt
		v.ClosedAt = &closed
		v.OutcomeEntry, _ = st.EntryHash(ctx, fmt.Sprint("outcome:", p.ID))
	}
	votes, err := st.Votes(ctx, p.ID)
	if err != nil {
		return v, err
	}
	last := map[string]int64{} // each member's last vote comment
	for _, x := range votes {
		last[x.Member] = x.CommentID
	}
	var tv []tally.Vote
	for _, x := range votes {
		tv = append(tv, tally.Vote{Member: x.Member, Choice: x.Choice, Reason: x.Reason, At: x.At})
		if last[x.Member] == x.CommentID {
			v.Votes = append(v.Votes, Vote{Member: x.Member, Identity: x.Identity, Choice: x.Choice, Reason: x.Reason, At: x.At, Comment: x.CommentID})
		}
	}
	if pv, err := st.ValidPolicyVersion(ctx, p.Policy); err == nil {
		if set, errs := policies.Parse(pv.Files, nil); len(errs) == 0 {
			t := tally.Of(set, p.Profile, p.OpenedAt, p.Deadline, tv)
			v.Rules = tally.ProfileOf(set, p.Profile)
			v.Tally = TallyOf(t, v.Rules)
		}
	}
	return v, nil
}

// TallyOf is t, counted under prof, as shown.
func TallyOf(t tally.Tally, prof *policies.Profile) *Tally {
	out := &Tally{Voters: t.Voters, Eligible: t.Eligible, Voted: t.Voted, Yes: t.Yes, No: t.No, Abstain: t.Abstain, Block: t.Block,
		Quorum: prof.Quorum.String(), QuorumMet: t.QuorumMet, Blocked: t.Blocked, Outcome: t.Outcome, Decided: t.Decided,
		ByCoop: []CoopTally{}, Blocks: []Block{}}
	for _, c := range t.ByCoop {
		out.ByCoop = append(out.ByCoop, CoopTally{Coop: c.Coop, Eligible: c.Eligible, Voted: c.Voted, Yes: c.Yes, No: c.No,
			Abstain: c.Abstain, Block: c.Block, Vote: c.Vote})
	}
	for _, b := range t.Blocks {
		out.Blocks = append(out.Blocks, Block{Member: b.Member, Coop: b.Coop, Reason: b.Reason})
	}
	return out
}
