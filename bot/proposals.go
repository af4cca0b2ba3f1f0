package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/accord-coop/accord/forges"
	"github.com/accord-coop/accord/ledger"
	"github.com/accord-coop/accord/policies"
	"github.com/accord-coop/accord/store"
)

// StatusVote is the commit status context of a pull request's vote.
const StatusVote = "accord/vote"

// KindProposal is the ledger entry of a proposal being opened.
const KindProposal = "proposal"

// Proposals runs votes in issue and pull request comments (PRODUCT.md,
// "governance.yml" and "Slash commands"): /propose or a profile's
// start_label opens one, /vote casts or replaces a member's vote, deleting
// the comment withdraws it and editing it re-reads it while the vote is
// open, /proposal cancel and /proposal close end it, and the deadline (or
// close_early) closes it. State changes go to the store with their ledger
// entries and effects in one transaction, so a delivery processed again
// after a crash changes nothing twice.
type Proposals struct {
	Policies *Policies
	Store    *store.Store
	Clients  map[string]forges.Client // to read a pull request's files for automation rules
	Log      *slog.Logger
	Window   time.Duration // at most one status comment edit per window; default 5s
	Now      func() time.Time
}

func (h *Proposals) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Proposals) window() time.Duration {
	if h.Window > 0 {
		return h.Window
	}
	return 5 * time.Second
}

// Handle acts on comments (commands, edits, deletions), labels, and new
// commits on a pull request under vote.
func (h *Proposals) Handle(ctx context.Context, ev *forges.Event, act *Actions) error {
	set := h.Policies.Current()
	if set == nil {
		return nil // no policy: no votes (the commands get no answer until one is loaded)
	}
	switch {
	case ev.Kind == forges.KindComment && ev.Comment != nil && ev.Issue != nil:
		return h.onComment(ctx, set, ev)
	case (ev.Kind == forges.KindIssue || ev.Kind == forges.KindPullRequest) && (ev.Action == forges.ActionLabeled || ev.Action == forges.ActionLabelsUpdated):
		return h.onLabel(ctx, set, ev)
	case ev.Kind == forges.KindPullRequest && ev.PullRequest != nil &&
		(ev.Action == forges.ActionOpened || ev.Action == forges.ActionReopened || ev.Action == forges.ActionSynchronized):
		if ev.Action == forges.ActionSynchronized {
			if err := h.onNewHead(ctx, ev); err != nil {
				return err
			}
		}
		return h.automate(ctx, set, ev)
	}
	return nil
}

// automate opens a vote by itself on a pull request whose changed files
// match one of governance.yml's automation rules (the first that matches
// names the profile), unless the pull request has had a vote already.
func (h *Proposals) automate(ctx context.Context, set *policies.Set, ev *forges.Event) error {
	if len(set.Governance.Automation) == 0 || ev.PullRequest.State == "closed" {
		return nil
	}
	c, ok := h.Clients[ev.Forge]
	if !ok {
		return nil
	}
	if last, err := h.Store.LastProposalOn(ctx, ev.Forge, ev.Repo.FullName(), ev.PullRequest.Number); err != nil || last != nil {
		return err
	}
	files, err := c.PullFiles(ctx, ev.Ref(), ev.PullRequest.Number)
	if err != nil {
		return err // retried with the delivery
	}
	prof := set.Governance.ProfileForPaths(files)
	if prof == nil {
		return nil
	}
	return h.open(ctx, set, ev, prof, ev.Forge+":"+ev.PullRequest.Author.Login, fmt.Sprintf("automation:%s:%s#%d", ev.Forge, ev.Repo.FullName(), ev.PullRequest.Number))
}

func number(ev *forges.Event) int64 {
	if ev.Issue != nil {
		return ev.Issue.Number
	}
	if ev.PullRequest != nil {
		return ev.PullRequest.Number
	}
	return 0
}

func (h *Proposals) onComment(ctx context.Context, set *policies.Set, ev *forges.Event) error {
	switch ev.Action {
	case forges.ActionDeleted:
		return h.withdraw(ctx, ev)
	case forges.ActionEdited:
		return h.reread(ctx, set, ev)
	case forges.ActionCreated:
	default:
		return nil
	}
	if ev.Comment.Author.Bot {
		return nil // bots never vote or propose
	}
	for _, c := range ParseCommands(ev.Comment.Body) {
		var err error
		switch c.Name {
		case CmdPropose:
			err = h.propose(ctx, set, ev, c.Profile, fmt.Sprint("comment:", ev.Comment.ID), c)
		case CmdVote:
			err = h.vote(ctx, set, ev, c)
		case CmdVoteStatus:
			err = h.status(ctx, ev, c)
		case CmdProposalCancel, CmdProposalClose:
			err = h.end(ctx, set, ev, c)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// say posts one reply to a command, keyed by the comment and the line so
// that a repeat is the same effect.
func (h *Proposals) say(ctx context.Context, ev *forges.Event, c Command, text string) error {
	f := NewActions(ev.Forge, fmt.Sprintf("comment/%d/line/%d", ev.Comment.ID, c.Line))
	f.Comment(ev.Ref(), number(ev), reply(ev, c, text))
	_, err := h.Store.EnqueueEffects(ctx, h.now(), f.Effects())
	return err
}

// eligible are the members who may vote now, with their co-op.
func eligible(set *policies.Set, now time.Time) map[string]string {
	out := map[string]string{}
	for _, m := range set.Coops.Members {
		if coop, ok := coopAt(m, now); ok {
			out[m.ID] = coop
		}
	}
	return out
}

func coopAt(m policies.Member, t time.Time) (string, bool) {
	day := t.UTC().Truncate(24 * time.Hour)
	for _, ms := range m.Memberships {
		if !day.Before(ms.Since) && (ms.Until.IsZero() || !day.After(ms.Until)) {
			return ms.Coop, true
		}
	}
	return "", false
}

func (h *Proposals) propose(ctx context.Context, set *policies.Set, ev *forges.Event, name, origin string, c Command) error {
	prof := set.Governance.Default()
	if name != "" {
		prof = set.Governance.Profile(name)
	}
	if prof == nil {
		return h.say(ctx, ev, c, fmt.Sprintf("there is no vote profile %q in governance.yml.", name))
	}
	who := ev.Forge + ":" + ev.Actor.Login
	if ev.Comment != nil {
		who = ev.Forge + ":" + ev.Comment.Author.Login
	}
	m := set.Coops.MemberByIdentity(who)
	switch {
	case m == nil:
		return h.sayOrLog(ctx, ev, c, fmt.Sprintf("only members may propose; %s is not one.", who))
	case prof.Proposers == policies.ProposersMaintainers && !set.Coops.IsMaintainer(m.ID):
		return h.sayOrLog(ctx, ev, c, fmt.Sprintf("only maintainers may open a %q vote.", prof.Name))
	}
	return h.open(ctx, set, ev, prof, who, origin, c)
}

// open opens a proposal with a profile: the permission to propose is
// checked already (or an automation rule opens it).
func (h *Proposals) open(ctx context.Context, set *policies.Set, ev *forges.Event, prof *policies.Profile, who, origin string, cs ...Command) error {
	c := Command{}
	if len(cs) > 0 {
		c = cs[0]
	}
	now := h.now()
	p := store.Proposal{Forge: ev.Forge, Repo: ev.Repo.FullName(), Number: number(ev), Install: ev.InstallationID,
		Title: title(ev), Profile: prof.Name, Policy: set.Version, Proposer: who, Origin: origin,
		OpenedAt: now, Deadline: now.Add(prof.Duration)}
	if ev.PullRequest != nil {
		p.IsPull, p.HeadSHA = true, ev.PullRequest.HeadSHA
	} else if ev.Issue != nil {
		p.IsPull = ev.Issue.IsPull
	}
	if p.IsPull && p.HeadSHA == "" {
		// GitHub's comment on a pull request does not say its head: the last
		// of its commits is (the accord/vote status goes there).
		head, err := h.pullHead(ctx, ev)
		if err != nil {
			return err
		}
		p.HeadSHA = head
	}
	open, err := h.Store.OpenProposalOn(ctx, p.Forge, p.Repo, p.Number)
	if err != nil {
		return err
	}
	if open != nil {
		if open.Origin == origin {
			return nil // this very command, seen again
		}
		return h.sayOrLog(ctx, ev, c, "a vote is open on this already; see its status comment.")
	}
	f := NewActions(ev.Forge, origin)
	ref := ev.Ref()
	f.AddLabels(ref, p.Number, forges.Label{Name: set.Governance.Labels.Open, Color: "fbca04", Description: "A vote is open"})
	if p.IsPull && p.HeadSHA != "" {
		f.SetStatus(ref, p.HeadSHA, forges.Status{State: forges.StatusPending, Context: StatusVote, Description: "The vote is open."})
	}
	entry := store.NewEntry{Kind: KindProposal, Key: fmt.Sprintf("proposal:%s:%s#%d:%s", p.Forge, p.Repo, p.Number, origin),
		Body: map[string]any{"forge": p.Forge, "repo": p.Repo, "number": p.Number, "profile": p.Profile, "policy": p.Policy,
			"proposer": p.Proposer, "opened_at": p.OpenedAt.UTC(), "deadline": p.Deadline.UTC()}}
	id, err := h.Store.OpenProposal(ctx, now, p, []store.NewEntry{entry}, f.Effects())
	if errors.Is(err, store.ErrProposalOpen) {
		return nil
	}
	if err != nil {
		return err
	}
	return h.refresh(ctx, ev.Forge, ref, p.Number, id)
}

// pullHead is a pull request's head commit, asked of the forge; "" when the
// forge cannot be asked.
func (h *Proposals) pullHead(ctx context.Context, ev *forges.Event) (string, error) {
	c, ok := h.Clients[ev.Forge]
	if !ok {
		return "", nil
	}
	commits, err := c.PullCommits(ctx, ev.Ref(), number(ev))
	if err != nil || len(commits) == 0 {
		return "", err
	}
	return commits[len(commits)-1].SHA, nil
}

// sayOrLog replies to a command; a label has nobody to reply to.
func (h *Proposals) sayOrLog(ctx context.Context, ev *forges.Event, c Command, text string) error {
	if ev.Comment == nil {
		if h.Log != nil {
			h.Log.Info("proposal not opened", "forge", ev.Forge, "repo", ev.Repo.FullName(), "number", number(ev), "why", text)
		}
		return nil
	}
	return h.say(ctx, ev, c, text)
}

func title(ev *forges.Event) string {
	if ev.Issue != nil {
		return ev.Issue.Title
	}
	if ev.PullRequest != nil {
		return ev.PullRequest.Title
	}
	return ""
}

// refresh asks for the status comment, coalesced per window.
func (h *Proposals) refresh(ctx context.Context, forge string, ref forges.RepoRef, number, id int64) error {
	a := NewActions(forge, "status")
	a.RefreshStatus(ref, number, id, h.now(), h.window())
	_, err := h.Store.EnqueueEffects(ctx, h.now(), a.Effects())
	return err
}

func (h *Proposals) vote(ctx context.Context, set *policies.Set, ev *forges.Event, c Command) error {
	p, err := h.Store.OpenProposalOn(ctx, ev.Forge, ev.Repo.FullName(), number(ev))
	if err != nil {
		return err
	}
	if p == nil {
		last, err := h.Store.LastProposalOn(ctx, ev.Forge, ev.Repo.FullName(), number(ev))
		if err != nil {
			return err
		}
		if last != nil {
			return h.say(ctx, ev, c, fmt.Sprintf("the vote closed at %s (%s); this vote does not count.", last.ClosedAt.Format(time.RFC3339), last.State))
		}
		return h.say(ctx, ev, c, "no vote is open here; `/propose` opens one.")
	}
	at := ev.Comment.CreatedAt
	if at.IsZero() {
		at = ev.Time
	}
	if at.After(p.Deadline) {
		return h.say(ctx, ev, c, fmt.Sprintf("the vote closed at its deadline, %s; this vote does not count.", p.Deadline.Format(time.RFC3339)))
	}
	identity := ev.Forge + ":" + ev.Comment.Author.Login
	m := set.Coops.MemberByIdentity(identity)
	if m == nil {
		return h.say(ctx, ev, c, fmt.Sprintf("only members may vote; %s is not a member in coops.yml.", identity))
	}
	if _, ok := eligible(set, h.now())[m.ID]; !ok {
		return h.say(ctx, ev, c, fmt.Sprintf("%s has no membership today, so cannot vote.", m.ID))
	}
	v := store.VoteRow{CommentID: ev.Comment.ID, Member: m.ID, Identity: identity, Choice: c.Choice, Reason: c.Reason, At: at.UTC()}
	// The key is what the vote is (the comment, as written at a time), so a
	// redelivery adds no entry and an edit adds one.
	written := ev.Comment.UpdatedAt
	if written.IsZero() || ev.Action == forges.ActionCreated {
		written = at
	}
	entry := store.NewEntry{Kind: ledger.KindVote, Key: fmt.Sprintf("vote:%d:%d:%d:%d", p.ID, ev.Comment.ID, c.Line, written.UnixNano()),
		Body: map[string]any{"proposal": p.ID, "member": m.ID, "identity": identity, "choice": c.Choice, "comment": ev.Comment.ID, "at": v.At}}
	ok, err := h.Store.PutVote(ctx, h.now(), p.ID, v, []store.NewEntry{entry}, nil)
	if err != nil || !ok {
		return err
	}
	return h.afterVote(ctx, set, ev.Forge, p)
}

// afterVote refreshes the status and closes early when the outcome is
// decided and the profile allows it.
func (h *Proposals) afterVote(ctx context.Context, set *policies.Set, forge string, p *store.Proposal) error {
	ref := refOf(p)
	if err := h.refresh(ctx, forge, ref, p.Number, p.ID); err != nil {
		return err
	}
	prof := set.Governance.Profile(p.Profile)
	if prof == nil || !prof.CloseEarly {
		return nil
	}
	t, err := h.tally(ctx, set, p)
	if err != nil || !t.Decided {
		return err
	}
	return h.Close(ctx, set, p, t.Outcome, "no vote still to come can change the outcome")
}

func refOf(p *store.Proposal) forges.RepoRef {
	owner, name, _ := strings.Cut(p.Repo, "/")
	return forges.RepoRef{Owner: owner, Name: name, InstallationID: p.Install}
}

func (h *Proposals) tally(ctx context.Context, set *policies.Set, p *store.Proposal) (Tally, error) {
	votes, err := h.Store.Votes(ctx, p.ID)
	if err != nil {
		return Tally{}, err
	}
	var bs []Ballot
	for _, v := range votes {
		bs = append(bs, Ballot{Member: v.Member, Choice: v.Choice})
	}
	prof := set.Governance.Profile(p.Profile)
	if prof == nil {
		prof = set.Governance.Default()
	}
	return TallyVotes(prof, eligible(set, h.now()), bs), nil
}

func (h *Proposals) withdraw(ctx context.Context, ev *forges.Event) error {
	p, err := h.Store.OpenProposalOn(ctx, ev.Forge, ev.Repo.FullName(), number(ev))
	if err != nil || p == nil {
		return err
	}
	entry := store.NewEntry{Kind: ledger.KindVote, Key: fmt.Sprintf("withdraw:%d:%d", p.ID, ev.Comment.ID),
		Body: map[string]any{"proposal": p.ID, "comment": ev.Comment.ID, "withdrawn": true}}
	ok, err := h.Store.DropVote(ctx, h.now(), p.ID, ev.Comment.ID, []store.NewEntry{entry}, nil)
	if err != nil || !ok {
		return err
	}
	return h.refresh(ctx, ev.Forge, ev.Ref(), p.Number, p.ID)
}

// reread takes an edited comment's last vote line as its vote, or
// withdraws it when none is left; after the close nothing changes.
func (h *Proposals) reread(ctx context.Context, set *policies.Set, ev *forges.Event) error {
	var last *Command
	for _, c := range ParseCommands(ev.Comment.Body) {
		if c.Name == CmdVote {
			c := c
			last = &c
		}
	}
	if last == nil {
		return h.withdraw(ctx, ev)
	}
	return h.vote(ctx, set, ev, *last)
}

func (h *Proposals) status(ctx context.Context, ev *forges.Event, c Command) error {
	p, err := h.Store.LastProposalOn(ctx, ev.Forge, ev.Repo.FullName(), number(ev))
	if err != nil {
		return err
	}
	if p == nil {
		return h.say(ctx, ev, c, "no vote has been held here.")
	}
	return h.refresh(ctx, ev.Forge, ev.Ref(), p.Number, p.ID)
}

// end is /proposal cancel (proposer or maintainer) and /proposal close
// (maintainer, once the outcome is decided).
func (h *Proposals) end(ctx context.Context, set *policies.Set, ev *forges.Event, c Command) error {
	p, err := h.Store.OpenProposalOn(ctx, ev.Forge, ev.Repo.FullName(), number(ev))
	if err != nil {
		return err
	}
	if p == nil {
		return h.say(ctx, ev, c, "no vote is open here.")
	}
	who := ev.Forge + ":" + ev.Comment.Author.Login
	m := set.Coops.MemberByIdentity(who)
	maintainer := m != nil && set.Coops.IsMaintainer(m.ID)
	if c.Name == CmdProposalCancel {
		if who != p.Proposer && !maintainer {
			return h.say(ctx, ev, c, "only the proposer or a maintainer may cancel the vote.")
		}
		return h.Close(ctx, set, p, OutcomeCancelled, "cancelled by "+who)
	}
	if !maintainer {
		return h.say(ctx, ev, c, "only maintainers may close a vote early.")
	}
	t, err := h.tally(ctx, set, p)
	if err != nil {
		return err
	}
	if !t.Decided {
		return h.say(ctx, ev, c, "the outcome is not decided yet: votes still to come could change it.")
	}
	return h.Close(ctx, set, p, t.Outcome, "closed by "+who)
}

func (h *Proposals) onLabel(ctx context.Context, set *policies.Set, ev *forges.Event) error {
	var prof *policies.Profile
	if ev.Action == forges.ActionLabeled {
		prof = set.Governance.ProfileByLabel(ev.Label)
	} else {
		// Gitea sends the whole new set: open only on an issue that never
		// had a vote, so that a later label change does not open another.
		labels := []string{}
		if ev.Issue != nil {
			labels = ev.Issue.Labels
		} else if ev.PullRequest != nil {
			labels = ev.PullRequest.Labels
		}
		for _, l := range labels {
			if prof = set.Governance.ProfileByLabel(l); prof != nil {
				break
			}
		}
		if prof != nil {
			if last, err := h.Store.LastProposalOn(ctx, ev.Forge, ev.Repo.FullName(), number(ev)); err != nil || last != nil {
				return err
			}
		}
	}
	if prof == nil {
		return nil
	}
	return h.propose(ctx, set, ev, prof.Name, "label:"+ev.Forge+"/"+ev.DeliveryID, Command{})
}

func (h *Proposals) onNewHead(ctx context.Context, ev *forges.Event) error {
	p, err := h.Store.OpenProposalOn(ctx, ev.Forge, ev.Repo.FullName(), ev.PullRequest.Number)
	if err != nil || p == nil {
		return err
	}
	if err := h.Store.SetProposalHead(ctx, p.ID, ev.PullRequest.HeadSHA); err != nil {
		return err
	}
	f := NewActions(ev.Forge, "head/"+ev.PullRequest.HeadSHA)
	f.SetStatus(ev.Ref(), ev.PullRequest.HeadSHA, forges.Status{State: forges.StatusPending, Context: StatusVote, Description: "The vote is open."})
	_, err = h.Store.EnqueueEffects(ctx, h.now(), f.Effects())
	return err
}

// Close ends a proposal with an outcome: the result comment (made when it
// is posted, with the ledger entry's hash), the result label instead of
// vote/open, the commit status on a pull request, and the outcome in the
// ledger, all recorded in one transaction. Closing one that is closed
// already does nothing.
func (h *Proposals) Close(ctx context.Context, set *policies.Set, p *store.Proposal, outcome, why string) error {
	t, err := h.tally(ctx, set, p)
	if err != nil {
		return err
	}
	votes, err := h.Store.Votes(ctx, p.ID)
	if err != nil {
		return err
	}
	labels := set.Governance.Labels
	result := map[string]string{OutcomePassed: labels.Passed, OutcomeRejected: labels.Rejected, OutcomeCancelled: labels.Cancelled}[outcome]
	f := NewActions(p.Forge, fmt.Sprint("proposal/", p.ID, "/close"))
	ref := refOf(p)
	f.AddLabels(ref, p.Number, forges.Label{Name: result, Color: map[string]string{OutcomePassed: "0e8a16", OutcomeRejected: "b60205", OutcomeCancelled: "cccccc"}[outcome]})
	f.RemoveLabel(ref, p.Number, labels.Open)
	if p.IsPull && p.HeadSHA != "" {
		st := forges.StatusFailure
		if outcome == OutcomePassed {
			st = forges.StatusSuccess
		}
		f.SetStatus(ref, p.HeadSHA, forges.Status{State: st, Context: StatusVote, Description: "The vote " + outcome + "."})
	}
	a := f.Effects()
	resultFx := NewActions(p.Forge, fmt.Sprint("proposal/", p.ID, "/result"))
	resultFx.RefreshStatus(ref, p.Number, p.ID, h.now(), time.Nanosecond) // the status comment shows the result at once
	resultFx.PostResult(ref, p.Number, p.ID)
	a = append(a, resultFx.Effects()...)
	ballots := map[string]string{}
	for _, v := range votes {
		ballots[v.Member] = v.Choice
	}
	entry := store.NewEntry{Kind: ledger.KindOutcome, Key: OutcomeKey(p.ID), Body: map[string]any{
		"proposal": p.ID, "forge": p.Forge, "repo": p.Repo, "number": p.Number, "profile": p.Profile, "policy": p.Policy,
		"outcome": outcome, "why": why, "yes": t.Yes, "no": t.No, "abstain": t.Abstain, "block": t.Block,
		"eligible": t.Eligible, "voted": t.Voted, "votes": ballots}}
	_, err = h.Store.CloseProposal(ctx, h.now(), p.ID, outcome, []store.NewEntry{entry}, a)
	return err
}

// OutcomeKey is the ledger key of a proposal's outcome.
func OutcomeKey(id int64) string { return fmt.Sprint("outcome:", id) }

// CloseDue closes the open proposals whose deadline has passed: run at
// start (a deadline that passed while the bot was down) and then every
// few seconds.
func (h *Proposals) CloseDue(ctx context.Context) error {
	set := h.Policies.Current()
	if set == nil {
		return nil
	}
	due, err := h.Store.DueProposals(ctx, h.now())
	if err != nil {
		return err
	}
	for i := range due {
		t, err := h.tally(ctx, set, &due[i])
		if err != nil {
			return err
		}
		if err := h.Close(ctx, set, &due[i], t.Outcome, "the deadline passed"); err != nil {
			return err
		}
	}
	return nil
}

// Run closes due proposals at start and then every interval until ctx ends.
func (h *Proposals) Run(ctx context.Context, interval time.Duration, woken func()) error {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		if err := h.CloseDue(ctx); err != nil && ctx.Err() == nil && h.Log != nil {
			h.Log.Error("closing due proposals", "err", err)
		} else if woken != nil {
			woken()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

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
		counts[ChoiceYes], counts[ChoiceNo], counts[ChoiceAbstain], counts[ChoiceBlock])
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
	fmt.Fprintf(&b, "Recorded in the ledger as entry `%s` (`accord ledger export` shows it; `accord ledger verify` checks it).\n", hash)
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
	set := h.Policies.Current()
	if set == nil {
		return "", errors.New("no policy loaded")
	}
	prof := set.Governance.Profile(p.Profile)
	if prof == nil {
		prof = set.Governance.Default()
	}
	t, err := h.tally(ctx, set, p)
	if err != nil {
		return "", err
	}
	votes, err := h.Store.Votes(ctx, p.ID)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "### Vote: %s\n\n", p.Title)
	fmt.Fprintf(&b, "Profile **%s** (policy %s): %s\n\n", prof.Name, short(p.Policy), rules(prof))
	if p.State == store.ProposalOpen {
		fmt.Fprintf(&b, "Open until **%s UTC** (%s left). Vote with a comment: `/vote yes`, `/vote no`, `/vote abstain`%s. Your last vote counts; deleting its comment withdraws it.\n\n",
			p.Deadline.UTC().Format("2006-01-02 15:04"), left(p.Deadline.Sub(h.now())), map[bool]string{true: " or `/vote block`", false: ""}[prof.Block])
	} else {
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
