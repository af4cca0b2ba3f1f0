package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/accord-coop/accord/forges"
	"github.com/accord-coop/accord/store"
)

// CatchUpEvent is the event name of the deliveries catching up stores for
// what it found on a forge that cannot redeliver (Gitea, Forgejo): their
// body is a forges.Event, which the worker takes as it is. The intake
// refuses a delivery that claims this name.
const CatchUpEvent = "accord_catch_up"

// DefaultCatchUpEvery is how often catching up runs when the config does
// not say.
const DefaultCatchUpEvery = 5 * time.Minute

// CatchUpHorizon is how far back catching up looks at most: GitHub keeps
// its deliveries about three days, and Accord's retry horizon is 72 h.
const CatchUpHorizon = 72 * time.Hour

// catchUpOverlap is how far before the previous scan's start the next one
// starts: forge clocks differ from ours, and a change made while the scan
// ran may carry a time before its end. What is found twice is recorded
// once (delivery IDs, fact IDs, vote keys).
const catchUpOverlap = 2 * time.Minute

// maxRedeliveries is how many redeliveries of one delivery catching up
// asks for before giving up on it (one Accord keeps refusing, say with a
// bad signature).
const maxRedeliveries = 3

// CatchUp finds what the forges sent while Accord was down or unreachable.
// On GitHub it asks the deliveries API for the deliveries of the last days,
// and asks for a redelivery of each one the store does not have: it arrives
// through the intake, signed, as it first would have. Gitea and Forgejo
// cannot redeliver, so each repository Accord serves (those it recorded
// events of) is scanned for what changed since the last scan: issues
// opened, pull requests opened or closed (merged), comments made or
// edited, reviews of changed pull requests, releases published. Not found:
// who closed an issue (the list does not say), label changes, pushes, new
// commits on a pull request, deleted comments (the close's reconciliation
// reads the comments again). Each becomes the event its webhook would
// have made, stored as a delivery (event CatchUpEvent) that the worker
// hands to the handlers like any other, so a vote cast while Accord was
// down counts at once. What a webhook delivered already is left out.
type CatchUp struct {
	Store   *store.Store
	Clients map[string]forges.Client // by forge name
	// ReviewIDs says, by forge, whether its review webhooks carry review
	// IDs (GitHub); Gitea's do not, so review events found are identified
	// without, as the webhooks' are.
	ReviewIDs map[string]bool
	Self      *Self // the bot's own comments are not caught up; nil: none is
	Metrics   *Metrics
	Log       *slog.Logger
	Every     time.Duration // default DefaultCatchUpEvery
	// Stored, if set, is told after catching up stored deliveries (it
	// wakes the worker).
	Stored func()
	Now    func() time.Time
}

// Run catches up at once and then every Every until ctx ends.
func (c *CatchUp) Run(ctx context.Context) error {
	every := c.Every
	if every <= 0 {
		every = DefaultCatchUpEvery
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		c.RunOnce(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// RunOnce catches up on every forge once; a forge that fails is logged and
// tried again next time. It returns how many things it found.
func (c *CatchUp) RunOnce(ctx context.Context) int {
	names := make([]string, 0, len(c.Clients))
	for name := range c.Clients {
		names = append(names, name)
	}
	slices.Sort(names)
	found := 0
	for _, name := range names {
		n, err := c.Forge(ctx, name)
		found += n
		if err != nil && ctx.Err() == nil {
			c.log().Warn("catching up failed; next time it resumes", "forge", name, "err", err)
		}
	}
	return found
}

func (c *CatchUp) now() time.Time {
	if c.Now == nil {
		return time.Now().UTC()
	}
	return c.Now().UTC()
}

func (c *CatchUp) log() *slog.Logger {
	if c.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Log
}

func (c *CatchUp) count(forge, kind string, n int) {
	if c.Metrics != nil && n > 0 {
		c.Metrics.CatchUpFound.WithLabelValues(forge, kind).Add(float64(n))
	}
}

// Forge catches up on one forge: by redelivery where the forge can, by
// scanning its repositories where it cannot.
func (c *CatchUp) Forge(ctx context.Context, forge string) (int, error) {
	client, ok := c.Clients[forge]
	if !ok {
		return 0, fmt.Errorf("forge %q is not configured", forge)
	}
	repos, err := c.Store.KnownRepos(ctx, forge)
	if err != nil {
		return 0, err
	}
	n, err := c.redeliver(ctx, forge, client, repos)
	var ae *forges.APIError
	switch {
	case errors.Is(err, forges.ErrNotSupported):
	case errors.As(err, &ae) && ae.Op == "RecentDeliveries" && (ae.Status == http.StatusForbidden || ae.Status == http.StatusNotFound) && !ae.RateLimited():
		// The credentials may not read the deliveries (a token without
		// the right to a repository's webhooks): scan instead.
		c.log().Warn("the forge's deliveries cannot be read; scanning the repositories instead", "forge", forge, "err", err)
	default:
		return n, err
	}
	total := 0
	var errs []error
	for _, r := range repos {
		n, err := c.scan(ctx, forge, client, r)
		total += n
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", r.Repo, err))
		}
	}
	return total, errors.Join(errs...)
}

// since is where a scan starts: the cursor's, or before the first scan the
// last event recorded; never more than CatchUpHorizon ago.
func (c *CatchUp) since(cur *store.CatchUpCursor, lastEvent, now time.Time) time.Time {
	s := lastEvent
	if cur != nil {
		s = cur.Since
	}
	return later(s, now.Add(-CatchUpHorizon))
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// redeliver asks for a redelivery of each recent delivery the store does
// not have. It fails with forges.ErrNotSupported on a forge that cannot.
func (c *CatchUp) redeliver(ctx context.Context, forge string, client forges.Client, known []store.KnownRepo) (int, error) {
	now := c.now()
	cur, err := c.Store.GetCatchUp(ctx, forge, "")
	if err != nil {
		return 0, err
	}
	since := c.since(cur, time.Time{}, now)
	repos := make([]forges.RepoRef, 0, len(known))
	for _, r := range known {
		repos = append(repos, repoRef(r.Repo))
	}
	recs, err := client.RecentDeliveries(ctx, repos, since)
	if err != nil {
		return 0, err
	}
	// Each delivery with its attempts, newest first as listed.
	var ids []string
	attempts := map[string][]forges.DeliveryRecord{}
	for _, r := range recs {
		if r.ID == "" || r.Event == "ping" {
			continue // a ping is answered, never stored
		}
		if _, ok := attempts[r.ID]; !ok {
			ids = append(ids, r.ID)
		}
		attempts[r.ID] = append(attempts[r.ID], r)
	}
	have, err := c.Store.HaveDeliveries(ctx, forge, ids)
	if err != nil {
		return 0, err
	}
	last := time.Time{}
	if cur != nil {
		last = cur.LastEvent
	}
	asked := 0
	var errs []error
	for _, id := range ids {
		as := attempts[id]
		last = later(last, as[0].At)
		if have[id] {
			continue
		}
		redeliveries := 0
		for _, a := range as {
			if a.Redelivery {
				redeliveries++
			}
		}
		if redeliveries >= maxRedeliveries {
			c.log().Warn("a delivery Accord does not have was redelivered and refused too often; not asking again",
				"forge", forge, "delivery", id, "event", as[0].Event, "status", as[0].StatusCode)
			continue
		}
		if err := client.Redeliver(ctx, as[0]); err != nil {
			errs = append(errs, fmt.Errorf("redeliver %s: %w", id, err))
			continue
		}
		c.log().Info("asked for a delivery Accord never stored", "forge", forge, "delivery", id, "event", as[0].Event, "at", as[0].At)
		asked++
	}
	c.count(forge, "delivery", asked)
	if len(errs) > 0 {
		// The cursor stays, so the next run asks again.
		return asked, errors.Join(errs...)
	}
	return asked, c.Store.SaveCatchUp(ctx, forge, "", store.CatchUpCursor{Since: now.Add(-catchUpOverlap), LastEvent: last})
}

func repoRef(full string) forges.RepoRef {
	for i := 0; i < len(full); i++ {
		if full[i] == '/' {
			return forges.RepoRef{Owner: full[:i], Name: full[i+1:]}
		}
	}
	return forges.RepoRef{Name: full}
}

// found is an event a scan found, with the delivery ID it is stored under
// (the same thing found again is stored once).
type found struct {
	id string
	ev *forges.Event
}

// scan catches up on one repository of a forge that cannot redeliver.
func (c *CatchUp) scan(ctx context.Context, forge string, client forges.Client, known store.KnownRepo) (int, error) {
	now := c.now()
	cur, err := c.Store.GetCatchUp(ctx, forge, known.Repo)
	if err != nil {
		return 0, err
	}
	since := c.since(cur, known.LastEvent, now)
	repo := repoRef(known.Repo)
	fs, err := c.changes(ctx, forge, client, repo, since)
	if err != nil {
		return 0, err
	}
	recorded, err := c.Store.EventsSince(ctx, forge, known.Repo, since.Add(-catchUpOverlap))
	if err != nil {
		return 0, err
	}
	seen, comments := seenKeys(recorded)
	last := known.LastEvent
	if cur != nil {
		last = later(last, cur.LastEvent)
	}
	stored := map[string]int{}
	for _, f := range fs {
		last = later(last, f.ev.Time)
		if seen[eventKey(f.ev)] {
			continue // a webhook brought it
		}
		if f.ev.Kind == forges.KindComment && f.ev.Action == forges.ActionCreated && comments[f.ev.Comment.ID] {
			// A webhook brought the comment, not its last edit: an edit it
			// is (a vote changed while Accord was down counts as changed).
			f.ev.Action, f.ev.Time = forges.ActionEdited, f.ev.Comment.UpdatedAt
		}
		if f.ev.Kind == forges.KindComment && c.Self != nil {
			if own, err := c.Self.Owns(ctx, forge, f.ev.Comment); err == nil && own {
				continue
			}
		}
		body, err := json.Marshal(f.ev)
		if err != nil {
			return 0, err
		}
		d := forges.Delivery{Forge: forge, ID: f.id, Event: CatchUpEvent, Headers: map[string]string{}, Body: body, ReceivedAt: now}
		inserted, err := c.Store.InsertDelivery(ctx, d)
		if err != nil {
			return 0, err
		}
		if inserted {
			stored[string(f.ev.Kind)]++
		}
	}
	total := 0
	for kind, n := range stored {
		c.count(forge, kind, n)
		total += n
	}
	if total > 0 {
		c.log().Info("caught up on what the forge did not deliver", "forge", forge, "repo", known.Repo, "since", since, "found", total)
		if c.Stored != nil {
			c.Stored()
		}
	}
	return total, c.Store.SaveCatchUp(ctx, forge, known.Repo, store.CatchUpCursor{Since: now.Add(-catchUpOverlap), LastEvent: last})
}

// changes lists what changed on repo at or after since, as the events the
// webhooks would have delivered, oldest first.
func (c *CatchUp) changes(ctx context.Context, forge string, client forges.Client, repo forges.RepoRef, since time.Time) ([]found, error) {
	var out []found
	event := func(kind forges.Kind, action string, at time.Time, id string, fill func(*forges.Event)) {
		ev := &forges.Event{Forge: forge, DeliveryID: id, Name: CatchUpEvent, Kind: kind, Action: action,
			Repo: forges.Repo{Owner: repo.Owner, Name: repo.Name}, Time: at.UTC(), InstallationID: repo.InstallationID}
		fill(ev)
		out = append(out, found{id, ev})
	}
	issues := map[int64]*forges.Issue{}
	pulls := map[int64]*forges.PullRequest{}
	for page := 1; page != 0; {
		is, next, err := client.ListUpdatedIssues(ctx, repo, since, page)
		if err != nil {
			return nil, err
		}
		for i := range is {
			is := &is[i]
			issues[is.Number] = is
			if is.IsPull {
				pr, err := client.GetPull(ctx, repo, is.Number)
				if err != nil {
					return nil, err
				}
				pulls[is.Number] = pr
				c.pullEvents(is, pr, since, event)
				continue
			}
			if !is.CreatedAt.IsZero() && !is.CreatedAt.Before(since) {
				event(forges.KindIssue, forges.ActionOpened, is.CreatedAt, fmt.Sprintf("catch-up/issue/%d/opened", is.Number),
					func(ev *forges.Event) { ev.Issue, ev.Actor = is, is.Author })
			}
			// An issue's closing is not made up: the list does not say who
			// closed it, and its fact names the closer.
		}
		page = next.Next
	}
	for page := 1; page != 0; {
		cs, next, err := client.ListRepoComments(ctx, repo, since, page)
		if err != nil {
			return nil, err
		}
		for i := range cs {
			cm := cs[i].Comment
			is := issues[cs[i].Number]
			if is == nil {
				is = &forges.Issue{Number: cs[i].Number, State: "open"}
			}
			action, at := forges.ActionCreated, cm.CreatedAt
			if cm.CreatedAt.Before(since) {
				action, at = forges.ActionEdited, cm.UpdatedAt
			}
			written := cm.UpdatedAt
			if written.IsZero() {
				written = cm.CreatedAt
			}
			event(forges.KindComment, action, at, fmt.Sprintf("catch-up/comment/%d/%d", cm.ID, written.Unix()), func(ev *forges.Event) {
				ev.Comment, ev.Actor = &cm, cm.Author
				ev.Issue = is
				if is.IsPull {
					ev.PullRequest = pulls[is.Number]
					if ev.PullRequest == nil {
						ev.PullRequest = pullOf(is)
					}
				}
			})
		}
		page = next.Next
	}
	numbers := make([]int64, 0, len(issues))
	for n, is := range issues {
		if is.IsPull {
			numbers = append(numbers, n)
		}
	}
	slices.Sort(numbers)
	for _, n := range numbers {
		rs, err := client.ListReviews(ctx, repo, n)
		if err != nil {
			return nil, err
		}
		pr := pulls[n]
		for j := range rs {
			r := rs[j]
			if r.SubmittedAt.Before(since) {
				continue
			}
			if !c.ReviewIDs[forge] {
				r.ID = 0
			}
			event(forges.KindReview, forges.ActionSubmitted, r.SubmittedAt,
				fmt.Sprintf("catch-up/review/%d/%s/%d", n, r.Author.Login, r.SubmittedAt.Unix()), func(ev *forges.Event) {
					ev.PullRequest, ev.Review, ev.Actor = pr, &r, r.Author
				})
		}
	}
	for page := 1; page != 0; {
		rs, next, err := client.ListReleases(ctx, repo, page)
		if err != nil {
			return nil, err
		}
		older := false
		for i := range rs {
			r := &rs[i]
			if r.PublishedAt.Before(since) {
				older = true // newest first: the rest are older
				continue
			}
			event(forges.KindRelease, forges.ActionPublished, r.PublishedAt, "catch-up/release/"+strconv.FormatInt(r.ID, 10),
				func(ev *forges.Event) { ev.Release, ev.Actor = r, r.Author })
		}
		if older {
			break
		}
		page = next.Next
	}
	slices.SortStableFunc(out, func(a, b found) int { return a.ev.Time.Compare(b.ev.Time) })
	return out, nil
}

// pullEvents are a changed pull request's opening and closing (merged or
// not) since since, as its webhooks give them.
func (c *CatchUp) pullEvents(is *forges.Issue, pr *forges.PullRequest, since time.Time,
	event func(forges.Kind, string, time.Time, string, func(*forges.Event))) {
	if !is.CreatedAt.IsZero() && !is.CreatedAt.Before(since) {
		event(forges.KindPullRequest, forges.ActionOpened, is.CreatedAt, fmt.Sprintf("catch-up/pull/%d/opened", pr.Number),
			func(ev *forges.Event) { ev.PullRequest, ev.Actor = pr, pr.Author })
	}
	closedAt := is.ClosedAt
	if pr.Merged && !pr.MergedAt.IsZero() {
		closedAt = pr.MergedAt
	}
	if pr.State == "closed" && !closedAt.IsZero() && !closedAt.Before(since) {
		event(forges.KindPullRequest, forges.ActionClosed, closedAt, fmt.Sprintf("catch-up/pull/%d/closed/%d", pr.Number, closedAt.Unix()),
			func(ev *forges.Event) {
				ev.PullRequest = pr
				if pr.MergedBy != nil {
					ev.Actor = *pr.MergedBy
				}
			})
	}
}

// pullOf is the pull request side of an issue that is one, as Gitea's
// comment webhooks give it.
func pullOf(is *forges.Issue) *forges.PullRequest {
	return &forges.PullRequest{Number: is.Number, Title: is.Title, Author: is.Author, State: is.State, Labels: is.Labels, URL: is.URL}
}

// eventKey names what an event is about, so that one found by a scan is
// matched with the same one a webhook delivered: a comment as written at a
// time (to the second), an issue's or a pull request's opening or closing,
// a review by its author and time, a release.
func eventKey(ev *forges.Event) string {
	switch ev.Kind {
	case forges.KindComment:
		if ev.Comment == nil {
			return ""
		}
		written := ev.Comment.UpdatedAt
		if written.IsZero() || ev.Action == forges.ActionCreated && written.Before(ev.Comment.CreatedAt) {
			written = ev.Comment.CreatedAt
		}
		return fmt.Sprintf("comment/%d/%d", ev.Comment.ID, written.Unix())
	case forges.KindIssue:
		if ev.Issue == nil || (ev.Action != forges.ActionOpened && ev.Action != forges.ActionClosed) {
			return ""
		}
		if ev.Action == forges.ActionClosed && !ev.Issue.ClosedAt.IsZero() {
			return fmt.Sprintf("issue/%d/closed/%d", ev.Issue.Number, ev.Issue.ClosedAt.Unix())
		}
		return fmt.Sprintf("issue/%d/%s", ev.Issue.Number, ev.Action)
	case forges.KindPullRequest:
		if ev.PullRequest == nil || (ev.Action != forges.ActionOpened && ev.Action != forges.ActionClosed) {
			return ""
		}
		return fmt.Sprintf("pull/%d/%s", ev.PullRequest.Number, ev.Action)
	case forges.KindReview:
		if ev.PullRequest == nil || ev.Review == nil {
			return ""
		}
		at := ev.Review.SubmittedAt
		if at.IsZero() {
			at = ev.Time
		}
		return fmt.Sprintf("review/%d/%s/%d", ev.PullRequest.Number, ev.Review.Author.Login, at.Unix())
	case forges.KindRelease:
		if ev.Release == nil {
			return ""
		}
		return fmt.Sprintf("release/%d", ev.Release.ID)
	}
	return ""
}

// seenKeys are the keys of recorded events, and the comments they name.
func seenKeys(evs []forges.Event) (map[string]bool, map[int64]bool) {
	keys, comments := map[string]bool{}, map[int64]bool{}
	for i := range evs {
		if k := eventKey(&evs[i]); k != "" {
			keys[k] = true
		}
		if evs[i].Comment != nil {
			comments[evs[i].Comment.ID] = true
		}
	}
	return keys, comments
}

// parseCatchUp is the event of a delivery catching up stored.
func parseCatchUp(d forges.Delivery) (*forges.Event, error) {
	var ev forges.Event
	if err := json.Unmarshal(d.Body, &ev); err != nil {
		return nil, err
	}
	if ev.Forge != d.Forge {
		return nil, fmt.Errorf("a catch-up delivery of forge %q holds an event of %q", d.Forge, ev.Forge)
	}
	ev.DeliveryID = d.ID
	return &ev, nil
}
