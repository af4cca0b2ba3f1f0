package bot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accord-coop/accord/forges"
	"github.com/accord-coop/accord/store"
)

// fakeForge is a forges.Client kept in memory: it holds comments and
// labels, counts calls, and answers with the errors it is told to, in turn.
type fakeForge struct {
	mu       sync.Mutex
	comments []forges.Comment
	labels   map[int64][]string
	calls    map[string]int
	fail     []error         // returned by the next calls, one each
	obs      forges.Observer // told of every call, as a real client's Observer
	nextID   int64
	files    map[string][]byte // "SHA:path" → content
	head     string            // what ResolveRef answers
	statuses map[string][]forges.Status

	// What PutFile was given, branch → path → content, and the commits
	// it made.
	put        map[string]map[string][]byte
	putCommits int

	// What the list methods answer, a page per element.
	pulls    [][]forges.PullRequest
	reviews  map[int64][]forges.Review
	issues   [][]forges.Issue
	releases [][]forges.Release

	// What catching up finds: everything, filtered by since; the
	// deliveries GitHub's API would list, and what was redelivered.
	updated      []forges.Issue
	pullsByNum   map[int64]forges.PullRequest
	repoComments []forges.IssueComment
	deliveries   []forges.DeliveryRecord
	redelivered  []forges.DeliveryRecord
	pages        []string           // the list calls made, "pulls 1" …
	changed      map[int64][]string // a pull request's changed files
	commits      map[int64][]forges.Commit

	login     string  // the bot's account: what Check says, and the author of what it posts
	checkFail []error // returned by the next Check calls, one each
}

func newFakeForge() *fakeForge {
	return &fakeForge{labels: map[int64][]string{}, calls: map[string]int{}, nextID: 100,
		files: map[string][]byte{}, put: map[string]map[string][]byte{}, statuses: map[string][]forges.Status{}, login: "accord"}
}

func (f *fakeForge) call(op string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.callLocked(op)
}

func (f *fakeForge) callLocked(op string) error {
	f.calls[op]++
	var err error
	if len(f.fail) > 0 {
		err = f.fail[0]
		f.fail = f.fail[1:]
	}
	if f.obs != nil { // as the real clients report every call
		f.obs.APICall("gitea", op, forges.Outcome(err), 0)
	}
	return err
}

func (f *fakeForge) count(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

func (f *fakeForge) CreateComment(_ context.Context, _ forges.RepoRef, number int64, body string) (*forges.Comment, error) {
	if err := f.call("CreateComment"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	c := forges.Comment{ID: f.nextID, Body: body, Author: forges.User{Login: f.login}}
	f.comments = append(f.comments, c)
	return &c, nil
}

func (f *fakeForge) EditComment(_ context.Context, _ forges.RepoRef, id int64, body string) error {
	if err := f.call("EditComment"); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.comments {
		if f.comments[i].ID == id {
			f.comments[i].Body = body
			return nil
		}
	}
	return &forges.APIError{Forge: "fake", Op: "EditComment", Status: 404}
}

func (f *fakeForge) ListComments(context.Context, forges.RepoRef, int64) ([]forges.Comment, error) {
	if err := f.call("ListComments"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]forges.Comment(nil), f.comments...), nil
}

func (f *fakeForge) AddLabels(_ context.Context, _ forges.RepoRef, n int64, ls []forges.Label) error {
	if err := f.call("AddLabels"); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, l := range ls {
		f.labels[n] = append(f.labels[n], l.Name)
	}
	return nil
}

func (f *fakeForge) RemoveLabel(_ context.Context, _ forges.RepoRef, n int64, name string) error {
	if err := f.call("RemoveLabel"); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.labels[n] = slices.DeleteFunc(f.labels[n], func(l string) bool { return l == name })
	return nil
}
func (f *fakeForge) AddReaction(context.Context, forges.RepoRef, int64, string) error {
	return f.call("AddReaction")
}
func (f *fakeForge) GetFile(_ context.Context, _ forges.RepoRef, path, ref string) ([]byte, error) {
	if err := f.call("GetFile"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	data, ok := f.files[ref+":"+path]
	if !ok {
		return nil, &forges.APIError{Forge: "fake", Op: "GetFile", Status: 404, Message: "file does not exist"}
	}
	return data, nil
}

// PutFile keeps content as path on branch and answers a commit SHA of its
// own, or "" when the file holds content already, as the forges do.
func (f *fakeForge) PutFile(_ context.Context, _ forges.RepoRef, path, branch string, content []byte, _ string) (string, error) {
	if err := f.call("PutFile"); err != nil {
		return "", err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	files := f.put[branch]
	if files == nil {
		files = map[string][]byte{}
		f.put[branch] = files
	}
	if have, ok := files[path]; ok && bytes.Equal(have, content) {
		return "", nil
	}
	files[path] = bytes.Clone(content)
	f.putCommits++
	return fmt.Sprintf("%040x", f.putCommits), nil
}
func (f *fakeForge) ListDir(context.Context, forges.RepoRef, string, string) ([]forges.DirEntry, error) {
	return nil, f.call("ListDir")
}
func (f *fakeForge) DefaultBranch(context.Context, forges.RepoRef) (string, error) {
	return "main", f.call("DefaultBranch")
}
func (f *fakeForge) ResolveRef(context.Context, forges.RepoRef, string) (string, error) {
	f.mu.Lock()
	head := f.head
	f.mu.Unlock()
	return head, f.call("ResolveRef")
}
func (f *fakeForge) Permission(context.Context, forges.RepoRef, string) (string, error) {
	return forges.PermRead, f.call("Permission")
}
func (f *fakeForge) SetStatus(_ context.Context, _ forges.RepoRef, sha string, st forges.Status) error {
	if err := f.call("SetStatus"); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.statuses[sha] = append(f.statuses[sha], st)
	return nil
}
func (f *fakeForge) PullCommits(_ context.Context, _ forges.RepoRef, n int64) ([]forges.Commit, error) {
	if err := f.call("PullCommits"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.commits[n], nil
}

// page answers page p of pages, and the next page number.
func page[T any](f *fakeForge, name string, pages [][]T, p int) ([]T, forges.Page, error) {
	if err := f.call(name); err != nil {
		return nil, forges.Page{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pages = append(f.pages, fmt.Sprint(name, " ", p))
	if p < 1 || p > len(pages) {
		return nil, forges.Page{Last: p}, nil
	}
	next := p + 1
	if next > len(pages) {
		next = 0
	}
	return pages[p-1], forges.Page{Next: next, Last: len(pages)}, nil
}

func (f *fakeForge) PullFiles(_ context.Context, _ forges.RepoRef, n int64) ([]string, error) {
	if err := f.call("PullFiles"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.changed[n], nil
}
func (f *fakeForge) FileHistory(_ context.Context, _ forges.RepoRef, path, _ string, limit int) ([]string, error) {
	return nil, f.call("FileHistory")
}
func (f *fakeForge) ListClosedPulls(_ context.Context, _ forges.RepoRef, p int) ([]forges.PullRequest, forges.Page, error) {
	return page(f, "pulls", f.pulls, p)
}
func (f *fakeForge) ListReviews(_ context.Context, _ forges.RepoRef, n int64) ([]forges.Review, error) {
	return f.reviews[n], f.call("ListReviews")
}
func (f *fakeForge) ListIssues(_ context.Context, _ forges.RepoRef, p int) ([]forges.Issue, forges.Page, error) {
	return page(f, "issues", f.issues, p)
}
func (f *fakeForge) ListReleases(_ context.Context, _ forges.RepoRef, p int) ([]forges.Release, forges.Page, error) {
	return page(f, "releases", f.releases, p)
}
func (f *fakeForge) ListUpdatedIssues(_ context.Context, _ forges.RepoRef, since time.Time, _ int) ([]forges.Issue, forges.Page, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []forges.Issue
	for _, i := range f.updated {
		if !i.CreatedAt.Before(since) || !i.ClosedAt.Before(since) {
			out = append(out, i)
		}
	}
	return out, forges.Page{Last: 1}, f.callLocked("ListUpdatedIssues")
}
func (f *fakeForge) GetPull(_ context.Context, _ forges.RepoRef, n int64) (*forges.PullRequest, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.pullsByNum[n]
	if !ok {
		return nil, &forges.APIError{Forge: "fake", Op: "GetPull", Status: 404}
	}
	return &p, f.callLocked("GetPull")
}
func (f *fakeForge) ListRepoComments(_ context.Context, _ forges.RepoRef, since time.Time, _ int) ([]forges.IssueComment, forges.Page, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []forges.IssueComment
	for _, c := range f.repoComments {
		if !c.Comment.UpdatedAt.Before(since) {
			out = append(out, c)
		}
	}
	return out, forges.Page{Last: 1}, f.callLocked("ListRepoComments")
}
func (f *fakeForge) RecentDeliveries(_ context.Context, _ []forges.RepoRef, since time.Time) ([]forges.DeliveryRecord, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.deliveries == nil {
		return nil, forges.ErrNotSupported
	}
	var out []forges.DeliveryRecord
	for _, d := range f.deliveries {
		if !d.At.Before(since) {
			out = append(out, d)
		}
	}
	return out, f.callLocked("RecentDeliveries")
}
func (f *fakeForge) Redeliver(_ context.Context, d forges.DeliveryRecord) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.redelivered = append(f.redelivered, d)
	return f.callLocked("Redeliver")
}
func (f *fakeForge) Connect(context.Context, forges.RepoRef, string, string) (*forges.ConnectResult, error) {
	return &forges.ConnectResult{Action: forges.ConnectUnchanged}, f.call("Connect")
}
func (f *fakeForge) Check(context.Context) (*forges.Identity, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["Check"]++
	if len(f.checkFail) > 0 {
		err := f.checkFail[0]
		f.checkFail = f.checkFail[1:]
		return nil, err
	}
	return &forges.Identity{Login: f.login, Author: f.login}, nil
}

// clock is a settable time for the outbox.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newTestOutbox(t *testing.T, f *fakeForge) (*Outbox, *store.Store, *clock) {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "accord.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clk := &clock{t: time.Now()}
	return newOutboxOn(st, f, clk), st, clk
}

func newOutboxOn(st *store.Store, f *fakeForge, clk *clock) *Outbox {
	held := &Breakers{Now: clk.now}
	f.mu.Lock()
	f.obs = held
	f.mu.Unlock()
	return &Outbox{Store: st, Clients: map[string]forges.Client{"gitea": f}, Metrics: NewMetrics(nil),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: clk.now, Held: held}
}

var repo = forges.RepoRef{Owner: "federation", Name: "commons"}

func enqueue(t *testing.T, st *store.Store, clk *clock, delivery string, ask func(a *Actions)) {
	t.Helper()
	a := NewActions("gitea", delivery)
	ask(a)
	if _, err := st.EnqueueEffects(context.Background(), clk.now(), a.Effects()); err != nil {
		t.Fatal(err)
	}
}

func effects(t *testing.T, st *store.Store) []store.Effect {
	t.Helper()
	es, err := st.ListEffects(context.Background(), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// runDue processes batches until none is due at the clock's time.
func runDue(t *testing.T, o *Outbox) int {
	t.Helper()
	total := 0
	for {
		n, err := o.ProcessBatch(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return total
		}
		total += n
	}
}

func unavailable() error {
	return &forges.APIError{Forge: "gitea", Op: "CreateComment", Status: http.StatusServiceUnavailable, Message: "Service Unavailable"}
}

// TestOutboxRetriesUntilForgeAnswers: a forge that fails three times (503,
// a timeout, 502) and then answers gets the comment once.
func TestOutboxRetriesUntilForgeAnswers(t *testing.T) {
	f := newFakeForge()
	f.fail = []error{unavailable(), &forges.APIError{Forge: "gitea", Op: "ListComments", Message: "dial tcp: i/o timeout"},
		&forges.APIError{Forge: "gitea", Op: "CreateComment", Status: 502}}
	o, st, clk := newTestOutbox(t, f)
	enqueue(t, st, clk, "d1", func(a *Actions) { a.Comment(repo, 1, "Vote open") })
	for i := 0; i < 10 && len(f.comments) == 0; i++ {
		runDue(t, o)
		clk.add(o.MaxBackoff + time.Second) // past any backoff
	}
	es := effects(t, st)
	if len(f.comments) != 1 || es[0].State != store.StateDone {
		t.Fatalf("%d comments, effect %+v", len(f.comments), es[0])
	}
	if !strings.Contains(f.comments[0].Body, "Vote open") || !HasMarker(f.comments[0].Body) {
		t.Errorf("comment %q", f.comments[0].Body)
	}
	// Tries: the post got 503; then (attempt 2) the look before posting again
	// timed out; then it got 502; then the look finds nothing and the post
	// succeeds.
	if es[0].Attempts != 4 || f.count("CreateComment") != 2 {
		t.Errorf("attempts %d, CreateComment calls %d", es[0].Attempts, f.count("CreateComment"))
	}
}

// TestOutboxWaitsForRateLimit: a rate limit holds back every effect of the
// forge until it lifts, without calling the forge meanwhile and without
// counting tries.
func TestOutboxWaitsForRateLimit(t *testing.T) {
	f := newFakeForge()
	o, st, clk := newTestOutbox(t, f)
	reset := clk.now().Add(30 * time.Minute).Truncate(time.Second)
	f.fail = []error{&forges.APIError{Forge: "gitea", Op: "AddLabels", Status: 403, Message: "API rate limit exceeded", RetryAt: reset}}
	enqueue(t, st, clk, "d1", func(a *Actions) {
		a.AddLabels(repo, 1, forges.Label{Name: "vote/open", Color: "0e8a16"})
		a.Comment(repo, 1, "Vote open")
	})
	runDue(t, o)
	calls := f.count("AddLabels") + f.count("CreateComment") + f.count("ListComments")
	if calls != 1 {
		t.Fatalf("%d calls: the comment should wait for the limit too", calls)
	}
	// The outbox polls while the limit holds: nothing is claimed and the
	// forge is not called.
	for range 50 {
		clk.add(30 * time.Second)
		if clk.now().Before(reset) {
			runDue(t, o)
		}
	}
	if got := f.count("AddLabels") + f.count("CreateComment") + f.count("ListComments"); got != calls {
		t.Fatalf("the forge was called %d times during the rate limit", got-calls)
	}
	if d := o.sleep(context.Background()); d > o.Poll {
		t.Errorf("idle sleep %v exceeds Poll", d)
	}
	for _, e := range effects(t, st) {
		if e.State != store.StateQueued || e.Attempts != 0 {
			t.Errorf("during the limit: %+v", e)
		}
	}
	clk.t = reset.Add(time.Second)
	runDue(t, o)
	for _, e := range effects(t, st) {
		if e.State != store.StateDone || e.Attempts != 1 {
			t.Errorf("after the limit: %s %s attempts %d", e.Op, e.State, e.Attempts)
		}
	}
	if len(f.labels[1]) != 1 || len(f.comments) != 1 {
		t.Errorf("labels %v, %d comments", f.labels[1], len(f.comments))
	}
}

// TestOutboxCrashAfterPosting: the process dies after the forge took the
// comment and before the outbox recorded it. After the restart the comment
// is found, not posted again.
func TestOutboxCrashAfterPosting(t *testing.T) {
	f := newFakeForge()
	o, st, clk := newTestOutbox(t, f)
	enqueue(t, st, clk, "d1", func(a *Actions) { a.Comment(repo, 7, "Result: passed") })
	ctx := context.Background()
	es, err := st.ClaimEffects(ctx, clk.now(), 10, nil)
	if err != nil || len(es) != 1 {
		t.Fatal(es, err)
	}
	if err := o.do(ctx, &es[0]); err != nil { // carried out …
		t.Fatal(err)
	}
	// … and the process is killed before FinishEffect. A new one starts.
	o2 := newOutboxOn(st, f, clk)
	ctx2, cancel := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- o2.Run(ctx2) }()
	deadline := time.Now().Add(10 * time.Second)
	for effects(t, st)[0].State != store.StateDone && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if len(f.comments) != 1 || f.count("CreateComment") != 1 {
		t.Fatalf("%d comments after the restart, %d posts", len(f.comments), f.count("CreateComment"))
	}
	if e := effects(t, st)[0]; e.State != store.StateDone || e.Attempts != 2 {
		t.Errorf("effect %+v", e)
	}
}

// TestOutboxNotFoundIsDead: a 404 is dead at once with the forge's message,
// never tried again, and `retry` queues it again.
func TestOutboxNotFoundIsDead(t *testing.T) {
	f := newFakeForge()
	f.fail = []error{&forges.APIError{Forge: "gitea", Op: "SetStatus", Status: 404, Message: "repository does not exist"}}
	o, st, clk := newTestOutbox(t, f)
	enqueue(t, st, clk, "d1", func(a *Actions) {
		a.SetStatus(repo, "abc", forges.Status{State: forges.StatusPending, Context: "accord/vote"})
	})
	for range 5 {
		runDue(t, o)
		clk.add(time.Hour)
	}
	e := effects(t, st)[0]
	if e.State != store.StateDead || e.Attempts != 1 || f.count("SetStatus") != 1 || !strings.Contains(e.LastError, "repository does not exist") {
		t.Fatalf("effect %+v after %d calls", e, f.count("SetStatus"))
	}
	if err := st.RetryEffect(context.Background(), e.Seq, clk.now()); err != nil {
		t.Fatal(err)
	}
	runDue(t, o)
	if e := effects(t, st)[0]; e.State != store.StateDone || f.count("SetStatus") != 2 {
		t.Errorf("after retry: %+v", e)
	}
}

// TestOutboxOutageDelaysNeverLoses: a forge down for ten hours (60 failed
// tries, far more than MaxAttempts) delays the effect, which is carried out
// once the forge answers again: within the retry horizon nothing is dead.
func TestOutboxOutageDelaysNeverLoses(t *testing.T) {
	f := newFakeForge()
	for range 60 {
		f.fail = append(f.fail, &forges.APIError{Forge: "gitea", Op: "AddReaction", Status: 502, Message: "Bad Gateway"})
	}
	o, st, clk := newTestOutbox(t, f)
	o.MaxAttempts = 3
	enqueue(t, st, clk, "d1", func(a *Actions) { a.React(repo, 5, forges.ReactionThumbsUp) })
	for range 61 {
		runDue(t, o)
		clk.add(o.MaxBackoff)
	}
	if e := effects(t, st)[0]; e.State != store.StateDone || f.count("AddReaction") != 61 {
		t.Errorf("effect %+v, %d calls", e, f.count("AddReaction"))
	}
}

// TestOutboxGivesUpOnTemporaryFailures: a forge that keeps failing ends the
// effect dead after MaxAttempts once the effect is older than the retry
// horizon, with the last error.
func TestOutboxGivesUpOnTemporaryFailures(t *testing.T) {
	f := newFakeForge()
	for range 10 {
		f.fail = append(f.fail, &forges.APIError{Forge: "gitea", Op: "AddReaction", Status: 500, Message: "Internal Server Error"})
	}
	o, st, clk := newTestOutbox(t, f)
	o.MaxAttempts = 3
	o.Horizon = time.Nanosecond
	enqueue(t, st, clk, "d1", func(a *Actions) { a.React(repo, 5, forges.ReactionThumbsUp) })
	for range 6 {
		runDue(t, o)
		clk.add(o.MaxBackoff)
	}
	if e := effects(t, st)[0]; e.State != store.StateDead || e.Attempts != 3 || f.count("AddReaction") != 3 {
		t.Errorf("effect %+v, %d calls", e, f.count("AddReaction"))
	}
}

// TestOutboxUpsertEditsItsComment: the status comment is posted once and
// then edited in place; an unchanged body is not edited.
func TestOutboxUpsertEditsItsComment(t *testing.T) {
	f := newFakeForge()
	f.comments = []forges.Comment{{ID: 1, Body: "/vote yes"}}
	o, st, clk := newTestOutbox(t, f)
	for i, body := range []string{"yes 1", "yes 2", "yes 2"} {
		enqueue(t, st, clk, fmt.Sprint("d", i), func(a *Actions) { a.UpsertComment(repo, 3, "status 3", body) })
		runDue(t, o)
	}
	if len(f.comments) != 2 || !strings.HasSuffix(f.comments[1].Body, "yes 2") {
		t.Fatalf("comments %+v", f.comments)
	}
	if f.count("CreateComment") != 1 || f.count("EditComment") != 1 {
		t.Errorf("creates %d, edits %d", f.count("CreateComment"), f.count("EditComment"))
	}
}

// TestOutboxUnknownForge: an effect for a forge without a client is dead
// with a reason, not retried.
func TestOutboxUnknownForge(t *testing.T) {
	o, st, clk := newTestOutbox(t, newFakeForge())
	a := NewActions("codeberg", "d1")
	a.Comment(repo, 1, "hi")
	st.EnqueueEffects(context.Background(), clk.now(), a.Effects())
	runDue(t, o)
	if e := effects(t, st)[0]; e.State != store.StateDead || !strings.Contains(e.LastError, `"codeberg" is not configured`) {
		t.Errorf("effect %+v", e)
	}
}

// TestOwnCommentsAreNotInput: only the bot's own comments, written by its
// account and carrying a marker, are kept from the handlers. A member's
// comment with a marker is input; so is one of the bot's account without a
// marker (an operator may run the bot on a person's account); on a forge
// the bot has no client for, nothing is its own. Not knowing who the bot
// is fails the delivery, to be retried.
func TestOwnCommentsAreNotInput(t *testing.T) {
	f := newFakeForge()
	rt := NewRouter()
	rt.Self = NewSelf(map[string]forges.Client{"gitea": f})
	var got []string
	rt.On(HandlerFunc(func(_ context.Context, ev *forges.Event, _ *Actions) error {
		got = append(got, ev.Forge+" "+ev.Comment.Author.Login+" "+ev.Comment.Body)
		return nil
	}), forges.KindComment)
	comment := func(forge, login, body string) *forges.Event {
		return &forges.Event{Forge: forge, Kind: forges.KindComment, Comment: &forges.Comment{Body: body, Author: forges.User{Login: login}}}
	}
	status := Marker("status 1") + "\nVote open"
	for _, ev := range []*forges.Event{
		comment("gitea", "accord", status),
		comment("gitea", "ACCORD", status),
		comment("gitea", "mallory", status),
		comment("gitea", "mallory", "/vote yes\n"+Marker("result 1")),
		comment("gitea", "accord", "/vote yes"),
		comment("codeberg", "accord", status),
	} {
		if err := rt.Dispatch(context.Background(), ev, NewActions(ev.Forge, "x")); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"gitea mallory " + status, "gitea mallory /vote yes\n" + Marker("result 1"), "gitea accord /vote yes", "codeberg accord " + status}
	if !slices.Equal(got, want) {
		t.Errorf("handled %q,\nwant %q", got, want)
	}
	if f.count("Check") != 1 {
		t.Errorf("%d identity lookups, want 1", f.count("Check"))
	}
	f2 := newFakeForge()
	f2.checkFail = []error{&forges.APIError{Forge: "gitea", Op: "Check", Status: 503}}
	rt.Self = NewSelf(map[string]forges.Client{"gitea": f2})
	if err := rt.Dispatch(context.Background(), comment("gitea", "mallory", status), NewActions("gitea", "y")); err == nil {
		t.Error("no error while the forge cannot say who the bot is")
	}
	if !errors.Is(&forges.APIError{Status: 404}, forges.ErrNotFound) {
		t.Error("404 is not ErrNotFound")
	}
}

// TestOutboxOnlyItsOwnComments: members' comments carrying the markers of a
// proposal's status, its result and an effect are never edited and never
// taken for the bot's: the bot posts its own status comment and edits only
// that, posts the result once, and posts a reply whose earlier try may
// have failed. A reply of the bot that quotes a marker does not name it.
func TestOutboxOnlyItsOwnComments(t *testing.T) {
	f := newFakeForge()
	mallory := forges.User{Login: "mallory"}
	spoofs := []forges.Comment{
		{ID: 1, Author: mallory, Body: Marker("status 3") + "\nVote open: 99 yes"},
		{ID: 2, Author: mallory, Body: Marker("result 3") + "\n**The vote passed.**"},
		{ID: 3, Author: mallory, Body: Marker("effect gitea/d2/0") + "\nhelp"},
		{ID: 4, Author: mallory, Body: "/vote yes\n" + Marker("status 3")},
		// The bot's own reply to a command that quoted a marker.
		{ID: 5, Author: forges.User{Login: "accord"}, Body: Marker("effect gitea/d0/0") + "\n> /nope " + Marker("result 3") + "\n\n@mallory unknown command"},
	}
	f.comments = slices.Clone(spoofs)
	o, st, clk := newTestOutbox(t, f)
	tally := "Vote open: 1 yes"
	o.StatusBody = func(context.Context, int64) (string, error) { return tally, nil }
	o.ResultBody = func(context.Context, int64) (string, error) { return "**The vote passed.** (the bot's)", nil }
	enqueue(t, st, clk, "d1", func(a *Actions) { a.RefreshStatus(repo, 3, 3, clk.now(), time.Second) })
	clk.add(2 * time.Second)
	runDue(t, o)
	tally = "Vote open: 2 yes"
	enqueue(t, st, clk, "d3", func(a *Actions) { a.RefreshStatus(repo, 3, 3, clk.now(), time.Second) })
	clk.add(2 * time.Second)
	runDue(t, o)
	// A reply whose first try failed looks before posting again.
	f.fail = []error{unavailable()}
	enqueue(t, st, clk, "d2", func(a *Actions) { a.Comment(repo, 3, "help") })
	runDue(t, o)
	clk.add(time.Minute)
	runDue(t, o)
	enqueue(t, st, clk, "d4", func(a *Actions) { a.PostResult(repo, 3, 3) })
	runDue(t, o)

	for _, e := range effects(t, st) {
		if e.State != store.StateDone {
			t.Errorf("effect %s: %s %s", e.Op, e.State, e.LastError)
		}
	}
	if !slices.Equal(f.comments[:len(spoofs)], spoofs) {
		t.Errorf("a member's comment was edited: %+v", f.comments[:len(spoofs)])
	}
	var mine []string
	for _, c := range f.comments[len(spoofs):] {
		if c.Author.Login != "accord" {
			t.Errorf("comment by %q", c.Author.Login)
		}
		mine = append(mine, c.Body)
	}
	want := []string{Marker("status 3") + "\nVote open: 2 yes", Marker("effect gitea/d2/0") + "\nhelp", Marker("result 3") + "\n**The vote passed.** (the bot's)"}
	if !slices.Equal(mine, want) {
		t.Errorf("the bot's comments:\n%q\nwant\n%q", mine, want)
	}
	if f.count("EditComment") != 1 || f.count("Check") != 1 {
		t.Errorf("%d edits (want 1, of its own status), %d identity lookups (want 1)", f.count("EditComment"), f.count("Check"))
	}
	// Carried out again (a crash before it was recorded), the result is
	// found: the bot's own, posted once.
	ctx := context.Background()
	a := NewActions("gitea", "d5")
	a.PostResult(repo, 3, 3)
	if err := o.do(ctx, &store.Effect{Seq: 99, Forge: "gitea", Op: OpProposalResult, Payload: a.Effects()[0].Payload, Attempts: 2}); err != nil {
		t.Fatal(err)
	}
	if n := f.count("CreateComment"); n != 4 { // status, the failed reply, the reply, the result
		t.Errorf("%d posts, want 4", n)
	}
}

// TestOutboxUnknownSelfWaits: while the forge cannot say who the bot is,
// an effect that looks for the bot's comments is retried, never carried out
// on a guess; the answer, once had, is kept.
func TestOutboxUnknownSelfWaits(t *testing.T) {
	f := newFakeForge()
	f.comments = []forges.Comment{{ID: 1, Author: forges.User{Login: "mallory"}, Body: Marker("status 3") + "\nspoof"}}
	f.checkFail = []error{&forges.APIError{Forge: "gitea", Op: "Check", Status: 502, Message: "Bad Gateway"}}
	o, st, clk := newTestOutbox(t, f)
	enqueue(t, st, clk, "d0", func(a *Actions) { a.UpsertComment(repo, 3, "status 3", "yes 1") })
	runDue(t, o)
	if e := effects(t, st)[0]; e.State != store.StateQueued || !strings.Contains(e.LastError, "502") ||
		f.count("ListComments")+f.count("CreateComment")+f.count("EditComment") != 0 {
		t.Fatalf("after the failed lookup: %s %q, calls %v", e.State, e.LastError, f.calls)
	}
	clk.add(time.Minute)
	runDue(t, o)
	enqueue(t, st, clk, "d1", func(a *Actions) { a.UpsertComment(repo, 3, "status 3", "yes 2") })
	runDue(t, o)
	if len(f.comments) != 2 || f.comments[0].Body != Marker("status 3")+"\nspoof" || f.comments[1].Body != Marker("status 3")+"\nyes 2" {
		t.Errorf("comments %+v", f.comments)
	}
	if f.count("Check") != 2 || f.count("EditComment") != 1 {
		t.Errorf("%d lookups, %d edits", f.count("Check"), f.count("EditComment"))
	}
}

// TestOutboxHoldsAFailingForge: after three failures in a row a forge's
// effects wait without a call (one probe per cool-down) instead of each
// spending its tries; once the forge answers, all are carried out.
func TestOutboxHoldsAFailingForge(t *testing.T) {
	f := newFakeForge()
	for range 100 {
		f.fail = append(f.fail, &forges.APIError{Forge: "gitea", Op: "AddReaction", Status: 503, Message: "Service Unavailable"})
	}
	o, st, clk := newTestOutbox(t, f)
	for i := range 10 {
		enqueue(t, st, clk, fmt.Sprint("d", i), func(a *Actions) { a.React(repo, int64(i), forges.ReactionThumbsUp) })
	}
	runDue(t, o)
	if n := f.count("AddReaction"); n != 3 {
		t.Fatalf("%d calls to a failing forge in one round, want 3 then held", n)
	}
	clk.add(breakerBase + time.Second)
	runDue(t, o)
	if n := f.count("AddReaction"); n != 4 {
		t.Fatalf("%d calls after the cool-down, want one probe more", n)
	}
	f.mu.Lock()
	f.fail = nil
	f.mu.Unlock()
	clk.add(o.MaxBackoff + breakerLimit)
	runDue(t, o)
	for _, e := range effects(t, st) {
		if e.State != store.StateDone {
			t.Errorf("effect %d: %s", e.Seq, e.State)
		}
	}
}

// TestForgeDownLeavesConflictsOut: a write refused as a Conflict is the
// forge answering; the breaker counts only a forge failing.
func TestForgeDownLeavesConflictsOut(t *testing.T) {
	cases := []struct {
		err  error
		down bool
	}{
		{&forges.APIError{Status: 502}, true},
		{&forges.APIError{Status: 0, Message: "connection refused"}, true},
		{&forges.APIError{Status: 429}, true},
		{&forges.APIError{Status: 409, Conflict: true}, false},
		{&forges.APIError{Status: 422, Conflict: true}, false},
		{&forges.APIError{Status: 404}, false},
		{nil, false},
	}
	for _, c := range cases {
		if got := forgeDown(forges.Outcome(c.err)); got != c.down {
			t.Errorf("forgeDown(%v) = %v, want %v", c.err, got, c.down)
		}
	}
}
