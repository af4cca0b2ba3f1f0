package github

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accord-coop/accord/forges"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// receivedAt is the receipt time the golden files were made with; an event
// whose time is this one took it from the receipt, not the payload.
var receivedAt = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// fixture is one payload from testdata/payloads, named EVENT.ACTION.N.json.
type fixture struct {
	name, event string
	body        []byte
}

func fixtures(t testing.TB) []fixture {
	t.Helper()
	files, err := filepath.Glob("testdata/payloads/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	var out []fixture
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(f)
		out = append(out, fixture{name: name, event: strings.SplitN(name, ".", 2)[0], body: body})
	}
	return out
}

func parseFixture(t *testing.T, name string) *forges.Event {
	t.Helper()
	body, err := os.ReadFile("testdata/payloads/" + name)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := NewWebhooks("github").Parse(forges.Delivery{
		Forge: "github", ID: "test-delivery", Event: strings.SplitN(name, ".", 2)[0],
		Body: body, ReceivedAt: receivedAt,
	})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return ev
}

// TestParseGolden parses every fixture and compares the whole event to its
// golden file. Run with -update to rewrite them, then read the diff.
func TestParseGolden(t *testing.T) {
	for _, fx := range fixtures(t) {
		ev := parseFixture(t, fx.name)
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
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%s: %v (run go test -update)", fx.name, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: event differs from %s\n got: %s", fx.name, path, got)
		}
	}
}

// TestParseKinds pins the kind and action of every event and action in the
// fixtures: what Accord acts on, and that everything else is ignored.
func TestParseKinds(t *testing.T) {
	acted := map[string]forges.Kind{
		"ping.none":                             forges.KindPing,
		"issues.opened":                         forges.KindIssue,
		"issues.edited":                         forges.KindIssue,
		"issues.reopened":                       forges.KindIssue,
		"issues.labeled":                        forges.KindIssue,
		"issues.unlabeled":                      forges.KindIssue,
		"issue_comment.created":                 forges.KindComment,
		"issue_comment.edited":                  forges.KindComment,
		"issue_comment.deleted":                 forges.KindComment,
		"pull_request.opened":                   forges.KindPullRequest,
		"pull_request.closed":                   forges.KindPullRequest,
		"pull_request.reopened":                 forges.KindPullRequest,
		"pull_request.labeled":                  forges.KindPullRequest,
		"pull_request.unlabeled":                forges.KindPullRequest,
		"pull_request.synchronize":              forges.KindPullRequest,
		"pull_request_review.submitted":         forges.KindReview,
		"push.none":                             forges.KindPush,
		"release.published":                     forges.KindRelease,
		"installation.created":                  forges.KindInstallation,
		"installation.deleted":                  forges.KindInstallation,
		"installation.suspend":                  forges.KindInstallation,
		"installation.unsuspend":                forges.KindInstallation,
		"installation.new_permissions_accepted": forges.KindInstallation,
		"installation_repositories.added":       forges.KindInstallation,
		"installation_repositories.removed":     forges.KindInstallation,
	}
	seen := map[string]bool{}
	for _, fx := range fixtures(t) {
		parts := strings.Split(fx.name, ".")
		key := parts[0] + "." + parts[1]
		seen[key] = true
		ev := parseFixture(t, fx.name)
		want, ok := acted[key]
		if !ok {
			want = forges.KindIgnored
		}
		if ev.Kind != want {
			t.Errorf("%s: kind %q, want %q", fx.name, ev.Kind, want)
		}
		if ev.Forge != "github" || ev.DeliveryID != "test-delivery" || ev.Name != parts[0] {
			t.Errorf("%s: forge/delivery/name %q %q %q", fx.name, ev.Forge, ev.DeliveryID, ev.Name)
		}
		if ev.Time.IsZero() || ev.Time.Location() != time.UTC {
			t.Errorf("%s: time %v", fx.name, ev.Time)
		}
		if want != forges.KindIgnored && want != forges.KindPing && want != forges.KindInstallation && ev.Repo.FullName() == "/" {
			t.Errorf("%s: no repo", fx.name)
		}
	}
	for k := range acted {
		if !seen[k] {
			t.Errorf("no fixture for %s", k)
		}
	}
}

// TestParseFields asserts the fields of one fixture of each kind against the
// values in the payload files.
func TestParseFields(t *testing.T) {
	codertocat := forges.User{ID: 21031067, Login: "Codertocat"}
	helloWorld := forges.Repo{Owner: "Codertocat", Name: "Hello-World", DefaultBranch: "master"}
	tests := []struct {
		file  string
		check func(t *testing.T, ev *forges.Event)
	}{
		{"issues.opened.1.json", func(t *testing.T, ev *forges.Event) {
			is(t, "action", ev.Action, forges.ActionOpened)
			is(t, "repo", ev.Repo, helloWorld)
			is(t, "actor", ev.Actor, codertocat)
			is(t, "number", ev.Issue.Number, int64(1))
			is(t, "title", ev.Issue.Title, "Spelling error in the README file")
			is(t, "author", ev.Issue.Author.Login, "Codertocat")
			is(t, "state", ev.Issue.State, "open")
			is(t, "pull", ev.Issue.IsPull, false)
			is(t, "time", ev.Time, ts("2019-05-15T15:20:18Z"))
		}},
		{"issues.labeled.1.json", func(t *testing.T, ev *forges.Event) {
			is(t, "action", ev.Action, forges.ActionLabeled)
			is(t, "label", ev.Label, "bug")
			is(t, "labels", strings.Join(ev.Issue.Labels, ","), "bug")
		}},
		{"issues.unlabeled.1.json", func(t *testing.T, ev *forges.Event) {
			is(t, "action", ev.Action, forges.ActionUnlabeled)
			is(t, "label", ev.Label != "", true)
		}},
		{"issue_comment.created.1.json", func(t *testing.T, ev *forges.Event) {
			is(t, "kind", ev.Kind, forges.KindComment)
			is(t, "action", ev.Action, forges.ActionCreated)
			is(t, "issue", ev.Issue.Number, int64(1))
			is(t, "comment id", ev.Comment.ID, int64(492700400))
			is(t, "body", ev.Comment.Body, "You are totally right! I'll get this fixed right away.")
			is(t, "author", ev.Comment.Author.Login, "Codertocat")
			is(t, "on pull", ev.PullRequest == nil, true)
			is(t, "time", ev.Time, ts("2019-05-15T15:20:21Z"))
		}},
		{"pull_request.opened.1.json", func(t *testing.T, ev *forges.Event) {
			is(t, "number", ev.PullRequest.Number, int64(2))
			is(t, "head", ev.PullRequest.HeadRef, "changes")
			is(t, "base", ev.PullRequest.BaseRef, "master")
			is(t, "head sha", ev.PullRequest.HeadSHA, "ec26c3e57ca3a959ca5aad62de7213c562f8c821")
			is(t, "merged", ev.PullRequest.Merged, false)
			is(t, "merge sha of an open PR", ev.PullRequest.MergeCommitSHA, "")
			is(t, "additions", ev.PullRequest.Additions, 1)
		}},
		{"pull_request.synchronize.1.json", func(t *testing.T, ev *forges.Event) {
			is(t, "action", ev.Action, forges.ActionSynchronized)
		}},
		{"pull_request_review.submitted.1.json", func(t *testing.T, ev *forges.Event) {
			is(t, "kind", ev.Kind, forges.KindReview)
			is(t, "action", ev.Action, forges.ActionSubmitted)
			is(t, "state", ev.Review.State, forges.ReviewCommented)
			is(t, "pr", ev.PullRequest.Number, int64(2))
			is(t, "review id", ev.Review.ID, int64(237895671))
			is(t, "commit", ev.Review.CommitSHA, "ec26c3e57ca3a959ca5aad62de7213c562f8c821")
			is(t, "time", ev.Time, ts("2019-05-15T15:20:38Z"))
		}},
		{"push.none.1.json", func(t *testing.T, ev *forges.Event) {
			is(t, "ref", ev.Push.Ref, "refs/tags/simple-tag")
			is(t, "branch", ev.Push.Branch(), "")
			is(t, "after", ev.Push.After, "6113728f27ae82c7b1a177c8d03f9e96e0adf246")
			is(t, "pusher", ev.Push.Pusher.Login, "Codertocat")
			is(t, "commits", len(ev.Push.Commits), 0)
		}},
		{"release.published.1.json", func(t *testing.T, ev *forges.Event) {
			is(t, "tag", ev.Release.Tag, "0.0.1")
			is(t, "author", ev.Release.Author.Login, "Codertocat")
			is(t, "time", ev.Time, ts("2019-05-15T15:20:53Z"))
		}},
		{"installation.created.1.json", func(t *testing.T, ev *forges.Event) {
			is(t, "action", ev.Action, forges.ActionCreated)
			is(t, "installation", ev.Installation.ID, ev.InstallationID)
			is(t, "has account", ev.Installation.Account != "", true)
		}},
		{"installation_repositories.added.1.json", func(t *testing.T, ev *forges.Event) {
			is(t, "action", ev.Action, forges.ActionReposAdded)
			is(t, "added", len(ev.Installation.ReposAdded) > 0, true)
		}},
		{"star.created.1.json", func(t *testing.T, ev *forges.Event) {
			is(t, "kind", ev.Kind, forges.KindIgnored)
			is(t, "action", ev.Action, "created")
			is(t, "repo", ev.Repo.FullName(), "Codertocat/Hello-World")
			is(t, "time", ev.Time, receivedAt)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) { tt.check(t, parseFixture(t, tt.file)) })
	}
}

// TestParsePushCommits checks a push with commits: each carries its author's
// name, email and login and its full message.
func TestParsePushCommits(t *testing.T) {
	for _, fx := range fixtures(t) {
		if fx.event != "push" {
			continue
		}
		var raw struct {
			Commits []struct {
				ID      string `json:"id"`
				Message string `json:"message"`
				Author  struct{ Name, Email, Username string }
			} `json:"commits"`
		}
		if err := json.Unmarshal(fx.body, &raw); err != nil {
			t.Fatal(err)
		}
		ev := parseFixture(t, fx.name)
		if len(ev.Push.Commits) != len(raw.Commits) {
			t.Fatalf("%s: %d commits, want %d", fx.name, len(ev.Push.Commits), len(raw.Commits))
		}
		for i, c := range raw.Commits {
			got := ev.Push.Commits[i]
			if got.SHA != c.ID || got.Message != c.Message || got.AuthorName != c.Author.Name ||
				got.AuthorEmail != c.Author.Email || got.AuthorLogin != c.Author.Username || got.Time.IsZero() {
				t.Errorf("%s commit %d: %+v", fx.name, i, got)
			}
		}
	}
}

// TestParseMergedPull: the fixtures' closed PRs are unmerged, so one is
// turned into the merge GitHub sends (merged, merged_at, merged_by) and the
// event must carry the merge, its time and its commit.
func TestParseMergedPull(t *testing.T) {
	ev := parseFixture(t, "pull_request.closed.1.json")
	is(t, "unmerged", ev.PullRequest.Merged, false)
	is(t, "closed time", ev.Time, ts("2019-05-15T15:21:18Z"))

	body, err := os.ReadFile("testdata/payloads/pull_request.closed.1.json")
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatal(err)
	}
	pr := raw["pull_request"].(map[string]any)
	pr["merged"] = true
	pr["merged_at"] = "2019-05-15T15:21:17Z"
	pr["merged_by"] = pr["user"]
	body, _ = json.Marshal(raw)
	ev, err = NewWebhooks("github").Parse(forges.Delivery{Event: "pull_request", Body: body, ReceivedAt: receivedAt})
	if err != nil {
		t.Fatal(err)
	}
	is(t, "merged", ev.PullRequest.Merged, true)
	is(t, "merge time", ev.Time, ts("2019-05-15T15:21:17Z"))
	is(t, "merged at", ev.PullRequest.MergedAt, ts("2019-05-15T15:21:17Z"))
	is(t, "merged by", ev.PullRequest.MergedBy.Login, "Codertocat")
	is(t, "merge sha", ev.PullRequest.MergeCommitSHA, pr["merge_commit_sha"].(string))
}

// TestParseBots: a sender of type Bot, or a login ending in [bot], is a bot.
func TestParseBots(t *testing.T) {
	body := []byte(`{"action":"created","repository":{"name":"r","owner":{"login":"o"}},
		"sender":{"id":1,"login":"renovate[bot]","type":"Bot"},
		"issue":{"number":3,"user":{"login":"a"}},"comment":{"id":9,"body":"hi","user":{"login":"renovate[bot]","type":"Bot"}}}`)
	ev, err := NewWebhooks("github").Parse(forges.Delivery{Forge: "github", ID: "x", Event: "issue_comment", Body: body, ReceivedAt: receivedAt})
	if err != nil {
		t.Fatal(err)
	}
	is(t, "actor bot", ev.Actor.Bot, true)
	is(t, "author bot", ev.Comment.Author.Bot, true)
	is(t, "issue author bot", ev.Issue.Author.Bot, false)
}

// TestParseErrors: a payload that is broken for its event is an error, an
// event Accord does not know is not.
func TestParseErrors(t *testing.T) {
	w := NewWebhooks("github")
	bad := []struct{ event, body string }{
		{"issues", `{"action":"opened","issue":{"number":1}`}, // truncated
		{"issues", ``},
		{"issues", `{"action":"opened"}`}, // no repository, no issue
		{"issues", `{"action":"opened","repository":{"name":"r"}}`}, // no issue
		{"issue_comment", `{"action":"created","repository":{"name":"r"},"issue":{"number":1}}`},
		{"pull_request", `{"action":"opened","repository":{"name":"r"},"pull_request":"nope"}`},
		{"pull_request_review", `{"action":"submitted","repository":{"name":"r"},"pull_request":{}}`},
		{"release", `{"action":"published","repository":{"name":"r"}}`},
		{"installation", `{"action":"created"}`},
		{"push", `{"ref":"refs/heads/main","repository":{"name":"r"},"commits":{}}`},
		{"issues", `[1,2]`},
	}
	for _, b := range bad {
		if ev, err := w.Parse(forges.Delivery{Event: b.event, Body: []byte(b.body), ReceivedAt: receivedAt}); err == nil {
			t.Errorf("%s %q: no error, got %+v", b.event, b.body, ev)
		}
	}
	for _, event := range []string{"workflow_run", "no_such_event", "issues"} {
		ev, err := w.Parse(forges.Delivery{Event: event, Body: []byte(`{"action":"teleported"}`), ReceivedAt: receivedAt})
		if err != nil || ev.Kind != forges.KindIgnored {
			t.Errorf("%s: %v %v, want ignored", event, ev, err)
		}
	}
}

func is[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}
