package github

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"time"

	gh "github.com/google/go-github/v60/github"

	"github.com/accord-coop/accord/forges"
)

// ListUpdatedIssues returns one page of the issues and pull requests
// updated at or after since, least recently updated first.
func (c *Client) ListUpdatedIssues(ctx context.Context, repo forges.RepoRef, since time.Time, page int) ([]forges.Issue, forges.Page, error) {
	const op = "ListUpdatedIssues"
	page = max(page, 1)
	api, err := c.repoClient(ctx, op, repo)
	if err != nil {
		return nil, forges.Page{}, err
	}
	issues, next, err := onePage(c, op, page, func(page int) ([]*gh.Issue, *gh.Response, error) {
		opts := &gh.IssueListByRepoOptions{
			State:       "all",
			Sort:        "updated",
			Direction:   "asc",
			Since:       since,
			ListOptions: gh.ListOptions{Page: page, PerPage: listPage},
		}
		return api.Issues.ListByRepo(ctx, repo.Owner, repo.Name, opts)
	})
	if err != nil {
		return nil, forges.Page{}, err
	}
	out := make([]forges.Issue, 0, len(issues))
	for _, i := range issues {
		is := issue(i)
		is.IsPull = i.IsPullRequest()
		is.CreatedAt = i.GetCreatedAt().Time.UTC()
		out = append(out, *is)
	}
	return out, next, nil
}

// ListRepoComments returns one page of the repository's issue and pull
// request comments updated at or after since, oldest first.
func (c *Client) ListRepoComments(ctx context.Context, repo forges.RepoRef, since time.Time, page int) ([]forges.IssueComment, forges.Page, error) {
	const op = "ListRepoComments"
	page = max(page, 1)
	api, err := c.repoClient(ctx, op, repo)
	if err != nil {
		return nil, forges.Page{}, err
	}
	cms, next, err := onePage(c, op, page, func(page int) ([]*gh.IssueComment, *gh.Response, error) {
		opts := &gh.IssueListCommentsOptions{
			Sort:        gh.String("created"),
			Direction:   gh.String("asc"),
			Since:       &since,
			ListOptions: gh.ListOptions{Page: page, PerPage: listPage},
		}
		return api.Issues.ListComments(ctx, repo.Owner, repo.Name, 0, opts)
	})
	if err != nil {
		return nil, forges.Page{}, err
	}
	out := make([]forges.IssueComment, 0, len(cms))
	for _, cm := range cms {
		out = append(out, forges.IssueComment{Number: issueNumber(cm.GetIssueURL()), Comment: *comment(cm)})
	}
	return out, next, nil
}

// issueNumber is the number at the end of an issue's API URL.
func issueNumber(u string) int64 {
	var n int64
	for _, r := range u[strings.LastIndexByte(u, '/')+1:] {
		if r < '0' || r > '9' {
			return 0
		}
		n = n*10 + int64(r-'0')
	}
	return n
}

// deliveryPage is how many deliveries one page of the deliveries API holds.
const deliveryPage = 100

// RecentDeliveries lists the attempts at deliveries made at or after
// since, newest first, following the cursor of the Link header until an
// attempt older than since. As an App, its hook's (repos are not needed:
// the App's deliveries API needs the App's JWT, not an installation's
// token); with a token, those of each repo's webhooks whose URL ends in
// /hooks/{forge}.
func (c *Client) RecentDeliveries(ctx context.Context, repos []forges.RepoRef, since time.Time) ([]forges.DeliveryRecord, error) {
	const op = "RecentDeliveries"
	if c.app != nil {
		return c.deliveries(op, forges.RepoRef{}, 0, since, func(opts *gh.ListCursorOptions) ([]*gh.HookDelivery, *gh.Response, error) {
			return c.app.Apps.ListHookDeliveries(ctx, opts)
		})
	}
	var out []forges.DeliveryRecord
	for _, repo := range repos {
		hooks, err := pages(c, op, func(page int) ([]*gh.Hook, *gh.Response, error) {
			return c.token.Repositories.ListHooks(ctx, repo.Owner, repo.Name, &gh.ListOptions{PerPage: 100, Page: page})
		})
		if err != nil {
			return nil, err
		}
		for _, h := range hooks {
			if !c.ourHook(h.GetConfig().GetURL()) {
				continue
			}
			ds, err := c.deliveries(op, repo, h.GetID(), since, func(opts *gh.ListCursorOptions) ([]*gh.HookDelivery, *gh.Response, error) {
				return c.token.Repositories.ListHookDeliveries(ctx, repo.Owner, repo.Name, h.GetID(), opts)
			})
			if err != nil {
				return nil, err
			}
			out = append(out, ds...)
		}
	}
	return out, nil
}

// ourHook reports whether a webhook sends to this forge's /hooks/{forge}.
func (c *Client) ourHook(hookURL string) bool {
	u, err := url.Parse(hookURL)
	return err == nil && strings.HasSuffix(strings.TrimSuffix(u.Path, "/"), "/hooks/"+c.forge)
}

func (c *Client) deliveries(op string, repo forges.RepoRef, hookID int64, since time.Time, list func(*gh.ListCursorOptions) ([]*gh.HookDelivery, *gh.Response, error)) ([]forges.DeliveryRecord, error) {
	var out []forges.DeliveryRecord
	cursor := ""
	for {
		next := ""
		items, err := get(c, op, func() ([]*gh.HookDelivery, *gh.Response, error) {
			items, resp, err := list(&gh.ListCursorOptions{PerPage: deliveryPage, Cursor: cursor})
			if resp != nil {
				next = resp.Cursor
			}
			return items, resp, err
		})
		if err != nil {
			return nil, err
		}
		for _, d := range items {
			at := d.GetDeliveredAt().Time.UTC()
			if at.Before(since) {
				return out, nil // newest first: the rest are older
			}
			out = append(out, forges.DeliveryRecord{
				ID: d.GetGUID(), Attempt: d.GetID(), Event: d.GetEvent(), Action: d.GetAction(), At: at,
				StatusCode: d.GetStatusCode(), Redelivery: d.GetRedelivery(), Repo: repo, HookID: hookID,
			})
		}
		if next == "" || next == cursor || len(items) == 0 {
			return out, nil
		}
		cursor = next
	}
}

// Redeliver asks GitHub for a new attempt of d's delivery. GitHub answers
// 202 Accepted, which go-github reports as an error; it is success.
func (c *Client) Redeliver(ctx context.Context, d forges.DeliveryRecord) error {
	const op = "Redeliver"
	return c.call(op, func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		switch {
		case d.HookID == 0 && c.app != nil:
			_, resp, err = c.app.Apps.RedeliverHookDelivery(ctx, d.Attempt)
		case d.HookID != 0 && c.token != nil:
			_, resp, err = c.token.Repositories.RedeliverHookDelivery(ctx, d.Repo.Owner, d.Repo.Name, d.HookID, d.Attempt)
		default:
			return nil, errors.New("the delivery is not of this client's hook")
		}
		var accepted *gh.AcceptedError
		if errors.As(err, &accepted) {
			err = nil
		}
		return resp, err
	})
}

// GetPull returns a pull request.
func (c *Client) GetPull(ctx context.Context, repo forges.RepoRef, number int64) (*forges.PullRequest, error) {
	const op = "GetPull"
	api, err := c.repoClient(ctx, op, repo)
	if err != nil {
		return nil, err
	}
	p, err := get(c, op, func() (*gh.PullRequest, *gh.Response, error) {
		return api.PullRequests.Get(ctx, repo.Owner, repo.Name, int(number))
	})
	if err != nil {
		return nil, err
	}
	return pull(p), nil
}
