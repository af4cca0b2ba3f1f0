package gitea

import (
	"context"
	"strconv"
	"strings"
	"time"

	sdk "code.gitea.io/sdk/gitea"

	"github.com/accord-coop/accord/forges"
)

// ListUpdatedIssues returns one page of the repository's issues and pull
// requests (IsPull) updated at or after since, open and closed, in Gitea's
// order (it cannot sort: newest first).
func (c *Client) ListUpdatedIssues(ctx context.Context, repo forges.RepoRef, since time.Time, page int) (_ []forges.Issue, _ forges.Page, err error) {
	k := c.begin(ctx, "ListUpdatedIssues")
	defer k.done(&err)
	is, next, err := onePage(k, page, func(lo sdk.ListOptions) ([]*sdk.Issue, *sdk.Response, error) {
		opt := sdk.ListIssueOption{ListOptions: lo, State: sdk.StateAll, Since: since}
		return k.api.ListRepoIssues(repo.Owner, repo.Name, opt)
	})
	if err != nil {
		return nil, forges.Page{}, err
	}
	out := make([]forges.Issue, 0, len(is))
	for _, i := range is {
		if i != nil {
			x := toAPIIssue(i)
			x.IsPull = i.PullRequest != nil
			out = append(out, x)
		}
	}
	return out, next, nil
}

// ListRepoComments returns one page of the comments on the repository's
// issues and pull requests updated at or after since, oldest first. Gitea
// names a comment's issue only by its API URL (…/issues/12, for a pull
// request too).
func (c *Client) ListRepoComments(ctx context.Context, repo forges.RepoRef, since time.Time, page int) (_ []forges.IssueComment, _ forges.Page, err error) {
	k := c.begin(ctx, "ListRepoComments")
	defer k.done(&err)
	cms, next, err := onePage(k, page, func(lo sdk.ListOptions) ([]*sdk.Comment, *sdk.Response, error) {
		return k.api.ListRepoIssueComments(repo.Owner, repo.Name, sdk.ListIssueCommentOptions{ListOptions: lo, Since: since})
	})
	if err != nil {
		return nil, forges.Page{}, err
	}
	out := make([]forges.IssueComment, 0, len(cms))
	for _, cm := range cms {
		if cm == nil {
			continue
		}
		u := strings.TrimSuffix(cm.IssueURL, "/")
		if u == "" {
			u = strings.TrimSuffix(cm.PRURL, "/")
		}
		n, _ := strconv.ParseInt(u[strings.LastIndexByte(u, '/')+1:], 10, 64)
		out = append(out, forges.IssueComment{Number: n, Comment: toAPIComment(cm)})
	}
	return out, next, nil
}

// RecentDeliveries is not supported: Gitea and Forgejo mark a failed
// delivery and move on, and their API offers nothing to resend it by.
// Catching up scans the repositories instead.
func (c *Client) RecentDeliveries(context.Context, []forges.RepoRef, time.Time) ([]forges.DeliveryRecord, error) {
	return nil, forges.ErrNotSupported
}

// Redeliver is not supported (see RecentDeliveries).
func (c *Client) Redeliver(context.Context, forges.DeliveryRecord) error {
	return forges.ErrNotSupported
}

// GetPull returns a pull request.
func (c *Client) GetPull(ctx context.Context, repo forges.RepoRef, number int64) (_ *forges.PullRequest, err error) {
	k := c.begin(ctx, "GetPull")
	defer k.done(&err)
	p, resp, err := k.api.GetPullRequest(repo.Owner, repo.Name, number)
	if err := k.check(resp, err); err != nil {
		return nil, err
	}
	out := toAPIPull(p)
	return &out, nil
}
