// Package forges holds the forge-neutral model of what happens on a forge
// (Event) and the interface each forge adapter implements to take in its
// webhooks (Webhooks). The adapters live in forges/github and forges/gitea
// (which serves Gitea and Forgejo); nothing outside forges/* imports a forge
// SDK.
package forges

import "time"

// Kind says what an event is about. Kinds are forge-neutral: a Gitea
// "pull_request_comment" and a GitHub "issue_comment" on a pull request are
// both KindComment.
type Kind string

// The kinds of event Accord understands. Anything else is KindIgnored: stored,
// recorded as ignored, never an error.
const (
	KindPing         Kind = "ping"         // the forge checks the hook
	KindIssue        Kind = "issue"        // an issue changed (Action says how)
	KindPullRequest  Kind = "pull_request" // a pull request changed
	KindComment      Kind = "comment"      // a comment on an issue or a pull request
	KindReview       Kind = "review"       // a pull request review was submitted
	KindPush         Kind = "push"         // commits were pushed to a ref
	KindRelease      Kind = "release"      // a release changed
	KindInstallation Kind = "installation" // GitHub App installed, removed, or its repos changed
	KindIgnored      Kind = "ignored"      // anything Accord does not act on
)

// Actions, normalized across forges. Not every action applies to every kind.
const (
	ActionOpened        = "opened"
	ActionClosed        = "closed"
	ActionReopened      = "reopened"
	ActionEdited        = "edited"
	ActionLabeled       = "labeled"        // Label was added; Labels is the set after
	ActionUnlabeled     = "unlabeled"      // Label was removed; Labels is the set after
	ActionLabelsUpdated = "labels_updated" // Gitea/Forgejo: Labels is the whole new set, the change is not named
	ActionSynchronized  = "synchronized"   // new commits on a pull request's head
	ActionCreated       = "created"        // comment created; installation created
	ActionDeleted       = "deleted"        // comment deleted; installation deleted
	ActionSubmitted     = "submitted"      // review submitted
	ActionPublished     = "published"      // release published
	ActionReposAdded    = "repositories_added"
	ActionReposRemoved  = "repositories_removed"
)

// Review states, normalized.
const (
	ReviewApproved         = "approved"
	ReviewChangesRequested = "changes_requested"
	ReviewCommented        = "commented"
)

// Event is one thing that happened on a forge, in a shape that does not depend
// on the forge. The pointer fields are set only for the kinds they belong to:
// Issue for KindIssue and KindComment; PullRequest for KindPullRequest,
// KindReview and for KindComment on a pull request; Comment for KindComment;
// Review for KindReview; Push for KindPush; Release for KindRelease;
// Installation for KindInstallation.
type Event struct {
	Forge      string    `json:"forge"`       // the configured forge name, e.g. "github" or "codeberg"
	DeliveryID string    `json:"delivery_id"` // the forge's delivery ID
	Name       string    `json:"name"`        // the forge's own event name, e.g. "issue_comment" or "pull_request_review_approved"
	Kind       Kind      `json:"kind"`
	Action     string    `json:"action,omitempty"`
	Repo       Repo      `json:"repo"`
	Actor      User      `json:"actor"`
	Time       time.Time `json:"time"` // when it happened, by the payload; the receipt time where the payload says nothing

	// InstallationID is the GitHub App installation the delivery came through
	// (0 elsewhere); the GitHub adapter needs it to act on the repo later.
	InstallationID int64 `json:"installation_id,omitempty"`

	Issue        *Issue        `json:"issue,omitempty"`
	PullRequest  *PullRequest  `json:"pull_request,omitempty"`
	Comment      *Comment      `json:"comment,omitempty"`
	Review       *Review       `json:"review,omitempty"`
	Push         *Push         `json:"push,omitempty"`
	Release      *Release      `json:"release,omitempty"`
	Installation *Installation `json:"installation,omitempty"`

	// Label is the label added or removed, for ActionLabeled and ActionUnlabeled.
	Label string `json:"label,omitempty"`
}

// Repo names a repository on a forge.
type Repo struct {
	Owner         string `json:"owner"`
	Name          string `json:"name"`
	DefaultBranch string `json:"default_branch,omitempty"`
	Private       bool   `json:"private,omitempty"`
}

// FullName is "owner/name".
func (r Repo) FullName() string { return r.Owner + "/" + r.Name }

// User is an account on a forge.
type User struct {
	ID    int64  `json:"id,omitempty"`
	Login string `json:"login"`
	Email string `json:"email,omitempty"`
	Bot   bool   `json:"bot,omitempty"` // the forge says it is a bot, or the login ends in "[bot]"
}

// Issue is an issue, or the issue side of a pull request (Gitea and GitHub
// both deliver comments on pull requests as comments on issues).
type Issue struct {
	Number    int64     `json:"number"`
	Title     string    `json:"title"`
	Author    User      `json:"author"`
	State     string    `json:"state"` // "open" or "closed"
	Labels    []string  `json:"labels"`
	IsPull    bool      `json:"is_pull,omitempty"`
	URL       string    `json:"url,omitempty"` // the web page
	ClosedAt  time.Time `json:"closed_at,omitzero"`
	CreatedAt time.Time `json:"created_at,omitzero"` // set by the API clients; webhooks give it as the event's time
}

// PullRequest is a pull request.
type PullRequest struct {
	Number         int64     `json:"number"`
	Title          string    `json:"title"`
	Author         User      `json:"author"`
	State          string    `json:"state"` // "open" or "closed"
	Merged         bool      `json:"merged"`
	MergedAt       time.Time `json:"merged_at,omitzero"`
	MergedBy       *User     `json:"merged_by,omitempty"`
	MergeCommitSHA string    `json:"merge_commit_sha,omitempty"`
	HeadSHA        string    `json:"head_sha"`
	HeadRef        string    `json:"head_ref"`
	BaseRef        string    `json:"base_ref"`
	Labels         []string  `json:"labels"`
	Additions      int       `json:"additions,omitempty"`
	Deletions      int       `json:"deletions,omitempty"`
	URL            string    `json:"url,omitempty"`
}

// Comment is a comment on an issue or a pull request.
type Comment struct {
	ID        int64     `json:"id"`
	Body      string    `json:"body"`
	Author    User      `json:"author"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
	URL       string    `json:"url,omitempty"`
}

// Review is a submitted pull request review.
type Review struct {
	ID          int64     `json:"id,omitempty"` // 0 where the forge does not say (Gitea)
	State       string    `json:"state"`        // ReviewApproved, ReviewChangesRequested or ReviewCommented
	Body        string    `json:"body,omitempty"`
	Author      User      `json:"author"`
	SubmittedAt time.Time `json:"submitted_at,omitzero"`
	CommitSHA   string    `json:"commit_sha,omitempty"`
}

// Push is a push of commits to a ref.
type Push struct {
	Ref     string   `json:"ref"` // e.g. "refs/heads/main"
	Before  string   `json:"before"`
	After   string   `json:"after"`
	Pusher  User     `json:"pusher"`
	Commits []Commit `json:"commits"`
}

// Branch is the branch name of a "refs/heads/…" ref, or "" for other refs.
func (p *Push) Branch() string {
	const prefix = "refs/heads/"
	if len(p.Ref) > len(prefix) && p.Ref[:len(prefix)] == prefix {
		return p.Ref[len(prefix):]
	}
	return ""
}

// Commit is one commit of a push.
type Commit struct {
	SHA         string    `json:"sha"`
	Message     string    `json:"message"`
	AuthorName  string    `json:"author_name"`
	AuthorEmail string    `json:"author_email"`
	AuthorLogin string    `json:"author_login,omitempty"` // when the forge matched the email to an account
	Time        time.Time `json:"time"`
}

// Release is a release.
type Release struct {
	ID          int64     `json:"id"`
	Tag         string    `json:"tag"`
	Name        string    `json:"name"`
	Author      User      `json:"author"`
	Draft       bool      `json:"draft,omitempty"`
	Prerelease  bool      `json:"prerelease,omitempty"`
	URL         string    `json:"url,omitempty"`
	PublishedAt time.Time `json:"published_at,omitzero"` // set by the API clients; webhooks give it as the event's time
}

// Installation is a GitHub App installation and, for repository changes, the
// repositories added or removed ("owner/name").
type Installation struct {
	ID           int64    `json:"id"`
	Account      string   `json:"account"`
	ReposAdded   []string `json:"repos_added,omitempty"`
	ReposRemoved []string `json:"repos_removed,omitempty"`
}
