package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accord-coop/accord/config"
	"github.com/accord-coop/accord/ledger"
	"github.com/accord-coop/accord/store"
)

// shape builds signed deliveries of one forge from the real fixtures'
// payloads, changed to say what a scenario needs.
type shape struct {
	forge string // "gitea" or "github"
	t     *testing.T
	seq   atomic.Int64
	// clock dates the comments (time.Now when nil); mirror, when set, is
	// the fake forge that keeps them, as the real forge would, for the bot
	// to read back at a vote's close.
	clock  func() time.Time
	mirror *forgeState
	// down, when set, is told of each delivery instead of sending it: Accord
	// is down and the forge's attempt fails.
	down func(h http.Header, body []byte)
}

func (sh *shape) now() time.Time {
	if sh.clock != nil {
		return sh.clock()
	}
	return time.Now()
}

func (sh *shape) template(name string) (map[string]any, http.Header) {
	sh.t.Helper()
	if sh.forge == "github" {
		raw, err := os.ReadFile("../../forges/github/testdata/payloads/" + name)
		if err != nil {
			sh.t.Fatal(err)
		}
		var p map[string]any
		json.Unmarshal(raw, &p)
		return p, nil
	}
	for _, fx := range loadGiteaFixtures(sh.t) {
		if strings.HasPrefix(fx.name, name) {
			var p map[string]any
			json.Unmarshal(fx.body, &p)
			return p, fx.headers
		}
	}
	sh.t.Fatalf("no Gitea fixture %s", name)
	return nil, nil
}

// deliver signs and sends a payload as the shape's forge does.
func (sh *shape) deliver(s *server, event string, p map[string]any, h http.Header) {
	sh.t.Helper()
	body, _ := json.Marshal(p)
	id := fmt.Sprintf("%s-scenario-%d", sh.forge, sh.seq.Add(1))
	if sh.forge == "github" {
		h = githubHeaders(event, id, githubSecret, body)
	} else {
		h = h.Clone()
		h.Set("X-Gitea-Delivery", id)
		h.Set("X-Gitea-Signature", giteaSignature(giteaSecret, body))
		for _, k := range []string{"X-Hub-Signature-256", "X-Hub-Signature", "X-Gogs-Signature"} {
			h.Del(k)
		}
	}
	if sh.down != nil {
		sh.down(h, body)
		return
	}
	if code := s.post(sh.forge, h, body); code != 202 {
		sh.t.Fatalf("%s %s: %d", sh.forge, event, code)
	}
}

func setUser(p map[string]any, login string) {
	p["sender"].(map[string]any)["login"] = login
	if strings.HasSuffix(login, "[bot]") {
		p["sender"].(map[string]any)["type"] = "Bot"
	}
}

// comment sends a comment created, edited or deleted by login on an issue
// (or a pull request).
func (sh *shape) comment(s *server, action string, issue, id int, login, text string) {
	sh.send(s, sh.write(action, issue, id, login, text))
}

// write makes the comment's change on the mirror forge and returns its
// delivery, to send now, later, or never (a delivery the forge failed).
func (sh *shape) write(action string, issue, id int, login, text string) func(*server) {
	now := sh.now().UTC().Format(time.RFC3339)
	created := now
	if sh.mirror != nil {
		created = sh.mirror.userComment(action, issue, id, login, text, now)
	}
	var p map[string]any
	var h http.Header
	if sh.forge == "github" {
		p, _ = sh.template("issue_comment.created.1.json")
	} else {
		p, h = sh.template("002-issue_comment.created")
	}
	p["action"] = action
	c := p["comment"].(map[string]any)
	c["id"], c["body"], c["created_at"], c["updated_at"] = id, text, created, now
	c["user"].(map[string]any)["login"] = login
	if strings.HasSuffix(login, "[bot]") {
		c["user"].(map[string]any)["type"] = "Bot"
	}
	setUser(p, login)
	is := p["issue"].(map[string]any)
	is["number"], is["title"], is["labels"] = issue, fmt.Sprint("Scenario ", issue), []any{}
	return func(s *server) { sh.deliver(s, "issue_comment", p, h) }
}

func (sh *shape) send(s *server, delivery func(*server)) { delivery(s) }

// label sends "label added to an issue" as the forge does: GitHub names the
// label; Gitea sends the issue's whole new set.
func (sh *shape) label(s *server, issue int, login, label string) {
	var p map[string]any
	var h http.Header
	if sh.forge == "github" {
		p, _ = sh.template("issues.labeled.1.json")
		p["label"].(map[string]any)["name"] = label
	} else {
		p, h = sh.template("007-issue_label")
		p["number"] = issue
	}
	setUser(p, login)
	is := p["issue"].(map[string]any)
	is["number"], is["title"], is["labels"] = issue, fmt.Sprint("Scenario ", issue), []any{map[string]any{"id": 7, "name": label, "color": "ededed"}}
	sh.deliver(s, "issues", p, h)
}

// pullOpened sends a pull request opened by login with a head commit.
func (sh *shape) pullOpened(s *server, number int, login, head string) {
	var p map[string]any
	var h http.Header
	if sh.forge == "github" {
		p, _ = sh.template("pull_request.opened.1.json")
	} else {
		p, h = sh.template("011-pull_request.opened")
	}
	p["number"] = number
	setUser(p, login)
	pr := p["pull_request"].(map[string]any)
	pr["number"], pr["title"], pr["labels"] = number, fmt.Sprint("Scenario ", number), []any{}
	pr["user"].(map[string]any)["login"] = login
	pr["head"].(map[string]any)["sha"] = head
	sh.deliver(s, "pull_request", p, h)
}

const scenarioGovernance = `version: 1
profiles:
  default: {duration: 7d, voters: members, quorum: 0.5, threshold: 0.5, start_label: proposal}
  early: {duration: 7d, voters: members, quorum: 0.5, threshold: 0.5, close_early: true}
  minute: {duration: 1m, voters: members, quorum: 0.5, threshold: 0.5}
  coops: {duration: 1m, voters: coops, quorum: 0.5, threshold: 0.5}
  consent: {duration: 1m, voters: members, quorum: 0.5, threshold: 0.5, block: true}
  policy: {duration: 7d, voters: coops, quorum: 0.5, threshold: 0.5}
automation:
  - {patterns: ["accord/*.yml"], profile: policy}
`

func scenarioConfig(t *testing.T, dir, forge, url string) {
	voteConfig(t, dir, forge, url)
	pol := filepath.Join(dir, "policies")
	os.WriteFile(filepath.Join(pol, "coops.yml"), []byte(fmt.Sprintf(`version: 1
coops:
  - {id: a, name: A}
  - {id: b, name: B}
  - {id: c, name: C}
members:
  - {id: alice, identities: [%[1]s:alice], memberships: [{coop: a, since: 2020-01-01}]}
  - {id: bob, identities: [%[1]s:bob], memberships: [{coop: a, since: 2020-01-01}]}
  - {id: carol, identities: [%[1]s:carol], memberships: [{coop: b, since: 2020-01-01}]}
  - {id: dave, identities: [%[1]s:dave], memberships: [{coop: b, since: 2020-01-01}]}
  - {id: erin, identities: [%[1]s:erin], memberships: [{coop: c, since: 2020-01-01}]}
maintainers: [alice]
`, forge)), 0o644)
	os.WriteFile(filepath.Join(pol, "governance.yml"), []byte(scenarioGovernance), 0o644)
}

// issueView is what the fake forge shows of one issue: its labels, the
// status comment, the result comment, and the other replies.
func (f *forgeState) issueView(n int64) (labels string, status string, replies []string) {
	labels, status, _, replies = f.issueResult(n)
	return labels, status, replies
}

func (f *forgeState) issueResult(n int64) (labels, status, result string, replies []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.comments {
		if c["issue"] != n || !byBot(c) {
			continue
		}
		switch b := fmt.Sprint(c["body"]); {
		case strings.Contains(b, "### Vote:"):
			status = b
		case strings.Contains(b, "**The vote "):
			result += b
		default:
			replies = append(replies, b)
		}
	}
	return strings.Join(f.issue[n], ","), status, result, replies
}

func outcomes(st *store.Store) map[int64]map[string]any {
	out := map[int64]map[string]any{}
	st.LedgerEntries(context.Background(), func(e ledger.Entry) error {
		if e.Kind == ledger.KindOutcome {
			var o map[string]any
			json.Unmarshal(e.Body, &o)
			out[int64(o["number"].(float64))] = o
		}
		return nil
	})
	return out
}

// TestVoteScenarios runs every vote scenario through the real intake path
// (the bot serve assembles, in process, on a test clock), with Gitea-shaped
// and with GitHub-shaped deliveries, against a fake forge that keeps the
// members' comments and the bot's labels, comments and statuses. Each
// scenario is on its own issue; the ones that close at their deadline (1
// minute) see the bot stopped after the votes and started again once the
// clock has passed the deadline and the close's grace.
func TestVoteScenarios(t *testing.T) { bothShapes(t, runScenarios) }

func runScenarios(t *testing.T, forge string) {
	r := newRig(t, forge, scenarioConfig)
	fake, dir, clk, sh, s, st := r.fake, r.dir, r.clk, r.sh, r.s, r.st
	c := 100000
	say := func(issue int, login, text string) int {
		c++
		sh.comment(s, "created", issue, c, login, text)
		return c
	}
	// Deadline scenarios first: their minute starts now.
	say(12, "alice", "/propose coops") // a co-op vote where one co-op's members split
	say(12, "alice", "/vote yes")
	say(12, "bob", "/vote no")
	say(12, "carol", "/vote yes")
	say(12, "dave", "/vote yes")
	say(12, "erin", "/vote no")
	say(13, "alice", "/propose minute") // quorum not met
	say(13, "alice", "/vote yes")
	say(14, "alice", "/propose consent") // a block
	for _, m := range []string{"alice", "bob", "carol", "dave"} {
		say(14, m, "/vote yes")
	}
	say(14, "erin", "/vote block not like this")
	say(15, "alice", "/propose minute") // changed, withdrawn, edited
	say(15, "alice", "/vote no")
	say(15, "alice", "/vote yes")
	bobs := say(15, "bob", "/vote yes")
	sh.comment(s, "deleted", 15, bobs, "bob", "/vote yes")
	carols := say(15, "carol", "/vote no")
	sh.comment(s, "edited", 15, carols, "carol", "/vote yes\nchanged my mind")
	say(15, "dave", "/vote yes")
	opened := time.Now()

	// Scenarios that end without the deadline.
	say(11, "alice", "/propose early") // a member vote passes, closing early
	for _, m := range []string{"alice", "bob", "carol"} {
		say(11, m, "/vote yes")
	}
	say(16, "bob", "/propose") // an ineligible voter, a bot, a cancel
	say(16, "mallory", "/vote yes")
	say(16, "renovate[bot]", "/vote yes")
	say(16, "carol", "/proposal cancel")
	say(16, "bob", "/proposal cancel")
	fake.mu.Lock()
	fake.files[17] = []string{"README.md", "accord/coops.yml"}
	fake.mu.Unlock()
	sh.pullOpened(s, 17, "carol", "head17") // an automation rule opens a vote on the PR
	sh.label(s, 18, "bob", "proposal")      // a start label opens one

	waitFor(t, "the votes of issue 15 and the early close of 11", func() bool {
		_, status, _ := fake.issueView(15)
		return strings.Contains(status, "| 3 | 0 | 0 | 0 | 3 of 5 members |") && outcomes(st)[11] != nil && outcomes(st)[16] != nil
	})
	for _, m := range []string{"alice", "bob", "carol", "dave", "erin"} {
		say(17, m, "/vote yes")
	}
	say(17, "alice", "/proposal close")

	// The bot stops; the minute and the close's grace pass; it starts again
	// and closes what is due.
	s.kill()
	clk.add(time.Until(opened.Add(65*time.Second)) + config.DefaultCloseGrace)
	s = startInProcess(t, dir, clk)
	waitFor(t, "the deadline closes after the restart", func() bool {
		o := outcomes(st)
		return o[12] != nil && o[13] != nil && o[14] != nil && o[15] != nil
	})
	say(15, "carol", "/vote no") // after the close: changes nothing, one reply
	sh.comment(s, "edited", 15, carols, "carol", "/vote no")

	o := outcomes(st)
	want := map[int64]string{11: "passed", 12: "rejected", 13: "rejected", 14: "rejected", 15: "passed", 16: "cancelled", 17: "passed"}
	for n, w := range want {
		if o[n] == nil || o[n]["outcome"] != w {
			t.Errorf("issue %d: outcome %v, want %s", n, o[n], w)
		}
	}
	waitFor(t, "the result labels", func() bool {
		for n, w := range want {
			if labels, _, _ := fake.issueView(n); labels != "vote/"+w {
				return false
			}
		}
		return true
	})
	checks := []struct {
		issue int64
		in    []string
	}{
		{11, []string{"**Result: passed**", "Votes: alice yes, bob yes, carol yes."}},
		{12, []string{"**Result: rejected**", "| a | 2 of 2 | 1 | 1 | 0 | 0 | abstain |", "| b | 2 of 2 | 2 | 0 | 0 | 0 | yes |", "| c | 1 of 1 | 0 | 1 | 0 | 0 | no |"}},
		{13, []string{"**Result: rejected**", "1 of 5 members | not met"}},
		{14, []string{"**Result: rejected**", "| 4 | 0 | 0 | 1 |", "a single block fails it"}},
		{15, []string{"**Result: passed**", "Votes: alice yes, carol yes, dave yes."}},
		{16, []string{"**Result: cancelled**"}},
		{17, []string{"**Result: passed**", "one co-op, one vote"}},
	}
	for _, c := range checks {
		// The outbox edits the status comment after the labels: wait for it.
		waitFor(t, fmt.Sprint("the status comment's result on issue ", c.issue), func() bool {
			_, status, _ := fake.issueView(c.issue)
			return strings.Contains(status, "**Result: ")
		})
		_, status, _ := fake.issueView(c.issue)
		for _, w := range c.in {
			if !strings.Contains(status, w) {
				t.Errorf("issue %d status comment lacks %q:\n%s", c.issue, w, status)
			}
		}
		if !strings.Contains(status, "Ledger entry `") || strings.Contains(status, "Ledger entry ``") {
			t.Errorf("issue %d: no ledger hash in the result", c.issue)
		}
		waitFor(t, fmt.Sprint("the result comment of issue ", c.issue), func() bool {
			_, _, result, _ := fake.issueResult(c.issue)
			return strings.Count(result, "**The vote "+want[c.issue]+".**") == 1 && strings.Contains(result, "Recorded in the ledger as entry `")
		})
	}
	_, _, replies16 := fake.issueView(16)
	if len(replies16) != 2 || !strings.Contains(replies16[0], "only members may vote") || !strings.Contains(replies16[1], "only the proposer or a maintainer") {
		t.Errorf("issue 16 replies (ineligible voter, no reply to the bot, carol may not cancel): %q", replies16)
	}
	waitFor(t, "one reply to the vote after the close", func() bool {
		_, _, r := fake.issueView(15)
		return len(r) >= 1 && strings.Contains(r[len(r)-1], "closed at")
	})
	if o := outcomes(st)[15]; o["yes"] != float64(3) {
		t.Errorf("issue 15 changed after the close: %v", o)
	}
	fake.mu.Lock()
	if got := strings.Join(fake.statuses["head17"], ","); got != "accord/vote=pending,accord/vote=success" {
		t.Errorf("PR 17 statuses: %s", got)
	}
	fake.mu.Unlock()
	ps, _ := st.ListProposals(context.Background(), 20)
	var opened18 bool
	for _, p := range ps {
		if p.Number == 18 && p.Profile == "default" && p.State == store.ProposalOpen {
			opened18 = true
		}
	}
	if !opened18 {
		t.Errorf("the start label did not open a vote: %+v", ps)
	}
	if _, _, err := st.VerifyLedger(context.Background()); err != nil {
		t.Error(err)
	}
}
