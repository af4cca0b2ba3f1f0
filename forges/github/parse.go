package github

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	gh "github.com/google/go-github/v60/github"

	"github.com/accord-coop/accord/forges"
)

// envelope is what every GitHub payload may carry besides its own object.
// It is decoded on its own, with plain types, so that an event Accord ignores
// is recorded with its repo and sender even when go-github has no type for it.
type envelope struct {
	Action     string `json:"action"`
	Repository *struct {
		Name          string                 `json:"name"`
		Owner         struct{ Login string } `json:"owner"`
		DefaultBranch string                 `json:"default_branch"`
		Private       bool                   `json:"private"`
	} `json:"repository"`
	Sender *struct {
		ID    int64  `json:"id"`
		Login string `json:"login"`
		Type  string `json:"type"`
	} `json:"sender"`
	Installation *struct {
		ID int64 `json:"id"`
	} `json:"installation"`
}

// The actions Accord acts on, per event; other actions are ignored.
var (
	issueActions = set(forges.ActionOpened, forges.ActionClosed, forges.ActionReopened,
		forges.ActionEdited, forges.ActionLabeled, forges.ActionUnlabeled)
	pullActions = set(forges.ActionOpened, forges.ActionClosed, forges.ActionReopened,
		forges.ActionEdited, forges.ActionLabeled, forges.ActionUnlabeled, "synchronize")
	commentActions = set(forges.ActionCreated, forges.ActionEdited, forges.ActionDeleted)
)

// typed are the events Accord acts on (for some actions): they are decoded
// once, by go-github, and everything is read from its value. Other events
// are decoded only as far as the envelope.
var typed = set("ping", "push", "installation", "installation_repositories",
	"issues", "pull_request", "issue_comment", "pull_request_review", "release")

// Parse turns a stored GitHub delivery into an event. The kinds Accord acts
// on are decoded by go-github's ParseWebHook; anything else is KindIgnored.
func (w *Webhooks) Parse(d forges.Delivery) (*forges.Event, error) {
	ev := &forges.Event{
		Forge:      w.forge,
		DeliveryID: d.ID,
		Name:       d.Event,
		Kind:       forges.KindIgnored,
		Time:       d.ReceivedAt.UTC(),
	}
	if !typed[d.Event] {
		return ev, w.parseEnvelope(ev, d.Body)
	}
	parsed, err := gh.ParseWebHook(d.Event, d.Body)
	if err != nil {
		// A payload go-github cannot take may still be one Accord ignores
		// (an action it does not act on, with a field of a new shape).
		if eerr := w.parseEnvelope(ev, d.Body); eerr != nil || w.acts(d.Event, ev.Action) {
			return nil, fmt.Errorf("%s payload: %w", d.Event, err)
		}
		return ev, nil
	}
	common(ev, parsed)
	if !w.acts(d.Event, ev.Action) {
		return ev, nil
	}
	if d.Event != "ping" && d.Event != "installation" && d.Event != "installation_repositories" && ev.Repo.Name == "" {
		return nil, fmt.Errorf("%s payload has no repository", d.Event)
	}
	if err := fill(ev, parsed); err != nil {
		return nil, fmt.Errorf("%s payload: %w", d.Event, err)
	}
	ev.Time = ev.Time.UTC()
	return ev, nil
}

// parseEnvelope reads the action, repo, sender and installation of any
// payload.
func (w *Webhooks) parseEnvelope(ev *forges.Event, body []byte) error {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return fmt.Errorf("%s payload is not valid JSON: %w", ev.Name, err)
	}
	ev.Action = env.Action
	if r := env.Repository; r != nil {
		ev.Repo = forges.Repo{Owner: r.Owner.Login, Name: r.Name, DefaultBranch: r.DefaultBranch, Private: r.Private}
	}
	if s := env.Sender; s != nil {
		ev.Actor = forges.User{ID: s.ID, Login: s.Login, Bot: s.Type == "Bot" || forges.IsBotLogin(s.Login)}
	}
	if env.Installation != nil {
		ev.InstallationID = env.Installation.ID
	}
	return nil
}

// common reads from go-github's value what every payload may carry: the
// action, repo, sender and installation.
func common(ev *forges.Event, parsed any) {
	if a, ok := parsed.(interface{ GetAction() string }); ok {
		ev.Action = a.GetAction()
	}
	if s, ok := parsed.(interface{ GetSender() *gh.User }); ok && s.GetSender() != nil {
		ev.Actor = forges.User{ID: s.GetSender().GetID(), Login: s.GetSender().GetLogin(),
			Bot: s.GetSender().GetType() == "Bot" || forges.IsBotLogin(s.GetSender().GetLogin())}
	}
	if i, ok := parsed.(interface{ GetInstallation() *gh.Installation }); ok {
		ev.InstallationID = i.GetInstallation().GetID()
	}
	switch e := parsed.(type) {
	case *gh.PushEvent: // its repository has a type of its own
		if r := e.GetRepo(); r != nil {
			ev.Repo = forges.Repo{Owner: r.GetOwner().GetLogin(), Name: r.GetName(), DefaultBranch: r.GetDefaultBranch(), Private: r.GetPrivate()}
		}
	case interface{ GetRepo() *gh.Repository }:
		if r := e.GetRepo(); r != nil {
			ev.Repo = forges.Repo{Owner: r.GetOwner().GetLogin(), Name: r.GetName(), DefaultBranch: r.GetDefaultBranch(), Private: r.GetPrivate()}
		}
	}
}

// acts reports whether Accord acts on an event and action.
func (w *Webhooks) acts(event, action string) bool {
	switch event {
	case "ping", "push", "installation", "installation_repositories":
		return true
	case "issues":
		return issueActions[action]
	case "pull_request":
		return pullActions[action]
	case "issue_comment":
		return commentActions[action]
	case "pull_request_review":
		return action == forges.ActionSubmitted
	case "release":
		return action == forges.ActionPublished
	}
	return false
}

// fill sets the kind and the kind's object from go-github's value.
func fill(ev *forges.Event, parsed any) error {
	switch e := parsed.(type) {
	case *gh.PingEvent:
		ev.Kind = forges.KindPing
	case *gh.IssuesEvent:
		if e.Issue == nil {
			return errors.New("no issue")
		}
		ev.Kind = forges.KindIssue
		ev.Issue = issue(e.Issue)
		ev.Label = e.GetLabel().GetName()
		ev.Time = issueTime(e.Issue, ev.Action, ev.Time)
	case *gh.IssueCommentEvent:
		if e.Issue == nil || e.Comment == nil {
			return errors.New("no issue or comment")
		}
		ev.Kind = forges.KindComment
		ev.Issue = issue(e.Issue)
		ev.Comment = comment(e.Comment)
		if ev.Issue.IsPull {
			ev.PullRequest = pullFromIssue(ev.Issue)
		}
		ev.Time = commentTime(ev.Comment, ev.Action, ev.Time)
	case *gh.PullRequestEvent:
		if e.PullRequest == nil {
			return errors.New("no pull_request")
		}
		ev.Kind = forges.KindPullRequest
		if ev.Action == "synchronize" {
			ev.Action = forges.ActionSynchronized
		}
		ev.PullRequest = pull(e.PullRequest)
		ev.Label = e.GetLabel().GetName()
		ev.Time = pullTime(e.PullRequest, ev.Action, ev.Time)
	case *gh.PullRequestReviewEvent:
		if e.PullRequest == nil || e.Review == nil {
			return errors.New("no pull_request or review")
		}
		ev.Kind = forges.KindReview
		ev.PullRequest = pull(e.PullRequest)
		ev.Review = review(e.Review)
		ev.Time = orTime(e.Review.SubmittedAt, ev.Time)
	case *gh.PushEvent:
		ev.Kind = forges.KindPush
		ev.Push = push(e)
		ev.Time = pushTime(e, ev.Time)
	case *gh.ReleaseEvent:
		if e.Release == nil {
			return errors.New("no release")
		}
		ev.Kind = forges.KindRelease
		ev.Release = release(e.Release)
		ev.Time = orTime(e.Release.PublishedAt, orTime(e.Release.CreatedAt, ev.Time))
	case *gh.InstallationEvent:
		if e.Installation == nil {
			return errors.New("no installation")
		}
		ev.Kind = forges.KindInstallation
		ev.Installation = installation(e.Installation)
		ev.Time = orTime(e.Installation.UpdatedAt, ev.Time)
	case *gh.InstallationRepositoriesEvent:
		if e.Installation == nil {
			return errors.New("no installation")
		}
		ev.Kind = forges.KindInstallation
		ev.Installation = installation(e.Installation)
		switch ev.Action {
		case "added":
			ev.Action = forges.ActionReposAdded
		case "removed":
			ev.Action = forges.ActionReposRemoved
		}
		ev.Installation.ReposAdded = repoNames(e.RepositoriesAdded)
		ev.Installation.ReposRemoved = repoNames(e.RepositoriesRemoved)
	default:
		return fmt.Errorf("unexpected type %T", parsed)
	}
	return nil
}

func set(xs ...string) map[string]bool {
	m := map[string]bool{}
	for _, x := range xs {
		m[x] = true
	}
	return m
}

// orTime is t when the payload has it, else fallback.
func orTime(t *gh.Timestamp, fallback time.Time) time.Time {
	if t == nil || t.IsZero() {
		return fallback
	}
	return t.Time.UTC()
}

// issueTime is when the action happened, as near as the payload says.
func issueTime(i *gh.Issue, action string, fallback time.Time) time.Time {
	switch action {
	case forges.ActionOpened:
		return orTime(i.CreatedAt, fallback)
	case forges.ActionClosed:
		return orTime(i.ClosedAt, orTime(i.UpdatedAt, fallback))
	}
	return orTime(i.UpdatedAt, fallback)
}

func commentTime(c *forges.Comment, action string, fallback time.Time) time.Time {
	switch action {
	case forges.ActionCreated:
		if !c.CreatedAt.IsZero() {
			return c.CreatedAt
		}
	case forges.ActionEdited:
		if !c.UpdatedAt.IsZero() {
			return c.UpdatedAt
		}
	}
	// A deletion's time is not in the payload: the receipt is the best there is.
	return fallback
}

func pullTime(p *gh.PullRequest, action string, fallback time.Time) time.Time {
	switch action {
	case forges.ActionOpened:
		return orTime(p.CreatedAt, fallback)
	case forges.ActionClosed:
		if p.GetMerged() {
			return orTime(p.MergedAt, orTime(p.ClosedAt, fallback))
		}
		return orTime(p.ClosedAt, orTime(p.UpdatedAt, fallback))
	}
	return orTime(p.UpdatedAt, fallback)
}

// pushTime is the push's own time (repository.pushed_at), else its head
// commit's.
func pushTime(e *gh.PushEvent, fallback time.Time) time.Time {
	if e.Repo != nil && e.Repo.PushedAt != nil && !e.Repo.PushedAt.IsZero() {
		return e.Repo.PushedAt.Time.UTC()
	}
	if e.HeadCommit != nil {
		return orTime(e.HeadCommit.Timestamp, fallback)
	}
	return fallback
}
