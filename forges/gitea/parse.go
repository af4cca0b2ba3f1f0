package gitea

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/accord-coop/accord/forges"
)

// The payload types below are private on purpose: they hold only what Accord
// reads, in the shape Gitea's webhooks really have (which is not always the
// SDK's API shape), so that a field Accord does not read can never make a
// delivery fail to parse.

// envelope is what every payload may carry besides its own object. It is
// decoded on its own so that an event Accord ignores is recorded with its
// repo and sender even when its other fields have shapes we do not know
// (a wiki event's "comment" is a string, not an object).
type envelope struct {
	Action     string      `json:"action"`
	Repository *repository `json:"repository"`
	Sender     *user       `json:"sender"`
}

type repository struct {
	Name          string `json:"name"`
	FullName      string `json:"full_name"`
	Owner         *user  `json:"owner"`
	DefaultBranch string `json:"default_branch"`
	Private       bool   `json:"private"`
}

type user struct {
	ID       int64  `json:"id"`
	Login    string `json:"login"`
	UserName string `json:"username"` // the same as login; older versions sent only this
	Email    string `json:"email"`
}

type label struct {
	Name string `json:"name"`
}

type issue struct {
	Number      int64     `json:"number"`
	Title       string    `json:"title"`
	User        *user     `json:"user"`
	State       string    `json:"state"`
	Labels      []*label  `json:"labels"`
	HTMLURL     string    `json:"html_url"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	ClosedAt    time.Time `json:"closed_at"`
	PullRequest *struct {
		Merged   bool      `json:"merged"`
		MergedAt time.Time `json:"merged_at"`
		HTMLURL  string    `json:"html_url"`
	} `json:"pull_request"` // null unless the issue is a pull request
}

type branch struct {
	Ref string `json:"ref"`
	SHA string `json:"sha"`
}

type pullRequest struct {
	Number         int64     `json:"number"`
	Title          string    `json:"title"`
	User           *user     `json:"user"`
	State          string    `json:"state"`
	Labels         []*label  `json:"labels"`
	HTMLURL        string    `json:"html_url"`
	Merged         bool      `json:"merged"`
	MergedAt       time.Time `json:"merged_at"`
	MergedBy       *user     `json:"merged_by"`
	MergeCommitSHA string    `json:"merge_commit_sha"`
	Head           *branch   `json:"head"`
	Base           *branch   `json:"base"`
	Additions      int       `json:"additions"`
	Deletions      int       `json:"deletions"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	ClosedAt       time.Time `json:"closed_at"`
}

type comment struct {
	ID        int64     `json:"id"`
	Body      string    `json:"body"`
	User      *user     `json:"user"`
	HTMLURL   string    `json:"html_url"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// review is all a Gitea review delivery says about the review: no ID, no
// author (the sender is), no time.
type review struct {
	Type    string `json:"type"`
	Content string `json:"content"`
}

type payloadCommit struct {
	ID        string    `json:"id"`
	Message   string    `json:"message"`
	Author    *gitUser  `json:"author"`
	Timestamp time.Time `json:"timestamp"`
}

type gitUser struct {
	Name     string `json:"name"`
	Email    string `json:"email"`
	UserName string `json:"username"` // the account Gitea matched the email to, if any
}

type release struct {
	ID          int64     `json:"id"`
	TagName     string    `json:"tag_name"`
	Name        string    `json:"name"`
	Author      *user     `json:"author"`
	Draft       bool      `json:"draft"`
	Prerelease  bool      `json:"prerelease"`
	HTMLURL     string    `json:"html_url"`
	CreatedAt   time.Time `json:"created_at"`
	PublishedAt time.Time `json:"published_at"`
}

// body is the rest of a payload of an event Accord acts on. It is decoded
// only for those, whose field shapes are known.
type body struct {
	Issue       *issue       `json:"issue"`
	PullRequest *pullRequest `json:"pull_request"`
	Comment     *comment     `json:"comment"`
	Review      *review      `json:"review"`
	IsPull      bool         `json:"is_pull"`
	Release     *release     `json:"release"`

	Ref        string          `json:"ref"`
	Before     string          `json:"before"`
	After      string          `json:"after"`
	Commits    []payloadCommit `json:"commits"`
	HeadCommit *payloadCommit  `json:"head_commit"`
	Pusher     *user           `json:"pusher"`
}

// family groups the fine event types by the kind of object they are about.
type family int

const (
	famNone family = iota
	famIssue
	famPull
	famComment
	famReview
	famPush
	famRelease
)

// families maps Gitea's fine event types, and the coarse ones that stand in
// for them when a delivery has no Event-Type header, to what Accord makes of
// them. Types not here (create, delete, fork, wiki, repository, issue_assign,
// issue_milestone, pull_request_assign, pull_request_review_request, …) are
// ignored.
var families = map[string]family{
	"issues":                       famIssue,
	"issue_label":                  famIssue,
	"pull_request":                 famPull,
	"pull_request_label":           famPull,
	"pull_request_sync":            famPull,
	"issue_comment":                famComment,
	"pull_request_comment":         famComment, // coarse for review comments too: see Parse
	"pull_request_review_approved": famReview,
	"pull_request_review_rejected": famReview,
	"pull_request_review_comment":  famReview,
	"pull_request_approved":        famReview, // the coarse names of the review types
	"pull_request_rejected":        famReview,
	"push":                         famPush,
	"release":                      famRelease,
}

// actions maps the actions Accord acts on, per family, to their normalized
// names; other actions are ignored. Gitea reports label changes as the
// whole new set ("label_updated", "label_cleared"), never the one label.
var actions = map[family]map[string]string{
	famIssue: {
		"opened": forges.ActionOpened, "closed": forges.ActionClosed,
		"reopened": forges.ActionReopened, "edited": forges.ActionEdited,
		"label_updated": forges.ActionLabelsUpdated, "label_cleared": forges.ActionLabelsUpdated,
	},
	famPull: {
		"opened": forges.ActionOpened, "closed": forges.ActionClosed,
		"reopened": forges.ActionReopened, "edited": forges.ActionEdited,
		"synchronized":  forges.ActionSynchronized,
		"label_updated": forges.ActionLabelsUpdated, "label_cleared": forges.ActionLabelsUpdated,
	},
	famComment: {
		"created": forges.ActionCreated, "edited": forges.ActionEdited, "deleted": forges.ActionDeleted,
	},
	famReview: {
		"reviewed": forges.ActionSubmitted, "submitted": forges.ActionSubmitted,
	},
	famRelease: {
		"published": forges.ActionPublished,
	},
}

// Parse turns a stored Gitea or Forgejo delivery into an event. It reads the
// fine event type the intake stored ("Event-Type"), else the event name.
func (w *Webhooks) Parse(d forges.Delivery) (*forges.Event, error) {
	name := d.Headers["Event-Type"]
	if name == "" {
		name = d.Event
	}
	var env envelope
	if err := json.Unmarshal(d.Body, &env); err != nil {
		return nil, fmt.Errorf("%s payload is not valid JSON: %w", name, err)
	}
	forge := d.Forge
	if forge == "" {
		forge = w.forge
	}
	received := d.ReceivedAt.UTC()
	ev := &forges.Event{
		Forge:      forge,
		DeliveryID: d.ID,
		Name:       name,
		Kind:       forges.KindIgnored,
		Action:     env.Action,
		Actor:      toUser(env.Sender),
		Time:       received,
	}
	if env.Repository != nil {
		ev.Repo = toRepo(env.Repository)
	}

	fam := families[name]
	if name == "pull_request_comment" && actions[famReview][env.Action] != "" {
		// Without the Event-Type header, review comments arrive under this
		// coarse name too; only their action tells them from comments.
		fam = famReview
	}
	if fam == famNone {
		return ev, nil
	}
	// Every payload of these event types names its repository, whatever
	// the action: one that does not is broken, not merely uninteresting.
	if ev.Repo.Owner == "" || ev.Repo.Name == "" {
		return nil, fmt.Errorf("%s payload has no repository", name)
	}
	if fam != famPush {
		action, ok := actions[fam][env.Action]
		if !ok {
			return ev, nil
		}
		ev.Action = action
	}
	var b body
	if err := json.Unmarshal(d.Body, &b); err != nil {
		return nil, fmt.Errorf("%s payload: %w", name, err)
	}
	var err error
	switch fam {
	case famIssue:
		err = parseIssue(ev, &b)
	case famPull:
		err = parsePull(ev, &b)
	case famComment:
		err = parseComment(ev, &b)
	case famReview:
		err = parseReview(ev, &b)
	case famPush:
		err = parsePush(ev, &b)
	case famRelease:
		err = parseRelease(ev, &b)
	}
	if err != nil {
		return nil, fmt.Errorf("%s payload: %w", name, err)
	}
	ev.Time = ev.Time.UTC()
	return ev, nil
}

func parseIssue(ev *forges.Event, b *body) error {
	if b.Issue == nil {
		return errors.New("no issue")
	}
	ev.Kind = forges.KindIssue
	ev.Issue = toIssue(b.Issue)
	ev.Time = issueTime(b.Issue, ev.Action, ev.Time)
	return nil
}

func parsePull(ev *forges.Event, b *body) error {
	if b.PullRequest == nil {
		return errors.New("no pull_request")
	}
	ev.Kind = forges.KindPullRequest
	ev.PullRequest = toPull(b.PullRequest)
	ev.Time = pullTime(b.PullRequest, ev.Action, ev.Time)
	return nil
}

// parseComment reads a comment on an issue or a pull request. A comment on
// a pull request comes as "pull_request_comment" with the pull request in
// full, or (from versions without the fine event types) as "issue_comment"
// on an issue that says it is a pull request.
func parseComment(ev *forges.Event, b *body) error {
	if b.Issue == nil || b.Comment == nil {
		return errors.New("no issue or comment")
	}
	ev.Kind = forges.KindComment
	ev.Issue = toIssue(b.Issue)
	ev.Issue.IsPull = ev.Name == "pull_request_comment" || b.IsPull || b.Issue.PullRequest != nil || b.PullRequest != nil
	if ev.Issue.IsPull {
		if b.PullRequest != nil {
			ev.PullRequest = toPull(b.PullRequest)
		} else {
			ev.PullRequest = pullFromIssue(b.Issue, ev.Issue)
		}
	}
	ev.Comment = toComment(b.Comment)
	ev.Time = commentTime(ev.Comment, ev.Action, ev.Time)
	return nil
}

// parseReview reads a submitted review. Gitea names the verdict only in the
// event type (and the review's "type", the same string), and says nothing of
// when the review was submitted: the event takes the receipt time and
// SubmittedAt stays zero rather than pretend the pull request's updated_at
// (which a review does not change) is the review's.
func parseReview(ev *forges.Event, b *body) error {
	if b.PullRequest == nil {
		return errors.New("no pull_request")
	}
	verdict := ev.Name
	if b.Review != nil && b.Review.Type != "" {
		verdict = b.Review.Type
	}
	r := &forges.Review{Author: ev.Actor}
	switch verdict {
	case "pull_request_review_approved", "pull_request_approved":
		r.State = forges.ReviewApproved
	case "pull_request_review_rejected", "pull_request_rejected":
		r.State = forges.ReviewChangesRequested
	default:
		r.State = forges.ReviewCommented
	}
	if b.Review != nil {
		r.Body = b.Review.Content
	}
	if b.PullRequest.Head != nil {
		r.CommitSHA = b.PullRequest.Head.SHA
	}
	ev.Kind = forges.KindReview
	ev.PullRequest = toPull(b.PullRequest)
	ev.Review = r
	return nil
}

// parsePush reads a push. Gitea lists no commits when a push creates a
// branch or a tag (only head_commit): Commits is then empty, as the payload
// says, and the commits turn up in the push that brings them to another
// branch.
func parsePush(ev *forges.Event, b *body) error {
	if b.Ref == "" {
		return errors.New("no ref")
	}
	p := &forges.Push{
		Ref:     b.Ref,
		Before:  b.Before,
		After:   b.After,
		Pusher:  ev.Actor,
		Commits: make([]forges.Commit, 0, len(b.Commits)),
	}
	if b.Pusher != nil {
		p.Pusher = toUser(b.Pusher)
	}
	for i := range b.Commits {
		p.Commits = append(p.Commits, toCommit(&b.Commits[i]))
	}
	ev.Kind = forges.KindPush
	ev.Action = ""
	ev.Push = p
	ev.Time = pushTime(ev.Time)
	return nil
}

func parseRelease(ev *forges.Event, b *body) error {
	if b.Release == nil {
		return errors.New("no release")
	}
	r := b.Release
	ev.Kind = forges.KindRelease
	ev.Release = &forges.Release{
		ID:         r.ID,
		Tag:        r.TagName,
		Name:       r.Name,
		Author:     toUser(r.Author),
		Draft:      r.Draft,
		Prerelease: r.Prerelease,
		URL:        r.HTMLURL,
	}
	ev.Time = orTime(r.PublishedAt, orTime(r.CreatedAt, ev.Time))
	return nil
}

// toRepo names the repository. Its owner is a user object; full_name stands
// in should a payload lack it.
func toRepo(r *repository) forges.Repo {
	out := forges.Repo{Name: r.Name, DefaultBranch: r.DefaultBranch, Private: r.Private}
	if r.Owner != nil {
		out.Owner = login(r.Owner)
	}
	if owner, name, ok := strings.Cut(r.FullName, "/"); ok {
		if out.Owner == "" {
			out.Owner = owner
		}
		if out.Name == "" {
			out.Name = name
		}
	}
	return out
}
