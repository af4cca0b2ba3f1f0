package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/accord-coop/accord/forges"
	"github.com/accord-coop/accord/ledger"
	"github.com/accord-coop/accord/policies"
	"github.com/accord-coop/accord/store"
	"github.com/accord-coop/accord/tally"
)

// StatusVote is the commit status context of a pull request's vote.
const StatusVote = "accord/vote"

// Proposals runs votes in issue and pull request comments (PRODUCT.md,
// "governance.yml" and "Slash commands"): /propose or a profile's
// start_label opens one, /vote casts or replaces a member's vote, deleting
// the comment withdraws it and editing it re-reads it, /proposal cancel and
// /proposal close end it, and the deadline (or close_early) closes it.
// State changes go to the store with their ledger entries and effects in
// one transaction, so a delivery processed again after a crash changes
// nothing twice.
//
// When a vote counts (README, "When a vote counts"): its comment was
// created before the deadline by a member eligible at that moment, under
// the policy version in force when the proposal opened; its last edit
// before the deadline is the ballot; deleting it before the deadline
// withdraws it; nothing after the deadline changes it. A due proposal
// closes only once every delivery of its forge received before the
// deadline plus Grace is processed, and after the forge's comments have
// been read for votes Accord never received (see closing.go).
type Proposals struct {
	Policies *Policies
	Store    *store.Store
	Clients  map[string]forges.Client // to read pull requests' files and heads, and the comments at the close
	Self     *Self                    // the bot's own comments, skipped when the comments are read at the close
	// Checkpoints signs the ledger's checkpoint a result comment quotes
	// (nil: none is quoted).
	Checkpoints *Checkpoints
	Log         *slog.Logger
	Window      time.Duration // at most one status comment edit per window; default 5s
	// Grace is how long after a deadline the close waits for the forge's
	// deliveries of votes cast in time (delivery lag); default 1 minute.
	Grace time.Duration
	Now   func() time.Time

	mu    sync.Mutex
	retry map[int64]closeRetry // due proposals whose forge could not be read
}

func (h *Proposals) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Proposals) grace() time.Duration {
	if h.Grace > 0 {
		return h.Grace
	}
	return time.Minute
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
		return h.noPolicy(ctx, ev)
	}
	switch {
	case ev.Kind == forges.KindComment && ev.Comment != nil && ev.Issue != nil:
		return h.onComment(ctx, set, ev, act)
	case (ev.Kind == forges.KindIssue || ev.Kind == forges.KindPullRequest) && (ev.Action == forges.ActionLabeled || ev.Action == forges.ActionLabelsUpdated):
		return h.onLabel(ctx, set, ev)
	case ev.Kind == forges.KindPullRequest && ev.PullRequest != nil &&
		(ev.Action == forges.ActionOpened || ev.Action == forges.ActionReopened || ev.Action == forges.ActionSynchronized):
		if ev.Action == forges.ActionSynchronized {
			if err := h.onNewHead(ctx, ev); err != nil {
				return err
			}
		}
		if h.Policies.IsGovernancePull(ev) {
			if handled, err := h.policyChange(ctx, set, ev); err != nil || handled {
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
	return h.open(ctx, set, ev, prof, ev.Forge+":"+ev.PullRequest.Author.Login, fmt.Sprintf("automation:%s:%s#%d", ev.Forge, ev.Repo.FullName(), ev.PullRequest.Number), "")
}

// policyChange opens the vote a change of the policy files needs
// (governance.yml policy_changes) on a pull request to the governance
// repo whose head has valid files that differ from the version in force,
// unless a vote is open on it, or one was held on this very head. It
// reports whether the pull request is a change of the policy files.
func (h *Proposals) policyChange(ctx context.Context, set *policies.Set, ev *forges.Event) (bool, error) {
	pr := ev.PullRequest
	if pr.State == "closed" {
		return false, nil
	}
	_, valid, changed, err := h.Policies.PullChange(ctx, pr.HeadSHA)
	if err != nil || !changed {
		return false, err // retried with the delivery
	}
	if !valid {
		return true, nil // the check comment lists the errors; no vote on files that cannot take effect
	}
	last, err := h.Store.LastProposalOn(ctx, ev.Forge, ev.Repo.FullName(), pr.Number)
	if err != nil {
		return true, err
	}
	if last != nil && (last.State == store.ProposalOpen || last.Kind == store.ProposalPolicy && last.HeadSHA == pr.HeadSHA) {
		return true, nil
	}
	prof := set.Governance.Profile(set.Governance.PolicyChanges)
	if prof == nil {
		prof = set.Governance.Default()
	}
	origin := fmt.Sprintf("policy:%s:%s#%d@%s", ev.Forge, ev.Repo.FullName(), pr.Number, pr.HeadSHA)
	return true, h.open(ctx, set, ev, prof, ev.Forge+":"+pr.Author.Login, origin, store.ProposalPolicy)
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

// noPolicy answers a new comment's first command while no valid policy
// version is in force: nothing can run, and saying nothing would look like
// a bot that ignores people.
func (h *Proposals) noPolicy(ctx context.Context, ev *forges.Event) error {
	if ev.Kind != forges.KindComment || ev.Action != forges.ActionCreated || ev.Comment == nil || ev.Issue == nil || ev.Comment.Author.Bot {
		return nil // the bot's own comments never reach handlers (Router.Dispatch)
	}
	cs := ParseCommands(ev.Comment.Body)
	if len(cs) == 0 {
		return nil
	}
	return h.say(ctx, ev, cs[0], "no valid policy version is in force, so commands cannot run now. "+
		"Maintainers: the governance repo's last commit carries the failing `accord/policy` status with the errors; "+
		"once a valid version is in force, write the command again.")
}

func (h *Proposals) onComment(ctx context.Context, set *policies.Set, ev *forges.Event, act *Actions) error {
	switch ev.Action {
	case forges.ActionDeleted:
		return h.withdraw(ctx, ev, act)
	case forges.ActionEdited:
		return h.reread(ctx, ev, act)
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
			err = h.vote(ctx, ev, c)
		case CmdVoteStatus:
			err = h.status(ctx, ev, c)
		case CmdProposalCancel, CmdProposalClose:
			err = h.end(ctx, ev, c)
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
	return h.open(ctx, set, ev, prof, who, origin, "", c)
}

// open opens a proposal of a kind ("" or store.ProposalPolicy) with a
// profile: the permission to propose is checked already (or an automation
// rule, or a change of the policy files, opens it).
func (h *Proposals) open(ctx context.Context, set *policies.Set, ev *forges.Event, prof *policies.Profile, who, origin, kind string, cs ...Command) error {
	c := Command{}
	if len(cs) > 0 {
		c = cs[0]
	}
	now := h.now()
	p := store.Proposal{Forge: ev.Forge, Repo: ev.Repo.FullName(), Number: number(ev), Install: ev.InstallationID,
		Title: title(ev), Profile: prof.Name, Policy: set.Version, Proposer: who, Origin: origin,
		OpenedAt: now, Deadline: now.Add(prof.Duration), Kind: kind}
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
	entry := store.NewEntry{Kind: ledger.KindProposal, Key: fmt.Sprintf("proposal:%s:%s#%d:%s", p.Forge, p.Repo, p.Number, origin),
		Body: map[string]any{"forge": p.Forge, "repo": p.Repo, "number": p.Number, "profile": p.Profile, "policy": p.Policy,
			"proposer": p.Proposer, "opened_at": p.OpenedAt.UTC(), "deadline": p.Deadline.UTC(), "kind": p.Kind, "head": p.HeadSHA}}
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

// vote records a /vote line of a comment created or edited on an issue
// with an open proposal, under the rules of the version the proposal
// opened with.
func (h *Proposals) vote(ctx context.Context, ev *forges.Event, c Command) error {
	p, err := h.Store.OpenProposalOn(ctx, ev.Forge, ev.Repo.FullName(), number(ev))
	if err != nil {
		return err
	}
	if p == nil {
		return h.noOpenVote(ctx, ev, c)
	}
	at, written := voteTimes(ev)
	if at.After(p.Deadline) {
		return h.say(ctx, ev, c, fmt.Sprintf("the vote closed at its deadline, %s; this vote does not count.", p.Deadline.Format(time.RFC3339)))
	}
	if written.After(p.Deadline) {
		return h.say(ctx, ev, c, fmt.Sprintf("this comment was edited after the deadline (%s): the vote stands as the comment was then.", p.Deadline.Format(time.RFC3339)))
	}
	set, err := h.rulesOf(ctx, p)
	if err != nil {
		return err
	}
	identity := ev.Forge + ":" + ev.Comment.Author.Login
	m := set.Coops.MemberByIdentity(identity)
	if m == nil {
		return h.say(ctx, ev, c, fmt.Sprintf("only members may vote; %s is not a member in coops.yml (policy %s, which governs this vote).", identity, short(p.Policy)))
	}
	if _, ok := m.CoopAt(at); !ok {
		return h.say(ctx, ev, c, fmt.Sprintf("%s has no membership on %s (policy %s, which governs this vote), so cannot vote.", m.ID, at.UTC().Format(time.DateOnly), short(p.Policy)))
	}
	ok, err := h.putVote(ctx, p, ev.Comment.ID, m.ID, identity, c, at, written, false)
	if err != nil {
		return err
	}
	if !ok {
		return h.noOpenVote(ctx, ev, c) // closed meanwhile by a command
	}
	return h.afterVote(ctx, ev.Forge, p)
}

// voteTimes are when a vote comment was cast (created) and when the text
// being read was written (its last edit, for an edit).
func voteTimes(ev *forges.Event) (at, written time.Time) {
	at = ev.Comment.CreatedAt
	if at.IsZero() {
		at = ev.Time
	}
	written = at
	if ev.Action == forges.ActionEdited && !ev.Comment.UpdatedAt.IsZero() {
		written = ev.Comment.UpdatedAt
	}
	return at.UTC(), written.UTC()
}

// putVote records one vote comment's ballot with its ledger entry. The
// entry's key is what the vote is (the comment, as written at a time), so
// a redelivery, or the same comment found again at the close, adds
// nothing, and an edit adds one.
func (h *Proposals) putVote(ctx context.Context, p *store.Proposal, comment int64, member, identity string, c Command, at, written time.Time, reconciled bool) (bool, error) {
	v := store.VoteRow{CommentID: comment, Member: member, Identity: identity, Choice: c.Choice, Reason: c.Reason, At: at}
	body := map[string]any{"proposal": p.ID, "member": member, "identity": identity, "choice": c.Choice, "comment": comment, "at": at}
	if c.Reason != "" {
		body["reason"] = c.Reason // a block's shows in the tally; any is part of the vote's key
	}
	if reconciled {
		body["reconciled"] = true // read from the forge at the close: the delivery never came
	}
	entry := store.NewEntry{Kind: ledger.KindVote, Key: VoteKey(p.ID, comment, c.Line, written, c.Choice, c.Reason), Body: body}
	return h.Store.PutVote(ctx, h.now(), p.ID, v, []store.NewEntry{entry}, nil)
}

// VoteKey is the ledger key of a vote: the comment's line as written at a
// time, with what it says. Forges date comments to the second, so two
// edits within one second differ by their content; the same text seen
// again (a redelivery, the comment read back at the close) is the same
// key, and is recorded once.
func VoteKey(proposal, comment int64, line int, written time.Time, choice, reason string) string {
	return fmt.Sprintf("vote:%d:%d:%d:%d:%s", proposal, comment, line, written.UnixNano(), ledger.BallotHash(choice, reason))
}

// WithdrawKey is the ledger key of a vote's withdrawal: by deletion (tag
// "deleted": a comment is deleted once), or by the edit written at a time
// that left the comment without a vote.
func WithdrawKey(proposal, comment int64, tag string) string {
	return fmt.Sprintf("withdraw:%d:%d:%s", proposal, comment, tag)
}

// noOpenVote answers a vote on an issue with no open proposal. A vote that
// the last proposal counted already (read from the forge at its close,
// before its delivery came) gets no answer.
func (h *Proposals) noOpenVote(ctx context.Context, ev *forges.Event, c Command) error {
	last, err := h.Store.LastProposalOn(ctx, ev.Forge, ev.Repo.FullName(), number(ev))
	if err != nil {
		return err
	}
	if last == nil {
		return h.say(ctx, ev, c, "no vote is open here; `/propose` opens one.")
	}
	votes, err := h.Store.Votes(ctx, last.ID)
	if err != nil {
		return err
	}
	for _, v := range votes {
		if v.CommentID == ev.Comment.ID && v.Choice == c.Choice {
			return nil
		}
	}
	return h.say(ctx, ev, c, fmt.Sprintf("the vote closed at %s (%s); this vote does not count.", last.ClosedAt.Format(time.RFC3339), last.State))
}

// afterVote refreshes the status and closes early when the outcome is
// decided and the profile allows it.
func (h *Proposals) afterVote(ctx context.Context, forge string, p *store.Proposal) error {
	ref := refOf(p)
	if err := h.refresh(ctx, forge, ref, p.Number, p.ID); err != nil {
		return err
	}
	set, err := h.rulesOf(ctx, p)
	if err != nil {
		return err
	}
	if prof := profileOf(set, p); !prof.CloseEarly {
		return nil
	}
	_, err = h.close(ctx, p, closeIfDecided, "no vote still to come can change the outcome", nil)
	return err
}

func refOf(p *store.Proposal) forges.RepoRef {
	owner, name, _ := strings.Cut(p.Repo, "/")
	return forges.RepoRef{Owner: owner, Name: name, InstallationID: p.Install}
}

// rulesOf is the policy version a proposal runs under: the one in force
// when it opened, whatever is in force now.
func (h *Proposals) rulesOf(ctx context.Context, p *store.Proposal) (*policies.Set, error) {
	set, err := h.Policies.ByVersion(ctx, p.Policy)
	if err != nil {
		return nil, fmt.Errorf("proposal %d: the rules it opened under: %w", p.ID, err)
	}
	return set, nil
}

// tally counts a proposal's votes as they stand, under its rules.
func (h *Proposals) tally(ctx context.Context, p *store.Proposal) (tally.Tally, error) {
	set, err := h.rulesOf(ctx, p)
	if err != nil {
		return tally.Tally{}, err
	}
	votes, err := h.Store.Votes(ctx, p.ID)
	if err != nil {
		return tally.Tally{}, err
	}
	return tallyOf(set, p, votes), nil
}

// withdraw drops a deleted comment's vote, if it was deleted before the
// deadline: the forge does not date a deletion, so the time its delivery
// reached Accord stands for it.
func (h *Proposals) withdraw(ctx context.Context, ev *forges.Event, act *Actions) error {
	p, err := h.Store.OpenProposalOn(ctx, ev.Forge, ev.Repo.FullName(), number(ev))
	if err != nil || p == nil {
		return err
	}
	when := act.Received
	if when.IsZero() {
		when = h.now()
	}
	if when.After(p.Deadline) {
		return nil // after the deadline nothing changes a vote
	}
	return h.dropVote(ctx, p, ev.Comment.ID, "deleted")
}

// dropVote withdraws a comment's vote; tag tells this withdrawal apart
// (WithdrawKey). A comment with no vote standing records nothing.
func (h *Proposals) dropVote(ctx context.Context, p *store.Proposal, comment int64, tag string) error {
	entry := store.NewEntry{Kind: ledger.KindVote, Key: WithdrawKey(p.ID, comment, tag),
		Body: map[string]any{"proposal": p.ID, "comment": comment, "withdrawn": true}}
	ok, err := h.Store.DropVote(ctx, h.now(), p.ID, comment, []store.NewEntry{entry}, nil)
	if err != nil || !ok {
		return err
	}
	return h.refresh(ctx, p.Forge, refOf(p), p.Number, p.ID)
}

// reread takes an edited comment's last vote line as its vote, or
// withdraws it when none is left; an edit after the deadline changes
// nothing.
func (h *Proposals) reread(ctx context.Context, ev *forges.Event, act *Actions) error {
	last := lastVote(ev.Comment.Body)
	if last == nil {
		p, err := h.Store.OpenProposalOn(ctx, ev.Forge, ev.Repo.FullName(), number(ev))
		if err != nil || p == nil {
			return err
		}
		_, written := voteTimes(ev)
		if written.After(p.Deadline) {
			return nil
		}
		return h.dropVote(ctx, p, ev.Comment.ID, fmt.Sprint(written.UnixNano()))
	}
	return h.vote(ctx, ev, *last)
}

// lastVote is a comment's last /vote line (the one that counts), or nil.
func lastVote(body string) *Command {
	var last *Command
	for _, c := range ParseCommands(body) {
		if c.Name == CmdVote {
			c := c
			last = &c
		}
	}
	return last
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
// (maintainer, once the outcome is decided). Who may is judged by the
// proposal's rules.
func (h *Proposals) end(ctx context.Context, ev *forges.Event, c Command) error {
	p, err := h.Store.OpenProposalOn(ctx, ev.Forge, ev.Repo.FullName(), number(ev))
	if err != nil {
		return err
	}
	if p == nil {
		return h.say(ctx, ev, c, "no vote is open here.")
	}
	set, err := h.rulesOf(ctx, p)
	if err != nil {
		return err
	}
	who := ev.Forge + ":" + ev.Comment.Author.Login
	m := set.Coops.MemberByIdentity(who)
	maintainer := m != nil && set.Coops.IsMaintainer(m.ID)
	if c.Name == CmdProposalCancel {
		if who != p.Proposer && !maintainer {
			return h.say(ctx, ev, c, "only the proposer or a maintainer may cancel the vote.")
		}
		_, err := h.close(ctx, p, closeCancelled, "cancelled by "+who, nil)
		return err
	}
	if !maintainer {
		return h.say(ctx, ev, c, "only maintainers may close a vote early.")
	}
	closed, err := h.close(ctx, p, closeIfDecided, "closed by "+who, nil)
	if err != nil || closed {
		return err
	}
	return h.say(ctx, ev, c, "the outcome is not decided yet: votes still to come could change it.")
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

// tallyOf counts a proposal's votes under the rules of set, its version.
func tallyOf(set *policies.Set, p *store.Proposal, votes []store.VoteRow) tally.Tally {
	vs := make([]tally.Vote, len(votes))
	for i, v := range votes {
		vs[i] = tally.Vote{Member: v.Member, Choice: v.Choice, Reason: v.Reason, At: v.At}
	}
	return tally.Of(set, p.Profile, p.OpenedAt, p.Deadline, vs)
}

// profileOf is the proposal's profile in its version (the default if the
// name is gone, which a recorded version cannot do but a hand-made
// database could).
func profileOf(set *policies.Set, p *store.Proposal) *policies.Profile {
	return tally.ProfileOf(set, p.Profile)
}
