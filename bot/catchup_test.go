package bot

import (
	"context"
	"io"
	"log/slog"
	"maps"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/accord-coop/accord/forges"
	"github.com/accord-coop/accord/forges/gitea"
	"github.com/accord-coop/accord/ledger"
	"github.com/accord-coop/accord/store"
)

// seenBy records the events handlers were given.
type seenBy struct {
	mu  sync.Mutex
	evs []*forges.Event
}

func (s *seenBy) Handle(_ context.Context, ev *forges.Event, _ *Actions) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.evs = append(s.evs, ev)
	return nil
}

func (s *seenBy) comments() map[int64]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[int64]int{}
	for _, ev := range s.evs {
		if ev.Kind == forges.KindComment {
			out[ev.Comment.ID]++
		}
	}
	return out
}

type catchUpRig struct {
	st      *store.Store
	worker  *Worker
	seen    *seenBy
	metrics *Metrics
}

func newCatchUpRig(t *testing.T) *catchUpRig {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "accord.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	rt := NewRouter()
	seen := &seenBy{}
	rt.On(seen, forges.KindComment, forges.KindIssue, forges.KindRelease, forges.KindReview)
	rt.On(&Facts{}, forges.KindPullRequest, forges.KindReview, forges.KindIssue, forges.KindComment, forges.KindPush, forges.KindRelease)
	m := NewMetrics(nil)
	w := NewWorker(st, map[string]forges.Webhooks{"gitea": gitea.NewWebhooks("gitea", gitea.Gitea)}, rt, m, slog.New(slog.NewTextHandler(io.Discard, nil)))
	return &catchUpRig{st: st, worker: w, seen: seen, metrics: m}
}

func (r *catchUpRig) drain(t *testing.T) {
	t.Helper()
	for {
		n, err := r.worker.ProcessBatch(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

// TestCatchUpScansGitea: Accord got the issue and the first comment, then
// was down while two more comments and a release came; catching up finds
// those (not the comment delivered) and the handlers get each once, and
// the release's fact is the webhook's.
func TestCatchUpScansGitea(t *testing.T) {
	ctx := context.Background()
	r := newCatchUpRig(t)
	var giteaDs []forges.Delivery // in the fixtures' order: 001, 002, …
	for _, d := range fixtureDeliveries(t) {
		if d.Forge == "gitea" {
			giteaDs = append(giteaDs, d)
		}
	}
	for _, d := range giteaDs[:2] { // the issue opened, the first comment
		if _, err := r.st.InsertDelivery(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	r.drain(t)
	if got := r.seen.comments(); len(got) != 1 {
		t.Fatalf("before: comments handled %v", got)
	}
	_, evs := goldenEvents(t)
	f := newFakeForge()
	issue := *evs["gitea/001-issues.opened.json"].Issue
	issue.CreatedAt = evs["gitea/001-issues.opened.json"].Time
	f.updated = []forges.Issue{issue}
	for _, n := range []string{"002", "003", "004"} {
		ev := evs["gitea/"+n+"-issue_comment.created.json"]
		f.repoComments = append(f.repoComments, forges.IssueComment{Number: ev.Issue.Number, Comment: *ev.Comment})
	}
	rel := *evs["gitea/021-release.published.json"].Release
	rel.PublishedAt = evs["gitea/021-release.published.json"].Time
	f.releases = [][]forges.Release{{rel}}
	stored := 0
	c := &CatchUp{Store: r.st, Clients: map[string]forges.Client{"gitea": f}, Metrics: r.metrics, Stored: func() { stored++ },
		Now: func() time.Time { return time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC) }}
	if n := c.RunOnce(ctx); n != 3 {
		t.Fatalf("found %d, want 3: two comments and a release", n)
	}
	if stored != 1 {
		t.Errorf("worker woken %d times", stored)
	}
	r.drain(t)
	got := r.seen.comments()
	if len(got) != 3 {
		t.Fatalf("comments handled %v, want 3 comments", got)
	}
	for id, n := range got {
		if n != 1 {
			t.Errorf("comment %d handled %d times", id, n)
		}
	}
	if v := counterValue(t, r.metrics.CatchUpFound.WithLabelValues("gitea", "comment")); v != 2 {
		t.Errorf("accord_catchup_found_total{kind=comment} %v", v)
	}
	facts, _ := r.st.Facts(ctx)
	releases, comments := 0, map[string]int{}
	for _, fa := range facts {
		if fa.Kind == ledger.FactComment {
			comments[fa.ID]++
		}
		if fa.Kind == ledger.FactReleasePublished {
			releases++
			if want := FactsOf(evs["gitea/021-release.published.json"], nil); len(want) != 1 || want[0].ID != fa.ID {
				t.Errorf("release fact %s, the webhook's would be %v", fa.ID, want)
			}
		}
	}
	want := map[string]int{}
	for _, n := range []string{"002", "003", "004"} {
		for _, fa := range FactsOf(evs["gitea/"+n+"-issue_comment.created.json"], nil) {
			want[fa.ID]++
		}
	}
	if releases != 1 || !maps.Equal(comments, want) {
		t.Errorf("%d release facts, comment facts %v, the webhooks' would be %v", releases, comments, want)
	}
	// Again: nothing new.
	if n := c.RunOnce(ctx); n != 0 {
		t.Errorf("second run found %d", n)
	}
	cur, err := r.st.GetCatchUp(ctx, "gitea", "federation/commons")
	if err != nil || cur == nil || !cur.LastEvent.Equal(rel.PublishedAt) {
		t.Errorf("cursor %+v, %v", cur, err)
	}

	// The first comment, which a webhook brought, is edited while Accord
	// is down: what catching up finds is an edit.
	f.mu.Lock()
	edited := f.repoComments[0]
	edited.Comment.Body, edited.Comment.UpdatedAt = "/propose\nnow with a reason", time.Date(2026, 11, 24, 3, 1, 0, 0, time.UTC)
	f.repoComments = []forges.IssueComment{edited}
	f.mu.Unlock()
	c.Now = func() time.Time { return time.Date(2026, 11, 24, 3, 5, 0, 0, time.UTC) }
	if n := c.RunOnce(ctx); n != 1 {
		t.Fatalf("after an edit: found %d", n)
	}
	r.drain(t)
	last := r.seen.evs[len(r.seen.evs)-1]
	if last.Kind != forges.KindComment || last.Action != forges.ActionEdited || last.Comment.ID != edited.Comment.ID ||
		!last.Time.Equal(edited.Comment.UpdatedAt) {
		t.Errorf("the edit was handled as %s %s of %d at %v", last.Kind, last.Action, last.Comment.ID, last.Time)
	}
}

func counterValue(t *testing.T, c interface{ Write(*dto.Metric) error }) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// TestCatchUpRedeliversGitHub: the deliveries the store lacks are asked
// for again, once each (the latest attempt); pings, stored ones, and ones
// redelivered three times already are not.
func TestCatchUpRedeliversGitHub(t *testing.T) {
	ctx := context.Background()
	r := newCatchUpRig(t)
	now := time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)
	if _, err := r.st.InsertDelivery(ctx, forges.Delivery{Forge: "github", ID: "have", Event: "issues", Headers: map[string]string{},
		Body: []byte(`{}`), ReceivedAt: now}); err != nil {
		t.Fatal(err)
	}
	at := func(m int) time.Time { return now.Add(-time.Duration(m) * time.Minute) }
	f := newFakeForge()
	f.deliveries = []forges.DeliveryRecord{
		{ID: "lost", Attempt: 9, Event: "issue_comment", At: at(1), StatusCode: 502, Redelivery: true},
		{ID: "have", Attempt: 8, Event: "issues", At: at(2), StatusCode: 202},
		{ID: "ping", Attempt: 7, Event: "ping", At: at(3)},
		{ID: "lost", Attempt: 6, Event: "issue_comment", At: at(4)},
		{ID: "hopeless", Attempt: 5, Event: "issues", At: at(5), StatusCode: 401, Redelivery: true},
		{ID: "hopeless", Attempt: 4, Event: "issues", At: at(6), StatusCode: 401, Redelivery: true},
		{ID: "hopeless", Attempt: 3, Event: "issues", At: at(7), StatusCode: 401, Redelivery: true},
		{ID: "hopeless", Attempt: 2, Event: "issues", At: at(8), StatusCode: 401},
		{ID: "old", Attempt: 1, Event: "issues", At: now.Add(-80 * time.Hour)}, // past the horizon
	}
	c := &CatchUp{Store: r.st, Clients: map[string]forges.Client{"github": f}, Metrics: r.metrics, Now: func() time.Time { return now }}
	if n := c.RunOnce(ctx); n != 1 {
		t.Fatalf("asked for %d, want 1", n)
	}
	if len(f.redelivered) != 1 || f.redelivered[0].Attempt != 9 {
		t.Fatalf("redelivered %+v, want the latest attempt of lost", f.redelivered)
	}
	if v := counterValue(t, r.metrics.CatchUpFound.WithLabelValues("github", "delivery")); v != 1 {
		t.Errorf("accord_catchup_found_total{kind=delivery} %v", v)
	}
	cur, _ := r.st.GetCatchUp(ctx, "github", "")
	if cur == nil || !cur.Since.Equal(now.Add(-catchUpOverlap)) || !cur.LastEvent.Equal(at(1)) {
		t.Errorf("cursor %+v", cur)
	}
	// A failed redelivery request leaves the cursor, to be asked again.
	f.fail = []error{&forges.APIError{Forge: "github", Op: "Redeliver", Status: 502}}
	c.Now = func() time.Time { return now.Add(5 * time.Minute) }
	c.RunOnce(ctx)
	if cur2, _ := r.st.GetCatchUp(ctx, "github", ""); !cur2.Since.Equal(cur.Since) {
		t.Errorf("cursor moved past a failed redelivery: %+v", cur2)
	}
}

// TestCatchUpEventOfAnotherForge: a catch-up delivery holds an event of
// its own forge, or it does not parse.
func TestCatchUpEventOfAnotherForge(t *testing.T) {
	_, err := parseCatchUp(forges.Delivery{Forge: "gitea", Body: []byte(`{"forge":"github","kind":"comment"}`)})
	if err == nil {
		t.Error("an event of another forge was taken")
	}
}

// TestIntakeRefusesCatchUpEvent: a signed delivery that names itself a
// catch-up delivery is refused, so only catching up makes them.
func TestIntakeRefusesCatchUpEvent(t *testing.T) {
	in, st := newTestIntake(t)
	r := httptest.NewRequest("POST", "/hooks/f", strings.NewReader(`{"forge":"f","kind":"comment"}`))
	r.Header.Set("Id", "x")
	r.Header.Set("Event", CatchUpEvent)
	r.Header.Set("Sig", "ok")
	if code := serve(in, r); code != 400 {
		t.Errorf("got %d, want 400", code)
	}
	if n, _ := st.QueueDepth(context.Background()); n != 0 {
		t.Errorf("%d stored", n)
	}
}

// TestCatchUpFindsPullRequests: a pull request opened, reviewed twice and
// merged while Accord was down is found, and its facts are the webhooks'.
func TestCatchUpFindsPullRequests(t *testing.T) {
	ctx := context.Background()
	r := newCatchUpRig(t)
	var giteaDs []forges.Delivery
	for _, d := range fixtureDeliveries(t) {
		if d.Forge == "gitea" {
			giteaDs = append(giteaDs, d)
		}
	}
	if _, err := r.st.InsertDelivery(ctx, giteaDs[0]); err != nil { // the issue opened: the repository is known
		t.Fatal(err)
	}
	r.drain(t)
	_, evs := goldenEvents(t)
	merged := *evs["gitea/015-pull_request.closed.json"].PullRequest
	opened := evs["gitea/011-pull_request.opened.json"]
	approved := *evs["gitea/013-pull_request_review_approved.reviewed.json"].Review
	// Gitea's review webhooks say no time; the API does.
	approved.ID, approved.SubmittedAt = 11, time.Date(2026, 11, 24, 2, 40, 52, 0, time.UTC)
	rejected := *evs["gitea/014-pull_request_review_rejected.reviewed.json"].Review
	rejected.ID, rejected.SubmittedAt = 12, time.Date(2026, 11, 24, 2, 40, 52, 0, time.UTC)
	f := newFakeForge()
	f.updated = []forges.Issue{{Number: merged.Number, Title: merged.Title, Author: merged.Author, State: "closed", IsPull: true,
		CreatedAt: opened.Time, ClosedAt: merged.MergedAt}}
	f.pullsByNum = map[int64]forges.PullRequest{merged.Number: merged}
	f.reviews = map[int64][]forges.Review{merged.Number: {approved, rejected}}
	c := &CatchUp{Store: r.st, Clients: map[string]forges.Client{"gitea": f}, Metrics: r.metrics,
		Now: func() time.Time { return time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC) }}
	if n := c.RunOnce(ctx); n != 4 {
		t.Fatalf("found %d, want 4: opened, two reviews, merged", n)
	}
	r.drain(t)
	facts, _ := r.st.Facts(ctx)
	var want []ledger.Fact
	want = append(want, FactsOf(evs["gitea/001-issues.opened.json"], nil)...)
	for _, n := range []string{"013-pull_request_review_approved.reviewed", "014-pull_request_review_rejected.reviewed", "015-pull_request.closed"} {
		want = append(want, FactsOf(evs["gitea/"+n+".json"], nil)...)
	}
	if !slices.Equal(ids(facts), ids(want)) {
		t.Errorf("facts differ from the webhooks'\n got %v\nwant %v", ids(facts), ids(want))
	}
	if n := c.RunOnce(ctx); n != 0 {
		t.Errorf("second run found %d", n)
	}
}

// TestCatchUpScansWhenDeliveriesRefused: credentials that may not read the
// deliveries API (403) make catching up scan the repositories instead.
func TestCatchUpScansWhenDeliveriesRefused(t *testing.T) {
	ctx := context.Background()
	r := newCatchUpRig(t)
	var giteaDs []forges.Delivery
	for _, d := range fixtureDeliveries(t) {
		if d.Forge == "gitea" {
			giteaDs = append(giteaDs, d)
		}
	}
	for _, d := range giteaDs[:2] {
		if _, err := r.st.InsertDelivery(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	r.drain(t)
	_, evs := goldenEvents(t)
	f := newFakeForge()
	f.deliveries = []forges.DeliveryRecord{}
	f.fail = []error{&forges.APIError{Forge: "gitea", Op: "RecentDeliveries", Status: 403, Message: "Resource not accessible by personal access token"}}
	ev := evs["gitea/003-issue_comment.created.json"]
	f.repoComments = []forges.IssueComment{{Number: ev.Issue.Number, Comment: *ev.Comment}}
	c := &CatchUp{Store: r.st, Clients: map[string]forges.Client{"gitea": f}, Metrics: r.metrics,
		Now: func() time.Time { return time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC) }}
	if n := c.RunOnce(ctx); n != 1 {
		t.Fatalf("found %d, want the comment", n)
	}
	// A rate limit is not a refusal: it waits for the next run.
	f.fail = []error{&forges.APIError{Forge: "gitea", Op: "RecentDeliveries", Status: 403, RetryAt: time.Now().Add(time.Hour)}}
	if _, err := c.Forge(ctx, "gitea"); err == nil {
		t.Error("a rate limit was taken for a refusal")
	}
}
