package gitea_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/accord-coop/accord/forges"
	"github.com/accord-coop/accord/forges/gitea"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden from the parser's output")

// receivedAt is the receipt time the golden events are parsed with: a golden
// event whose Time is this took its time from the receipt, not the payload.
var receivedAt = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// fixture is a delivery captured from a running Gitea (secret "gt-secret").
type fixture struct {
	name    string
	headers http.Header
	body    []byte
}

const secret = "gt-secret"

func loadFixtures(tb testing.TB) []fixture {
	tb.Helper()
	files, err := filepath.Glob("testdata/deliveries/*.json")
	if err != nil || len(files) != 23 {
		tb.Fatalf("want 23 fixtures, have %d (%v)", len(files), err)
	}
	var out []fixture
	for _, f := range files {
		out = append(out, loadFixture(tb, filepath.Base(f)))
	}
	return out
}

func loadFixture(tb testing.TB, name string) fixture {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata/deliveries", name))
	if err != nil {
		tb.Fatal(err)
	}
	var fx struct {
		Headers map[string]string `json:"headers"`
		Body    string            `json:"body"`
	}
	if err := json.Unmarshal(raw, &fx); err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	h := http.Header{}
	for k, v := range fx.Headers {
		h.Set(k, v)
	}
	return fixture{name: name, headers: h, body: []byte(fx.Body)}
}

// delivery is the delivery the intake would store for a fixture.
func delivery(tb testing.TB, w *gitea.Webhooks, forge string, h http.Header, body []byte) forges.Delivery {
	tb.Helper()
	meta := w.Describe(h)
	payload, err := w.Payload(h, body)
	if err != nil {
		tb.Fatal(err)
	}
	return forges.Delivery{Forge: forge, ID: meta.DeliveryID, Event: meta.Event, Headers: meta.Headers, Body: payload, ReceivedAt: receivedAt}
}

func parseFixture(t *testing.T, name string) *forges.Event {
	t.Helper()
	fx := loadFixture(t, name)
	w := gitea.NewWebhooks("gitea", gitea.Gitea)
	ev, err := w.Parse(delivery(t, w, "gitea", fx.headers, fx.body))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return ev
}

func TestGolden(t *testing.T) {
	w := gitea.NewWebhooks("gitea", gitea.Gitea)
	for _, fx := range loadFixtures(t) {
		t.Run(fx.name, func(t *testing.T) {
			d := delivery(t, w, "gitea", fx.headers, fx.body)
			if d.ID != fx.headers.Get("X-Gitea-Delivery") {
				t.Fatalf("delivery ID %q", d.ID)
			}
			ev, err := w.Parse(d)
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.MarshalIndent(ev, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata/golden", fx.name)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to write it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("event differs from %s\n got: %s\nwant: %s", path, got, want)
			}
		})
	}
}

// asForgejo is how Forgejo sends the same delivery: its own headers, with
// the signature in X-Forgejo-Signature only.
func asForgejo(h http.Header) http.Header {
	out := h.Clone()
	for _, k := range []string{"Event", "Event-Type", "Delivery", "Signature"} {
		out.Set("X-Forgejo-"+k, h.Get("X-Gitea-"+k))
	}
	out.Del("X-Gitea-Signature")
	out.Del("X-Hub-Signature-256")
	return out
}

// TestForgejoSameEvents checks that Forgejo's headers give the same events as
// Gitea's, but for the forge name.
func TestForgejoSameEvents(t *testing.T) {
	gt := gitea.NewWebhooks("gitea", gitea.Gitea)
	fj := gitea.NewWebhooks("codeberg", gitea.Forgejo)
	for _, fx := range loadFixtures(t) {
		want, err := gt.Parse(delivery(t, gt, "gitea", fx.headers, fx.body))
		if err != nil {
			t.Fatal(err)
		}
		h := asForgejo(fx.headers)
		if !fj.VerifySignature(h, fx.body, [][]byte{[]byte(secret)}) {
			t.Errorf("%s: Forgejo signature rejected", fx.name)
		}
		got, err := fj.Parse(delivery(t, fj, "codeberg", h, fx.body))
		if err != nil {
			t.Fatal(err)
		}
		if got.Forge != "codeberg" {
			t.Errorf("%s: forge %q", fx.name, got.Forge)
		}
		got.Forge = want.Forge
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: Forgejo event differs\n got: %+v\nwant: %+v", fx.name, got, want)
		}
	}
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

var (
	alice = forges.User{ID: 2, Login: "alice", Email: "alice@noreply.localhost"}
	bob   = forges.User{ID: 3, Login: "bob", Email: "bob@noreply.localhost"}
	carol = forges.User{ID: 4, Login: "carol", Email: "carol@noreply.localhost"}
	root  = forges.User{ID: 1, Login: "root", Email: "root@noreply.localhost"}
	dave  = forges.User{ID: 5, Login: "dave", Email: "dave@noreply.localhost"}
	repo  = forges.Repo{Owner: "federation", Name: "commons", DefaultBranch: "main"}
)

const (
	issueURL = "http://127.0.0.1:3000/federation/commons/issues/1"
	pullURL  = "http://127.0.0.1:3000/federation/commons/pulls/2"
	headSHA  = "50176b13984d7342f8a952c99a3f27a766ed5e80"
	mergeSHA = "09bb9b2aabc285943a79c0f483e36fc42817d5c8"
)

// TestParseFixtures pins, fixture by fixture, the fields Accord acts on, with
// the values read off the captured payloads (not off the golden files).
func TestParseFixtures(t *testing.T) {
	issue1 := func(labels ...string) *forges.Issue {
		return &forges.Issue{Number: 1, Title: "Adopt the shared hosting proposal",
			Author: forges.User{ID: 2, Login: "alice", Email: "alice@e2e.local"},
			State:  "open", Labels: append([]string{}, labels...), URL: issueURL}
	}
	pr2 := func() *forges.PullRequest {
		return &forges.PullRequest{Number: 2, Title: "Add hello doc",
			Author: forges.User{ID: 3, Login: "bob", Email: "bob@e2e.local"},
			State:  "open", HeadSHA: headSHA, HeadRef: "feature-hello", BaseRef: "main",
			Labels: []string{}, Additions: 1, URL: pullURL}
	}
	tests := []struct {
		file  string
		check func(t *testing.T, ev *forges.Event)
	}{
		{"001-issues.opened.json", func(t *testing.T, ev *forges.Event) {
			want(t, "kind/action/name", ev.Kind, ev.Action, ev.Name, forges.KindIssue, forges.ActionOpened, "issues")
			want(t, "repo", ev.Repo, repo)
			want(t, "actor", ev.Actor, alice)
			want(t, "issue", ev.Issue, issue1())
			want(t, "time", ev.Time, ts("2026-11-24T02:40:50Z"))
			want(t, "others", ev.PullRequest == nil && ev.Comment == nil, true)
		}},
		{"002-issue_comment.created.json", func(t *testing.T, ev *forges.Event) {
			want(t, "kind/action", ev.Kind, ev.Action, forges.KindComment, forges.ActionCreated)
			want(t, "comment", ev.Comment, &forges.Comment{ID: 1, Body: "/propose", Author: alice,
				CreatedAt: ts("2026-11-24T02:40:51Z"), UpdatedAt: ts("2026-11-24T02:40:51Z"),
				URL: issueURL + "#issuecomment-1"})
			want(t, "issue", ev.Issue, issue1())
			want(t, "pull", ev.PullRequest == nil, true)
			want(t, "time", ev.Time, ts("2026-11-24T02:40:51Z"))
		}},
		{"003-issue_comment.created.json", func(t *testing.T, ev *forges.Event) {
			want(t, "comment", ev.Comment.ID, ev.Comment.Body, ev.Comment.Author, int64(2), "/vote yes", bob)
			want(t, "actor", ev.Actor, bob)
		}},
		{"004-issue_comment.created.json", func(t *testing.T, ev *forges.Event) {
			want(t, "comment", ev.Comment.ID, ev.Comment.Body, ev.Comment.Author,
				int64(3), "> /vote no\nquoting, not voting\n/vote abstain", carol)
		}},
		{"005-issue_comment.edited.json", func(t *testing.T, ev *forges.Event) {
			want(t, "kind/action", ev.Kind, ev.Action, forges.KindComment, forges.ActionEdited)
			want(t, "comment", ev.Comment.ID, ev.Comment.Body, ev.Comment.Author, int64(2), "/vote no changed my mind", bob)
			want(t, "time", ev.Time, ts("2026-11-24T02:40:51Z"))
		}},
		{"006-issue_comment.deleted.json", func(t *testing.T, ev *forges.Event) {
			want(t, "kind/action", ev.Kind, ev.Action, forges.KindComment, forges.ActionDeleted)
			want(t, "comment", ev.Comment.ID, ev.Comment.Author, int64(3), carol)
			want(t, "actor", ev.Actor, carol)
			// The payload does not say when the comment was deleted.
			want(t, "time", ev.Time, receivedAt)
		}},
		{"007-issue_label.label_updated.json", func(t *testing.T, ev *forges.Event) {
			want(t, "kind/action/name", ev.Kind, ev.Action, ev.Name, forges.KindIssue, forges.ActionLabelsUpdated, "issue_label")
			want(t, "labels", ev.Issue.Labels, []string{"vote/open"})
			want(t, "label", ev.Label, "")
			want(t, "actor", ev.Actor, root)
		}},
		{"008-issue_comment.created.json", func(t *testing.T, ev *forges.Event) {
			want(t, "comment", ev.Comment.ID, ev.Comment.Body, ev.Comment.Author,
				int64(5), "<!-- accord:status -->\nVote open", root)
			want(t, "labels", ev.Issue.Labels, []string{"vote/open"})
		}},
		{"009-issue_comment.edited.json", func(t *testing.T, ev *forges.Event) {
			want(t, "action", ev.Action, forges.ActionEdited)
			want(t, "comment", ev.Comment.ID, ev.Comment.Body, int64(5), "<!-- accord:status -->\nVote open: 1 yes")
		}},
		{"010-issue_label.label_updated.json", func(t *testing.T, ev *forges.Event) {
			want(t, "kind/action", ev.Kind, ev.Action, forges.KindIssue, forges.ActionLabelsUpdated)
			want(t, "labels", ev.Issue.Labels, []string{})
		}},
		{"011-pull_request.opened.json", func(t *testing.T, ev *forges.Event) {
			want(t, "kind/action", ev.Kind, ev.Action, forges.KindPullRequest, forges.ActionOpened)
			want(t, "pull", ev.PullRequest, pr2())
			want(t, "actor", ev.Actor, bob)
			want(t, "time", ev.Time, ts("2026-11-24T02:40:52Z"))
			want(t, "issue", ev.Issue == nil, true)
		}},
		{"012-pull_request_comment.created.json", func(t *testing.T, ev *forges.Event) {
			want(t, "kind/action/name", ev.Kind, ev.Action, ev.Name, forges.KindComment, forges.ActionCreated, "pull_request_comment")
			want(t, "is pull", ev.Issue.IsPull, ev.Issue.Number, ev.Issue.URL, true, int64(2), pullURL)
			want(t, "comment", ev.Comment, &forges.Comment{ID: 8, Body: "Looks good to me", Author: alice,
				CreatedAt: ts("2026-11-24T02:40:52Z"), UpdatedAt: ts("2026-11-24T02:40:52Z"),
				URL: pullURL + "#issuecomment-8"})
			want(t, "pull", ev.PullRequest, pr2())
		}},
		{"013-pull_request_review_approved.reviewed.json", func(t *testing.T, ev *forges.Event) {
			want(t, "kind/action/name", ev.Kind, ev.Action, ev.Name, forges.KindReview, forges.ActionSubmitted, "pull_request_review_approved")
			want(t, "review", ev.Review, &forges.Review{State: forges.ReviewApproved, Body: "ship it", Author: alice, CommitSHA: headSHA})
			want(t, "pull", ev.PullRequest, pr2())
			want(t, "time", ev.Time, receivedAt)
		}},
		{"014-pull_request_review_rejected.reviewed.json", func(t *testing.T, ev *forges.Event) {
			want(t, "kind/action", ev.Kind, ev.Action, forges.KindReview, forges.ActionSubmitted)
			want(t, "review", ev.Review, &forges.Review{State: forges.ReviewChangesRequested, Body: "one nit", Author: carol, CommitSHA: headSHA})
			want(t, "actor", ev.Actor, carol)
		}},
		{"015-pull_request.closed.json", func(t *testing.T, ev *forges.Event) {
			want(t, "kind/action", ev.Kind, ev.Action, forges.KindPullRequest, forges.ActionClosed)
			p := ev.PullRequest
			want(t, "merge", p.State, p.Merged, p.MergeCommitSHA, p.MergedAt, "closed", true, mergeSHA, ts("2026-11-24T02:40:53Z"))
			want(t, "merged by", p.MergedBy, &alice)
			want(t, "head/base", p.HeadSHA, p.HeadRef, p.BaseRef, headSHA, "feature-hello", "main")
			want(t, "time", ev.Time, ts("2026-11-24T02:40:53Z"))
		}},
		{"016-create.none.json", func(t *testing.T, ev *forges.Event) {
			want(t, "kind/action/name", ev.Kind, ev.Action, ev.Name, forges.KindIgnored, "", "create")
			want(t, "repo/actor", ev.Repo, ev.Actor, repo, bob)
			want(t, "time", ev.Time, receivedAt)
			want(t, "objects", ev.Issue == nil && ev.PullRequest == nil && ev.Push == nil, true)
		}},
		{"017-push.none.json", func(t *testing.T, ev *forges.Event) {
			// A push that creates a branch: Gitea lists no commits, only head_commit.
			want(t, "kind/action", ev.Kind, ev.Action, forges.KindPush, "")
			want(t, "push", ev.Push, &forges.Push{Ref: "refs/heads/feature-hello",
				Before: "0000000000000000000000000000000000000000", After: headSHA,
				Pusher: bob, Commits: []forges.Commit{}})
			want(t, "branch", ev.Push.Branch(), "feature-hello")
			// The head commit's author date is 2001: not the push's time.
			want(t, "time", ev.Time, receivedAt)
		}},
		{"018-push.none.json", func(t *testing.T, ev *forges.Event) {
			want(t, "push", ev.Push.Ref, ev.Push.Before, ev.Push.After, ev.Push.Pusher,
				"refs/heads/main", "564351ef95faacc172f67636c299e9b72e5b63a3", mergeSHA, alice)
			want(t, "commits", ev.Push.Commits, []forges.Commit{
				{SHA: mergeSHA, Message: "Merge pull request 'Add hello doc' (#2) from feature-hello into main\n",
					AuthorName: "alice", AuthorEmail: "alice@e2e.local", AuthorLogin: "alice", Time: ts("2026-11-24T02:40:53Z")},
				{SHA: headSHA, Message: "Add hello\n\nCo-authored-by: Carol <carol@e2e.local>\n",
					AuthorName: "bob", AuthorEmail: "bob@e2e.local", AuthorLogin: "bob", Time: ts("2001-01-01T00:00:00Z")},
			})
			want(t, "time", ev.Time, receivedAt)
		}},
		{"019-push.none.json", func(t *testing.T, ev *forges.Event) {
			want(t, "push", ev.Kind, ev.Push.Ref, ev.Push.Branch(), len(ev.Push.Commits), forges.KindPush, "refs/tags/v0.1.0", "", 0)
		}},
		{"020-create.none.json", func(t *testing.T, ev *forges.Event) {
			want(t, "kind", ev.Kind, ev.Actor, forges.KindIgnored, alice)
		}},
		{"021-release.published.json", func(t *testing.T, ev *forges.Event) {
			want(t, "kind/action", ev.Kind, ev.Action, forges.KindRelease, forges.ActionPublished)
			want(t, "release", ev.Release, &forges.Release{ID: 1, Tag: "v0.1.0", Name: "First", Author: alice,
				URL: "http://127.0.0.1:3000/federation/commons/releases/tag/v0.1.0"})
			want(t, "time", ev.Time, ts("2026-11-24T02:40:54Z"))
		}},
		{"022-issues.closed.json", func(t *testing.T, ev *forges.Event) {
			want(t, "kind/action", ev.Kind, ev.Action, forges.KindIssue, forges.ActionClosed)
			want(t, "issue", ev.Issue.State, ev.Issue.ClosedAt, "closed", ts("2026-11-24T02:40:54Z"))
			want(t, "time", ev.Time, ts("2026-11-24T02:40:54Z"))
		}},
		{"023-push.none.json", func(t *testing.T, ev *forges.Event) {
			want(t, "pusher", ev.Push.Pusher, ev.Actor, dave, dave)
			want(t, "commits", ev.Push.Commits, []forges.Commit{{SHA: "926f990416a33978bbb1e381f28b202f0a2ce3aa",
				Message: "Start changelog\n", AuthorName: "dave", AuthorEmail: "dave@e2e.local", AuthorLogin: "dave",
				Time: ts("2001-01-01T00:00:00Z")}})
		}},
	}
	if len(tests) != 23 {
		t.Fatalf("%d cases for 23 fixtures", len(tests))
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			ev := parseFixture(t, tc.file)
			fx := loadFixture(t, tc.file)
			want(t, "envelope", ev.Forge, ev.DeliveryID, "gitea", fx.headers.Get("X-Gitea-Delivery"))
			if ev.Time.Location() != time.UTC {
				t.Errorf("time %v is not UTC", ev.Time)
			}
			if ev.Repo != repo {
				t.Errorf("repo %+v", ev.Repo)
			}
			tc.check(t, ev)
		})
	}
}

// want compares got values (the first half of vals) with wanted ones (the
// second half).
func want(t *testing.T, what string, vals ...any) {
	t.Helper()
	n := len(vals) / 2
	for i := 0; i < n; i++ {
		if !reflect.DeepEqual(vals[i], vals[n+i]) {
			t.Errorf("%s: got %#v, want %#v", what, vals[i], vals[n+i])
		}
	}
}

func TestParseErrors(t *testing.T) {
	w := gitea.NewWebhooks("gitea", gitea.Gitea)
	issue := loadFixture(t, "001-issues.opened.json").body
	d := func(event string, body string) forges.Delivery {
		return forges.Delivery{Forge: "gitea", ID: "x", Event: event, Headers: map[string]string{"Event-Type": event, "Event": event}, Body: []byte(body), ReceivedAt: receivedAt}
	}
	for _, c := range []struct {
		name, event, body string
	}{
		{"truncated JSON", "issues", string(issue[:len(issue)/2])},
		{"empty body", "issues", ""},
		{"not an object", "issues", "[1,2]"},
		{"no repository", "issues", "{}"},
		{"no repository, action known", "issues", `{"action":"opened","issue":{"number":1}}`},
		{"no issue", "issues", edit(t, issue, func(m obj) { delete(m, "issue") })},
		{"issue is not an object", "issues", edit(t, issue, func(m obj) { m["issue"] = 7 })},
		{"comment without comment", "issue_comment", edit(t, loadFixture(t, "002-issue_comment.created.json").body, func(m obj) { delete(m, "comment") })},
		{"review without pull request", "pull_request_review_approved", `{"action":"reviewed","repository":{"name":"r","owner":{"login":"o"}},"review":{"type":"pull_request_review_approved"}}`},
		{"push without ref", "push", `{"repository":{"name":"r","owner":{"login":"o"}}}`},
		{"release without release", "release", `{"action":"published","repository":{"name":"r","owner":{"login":"o"}}}`},
		{"bad time", "issues", edit(t, issue, func(m obj) { m["issue"].(obj)["created_at"] = "yesterday" })},
	} {
		if ev, err := w.Parse(d(c.event, c.body)); err == nil {
			t.Errorf("%s: no error, event %+v", c.name, ev)
		}
	}

	// Events Accord does not act on are not errors, whatever else they carry.
	for _, c := range []struct {
		name, event, body string
	}{
		{"unknown event", "package", `{"action":"created","repository":{"name":"commons","owner":{"login":"federation"}},"sender":{"id":2,"login":"alice"}}`},
		{"wiki, comment is a string", "wiki", `{"action":"edited","repository":{"name":"commons","owner":{"login":"federation"}},"comment":"typo","page":"Home"}`},
		{"ignored action", "issues", edit(t, issue, func(m obj) { m["action"] = "assigned" })},
		{"ignored event type", "issue_assign", string(issue)},
		{"release not published", "release", `{"action":"updated","release":{"id":1},"repository":{"name":"commons","owner":{"login":"federation"}}}`},
		{"no repository", "fork", `{}`},
	} {
		ev, err := w.Parse(d(c.event, c.body))
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if ev.Kind != forges.KindIgnored || ev.Name != c.event || ev.Forge != "gitea" || !ev.Time.Equal(receivedAt) {
			t.Errorf("%s: %+v", c.name, ev)
		}
		if c.name == "unknown event" && (ev.Repo.FullName() != "federation/commons" || ev.Actor.Login != "alice" || ev.Action != "created") {
			t.Errorf("%s: envelope not kept: %+v", c.name, ev)
		}
	}
}

// TestParseVariants covers payloads the captured Gitea did not send: older
// versions without Event-Type, Forgejo's pull request sync, cleared labels.
func TestParseVariants(t *testing.T) {
	w := gitea.NewWebhooks("gitea", gitea.Gitea)
	parse := func(t *testing.T, headers map[string]string, event, body string) *forges.Event {
		t.Helper()
		ev, err := w.Parse(forges.Delivery{Forge: "gitea", ID: "v", Event: event, Headers: headers, Body: []byte(body), ReceivedAt: receivedAt})
		if err != nil {
			t.Fatal(err)
		}
		return ev
	}
	fix := func(name string) string { return string(loadFixture(t, name).body) }

	t.Run("label_cleared", func(t *testing.T) {
		body := edit(t, fix("007-issue_label.label_updated.json"), func(m obj) {
			m["action"] = "label_cleared"
			m["issue"].(obj)["labels"] = []any{}
		})
		ev := parse(t, map[string]string{"Event-Type": "issue_label"}, "issue_label", body)
		want(t, "labels", ev.Kind, ev.Action, ev.Issue.Labels, forges.KindIssue, forges.ActionLabelsUpdated, []string{})
	})
	t.Run("label_updated without Event-Type", func(t *testing.T) {
		ev := parse(t, nil, "issues", fix("007-issue_label.label_updated.json"))
		want(t, "labels", ev.Name, ev.Action, ev.Issue.Labels, "issues", forges.ActionLabelsUpdated, []string{"vote/open"})
	})
	t.Run("pull_request_sync", func(t *testing.T) {
		body := edit(t, fix("011-pull_request.opened.json"), func(m obj) { m["action"] = "synchronized" })
		ev := parse(t, map[string]string{"Event-Type": "pull_request_sync", "Event": "pull_request"}, "pull_request_sync", body)
		want(t, "sync", ev.Kind, ev.Action, ev.PullRequest.HeadSHA, forges.KindPullRequest, forges.ActionSynchronized, headSHA)
	})
	t.Run("pull_request_label", func(t *testing.T) {
		body := edit(t, fix("011-pull_request.opened.json"), func(m obj) {
			m["action"] = "label_updated"
			m["pull_request"].(obj)["labels"] = []any{obj{"id": 1, "name": "vote/open"}, obj{"id": 2, "name": "kind/doc"}}
		})
		ev := parse(t, map[string]string{"Event-Type": "pull_request_label"}, "pull_request_label", body)
		want(t, "labels", ev.Kind, ev.Action, ev.PullRequest.Labels, forges.KindPullRequest, forges.ActionLabelsUpdated, []string{"vote/open", "kind/doc"})
	})
	t.Run("pull request assigned is ignored", func(t *testing.T) {
		body := edit(t, fix("011-pull_request.opened.json"), func(m obj) { m["action"] = "assigned" })
		ev := parse(t, map[string]string{"Event-Type": "pull_request_assign"}, "pull_request_assign", body)
		want(t, "kind", ev.Kind, ev.Action, forges.KindIgnored, "assigned")
	})
	t.Run("comment on a pull request as issue_comment", func(t *testing.T) {
		// Without Event-Type, and with the issue side only: the pull request
		// is known from the issue.
		body := edit(t, fix("012-pull_request_comment.created.json"), func(m obj) { delete(m, "pull_request") })
		ev := parse(t, map[string]string{"Event": "issue_comment"}, "issue_comment", body)
		want(t, "comment", ev.Kind, ev.Issue.IsPull, ev.Comment.ID, forges.KindComment, true, int64(8))
		want(t, "pull", ev.PullRequest, &forges.PullRequest{Number: 2, Title: "Add hello doc",
			Author: forges.User{ID: 3, Login: "bob", Email: "bob@e2e.local"}, State: "open", Labels: []string{}, URL: pullURL})
	})
	t.Run("coarse review names", func(t *testing.T) {
		ev := parse(t, map[string]string{"Event": "pull_request_rejected"}, "pull_request_rejected", fix("014-pull_request_review_rejected.reviewed.json"))
		want(t, "review", ev.Kind, ev.Review.State, forges.KindReview, forges.ReviewChangesRequested)
	})
	t.Run("review comment", func(t *testing.T) {
		body := edit(t, fix("013-pull_request_review_approved.reviewed.json"), func(m obj) { m["review"].(obj)["type"] = "pull_request_review_comment" })
		ev := parse(t, map[string]string{"Event-Type": "pull_request_review_comment", "Event": "pull_request_comment"}, "pull_request_review_comment", body)
		want(t, "review", ev.Kind, ev.Action, ev.Review.State, forges.KindReview, forges.ActionSubmitted, forges.ReviewCommented)
		// Older Gitea: only the coarse name, which is also a pull request comment's fine name.
		ev = parse(t, map[string]string{"Event": "pull_request_comment"}, "pull_request_comment", body)
		want(t, "coarse review", ev.Kind, ev.Review.State, ev.Review.Body, forges.KindReview, forges.ReviewCommented, "ship it")
	})
	t.Run("bot login", func(t *testing.T) {
		body := strings.ReplaceAll(fix("003-issue_comment.created.json"), `"bob"`, `"renovate[bot]"`)
		ev := parse(t, nil, "issue_comment", body)
		want(t, "bot", ev.Actor.Bot, ev.Comment.Author.Bot, true, true)
	})
	t.Run("owner from username or full_name", func(t *testing.T) {
		ev := parse(t, nil, "push", `{"ref":"refs/heads/main","repository":{"name":"r","owner":{"username":"o"}}}`)
		want(t, "repo", ev.Repo.FullName(), ev.Push.Commits, ev.Time, "o/r", []forges.Commit{}, receivedAt)
		ev = parse(t, nil, "push", `{"ref":"refs/heads/main","repository":{"full_name":"o/r"}}`)
		want(t, "repo", ev.Repo.FullName(), "o/r")
	})
	t.Run("time zone", func(t *testing.T) {
		body := edit(t, fix("021-release.published.json"), func(m obj) { m["release"].(obj)["published_at"] = "2026-11-24T10:40:54+08:00" })
		ev := parse(t, nil, "release", body)
		if ev.Time.Location() != time.UTC || !ev.Time.Equal(ts("2026-11-24T02:40:54Z")) {
			t.Errorf("time %v", ev.Time)
		}
	})
}

func TestDescribe(t *testing.T) {
	fx := loadFixture(t, "007-issue_label.label_updated.json")
	const id = "fde827ce-3a9e-430a-95b8-8afe28be05c3"
	gt := gitea.NewWebhooks("gitea", gitea.Gitea)
	fj := gitea.NewWebhooks("forgejo", gitea.Forgejo)
	wantMeta := forges.Meta{DeliveryID: id, Event: "issue_label", Headers: map[string]string{"Event": "issues", "Event-Type": "issue_label"}}

	check := func(name string, got, want forges.Meta) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %+v, want %+v", name, got, want)
		}
	}
	check("gitea", gt.Describe(fx.headers), wantMeta)
	// Forgejo with only X-Gitea-* headers (as in the captured delivery) falls back.
	check("forgejo, Gitea headers", fj.Describe(fx.headers), wantMeta)

	// Forgejo's own headers win over Gitea's.
	h := fx.headers.Clone()
	h.Set("X-Forgejo-Delivery", "fj-1")
	h.Set("X-Forgejo-Event", "issues")
	h.Set("X-Forgejo-Event-Type", "issue_label")
	h.Set("X-Gitea-Delivery", "other")
	check("forgejo, own headers", fj.Describe(h), forges.Meta{DeliveryID: "fj-1", Event: "issue_label", Headers: wantMeta.Headers})
	// A Gitea hook does not read Forgejo's headers.
	only := http.Header{}
	for _, k := range []string{"Delivery", "Event", "Event-Type"} {
		only.Set("X-Forgejo-"+k, h.Get("X-Forgejo-"+k))
	}
	check("gitea, Forgejo headers only", gt.Describe(only), forges.Meta{})
	check("forgejo, Forgejo headers only", fj.Describe(only), forges.Meta{DeliveryID: "fj-1", Event: "issue_label", Headers: wantMeta.Headers})

	// Without Event-Type (older versions) the coarse name is the event.
	h = fx.headers.Clone()
	h.Del("X-Gitea-Event-Type")
	check("no Event-Type", gt.Describe(h), forges.Meta{DeliveryID: id, Event: "issues", Headers: map[string]string{"Event": "issues"}})
	// Without the coarse Event header it is not a Gitea delivery: the intake
	// answers 400 to an empty event.
	h = fx.headers.Clone()
	h.Del("X-Gitea-Event")
	check("no Event", gt.Describe(h), forges.Meta{DeliveryID: id})
	check("nothing", gt.Describe(http.Header{}), forges.Meta{})

	// Gitea has no ping: its test delivery is a push.
	for _, fx := range loadFixtures(t) {
		if m := gt.Describe(fx.headers); m.Ping || m.DeliveryID == "" || m.Event != fx.headers.Get("X-Gitea-Event-Type") {
			t.Errorf("%s: %+v", fx.name, m)
		}
	}
}

func TestPayload(t *testing.T) {
	w := gitea.NewWebhooks("gitea", gitea.Gitea)
	doc := []byte(`{"action":"opened","x":"a&b=c"}`)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	if got, err := w.Payload(h, doc); err != nil || !bytes.Equal(got, doc) {
		t.Errorf("json: %q %v", got, err)
	}
	if got, err := w.Payload(http.Header{}, doc); err != nil || !bytes.Equal(got, doc) {
		t.Errorf("no content type: %q %v", got, err)
	}
	h.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	form := []byte("payload=" + url.QueryEscape(string(doc)))
	if got, err := w.Payload(h, form); err != nil || !bytes.Equal(got, doc) {
		t.Errorf("form: %q %v", got, err)
	}
	for _, bad := range []string{"other=1", "", "payload=%zz"} {
		if got, err := w.Payload(h, []byte(bad)); err == nil {
			t.Errorf("form %q: no error, %q", bad, got)
		}
	}
}

type obj = map[string]any

// edit decodes a JSON object, lets f change it and encodes it again.
func edit[B string | []byte](t *testing.T, body B, f func(m obj)) string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader([]byte(body)))
	dec.UseNumber()
	var m obj
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	f(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}
