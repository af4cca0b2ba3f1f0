package gitea

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	sdk "code.gitea.io/sdk/gitea"

	"github.com/accord-coop/accord/forges"
)

// ClientConfig configures a Gitea or Forgejo client.
type ClientConfig struct {
	Forge      string           // configured forge name, used in errors and metrics
	Flavor     Flavor           // Gitea or Forgejo; decides the hook type Connect creates
	BaseURL    string           // e.g. https://codeberg.org, with or without a trailing slash
	Token      string           // access token
	HTTPClient *http.Client     // nil: a client with a 30 s timeout
	Observer   forges.Observer  // nil: forges.NopObserver{}
	Now        func() time.Time // nil: time.Now; tests fix it to check RetryAt
}

// Client acts on one Gitea or Forgejo forge through its REST API. Both
// forges serve the same API, so one implementation does for both.
type Client struct {
	forge   string
	flavor  Flavor
	baseURL string
	token   string
	http    *http.Client
	obs     forges.Observer
	now     func() time.Time
}

var _ forges.Client = (*Client)(nil)

const (
	// pageSize is how many items a list call asks for per page. Servers cap
	// it at their MAX_RESPONSE_ITEMS (50 by default), so more gains nothing.
	pageSize       = 50
	defaultTimeout = 30 * time.Second
	userAgent      = "accord"
)

// hookEvents are the events Connect subscribes a hook to: everything the
// webhook parser turns into an event Accord acts on.
var hookEvents = []string{
	"issues", "issue_comment", "issue_label",
	"pull_request", "pull_request_comment",
	"pull_request_review_approved", "pull_request_review_rejected", "pull_request_review_comment",
	"pull_request_label", "pull_request_sync",
	"push", "release",
}

// NewClient makes a client without calling the forge: Check does that.
func NewClient(cfg ClientConfig) (*Client, error) {
	if cfg.BaseURL == "" {
		return nil, fmt.Errorf("forge %q: no base URL", cfg.Forge)
	}
	if cfg.Token == "" {
		return nil, fmt.Errorf("forge %q: no token", cfg.Forge)
	}
	// The URL is not quoted back: it may carry userinfo.
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("forge %q: the base URL is not an absolute http(s) URL", cfg.Forge)
	}
	c := &Client{
		forge:   cfg.Forge,
		flavor:  cfg.Flavor,
		baseURL: strings.TrimRight(cfg.BaseURL, "/"),
		token:   cfg.Token,
		http:    cfg.HTTPClient,
		obs:     cfg.Observer,
		now:     cfg.Now,
	}
	if c.http == nil {
		c.http = &http.Client{Timeout: defaultTimeout}
	}
	if c.obs == nil {
		c.obs = forges.NopObserver{}
	}
	if c.now == nil {
		c.now = time.Now
	}
	if _, err := c.sdkClient(context.Background()); err != nil {
		return nil, fmt.Errorf("forge %q: %s", c.forge, c.scrub(err.Error()))
	}
	return c, nil
}

// sdkClient makes an SDK client bound to ctx. The SDK keeps one context per
// client rather than per call, so each call gets its own client: they are
// cheap, and sharing one would let concurrent calls swap contexts.
// SetGiteaVersion("") stops the SDK from asking the server's version, which
// would be a network call here and one more on every new client.
func (c *Client) sdkClient(ctx context.Context) (*sdk.Client, error) {
	return sdk.NewClient(c.baseURL,
		sdk.SetToken(c.token),
		sdk.SetHTTPClient(c.http),
		sdk.SetContext(ctx),
		sdk.SetGiteaVersion(""),
		sdk.SetUserAgent(userAgent))
}

// call is one Client method under way: it reports to the Observer and turns
// the SDK's failures into *forges.APIError.
type call struct {
	c     *Client
	op    string
	start time.Time
	api   *sdk.Client
}

func (c *Client) begin(ctx context.Context, op string) *call {
	// NewClient made one with the same options, and none of them can fail
	// with another context, so the error is always nil here.
	api, _ := c.sdkClient(ctx)
	return &call{c: c, op: op, start: time.Now(), api: api}
}

// done reports the finished call; deferred with the method's named error.
func (k *call) done(err *error) {
	k.c.obs.APICall(k.c.forge, k.op, forges.Outcome(*err), time.Since(k.start))
}

// check notes the rate limit an answer reports and turns a failed request
// into an *forges.APIError. It returns a nil error on success.
func (k *call) check(resp *sdk.Response, err error) error {
	var hr *http.Response
	if resp != nil {
		hr = resp.Response
	}
	if hr != nil {
		k.noteRateLimit(hr.Header)
	}
	if err == nil {
		return nil
	}
	return k.fail(hr, err)
}

// fail makes the APIError for err. For a non-2xx answer the SDK's error text
// is the server's "message", so it becomes the message. An error without an
// answer is a network failure (status 0, temporary) unless the SDK refused
// the request before sending it (an empty path segment, a malformed colour):
// that is marked 400, because sending it again cannot help.
func (k *call) fail(hr *http.Response, err error) *forges.APIError {
	msg := strings.ReplaceAll(k.c.scrub(err.Error()), "\n", " ")
	e := forges.NewAPIError(k.c.forge, k.op, hr, err, msg, k.c.now())
	var ue *url.Error
	if hr == nil && !errors.As(err, &ue) {
		e.Status = http.StatusBadRequest
	}
	return e
}

// scrub takes the token out of a message. Gitea never echoes it, but a proxy
// in front of it might put the request's headers into an error page.
func (c *Client) scrub(s string) string {
	return strings.ReplaceAll(s, c.token, "[token]")
}

func (k *call) noteRateLimit(h http.Header) {
	v := h.Get("X-RateLimit-Remaining")
	if v == "" {
		return
	}
	if n, err := strconv.Atoi(v); err == nil {
		k.c.obs.RateLimit(k.c.forge, n)
	}
}

// pages collects a paginated list: page 1, 2, … until nextPage says the
// last has come.
func pages[T any](k *call, list func(sdk.ListOptions) ([]T, *sdk.Response, error)) ([]T, error) {
	var all []T
	page := 1
	for {
		items, resp, err := list(sdk.ListOptions{Page: page, PageSize: pageSize})
		if err := k.check(resp, err); err != nil {
			return nil, err
		}
		all = append(all, items...)
		if page = nextPage(resp, page, len(items), len(all)); page == 0 {
			return all, nil
		}
	}
}

// onePage asks for one page (from 1; less is 1) of a list and says which
// page comes next, 0 after the last, as pages decides.
func onePage[T any](k *call, page int, list func(sdk.ListOptions) ([]T, *sdk.Response, error)) ([]T, forges.Page, error) {
	page = max(page, 1)
	items, resp, err := list(sdk.ListOptions{Page: page, PageSize: pageSize})
	if err := k.check(resp, err); err != nil {
		return nil, forges.Page{}, err
	}
	next := nextPage(resp, page, len(items), (page-1)*pageSize+len(items))
	return items, forges.Page{Next: next, Last: lastPage(resp, page, next)}, nil
}

// lastPage is the list's last page: page itself when nothing follows,
// else from X-Total-Count (Gitea and Forgejo send it on every list), else
// the Link header's rel="last", else 0 (unknown).
func lastPage(resp *sdk.Response, page, next int) int {
	if next == 0 {
		return page
	}
	if resp.Response != nil {
		if total, err := strconv.Atoi(resp.Header.Get("X-Total-Count")); err == nil && total > 0 {
			return max((total+pageSize-1)/pageSize, next)
		}
	}
	if resp.LastPage >= next {
		return resp.LastPage
	}
	return 0
}

// nextPage is the page after page, which held n items, or 0 when it was
// the last; seen is how many items pages up to this one held. A short page
// is the last. A full one is followed by the page its Link header names
// next, and is the last when the Link names none: Gitea ignores page and
// limit on some endpoints (issue comments) and sends everything with no
// Link, so a long first page must still end the list. Some endpoints (a
// pull request's reviews) paginate but send no Link at all, only
// X-Total-Count: there a full page is followed by page+1 while the total is
// more than seen, which also ends an unpaginated answer holding everything.
func nextPage(resp *sdk.Response, page, n, seen int) int {
	if n < pageSize {
		return 0
	}
	if resp.NextPage > page {
		return resp.NextPage
	}
	if resp.Response == nil || resp.Header.Get("Link") != "" {
		return 0
	}
	if total, err := strconv.Atoi(resp.Header.Get("X-Total-Count")); err == nil && total > seen {
		return page + 1
	}
	return 0
}

// CreateComment posts a comment on an issue or pull request.
func (c *Client) CreateComment(ctx context.Context, repo forges.RepoRef, number int64, body string) (_ *forges.Comment, err error) {
	k := c.begin(ctx, "CreateComment")
	defer k.done(&err)
	cm, resp, err := k.api.CreateIssueComment(repo.Owner, repo.Name, number, sdk.CreateIssueCommentOption{Body: body})
	if err = k.check(resp, err); err != nil {
		return nil, err
	}
	out := toAPIComment(cm)
	return &out, nil
}

// EditComment replaces the body of a comment.
func (c *Client) EditComment(ctx context.Context, repo forges.RepoRef, commentID int64, body string) (err error) {
	k := c.begin(ctx, "EditComment")
	defer k.done(&err)
	_, resp, err := k.api.EditIssueComment(repo.Owner, repo.Name, commentID, sdk.EditIssueCommentOption{Body: body})
	return k.check(resp, err)
}

// ListComments returns every comment of an issue or pull request, in the
// order Gitea keeps them (oldest first).
func (c *Client) ListComments(ctx context.Context, repo forges.RepoRef, number int64) (_ []forges.Comment, err error) {
	k := c.begin(ctx, "ListComments")
	defer k.done(&err)
	cms, err := pages(k, func(lo sdk.ListOptions) ([]*sdk.Comment, *sdk.Response, error) {
		return k.api.ListIssueComments(repo.Owner, repo.Name, number, sdk.ListIssueCommentOptions{ListOptions: lo})
	})
	if err != nil {
		return nil, err
	}
	out := make([]forges.Comment, 0, len(cms))
	for _, cm := range cms {
		if cm != nil {
			out = append(out, toAPIComment(cm))
		}
	}
	return out, nil
}

// AddLabels adds labels to an issue or pull request. Gitea adds labels by
// ID, so the repository's labels are listed first and the missing ones
// created. Labels of the owning organization are not listed by Gitea's
// repository endpoint, so a repository label is made beside one of those.
// No labels is nothing to do, and no call is made or reported.
func (c *Client) AddLabels(ctx context.Context, repo forges.RepoRef, number int64, labels []forges.Label) (err error) {
	if len(labels) == 0 {
		return nil
	}
	k := c.begin(ctx, "AddLabels")
	defer k.done(&err)
	have, err := k.repoLabels(repo)
	if err != nil {
		return err
	}
	ids := make([]int64, 0, len(labels))
	added := map[int64]bool{}
	for _, l := range labels {
		id, ok := have[l.Name]
		if !ok {
			if id, err = k.createLabel(repo, l); err != nil {
				return err
			}
			have[l.Name] = id
		}
		if !added[id] {
			added[id] = true
			ids = append(ids, id)
		}
	}
	_, resp, err := k.api.AddIssueLabels(repo.Owner, repo.Name, number, sdk.IssueLabelsOption{Labels: ids})
	return k.check(resp, err)
}

// repoLabels maps the repository's label names to their IDs.
func (k *call) repoLabels(repo forges.RepoRef) (map[string]int64, error) {
	ls, err := pages(k, func(lo sdk.ListOptions) ([]*sdk.Label, *sdk.Response, error) {
		return k.api.ListRepoLabels(repo.Owner, repo.Name, sdk.ListLabelsOptions{ListOptions: lo})
	})
	if err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(ls))
	for _, l := range ls {
		if l != nil {
			out[l.Name] = l.ID
		}
	}
	return out, nil
}

// defaultLabelColor is the colour of a label given none: Gitea requires one.
const defaultLabelColor = "ededed"

func (k *call) createLabel(repo forges.RepoRef, l forges.Label) (int64, error) {
	color := strings.TrimPrefix(l.Color, "#")
	if color == "" {
		color = defaultLabelColor
	}
	opt := sdk.CreateLabelOption{Name: l.Name, Color: "#" + color, Description: l.Description}
	made, resp, err := k.api.CreateLabel(repo.Owner, repo.Name, opt)
	if err := k.check(resp, err); err != nil {
		return 0, err
	}
	return made.ID, nil
}

// RemoveLabel removes a label from an issue or pull request. A label the
// repository does not have, or one the issue does not carry, is no error.
func (c *Client) RemoveLabel(ctx context.Context, repo forges.RepoRef, number int64, name string) (err error) {
	k := c.begin(ctx, "RemoveLabel")
	defer k.done(&err)
	have, err := k.repoLabels(repo)
	if err != nil {
		return err
	}
	id, ok := have[name]
	if !ok {
		return nil
	}
	resp, err := k.api.DeleteIssueLabel(repo.Owner, repo.Name, number, id)
	if err = k.check(resp, err); errors.Is(err, forges.ErrNotFound) {
		return nil
	}
	return err
}

// AddReaction reacts to a comment. Gitea answers 200 rather than 201 when
// the reaction is already there, which is success too.
func (c *Client) AddReaction(ctx context.Context, repo forges.RepoRef, commentID int64, reaction string) (err error) {
	k := c.begin(ctx, "AddReaction")
	defer k.done(&err)
	_, resp, err := k.api.PostIssueCommentReaction(repo.Owner, repo.Name, commentID, reaction)
	return k.check(resp, err)
}

// GetFile returns a file's content at ref; an empty ref asks Gitea for the
// default branch.
func (c *Client) GetFile(ctx context.Context, repo forges.RepoRef, path, ref string) (_ []byte, err error) {
	k := c.begin(ctx, "GetFile")
	defer k.done(&err)
	cr, resp, err := k.api.GetContents(repo.Owner, repo.Name, ref, path)
	if err = k.check(resp, err); err != nil {
		return nil, err
	}
	data, derr := fileContent(cr)
	if derr != nil {
		// The forge answered 200, so the status says so: the error is
		// permanent, as asking again gets the same thing.
		return nil, k.fail(resp.Response, fmt.Errorf("%s: %w", path, derr))
	}
	return data, nil
}

// fileContent decodes a contents answer, which carries the file base64
// encoded. Newlines are dropped first: Gitea sends none, but other forges
// wrap the encoding and a proxy might too.
func fileContent(cr *sdk.ContentsResponse) ([]byte, error) {
	if cr.Type != "file" || cr.Content == nil {
		return nil, fmt.Errorf("is a %s, not a file", cr.Type)
	}
	if cr.Encoding != nil && *cr.Encoding != "base64" {
		return nil, fmt.Errorf("unknown encoding %q", *cr.Encoding)
	}
	return base64.StdEncoding.DecodeString(strings.ReplaceAll(*cr.Content, "\n", ""))
}

// PutFile commits content to path on branch ("" for the default branch).
// It reads the file first: a 404 means it is not there and is created
// (POST); otherwise it is replaced with its blob SHA (PUT), or, when it
// holds content already, left alone with no commit. Gitea refuses a write
// whose SHA is stale, or a creation of a file that exists by now, with a
// 422 (Forgejo may say 409): that is a Conflict, to try again.
func (c *Client) PutFile(ctx context.Context, repo forges.RepoRef, path, branch string, content []byte, message string) (_ string, err error) {
	k := c.begin(ctx, "PutFile")
	defer k.done(&err)
	switch {
	case path == "" || strings.HasSuffix(path, "/"):
		return "", k.fail(nil, fmt.Errorf("path %q does not name a file", path))
	case strings.Contains(path, ".."):
		return "", k.fail(nil, fmt.Errorf("path %q must not contain \"..\"", path))
	}
	cr, resp, err := k.api.GetContents(repo.Owner, repo.Name, branch, path)
	err = k.check(resp, err)
	sha := ""
	switch {
	case errors.Is(err, forges.ErrNotFound):
	case err != nil:
		return "", err
	case sameFile(cr, content):
		return "", nil
	default:
		sha = cr.SHA
	}
	// The SDK always sends the commit's dates, zero when unset, and Gitea
	// 1.25.0 and 1.25.1 dated such a commit 2001-01-01 (go-gitea/gitea
	// #35860): they are set, to the client's clock.
	now := c.now().UTC()
	opts := sdk.FileOptions{
		BranchName: branch,
		Message:    message,
		Dates:      sdk.CommitDateOptions{Author: now, Committer: now},
	}
	encoded := base64.StdEncoding.EncodeToString(content)
	var fr *sdk.FileResponse
	if sha == "" {
		fr, resp, err = k.api.CreateFile(repo.Owner, repo.Name, path, sdk.CreateFileOptions{FileOptions: opts, Content: encoded})
	} else {
		fr, resp, err = k.api.UpdateFile(repo.Owner, repo.Name, path, sdk.UpdateFileOptions{FileOptions: opts, SHA: sha, Content: encoded})
	}
	if err = k.check(resp, err); err != nil {
		var ae *forges.APIError
		if errors.As(err, &ae) && lostRace(ae) {
			ae.Conflict = true
		}
		return "", err
	}
	var commit string
	if fr.Commit != nil {
		commit = fr.Commit.SHA
	}
	return k.commitSHA(resp, path, commit)
}

// sameFile reports whether a contents answer is a file holding content: by
// its decoded content, or, where Gitea leaves that out (a file over its
// API's blob size limit), by its blob SHA. A directory's listing does not
// decode as one file, so the SDK fails for it before this.
func sameFile(cr *sdk.ContentsResponse, content []byte) bool {
	if have, err := fileContent(cr); err == nil {
		return bytes.Equal(have, content)
	}
	return cr.SHA == forges.BlobSHA(content)
}

// lostRace reports the answers to a write based on a file that has changed
// since it was read: Gitea's 422 for a stale SHA ("sha does not match …")
// or for creating a file that exists ("repository file already exists …"),
// and any 409.
func lostRace(e *forges.APIError) bool {
	if e.Status == http.StatusConflict {
		return true
	}
	return e.Status == http.StatusUnprocessableEntity &&
		(strings.HasPrefix(e.Message, "sha does not match") || strings.HasPrefix(e.Message, "repository file already exists"))
}

// ListDir lists a directory at ref.
func (c *Client) ListDir(ctx context.Context, repo forges.RepoRef, path, ref string) (_ []forges.DirEntry, err error) {
	k := c.begin(ctx, "ListDir")
	defer k.done(&err)
	list, resp, err := k.api.ListContents(repo.Owner, repo.Name, ref, path)
	if err = k.check(resp, err); err != nil {
		return nil, err
	}
	out := make([]forges.DirEntry, 0, len(list))
	for _, e := range list {
		if e != nil {
			out = append(out, forges.DirEntry{Name: e.Name, Path: e.Path, Type: e.Type, SHA: e.SHA})
		}
	}
	return out, nil
}

// DefaultBranch returns the repository's default branch.
func (c *Client) DefaultBranch(ctx context.Context, repo forges.RepoRef) (_ string, err error) {
	k := c.begin(ctx, "DefaultBranch")
	defer k.done(&err)
	r, resp, err := k.api.GetRepo(repo.Owner, repo.Name)
	if err = k.check(resp, err); err != nil {
		return "", err
	}
	return r.DefaultBranch, nil
}

// ResolveRef returns the commit SHA a branch, tag or SHA names now. Gitea's
// API has no one endpoint for any ref, so: a full SHA is returned as it is,
// with no call; otherwise the branch of that name, or, when there is none,
// the tag. An empty ref is the default branch, which has no tag fallback.
func (c *Client) ResolveRef(ctx context.Context, repo forges.RepoRef, ref string) (_ string, err error) {
	if forges.IsSHA(ref) {
		return ref, nil
	}
	k := c.begin(ctx, "ResolveRef")
	defer k.done(&err)
	if strings.Contains(ref, "..") {
		// Not a git ref name, and a path that would climb out of …/branches/.
		return "", k.fail(nil, fmt.Errorf("ref %q must not contain \"..\"", ref))
	}
	isDefault := ref == ""
	if isDefault {
		r, resp, err := k.api.GetRepo(repo.Owner, repo.Name)
		if err = k.check(resp, err); err != nil {
			return "", err
		}
		if r.DefaultBranch == "" {
			return "", k.fail(resp.Response, errors.New("the repository has no default branch"))
		}
		ref = r.DefaultBranch
	}
	b, resp, err := k.api.GetRepoBranch(repo.Owner, repo.Name, ref)
	err = k.check(resp, err)
	if err == nil {
		var id string
		if b.Commit != nil {
			id = b.Commit.ID
		}
		return k.commitSHA(resp, "branch "+ref, id)
	}
	if isDefault || !errors.Is(err, forges.ErrNotFound) {
		return "", err
	}
	t, resp, err := k.api.GetTag(repo.Owner, repo.Name, ref)
	if err = k.check(resp, err); err != nil {
		return "", err
	}
	var sha string
	if t.Commit != nil {
		sha = t.Commit.SHA // the commit; t.ID is an annotated tag's own object
	}
	return k.commitSHA(resp, "tag "+ref, sha)
}

// commitSHA is the SHA a 200 answer gave for what, which must be a SHA.
func (k *call) commitSHA(resp *sdk.Response, what, sha string) (string, error) {
	if !forges.IsSHA(sha) {
		// The forge answered 200, so the error is permanent.
		return "", k.fail(resp.Response, fmt.Errorf("%s: the answer has no commit SHA", what))
	}
	return sha, nil
}

// Permission returns a user's permission on the repository. Gitea answers
// 404 for an unknown user and 403 when it will not tell (a token without
// admin rights asking about someone else); both are PermNone, so a bot
// lacking rights denies rather than fails open. A 403 that is a rate limit
// stays an error.
func (c *Client) Permission(ctx context.Context, repo forges.RepoRef, login string) (_ string, err error) {
	k := c.begin(ctx, "Permission")
	defer k.done(&err)
	res, resp, err := k.api.CollaboratorPermission(repo.Owner, repo.Name, login)
	if err = k.check(resp, err); err != nil {
		var ae *forges.APIError
		if errors.As(err, &ae) && !ae.RateLimited() &&
			(ae.Status == http.StatusNotFound || ae.Status == http.StatusForbidden) {
			return forges.PermNone, nil
		}
		return "", err
	}
	if res == nil {
		return forges.PermNone, nil
	}
	return permission(res.Permission), nil
}

// permission normalizes Gitea's access modes; anything unknown is none.
func permission(m sdk.AccessMode) string {
	switch m {
	case sdk.AccessModeOwner, sdk.AccessModeAdmin:
		return forges.PermAdmin
	case sdk.AccessModeWrite:
		return forges.PermWrite
	case sdk.AccessModeRead:
		return forges.PermRead
	}
	return forges.PermNone
}

// SetStatus sets a commit status on sha.
func (c *Client) SetStatus(ctx context.Context, repo forges.RepoRef, sha string, st forges.Status) (err error) {
	k := c.begin(ctx, "SetStatus")
	defer k.done(&err)
	opt := sdk.CreateStatusOption{
		State:       sdk.StatusState(st.State),
		TargetURL:   st.TargetURL,
		Description: st.Description,
		Context:     st.Context,
	}
	_, resp, err := k.api.CreateStatus(repo.Owner, repo.Name, sha, opt)
	return k.check(resp, err)
}

// PullCommits returns a pull request's commits.
func (c *Client) PullCommits(ctx context.Context, repo forges.RepoRef, number int64) (_ []forges.Commit, err error) {
	k := c.begin(ctx, "PullCommits")
	defer k.done(&err)
	cs, err := pages(k, func(lo sdk.ListOptions) ([]*sdk.Commit, *sdk.Response, error) {
		return k.api.ListPullRequestCommits(repo.Owner, repo.Name, number, sdk.ListPullRequestCommitsOptions{ListOptions: lo})
	})
	if err != nil {
		return nil, err
	}
	out := make([]forges.Commit, 0, len(cs))
	for _, cm := range cs {
		if cm != nil {
			out = append(out, toAPICommit(cm))
		}
	}
	return out, nil
}

// FileHistory lists the commits on ref that changed path, newest first
// (Gitea's commit list filtered by path), at most limit.
func (c *Client) FileHistory(ctx context.Context, repo forges.RepoRef, path, ref string, limit int) (_ []string, err error) {
	k := c.begin(ctx, "FileHistory")
	defer k.done(&err)
	var out []string
	for page := 1; page > 0 && len(out) < limit; {
		cs, next, err := onePage(k, page, func(lo sdk.ListOptions) ([]*sdk.Commit, *sdk.Response, error) {
			return k.api.ListRepoCommits(repo.Owner, repo.Name, sdk.ListCommitOptions{ListOptions: lo, SHA: ref, Path: path})
		})
		if err != nil {
			return nil, err
		}
		for _, cm := range cs {
			if cm != nil && cm.CommitMeta != nil && len(out) < limit {
				out = append(out, cm.SHA)
			}
		}
		page = next.Next
	}
	return out, nil
}

// PullFiles returns the paths a pull request changes: each file's name
// and, for a rename, its previous name too; sorted, each once. Gitea sends
// previous_filename empty for all but renames.
func (c *Client) PullFiles(ctx context.Context, repo forges.RepoRef, number int64) (_ []string, err error) {
	k := c.begin(ctx, "PullFiles")
	defer k.done(&err)
	fs, err := pages(k, func(lo sdk.ListOptions) ([]*sdk.ChangedFile, *sdk.Response, error) {
		return k.api.ListPullRequestFiles(repo.Owner, repo.Name, number, sdk.ListPullRequestFilesOptions{ListOptions: lo})
	})
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		if f == nil {
			continue
		}
		for _, p := range []string{f.Filename, f.PreviousFilename} {
			if p != "" {
				out = append(out, p)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// ListClosedPulls returns one page of the repository's closed pull
// requests, merged or not, oldest (created) first.
func (c *Client) ListClosedPulls(ctx context.Context, repo forges.RepoRef, page int) (_ []forges.PullRequest, _ forges.Page, err error) {
	k := c.begin(ctx, "ListClosedPulls")
	defer k.done(&err)
	prs, next, err := onePage(k, page, func(lo sdk.ListOptions) ([]*sdk.PullRequest, *sdk.Response, error) {
		opt := sdk.ListPullRequestsOptions{ListOptions: lo, State: sdk.StateClosed, Sort: "oldest"}
		return k.api.ListRepoPullRequests(repo.Owner, repo.Name, opt)
	})
	if err != nil {
		return nil, forges.Page{}, err
	}
	out := make([]forges.PullRequest, 0, len(prs))
	for _, p := range prs {
		if p != nil {
			out = append(out, toAPIPull(p))
		}
	}
	return out, next, nil
}

// reviewStates maps the review states Accord counts to its own; the others
// (PENDING, not submitted yet, and REQUEST_REVIEW, a review asked of
// someone) are left out.
var reviewStates = map[sdk.ReviewStateType]string{
	sdk.ReviewStateApproved:       forges.ReviewApproved,
	sdk.ReviewStateRequestChanges: forges.ReviewChangesRequested,
	sdk.ReviewStateComment:        forges.ReviewCommented,
}

// ListReviews returns a pull request's submitted reviews, dismissed ones
// left out, in the order they were submitted.
func (c *Client) ListReviews(ctx context.Context, repo forges.RepoRef, number int64) (_ []forges.Review, err error) {
	k := c.begin(ctx, "ListReviews")
	defer k.done(&err)
	rs, err := pages(k, func(lo sdk.ListOptions) ([]*sdk.PullReview, *sdk.Response, error) {
		return k.api.ListPullReviews(repo.Owner, repo.Name, number, sdk.ListPullReviewsOptions{ListOptions: lo})
	})
	if err != nil {
		return nil, err
	}
	out := make([]forges.Review, 0, len(rs))
	for _, r := range rs {
		state, ok := "", false
		if r != nil && !r.Dismissed {
			state, ok = reviewStates[r.State]
		}
		if !ok {
			continue
		}
		out = append(out, forges.Review{
			ID:          r.ID,
			State:       state,
			Body:        r.Body,
			Author:      toAPIUser(r.Reviewer),
			SubmittedAt: known(r.Submitted),
			CommitSHA:   r.CommitID,
		})
	}
	// Gitea lists reviews as it made them, and a review made pending is
	// submitted later: by submission time is the order they counted in.
	slices.SortStableFunc(out, func(a, b forges.Review) int { return a.SubmittedAt.Compare(b.SubmittedAt) })
	return out, nil
}

// ListIssues returns one page of the repository's issues, open and closed,
// without pull requests. Gitea's issue list cannot be sorted: it comes
// newest (created) first, and so does each page here; the caller orders
// them.
func (c *Client) ListIssues(ctx context.Context, repo forges.RepoRef, page int) (_ []forges.Issue, _ forges.Page, err error) {
	k := c.begin(ctx, "ListIssues")
	defer k.done(&err)
	is, next, err := onePage(k, page, func(lo sdk.ListOptions) ([]*sdk.Issue, *sdk.Response, error) {
		opt := sdk.ListIssueOption{ListOptions: lo, State: sdk.StateAll, Type: sdk.IssueTypeIssue}
		return k.api.ListRepoIssues(repo.Owner, repo.Name, opt)
	})
	if err != nil {
		return nil, forges.Page{}, err
	}
	out := make([]forges.Issue, 0, len(is))
	for _, i := range is {
		// type=issues leaves pull requests out already; an older server
		// that ignores it would send them, marked.
		if i != nil && i.PullRequest == nil {
			out = append(out, toAPIIssue(i))
		}
	}
	return out, next, nil
}

// ListReleases returns one page of the repository's releases, newest first
// as Gitea lists them, drafts left out. A token with write access sees
// drafts listed, and they still count towards the page being full.
func (c *Client) ListReleases(ctx context.Context, repo forges.RepoRef, page int) (_ []forges.Release, _ forges.Page, err error) {
	k := c.begin(ctx, "ListReleases")
	defer k.done(&err)
	rs, next, err := onePage(k, page, func(lo sdk.ListOptions) ([]*sdk.Release, *sdk.Response, error) {
		return k.api.ListReleases(repo.Owner, repo.Name, sdk.ListReleasesOptions{ListOptions: lo})
	})
	if err != nil {
		return nil, forges.Page{}, err
	}
	out := make([]forges.Release, 0, len(rs))
	for _, r := range rs {
		if r != nil && !r.IsDraft {
			out = append(out, toAPIRelease(r))
		}
	}
	return out, next, nil
}

// Connect creates the repository's webhook to hookURL, or updates the one
// already pointing there when it is inactive, does not post JSON, or lacks
// an event Accord needs. Gitea never returns a hook's secret, so a secret
// cannot be compared: an unchanged hook keeps whatever secret it has, and
// only creating or updating it sets secret.
func (c *Client) Connect(ctx context.Context, repo forges.RepoRef, hookURL, secret string) (_ *forges.ConnectResult, err error) {
	k := c.begin(ctx, "Connect")
	defer k.done(&err)
	hooks, err := pages(k, func(lo sdk.ListOptions) ([]*sdk.Hook, *sdk.Response, error) {
		return k.api.ListRepoHooks(repo.Owner, repo.Name, sdk.ListHooksOptions{ListOptions: lo})
	})
	if err != nil {
		return nil, err
	}
	h := findHook(hooks, hookURL)
	switch {
	case h == nil:
		return k.createHook(repo, hookURL, secret)
	case hookCurrent(h):
		return &forges.ConnectResult{Action: forges.ConnectUnchanged, HookID: h.ID}, nil
	}
	return k.editHook(repo, h, hookURL, secret)
}

func findHook(hooks []*sdk.Hook, hookURL string) *sdk.Hook {
	for _, h := range hooks {
		if h != nil && h.Config["url"] == hookURL {
			return h
		}
	}
	return nil
}

func hookConfig(hookURL, secret string) map[string]string {
	return map[string]string{"url": hookURL, "content_type": "json", "secret": secret}
}

func (k *call) createHook(repo forges.RepoRef, hookURL, secret string) (*forges.ConnectResult, error) {
	opt := sdk.CreateHookOption{
		Type:         sdk.HookType(k.c.flavor.hookType()),
		Config:       hookConfig(hookURL, secret),
		Events:       hookEvents,
		BranchFilter: "*",
		Active:       true,
	}
	h, resp, err := k.api.CreateRepoHook(repo.Owner, repo.Name, opt)
	if err := k.check(resp, err); err != nil {
		return nil, err
	}
	return &forges.ConnectResult{Action: forges.ConnectCreated, HookID: h.ID}, nil
}

// editHook brings a hook up to date. Gitea overwrites the branch filter and
// authorization header on every edit, so the hook's own are sent back, and
// its events are kept beside the ones Accord adds.
func (k *call) editHook(repo forges.RepoRef, h *sdk.Hook, hookURL, secret string) (*forges.ConnectResult, error) {
	active := true
	filter := h.BranchFilter
	if filter == "" {
		filter = "*"
	}
	opt := sdk.EditHookOption{
		Config:              hookConfig(hookURL, secret),
		Events:              union(h.Events, hookEvents),
		BranchFilter:        filter,
		Active:              &active,
		AuthorizationHeader: h.AuthorizationHeader,
	}
	resp, err := k.api.EditRepoHook(repo.Owner, repo.Name, h.ID, opt)
	if err := k.check(resp, err); err != nil {
		return nil, err
	}
	return &forges.ConnectResult{Action: forges.ConnectUpdated, HookID: h.ID}, nil
}

// hookCurrent reports whether a hook needs no update.
func hookCurrent(h *sdk.Hook) bool {
	return h.Active && h.Config["content_type"] == "json" && hookCovers(h.Events)
}

// hookCovers reports whether a hook's listed events include every event
// Accord needs. Gitea lists what it stores, not what it was sent: "issues"
// and "pull_request" switch on their sub-events, the three review events
// are stored as one "pull_request_review", and "*" is a hook that sends
// everything. Extra events are fine: Accord ignores what it does not use.
func hookCovers(listed []string) bool {
	has := make(map[string]bool, len(listed))
	for _, e := range listed {
		has[e] = true
	}
	if has["*"] {
		return true
	}
	for _, e := range hookEvents {
		review := strings.HasPrefix(e, "pull_request_review_") && has["pull_request_review"]
		if !has[e] && !review {
			return false
		}
	}
	return true
}

// union is a, then the members of b not in a.
func union(a, b []string) []string {
	out := append([]string(nil), a...)
	for _, e := range b {
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	return out
}

// Check says who the token authenticates as, and which server version
// answers.
func (c *Client) Check(ctx context.Context) (_ *forges.Identity, err error) {
	k := c.begin(ctx, "Check")
	defer k.done(&err)
	u, resp, err := k.api.GetMyUserInfo()
	if err = k.check(resp, err); err != nil {
		return nil, err
	}
	v, resp, err := k.api.ServerVersion()
	if err = k.check(resp, err); err != nil {
		return nil, err
	}
	return &forges.Identity{Login: u.UserName, Author: u.UserName, Detail: c.flavor.name() + " " + v}, nil
}

// name is the forge's name as people write it.
func (f Flavor) name() string {
	if f == Forgejo {
		return "Forgejo"
	}
	return "Gitea"
}

// hookType is the webhook type whose payloads and headers the flavor sends:
// Forgejo has its own, Gitea's is "gitea".
func (f Flavor) hookType() string {
	return strings.ToLower(f.name())
}

func toAPIUser(u *sdk.User) forges.User {
	if u == nil {
		return forges.User{}
	}
	return forges.User{ID: u.ID, Login: u.UserName, Email: u.Email, Bot: forges.IsBotLogin(u.UserName)}
}

func toAPIComment(c *sdk.Comment) forges.Comment {
	return forges.Comment{
		ID:        c.ID,
		Body:      c.Body,
		Author:    toAPIUser(c.Poster),
		CreatedAt: c.Created.UTC(),
		UpdatedAt: c.Updated.UTC(),
		URL:       c.HTMLURL,
	}
}

// toAPICommit takes the name, email and date from the git commit and the
// login from the account Gitea matched the email to, if any.
func toAPICommit(c *sdk.Commit) forges.Commit {
	var out forges.Commit
	if c.CommitMeta != nil {
		out.SHA = c.SHA
	}
	if rc := c.RepoCommit; rc != nil {
		out.Message = rc.Message
		if a := rc.Author; a != nil {
			out.AuthorName, out.AuthorEmail = a.Name, a.Email
			if t, err := time.Parse(time.RFC3339, a.Date); err == nil {
				out.Time = t.UTC()
			}
		}
	}
	if c.Author != nil {
		out.AuthorLogin = c.Author.UserName
	}
	return out
}

// known is t in UTC, or the zero time when Gitea did not know it: it sends
// a timestamp it never set as the Unix epoch (a user's last_login, a
// repository's archived_at).
func known(t time.Time) time.Time {
	if t.IsZero() || t.Unix() == 0 {
		return time.Time{}
	}
	return t.UTC()
}

// knownPtr is known for a time Gitea may send as null.
func knownPtr(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return known(*t)
}

// apiLabelNames is the labels' names, never nil.
func apiLabelNames(ls []*sdk.Label) []string {
	out := make([]string, 0, len(ls))
	for _, l := range ls {
		if l != nil {
			out = append(out, l.Name)
		}
	}
	return out
}

func toAPIPull(p *sdk.PullRequest) forges.PullRequest {
	out := forges.PullRequest{
		Number:   p.Index,
		Title:    p.Title,
		Author:   toAPIUser(p.Poster),
		State:    string(p.State),
		Merged:   p.HasMerged,
		MergedAt: knownPtr(p.Merged),
		Labels:   apiLabelNames(p.Labels),
		URL:      p.HTMLURL,
	}
	if p.MergedBy != nil {
		u := toAPIUser(p.MergedBy)
		out.MergedBy = &u
	}
	if p.MergedCommitID != nil {
		out.MergeCommitSHA = *p.MergedCommitID
	}
	if p.Head != nil {
		out.HeadSHA, out.HeadRef = p.Head.Sha, p.Head.Ref
	}
	if p.Base != nil {
		out.BaseRef = p.Base.Ref
	}
	if p.Additions != nil {
		out.Additions = *p.Additions
	}
	if p.Deletions != nil {
		out.Deletions = *p.Deletions
	}
	return out
}

func toAPIIssue(i *sdk.Issue) forges.Issue {
	return forges.Issue{
		Number:    i.Index,
		Title:     i.Title,
		Author:    toAPIUser(i.Poster),
		State:     string(i.State),
		Labels:    apiLabelNames(i.Labels),
		URL:       i.HTMLURL,
		ClosedAt:  knownPtr(i.Closed),
		CreatedAt: known(i.Created),
	}
}

// toAPIRelease takes the publication time, or the creation time where
// there is none (Gitea gives both as the creation time).
func toAPIRelease(r *sdk.Release) forges.Release {
	published := known(r.PublishedAt)
	if published.IsZero() {
		published = known(r.CreatedAt)
	}
	return forges.Release{
		ID:          r.ID,
		Tag:         r.TagName,
		Name:        r.Title,
		Author:      toAPIUser(r.Publisher),
		Draft:       r.IsDraft,
		Prerelease:  r.IsPrerelease,
		URL:         r.HTMLURL,
		PublishedAt: published,
	}
}
