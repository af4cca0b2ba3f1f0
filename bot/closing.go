package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/accord-coop/accord/forges"
	"github.com/accord-coop/accord/ledger"
	"github.com/accord-coop/accord/policies"
	"github.com/accord-coop/accord/store"
	"github.com/accord-coop/accord/tally"
)

// How a proposal is being closed.
type closeKind int

const (
	closeAtDeadline closeKind = iota // the outcome as the votes stand
	closeIfDecided                   // close_early, /proposal close: only if no vote to come can change it
	closeCancelled                   // /proposal cancel
)

// reconciled is what reading the forge's comments at a deadline close
// found.
type reconciled struct {
	Read       bool // the comments were read (false: the forge has no client)
	Counted    int  // votes cast in time that Accord had not received, now counted
	Withdrawn  int  // votes whose comment had been edited to hold none
	Unreadable int  // vote comments created in time but edited after the deadline, never received: their ballot at the deadline is unknown
}

// errNeedPolicyFiles stops a close that passes a policy change until the
// files it approves are read.
var errNeedPolicyFiles = errors.New("the policy files a pass approves are needed")

// close ends p in one transaction with its tally: the outcome (by kind),
// the result label instead of vote/open, the commit status on a pull
// request, the status and result comments, and the outcome in the ledger.
// It reports false when p was closed already or, for closeIfDecided, when
// the outcome is not decided once every vote recorded is counted.
func (h *Proposals) close(ctx context.Context, p *store.Proposal, kind closeKind, why string, rec *reconciled) (bool, error) {
	set, err := h.rulesOf(ctx, p)
	if err != nil {
		return false, err
	}
	// What a pass of a policy change approves: the files at the head the
	// vote is on (a later push is a new head, and a new vote). They are
	// read from the forge only once the tally passes, outside the
	// transaction, which then runs again: most closes (the check after each
	// vote whether the outcome is decided) never need them.
	needFiles := p.Kind == store.ProposalPolicy && kind != closeCancelled
	approves, fetched := "", false
	now := h.now()
	decide := func(p *store.Proposal, votes []store.VoteRow) (store.Closing, error) {
		t := tallyOf(set, p, votes)
		outcome := t.Outcome
		switch {
		case kind == closeCancelled:
			outcome = tally.OutcomeCancelled
		case kind == closeIfDecided && !t.Decided:
			return store.Closing{}, nil
		}
		if outcome == tally.OutcomePassed && needFiles && !fetched {
			return store.Closing{}, errNeedPolicyFiles
		}
		c := h.closing(set, p, t, votes, outcome, why, rec, now)
		if outcome == tally.OutcomePassed && approves != "" {
			c.Approval = &store.PolicyApproval{Content: approves, HeadSHA: p.HeadSHA}
			c.Entries[0].Body.(map[string]any)["approves"] = map[string]string{"content": approves, "head": p.HeadSHA}
		}
		return c, nil
	}
	ok, err := h.Store.CloseProposal(ctx, now, p.ID, decide)
	if errors.Is(err, errNeedPolicyFiles) {
		if approves, _, _, err = h.Policies.PullChange(ctx, p.HeadSHA); err != nil {
			return false, fmt.Errorf("proposal %d: the policy files at %s: %w", p.ID, p.HeadSHA, err)
		}
		fetched = true
		ok, err = h.Store.CloseProposal(ctx, now, p.ID, decide)
	}
	if ok && h.Log != nil {
		h.Log.Info("proposal closed", "proposal", p.ID, "forge", p.Forge, "repo", p.Repo, "number", p.Number, "why", why)
	}
	return ok, err
}

// closing is what closing p with outcome records: effects and the outcome
// entry.
func (h *Proposals) closing(set *policies.Set, p *store.Proposal, t tally.Tally, votes []store.VoteRow, outcome, why string, rec *reconciled, now time.Time) store.Closing {
	labels := set.Governance.Labels
	result := map[string]string{tally.OutcomePassed: labels.Passed, tally.OutcomeRejected: labels.Rejected, tally.OutcomeCancelled: labels.Cancelled}[outcome]
	f := NewActions(p.Forge, fmt.Sprint("proposal/", p.ID, "/close"))
	ref := refOf(p)
	f.AddLabels(ref, p.Number, forges.Label{Name: result, Color: map[string]string{tally.OutcomePassed: "0e8a16", tally.OutcomeRejected: "b60205", tally.OutcomeCancelled: "cccccc"}[outcome]})
	f.RemoveLabel(ref, p.Number, labels.Open)
	if p.IsPull && p.HeadSHA != "" {
		st := forges.StatusFailure
		if outcome == tally.OutcomePassed {
			st = forges.StatusSuccess
		}
		f.SetStatus(ref, p.HeadSHA, forges.Status{State: st, Context: StatusVote, Description: "The vote " + outcome + "."})
	}
	fx := f.Effects()
	resultFx := NewActions(p.Forge, fmt.Sprint("proposal/", p.ID, "/result"))
	resultFx.RefreshStatus(ref, p.Number, p.ID, now, time.Nanosecond) // the status comment shows the result at once
	resultFx.PostResult(ref, p.Number, p.ID)
	fx = append(fx, resultFx.Effects()...)
	ballots := map[string]string{}
	for _, v := range votes {
		ballots[v.Member] = v.Choice
	}
	body := map[string]any{
		"proposal": p.ID, "forge": p.Forge, "repo": p.Repo, "number": p.Number, "profile": p.Profile, "policy": p.Policy,
		"opened_at": p.OpenedAt, "deadline": p.Deadline, "voters": t.Voters,
		"outcome": outcome, "why": why, "yes": t.Yes, "no": t.No, "abstain": t.Abstain, "block": t.Block,
		"eligible": t.Eligible, "voted": t.Voted, "quorum_met": t.QuorumMet, "blocked": t.Blocked, "votes": ballots}
	if len(t.Blocks) > 0 {
		body["blocks"] = t.Blocks
	}
	if rec != nil {
		body["reconciled"] = map[string]any{"read": rec.Read, "counted": rec.Counted, "withdrawn": rec.Withdrawn, "unreadable": rec.Unreadable}
	}
	return store.Closing{Outcome: outcome, Effects: fx,
		Entries: []store.NewEntry{{Kind: ledger.KindOutcome, Key: OutcomeKey(p.ID), Body: body}}}
}

// OutcomeKey is the ledger key of a proposal's outcome.
func OutcomeKey(id int64) string { return fmt.Sprint("outcome:", id) }

// closeRetry is when a due proposal whose forge could not be read is tried
// again.
type closeRetry struct {
	at    time.Time
	tries int
}

// CloseDue closes the open proposals whose deadline passed at least Grace
// ago: run at start (a deadline that passed while the bot was down) and
// then every few seconds. Each waits until its forge's deliveries received
// up to deadline+Grace are processed, then reads the forge's comments for
// votes cast in time that Accord never received, then closes. A forge that
// cannot be read delays the close (retried with backoff, the reason shown
// in the status comment) rather than closing on partial votes.
func (h *Proposals) CloseDue(ctx context.Context) error {
	due, err := h.Store.DueProposals(ctx, h.now().Add(-h.grace()))
	if err != nil {
		return err
	}
	var errs []error
	for i := range due {
		if err := h.closeDue(ctx, &due[i]); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (h *Proposals) closeDue(ctx context.Context, p *store.Proposal) error {
	h.mu.Lock()
	r := h.retry[p.ID]
	h.mu.Unlock()
	if h.now().Before(r.at) {
		return nil
	}
	n, err := h.Store.Unfinished(ctx, p.Forge, p.Deadline.Add(h.grace()))
	if err != nil || n > 0 {
		return err // a vote cast in time may be among them: wait
	}
	rec, err := h.reconcile(ctx, p)
	if err != nil {
		return h.closeLater(ctx, p, r, err)
	}
	h.mu.Lock()
	delete(h.retry, p.ID)
	h.mu.Unlock()
	if _, err = h.close(ctx, p, closeAtDeadline, "the deadline passed", rec); err != nil {
		return h.closeLater(ctx, p, r, err)
	}
	return nil
}

// closeLater records why a due close waits and when it is tried again
// (5 s doubling, at most 5 minutes apart).
func (h *Proposals) closeLater(ctx context.Context, p *store.Proposal, r closeRetry, cause error) error {
	r.tries++
	r.at = h.now().Add(backoff(5*time.Second, 5*time.Minute, r.tries))
	h.mu.Lock()
	if h.retry == nil {
		h.retry = map[int64]closeRetry{}
	}
	h.retry[p.ID] = r
	h.mu.Unlock()
	note := fmt.Sprintf("The deadline has passed. The result waits until Accord can read this issue's comments on %s, "+
		"to count every vote cast in time (last try: %v); it tries again.", p.Forge, cause)
	if note != p.Note {
		if err := h.Store.SetProposalNote(ctx, p.ID, note); err != nil {
			return err
		}
		if err := h.refresh(ctx, p.Forge, refOf(p), p.Number, p.ID); err != nil {
			return err
		}
	}
	return fmt.Errorf("proposal %d: closing waits: %w", p.ID, cause)
}

// reconcile reads the comments from the forge and records, as its
// delivery would have, every vote comment created in time that Accord
// never received or received in an older form (an edit before the deadline
// it missed). A vote comment edited after the deadline whose ballot Accord
// never received cannot be read as it stood: it is counted as unreadable,
// not guessed. A recorded vote whose comment is gone stays: the deletion's
// time is unknown.
func (h *Proposals) reconcile(ctx context.Context, p *store.Proposal) (*reconciled, error) {
	c, ok := h.Clients[p.Forge]
	if !ok {
		return &reconciled{}, nil // no credentials: the forge cannot be read, and the bot cannot act there either
	}
	comments, err := c.ListComments(ctx, refOf(p), p.Number)
	if err != nil {
		return nil, err
	}
	set, err := h.rulesOf(ctx, p)
	if err != nil {
		return nil, err
	}
	votes, err := h.Store.Votes(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	have := make(map[int64]store.VoteRow, len(votes))
	for _, v := range votes {
		have[v.CommentID] = v
	}
	rec := &reconciled{Read: true}
	after := openedAfter(p, comments)
	for _, cm := range comments[after:] {
		if cm.Author.Bot || cm.CreatedAt.After(p.Deadline) {
			continue
		}
		if own, err := h.Self.Owns(ctx, p.Forge, &cm); err != nil || own {
			if err != nil {
				return nil, err
			}
			continue
		}
		if err := h.reconcileOne(ctx, set, p, cm, have, rec); err != nil {
			return nil, err
		}
	}
	return rec, nil
}

// openedAfter is the index of the first comment that may be a vote on p:
// the one after the comment that opened it, or the first created once it
// was open.
func openedAfter(p *store.Proposal, comments []forges.Comment) int {
	var origin int64
	if _, err := fmt.Sscanf(p.Origin, "comment:%d", &origin); err == nil {
		for i, cm := range comments {
			if cm.ID == origin {
				return i + 1
			}
		}
	}
	for i, cm := range comments {
		if !cm.CreatedAt.Before(p.OpenedAt) {
			return i
		}
	}
	return len(comments)
}

func (h *Proposals) reconcileOne(ctx context.Context, set *policies.Set, p *store.Proposal, cm forges.Comment, have map[int64]store.VoteRow, rec *reconciled) error {
	written := cm.UpdatedAt
	if written.IsZero() || written.Before(cm.CreatedAt) {
		written = cm.CreatedAt
	}
	last := lastVote(cm.Body)
	old, recorded := have[cm.ID]
	switch {
	case written.After(p.Deadline):
		if !recorded && last != nil {
			rec.Unreadable++
		}
		return nil
	case last == nil:
		if recorded {
			rec.Withdrawn++
			return h.dropVote(ctx, p, cm.ID, fmt.Sprint(written.UnixNano()))
		}
		return nil
	case recorded && old.Choice == last.Choice && old.Reason == last.Reason:
		return nil
	}
	identity := p.Forge + ":" + cm.Author.Login
	m := set.Coops.MemberByIdentity(identity)
	if m == nil {
		return nil
	}
	if _, ok := m.CoopAt(cm.CreatedAt); !ok {
		return nil
	}
	ok, err := h.putVote(ctx, p, cm.ID, m.ID, identity, *last, cm.CreatedAt.UTC(), written.UTC(), true)
	if ok {
		rec.Counted++
	}
	return err
}

// Run closes due proposals at start and then every interval until ctx
// ends; woken is called after each round (it wakes the outbox).
func (h *Proposals) Run(ctx context.Context, interval time.Duration, woken func()) error {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		if err := h.CloseDue(ctx); err != nil && ctx.Err() == nil && h.Log != nil {
			h.Log.Warn("closing due proposals", "err", err)
		}
		if woken != nil {
			woken()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
