package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/accord-coop/accord/forges"
	"github.com/accord-coop/accord/store"
)

// Backfill reads a repository's past through the forge's API (merged pull
// requests with their commits, reviews of closed pull requests, opened
// issues, published releases) and records the facts the webhooks would
// have made, with the same IDs: a co-op that joins late is credited for
// past work, and work already recorded is not recorded twice. It goes page
// by page, saving where it is with each page's facts, so a backfill that
// stops (an error, Ctrl-C, a crash) resumes where it stopped. A run after
// one that finished is incremental: it reads only what changed since that
// run began.
//
// Not backfilled: who closed an issue (the list does not say), comments,
// and pushed commits (the merges cover the work that reached the default
// branch through pull requests).
type Backfill struct {
	Forge  string
	Client forges.Client
	Store  *store.Store
	Since  time.Time // facts before this are left out; zero for all
	// ReviewIDs is false for Gitea and Forgejo, whose review webhooks carry
	// no review ID: their review facts are identified without it, and so
	// must be here.
	ReviewIDs bool
	// Progress, if set, is told after each page and before each wait for
	// a rate limit.
	Progress func(BackfillProgress)
	// Wait sleeps until t or ctx ends (tests make it instant).
	Wait func(ctx context.Context, t time.Time) error
	Now  func() time.Time

	// New and Seen count, for the last Run, the facts it recorded and the
	// facts it found already in the ledger (a second run's are all seen).
	New, Seen int

	at BackfillProgress // the page being read, for Progress during a wait
}

// BackfillProgress is where a backfill stands.
type BackfillProgress struct {
	// Phase is the list being read: pulls (closed pull requests), issues,
	// updated (what changed since the last run), releases.
	Phase string
	// Page is the page just read; LastPage the phase's last page as the
	// forge tells it, 0 when it does not say.
	Page, LastPage int
	// Facts is how many facts this repository's backfill has recorded,
	// over every run.
	Facts int
	// RateLimitedUntil, when set, says the backfill waits for the forge's
	// rate limit to reset before it reads Page (again).
	RateLimitedUntil time.Time
}

// A first run reads the repository's whole past: closed pull requests,
// issues, releases. A run after one that finished reads only what changed
// since that one began: the issues and pull requests updated since (one
// list for both), and the releases down to the first older one.
var backfillPhases = map[string]string{"pulls": "issues", "issues": "releases", "updated": "releases", "releases": "done"}

// changeOverlap is how far before the last complete run an incremental run
// looks, so that the forge's clock running behind ours loses nothing (what
// is read twice is recorded once, by its ID).
const changeOverlap = time.Hour

func nextPhase(phase string) string {
	if next, ok := backfillPhases[phase]; ok {
		return next
	}
	return "done"
}

// startOrResume is the cursor a run starts from: the one stopped part way,
// or a new run, incremental when an earlier run with the same start date
// finished (the facts already recorded are skipped by their IDs either way).
func (b *Backfill) startOrResume(cur *store.BackfillCursor) *store.BackfillCursor {
	since := b.Since.UTC()
	if cur != nil && cur.Phase != "done" && cur.Since.Equal(since) {
		return cur
	}
	next := &store.BackfillCursor{Phase: "pulls", Page: 1, Since: since, RunStarted: b.Now().UTC()}
	if cur != nil {
		next.Facts = cur.Facts
		if cur.Phase == "done" && cur.Since.Equal(since) && !cur.CompleteAsOf.IsZero() {
			next.Phase, next.CompleteAsOf = "updated", cur.CompleteAsOf
		}
	}
	return next
}

// changedSince is when the forge's changes matter from in an incremental
// run; zero in a full one.
func changedSince(cur *store.BackfillCursor) time.Time {
	if cur.CompleteAsOf.IsZero() {
		return time.Time{}
	}
	return cur.CompleteAsOf.Add(-changeOverlap)
}

// Run backfills repo, resuming a stopped run; it returns how many facts
// it recorded in all runs.
func (b *Backfill) Run(ctx context.Context, repo forges.RepoRef) (int, error) {
	if b.Wait == nil {
		b.Wait = sleepUntil
	}
	if b.Now == nil {
		b.Now = time.Now
	}
	cur, err := b.Store.GetBackfill(ctx, b.Forge, repo.FullName())
	if err != nil {
		return 0, err
	}
	cur = b.startOrResume(cur)
	b.at = BackfillProgress{}
	for cur.Phase != "done" {
		if b.at.Phase != cur.Phase {
			b.at.LastPage = 0
		}
		b.at.Phase, b.at.Page, b.at.Facts = cur.Phase, cur.Page, cur.Facts
		events, next, err := b.page(ctx, repo, cur.Phase, cur.Page, changedSince(cur))
		if err != nil {
			return cur.Facts, err
		}
		act := NewActions(b.Forge, "backfill")
		facts := &Facts{Clients: map[string]forges.Client{b.Forge: b.Client}}
		for _, ev := range events {
			if err := b.retry(ctx, func() error { return facts.Handle(ctx, ev, act) }); err != nil {
				return cur.Facts, err
			}
		}
		nextCur := *cur
		if next.Next == 0 {
			nextCur.Phase, nextCur.Page = nextPhase(cur.Phase), 1
			if nextCur.Phase == "done" {
				nextCur.CompleteAsOf = cur.RunStarted
			}
		} else {
			nextCur.Page = next.Next
		}
		es := entries(act)
		n, err := b.Store.SaveBackfillPage(ctx, b.Forge, repo.FullName(), nextCur, b.Now(), es)
		if err != nil {
			return cur.Facts, err
		}
		b.New, b.Seen = b.New+n, b.Seen+len(es)-n
		nextCur.Facts = cur.Facts + n
		b.at.LastPage, b.at.Facts = next.Last, nextCur.Facts
		if b.Progress != nil {
			b.Progress(b.at)
		}
		cur = &nextCur
	}
	return cur.Facts, nil
}

// page reads one page of a phase and turns it into the events a webhook
// would have delivered.
func (b *Backfill) page(ctx context.Context, repo forges.RepoRef, phase string, page int, changed time.Time) (events []*forges.Event, next forges.Page, err error) {
	defer func() {
		if err != nil && ctx.Err() == nil {
			err = &wordsError{err: err, msg: fmt.Sprintf("reading %s on %s (page %d) failed: %s (run it again: it resumes where it stopped)",
				map[string]string{"pulls": "its closed pull requests", "issues": "its issues", "releases": "its releases",
					"updated": "the issues and pull requests changed since the last run"}[phase],
				b.Forge, page, forges.Problem(err))}
		}
	}()
	err = b.retry(ctx, func() error {
		events = nil
		var err error
		switch phase {
		case "pulls":
			var prs []forges.PullRequest
			if prs, next, err = b.Client.ListClosedPulls(ctx, repo, page); err == nil {
				events, err = b.pullEvents(ctx, repo, prs)
			}
		case "issues":
			var is []forges.Issue
			if is, next, err = b.Client.ListIssues(ctx, repo, page); err == nil {
				events = b.issueEvents(repo, is)
			}
		case "updated":
			events, next, err = b.changedEvents(ctx, repo, changed, page)
		case "releases":
			var rs []forges.Release
			if rs, next, err = b.Client.ListReleases(ctx, repo, page); err == nil {
				published, older := 0, 0
				for i := range rs {
					if rs[i].Draft {
						continue
					}
					published++
					if rs[i].PublishedAt.Before(changed) {
						older++
					}
					if !rs[i].PublishedAt.Before(b.Since) {
						events = append(events, b.event(repo, forges.KindRelease, forges.ActionPublished, rs[i].PublishedAt, func(ev *forges.Event) { ev.Release = &rs[i] }))
					}
				}
				// Releases come newest first: a page whose releases are all
				// older than the last run is where the new ones end.
				if !changed.IsZero() && published > 0 && older == published {
					next = forges.Page{Last: page}
				}
			}
		}
		return err
	})
	return events, next, err
}

// issueEvents are the openings of the issues (not pull requests) in is.
func (b *Backfill) issueEvents(repo forges.RepoRef, is []forges.Issue) []*forges.Event {
	var events []*forges.Event
	for i := range is {
		if !is[i].IsPull && !is[i].CreatedAt.Before(b.Since) {
			events = append(events, b.event(repo, forges.KindIssue, forges.ActionOpened, is[i].CreatedAt, func(ev *forges.Event) { ev.Issue = &is[i] }))
		}
	}
	return events
}

// changedEvents are one page of the issues and pull requests updated since
// changed as events: new issues' openings, and the merges and reviews of the
// closed pull requests among them (a review or a merge updates its pull
// request).
func (b *Backfill) changedEvents(ctx context.Context, repo forges.RepoRef, changed time.Time, page int) ([]*forges.Event, forges.Page, error) {
	is, next, err := b.Client.ListUpdatedIssues(ctx, repo, changed, page)
	if err != nil {
		return nil, next, err
	}
	events := b.issueEvents(repo, is)
	var prs []forges.PullRequest
	for _, i := range is {
		if !i.IsPull || i.State != "closed" {
			continue
		}
		pr, err := b.Client.GetPull(ctx, repo, i.Number)
		if err != nil {
			return nil, next, err
		}
		prs = append(prs, *pr)
	}
	more, err := b.pullEvents(ctx, repo, prs)
	return append(events, more...), next, err
}

// pullEvents are a page of closed pull requests as events: the merge of
// each merged one, and the reviews of each.
func (b *Backfill) pullEvents(ctx context.Context, repo forges.RepoRef, prs []forges.PullRequest) ([]*forges.Event, error) {
	var events []*forges.Event
	for i := range prs {
		pr := &prs[i]
		if pr.Merged && !pr.MergedAt.Before(b.Since) {
			events = append(events, b.event(repo, forges.KindPullRequest, forges.ActionClosed, pr.MergedAt, func(ev *forges.Event) { ev.PullRequest = pr }))
		}
		reviews, err := b.Client.ListReviews(ctx, repo, pr.Number)
		if err != nil {
			return nil, err
		}
		for j := range reviews {
			r := reviews[j]
			if r.SubmittedAt.Before(b.Since) {
				continue
			}
			if !b.ReviewIDs {
				r.ID = 0
			}
			events = append(events, b.event(repo, forges.KindReview, forges.ActionSubmitted, r.SubmittedAt, func(ev *forges.Event) {
				ev.PullRequest, ev.Review, ev.Actor = pr, &r, r.Author
			}))
		}
	}
	return events, nil
}

func (b *Backfill) event(repo forges.RepoRef, kind forges.Kind, action string, at time.Time, fill func(*forges.Event)) *forges.Event {
	ev := &forges.Event{Forge: b.Forge, DeliveryID: "backfill", Name: "backfill", Kind: kind, Action: action,
		Repo: forges.Repo{Owner: repo.Owner, Name: repo.Name}, Time: at.UTC(), InstallationID: repo.InstallationID}
	fill(ev)
	return ev
}

// retry runs call until it succeeds: a rate limit waits until it lifts,
// other temporary failures back off (1 s doubling, five tries), anything
// else is returned (the backfill can be run again and resumes).
func (b *Backfill) retry(ctx context.Context, call func() error) error {
	delay := time.Second
	for tries := 1; ; tries++ {
		err := call()
		var ae *forges.APIError
		switch {
		case err == nil:
			return nil
		case errors.As(err, &ae) && ae.RateLimited():
			until := ae.RetryAt
			if until.IsZero() {
				until = b.Now().Add(time.Minute)
			}
			if b.Progress != nil {
				at := b.at
				at.RateLimitedUntil = until
				b.Progress(at)
			}
			if werr := b.Wait(ctx, until); werr != nil {
				return werr
			}
		case errors.As(err, &ae) && ae.Temporary() && tries < 5:
			if werr := b.Wait(ctx, b.Now().Add(delay)); werr != nil {
				return werr
			}
			delay *= 2
		default:
			return err
		}
	}
}

// wordsError says an error in words a user understands, and keeps it for
// errors.Is and errors.As.
type wordsError struct {
	msg string
	err error
}

func (e *wordsError) Error() string { return e.msg }
func (e *wordsError) Unwrap() error { return e.err }

func sleepUntil(ctx context.Context, t time.Time) error {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
