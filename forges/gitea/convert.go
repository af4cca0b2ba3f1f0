package gitea

import (
	"time"

	"github.com/accord-coop/accord/forges"
)

// The conversions from the payload types to the forge-neutral ones. A
// missing (null) object becomes the zero value, which is what the event
// model wants.

// login is the user's login; "username" is the same thing under the name
// older Gitea and Gogs-compatible payloads use.
func login(u *user) string {
	if u.Login != "" {
		return u.Login
	}
	return u.UserName
}

// toUser converts an account. Gitea's user objects have no bot flag, so only
// the login can tell.
func toUser(u *user) forges.User {
	if u == nil {
		return forges.User{}
	}
	l := login(u)
	return forges.User{ID: u.ID, Login: l, Email: u.Email, Bot: forges.IsBotLogin(l)}
}

func labelNames(ls []*label) []string {
	out := make([]string, 0, len(ls))
	for _, l := range ls {
		if l != nil {
			out = append(out, l.Name)
		}
	}
	return out
}

func toIssue(i *issue) *forges.Issue {
	return &forges.Issue{
		Number:   i.Number,
		Title:    i.Title,
		Author:   toUser(i.User),
		State:    i.State,
		Labels:   labelNames(i.Labels),
		IsPull:   i.PullRequest != nil,
		URL:      i.HTMLURL,
		ClosedAt: i.ClosedAt.UTC(),
	}
}

func toPull(p *pullRequest) *forges.PullRequest {
	out := &forges.PullRequest{
		Number:         p.Number,
		Title:          p.Title,
		Author:         toUser(p.User),
		State:          p.State,
		Merged:         p.Merged,
		MergedAt:       p.MergedAt.UTC(),
		MergeCommitSHA: p.MergeCommitSHA,
		Labels:         labelNames(p.Labels),
		Additions:      p.Additions,
		Deletions:      p.Deletions,
		URL:            p.HTMLURL,
	}
	if p.MergedBy != nil {
		u := toUser(p.MergedBy)
		out.MergedBy = &u
	}
	if p.Head != nil {
		out.HeadSHA, out.HeadRef = p.Head.SHA, p.Head.Ref
	}
	if p.Base != nil {
		out.BaseRef = p.Base.Ref
	}
	return out
}

// pullFromIssue is what a comment delivery without the pull request object
// tells about the pull request: the issue side only, so head and base are not
// known here.
func pullFromIssue(i *issue, is *forges.Issue) *forges.PullRequest {
	out := &forges.PullRequest{
		Number: is.Number,
		Title:  is.Title,
		Author: is.Author,
		State:  is.State,
		Labels: is.Labels,
		URL:    is.URL,
	}
	if pr := i.PullRequest; pr != nil {
		out.Merged = pr.Merged
		out.MergedAt = pr.MergedAt.UTC()
		if pr.HTMLURL != "" {
			out.URL = pr.HTMLURL
		}
	}
	return out
}

func toComment(c *comment) *forges.Comment {
	return &forges.Comment{
		ID:        c.ID,
		Body:      c.Body,
		Author:    toUser(c.User),
		CreatedAt: c.CreatedAt.UTC(),
		UpdatedAt: c.UpdatedAt.UTC(),
		URL:       c.HTMLURL,
	}
}

func toCommit(c *payloadCommit) forges.Commit {
	out := forges.Commit{SHA: c.ID, Message: c.Message, Time: c.Timestamp.UTC()}
	if a := c.Author; a != nil {
		out.AuthorName, out.AuthorEmail, out.AuthorLogin = a.Name, a.Email, a.UserName
	}
	return out
}

// orTime is t when the payload has it, else fallback.
func orTime(t, fallback time.Time) time.Time {
	if t.IsZero() {
		return fallback
	}
	return t.UTC()
}

// issueTime is when the action happened, as near as the payload says. A
// label change has no time of its own; the issue's updated_at is the nearest.
func issueTime(i *issue, action string, fallback time.Time) time.Time {
	switch action {
	case forges.ActionOpened:
		return orTime(i.CreatedAt, orTime(i.UpdatedAt, fallback))
	case forges.ActionClosed:
		return orTime(i.ClosedAt, orTime(i.UpdatedAt, fallback))
	}
	return orTime(i.UpdatedAt, fallback)
}

func pullTime(p *pullRequest, action string, fallback time.Time) time.Time {
	switch action {
	case forges.ActionOpened:
		return orTime(p.CreatedAt, orTime(p.UpdatedAt, fallback))
	case forges.ActionClosed:
		if p.Merged {
			return orTime(p.MergedAt, orTime(p.ClosedAt, orTime(p.UpdatedAt, fallback)))
		}
		return orTime(p.ClosedAt, orTime(p.UpdatedAt, fallback))
	}
	return orTime(p.UpdatedAt, fallback)
}

func commentTime(c *forges.Comment, action string, fallback time.Time) time.Time {
	switch action {
	case forges.ActionCreated:
		return orTime(c.CreatedAt, fallback)
	case forges.ActionEdited:
		return orTime(c.UpdatedAt, orTime(c.CreatedAt, fallback))
	}
	// A deletion's time is not in the payload: the receipt is the best there is.
	return fallback
}

// pushTime is the receipt time. Gitea's payload has no time for the push
// itself, and a commit's timestamp is its author date, which can be years
// before the push (a rebased or cherry-picked commit); each commit keeps its
// own time in Push.Commits.
func pushTime(fallback time.Time) time.Time { return fallback }
