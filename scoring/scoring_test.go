package scoring

import (
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"math/big"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/accord-coop/accord/ledger"
	"github.com/accord-coop/accord/policies"
)

// The policy the rule tests start from. alice moves from outlandish to
// agile on 2025-07-01; carol joins hypha on 2025-08-01; ci is a member
// whose account is excluded.
const testCoops = `version: 1
coops:
  - id: outlandish
    repos: [github:outlandish/website, github:cotech/website]
  - id: agile
    repos: [github:agile/site]
  - id: hypha
    repos: [forgejo:hypha/sensemaker]
members:
  - id: alice
    identities: [github:alice]
    emails: [alice@outlandish.example]
    memberships:
      - {coop: outlandish, since: 2025-01-01, until: 2025-06-30}
      - {coop: agile, since: 2025-07-01}
  - id: bob
    identities: [github:bob]
    emails: [bob@agile.example]
    memberships:
      - {coop: agile, since: 2024-01-01}
  - id: carol
    identities: [github:carol]
    emails: [carol@hypha.example]
    memberships:
      - {coop: hypha, since: 2025-08-01}
  - id: ci
    identities: [github:ci-user]
    memberships:
      - {coop: outlandish, since: 2020-01-01}
`

const testScoring = `version: 1
period: month
weights: {pr_merged: 10, review_approved: 3, review_changes_requested: 3, review_commented: 1, issue_opened: 2, issue_closed: 1, comment: 0.5, commit: 1, release_published: 5, manual: 1}
multipliers:
  labels: {bug: 1.5, documentation: 0.8, security: 2}
  repos: {github:cotech/website: 0.5}
caps: {comment: 1.2}
exclude:
  bots: true
  identities: [github:ci-user]
co_authors: split
`

const testGovernance = "version: 1\nprofiles:\n  default: {}\n"

// parseSet parses the test policy with scoring.yml edited by the
// replacements (old, new, old, new, …), failing the test if it is invalid.
func parseSet(t testing.TB, replacements ...string) *policies.Set {
	t.Helper()
	scoring := strings.NewReplacer(replacements...).Replace(testScoring)
	set, errs := policies.Parse(map[string][]byte{
		policies.CoopsFile:      []byte(testCoops),
		policies.ScoringFile:    []byte(scoring),
		policies.GovernanceFile: []byte(testGovernance),
	}, nil)
	if len(errs) > 0 {
		t.Fatalf("test policy: %v", errs)
	}
	return set
}

func examples(t testing.TB) *policies.Set {
	t.Helper()
	set, errs := policies.LoadDir("../policies/examples", nil)
	if len(errs) > 0 {
		t.Fatalf("examples: %v", errs)
	}
	return set
}

var t0 = time.Date(2025, 10, 6, 12, 0, 0, 0, time.UTC) // a Monday in October; alice is at agile

func day(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// fact makes a fact on github:outlandish/website. who is an identity, or an
// email when it has an @; the ID is id, and the delivery differs per call.
func fact(id, kind, who string, at time.Time, opts ...func(*ledger.Fact)) ledger.Fact {
	f := ledger.Fact{ID: id, Kind: kind, Forge: "github", Repo: "outlandish/website", At: at, Delivery: "github/d-" + id}
	if strings.Contains(who, "@") {
		f.Who.Email = who
	} else {
		f.Who.Identity = who
	}
	for _, o := range opts {
		o(&f)
	}
	return f
}

func labels(ls ...string) func(*ledger.Fact) { return func(f *ledger.Fact) { f.Labels = ls } }
func repo(forge, r string) func(*ledger.Fact) {
	return func(f *ledger.Fact) { f.Forge, f.Repo = forge, r }
}
func bot(f *ledger.Fact)                   { f.Who.Bot = true }
func points(p int64) func(*ledger.Fact)    { return func(f *ledger.Fact) { f.Points = p } }
func email(e string) func(*ledger.Fact)    { return func(f *ledger.Fact) { f.Who.Email = e } }
func delivery(d string) func(*ledger.Fact) { return func(f *ledger.Fact) { f.Delivery = d } }
func coAuthors(ps ...ledger.Person) func(*ledger.Fact) {
	return func(f *ledger.Fact) { f.CoAuthors = ps }
}

// render writes a Result as lines a test can list: members as
// member@coop, co-ops with credit, unaffiliated and excluded with reasons.
func render(r Result) []string {
	var out []string
	for _, p := range r.Periods {
		n := p.Period.Name
		for _, m := range p.Members {
			out = append(out, fmt.Sprintf("%s %s@%s %s", n, m.Member, m.Coop, policies.Milli(m.Credits)))
		}
		for _, c := range p.Coops {
			if c.Credits != 0 {
				out = append(out, fmt.Sprintf("%s coop %s %s", n, c.Coop, policies.Milli(c.Credits)))
			}
		}
		for _, u := range p.Unaffiliated {
			out = append(out, fmt.Sprintf("%s unaffiliated %s %s (%s)", n, u.Who, policies.Milli(u.Credits), u.Reason))
		}
		for _, x := range p.Excluded {
			out = append(out, fmt.Sprintf("%s excluded %s %s (%s)", n, x.Who, policies.Milli(x.Credits), x.Reason))
		}
		for _, o := range p.Outside {
			out = append(out, fmt.Sprintf("%s outside %s %d facts would earn %s", n, o.Repo, o.Facts, policies.Milli(o.WouldEarn)))
		}
	}
	return out
}

func TestScoreRules(t *testing.T) {
	tests := []struct {
		name    string
		scoring []string // replacements in testScoring
		facts   []ledger.Fact
		want    []string
	}{
		{
			name: "weights, one fact of each kind",
			facts: []ledger.Fact{
				fact("1", ledger.FactPRMerged, "github:alice", t0),
				fact("2", ledger.FactReviewApproved, "github:alice", t0),
				fact("3", ledger.FactReviewChangesRequested, "github:alice", t0),
				fact("4", ledger.FactReviewCommented, "github:alice", t0),
				fact("5", ledger.FactIssueOpened, "github:alice", t0),
				fact("6", ledger.FactIssueClosed, "github:alice", t0),
				fact("7", ledger.FactComment, "github:alice", t0),
				fact("8", ledger.FactCommit, "github:alice", t0),
				fact("9", ledger.FactReleasePublished, "github:alice", t0),
				fact("10", ledger.FactManual, "github:alice", t0, points(1000)),
			},
			want: []string{"2025-10 alice@agile 27.5", "2025-10 coop agile 27.5"},
		},
		{
			name: "a commit a merged PR brought in is not credited again, whichever came first",
			facts: []ledger.Fact{
				fact("c1", ledger.FactCommit, "github:bob", t0, func(f *ledger.Fact) { f.SHA = "aaa" }),
				fact("m", ledger.FactPRMerged, "github:bob", t0.Add(time.Hour), func(f *ledger.Fact) {
					f.SHA, f.Commits = "mmm", []string{"aaa", "bbb"}
				}),
				fact("c2", ledger.FactCommit, "github:bob", t0.Add(2*time.Hour), func(f *ledger.Fact) { f.SHA = "mmm" }),
				fact("c3", ledger.FactCommit, "github:bob", t0.Add(2*time.Hour), func(f *ledger.Fact) { f.SHA = "ccc" }),
				// The same SHA in another repo is another commit.
				fact("c4", ledger.FactCommit, "github:bob", t0, repo("github", "agile/site"), func(f *ledger.Fact) { f.SHA = "aaa" }),
			},
			want: []string{"2025-10 bob@agile 12", "2025-10 coop agile 12"},
		},
		{
			name:    "a weight of 0 credits nothing but shows the member",
			scoring: []string{"release_published: 5", "release_published: 0"},
			facts:   []ledger.Fact{fact("1", ledger.FactReleasePublished, "github:bob", t0)},
			want:    []string{"2025-10 bob@agile 0"},
		},
		{
			name: "label and repo multipliers multiply together",
			facts: []ledger.Fact{
				// 10 × 1.5 (bug) × 0.8 (documentation) × 0.5 (repo) = 6; "wontfix" has none.
				fact("1", ledger.FactPRMerged, "github:bob", t0, repo("github", "cotech/website"), labels("bug", "documentation", "wontfix")),
				// Labels compare case-insensitively and multiply once: 3 × 2.
				fact("2", ledger.FactReviewApproved, "github:bob", t0, labels("Security", "security")),
				// Repos compare case-insensitively too: 2 × 0.5.
				fact("3", ledger.FactIssueOpened, "github:bob", t0, repo("github", "CoTech/Website")),
			},
			want: []string{"2025-10 bob@agile 13", "2025-10 coop agile 13"},
		},
		{
			name: "exact decimals: 0.5 × 1.5 × 0.8 is 0.6, not a float's 0.6000000000000001",
			facts: []ledger.Fact{
				fact("1", ledger.FactComment, "github:bob", t0, labels("bug", "documentation")),
			},
			want: []string{"2025-10 bob@agile 0.6", "2025-10 coop agile 0.6"},
		},
		{
			name:    "a product finer than a milli-credit is rounded once, halves up",
			scoring: []string{"commit: 1", "commit: 0.001", "issue_closed: 1", "issue_closed: 0.001"},
			facts: []ledger.Fact{
				fact("1", ledger.FactCommit, "github:bob", t0, repo("github", "cotech/website")),                               // 0.0005 → 0.001
				fact("2", ledger.FactIssueClosed, "github:bob", t0, repo("github", "cotech/website"), labels("documentation")), // 0.0004 → 0
			},
			want: []string{"2025-10 bob@agile 0.001", "2025-10 coop agile 0.001"},
		},
		{
			name: "a cap cuts later facts in the period and starts again in the next",
			facts: []ledger.Fact{
				fact("1", ledger.FactComment, "github:bob", t0),
				fact("2", ledger.FactComment, "github:bob", t0.Add(time.Hour)),
				fact("3", ledger.FactComment, "github:bob", t0.Add(2*time.Hour)), // 0.2 of 0.5 left
				fact("4", ledger.FactComment, "github:bob", t0.Add(3*time.Hour)), // nothing left
				fact("5", ledger.FactIssueOpened, "github:bob", t0.Add(4*time.Hour)),
				fact("6", ledger.FactComment, "github:bob", t0.AddDate(0, 1, 0)),
			},
			want: []string{
				"2025-10 bob@agile 3.2", "2025-10 coop agile 3.2",
				"2025-11 bob@agile 0.5", "2025-11 coop agile 0.5",
			},
		},
		{
			name:    "a cap is per member across co-ops: after a move the rest of it goes to the new co-op",
			scoring: []string{"period: month", "period: week"},
			facts: []ledger.Fact{
				fact("1", ledger.FactComment, "github:alice", day("2025-06-30T09:00:00Z")),
				fact("2", ledger.FactComment, "github:alice", day("2025-06-30T10:00:00Z")),
				fact("3", ledger.FactComment, "github:alice", day("2025-07-01T09:00:00Z")),
				fact("4", ledger.FactComment, "github:alice", day("2025-07-01T10:00:00Z")),
			},
			want: []string{
				"2025-W27 alice@outlandish 1", "2025-W27 alice@agile 0.2",
				"2025-W27 coop outlandish 1", "2025-W27 coop agile 0.2",
			},
		},
		{
			name:    "dated membership: the last second before the move credits the old co-op, the move's first the new",
			scoring: []string{"period: month", "period: week"},
			facts: []ledger.Fact{
				fact("1", ledger.FactPRMerged, "github:alice", day("2025-06-30T23:59:59Z")),
				fact("2", ledger.FactPRMerged, "github:alice", day("2025-07-01T00:00:00Z")),
				// 01:00 in +02:00 is still 30 June in UTC.
				fact("3", ledger.FactIssueOpened, "github:alice", day("2025-07-01T01:00:00+02:00")),
			},
			want: []string{
				"2025-W27 alice@outlandish 12", "2025-W27 alice@agile 10",
				"2025-W27 coop outlandish 12", "2025-W27 coop agile 10",
			},
		},
		{
			name: "dated membership across months",
			facts: []ledger.Fact{
				fact("1", ledger.FactPRMerged, "github:alice", day("2025-06-15T12:00:00Z")),
				fact("2", ledger.FactPRMerged, "github:alice", day("2025-07-15T12:00:00Z")),
			},
			want: []string{
				"2025-06 alice@outlandish 10", "2025-06 coop outlandish 10",
				"2025-07 alice@agile 10", "2025-07 coop agile 10",
			},
		},
		{
			name: "unaffiliated: unknown identity, unknown email, member without a membership then",
			facts: []ledger.Fact{
				fact("1", ledger.FactIssueOpened, "github:zed", t0),
				fact("2", ledger.FactCommit, "stranger@example.org", t0),
				fact("3", ledger.FactIssueOpened, "github:carol", day("2025-07-15T12:00:00Z")),
				fact("4", ledger.FactIssueOpened, "github:carol", day("2025-08-01T00:00:00Z")),
			},
			want: []string{
				"2025-07 unaffiliated github:carol 2 (member carol has no membership at the time)",
				"2025-08 carol@hypha 2", "2025-08 coop hypha 2",
				"2025-10 unaffiliated github:zed 2 (no member claims this identity or email)",
				"2025-10 unaffiliated stranger@example.org 1 (no member claims this identity or email)",
			},
		},
		{
			name: "commits are attributed by email when the identity is unknown or missing",
			facts: []ledger.Fact{
				fact("1", ledger.FactCommit, "Alice@Outlandish.example", t0),
				fact("2", ledger.FactCommit, "github:alice-work", t0, email("alice@outlandish.example")),
			},
			want: []string{"2025-10 alice@agile 2", "2025-10 coop agile 2"},
		},
		{
			name: "exclusions: a bot and a listed identity are shown and never credited",
			facts: []ledger.Fact{
				fact("1", ledger.FactPRMerged, "github:dependabot[bot]", t0, bot),
				fact("2", ledger.FactPRMerged, "github:dependabot[bot]", t0, bot),
				// Listed (case-insensitively), even though member ci claims it.
				fact("3", ledger.FactCommit, "github:CI-User", t0),
				fact("4", ledger.FactCommit, "github:bob", t0),
			},
			want: []string{
				"2025-10 bob@agile 1", "2025-10 coop agile 1",
				"2025-10 excluded github:CI-User 0 (listed under exclude.identities)",
				"2025-10 excluded github:dependabot[bot] 0 (bot (exclude.bots))",
			},
		},
		{
			name:    "with exclude.bots off a bot is credited like anyone else",
			scoring: []string{"bots: true", "bots: false"},
			facts:   []ledger.Fact{fact("1", ledger.FactPRMerged, "github:dependabot[bot]", t0, bot)},
			want:    []string{"2025-10 unaffiliated github:dependabot[bot] 10 (no member claims this identity or email)"},
		},
		{
			name: "co-authors split 10 credits in three parts that sum exactly",
			facts: []ledger.Fact{
				fact("1", ledger.FactPRMerged, "github:alice", t0, coAuthors(
					ledger.Person{Email: "bob@agile.example"}, ledger.Person{Email: "carol@hypha.example"})),
			},
			// Keys member:alice < member:bob < member:carol: the spare milli-credit goes to alice.
			want: []string{
				"2025-10 alice@agile 3.334", "2025-10 bob@agile 3.333", "2025-10 carol@hypha 3.333",
				"2025-10 coop agile 6.667", "2025-10 coop hypha 3.333",
			},
		},
		{
			name: "co-authors: the author again and repeats count once; a bot is dropped before the split",
			facts: []ledger.Fact{
				fact("1", ledger.FactPRMerged, "github:alice", t0, coAuthors(
					ledger.Person{Email: "alice@outlandish.example"},
					ledger.Person{Email: "Stranger@example.org"},
					ledger.Person{Email: "stranger@example.org"},
					ledger.Person{Email: "bot@users.noreply.github.com", Bot: true},
					ledger.Person{Name: "no address"})),
			},
			want: []string{
				"2025-10 alice@agile 5", "2025-10 coop agile 5",
				"2025-10 unaffiliated stranger@example.org 5 (no member claims this identity or email)",
				"2025-10 excluded bot@users.noreply.github.com 0 (bot (exclude.bots))",
			},
		},
		{
			name: "co-authors: Copilot and exclude.identities take no share; the author keeps it all",
			facts: []ledger.Fact{
				fact("1", ledger.FactPRMerged, "github:bob", t0, coAuthors(
					ledger.Person{Name: "Copilot", Email: "175728472+copilot@users.noreply.github.com", Bot: true},
					ledger.Person{Name: "CI", Email: "ci@example.org", Identity: "github:CI-User"})),
				fact("2", ledger.FactPRMerged, "github:bob", t0, coAuthors(
					ledger.Person{Name: "Smith, John", Email: "carol@hypha.example"},
					ledger.Person{Name: "dependabot[bot]", Email: "49699333+dependabot[bot]@users.noreply.github.com", Bot: true})),
			},
			want: []string{
				"2025-10 bob@agile 15", "2025-10 carol@hypha 5", "2025-10 coop agile 15", "2025-10 coop hypha 5",
				"2025-10 excluded 175728472+copilot@users.noreply.github.com 0 (bot (exclude.bots))",
				"2025-10 excluded 49699333+dependabot[bot]@users.noreply.github.com 0 (bot (exclude.bots))",
				"2025-10 excluded github:CI-User 0 (listed under exclude.identities)",
			},
		},
		{
			name:    "co-authors: with exclude.bots off a bot co-author shares like anyone else",
			scoring: []string{"bots: true", "bots: false"},
			facts: []ledger.Fact{
				fact("1", ledger.FactPRMerged, "github:bob", t0, coAuthors(
					ledger.Person{Name: "Copilot", Email: "175728472+copilot@users.noreply.github.com", Bot: true})),
			},
			want: []string{
				"2025-10 bob@agile 5", "2025-10 coop agile 5",
				"2025-10 unaffiliated 175728472+copilot@users.noreply.github.com 5 (no member claims this identity or email)",
			},
		},
		{
			name: "co-authors: a bot author's part goes to no one; the human co-author keeps theirs",
			facts: []ledger.Fact{
				fact("1", ledger.FactPRMerged, "github:dependabot[bot]", t0, bot, coAuthors(ledger.Person{Email: "bob@agile.example"})),
			},
			want: []string{
				"2025-10 bob@agile 5", "2025-10 coop agile 5",
				"2025-10 excluded github:dependabot[bot] 0 (bot (exclude.bots))",
			},
		},
		{
			name: "co-authors only share merged PRs",
			facts: []ledger.Fact{
				fact("1", ledger.FactReviewApproved, "github:alice", t0, coAuthors(ledger.Person{Email: "bob@agile.example"})),
			},
			want: []string{"2025-10 alice@agile 3", "2025-10 coop agile 3"},
		},
		{
			name:    "manual points: weight × points, without multipliers; a negative grant corrects",
			scoring: []string{"manual: 1", "manual: 2"},
			facts: []ledger.Fact{
				fact("1", ledger.FactManual, "github:bob", t0, points(2500), labels("bug"), repo("github", "cotech/website")),
				fact("2", ledger.FactManual, "github:bob", t0, points(-1000)),
				fact("3", ledger.FactManual, "github:bob", t0, points(1)), // 0.001 point × 2
			},
			want: []string{"2025-10 bob@agile 3.002", "2025-10 coop agile 3.002"},
		},
		{
			name: "facts with the same ID count once, whatever their delivery or time",
			facts: []ledger.Fact{
				fact("pr-1", ledger.FactPRMerged, "github:bob", t0),
				fact("pr-1", ledger.FactPRMerged, "github:bob", t0, delivery("github/redelivered")),
				fact("pr-1", ledger.FactPRMerged, "github:bob", t0.AddDate(0, 1, 0), delivery("backfill/1")),
			},
			want: []string{"2025-10 bob@agile 10", "2025-10 coop agile 10"},
		},
		{
			name: "a repo no co-op lists earns nothing: listed outside with what it would have earned",
			facts: []ledger.Fact{
				fact("1", ledger.FactPRMerged, "github:bob", t0, repo("github", "bob/side-project"), labels("bug")),
				fact("2", ledger.FactIssueOpened, "github:zed", t0, repo("github", "Bob/Side-Project")),
				fact("3", ledger.FactComment, "github:bob", t0, repo("gitea", "outlandish/website")), // the same name on another forge
				// Listed repos compare case-insensitively.
				fact("4", ledger.FactIssueOpened, "github:bob", t0, repo("github", "Agile/SITE")),
			},
			want: []string{
				"2025-10 bob@agile 2", "2025-10 coop agile 2",
				"2025-10 outside github:bob/side-project 2 facts would earn 17",
				"2025-10 outside gitea:outlandish/website 1 facts would earn 0.5",
			},
		},
		{
			name: "outside facts take no room under a cap, and an excluded person's part would earn nothing",
			facts: []ledger.Fact{
				fact("1", ledger.FactComment, "github:bob", t0, repo("github", "bob/side-project")),
				fact("2", ledger.FactComment, "github:bob", t0, repo("github", "bob/side-project")),
				fact("3", ledger.FactComment, "github:bob", t0, repo("github", "bob/side-project")),
				fact("4", ledger.FactPRMerged, "github:dependabot[bot]", t0, repo("github", "bob/side-project"), bot),
				fact("5", ledger.FactComment, "github:bob", t0.Add(time.Hour)),
				fact("6", ledger.FactComment, "github:bob", t0.Add(time.Hour)),
			},
			want: []string{
				"2025-10 bob@agile 1", "2025-10 coop agile 1",
				"2025-10 outside github:bob/side-project 4 facts would earn 1.5",
			},
		},
		{
			name: "a maintainer's /credit counts wherever it was typed",
			facts: []ledger.Fact{
				fact("1", ledger.FactManual, "github:bob", t0, points(2000), repo("github", "cotech/governance")),
			},
			want: []string{"2025-10 bob@agile 2", "2025-10 coop agile 2"},
		},
		{
			name: "no facts, no periods",
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := parseSet(t, tt.scoring...)
			r := Score(tt.facts, set)
			if r.Policy != set.Version {
				t.Errorf("Policy = %q, want %q", r.Policy, set.Version)
			}
			if got := render(r); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}

func TestScoreByKindAndCoopList(t *testing.T) {
	r := Score([]ledger.Fact{
		fact("1", ledger.FactComment, "github:bob", t0),
		fact("2", ledger.FactComment, "github:bob", t0),
		fact("3", ledger.FactComment, "github:bob", t0),
		fact("4", ledger.FactPRMerged, "github:bob", t0),
	}, parseSet(t))
	p := r.Periods[0]
	want := map[string]int64{ledger.FactComment: 1200, ledger.FactPRMerged: 10000}
	if len(p.Members) != 1 || !reflect.DeepEqual(p.Members[0].ByKind, want) || p.Members[0].Credits != 11200 {
		t.Errorf("members = %+v, want bob with %v", p.Members, want)
	}
	// Every co-op is listed, those without credit too, most credit first.
	wantCoops := []CoopCredit{{"agile", 11200}, {"hypha", 0}, {"outlandish", 0}}
	if !reflect.DeepEqual(p.Coops, wantCoops) {
		t.Errorf("coops = %+v, want %+v", p.Coops, wantCoops)
	}
	if wantP := PeriodOf("month", t0); p.Period != wantP {
		t.Errorf("period = %+v, want %+v", p.Period, wantP)
	}
}

// TestScoreExamples scores a few facts under the example policy: chen moved
// from webarchitects to hypha at the turn of 2025, gita had a break.
func TestScoreExamples(t *testing.T) {
	set := examples(t)
	facts := []ledger.Fact{
		fact("1", ledger.FactPRMerged, "gitea:chen", day("2024-12-31T23:00:00Z"), repo("gitea", "webarchitects/ansible-roles")),
		fact("2", ledger.FactPRMerged, "forgejo:chenwei", day("2025-01-02T10:00:00Z"), repo("forgejo", "hypha/sensemaker"), labels("security", "good first issue")),
		fact("3", ledger.FactReviewApproved, "github:alice-o", day("2025-01-03T10:00:00Z"), repo("github", "cotech/website")),
		fact("4", ledger.FactComment, "github:gita-s", day("2023-10-05T10:00:00Z")),
		fact("5", ledger.FactCommit, "forgejo:renovate", day("2025-01-04T10:00:00Z"), repo("forgejo", "hypha/sensemaker")),
		fact("6", ledger.FactCommit, "github:renovate[bot]", day("2025-01-04T10:00:00Z"), bot),
	}
	want := []string{
		"2023-10 unaffiliated github:gita-s 0.5 (member gita has no membership at the time)",
		"2024-12 chen@webarchitects 10", "2024-12 coop webarchitects 10",
		"2025-01 chen@hypha 24", "2025-01 alice@outlandish 1.5",
		"2025-01 coop hypha 24", "2025-01 coop outlandish 1.5",
		"2025-01 excluded forgejo:renovate 0 (listed under exclude.identities)",
		"2025-01 excluded github:renovate[bot] 0 (bot (exclude.bots))",
	}
	if got := render(Score(facts, set)); !reflect.DeepEqual(got, want) {
		t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// manyFacts makes n varied facts under the example policy: every kind,
// members, strangers, bots, co-authors, labels, repeats of IDs, and many
// facts at the same instant, so that the order tie-breaks matter.
func manyFacts(n int) []ledger.Fact {
	who := []string{"github:alice-o", "codeberg:alice", "github:bilal-k", "gitea:chen", "forgejo:chenwei",
		"github:gita-s", "codeberg:hamza", "github:stranger", "github:cotech-ci", "dara@agile.example", "nobody@example.org"}
	kinds := policies.FactKinds()
	lbls := [][]string{nil, {"bug"}, {"security", "bug"}, {"documentation"}, {"good first issue", "BUG"}}
	repos := [][2]string{{"github", "outlandish/website"}, {"github", "cotech/website"}, {"codeberg", "agile-collective/handbook"}, {"forgejo", "hypha/sensemaker"}}
	start := day("2023-06-01T00:00:00Z")
	var out []ledger.Fact
	for i := range n {
		at := start.Add(time.Duration(i%97) * 7 * 24 * time.Hour).Add(time.Duration(i%5) * time.Minute)
		f := fact(fmt.Sprintf("f%d", i%(n-n/10)), kinds[i%len(kinds)], who[i%len(who)], at,
			labels(lbls[i%len(lbls)]...), repo(repos[i%len(repos)][0], repos[i%len(repos)][1]))
		f.Delivery = fmt.Sprintf("d%d", i)
		f.Who.Bot = i%13 == 0
		if f.Kind == ledger.FactPRMerged {
			f.CoAuthors = []ledger.Person{{Email: "bilal@outlandish.example"}, {Email: "x@example.org"}}
		}
		if f.Kind == ledger.FactManual {
			f.Points = int64(i%7) * 333
		}
		out = append(out, f)
	}
	return out
}

func TestScoreOrderIndependent(t *testing.T) {
	set := examples(t)
	facts := manyFacts(600)
	want := Score(facts, set)
	if len(want.Periods) < 10 {
		t.Fatalf("only %d periods; the test facts should span many", len(want.Periods))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 20 {
		shuffled := append([]ledger.Fact(nil), facts...)
		rng.Shuffle(len(shuffled), func(a, b int) { shuffled[a], shuffled[b] = shuffled[b], shuffled[a] })
		if got := Score(shuffled, set); !reflect.DeepEqual(got, want) {
			t.Fatalf("shuffle %d: the result changed with the order of the facts", i)
		}
	}
	// Twice the facts (a full replay) changes nothing either.
	if got := Score(append(append([]ledger.Fact(nil), facts...), facts...), set); !reflect.DeepEqual(got, want) {
		t.Fatal("replaying every fact changed the result")
	}
}

// TestScoreHashCollisions makes every ID hash collide: repeats must still
// be found by ID, and different facts never merged.
func TestScoreHashCollisions(t *testing.T) {
	set := examples(t)
	facts := manyFacts(300)
	want := Score(facts, set)
	defer func(h func(maphash.Seed, string) uint64) { idHash = h }(idHash)
	idHash = func(maphash.Seed, string) uint64 { return 42 }
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 5 {
		shuffled := append([]ledger.Fact(nil), facts...)
		rng.Shuffle(len(shuffled), func(a, b int) { shuffled[a], shuffled[b] = shuffled[b], shuffled[a] })
		if got := Score(shuffled, set); !reflect.DeepEqual(got, want) {
			t.Fatalf("shuffle %d: colliding hashes changed the result", i)
		}
	}
}

func TestPeriodOf(t *testing.T) {
	tests := []struct {
		kind, at   string
		name       string
		start, end string
	}{
		{"week", "2026-10-22T12:00:00Z", "2026-W43", "2026-10-19", "2026-10-26"},
		{"week", "2024-12-30T00:00:00Z", "2025-W01", "2024-12-30", "2025-01-06"}, // ISO year ahead of the calendar
		{"week", "2021-01-03T23:59:59Z", "2020-W53", "2020-12-28", "2021-01-04"}, // and behind it
		{"week", "2026-10-25T23:59:59.999Z", "2026-W43", "2026-10-19", "2026-10-26"},
		{"week", "2026-10-26T00:00:00Z", "2026-W44", "2026-10-26", "2026-11-02"},
		{"month", "2026-12-31T23:59:59Z", "2026-12", "2026-12-01", "2027-01-01"},
		{"month", "2027-01-01T00:00:00Z", "2027-01", "2027-01-01", "2027-02-01"},
		{"month", "2026-11-01T01:00:00+02:00", "2026-10", "2026-10-01", "2026-11-01"}, // UTC decides
		{"", "2026-02-10T00:00:00Z", "2026-02", "2026-02-01", "2026-03-01"},
		{"quarter", "2026-09-30T23:59:59Z", "2026-Q3", "2026-07-01", "2026-10-01"},
		{"quarter", "2026-10-01T00:00:00Z", "2026-Q4", "2026-10-01", "2027-01-01"},
		{"quarter", "2026-01-01T00:00:00Z", "2026-Q1", "2026-01-01", "2026-04-01"},
	}
	for _, tt := range tests {
		p := PeriodOf(tt.kind, day(tt.at))
		want := Period{Name: tt.name, Start: day(tt.start + "T00:00:00Z"), End: day(tt.end + "T00:00:00Z")}
		if p != want {
			t.Errorf("PeriodOf(%q, %s) = %v, want %v", tt.kind, tt.at, p, want)
		}
	}
}

// TestPeriodsTile checks, over several years, that each instant is in its
// period, that periods follow each other without gap, and that each name
// parses back to the same period.
func TestPeriodsTile(t *testing.T) {
	for _, kind := range []string{"week", "month", "quarter"} {
		p := PeriodOf(kind, day("2019-12-25T00:00:00Z"))
		for p.Start.Year() < 2031 {
			next := PeriodOf(kind, p.End)
			if next.Start != p.End || !p.Contains(p.End.Add(-time.Nanosecond)) || p.Contains(p.End) {
				t.Fatalf("%s: %v is not followed by %v", kind, p, next)
			}
			if q, err := ParsePeriod(kind, p.Name); err != nil || q != p {
				t.Fatalf("ParsePeriod(%q, %q) = %v, %v; want %v", kind, p.Name, q, err, p)
			}
			p = next
		}
	}
}

func TestParsePeriod(t *testing.T) {
	tests := []struct {
		kind, name string
		want       string // the canonical name, or the error
	}{
		{"month", "2026-10", "2026-10"},
		{"", "2026-10", "2026-10"},
		{"week", "2026-W43", "2026-W43"},
		{"week", "2026-w43", "2026-W43"},
		{"week", "2026-W53", "2026-W53"}, // 2026 starts on a Thursday: 53 weeks
		{"quarter", "2026-q4", "2026-Q4"},
		{"month", "2026-13", `period "2026-13" does not exist; write the year and month as YYYY-MM, e.g. 2026-10`},
		{"month", "2026-00", `period "2026-00" does not exist; write the year and month as YYYY-MM, e.g. 2026-10`},
		{"month", "2026-1", `period "2026-1" is not a month; write the year and month as YYYY-MM, e.g. 2026-10`},
		{"month", "2026-+1", `period "2026-+1" is not a month; write the year and month as YYYY-MM, e.g. 2026-10`},
		{"month", "26-10", `period "26-10" is not a month; write the year and month as YYYY-MM, e.g. 2026-10`},
		{"month", "2026-W43", `period "2026-W43" is not a month; write the year and month as YYYY-MM, e.g. 2026-10`},
		{"week", "2026-10", `period "2026-10" is not a week; write the ISO year and week as YYYY-Www, e.g. 2026-W43`},
		{"week", "2025-W53", `period "2025-W53" does not exist; write the ISO year and week as YYYY-Www, e.g. 2026-W43`},
		{"week", "2026-W54", `period "2026-W54" does not exist; write the ISO year and week as YYYY-Www, e.g. 2026-W43`},
		{"quarter", "2026-Q5", `period "2026-Q5" does not exist; write the year and quarter as YYYY-Qn, e.g. 2026-Q4`},
		{"quarter", "2026-Q0", `period "2026-Q0" does not exist; write the year and quarter as YYYY-Qn, e.g. 2026-Q4`},
		{"quarter", "", `period "" is not a quarter; write the year and quarter as YYYY-Qn, e.g. 2026-Q4`},
		{"day", "2026-10-01", `period kind "day" is not known; use week, month or quarter`},
	}
	for _, tt := range tests {
		p, err := ParsePeriod(tt.kind, tt.name)
		got := p.Name
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("ParsePeriod(%q, %q) = %q, want %q", tt.kind, tt.name, got, tt.want)
		}
	}
}

func TestSplitAndScale(t *testing.T) {
	for _, tt := range []struct {
		total int64
		n     int
		want  []int64
	}{
		{10000, 3, []int64{3334, 3333, 3333}},
		{2, 3, []int64{1, 1, 0}},
		{-10, 3, []int64{-3, -3, -4}},
		{7, 1, []int64{7}},
	} {
		if got := split(tt.total, tt.n); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("split(%d, %d) = %v, want %v", tt.total, tt.n, got, tt.want)
		}
	}
	for _, tt := range []struct {
		base  int64
		mults []int64
		want  int64
	}{
		{500, []int64{1500, 800}, 600},
		{1, []int64{500}, 1},   // 0.5 rounds away from zero
		{-1, []int64{500}, -1}, // on both sides
		{1, []int64{499}, 0},
		{999999999999, []int64{999999999999, 999999999999}, math.MaxInt64},    // saturates
		{1000000000, []int64{1000000, 1000000, 1000000, 1, 1, 1, 1}, 1000000}, // past 64 bits on the way, exact
	} {
		if got := scale(tt.base, tt.mults); got != tt.want {
			t.Errorf("scale(%d, %v) = %d, want %d", tt.base, tt.mults, got, tt.want)
		}
	}
}

func coops(credits ...int64) PeriodResult {
	p := PeriodResult{Period: PeriodOf("month", t0)}
	for i, c := range credits {
		p.Coops = append(p.Coops, CoopCredit{Coop: string(rune('a' + i)), Credits: c})
	}
	return p
}

func TestPayout(t *testing.T) {
	tests := []struct {
		name    string
		credits []int64
		amount  int64
		want    []string // coop share amount, or the error
	}{
		{"1 cent over 3 equal co-ops goes to the first by id", []int64{1000, 1000, 1000}, 1,
			[]string{"a 0.3333 1", "b 0.3333 0", "c 0.3333 0"}},
		{"100 over 3 equal co-ops", []int64{5000, 5000, 5000}, 100,
			[]string{"a 0.3333 34", "b 0.3333 33", "c 0.3333 33"}},
		{"largest remainder wins the spare cent", []int64{1000, 2000, 3000}, 100, // 16.67, 33.33, 50
			[]string{"a 0.1667 17", "b 0.3333 33", "c 0.5000 50"}},
		{"a co-op with 0 credits gets 0", []int64{3000, 1000, 0}, 1001,
			[]string{"a 0.7500 751", "b 0.2500 250", "c 0.0000 0"}},
		{"5 of 12", []int64{5000, 7000}, 1200, []string{"a 0.4167 500", "b 0.5833 700"}},
		{"negative credits count as none", []int64{-500, 1000}, 99, []string{"a 0.0000 0", "b 1.0000 99"}},
		{"amount 0", []int64{1, 2}, 0, []string{"a 0.3333 0", "b 0.6667 0"}},
		{"a large budget does not overflow", []int64{math.MaxInt64 / 2, math.MaxInt64 / 2}, math.MaxInt64,
			[]string{"a 0.5000 4611686018427387904", "b 0.5000 4611686018427387903"}},
		{"0 credits everywhere", []int64{0, 0, 0}, 100,
			[]string{"period 2025-10: no co-op has credits, so there is nothing to split the amount by"}},
		{"no co-ops", nil, 100,
			[]string{"period 2025-10: no co-op has credits, so there is nothing to split the amount by"}},
		{"negative amount", []int64{1000}, -1,
			[]string{"amount -1 is negative; give the budget in minor units, e.g. 150000 for 1500.00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			shares, err := Payout(coops(tt.credits...), tt.amount)
			var got []string
			for _, s := range shares {
				got = append(got, fmt.Sprintf("%s %s %d", s.Coop, s.Share, s.Amount))
			}
			if err != nil {
				got = []string{err.Error()}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	if _, err := Payout(coops(0), 5); !errors.Is(err, ErrNothingToSplit) {
		t.Errorf("0 credits: err = %v, want ErrNothingToSplit", err)
	}
}

// TestPayoutOfScore pays out a scored period, co-ops in its order; work
// in a repo no co-op lists is never paid.
func TestPayoutOfScore(t *testing.T) {
	r := Score([]ledger.Fact{
		fact("1", ledger.FactPRMerged, "github:alice", t0, coAuthors(ledger.Person{Email: "carol@hypha.example"})),
		fact("2", ledger.FactIssueOpened, "github:bob", t0),
		fact("3", ledger.FactPRMerged, "github:bob", t0, repo("github", "bob/side-project")),
	}, parseSet(t))
	if len(r.Periods[0].Outside) != 1 {
		t.Fatalf("outside = %+v, want bob/side-project", r.Periods[0].Outside)
	}
	shares, err := Payout(r.Periods[0], 100000)
	want := []Share{
		{Coop: "agile", Credits: 7000, Share: "0.5833", Amount: 58333},
		{Coop: "hypha", Credits: 5000, Share: "0.4167", Amount: 41667},
		{Coop: "outlandish", Credits: 0, Share: "0.0000", Amount: 0},
	}
	if err != nil || !reflect.DeepEqual(shares, want) {
		t.Errorf("Payout = %+v, %v; want %+v", shares, err, want)
	}
}

func FuzzPayout(f *testing.F) {
	f.Add(int64(1), int64(1000), int64(1000), int64(1000), int64(0), uint8(3))
	f.Add(int64(100), int64(0), int64(0), int64(0), int64(0), uint8(4))
	f.Add(int64(math.MaxInt64), int64(math.MaxInt64), int64(1), int64(-5), int64(7), uint8(4))
	f.Add(int64(-3), int64(1), int64(2), int64(3), int64(4), uint8(2))
	f.Fuzz(func(t *testing.T, amount, c1, c2, c3, c4 int64, n uint8) {
		credits := []int64{c1, c2, c3, c4}[:int(n)%5]
		shares, err := Payout(coops(credits...), amount)
		total := new(big.Int)
		for _, c := range credits {
			total.Add(total, big.NewInt(max(c, 0)))
		}
		switch {
		case amount < 0 || total.Sign() == 0 || !total.IsUint64():
			if err == nil {
				t.Fatalf("Payout(%v, %d) = %v, want an error", credits, amount, shares)
			}
			return
		case err != nil:
			t.Fatalf("Payout(%v, %d): %v", credits, amount, err)
		}
		sum := new(big.Int)
		for i, s := range shares {
			if s.Amount < 0 {
				t.Fatalf("Payout(%v, %d): %s gets %d", credits, amount, s.Coop, s.Amount)
			}
			sum.Add(sum, big.NewInt(s.Amount))
			// Within one unit of the exact share: |amount_i×total − amount×c_i| < total.
			diff := new(big.Int).Mul(big.NewInt(s.Amount), total)
			diff.Sub(diff, new(big.Int).Mul(big.NewInt(amount), big.NewInt(max(credits[i], 0))))
			if diff.Abs(diff).Cmp(total) >= 0 {
				t.Fatalf("Payout(%v, %d): %s gets %d, more than one unit off its share", credits, amount, s.Coop, s.Amount)
			}
		}
		if sum.Cmp(big.NewInt(amount)) != 0 {
			t.Fatalf("Payout(%v, %d): parts sum to %v", credits, amount, sum)
		}
	})
}
