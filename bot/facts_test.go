package bot

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accord-coop/accord/forges"
	"github.com/accord-coop/accord/ledger"
)

var updateFacts = flag.Bool("update-facts", false, "rewrite testdata/facts.golden")

// goldenEvents are the normalized events the parsers' golden files pin for
// every real fixture, GitHub's and Gitea's, by file.
func goldenEvents(t *testing.T) (names []string, events map[string]*forges.Event) {
	t.Helper()
	events = map[string]*forges.Event{}
	for _, dir := range []string{"../forges/github/testdata/golden", "../forges/gitea/testdata/golden"} {
		files, _ := filepath.Glob(dir + "/*.json")
		for _, f := range files {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var ev forges.Event
			if err := json.Unmarshal(raw, &ev); err != nil {
				t.Fatal(err)
			}
			name := filepath.Base(filepath.Dir(filepath.Dir(filepath.Dir(f)))) + "/" + filepath.Base(f)
			ev.DeliveryID = name
			names = append(names, name)
			events[name] = &ev
		}
	}
	return names, events
}

func summary(f ledger.Fact) string {
	s := fmt.Sprintf("%s %s/%s", f.Kind, f.Forge, f.Repo)
	if f.Number != 0 {
		s += fmt.Sprintf("#%d", f.Number)
	}
	if f.SHA != "" && f.Kind == ledger.FactCommit {
		s += "@" + f.SHA[:8]
	}
	s += " by " + f.Who.Identity
	if f.Who.Identity == "" {
		s += "<" + f.Who.Email + ">"
	}
	if f.Who.Bot {
		s += " (bot)"
	}
	return s + " at " + f.At.Format(time.RFC3339)
}

// TestFactsOfEveryFixture pins, for every real fixture, the facts it makes
// (kind, where, who, when) in testdata/facts.golden; fixtures that make
// none are listed with none. Run with -update-facts to rewrite it, then
// read the diff. FactsOf does not know who the bot is: gitea/008 is the
// recorded bot's (root's) status comment, which the router keeps from the
// handlers (TestReplayCreditsOnce).
func TestFactsOfEveryFixture(t *testing.T) {
	names, events := goldenEvents(t)
	var b strings.Builder
	for _, name := range names {
		facts := FactsOf(events[name], nil)
		if len(facts) == 0 {
			fmt.Fprintf(&b, "%s: none\n", name)
		}
		for _, f := range facts {
			fmt.Fprintf(&b, "%s: %s\n", name, summary(f))
			if f.ID == "" || !strings.HasPrefix(f.ID, "sha256:") || f.Delivery == "" {
				t.Errorf("%s: fact without ID or delivery: %+v", name, f)
			}
		}
	}
	if *updateFacts {
		os.WriteFile("testdata/facts.golden", []byte(b.String()), 0o644)
	}
	want, err := os.ReadFile("testdata/facts.golden")
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Errorf("facts differ from testdata/facts.golden:\n%s", b.String())
	}
}

// TestFactsThatAreNot: what must not make a fact makes none, and what must
// makes one.
func TestFactsThatAreNot(t *testing.T) {
	_, events := goldenEvents(t)
	get := func(name string) *forges.Event {
		ev := *events[name]
		return &ev
	}
	// The octokit review examples are reviews of one's own pull request.
	for _, n := range []string{"github/pull_request_review.submitted.1.json", "github/pull_request.closed.1.json"} {
		if fs := FactsOf(get(n), nil); len(fs) != 0 {
			t.Errorf("%s: %d facts, want none (own review, unmerged close)", n, len(fs))
		}
	}
	comment := get("gitea/004-issue_comment.created.json")
	comment.Comment = &forges.Comment{ID: 9, Body: "/vote yes\n\n/vote status\n", Author: comment.Comment.Author}
	if fs := FactsOf(comment, nil); len(fs) != 0 {
		t.Errorf("a command-only comment made %d facts", len(fs))
	}
	comment.Comment.Body = "/vote yes\nI agree, the docs need this."
	if fs := FactsOf(comment, nil); len(fs) != 1 {
		t.Errorf("a command with words made %d facts, want 1", len(fs))
	}
	// A marker does not make a comment the bot's (the router keeps the
	// bot's own, by author and marker, from the handlers).
	comment.Comment.Body = "I agree.\n" + Marker("status 1")
	if fs := FactsOf(comment, nil); len(fs) != 1 {
		t.Errorf("a member's comment with a marker made %d facts, want 1", len(fs))
	}
	// A bot's comment is a fact, flagged: scoring decides (exclude.bots).
	comment.Comment.Body, comment.Comment.Author = "Bumped deps", forges.User{Login: "renovate[bot]", Bot: true}
	if fs := FactsOf(comment, nil); len(fs) != 1 || !fs[0].Who.Bot {
		t.Errorf("bot comment: %+v", fs)
	}
	branch := get("gitea/018-push.none.json")
	branch.Push = &forges.Push{Ref: "refs/heads/feature", Commits: branch.Push.Commits}
	if fs := FactsOf(branch, nil); len(fs) != 0 {
		t.Errorf("a push to another branch made %d facts", len(fs))
	}
}

// TestMergedFactWithCommits: with the pull request's commits, the merge
// credits the Co-authored-by trailers (once each, never the author) and
// covers the commits so that their push is not credited again.
func TestMergedFactWithCommits(t *testing.T) {
	_, events := goldenEvents(t)
	ev := events["gitea/015-pull_request.closed.json"]
	commits := []forges.Commit{
		{SHA: "50176b13984d7342f8a952c99a3f27a766ed5e80", AuthorLogin: "bob", AuthorEmail: "bob@e2e.local",
			Message: "Add hello\n\nCo-authored-by: Carol <carol@e2e.local>\nCo-authored-by: Bob <BOB@e2e.local>\n"},
		{SHA: "aaaa", AuthorLogin: "bob", AuthorEmail: "bob@e2e.local",
			Message: "Fix\n\nco-authored-by: Carol <Carol@E2E.local>\nCo-Authored-By: Dave <dave@e2e.local>"},
	}
	fs := FactsOf(ev, commits)
	if len(fs) != 1 {
		t.Fatalf("%d facts", len(fs))
	}
	f := fs[0]
	var co []string
	for _, p := range f.CoAuthors {
		co = append(co, p.Email)
	}
	if strings.Join(co, ",") != "carol@e2e.local,dave@e2e.local" {
		t.Errorf("co-authors %v", co)
	}
	want := []string{"09bb9b2aabc285943a79c0f483e36fc42817d5c8", "50176b13984d7342f8a952c99a3f27a766ed5e80", "aaaa"}
	if strings.Join(f.Commits, ",") != strings.Join(want, ",") {
		t.Errorf("commits %v", f.Commits)
	}
	if again := FactsOf(ev, commits); again[0].ID != f.ID {
		t.Error("the same merge has another ID")
	}
	redelivered := *ev
	redelivered.DeliveryID = "another"
	if FactsOf(&redelivered, nil)[0].ID != f.ID {
		t.Error("a redelivery has another ID")
	}
}

// TestMergedFactCoAuthors: co-authors are recorded as they are, with the
// ones recognisable as bots flagged (scoring drops them); a name with a
// comma is read; the forge's accounts of commit authors give co-authors
// their identity; the author is never a co-author.
func TestMergedFactCoAuthors(t *testing.T) {
	_, events := goldenEvents(t)
	ev := events["gitea/015-pull_request.closed.json"] // merged by gitea:bob
	commits := []forges.Commit{
		{SHA: "a1", AuthorLogin: "bob", AuthorEmail: "bob@work.coop", Message: "Add hello\n\n" +
			"Co-authored-by: Smith, John <John@Example.coop>\n" +
			"Co-authored-by: Copilot <175728472+Copilot@users.noreply.github.com>\n" +
			"Co-authored-by: dependabot[bot] <49699333+dependabot[bot]@users.noreply.github.com>\n" +
			"Co-authored-by: renovate[bot] <bot@renovate.example>\n" +
			"Co-authored-by: Bob at work <BOB@work.coop>\n" +
			"Co-authored-by: Carol <carol@e2e.local>\n" +
			"Co-authored-by: CI <ci@e2e.local>\n"},
		{SHA: "a2", AuthorLogin: "carol", AuthorEmail: "Carol@e2e.local", Message: "Carol's part"},
		{SHA: "a3", AuthorLogin: "deploy[bot]", AuthorEmail: "ci@e2e.local", Message: "Generated"},
	}
	f := FactsOf(ev, commits)[0]
	var got []string
	for _, p := range f.CoAuthors {
		got = append(got, fmt.Sprintf("%s|%s|%s|%v", p.Name, p.Email, p.Identity, p.Bot))
	}
	want := []string{
		"Copilot|175728472+copilot@users.noreply.github.com||true",
		"dependabot[bot]|49699333+dependabot[bot]@users.noreply.github.com||true",
		"renovate[bot]|bot@renovate.example||true",
		"Carol|carol@e2e.local|gitea:carol|false",
		"CI|ci@e2e.local|gitea:deploy[bot]|true",
		"Smith, John|john@example.coop||false",
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("co-authors\n got %q\nwant %q", got, want)
	}
	// The fact's ID is the pull request's, whatever its co-authors.
	if f.ID != FactsOf(ev, nil)[0].ID || f.ID != ledger.FactID(ledger.FactPRMerged, "gitea", f.Repo, fmt.Sprint(f.Number)) {
		t.Errorf("ID %s depends on the commits", f.ID)
	}
}

func TestBotCoAuthor(t *testing.T) {
	for _, tt := range []struct {
		name, email string
		bot         bool
	}{
		{"Copilot", "175728472+copilot@users.noreply.github.com", true},
		{"copilot-swe-agent[bot]", "198982749+copilot@users.noreply.github.com", true},
		{"Someone", "copilot@users.noreply.github.com", true},
		{"github-actions[bot]", "41898282+github-actions[bot]@users.noreply.github.com", true},
		{"X", "1+app[bot]@users.noreply.ghe.example.coop", true},
		{"Renovate[Bot]", "r@example.coop", true},
		{"Alice", "12345+alice@users.noreply.github.com", false},
		{"Copilot fan", "copilot@example.coop", false},
		{"Bot Builder", "bot@example.coop", false},
	} {
		if got := botCoAuthor(coAuthor{Name: tt.name, Email: tt.email}); got != tt.bot {
			t.Errorf("botCoAuthor(%q <%s>) = %v, want %v", tt.name, tt.email, got, tt.bot)
		}
	}
}
