package github

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	gh "github.com/google/go-github/v60/github"

	"github.com/accord-coop/accord/forges"
)

// ClientConfig configures a GitHub client.
type ClientConfig struct {
	Forge      string           // configured forge name, used in errors and metrics
	BaseURL    string           // API base URL; "" = https://api.github.com/ ; GitHub Enterprise: "https://ghe.example.com/api/v3/"
	AppID      int64            // GitHub App ID (with PrivateKey) …
	PrivateKey []byte           // … PEM RSA key of the App
	Token      string           // … or a personal access token (when AppID == 0)
	HTTPClient *http.Client     // base transport; nil = http.DefaultClient's transport with a 30 s timeout
	Observer   forges.Observer  // nil = forges.NopObserver{}
	Now        func() time.Time // nil = time.Now (tests)
}

// Client acts on GitHub through its REST API, as a GitHub App (one
// installation token per installation) or with a personal access token. It
// implements forges.Client and is safe for concurrent use.
type Client struct {
	forge   string
	obs     forges.Observer
	now     func() time.Time
	base    *url.URL          // the API base, ending in "/"
	rt      http.RoundTripper // what every request finally goes through
	timeout time.Duration

	token *gh.Client // token mode: the only client

	// App mode: the App's own client (authenticated with a JWT) and one
	// client per installation, made when first needed.
	appID        int64
	key          *rsa.PrivateKey
	app          *gh.Client
	mu           sync.Mutex
	installs     map[int64]*gh.Client
	repoInstalls map[string]int64 // "owner/name" → installation, for RepoRefs without one
}

var _ forges.Client = (*Client)(nil)

const (
	defaultAPI     = "https://api.github.com/"
	defaultTimeout = 30 * time.Second
	// GitHub refuses a commit status description longer than this.
	maxStatusDescription = 140
)

// hookEvents are the events Connect subscribes a repository webhook to.
var hookEvents = []string{"issues", "issue_comment", "pull_request", "pull_request_review", "push", "release"}

// NewClient makes a client; it does not call GitHub. It fails when neither
// an App (AppID and PrivateKey) nor a Token is configured, or when the key
// does not parse.
func NewClient(cfg ClientConfig) (*Client, error) {
	c := &Client{forge: cfg.Forge, obs: cfg.Observer, now: cfg.Now}
	if c.forge == "" {
		c.forge = "github"
	}
	if c.obs == nil {
		c.obs = forges.NopObserver{}
	}
	if c.now == nil {
		c.now = time.Now
	}
	if err := c.setTransport(cfg); err != nil {
		return nil, err
	}
	switch {
	case cfg.AppID != 0:
		key, err := parseKey(cfg.PrivateKey)
		if err != nil {
			// err names what is wrong with the key, never its content.
			return nil, fmt.Errorf("github %s: App %d private key: %w", c.forge, cfg.AppID, err)
		}
		c.appID, c.key = cfg.AppID, key
		c.app = c.newGH(c.appsTransport())
		c.installs = map[int64]*gh.Client{}
		c.repoInstalls = map[string]int64{}
	case cfg.Token != "":
		c.token = c.newGH(c.rt).WithAuthToken(cfg.Token)
	default:
		return nil, fmt.Errorf("github %s: neither a GitHub App (app ID and private key) nor a token is configured", c.forge)
	}
	return c, nil
}

// setTransport reads the base URL and the HTTP client to build on.
func (c *Client) setTransport(cfg ClientConfig) error {
	raw := cfg.BaseURL
	if raw == "" {
		raw = defaultAPI
	}
	if !strings.HasSuffix(raw, "/") {
		raw += "/" // go-github resolves paths against the base, which must be a directory
	}
	base, err := url.Parse(raw)
	if err != nil || base.Scheme == "" || base.Host == "" {
		return fmt.Errorf("github %s: base URL %q is not an absolute URL", c.forge, cfg.BaseURL)
	}
	c.base = base
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: defaultTimeout}
	}
	c.rt, c.timeout = hc.Transport, hc.Timeout
	if c.rt == nil {
		c.rt = http.DefaultTransport
	}
	return nil
}

// parseKey reads the App's PEM key: PKCS #1 as GitHub hands it out, or
// PKCS #8 if someone converted it.
func parseKey(pemKey []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(pemKey)
	if block == nil {
		return nil, errors.New("not PEM encoded")
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, errors.New("not an RSA private key")
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("not an RSA private key")
	}
	return rk, nil
}

// newGH makes a go-github client that sends through rt to the base URL.
func (c *Client) newGH(rt http.RoundTripper) *gh.Client {
	api := gh.NewClient(&http.Client{Transport: rt, Timeout: c.timeout})
	base := *c.base
	api.BaseURL, api.UploadURL = &base, &base
	return api
}

// apiBase is the base URL as ghinstallation wants it, without the slash.
func (c *Client) apiBase() string { return strings.TrimSuffix(c.base.String(), "/") }

// appsTransport signs requests with a fresh JWT of the App.
func (c *Client) appsTransport() *ghinstallation.AppsTransport {
	tr := ghinstallation.NewAppsTransportFromPrivateKey(c.rt, c.appID, c.key)
	tr.BaseURL = c.apiBase()
	return tr
}

// installation returns the client of an installation. Its ghinstallation
// transport exchanges a JWT for an installation token on first use and
// keeps the token until a minute before it expires, so the client is kept.
func (c *Client) installation(id int64) *gh.Client {
	c.mu.Lock()
	defer c.mu.Unlock()
	if api, ok := c.installs[id]; ok {
		return api
	}
	// Each installation gets its own AppsTransport: a token refresh writes
	// to the AppsTransport it was made from, so a shared one would race.
	tr := ghinstallation.NewFromAppsTransport(c.appsTransport(), id)
	tr.BaseURL = c.apiBase()
	api := c.newGH(tr)
	c.installs[id] = api
	return api
}

// repoClient is the client to act on repo with: the token's, or the
// installation's the delivery named or GitHub says the repository has.
func (c *Client) repoClient(ctx context.Context, op string, repo forges.RepoRef) (*gh.Client, error) {
	if c.token != nil {
		return c.token, nil
	}
	id := repo.InstallationID
	if id == 0 {
		var err error
		if id, err = c.findInstallation(ctx, op, repo); err != nil {
			return nil, err
		}
	}
	return c.installation(id), nil
}

// findInstallation is the installation on repo, remembered once found.
func (c *Client) findInstallation(ctx context.Context, op string, repo forges.RepoRef) (int64, error) {
	c.mu.Lock()
	id, ok := c.repoInstalls[repo.FullName()]
	c.mu.Unlock()
	if ok {
		return id, nil
	}
	return c.lookupInstallation(ctx, op, repo)
}

// lookupInstallation asks GitHub (as the App) which installation covers
// repo; a 404 means the App is not installed there.
func (c *Client) lookupInstallation(ctx context.Context, op string, repo forges.RepoRef) (int64, error) {
	inst, err := get(c, op, func() (*gh.Installation, *gh.Response, error) {
		return c.app.Apps.FindRepositoryInstallation(ctx, repo.Owner, repo.Name)
	})
	if err != nil {
		return 0, err
	}
	c.mu.Lock()
	c.repoInstalls[repo.FullName()] = inst.GetID()
	c.mu.Unlock()
	return inst.GetID(), nil
}

// call makes one API request for op, tells the Observer about it (every
// request, so that paginated and multi-step methods count what they cost),
// and turns a failure into an *forges.APIError.
func (c *Client) call(op string, do func() (*gh.Response, error)) error {
	start := time.Now()
	resp, err := do()
	var out error
	if err != nil {
		out = c.apiError(op, resp, err)
	}
	c.obs.APICall(c.forge, op, forges.Outcome(out), time.Since(start))
	if resp != nil && resp.Response != nil && resp.Header.Get("X-RateLimit-Remaining") != "" {
		c.obs.RateLimit(c.forge, resp.Rate.Remaining)
	}
	return out
}

// get makes one request that returns a value.
func get[T any](c *Client, op string, do func() (T, *gh.Response, error)) (T, error) {
	var v T
	err := c.call(op, func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		v, resp, err = do()
		return resp, err
	})
	return v, err
}

// pages collects a list over all its pages, following the next page of the
// Link header until there is none.
func pages[T any](c *Client, op string, list func(page int) ([]T, *gh.Response, error)) ([]T, error) {
	var all []T
	for page := 1; ; {
		next := 0
		items, err := get(c, op, func() ([]T, *gh.Response, error) {
			items, resp, err := list(page)
			if resp != nil {
				next = resp.NextPage
			}
			return items, resp, err
		})
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		if next <= page { // the last page, or a Link that would loop
			return all, nil
		}
		page = next
	}
}

// apiError makes the error for a failed request: the HTTP status, GitHub's
// own message and, for a rate limit, when it lifts. go-github's error text
// is not used when GitHub answered, as it repeats the request URL; no error
// holds a token, key or JWT, as none is in a URL or in GitHub's messages.
func (c *Client) apiError(op string, resp *gh.Response, err error) *forges.APIError {
	now := c.now()
	var hr *http.Response
	if resp != nil {
		hr = resp.Response
	}
	var (
		rate  *gh.RateLimitError
		abuse *gh.AbuseRateLimitError
		other *gh.ErrorResponse
		token *ghinstallation.HTTPError
		msg   string
	)
	switch {
	case errors.As(err, &rate):
		msg, hr = rate.Message, orResponse(hr, rate.Response)
	case errors.As(err, &abuse):
		msg, hr = abuse.Message, orResponse(hr, abuse.Response)
	case errors.As(err, &other):
		msg, hr = other.Message, orResponse(hr, other.Response)
	case errors.As(err, &token) && token.Response != nil:
		// GitHub refused the installation token: its status says why
		// (401 for a bad key or App ID, 404 for a gone installation).
		hr = token.Response
		msg = forgeMessage(hr)
	}
	cause := err
	if hr != nil && hr.StatusCode >= 300 {
		cause = nil
	}
	e := forges.NewAPIError(c.forge, op, hr, cause, msg, now)
	switch {
	case rate != nil && !rate.Rate.Reset.IsZero():
		e.RetryAt = rate.Rate.Reset.Time
	case abuse != nil && abuse.RetryAfter != nil:
		e.RetryAt = now.Add(*abuse.RetryAfter)
	}
	return e
}

func orResponse(a, b *http.Response) *http.Response {
	if a != nil {
		return a
	}
	return b
}

// forgeMessage reads GitHub's message from an error answer nobody else
// reads, and closes it.
func forgeMessage(resp *http.Response) string {
	if resp.Body == nil {
		return ""
	}
	defer resp.Body.Close()
	var body struct {
		Message string `json:"message"`
	}
	_ = json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&body)
	return body.Message
}

// refuse is the error for a request the client will not make or an answer
// it cannot use, shaped as GitHub's 422: permanent, and not a 404.
func (c *Client) refuse(op, msg string) *forges.APIError {
	return &forges.APIError{Forge: c.forge, Op: op, Status: http.StatusUnprocessableEntity, Message: msg}
}

// optional is s for a field GitHub should leave unset when s is empty.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// CreateComment posts a comment on an issue or pull request.
func (c *Client) CreateComment(ctx context.Context, repo forges.RepoRef, number int64, body string) (*forges.Comment, error) {
	const op = "CreateComment"
	api, err := c.repoClient(ctx, op, repo)
	if err != nil {
		return nil, err
	}
	out, err := get(c, op, func() (*gh.IssueComment, *gh.Response, error) {
		return api.Issues.CreateComment(ctx, repo.Owner, repo.Name, int(number), &gh.IssueComment{Body: &body})
	})
	if err != nil {
		return nil, err
	}
	return comment(out), nil
}

// EditComment replaces the body of a comment.
func (c *Client) EditComment(ctx context.Context, repo forges.RepoRef, commentID int64, body string) error {
	const op = "EditComment"
	api, err := c.repoClient(ctx, op, repo)
	if err != nil {
		return err
	}
	_, err = get(c, op, func() (*gh.IssueComment, *gh.Response, error) {
		return api.Issues.EditComment(ctx, repo.Owner, repo.Name, commentID, &gh.IssueComment{Body: &body})
	})
	return err
}

// ListComments returns every comment of an issue or pull request, oldest
// first (GitHub's order for an issue's comments).
func (c *Client) ListComments(ctx context.Context, repo forges.RepoRef, number int64) ([]forges.Comment, error) {
	const op = "ListComments"
	api, err := c.repoClient(ctx, op, repo)
	if err != nil {
		return nil, err
	}
	all, err := pages(c, op, func(page int) ([]*gh.IssueComment, *gh.Response, error) {
		opts := &gh.IssueListCommentsOptions{ListOptions: gh.ListOptions{PerPage: 100, Page: page}}
		return api.Issues.ListComments(ctx, repo.Owner, repo.Name, int(number), opts)
	})
	if err != nil {
		return nil, err
	}
	out := make([]forges.Comment, 0, len(all))
	for _, gc := range all {
		out = append(out, *comment(gc))
	}
	return out, nil
}

// AddLabels adds labels to an issue or pull request, creating those the
// repository lacks first. GitHub would create them itself when adding, but
// grey and without a description.
func (c *Client) AddLabels(ctx context.Context, repo forges.RepoRef, number int64, labels []forges.Label) error {
	const op = "AddLabels"
	if len(labels) == 0 {
		return nil
	}
	api, err := c.repoClient(ctx, op, repo)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(labels))
	for _, l := range labels {
		if err := c.ensureLabel(ctx, api, op, repo, l); err != nil {
			return err
		}
		names = append(names, l.Name)
	}
	_, err = get(c, op, func() ([]*gh.Label, *gh.Response, error) {
		return api.Issues.AddLabelsToIssue(ctx, repo.Owner, repo.Name, int(number), names)
	})
	return err
}

// ensureLabel creates label l unless the repository has it.
func (c *Client) ensureLabel(ctx context.Context, api *gh.Client, op string, repo forges.RepoRef, l forges.Label) error {
	// go-github puts the name into the path as it is: "kind/bug" would
	// name another route.
	_, err := get(c, op, func() (*gh.Label, *gh.Response, error) {
		return api.Issues.GetLabel(ctx, repo.Owner, repo.Name, url.PathEscape(l.Name))
	})
	if !errors.Is(err, forges.ErrNotFound) {
		return err
	}
	var raw error
	_, err = get(c, op, func() (*gh.Label, *gh.Response, error) {
		created, resp, err := api.Issues.CreateLabel(ctx, repo.Owner, repo.Name, &gh.Label{
			Name:        &l.Name,
			Color:       gh.String(strings.TrimPrefix(l.Color, "#")),
			Description: optional(l.Description),
		})
		raw = err
		return created, resp, err
	})
	if err != nil && alreadyExists(raw) {
		return nil // another delivery created it in the meantime
	}
	return err
}

// alreadyExists reports GitHub's 422 for creating what exists.
func alreadyExists(err error) bool {
	var er *gh.ErrorResponse
	if !errors.As(err, &er) || er.Response == nil || er.Response.StatusCode != http.StatusUnprocessableEntity {
		return false
	}
	for _, e := range er.Errors {
		if e.Code == "already_exists" {
			return true
		}
	}
	return false
}

// RemoveLabel removes a label from an issue or pull request; GitHub's 404
// for a label that is not there is success.
func (c *Client) RemoveLabel(ctx context.Context, repo forges.RepoRef, number int64, name string) error {
	const op = "RemoveLabel"
	api, err := c.repoClient(ctx, op, repo)
	if err != nil {
		return err
	}
	err = c.call(op, func() (*gh.Response, error) {
		return api.Issues.RemoveLabelForIssue(ctx, repo.Owner, repo.Name, int(number), url.PathEscape(name))
	})
	if errors.Is(err, forges.ErrNotFound) {
		return nil
	}
	return err
}

// AddReaction reacts to an issue or pull request comment.
func (c *Client) AddReaction(ctx context.Context, repo forges.RepoRef, commentID int64, reaction string) error {
	const op = "AddReaction"
	api, err := c.repoClient(ctx, op, repo)
	if err != nil {
		return err
	}
	_, err = get(c, op, func() (*gh.Reaction, *gh.Response, error) {
		return api.Reactions.CreateIssueCommentReaction(ctx, repo.Owner, repo.Name, commentID, reaction)
	})
	return err
}

// GetFile returns a file's content at ref ("" for the default branch).
func (c *Client) GetFile(ctx context.Context, repo forges.RepoRef, path, ref string) ([]byte, error) {
	const op = "GetFile"
	file, _, err := c.contents(ctx, op, repo, path, ref)
	if err != nil {
		return nil, err
	}
	if file == nil {
		return nil, c.refuse(op, path+" is a directory")
	}
	content, err := file.GetContent()
	if err != nil { // e.g. encoding "none": a file over 1 MB
		return nil, c.refuse(op, path+": "+err.Error())
	}
	return []byte(content), nil
}

// ListDir lists a directory at ref.
func (c *Client) ListDir(ctx context.Context, repo forges.RepoRef, path, ref string) ([]forges.DirEntry, error) {
	const op = "ListDir"
	file, dir, err := c.contents(ctx, op, repo, path, ref)
	if err != nil {
		return nil, err
	}
	if file != nil {
		return nil, c.refuse(op, path+" is not a directory")
	}
	out := make([]forges.DirEntry, 0, len(dir))
	for _, e := range dir {
		out = append(out, forges.DirEntry{Name: e.GetName(), Path: e.GetPath(), Type: e.GetType(), SHA: e.GetSHA()})
	}
	return out, nil
}

// contents gets a file or a directory listing: GitHub answers one endpoint
// for both.
func (c *Client) contents(ctx context.Context, op string, repo forges.RepoRef, path, ref string) (*gh.RepositoryContent, []*gh.RepositoryContent, error) {
	if strings.Contains(path, "..") {
		// go-github refuses these without asking GitHub; say so as GitHub would.
		return nil, nil, c.refuse(op, fmt.Sprintf("path %q must not contain \"..\"", path))
	}
	api, err := c.repoClient(ctx, op, repo)
	if err != nil {
		return nil, nil, err
	}
	var file *gh.RepositoryContent
	var dir []*gh.RepositoryContent
	err = c.call(op, func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		file, dir, resp, err = api.Repositories.GetContents(ctx, repo.Owner, repo.Name, path, &gh.RepositoryContentGetOptions{Ref: ref})
		return resp, err
	})
	return file, dir, err
}

// PutFile commits content to path on branch ("" for the default branch):
// it reads the file first, to learn the blob SHA GitHub wants for a
// replacement (a 404 means there is none yet), and makes no commit when
// the content is already there. A 409 (the file changed since it was read)
// or a 422 for a missing "sha" (the file was created since) is a Conflict,
// to try again. GitHub answers both with the same PUT; CreateFile and
// UpdateFile differ only in the SHA they send.
func (c *Client) PutFile(ctx context.Context, repo forges.RepoRef, path, branch string, content []byte, message string) (string, error) {
	const op = "PutFile"
	switch {
	case path == "" || strings.HasSuffix(path, "/"):
		return "", c.refuse(op, fmt.Sprintf("path %q does not name a file", path))
	case strings.Contains(path, ".."):
		return "", c.refuse(op, fmt.Sprintf("path %q must not contain \"..\"", path))
	}
	// The client first: a 404 finding the App's installation is not a
	// missing file.
	api, err := c.repoClient(ctx, op, repo)
	if err != nil {
		return "", err
	}
	file, _, err := c.contents(ctx, op, repo, path, branch)
	var sha *string
	switch {
	case errors.Is(err, forges.ErrNotFound):
	case err != nil:
		return "", err
	case file == nil:
		return "", c.refuse(op, path+" is a directory")
	case sameFile(file, content):
		return "", nil
	default:
		sha = gh.String(file.GetSHA())
	}
	opts := &gh.RepositoryContentFileOptions{
		Message: &message,
		Content: content, // go-github encodes it in base64
		SHA:     sha,
		Branch:  optional(branch),
	}
	// go-github puts the path into the URL as it is: a space or "#" would
	// not reach GitHub as part of the path.
	escaped := escapePath(path)
	res, err := get(c, op, func() (*gh.RepositoryContentResponse, *gh.Response, error) {
		if sha == nil {
			return api.Repositories.CreateFile(ctx, repo.Owner, repo.Name, escaped, opts)
		}
		return api.Repositories.UpdateFile(ctx, repo.Owner, repo.Name, escaped, opts)
	})
	var ae *forges.APIError
	if errors.As(err, &ae) && lostRace(ae) {
		ae.Conflict = true
	}
	if err != nil {
		return "", err
	}
	commit := res.Commit.GetSHA()
	if !forges.IsSHA(commit) {
		return "", c.refuse(op, path+": the answer has no commit SHA")
	}
	return commit, nil
}

// sameFile reports whether file holds content: by its decoded content, or,
// where GitHub leaves that out (encoding "none", a file over 1 MB), by its
// blob SHA.
func sameFile(file *gh.RepositoryContent, content []byte) bool {
	if have, err := file.GetContent(); err == nil && file.Content != nil {
		return have == string(content)
	}
	return file.GetSHA() == forges.BlobSHA(content)
}

// lostRace reports GitHub's answers to a write based on a file that has
// changed: 409 for a SHA that is no longer the file's, 422 `"sha" wasn't
// supplied` for a file created since it was found missing.
func lostRace(e *forges.APIError) bool {
	return e.Status == http.StatusConflict ||
		e.Status == http.StatusUnprocessableEntity && strings.Contains(e.Message, `"sha" wasn't supplied`)
}

// escapePath escapes each segment of a slash-separated path.
func escapePath(path string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// DefaultBranch returns the repository's default branch.
func (c *Client) DefaultBranch(ctx context.Context, repo forges.RepoRef) (string, error) {
	const op = "DefaultBranch"
	api, err := c.repoClient(ctx, op, repo)
	if err != nil {
		return "", err
	}
	r, err := get(c, op, func() (*gh.Repository, *gh.Response, error) {
		return api.Repositories.Get(ctx, repo.Owner, repo.Name)
	})
	if err != nil {
		return "", err
	}
	return r.GetDefaultBranch(), nil
}

// ResolveRef returns the commit SHA a branch, tag or SHA names now: one
// request for the commit's SHA alone (GitHub's "sha" media type). An empty
// ref asks for HEAD, which GitHub resolves to the default branch; a ref
// that names no commit is GitHub's 422.
func (c *Client) ResolveRef(ctx context.Context, repo forges.RepoRef, ref string) (string, error) {
	const op = "ResolveRef"
	if strings.Contains(ref, "..") {
		// Not a git ref name, and a path that would climb out of …/commits/.
		return "", c.refuse(op, fmt.Sprintf("ref %q must not contain \"..\"", ref))
	}
	if ref == "" {
		ref = "HEAD"
	}
	api, err := c.repoClient(ctx, op, repo)
	if err != nil {
		return "", err
	}
	sha, err := get(c, op, func() (string, *gh.Response, error) {
		return api.Repositories.GetCommitSHA1(ctx, repo.Owner, repo.Name, ref, "")
	})
	if err != nil {
		return "", err
	}
	sha = strings.TrimSpace(sha)
	if !forges.IsSHA(sha) {
		// A 200 whose body is not a SHA: a proxy's page, not GitHub's answer.
		return "", c.refuse(op, fmt.Sprintf("ref %q: the answer is not a commit SHA", ref))
	}
	return sha, nil
}

// permissions maps GitHub's permission names, including the roles
// maintain and triage, to the normalized ones.
var permissions = map[string]string{
	"admin":    forges.PermAdmin,
	"maintain": forges.PermWrite,
	"write":    forges.PermWrite,
	"triage":   forges.PermRead,
	"read":     forges.PermRead,
	"none":     forges.PermNone,
}

// Permission returns login's permission on the repository. GitHub's 404
// for someone who is not a collaborator (or no one) is PermNone; a name
// GitHub adds later counts as none, the least it could mean.
func (c *Client) Permission(ctx context.Context, repo forges.RepoRef, login string) (string, error) {
	const op = "Permission"
	api, err := c.repoClient(ctx, op, repo)
	if err != nil {
		return "", err
	}
	lvl, err := get(c, op, func() (*gh.RepositoryPermissionLevel, *gh.Response, error) {
		return api.Repositories.GetPermissionLevel(ctx, repo.Owner, repo.Name, url.PathEscape(login))
	})
	if errors.Is(err, forges.ErrNotFound) {
		return forges.PermNone, nil
	}
	if err != nil {
		return "", err
	}
	if p, ok := permissions[lvl.GetPermission()]; ok {
		return p, nil
	}
	return forges.PermNone, nil
}

// SetStatus sets a commit status on sha. A description too long for
// GitHub is shortened rather than refused.
func (c *Client) SetStatus(ctx context.Context, repo forges.RepoRef, sha string, st forges.Status) error {
	const op = "SetStatus"
	api, err := c.repoClient(ctx, op, repo)
	if err != nil {
		return err
	}
	status := &gh.RepoStatus{
		State:       gh.String(st.State),
		Context:     optional(st.Context),
		Description: optional(shorten(st.Description, maxStatusDescription)),
		TargetURL:   optional(st.TargetURL),
	}
	_, err = get(c, op, func() (*gh.RepoStatus, *gh.Response, error) {
		return api.Repositories.CreateStatus(ctx, repo.Owner, repo.Name, sha, status)
	})
	return err
}

// shorten cuts s to n characters, ending in an ellipsis when cut.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// PullCommits returns a pull request's commits, over all pages.
func (c *Client) PullCommits(ctx context.Context, repo forges.RepoRef, number int64) ([]forges.Commit, error) {
	const op = "PullCommits"
	api, err := c.repoClient(ctx, op, repo)
	if err != nil {
		return nil, err
	}
	all, err := pages(c, op, func(page int) ([]*gh.RepositoryCommit, *gh.Response, error) {
		return api.PullRequests.ListCommits(ctx, repo.Owner, repo.Name, int(number), &gh.ListOptions{PerPage: 100, Page: page})
	})
	if err != nil {
		return nil, err
	}
	out := make([]forges.Commit, 0, len(all))
	for _, rc := range all {
		author := rc.GetCommit().GetAuthor()
		out = append(out, forges.Commit{
			SHA:         rc.GetSHA(),
			Message:     rc.GetCommit().GetMessage(),
			AuthorName:  author.GetName(),
			AuthorEmail: author.GetEmail(),
			AuthorLogin: rc.GetAuthor().GetLogin(), // the account GitHub matched the email to, if any
			Time:        author.GetDate().Time.UTC(),
		})
	}
	return out, nil
}

// FileHistory lists the commits on ref that changed path, newest first
// (GitHub's commit list filtered by path), at most limit.
func (c *Client) FileHistory(ctx context.Context, repo forges.RepoRef, path, ref string, limit int) ([]string, error) {
	const op = "FileHistory"
	api, err := c.repoClient(ctx, op, repo)
	if err != nil {
		return nil, err
	}
	var out []string
	for page := 1; len(out) < limit; {
		next := 0
		cs, err := get(c, op, func() ([]*gh.RepositoryCommit, *gh.Response, error) {
			cs, resp, err := api.Repositories.ListCommits(ctx, repo.Owner, repo.Name,
				&gh.CommitsListOptions{SHA: ref, Path: path, ListOptions: gh.ListOptions{PerPage: 100, Page: page}})
			if resp != nil {
				next = resp.NextPage
			}
			return cs, resp, err
		})
		if err != nil {
			return nil, err
		}
		for _, rc := range cs {
			if len(out) < limit {
				out = append(out, rc.GetSHA())
			}
		}
		if next <= page {
			break
		}
		page = next
	}
	return out, nil
}

// PullFiles returns the paths a pull request changes, over all pages:
// each file's name and, for a rename, its previous name too; sorted, each
// once. GitHub lists at most 3000 files of a pull request.
func (c *Client) PullFiles(ctx context.Context, repo forges.RepoRef, number int64) ([]string, error) {
	const op = "PullFiles"
	api, err := c.repoClient(ctx, op, repo)
	if err != nil {
		return nil, err
	}
	all, err := pages(c, op, func(page int) ([]*gh.CommitFile, *gh.Response, error) {
		return api.PullRequests.ListFiles(ctx, repo.Owner, repo.Name, int(number), &gh.ListOptions{PerPage: listPage, Page: page})
	})
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(all))
	for _, f := range all {
		for _, p := range []string{f.GetFilename(), f.GetPreviousFilename()} {
			if p != "" {
				out = append(out, p)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// listPage is the page size of the list requests: 100, GitHub's most.
const listPage = 100

// nextPage is the page after page that resp's Link names, or 0 after the
// last (and for a Link that would loop).
func nextPage(resp *gh.Response, page int) int {
	if resp == nil || resp.NextPage <= page {
		return 0
	}
	return resp.NextPage
}

// pageAfter says where a list goes on after page: the Link header's next
// and last. GitHub leaves rel="last" out on the last page itself.
func pageAfter(resp *gh.Response, page int) forges.Page {
	p := forges.Page{Next: nextPage(resp, page)}
	switch {
	case p.Next == 0:
		p.Last = page
	case resp.LastPage >= p.Next:
		p.Last = resp.LastPage
	}
	return p
}

// onePage makes one request of a paginated list and says where it goes on.
func onePage[T any](c *Client, op string, page int, list func(page int) ([]T, *gh.Response, error)) ([]T, forges.Page, error) {
	var at forges.Page
	items, err := get(c, op, func() ([]T, *gh.Response, error) {
		items, resp, err := list(page)
		at = pageAfter(resp, page)
		return items, resp, err
	})
	if err != nil {
		return nil, forges.Page{}, err
	}
	return items, at, nil
}

// ListClosedPulls returns one page of the closed pull requests, oldest
// first. The list endpoint does not send "merged": a pull request with a
// merged_at is merged.
func (c *Client) ListClosedPulls(ctx context.Context, repo forges.RepoRef, page int) ([]forges.PullRequest, forges.Page, error) {
	const op = "ListClosedPulls"
	page = max(page, 1)
	api, err := c.repoClient(ctx, op, repo)
	if err != nil {
		return nil, forges.Page{}, err
	}
	prs, next, err := onePage(c, op, page, func(page int) ([]*gh.PullRequest, *gh.Response, error) {
		opts := &gh.PullRequestListOptions{
			State:       "closed",
			Sort:        "created",
			Direction:   "asc",
			ListOptions: gh.ListOptions{Page: page, PerPage: listPage},
		}
		return api.PullRequests.List(ctx, repo.Owner, repo.Name, opts)
	})
	if err != nil {
		return nil, forges.Page{}, err
	}
	out := make([]forges.PullRequest, 0, len(prs))
	for _, p := range prs {
		p.Merged = gh.Bool(p.MergedAt != nil)
		out = append(out, *pull(p))
	}
	return out, next, nil
}

// ListReviews returns a pull request's submitted reviews over all pages,
// oldest first (GitHub's order). Pending reviews are not submitted yet and
// dismissed ones no longer count: both are left out.
func (c *Client) ListReviews(ctx context.Context, repo forges.RepoRef, number int64) ([]forges.Review, error) {
	const op = "ListReviews"
	api, err := c.repoClient(ctx, op, repo)
	if err != nil {
		return nil, err
	}
	all, err := pages(c, op, func(page int) ([]*gh.PullRequestReview, *gh.Response, error) {
		return api.PullRequests.ListReviews(ctx, repo.Owner, repo.Name, int(number), &gh.ListOptions{PerPage: listPage, Page: page})
	})
	if err != nil {
		return nil, err
	}
	out := make([]forges.Review, 0, len(all))
	for _, r := range all {
		switch strings.ToUpper(r.GetState()) {
		case "PENDING", "DISMISSED":
			continue
		}
		out = append(out, *review(r))
	}
	return out, nil
}

// ListIssues returns one page of the issues, open and closed, oldest first.
// GitHub lists pull requests among the issues; they are left out, so a
// page may come back empty with a next page still to read.
func (c *Client) ListIssues(ctx context.Context, repo forges.RepoRef, page int) ([]forges.Issue, forges.Page, error) {
	const op = "ListIssues"
	page = max(page, 1)
	api, err := c.repoClient(ctx, op, repo)
	if err != nil {
		return nil, forges.Page{}, err
	}
	issues, next, err := onePage(c, op, page, func(page int) ([]*gh.Issue, *gh.Response, error) {
		opts := &gh.IssueListByRepoOptions{
			State:       "all",
			Sort:        "created",
			Direction:   "asc",
			ListOptions: gh.ListOptions{Page: page, PerPage: listPage},
		}
		return api.Issues.ListByRepo(ctx, repo.Owner, repo.Name, opts)
	})
	if err != nil {
		return nil, forges.Page{}, err
	}
	out := make([]forges.Issue, 0, len(issues))
	for _, i := range issues {
		if i.IsPullRequest() {
			continue
		}
		is := issue(i)
		is.CreatedAt = i.GetCreatedAt().Time.UTC()
		out = append(out, *is)
	}
	return out, next, nil
}

// ListReleases returns one page of the releases (GitHub's order: newest
// first), drafts left out, so a page may come back empty with a next page
// still to read. PublishedAt is when the release was published, or made
// where GitHub does not say.
func (c *Client) ListReleases(ctx context.Context, repo forges.RepoRef, page int) ([]forges.Release, forges.Page, error) {
	const op = "ListReleases"
	page = max(page, 1)
	api, err := c.repoClient(ctx, op, repo)
	if err != nil {
		return nil, forges.Page{}, err
	}
	rels, next, err := onePage(c, op, page, func(page int) ([]*gh.RepositoryRelease, *gh.Response, error) {
		return api.Repositories.ListReleases(ctx, repo.Owner, repo.Name, &gh.ListOptions{Page: page, PerPage: listPage})
	})
	if err != nil {
		return nil, forges.Page{}, err
	}
	out := make([]forges.Release, 0, len(rels))
	for _, r := range rels {
		if r.GetDraft() {
			continue
		}
		rel := release(r)
		rel.PublishedAt = r.GetPublishedAt().Time.UTC()
		if r.PublishedAt == nil {
			rel.PublishedAt = r.GetCreatedAt().Time.UTC()
		}
		out = append(out, *rel)
	}
	return out, next, nil
}

// Connect makes the repository deliver to hookURL: with a token it creates
// or updates the repository's webhook; an App's webhook is configured on
// the App, so in App mode it says whether the App is installed on the
// repository and where to install it.
func (c *Client) Connect(ctx context.Context, repo forges.RepoRef, hookURL, secret string) (*forges.ConnectResult, error) {
	if c.token == nil {
		return c.connectApp(ctx, repo)
	}
	return c.connectHook(ctx, repo, hookURL, secret)
}

func (c *Client) connectApp(ctx context.Context, repo forges.RepoRef) (*forges.ConnectResult, error) {
	const op = "Connect"
	app, err := get(c, op, func() (*gh.App, *gh.Response, error) { return c.app.Apps.Get(ctx, "") })
	if err != nil {
		return nil, err
	}
	res := &forges.ConnectResult{Action: forges.ConnectInstall, InstallURL: c.installURL(app)}
	// Asked afresh, not from the cache: the App may have been installed
	// or removed since.
	_, err = c.lookupInstallation(ctx, op, repo)
	switch {
	case err == nil:
		res.Installed = true
	case !errors.Is(err, forges.ErrNotFound):
		return nil, err
	}
	return res, nil
}

// installURL is the App's installation page: its html_url (right for
// github.com and Enterprise alike) or, without one, the path GitHub uses.
func (c *Client) installURL(app *gh.App) string {
	if u := app.GetHTMLURL(); u != "" {
		return strings.TrimSuffix(u, "/") + "/installations/new"
	}
	if c.base.Host == "api.github.com" {
		return "https://github.com/apps/" + app.GetSlug() + "/installations/new"
	}
	return c.base.Scheme + "://" + c.base.Host + "/github-apps/" + app.GetSlug() + "/installations/new"
}

func (c *Client) connectHook(ctx context.Context, repo forges.RepoRef, hookURL, secret string) (*forges.ConnectResult, error) {
	const op = "Connect"
	api := c.token
	hooks, err := pages(c, op, func(page int) ([]*gh.Hook, *gh.Response, error) {
		return api.Repositories.ListHooks(ctx, repo.Owner, repo.Name, &gh.ListOptions{PerPage: 100, Page: page})
	})
	if err != nil {
		return nil, err
	}
	want := webhook(hookURL, secret)
	for _, h := range hooks {
		if h.GetConfig().GetURL() != hookURL {
			continue
		}
		// GitHub never returns a hook's secret, so a changed secret cannot
		// be seen here: a hook that matches otherwise is left alone.
		if sameHook(h, want) {
			return &forges.ConnectResult{Action: forges.ConnectUnchanged, HookID: h.GetID()}, nil
		}
		if _, err := get(c, op, func() (*gh.Hook, *gh.Response, error) {
			return api.Repositories.EditHook(ctx, repo.Owner, repo.Name, h.GetID(), want)
		}); err != nil {
			return nil, err
		}
		return &forges.ConnectResult{Action: forges.ConnectUpdated, HookID: h.GetID()}, nil
	}
	created, err := get(c, op, func() (*gh.Hook, *gh.Response, error) {
		return api.Repositories.CreateHook(ctx, repo.Owner, repo.Name, want)
	})
	if err != nil {
		return nil, err
	}
	return &forges.ConnectResult{Action: forges.ConnectCreated, HookID: created.GetID()}, nil
}

// webhook is the repository webhook Accord wants.
func webhook(hookURL, secret string) *gh.Hook {
	return &gh.Hook{
		Name:   gh.String("web"),
		Active: gh.Bool(true),
		Events: append([]string(nil), hookEvents...),
		Config: &gh.HookConfig{
			URL:         gh.String(hookURL),
			ContentType: gh.String("json"),
			Secret:      gh.String(secret),
			InsecureSSL: gh.String("0"),
		},
	}
}

// sameHook compares what GitHub shows of a hook: active, content type,
// TLS checking and the set of events.
func sameHook(have, want *gh.Hook) bool {
	if have.GetActive() != want.GetActive() ||
		have.GetConfig().GetContentType() != want.GetConfig().GetContentType() ||
		have.GetConfig().GetInsecureSSL() != want.GetConfig().GetInsecureSSL() ||
		len(have.Events) != len(want.Events) {
		return false
	}
	events := map[string]bool{}
	for _, e := range have.Events {
		events[e] = true
	}
	for _, e := range want.Events {
		if !events[e] {
			return false
		}
	}
	return true
}

// Check says who the credentials authenticate as: the App's slug, or the
// token's user.
func (c *Client) Check(ctx context.Context) (*forges.Identity, error) {
	const op = "Check"
	if c.token == nil {
		return c.checkApp(ctx)
	}
	u, err := get(c, op, func() (*gh.User, *gh.Response, error) { return c.token.Users.Get(ctx, "") })
	if err != nil {
		return nil, err
	}
	return &forges.Identity{Login: u.GetLogin(), Author: u.GetLogin(), Detail: "token"}, nil
}

func (c *Client) checkApp(ctx context.Context) (*forges.Identity, error) {
	const op = "Check"
	app, err := get(c, op, func() (*gh.App, *gh.Response, error) { return c.app.Apps.Get(ctx, "") })
	if err != nil {
		return nil, err
	}
	n, err := c.installationCount(ctx, op, app)
	if err != nil {
		return nil, err
	}
	noun := "installations"
	if n == 1 {
		noun = "installation"
	}
	return &forges.Identity{
		Login:  app.GetSlug(),
		Author: app.GetSlug() + "[bot]", // an App's comments are by its bot user
		Detail: fmt.Sprintf("GitHub App %d, %d %s", app.GetID(), n, noun),
	}, nil
}

// installationCount is the App's installations_count, or, where GitHub
// leaves it out, the length of the list of installations.
func (c *Client) installationCount(ctx context.Context, op string, app *gh.App) (int, error) {
	if app.InstallationsCount != nil {
		return *app.InstallationsCount, nil
	}
	all, err := pages(c, op, func(page int) ([]*gh.Installation, *gh.Response, error) {
		return c.app.Apps.ListInstallations(ctx, &gh.ListOptions{PerPage: 100, Page: page})
	})
	return len(all), err
}
