package bot

import (
	"context"
	"fmt"

	"github.com/accord-coop/accord/forges"
	"github.com/accord-coop/accord/ledger"
)

// Commands answers the slash commands of new comments that need no vote:
// /credit (maintainers give manual credit), /accord help, and a reply with
// the usage to a malformed or unknown command. Votes and proposals are not
// handled here.
type Commands struct {
	Policies *Policies
}

// Handle reads the commands of a new comment, in order.
func (h *Commands) Handle(ctx context.Context, ev *forges.Event, act *Actions) error {
	if ev.Kind != forges.KindComment || ev.Action != forges.ActionCreated || ev.Comment == nil || ev.Issue == nil ||
		ev.Comment.Author.Bot {
		return nil
	}
	if h.Policies.Current() == nil {
		return nil // Proposals answers: no command runs without a policy
	}
	for _, c := range ParseCommands(ev.Comment.Body) {
		switch {
		case c.Err != "":
			act.Comment(ev.Ref(), ev.Issue.Number, reply(ev, c, c.Err))
		case c.Name == CmdHelp:
			act.Comment(ev.Ref(), ev.Issue.Number, reply(ev, c, Usage))
		case c.Name == CmdCredit:
			h.credit(ev, c, act)
		}
	}
	return nil
}

// reply quotes the command it answers and mentions its author.
func reply(ev *forges.Event, c Command, text string) string {
	return fmt.Sprintf("> %s\n\n@%s %s", c.Text, ev.Comment.Author.Login, text)
}

// credit records a manual fact for the named user when the caller is a
// maintainer, and says so; anyone else gets one reply why not.
func (h *Commands) credit(ev *forges.Event, c Command, act *Actions) {
	set := h.Policies.Current()
	caller := ev.Forge + ":" + ev.Comment.Author.Login
	m := set.Coops.MemberByIdentity(caller)
	if m == nil || !set.Coops.IsMaintainer(m.ID) {
		act.Comment(ev.Ref(), ev.Issue.Number, reply(ev, c, fmt.Sprintf("only maintainers (coops.yml) may give credit; %s is not one.", caller)))
		return
	}
	target := ev.Forge + ":" + c.User
	f := ledger.Fact{
		Kind: ledger.FactManual, Forge: ev.Forge, Repo: ev.Repo.FullName(), Number: ev.Issue.Number,
		Ref: fmt.Sprint(ev.Comment.ID), Who: ledger.Person{Identity: target}, At: ev.Comment.CreatedAt.UTC(),
		Labels: ev.Issue.Labels, Points: c.Points, Reason: c.Reason, By: caller, Delivery: ev.Forge + "/" + ev.DeliveryID,
	}
	if f.At.IsZero() {
		f.At = ev.Time.UTC()
	}
	// One comment, one command line: the same /credit seen again is the same fact.
	f.ID = ledger.FactID(f.Kind, ev.Forge, f.Repo, "comment", f.Ref, fmt.Sprint(c.Line), target)
	act.Record(ledger.KindFact, f.ID, f)
	act.React(ev.Ref(), ev.Comment.ID, forges.ReactionThumbsUp)
	if set.Coops.MemberByIdentity(target) == nil {
		act.Comment(ev.Ref(), ev.Issue.Number, reply(ev, c, fmt.Sprintf("recorded, but %s is no member in coops.yml: the credit shows as unaffiliated until they are.", target)))
	}
}
