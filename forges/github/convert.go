package github

import (
	"strings"

	gh "github.com/google/go-github/v60/github"

	"github.com/accord-coop/accord/forges"
)

// The conversions from go-github's types to the forge-neutral ones. go-github
// uses pointers for every field; its Get methods turn a missing one into the
// zero value, which is what the event model wants.

func user(u *gh.User) forges.User {
	if u == nil {
		return forges.User{}
	}
	return forges.User{
		ID:    u.GetID(),
		Login: u.GetLogin(),
		Email: u.GetEmail(),
		Bot:   u.GetType() == "Bot" || forges.IsBotLogin(u.GetLogin()),
	}
}

func labelNames(ls []*gh.Label) []string {
	out := make([]string, 0, len(ls))
	for _, l := range ls {
		out = append(out, l.GetName())
	}
	return out
}

func issue(i *gh.Issue) *forges.Issue {
	return &forges.Issue{
		Number:   int64(i.GetNumber()),
		Title:    i.GetTitle(),
		Author:   user(i.User),
		State:    i.GetState(),
		Labels:   labelNames(i.Labels),
		IsPull:   i.IsPullRequest(),
		URL:      i.GetHTMLURL(),
		ClosedAt: i.GetClosedAt().Time.UTC(),
	}
}

// pullFromIssue is what a comment on a pull request tells about it: GitHub
// sends the issue side only, so head and base are not known here.
func pullFromIssue(i *forges.Issue) *forges.PullRequest {
	return &forges.PullRequest{
		Number: i.Number,
		Title:  i.Title,
		Author: i.Author,
		State:  i.State,
		Labels: i.Labels,
		URL:    i.URL,
	}
}

func comment(c *gh.IssueComment) *forges.Comment {
	return &forges.Comment{
		ID:        c.GetID(),
		Body:      c.GetBody(),
		Author:    user(c.User),
		CreatedAt: c.GetCreatedAt().Time.UTC(),
		UpdatedAt: c.GetUpdatedAt().Time.UTC(),
		URL:       c.GetHTMLURL(),
	}
}

func pull(p *gh.PullRequest) *forges.PullRequest {
	out := &forges.PullRequest{
		Number:         int64(p.GetNumber()),
		Title:          p.GetTitle(),
		Author:         user(p.User),
		State:          p.GetState(),
		Merged:         p.GetMerged(),
		MergedAt:       p.GetMergedAt().Time.UTC(),
		MergeCommitSHA: p.GetMergeCommitSHA(),
		HeadSHA:        p.GetHead().GetSHA(),
		HeadRef:        p.GetHead().GetRef(),
		BaseRef:        p.GetBase().GetRef(),
		Labels:         labelNames(p.Labels),
		Additions:      p.GetAdditions(),
		Deletions:      p.GetDeletions(),
		URL:            p.GetHTMLURL(),
	}
	if p.MergedBy != nil {
		u := user(p.MergedBy)
		out.MergedBy = &u
	}
	if !out.Merged {
		// GitHub fills merge_commit_sha with a test merge while a PR is open;
		// only a merged PR's is a commit on the base branch.
		out.MergeCommitSHA = ""
	}
	return out
}

// reviewState normalizes GitHub's review states: webhooks send lower case,
// the REST API upper case.
func reviewState(s string) string {
	switch strings.ToLower(s) {
	case "approved":
		return forges.ReviewApproved
	case "changes_requested":
		return forges.ReviewChangesRequested
	}
	return forges.ReviewCommented
}

func review(r *gh.PullRequestReview) *forges.Review {
	return &forges.Review{
		ID:          r.GetID(),
		State:       reviewState(r.GetState()),
		Body:        r.GetBody(),
		Author:      user(r.User),
		SubmittedAt: r.GetSubmittedAt().Time.UTC(),
		CommitSHA:   r.GetCommitID(),
	}
}

func push(e *gh.PushEvent) *forges.Push {
	p := &forges.Push{
		Ref:     e.GetRef(),
		Before:  e.GetBefore(),
		After:   e.GetAfter(),
		Commits: make([]forges.Commit, 0, len(e.Commits)),
	}
	if e.Pusher != nil {
		// GitHub's pusher has the login in "name".
		p.Pusher = forges.User{Login: e.Pusher.GetName(), Email: e.Pusher.GetEmail()}
		p.Pusher.Bot = forges.IsBotLogin(p.Pusher.Login)
	}
	for _, c := range e.Commits {
		p.Commits = append(p.Commits, forges.Commit{
			SHA:         c.GetID(),
			Message:     c.GetMessage(),
			AuthorName:  c.GetAuthor().GetName(),
			AuthorEmail: c.GetAuthor().GetEmail(),
			AuthorLogin: c.GetAuthor().GetLogin(),
			Time:        c.GetTimestamp().Time.UTC(),
		})
	}
	return p
}

func release(r *gh.RepositoryRelease) *forges.Release {
	return &forges.Release{
		ID:         r.GetID(),
		Tag:        r.GetTagName(),
		Name:       r.GetName(),
		Author:     user(r.Author),
		Draft:      r.GetDraft(),
		Prerelease: r.GetPrerelease(),
		URL:        r.GetHTMLURL(),
	}
}

func installation(i *gh.Installation) *forges.Installation {
	return &forges.Installation{ID: i.GetID(), Account: i.GetAccount().GetLogin()}
}

func repoNames(rs []*gh.Repository) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.GetFullName())
	}
	return out
}
