package audit

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/accord-coop/accord/ledger"
	"github.com/accord-coop/accord/policies"
	"github.com/accord-coop/accord/tally"
)

// outcomes replays the vote entries of each proposal as the store keeps
// them (store.PutVote, DropVote and Votes: one vote per comment, a later
// entry of the comment replacing its choice and reason, a withdrawal
// deleting it, in the order (at, comment)) and, at each outcome entry,
// counts them with tally.Of under the policy version the outcome names,
// its profile, opened_at and deadline, and compares.
type outcomes struct {
	open   map[int64]*replay        // by proposal ID: votes as they stand
	closed map[int64]bool           // proposals whose outcome was read
	opened map[issue]*proposalEntry // the last proposal opened on each issue
	bad    map[int64]bool           // proposals with a difference
	n      int                      // outcomes recomputed
}

func newOutcomes() *outcomes {
	return &outcomes{open: map[int64]*replay{}, closed: map[int64]bool{}, opened: map[issue]*proposalEntry{}, bad: map[int64]bool{}}
}

type issue struct {
	forge, repo string
	number      int64
}

// proposalEntry is a proposal's entry: key "proposal:FORGE:REPO#N:ORIGIN".
type proposalEntry struct {
	seq      int64
	Forge    string    `json:"forge"`
	Repo     string    `json:"repo"`
	Number   int64     `json:"number"`
	Profile  string    `json:"profile"`
	Policy   string    `json:"policy"`
	OpenedAt time.Time `json:"opened_at"`
	Deadline time.Time `json:"deadline"`
}

// voteEntry is a vote entry's body: a vote (key
// "vote:P:COMMENT:LINE:WRITTEN") or a withdrawal ("withdraw:P:COMMENT").
type voteEntry struct {
	Proposal   int64     `json:"proposal"`
	Comment    int64     `json:"comment"`
	Member     string    `json:"member"`
	Identity   string    `json:"identity"`
	Choice     string    `json:"choice"`
	Reason     string    `json:"reason"`
	At         time.Time `json:"at"`
	Withdrawn  bool      `json:"withdrawn"`
	Reconciled bool      `json:"reconciled"`
}

// outcomeEntry is an outcome entry's body. Pointers are fields an outcome
// must have (nil: missing) or, for opened_at, deadline, voters, quorum_met
// and blocked, fields the first outcome entries did not have yet.
type outcomeEntry struct {
	Proposal  *int64            `json:"proposal"`
	Forge     string            `json:"forge"`
	Repo      string            `json:"repo"`
	Number    int64             `json:"number"`
	Profile   *string           `json:"profile"`
	Policy    *string           `json:"policy"`
	OpenedAt  *time.Time        `json:"opened_at"`
	Deadline  *time.Time        `json:"deadline"`
	Voters    *string           `json:"voters"`
	Outcome   *string           `json:"outcome"`
	Yes       *int              `json:"yes"`
	No        *int              `json:"no"`
	Abstain   *int              `json:"abstain"`
	Block     *int              `json:"block"`
	Eligible  *int              `json:"eligible"`
	Voted     *int              `json:"voted"`
	QuorumMet *bool             `json:"quorum_met"`
	Blocked   *bool             `json:"blocked"`
	Votes     map[string]string `json:"votes"`
	Blocks    []tally.BlockNote `json:"blocks"`
}

// replay is one open proposal's votes, by comment.
type replay struct {
	votes map[int64]*vote
}

// vote is a vote comment's ballot as the store keeps it: member, identity
// and at from its first entry; choice, reason and written from its last.
type vote struct {
	seq                              int64 // its last entry
	comment                          int64
	member, identity, choice, reason string
	at, written                      time.Time
}

func (o *outcomes) kinds() []string {
	return []string{ledger.KindProposal, ledger.KindVote, ledger.KindOutcome}
}

func (o *outcomes) add(a *Auditor, e *ledger.Entry) {
	switch e.Kind {
	case ledger.KindProposal:
		o.proposal(a, e)
	case ledger.KindVote:
		o.vote(a, e)
	case ledger.KindOutcome:
		o.outcome(a, e)
	}
}

func (o *outcomes) summary() (string, string) {
	part := plural(o.n, "outcome", "outcomes") + " recomputed"
	switch bad := len(o.bad); {
	case bad == 0:
		part += ", all match"
	case bad == 1:
		part += ", 1 proposal differs"
	default:
		part += fmt.Sprintf(", %d proposals differ", bad)
	}
	if len(o.open) > 0 {
		part += fmt.Sprintf(" (%s with votes still open)", plural(len(o.open), "proposal", "proposals"))
	}
	return part, ""
}

func (o *outcomes) proposal(a *Auditor, e *ledger.Entry) {
	var p proposalEntry
	if err := json.Unmarshal(e.Body, &p); err != nil {
		a.differ(Difference{Seq: e.Seq, Subject: "proposal entry " + e.Key, Field: "body", Detail: "unreadable: " + err.Error()})
		return
	}
	p.seq = e.Seq
	o.opened[issue{p.Forge, p.Repo, p.Number}] = &p
}

func (o *outcomes) vote(a *Auditor, e *ledger.Entry) {
	var v voteEntry
	err := json.Unmarshal(e.Body, &v)
	subject := fmt.Sprintf("proposal %d", v.Proposal)
	if err != nil {
		a.differ(Difference{Seq: e.Seq, Subject: "vote entry " + e.Key, Field: "body", Detail: "unreadable: " + err.Error()})
		return
	}
	differ := func(field, detail string) {
		o.bad[v.Proposal] = true
		a.differ(Difference{Seq: e.Seq, Subject: subject, Field: field, Detail: detail})
	}
	written, err := checkVoteKey(e.Key, &v)
	if err != nil {
		differ(fmt.Sprintf("vote entry %s", e.Key), err.Error())
		return
	}
	if o.closed[v.Proposal] {
		differ(fmt.Sprintf("comment %d", v.Comment), "a vote entry after the proposal's outcome (the store takes none once it is closed)")
		return
	}
	r := o.open[v.Proposal]
	if v.Withdrawn {
		if r != nil {
			delete(r.votes, v.Comment)
		}
		return
	}
	switch v.Choice {
	case tally.ChoiceYes, tally.ChoiceNo, tally.ChoiceAbstain, tally.ChoiceBlock:
	default:
		differ(fmt.Sprintf("comment %d", v.Comment), fmt.Sprintf("the choice %q is not a vote", v.Choice))
	}
	if r == nil {
		r = &replay{votes: map[int64]*vote{}}
		o.open[v.Proposal] = r
	}
	if old := r.votes[v.Comment]; old != nil {
		// ON CONFLICT (proposal, comment_id) DO UPDATE SET choice, reason.
		old.seq, old.choice, old.reason, old.written = e.Seq, v.Choice, v.Reason, written
		return
	}
	r.votes[v.Comment] = &vote{seq: e.Seq, comment: v.Comment, member: v.Member, identity: v.Identity,
		choice: v.Choice, reason: v.Reason, at: v.At, written: written}
}

// checkVoteKey checks that a vote entry's key is the vote its body says,
// and returns when its comment was written (a vote's key says). A vote's
// key is "vote:P:COMMENT:LINE:WRITTEN:H" (H: the first 4 bytes of
// SHA-256(choice "\n" reason), hex), "vote:P:COMMENT:LINE:WRITTEN" in
// ledgers written before H; a withdrawal's "withdraw:P:COMMENT:TAG", or
// "withdraw:P:COMMENT" before TAG.
func checkVoteKey(key string, v *voteEntry) (time.Time, error) {
	parts := strings.Split(key, ":")
	wants := []int{5, 6}
	if v.Withdrawn {
		wants = []int{3, 4}
	}
	if !slices.Contains(wants, len(parts)) || parts[0] != map[bool]string{true: "withdraw", false: "vote"}[v.Withdrawn] ||
		parts[1] != strconv.FormatInt(v.Proposal, 10) || parts[2] != strconv.FormatInt(v.Comment, 10) {
		return time.Time{}, fmt.Errorf("its key is not that of the %s its body records (proposal %d, comment %d)",
			map[bool]string{true: "withdrawal", false: "vote"}[v.Withdrawn], v.Proposal, v.Comment)
	}
	if v.Withdrawn {
		return time.Time{}, nil
	}
	if len(parts) == 6 {
		if parts[5] != ledger.BallotHash(v.Choice, v.Reason) {
			return time.Time{}, fmt.Errorf("its key is not that of the choice and reason its body records")
		}
	}
	ns, err := strconv.ParseInt(parts[4], 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("its key does not say when the comment was written: %v", err)
	}
	return time.Unix(0, ns).UTC(), nil
}

func (o *outcomes) outcome(a *Auditor, e *ledger.Entry) {
	var b outcomeEntry
	if err := json.Unmarshal(e.Body, &b); err != nil || b.Proposal == nil {
		a.differ(Difference{Seq: e.Seq, Subject: "outcome entry " + e.Key, Field: "body", Detail: "unreadable: " + orMissing(err, "proposal")})
		return
	}
	id := *b.Proposal
	subject := fmt.Sprintf("proposal %d (%s:%s#%d)", id, b.Forge, b.Repo, b.Number)
	before := len(a.diffs)
	defer func() {
		if len(a.diffs) > before {
			o.bad[id] = true
		}
	}()
	differ := func(field, recorded, recomputed string) {
		if recorded != recomputed {
			a.differ(Difference{Seq: e.Seq, Subject: subject, Field: field, Recorded: recorded, Recomputed: recomputed})
		}
	}
	detail := func(field, detail string) {
		a.differ(Difference{Seq: e.Seq, Subject: subject, Field: field, Detail: detail})
	}
	if e.Key != "outcome:"+strconv.FormatInt(id, 10) {
		differ("key", e.Key, "outcome:"+strconv.FormatInt(id, 10))
	}
	if o.closed[id] {
		detail("outcome", "a second outcome of the same proposal")
		return
	}
	o.closed[id] = true
	r := o.open[id]
	delete(o.open, id)

	// The rules: the version and profile the outcome names, the proposal's
	// times; the proposal entry (the last opened on the issue: one is open
	// at a time) says them too, and gives the times to outcomes recorded
	// before they said them.
	p := o.opened[issue{b.Forge, b.Repo, b.Number}]
	if p == nil {
		detail("opened", "no proposal entry opened it")
	}
	profile, policy := deref(b.Profile), deref(b.Policy)
	if b.Profile == nil {
		detail("profile", "missing")
	}
	if b.Policy == nil {
		detail("policy", "missing")
	}
	var opened, deadline time.Time
	switch {
	case b.OpenedAt != nil:
		opened = *b.OpenedAt
	case p != nil:
		opened = p.OpenedAt
	}
	switch {
	case b.Deadline != nil:
		deadline = *b.Deadline
	case p != nil:
		deadline = p.Deadline
	}
	if p != nil {
		at := fmt.Sprintf("as its proposal entry %d says", p.seq)
		if b.Policy != nil && policy != p.Policy {
			detail("policy", fmt.Sprintf("recorded %s, opened under %s (%s)", policy, p.Policy, at))
		}
		if b.Profile != nil && profile != p.Profile {
			detail("profile", fmt.Sprintf("recorded %s, opened with %s (%s)", profile, p.Profile, at))
		}
		if !opened.Equal(p.OpenedAt) {
			detail("opened_at", fmt.Sprintf("recorded %s, opened at %s (%s)", stamp(opened), stamp(p.OpenedAt), at))
		}
		if !deadline.Equal(p.Deadline) {
			detail("deadline", fmt.Sprintf("recorded %s, %s (%s)", stamp(deadline), stamp(p.Deadline), at))
		}
	}
	if b.Policy == nil || b.Profile == nil || opened.IsZero() || deadline.IsZero() {
		detail("outcome", "cannot be recomputed: the rules it was counted under are not all recorded")
		return
	}
	pv := a.policies[policy]
	switch {
	case pv == nil:
		detail("policy", fmt.Sprintf("version %s is not in the ledger before this outcome: cannot recompute", policy))
		return
	case pv.err != nil:
		detail("policy", fmt.Sprintf("version %s (entry %d): %v: cannot recompute", policy, pv.seq, pv.err))
		return
	}
	set := pv.set
	if set.Governance.Profile(profile) == nil {
		detail("profile", fmt.Sprintf("%q is not a profile of policy version %s", profile, policy))
	}

	// The votes as the store held them at the close, in its order.
	var vs []*vote
	if r != nil {
		vs = slices.Collect(maps.Values(r.votes))
	}
	slices.SortFunc(vs, func(x, y *vote) int {
		if c := x.at.Compare(y.at); c != 0 {
			return c
		}
		return cmp.Compare(x.comment, y.comment)
	})
	votes := make([]tally.Vote, len(vs))
	ballots := make(map[string]string, len(vs))
	for i, v := range vs {
		votes[i] = tally.Vote{Member: v.member, Choice: v.choice, Reason: v.reason, At: v.at}
		ballots[v.member] = v.choice
		o.checkVote(set, v, deadline, func(d string) {
			a.differ(Difference{Seq: v.seq, Subject: subject, Field: fmt.Sprintf("comment %d", v.comment), Detail: d})
		})
	}
	t := tally.Of(set, profile, opened, deadline, votes)
	o.n++

	outcome := deref(b.Outcome)
	switch {
	case b.Outcome == nil:
		detail("outcome", "missing")
	case outcome == tally.OutcomeCancelled:
		// A cancel is a command, not a count: only the counts are compared.
	case outcome == tally.OutcomePassed, outcome == tally.OutcomeRejected:
		differ("outcome", outcome, t.Outcome)
		if e.At.Before(deadline) && !t.Decided {
			detail("outcome", fmt.Sprintf("closed at %s, before the deadline %s, though votes still to come could change it",
				stamp(e.At), stamp(deadline)))
		}
	default:
		detail("outcome", fmt.Sprintf("%q is not an outcome", outcome))
	}
	if b.Voters != nil {
		differ("voters", *b.Voters, t.Voters)
	}
	for _, c := range []struct {
		field string
		rec   *int
		n     int
	}{{"eligible", b.Eligible, t.Eligible}, {"voted", b.Voted, t.Voted}, {"yes", b.Yes, t.Yes}, {"no", b.No, t.No},
		{"abstain", b.Abstain, t.Abstain}, {"block", b.Block, t.Block}} {
		differ(c.field, intOrMissing(c.rec), strconv.Itoa(c.n))
	}
	if b.QuorumMet != nil {
		differ("quorum_met", strconv.FormatBool(*b.QuorumMet), strconv.FormatBool(t.QuorumMet))
	}
	if b.Blocked != nil { // recorded since blocked was: blocks is left out when there are none
		differ("blocked", strconv.FormatBool(*b.Blocked), strconv.FormatBool(t.Blocked))
		differ("blocks", blockList(b.Blocks), blockList(t.Blocks))
	}
	if b.Votes == nil {
		detail("votes", "missing")
	}
	members := slices.Sorted(maps.Keys(ballots))
	for m := range b.Votes {
		if _, ok := ballots[m]; !ok {
			members = append(members, m)
		}
	}
	slices.Sort(members)
	for _, m := range members {
		if b.Votes != nil {
			differ("votes."+m, choiceOrNone(b.Votes, m), choiceOrNone(ballots, m))
		}
	}
}

// checkVote checks a vote that stands at the close against the rules the
// bot records a vote by (When a vote counts): its comment created and
// written by the deadline, by the member its identity is in the version,
// who had a membership that day.
func (o *outcomes) checkVote(set *policies.Set, v *vote, deadline time.Time, differ func(string)) {
	if v.at.After(deadline) {
		differ(fmt.Sprintf("cast at %s, after the deadline %s", stamp(v.at), stamp(deadline)))
	}
	if !v.at.After(deadline) && v.written.After(deadline) {
		differ(fmt.Sprintf("written at %s, after the deadline %s", stamp(v.written), stamp(deadline)))
	}
	m := set.Coops.MemberByIdentity(v.identity)
	switch {
	case m == nil:
		differ(fmt.Sprintf("%s is not a member in policy version %s", v.identity, set.Version))
	case m.ID != v.member:
		differ(fmt.Sprintf("recorded as %s's vote, but %s is %s in policy version %s", v.member, v.identity, m.ID, set.Version))
	default:
		if _, ok := m.CoopAt(v.at); !ok {
			differ(fmt.Sprintf("%s had no membership on %s", m.ID, v.at.UTC().Format(time.DateOnly)))
		}
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func deref[T any](p *T) T {
	var z T
	if p == nil {
		return z
	}
	return *p
}

func intOrMissing(p *int) string {
	if p == nil {
		return "(missing)"
	}
	return strconv.Itoa(*p)
}

func choiceOrNone(m map[string]string, k string) string {
	if c, ok := m[k]; ok {
		return c
	}
	return "(none)"
}

func blockList(bs []tally.BlockNote) string {
	if len(bs) == 0 {
		return "(none)"
	}
	var s []string
	for _, b := range bs {
		s = append(s, fmt.Sprintf("%s (%s) %q", b.Member, b.Coop, b.Reason))
	}
	return strings.Join(s, ", ")
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
