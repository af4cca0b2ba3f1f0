package forges

import (
	"context"
	"errors"
	"time"
)

// Client is what the bot does on a forge, and no more: comment, label,
// react, read the policy files, set commit statuses, read a pull request's
// commits, commit one file (the ledger's signed checkpoint, into the
// governance repository), and set up a repository's webhook. One Client serves one
// configured forge; forges/github and forges/gitea implement it.
//
// Every method fails with an *APIError when the forge answers with an error
// or cannot be reached; its Temporary and RetryAt say whether and when to
// try again. A missing thing is an *APIError that errors.Is ErrNotFound.
// No error or log line carries a token, key or secret.
type Client interface {
	// CreateComment posts a comment on an issue or pull request.
	CreateComment(ctx context.Context, repo RepoRef, number int64, body string) (*Comment, error)
	// EditComment replaces the body of a comment (the bot edits only its own).
	EditComment(ctx context.Context, repo RepoRef, commentID int64, body string) error
	// ListComments returns every comment of an issue or pull request, oldest
	// first, following pagination.
	ListComments(ctx context.Context, repo RepoRef, number int64) ([]Comment, error)
	// AddLabels adds labels to an issue or pull request. A label the
	// repository does not have yet is created first, with its Color and
	// Description.
	AddLabels(ctx context.Context, repo RepoRef, number int64, labels []Label) error
	// RemoveLabel removes a label from an issue or pull request. A label that
	// is not there is not an error.
	RemoveLabel(ctx context.Context, repo RepoRef, number int64, name string) error
	// AddReaction reacts to a comment: one of Reaction*.
	AddReaction(ctx context.Context, repo RepoRef, commentID int64, reaction string) error
	// GetFile returns a file's content at ref (a branch, tag or SHA; "" for
	// the default branch).
	GetFile(ctx context.Context, repo RepoRef, path, ref string) ([]byte, error)
	// PutFile creates the file at path on branch, or replaces its content,
	// with one commit whose message is message, and returns the new
	// commit's SHA. Content identical to the file's present content
	// commits nothing and returns "" (no empty commits).
	//
	// An empty branch is the default branch. A write that lost a race
	// (the file changed or was created between PutFile's read and its
	// write) fails with an *APIError marked Conflict, which is Temporary:
	// calling again reads the file anew.
	PutFile(ctx context.Context, repo RepoRef, path, branch string, content []byte, message string) (string, error)
	// ListDir lists a directory at ref.
	ListDir(ctx context.Context, repo RepoRef, path, ref string) ([]DirEntry, error)
	// DefaultBranch returns the repository's default branch.
	DefaultBranch(ctx context.Context, repo RepoRef) (string, error)
	// ResolveRef returns the commit SHA a branch, tag or SHA names now (the
	// policy files' version is the commit they were read at).
	ResolveRef(ctx context.Context, repo RepoRef, ref string) (string, error)
	// Permission returns a user's permission on the repository, normalized
	// to one of Perm*.
	Permission(ctx context.Context, repo RepoRef, login string) (string, error)
	// SetStatus sets a commit status on sha.
	SetStatus(ctx context.Context, repo RepoRef, sha string, st Status) error
	// PullCommits returns a pull request's commits, following pagination (for
	// Co-authored-by trailers).
	PullCommits(ctx context.Context, repo RepoRef, number int64) ([]Commit, error)
	// PullFiles returns the paths of the files a pull request changes
	// (added, modified, removed, renamed: both names), following pagination;
	// governance.yml's automation rules match them.
	PullFiles(ctx context.Context, repo RepoRef, number int64) ([]string, error)
	// ListClosedPulls returns one page (from 1) of the repository's closed
	// pull requests, oldest first, merged or not, and where the list goes on
	// (Page). For `accord backfill`.
	ListClosedPulls(ctx context.Context, repo RepoRef, page int) ([]PullRequest, Page, error)
	// ListReviews returns every submitted review of a pull request, oldest
	// first (pending reviews are left out).
	ListReviews(ctx context.Context, repo RepoRef, number int64) ([]Review, error)
	// ListIssues returns one page of the repository's issues, open and
	// closed, without pull requests, and where the list goes on. The order is the
	// forge's (GitHub: oldest first; Gitea cannot sort: newest first); a
	// page may be empty while more follow.
	ListIssues(ctx context.Context, repo RepoRef, page int) ([]Issue, Page, error)
	// ListReleases returns one page of the repository's releases, drafts
	// left out, and where the list goes on (newest first, as both forges list them).
	ListReleases(ctx context.Context, repo RepoRef, page int) ([]Release, Page, error)
	// FileHistory returns the SHAs of the commits on ref (a branch, ""
	// for the default) that changed the file at path, newest first, at most
	// limit (the published checkpoints' history: `accord ledger verify
	// --checkpoint-from`).
	FileHistory(ctx context.Context, repo RepoRef, path, ref string, limit int) ([]string, error)
	// ListUpdatedIssues returns one page of the repository's issues and
	// pull requests (IsPull) updated at or after since, open and closed, and
	// where the list goes on. For catching up on what changed
	// while the bot was down.
	ListUpdatedIssues(ctx context.Context, repo RepoRef, since time.Time, page int) ([]Issue, Page, error)
	// GetPull returns a pull request (for catching up on one the list of
	// changed issues names).
	GetPull(ctx context.Context, repo RepoRef, number int64) (*PullRequest, error)
	// ListRepoComments returns one page of the comments on the repository's
	// issues and pull requests created or edited at or after since, and the
	// next page. For catching up.
	ListRepoComments(ctx context.Context, repo RepoRef, since time.Time, page int) ([]IssueComment, Page, error)
	// RecentDeliveries lists the forge's record of the webhook deliveries
	// it made at or after since, every attempt, newest first: the GitHub
	// App's hook, or with a token the webhooks of repos that send to
	// Accord's /hooks/{forge}. A forge without such an API (Gitea,
	// Forgejo) fails with ErrNotSupported.
	RecentDeliveries(ctx context.Context, repos []RepoRef, since time.Time) ([]DeliveryRecord, error)
	// Redeliver asks the forge to send a delivery again (a new attempt of
	// d's, with the same delivery ID and signed): it arrives through the
	// intake like any other. ErrNotSupported where RecentDeliveries is.
	Redeliver(ctx context.Context, d DeliveryRecord) error
	// Connect makes the repository send its webhooks to hookURL signed with
	// secret: on Gitea and Forgejo (and GitHub with a token) it creates the
	// repository's webhook, or updates one that points at hookURL but differs,
	// and says which; a GitHub App cannot make hooks, so it says whether the
	// App is installed on the repository and gives the URL to install it.
	Connect(ctx context.Context, repo RepoRef, hookURL, secret string) (*ConnectResult, error)
	// Check calls the forge once with the configured credentials and says
	// who they authenticate as.
	Check(ctx context.Context) (*Identity, error)
}

// ErrNotSupported is what a Client method fails with on a forge that has no
// API for it (Gitea and Forgejo keep no deliveries to redeliver).
var ErrNotSupported = errors.New("not supported by this forge")

// DeliveryRecord is one attempt at a webhook delivery as the forge's
// deliveries API lists it.
type DeliveryRecord struct {
	ID         string    // the delivery ID the delivery's header carries (GitHub: the GUID)
	Attempt    int64     // this attempt's own ID at the forge, which Redeliver names
	Event      string    // the forge's event name, e.g. "issue_comment"
	Action     string    // the payload's action, if any
	At         time.Time // when the forge made the attempt
	StatusCode int       // what the hook's URL answered; 0 when it did not answer
	Redelivery bool      // a redelivery of an earlier attempt
	// Repo and HookID are the repository webhook the attempt went through;
	// HookID is 0 for a GitHub App's hook.
	Repo   RepoRef
	HookID int64
}

// OK reports whether the hook's URL acknowledged the attempt (2xx).
func (d DeliveryRecord) OK() bool { return d.StatusCode >= 200 && d.StatusCode < 300 }

// IssueComment is a comment with the issue or pull request it is on.
type IssueComment struct {
	Number  int64 // the issue or pull request
	Comment Comment
}

// Page says where a paged list goes on after the page a List method
// returned (pages count from 1).
type Page struct {
	// Next is the page to ask for next, 0 after the last.
	Next int
	// Last is the list's last page as the forge tells it (GitHub's Link
	// rel="last", Gitea's X-Total-Count), 0 when it does not say. It is an
	// estimate for a progress bar, never a loop bound: a list can grow
	// while it is read, and the forges drop items (drafts, pull requests
	// among issues) after counting them.
	Last int
}

// RepoRef names a repository to act on. InstallationID is the GitHub App
// installation a delivery came through (0: the client finds it, or uses its
// token).
type RepoRef struct {
	Owner          string `json:"owner"`
	Name           string `json:"name"`
	InstallationID int64  `json:"installation_id,omitempty"`
}

// FullName is "owner/name".
func (r RepoRef) FullName() string { return r.Owner + "/" + r.Name }

// Ref is where an event happened, as a RepoRef to act on.
func (e *Event) Ref() RepoRef {
	return RepoRef{Owner: e.Repo.Owner, Name: e.Repo.Name, InstallationID: e.InstallationID}
}

// Label is a label with the colour and description it gets when the bot
// has to create it.
type Label struct {
	Name        string `json:"name"`
	Color       string `json:"color"` // six hex digits, no "#"
	Description string `json:"description,omitempty"`
}

// Reactions the bot uses, in GitHub's and Gitea's shared spelling.
const (
	ReactionThumbsUp = "+1"
	ReactionConfused = "confused"
	ReactionEyes     = "eyes"
)

// Permissions, normalized: GitHub's maintain counts as write and triage as
// read; Gitea's owner counts as admin.
const (
	PermAdmin = "admin"
	PermWrite = "write"
	PermRead  = "read"
	PermNone  = "none"
)

// Status is a commit status.
type Status struct {
	State       string `json:"state"`   // StatusPending, StatusSuccess, StatusFailure or StatusError
	Context     string `json:"context"` // e.g. "accord/vote"
	Description string `json:"description,omitempty"`
	TargetURL   string `json:"target_url,omitempty"`
}

// Commit status states.
const (
	StatusPending = "pending"
	StatusSuccess = "success"
	StatusFailure = "failure"
	StatusError   = "error"
)

// DirEntry is one entry of a directory listing.
type DirEntry struct {
	Name string `json:"name"`
	Path string `json:"path"`
	Type string `json:"type"` // "file", "dir", "symlink" or "submodule"
	SHA  string `json:"sha"`
}

// ConnectResult says what Connect did.
type ConnectResult struct {
	Action string // ConnectCreated, ConnectUpdated, ConnectUnchanged, or ConnectInstall (a GitHub App)
	HookID int64  // the webhook, for created, updated and unchanged
	// InstallURL is where to install the GitHub App; Installed says whether
	// it already is on the repository.
	InstallURL string
	Installed  bool
}

// What Connect did.
const (
	ConnectCreated   = "created"
	ConnectUpdated   = "updated"
	ConnectUnchanged = "unchanged"
	ConnectInstall   = "install"
)

// Identity is who a forge's credentials authenticate as.
type Identity struct {
	Login string // the user or the App's slug
	// Author is the login the forge shows as the author of what these
	// credentials post (comments): the user's login, or for a GitHub App
	// its slug with "[bot]" ("octoapp[bot]").
	Author string
	Detail string // e.g. "GitHub App 123456, 2 installations" or "Gitea 1.26.0"
}

// Observer is told about every API call a Client makes, for metrics. Op is
// the Client method ("CreateComment"), outcome "ok", "not_found",
// "rate_limited", "client_error", "server_error" or "network_error".
type Observer interface {
	APICall(forge, op, outcome string, took time.Duration)
	// RateLimit reports the forge's remaining API budget after a call whose
	// answer said it.
	RateLimit(forge string, remaining int)
}

// NopObserver observes nothing.
type NopObserver struct{}

// APICall does nothing.
func (NopObserver) APICall(string, string, string, time.Duration) {}

// RateLimit does nothing.
func (NopObserver) RateLimit(string, int) {}
