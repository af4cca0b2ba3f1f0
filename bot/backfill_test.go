package bot

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accord-coop/accord/forges"
	"github.com/accord-coop/accord/ledger"
)

// backfillForge answers the API as Gitea would for the repo the Gitea
// fixtures come from: pull request #2 (merged, approved by alice, changes
// requested by carol) and an unmerged #3 on two pages, issue #1, release
// v0.1.0 and a draft.
func backfillForge(t *testing.T) *fakeForge {
	_, evs := goldenEvents(t)
	merged := *evs["gitea/015-pull_request.closed.json"].PullRequest
	unmerged := forges.PullRequest{Number: 3, Title: "Drop it", Author: forges.User{Login: "carol"}, State: "closed", BaseRef: "main", HeadSHA: "cccc"}
	approved := *evs["gitea/013-pull_request_review_approved.reviewed.json"].Review
	approved.ID, approved.SubmittedAt = 11, time.Date(2026, 11, 24, 2, 40, 52, 0, time.UTC) // the API gives both
	rejected := *evs["gitea/014-pull_request_review_rejected.reviewed.json"].Review
	rejected.ID, rejected.SubmittedAt = 12, time.Date(2026, 11, 24, 2, 40, 52, 0, time.UTC)
	issue := *evs["gitea/001-issues.opened.json"].Issue
	issue.CreatedAt = evs["gitea/001-issues.opened.json"].Time
	rel := *evs["gitea/021-release.published.json"].Release
	rel.PublishedAt = evs["gitea/021-release.published.json"].Time
	f := newFakeForge()
	f.pulls = [][]forges.PullRequest{{merged}, {unmerged}}
	f.reviews = map[int64][]forges.Review{2: {approved, rejected}}
	f.issues = [][]forges.Issue{{issue}}
	f.releases = [][]forges.Release{{rel, {ID: 99, Tag: "v0.2.0-draft", Draft: true}}}
	return f
}

func ids(fs []ledger.Fact) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.ID)
	}
	slices.Sort(out)
	return out
}

// TestBackfillRecordsWhatWebhooksWould: the facts a backfill records have
// the IDs the webhooks' facts have, so nothing counts twice.
func TestBackfillRecordsWhatWebhooksWould(t *testing.T) {
	f := backfillForge(t)
	_, st, _ := newTestOutbox(t, f)
	b := &Backfill{Forge: "gitea", Client: f, Store: st}
	n, err := b.Run(context.Background(), forges.RepoRef{Owner: "federation", Name: "commons"})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := st.Facts(context.Background())
	if n != 5 || len(got) != 5 {
		t.Fatalf("%d facts (%d in the ledger), want 5: merge, 2 reviews, issue, release", n, len(got))
	}
	names, evs := goldenEvents(t)
	var want []ledger.Fact
	for _, name := range names {
		if strings.HasPrefix(name, "gitea/") && (strings.Contains(name, "015-") || strings.Contains(name, "013-") ||
			strings.Contains(name, "014-") || strings.Contains(name, "001-") || strings.Contains(name, "021-")) {
			want = append(want, FactsOf(evs[name], nil)...)
		}
	}
	if !slices.Equal(ids(got), ids(want)) {
		t.Errorf("backfill facts differ from the webhooks' facts\n got %v\nwant %v", ids(got), ids(want))
	}
	// Again: nothing new.
	if n, err := b.Run(context.Background(), forges.RepoRef{Owner: "federation", Name: "commons"}); err != nil || n != 5 {
		t.Errorf("second run: %d, %v", n, err)
	}
	if got, _ := st.Facts(context.Background()); len(got) != 5 {
		t.Errorf("%d facts after the second run", len(got))
	}
}

// TestBackfillProgress: after each page Progress hears the phase, the page,
// the phase's last page as the forge said it, and the facts so far; a wait
// for a rate limit names the page it waits to read.
func TestBackfillProgress(t *testing.T) {
	f := backfillForge(t)
	_, st, _ := newTestOutbox(t, f)
	reset := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	var got []BackfillProgress
	b := &Backfill{Forge: "gitea", Client: f, Store: st, Wait: func(context.Context, time.Time) error { return nil }}
	b.Progress = func(p BackfillProgress) {
		got = append(got, p)
		if len(got) == 1 { // the forge rate-limits the read of page 2
			f.fail = []error{&forges.APIError{Forge: "gitea", Op: "ListClosedPulls", Status: 429, RetryAt: reset}}
		}
	}
	if _, err := b.Run(context.Background(), forges.RepoRef{Owner: "federation", Name: "commons"}); err != nil {
		t.Fatal(err)
	}
	want := []BackfillProgress{
		{Phase: "pulls", Page: 1, LastPage: 2, Facts: 3},
		{Phase: "pulls", Page: 2, LastPage: 2, Facts: 3, RateLimitedUntil: reset},
		{Phase: "pulls", Page: 2, LastPage: 2, Facts: 3},
		{Phase: "issues", Page: 1, LastPage: 1, Facts: 4},
		{Phase: "releases", Page: 1, LastPage: 1, Facts: 5},
	}
	if !slices.Equal(got, want) {
		t.Errorf("progress\n got %+v\nwant %+v", got, want)
	}
}

// TestBackfillWaitsAndResumes: a rate limit is waited out, and a backfill
// that fails half way resumes at the page it stopped at.
func TestBackfillWaitsAndResumes(t *testing.T) {
	f := backfillForge(t)
	_, st, _ := newTestOutbox(t, f)
	reset := time.Now().Add(20 * time.Minute)
	var waited []time.Time
	b := &Backfill{Forge: "gitea", Client: f, Store: st,
		Wait: func(_ context.Context, t time.Time) error { waited = append(waited, t); return nil }}
	f.fail = []error{&forges.APIError{Forge: "gitea", Op: "ListClosedPulls", Status: 429, RetryAt: reset}}
	repo := forges.RepoRef{Owner: "federation", Name: "commons"}

	// Page 1 of pulls works after the wait; then ListReviews of #3 on page 2
	// fails for good.
	f.reviews[3] = nil
	realReviews := f.reviews
	f.reviews = map[int64][]forges.Review{2: realReviews[2]}
	calls := 0
	b.Progress = func(p BackfillProgress) {
		calls++
		if p.Phase == "pulls" && p.Page == 1 && p.RateLimitedUntil.IsZero() {
			f.fail = []error{&forges.APIError{Forge: "gitea", Op: "ListReviews", Status: 404, Message: "not found"}}
		}
	}
	if _, err := b.Run(context.Background(), repo); err == nil || !strings.Contains(err.Error(), "run it again: it resumes where it stopped") || !errors.Is(err, forges.ErrNotFound) {
		t.Fatalf("want a permanent error, got %v", err)
	}
	if len(waited) != 1 || !waited[0].Equal(reset) {
		t.Errorf("waited %v, want until the reset %v", waited, reset)
	}
	cur, _ := st.GetBackfill(context.Background(), "gitea", repo.FullName())
	if cur == nil || cur.Phase != "pulls" || cur.Page != 2 || cur.Facts != 3 {
		t.Fatalf("cursor %+v, want pulls page 2 after 3 facts", cur)
	}
	f.pages = nil
	n, err := b.Run(context.Background(), repo)
	if err != nil || n != 5 {
		t.Fatalf("resumed: %d %v", n, err)
	}
	if f.pages[0] != "pulls 2" {
		t.Errorf("resumed at %v, want pulls 2 first", f.pages)
	}
	if cur, _ := st.GetBackfill(context.Background(), "gitea", repo.FullName()); cur.Phase != "done" || cur.Facts != 5 {
		t.Errorf("cursor at the end %+v", cur)
	}
}

// TestBackfillIncremental: a run after one that finished asks the forge only
// for what changed since that one began (the issues and pull requests
// updated since, the releases down to the first older one), records what is
// new, and skips what is not.
func TestBackfillIncremental(t *testing.T) {
	f := backfillForge(t)
	_, st, _ := newTestOutbox(t, f)
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	now := t0
	b := &Backfill{Forge: "gitea", Client: f, Store: st, Now: func() time.Time { return now }}
	repo := forges.RepoRef{Owner: "federation", Name: "commons"}
	rel := f.releases[0][0]
	old := forges.Release{ID: 7, Tag: "v0.0.1", Name: "v0.0.1", Author: rel.Author, PublishedAt: time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)}
	f.releases = [][]forges.Release{f.releases[0], {old}}
	if n, err := b.Run(context.Background(), repo); err != nil || n != 6 {
		t.Fatalf("first run: %d %v", n, err)
	}
	if cur, _ := st.GetBackfill(context.Background(), "gitea", repo.FullName()); cur.Phase != "done" || !cur.CompleteAsOf.Equal(t0) {
		t.Fatalf("cursor after the first run %+v, want done, complete as of %v", cur, t0)
	}

	// A day later: #4 merged, a new release; nothing else changed.
	now = t0.Add(24 * time.Hour)
	pr4 := f.pulls[0][0]
	pr4.Number, pr4.MergedAt = 4, t0.Add(2*time.Hour)
	f.pullsByNum = map[int64]forges.PullRequest{4: pr4}
	f.updated = []forges.Issue{{Number: 4, IsPull: true, State: "closed", Title: pr4.Title, Author: pr4.Author,
		CreatedAt: t0.Add(time.Hour), ClosedAt: pr4.MergedAt}}
	v2 := rel
	v2.ID, v2.Tag, v2.Name, v2.PublishedAt = 100, "v0.2.0", "v0.2.0", t0.Add(3*time.Hour)
	f.releases = [][]forges.Release{{v2}, f.releases[0], {old}}
	f.pages = nil
	b.New, b.Seen = 0, 0
	n, err := b.Run(context.Background(), repo)
	if err != nil || n != 8 || b.New != 2 {
		t.Fatalf("second run: %d facts in all, %d new, %v; want 8 and 2", n, b.New, err)
	}
	if want := []string{"releases 1", "releases 2"}; !slices.Equal(f.pages, want) {
		t.Errorf("second run listed %v, want only %v (no full lists of pulls or issues, no release older than the first run)", f.pages, want)
	}
	if f.count("ListUpdatedIssues") != 1 || f.count("GetPull") != 1 {
		t.Errorf("ListUpdatedIssues %d, GetPull %d calls; want 1 each", f.count("ListUpdatedIssues"), f.count("GetPull"))
	}
	facts, _ := st.Facts(context.Background())
	var kinds []string
	for _, fa := range facts[6:] {
		kinds = append(kinds, string(fa.Kind))
	}
	if len(facts) != 8 || !slices.Equal(kinds, []string{"pr_merged", "release_published"}) {
		t.Errorf("%d facts in the ledger, the new ones %v; want 8, the merge of #4 and v0.2.0", len(facts), kinds)
	}
}
