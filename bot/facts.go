package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/accord-coop/accord/forges"
	"github.com/accord-coop/accord/ledger"
)

// FactsOf turns an event into the facts it is evidence of (PRODUCT.md,
// "Facts"). commits are the pull request's commits for a merge, when the
// forge could be asked (nil otherwise): their Co-authored-by trailers share
// the credit and their SHAs are not credited again as pushed commits. It is
// pure: the same event gives the same facts, with the same IDs.
//
// What identifies each fact (its ID): a merged pull request by its number;
// a review by its ID where the forge gives one (GitHub), else by reviewer,
// state and commit (Gitea); an opened issue by its number; a close by the
// closer and the time; a comment by its ID; a commit by its SHA; a release by
// its ID. Never the delivery, so a redelivery is the same fact.
//
// A comment carrying a marker is a comment like any other here: the bot's
// own comments (its author and a marker, Self.Owns) never reach handlers.
func FactsOf(ev *forges.Event, commits []forges.Commit) []ledger.Fact {
	base := ledger.Fact{Forge: ev.Forge, Repo: ev.Repo.FullName(), At: ev.Time.UTC(), Delivery: ev.Forge + "/" + ev.DeliveryID}
	switch ev.Kind {
	case forges.KindPullRequest:
		if ev.Action == forges.ActionClosed && ev.PullRequest != nil && ev.PullRequest.Merged {
			return []ledger.Fact{mergedFact(base, ev, commits)}
		}
	case forges.KindReview:
		if f, ok := reviewFact(base, ev); ok {
			return []ledger.Fact{f}
		}
	case forges.KindIssue:
		return issueFacts(base, ev)
	case forges.KindComment:
		if f, ok := commentFact(base, ev); ok {
			return []ledger.Fact{f}
		}
	case forges.KindPush:
		return commitFacts(base, ev)
	case forges.KindRelease:
		if ev.Action == forges.ActionPublished && ev.Release != nil && !ev.Release.Draft {
			f := base
			f.Kind, f.Who, f.Ref = ledger.FactReleasePublished, person(ev.Forge, ev.Release.Author), ev.Release.Tag
			f.ID = ledger.FactID(f.Kind, ev.Forge, f.Repo, fmt.Sprint(ev.Release.ID), ev.Release.Tag)
			return []ledger.Fact{f}
		}
	}
	return nil
}

func person(forge string, u forges.User) ledger.Person {
	p := ledger.Person{Email: u.Email, Bot: u.Bot || forges.IsBotLogin(u.Login)}
	if u.Login != "" {
		p.Identity = forge + ":" + u.Login
	}
	return p
}

func mergedFact(f ledger.Fact, ev *forges.Event, commits []forges.Commit) ledger.Fact {
	pr := ev.PullRequest
	f.Kind, f.Number, f.SHA = ledger.FactPRMerged, pr.Number, pr.MergeCommitSHA
	f.Who = person(ev.Forge, pr.Author)
	f.Labels = pr.Labels
	f.Size = int64(pr.Additions + pr.Deletions)
	f.ID = ledger.FactID(f.Kind, ev.Forge, f.Repo, fmt.Sprint(pr.Number))
	shas := []string{pr.MergeCommitSHA, pr.HeadSHA}
	for _, c := range commits {
		shas = append(shas, c.SHA)
	}
	f.Commits = sortedUnique(shas)
	f.CoAuthors = coAuthors(ev.Forge, commits, f.Who)
	return f
}

func reviewFact(f ledger.Fact, ev *forges.Event) (ledger.Fact, bool) {
	if ev.Review == nil || ev.PullRequest == nil || ev.Action != forges.ActionSubmitted {
		return f, false
	}
	reviewer := ev.Review.Author
	if reviewer.Login == "" {
		reviewer = ev.Actor
	}
	if strings.EqualFold(reviewer.Login, ev.PullRequest.Author.Login) {
		return f, false // a review of one's own pull request is not a contribution
	}
	switch ev.Review.State {
	case forges.ReviewApproved:
		f.Kind = ledger.FactReviewApproved
	case forges.ReviewChangesRequested:
		f.Kind = ledger.FactReviewChangesRequested
	default:
		f.Kind = ledger.FactReviewCommented
	}
	f.Number, f.SHA, f.Who, f.Labels = ev.PullRequest.Number, ev.Review.CommitSHA, person(ev.Forge, reviewer), ev.PullRequest.Labels
	if ev.Review.ID != 0 {
		f.Ref = fmt.Sprint(ev.Review.ID)
		f.ID = ledger.FactID(f.Kind, ev.Forge, f.Repo, fmt.Sprint(f.Number), "review", f.Ref)
	} else {
		f.ID = ledger.FactID(f.Kind, ev.Forge, f.Repo, fmt.Sprint(f.Number), "review by", strings.ToLower(reviewer.Login), f.SHA)
	}
	return f, true
}

func issueFacts(f ledger.Fact, ev *forges.Event) []ledger.Fact {
	is := ev.Issue
	if is == nil || is.IsPull {
		return nil
	}
	f.Number, f.Labels = is.Number, is.Labels
	switch ev.Action {
	case forges.ActionOpened:
		f.Kind, f.Who = ledger.FactIssueOpened, person(ev.Forge, is.Author)
		f.ID = ledger.FactID(f.Kind, ev.Forge, f.Repo, fmt.Sprint(is.Number))
	case forges.ActionClosed:
		// Each close is one; a reopened and closed again issue has two.
		f.Kind, f.Who = ledger.FactIssueClosed, person(ev.Forge, ev.Actor)
		f.ID = ledger.FactID(f.Kind, ev.Forge, f.Repo, fmt.Sprint(is.Number), f.Who.Identity, f.At.Format("2006-01-02T15:04:05Z"))
	default:
		return nil
	}
	return []ledger.Fact{f}
}

func commentFact(f ledger.Fact, ev *forges.Event) (ledger.Fact, bool) {
	c := ev.Comment
	if c == nil || ev.Issue == nil || ev.Action != forges.ActionCreated || CommandOnly(c.Body) {
		return f, false
	}
	f.Kind, f.Number, f.Ref, f.Who, f.Labels = ledger.FactComment, ev.Issue.Number, fmt.Sprint(c.ID), person(ev.Forge, c.Author), ev.Issue.Labels
	f.ID = ledger.FactID(f.Kind, ev.Forge, f.Repo, "comment", f.Ref)
	return f, true
}

// commitFacts credits the commits of a push to the default branch (only
// there: work on other branches counts when it is merged).
func commitFacts(base ledger.Fact, ev *forges.Event) []ledger.Fact {
	p := ev.Push
	if p == nil || ev.Repo.DefaultBranch == "" || p.Branch() != ev.Repo.DefaultBranch {
		return nil
	}
	var out []ledger.Fact
	for _, c := range p.Commits {
		f := base
		f.Kind, f.SHA, f.At = ledger.FactCommit, c.SHA, c.Time.UTC()
		f.Who = ledger.Person{Email: c.AuthorEmail, Name: c.AuthorName, Bot: forges.IsBotLogin(c.AuthorLogin)}
		if c.AuthorLogin != "" {
			f.Who.Identity = ev.Forge + ":" + c.AuthorLogin
		}
		f.ID = ledger.FactID(f.Kind, ev.Forge, f.Repo, c.SHA)
		out = append(out, f)
	}
	return out
}

// coAuthors reads the Co-authored-by trailers of commits (coAuthorTrailers):
// each person once, by lower-cased email, under the name of their first
// trailer; never the author. They are recorded as they are, bots too
// (scoring drops those under exclude.bots before it splits the credit):
//
//   - A co-author is flagged Bot when the trailer is recognisably a bot's
//     (botCoAuthor), or when the forge matched the address, as a commit
//     author of the pull request, to a "[bot]" account.
//   - A co-author whose address the forge matched to an account, as the
//     author of one of the pull request's commits, gets that identity
//     (forge:login), so that coops.yml identities and exclude.identities
//     apply to them as to anyone; the author's own account is never a
//     co-author.
func coAuthors(forge string, commits []forges.Commit, author ledger.Person) []ledger.Person {
	seen := map[string]bool{}
	if author.Email != "" {
		seen[strings.ToLower(author.Email)] = true
	}
	// The author's own commits tell the author's email where the forge did not.
	_, login, _ := strings.Cut(author.Identity, ":")
	accounts := map[string]string{} // email → the login the forge matched it to
	for _, c := range commits {
		email := strings.ToLower(c.AuthorEmail)
		if login != "" && strings.EqualFold(c.AuthorLogin, login) && email != "" {
			seen[email] = true
		}
		if c.AuthorLogin != "" && email != "" && accounts[email] == "" {
			accounts[email] = c.AuthorLogin
		}
	}
	var out []ledger.Person
	for _, c := range commits {
		for _, t := range coAuthorTrailers(c.Message) {
			if seen[t.Email] {
				continue
			}
			seen[t.Email] = true
			p := ledger.Person{Email: t.Email, Name: t.Name, Bot: botCoAuthor(t)}
			if l := accounts[t.Email]; l != "" {
				p.Identity, p.Bot = forge+":"+l, p.Bot || forges.IsBotLogin(l)
			}
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b ledger.Person) int { return strings.Compare(a.Email, b.Email) })
	return out
}

// botCoAuthor reports whether a Co-authored-by trailer names a bot by its
// address or name alone: a GitHub App's noreply address
// (49699333+dependabot[bot]@users.noreply.github.com, and GitHub Enterprise's
// users.noreply.HOST), GitHub Copilot's (175728472+Copilot@users.noreply.github.com,
// the account GitHub adds as a co-author), or a name that is an App's login
// ("renovate[bot]").
func botCoAuthor(t coAuthor) bool {
	if strings.HasSuffix(strings.ToLower(t.Name), "[bot]") {
		return true
	}
	at := strings.LastIndexByte(t.Email, '@')
	local, domain := t.Email[:max(at, 0)], t.Email[at+1:]
	if !strings.HasPrefix(domain, "users.noreply.") {
		return false
	}
	if _, l, ok := strings.Cut(local, "+"); ok { // ID+login; older addresses are the login alone
		local = l
	}
	return strings.HasSuffix(local, "[bot]") || local == "copilot"
}

func sortedUnique(xs []string) []string {
	var out []string
	for _, x := range xs {
		if x != "" {
			out = append(out, x)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// CommandOnly reports whether a comment is nothing but slash commands: every
// line that is not blank starts with "/". Such a comment is an instruction to
// the bot, not a contribution.
func CommandOnly(body string) bool {
	any := false
	for _, line := range strings.Split(body, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if !strings.HasPrefix(line, "/") {
			return false
		}
		any = true
	}
	return any
}

// Facts records the facts of every event in the ledger, with the delivery's
// outcome. For a merged pull request it asks the forge for the commits
// (their Co-authored-by trailers); without credentials for the forge the
// merge is still credited, to its author alone.
type Facts struct {
	Clients map[string]forges.Client
}

// Handle records ev's facts.
func (h *Facts) Handle(ctx context.Context, ev *forges.Event, act *Actions) error {
	var commits []forges.Commit
	if ev.Kind == forges.KindPullRequest && ev.Action == forges.ActionClosed && ev.PullRequest != nil && ev.PullRequest.Merged {
		if c, ok := h.Clients[ev.Forge]; ok {
			var err error
			if commits, err = c.PullCommits(ctx, ev.Ref(), ev.PullRequest.Number); err != nil {
				return err // retried: the co-authors matter
			}
		}
	}
	for _, f := range FactsOf(ev, commits) {
		act.Record(ledger.KindFact, f.ID, f)
	}
	return nil
}
