package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/accord-coop/accord/ledger"
	"github.com/accord-coop/accord/policies"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/accord-coop/accord/scoring"
	"github.com/accord-coop/accord/store"
)

// scoreDB writes a config and a database holding the example policy as the
// version in force and a few facts in November 2026.
func scoreDB(t *testing.T) (dir, cfg string) {
	t.Helper()
	dir = t.TempDir()
	ex := examplesDir(t)
	cfg = filepath.Join(dir, "accord.yml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("database: %s\npolicies:\n  dir: %s\n", filepath.Join(dir, "accord.db"), ex)), 0o600)
	st, err := store.Open(filepath.Join(dir, "accord.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	files := map[string][]byte{}
	for _, n := range policies.FileNames() {
		files[n], _ = os.ReadFile(filepath.Join(ex, n))
	}
	ctx := context.Background()
	if _, err := st.RecordPolicyVersion(ctx, store.PolicyVersion{Version: policies.ContentVersion(files), Source: "dir:" + ex,
		Content: policies.ContentVersion(files), Valid: true, Files: files, LoadedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
	var entries []store.NewEntry
	for i, f := range []struct{ kind, who string }{
		{ledger.FactPRMerged, "github:alice-o"}, {ledger.FactPRMerged, "github:bilal-k"}, {ledger.FactReviewApproved, "github:chenwei"},
		{ledger.FactIssueOpened, "github:stranger"}, {ledger.FactComment, "github:renovate[bot]"},
	} {
		fact := ledger.Fact{Kind: f.kind, Forge: "github", Repo: "outlandish/website", Number: int64(i + 1), Who: ledger.Person{Identity: f.who, Bot: strings.Contains(f.who, "[bot]")},
			At: at.Add(time.Duration(i) * time.Hour), Delivery: fmt.Sprint("github/d", i)}
		fact.ID = ledger.FactID(f.kind, "github", "outlandish/website", fmt.Sprint(i))
		entries = append(entries, store.NewEntry{Kind: ledger.KindFact, Key: fact.ID, Body: fact})
	}
	// A merge in a repo no co-op lists: shown, never credited.
	outside := ledger.Fact{Kind: ledger.FactPRMerged, Forge: "github", Repo: "bilal-k/dotfiles", Number: 9, Who: ledger.Person{Identity: "github:bilal-k"},
		At: at.Add(6 * time.Hour), Delivery: "github/d9"}
	outside.ID = ledger.FactID(outside.Kind, "github", outside.Repo, "9")
	entries = append(entries, store.NewEntry{Kind: ledger.KindFact, Key: outside.ID, Body: outside})
	if _, err := st.AppendEntries(ctx, time.Now(), entries); err != nil {
		t.Fatal(err)
	}
	return dir, cfg
}

func TestScoreAndPayout(t *testing.T) {
	dir, cfg := scoreDB(t)
	out, errOut, code := accord(t, dir, nil, "score", "--config", cfg)
	if code != 0 || !strings.Contains(out, "policy sha256:") || !strings.Contains(out, "6 facts") {
		t.Fatalf("score: %d %s %s", code, out, errOut)
	}
	if !regexp.MustCompile(`\n2026-11 +outlandish +10\n`).MatchString(out) { // bilal's merge outside the federation is not credited
		t.Errorf("outlandish's credits:\n%s", out)
	}
	for _, want := range []string{"2026-11  agile-collective", "2026-11  hypha", "github:stranger (unaffiliated, not paid)",
		"\nOutside the federation: repositories no co-op lists in coops.yml. Their facts are recorded, not credited, never paid.\n",
		"2026-11  github:bilal-k/dotfiles  1      10\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("score lacks %q:\n%s", want, out)
		}
	}
	out, _, code = accord(t, dir, nil, "score", "--config", cfg, "--by", "member", "--format", "csv", "--period", "2026-11")
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != 0 || err != nil || len(rows) < 4 || strings.Join(rows[0], ",") != "period,member,credits" {
		t.Fatalf("csv: %d %v\n%s", code, err, out)
	}
	if last := strings.Join(rows[len(rows)-1], ","); last != "2026-11,github:bilal-k/dotfiles (outside the federation: 1 facts would earn 10; not credited),0" {
		t.Errorf("csv: the outside repo is %q\n%s", last, out)
	}
	if out, _, code := accord(t, dir, nil, "score", "--config", cfg, "--format", "json"); code != 0 || !strings.Contains(out, `"policy": "sha256:`) ||
		!strings.Contains(out, `"unit": "credit"`) || !strings.Contains(out, `"outside": [
        {
          "repo": "github:bilal-k/dotfiles",
          "facts": 1,
          "would_earn": 10
        }
      ]`) || strings.Contains(out, "null") {
		t.Errorf("json: %d %s", code, out)
	}
	// Payout: the parts sum to the amount, to the cent, for awkward amounts.
	for _, amount := range []string{"0.01", "100", "1000.00", "33.33"} {
		out, errOut, code := accord(t, dir, nil, "payout", "--config", cfg, "--period", "2026-11", "--amount", amount, "--currency", "EUR")
		rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if code != 0 || err != nil || !strings.Contains(errOut, "by policy sha256:") {
			t.Fatalf("payout %s: %d %v %s %s", amount, code, err, out, errOut)
		}
		var sum int64
		for _, r := range rows[1:] {
			whole, frac, _ := strings.Cut(r[3], ".")
			n, _ := strconv.ParseInt(whole+frac, 10, 64)
			sum += n
		}
		want, _ := parseMoney(amount)
		if sum != want {
			t.Errorf("payout %s: parts sum to %d cents", amount, sum)
		}
		if !strings.Contains(out, "\noutlandish,10,") { // bilal's merge outside the federation is not paid
			t.Errorf("payout %s: outlandish's credits:\n%s", amount, out)
		}
	}
	pj, _, code := accord(t, dir, nil, "payout", "--config", cfg, "--period", "2026-11", "--amount", "33.33", "--format", "json")
	validJSON(t, "payout.schema.json", pj)
	var payout payoutJSON
	if err := json.Unmarshal([]byte(pj), &payout); code != 0 || err != nil || payout.Amount != "33.33" || payout.Currency != "EUR" || len(payout.Shares) == 0 {
		t.Errorf("payout --format json: %d %v %s", code, err, pj)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"payout", "--period", "2026-11", "--amount", "-5"}, "--amount"},
		{[]string{"payout", "--amount", "5"}, "give --period"},
		{[]string{"payout", "--period", "2026-13", "--amount", "5"}, "2026-13"},
		{[]string{"payout", "--period", "2026-10", "--amount", "5"}, "nothing to split"},
		{[]string{"score", "--by", "repo"}, "--by"},
		{[]string{"score", "--policy-ref", "abc1234"}, "no valid policy version"},
	} {
		_, errOut, code := accord(t, dir, nil, append(c.args, "--config", cfg)...)
		if code == 0 || !strings.Contains(errOut, c.want) {
			t.Errorf("accord %s: %d %q, want %q", strings.Join(c.args, " "), code, errOut, c.want)
		}
	}
}

// TestScoreThroughIntake (issue 10) sends signed GitHub deliveries to a
// running accord serve: a merged pull request whose commit, served by the
// fake forge's pull commits route, names a co-author whose display name has
// a comma and GitHub Copilot as co-authors, and an issue opened in a repo no
// co-op lists. accord score --format json then shows the merge split
// between the author and the co-author, without the bot, and the unlisted
// repo outside the federation, with no credit.
func TestScoreThroughIntake(t *testing.T) {
	fake, srv := newForgeState(t, true)
	dir := t.TempDir()
	cfg := voteConfig(t, dir, "github", srv.URL)
	os.WriteFile(filepath.Join(dir, "policies", "coops.yml"), []byte(`version: 1
coops:
  - {id: a, name: A, repos: [github:codertocat/hello-world]}
  - {id: b, name: B}
members:
  - {id: alice, identities: [github:alice], memberships: [{coop: a, since: 2019-01-01}]}
  - {id: john, identities: [github:jsmith], emails: [john@example.coop], memberships: [{coop: b, since: 2019-01-01}]}
maintainers: [alice]
`), 0o644)
	t.Setenv("TEST_GITHUB_TOKEN", githubToken)
	fake.mu.Lock()
	fake.commits[2] = []any{map[string]any{
		"sha": "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
		"commit": map[string]any{
			"message": "Add the docs\n\nCo-authored-by: Smith, John <John@Example.coop>\nCo-authored-by: Copilot <175728472+Copilot@users.noreply.github.com>\n",
			"author":  map[string]any{"name": "Alice", "email": "alice@a.example", "date": "2019-05-15T15:00:00Z"},
		},
		"author": map[string]any{"login": "alice", "type": "User"},
	}}
	fake.mu.Unlock()
	s := startServer(t, dir)
	sh := &shape{forge: "github", t: t}

	p, _ := sh.template("pull_request.closed.1.json") // #2 of Codertocat/Hello-World, closed unmerged: merge it
	pr := p["pull_request"].(map[string]any)
	pr["merged"], pr["merged_at"] = true, pr["closed_at"]
	pr["user"].(map[string]any)["login"] = "alice"
	setUser(p, "alice")
	sh.deliver(s, "pull_request", p, nil)

	p, _ = sh.template("issues.opened.1.json") // by a member, in a repo no co-op lists
	repo := p["repository"].(map[string]any)
	repo["name"], repo["full_name"] = "fork", "stranger/fork"
	repo["owner"].(map[string]any)["login"] = "stranger"
	p["issue"].(map[string]any)["user"].(map[string]any)["login"] = "alice"
	setUser(p, "alice")
	sh.deliver(s, "issues", p, nil)

	st := s.openStore()
	waitProcessed(t, st)
	facts, err := st.Facts(context.Background())
	if err != nil || len(facts) != 2 {
		t.Fatalf("facts %+v, %v; want the merge and the issue", facts, err)
	}

	out, errOut, code := accord(t, dir, nil, "score", "--config", cfg, "--format", "json", "--by", "member")
	if code != 0 {
		t.Fatalf("score: %d %s", code, errOut)
	}
	var res scoreJSON
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.Periods) != 1 || res.By != "member" || res.Unit != "credit" {
		t.Fatalf("score json: %v\n%s", err, out)
	}
	got := res.Periods[0]
	wantMembers := []memberJSON{
		{Member: "alice", Coop: "a", Credits: "5", ByKind: map[string]json.Number{"pr_merged": "5"}},
		{Member: "john", Coop: "b", Credits: "5", ByKind: map[string]json.Number{"pr_merged": "5"}},
	}
	if got.Period != "2019-05" || !reflect.DeepEqual(got.Members, wantMembers) || len(got.Unaffiliated) != 0 || got.Coops != nil {
		t.Errorf("the merge is not split between alice and john alone:\n%s", out)
	}
	if len(got.Excluded) != 1 || got.Excluded[0].Who != "175728472+copilot@users.noreply.github.com" || got.Excluded[0].Reason != scoring.ReasonBot {
		t.Errorf("excluded %+v, want Copilot as a bot", got.Excluded)
	}
	if want := []outsideRepoJSON{{Repo: "github:stranger/fork", Facts: 1, WouldEarn: "2"}}; !reflect.DeepEqual(got.Outside, want) {
		t.Errorf("outside %+v, want %+v", got.Outside, want)
	}
	validJSON(t, "score.schema.json", out)
	out, _, _ = accord(t, dir, nil, "score", "--config", cfg, "--format", "json")
	validJSON(t, "score.schema.json", out)
	res = scoreJSON{}
	json.Unmarshal([]byte(out), &res)
	if want := []coopJSON{{Coop: "a", Credits: "5"}, {Coop: "b", Credits: "5"}}; len(res.Periods) != 1 || !reflect.DeepEqual(res.Periods[0].Coops, want) || res.Periods[0].Members != nil {
		t.Errorf("by coop: %s", out)
	}
}

// validJSON checks out against the schema in docs/schemas.
func validJSON(t *testing.T, schema, out string) {
	t.Helper()
	data, err := os.ReadFile("../../docs/schemas/" + schema)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(schema, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(schema)
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(out))
	if err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if err := sch.Validate(v); err != nil {
		t.Errorf("%s: %v\n%s", schema, err, out)
	}
}

// TestScoreWithoutServe: with policies from a directory, score and payout
// read the directory themselves when no serve has recorded a version yet.
func TestScoreWithoutServe(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "accord.yml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("database: %s\npolicies:\n  dir: %s\n", filepath.Join(dir, "accord.db"), examplesDir(t))), 0o600)
	st, err := store.Open(filepath.Join(dir, "accord.db"), store.Options{}) // a ledger, and no policy version in it
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	out, errOut, code := accord(t, dir, nil, "score", "--config", cfg)
	if code != 0 || !strings.HasPrefix(out, "policy sha256:") {
		t.Errorf("score with no serve: %d %q %q", code, out, errOut)
	}
	if _, errOut, code := accord(t, dir, nil, "payout", "--config", cfg, "--period", "2026-11", "--amount", "10"); code == 0 || strings.Contains(errOut, "start accord serve") {
		// No facts: the payout has nothing to split, but not for want of a serve.
		t.Errorf("payout with no serve: %d %q", code, errOut)
	}
}
