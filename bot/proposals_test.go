package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accord-coop/accord/forges"
	"github.com/accord-coop/accord/ledger"
	"github.com/accord-coop/accord/store"
	"github.com/accord-coop/accord/tally"
)

const voteCoops = `version: 1
coops:
  - {id: a, name: A}
  - {id: b, name: B}
  - {id: c, name: C}
members:
  - {id: m1, identities: [gitea:m1], memberships: [{coop: a, since: 2020-01-01}]}
  - {id: m2, identities: [gitea:m2], memberships: [{coop: a, since: 2020-01-01}]}
  - {id: m3, identities: [gitea:m3], memberships: [{coop: b, since: 2020-01-01}]}
  - {id: m4, identities: [gitea:m4], memberships: [{coop: b, since: 2020-01-01}]}
  - {id: m5, identities: [gitea:m5], memberships: [{coop: c, since: 2020-01-01}]}
  - {id: m6, identities: [gitea:m6], memberships: [{coop: c, since: 2020-01-01, until: 2021-01-01}]}
maintainers: [m1]
`

const voteGovernance = `version: 1
profiles:
  default: {duration: 7d, voters: members, quorum: 0.5, threshold: 0.5, close_early: false, start_label: proposal}
  early: {duration: 7d, voters: members, quorum: 0.5, threshold: 0.5, close_early: true}
  coops: {duration: 7d, voters: coops, quorum: 0.5, threshold: 0.5}
  consent: {duration: 7d, voters: members, quorum: 0.5, threshold: 0.5, block: true}
automation:
  - {patterns: ["accord/*.yml"], profile: consent}
`

// voting is a federation of three co-ops and six members (m6's membership
// ended, so five may vote) on a fake Gitea, with a clock.
type voting struct {
	t    *testing.T
	f    *fakeForge
	st   *store.Store
	o    *Outbox
	h    *Proposals
	clk  *clock
	next int64
	isPR bool
}

func newVoting(t *testing.T) *voting {
	dir := t.TempDir()
	scoring := "version: 1\nweights: {pr_merged: 10, review_approved: 3, review_changes_requested: 3, review_commented: 1, issue_opened: 2, issue_closed: 1, comment: 0.5, commit: 1, release_published: 5, manual: 1}\n"
	for name, body := range map[string]string{"coops.yml": voteCoops, "governance.yml": voteGovernance, "scoring.yml": scoring} {
		os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644)
	}
	f := newFakeForge()
	o, st, clk := newTestOutbox(t, f)
	clk.t = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	pols := &Policies{Source: PolicySource{Dir: dir}, Store: st, Log: slog.New(slog.DiscardHandler)}
	if err := pols.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	h := &Proposals{Policies: pols, Store: st, Now: clk.now, Log: slog.New(slog.DiscardHandler),
		Clients: map[string]forges.Client{"gitea": f}}
	o.StatusBody, o.ResultBody = h.StatusBody, h.ResultBody
	return &voting{t: t, f: f, st: st, o: o, h: h, clk: clk, next: 100}
}

// say posts a comment as login and runs the bot on it; it returns the
// comment's ID.
func (v *voting) say(login, body string) int64 {
	v.next++
	v.event(forges.ActionCreated, v.next, login, body)
	return v.next
}

func (v *voting) event(action string, id int64, login, body string) {
	v.t.Helper()
	ev := &forges.Event{Forge: "gitea", DeliveryID: fmt.Sprint("d", v.next, action), Kind: forges.KindComment, Action: action, Time: v.clk.now(),
		Repo:    forges.Repo{Owner: "federation", Name: "commons"},
		Actor:   forges.User{Login: login, Bot: strings.HasSuffix(login, "[bot]")},
		Issue:   &forges.Issue{Number: 5, Title: "Adopt the handbook", IsPull: v.isPR},
		Comment: &forges.Comment{ID: id, Body: body, Author: forges.User{Login: login, Bot: strings.HasSuffix(login, "[bot]")}, CreatedAt: v.clk.now()}}
	if v.isPR {
		ev.PullRequest = &forges.PullRequest{Number: 5, HeadSHA: "head1"}
	}
	if err := v.h.Handle(context.Background(), ev, NewActions("gitea", ev.DeliveryID)); err != nil {
		v.t.Fatal(err)
	}
	v.settle()
}

// settle lets the clock pass the status window and carries out the effects.
func (v *voting) settle() {
	v.clk.add(6 * time.Second)
	runDue(v.t, v.o)
}

func (v *voting) labels() string { return strings.Join(v.f.labels[5], ",") }

func (v *voting) status() string {
	for _, c := range v.f.comments {
		if strings.Contains(c.Body, "### Vote:") {
			return c.Body
		}
	}
	return ""
}

// replies are the bot's comments other than the status and the result.
func (v *voting) replies() []string {
	var out []string
	for _, c := range v.f.comments {
		if HasMarker(c.Body) && !strings.Contains(c.Body, "### Vote:") && !strings.Contains(c.Body, "**The vote ") {
			out = append(out, c.Body)
		}
	}
	return out
}

// outcome is the outcome entry of the ledger, or nil.
func (v *voting) outcome() map[string]any {
	var out map[string]any
	v.st.LedgerEntries(context.Background(), func(e ledger.Entry) error {
		if e.Kind == ledger.KindOutcome {
			json.Unmarshal(e.Body, &out)
		}
		return nil
	})
	return out
}

func (v *voting) closeAtDeadline() {
	v.clk.add(8 * 24 * time.Hour)
	if err := v.h.CloseDue(context.Background()); err != nil {
		v.t.Fatal(err)
	}
	v.settle()
}

func (v *voting) wantClosed(outcome string) {
	v.t.Helper()
	o := v.outcome()
	if o == nil || o["outcome"] != outcome {
		v.t.Fatalf("ledger outcome %v, want %s", o, outcome)
	}
	if want := "vote/" + outcome; v.labels() != want {
		v.t.Errorf("labels %q, want %q", v.labels(), want)
	}
	if s := v.status(); !strings.Contains(s, "**Result: "+outcome+"**") || !strings.Contains(s, "Ledger entry `") {
		v.t.Errorf("status comment:\n%s", s)
	}
	results := 0
	for _, c := range v.f.comments {
		if strings.Contains(c.Body, "**The vote "+outcome+".**") && strings.Contains(c.Body, "Recorded in the ledger as entry `") {
			results++
		}
	}
	if results != 1 {
		v.t.Errorf("%d result comments, want 1", results)
	}
}

func TestVoteMembersPass(t *testing.T) {
	v := newVoting(t)
	v.say("m1", "/propose")
	if v.labels() != "vote/open" || !strings.Contains(v.status(), "one member, one vote") || !strings.Contains(v.status(), "Open until **2026-12-02 10:00 UTC**") {
		t.Fatalf("after /propose: labels %q\n%s", v.labels(), v.status())
	}
	v.say("m1", "/vote yes")
	v.say("m2", "/vote yes")
	v.say("m3", "/vote no because")
	if s := v.status(); !strings.Contains(s, "| 2 | 1 | 0 | 0 | 3 of 5 members | met |") {
		t.Errorf("tally:\n%s", s)
	}
	v.closeAtDeadline()
	v.wantClosed(tally.OutcomePassed)
	if s := v.status(); !strings.Contains(s, "Votes: m1 yes, m2 yes, m3 no.") {
		t.Errorf("who voted what:\n%s", s)
	}
	// Votes after the close change nothing and get one reply.
	v.say("m4", "/vote no")
	if r := v.replies(); len(r) != 1 || !strings.Contains(r[0], "closed at") {
		t.Errorf("replies %q", r)
	}
}

func TestVoteQuorumNotMet(t *testing.T) {
	v := newVoting(t)
	v.say("m1", "/propose")
	v.say("m1", "/vote yes")
	v.say("m2", "/vote yes")
	v.closeAtDeadline()
	v.wantClosed(tally.OutcomeRejected)
	if s := v.status(); !strings.Contains(s, "2 of 5 members | not met") {
		t.Errorf("%s", s)
	}
}

func TestVoteCoopsSplit(t *testing.T) {
	v := newVoting(t)
	v.say("m1", "/propose coops")
	v.say("m1", "/vote yes")
	v.say("m2", "/vote no") // co-op a splits: abstain
	v.say("m3", "/vote yes")
	v.say("m4", "/vote yes") // b: yes
	v.say("m5", "/vote no")  // c: no
	v.closeAtDeadline()
	v.wantClosed(tally.OutcomeRejected) // 1 yes, 1 no: not more than half
	if s := v.status(); !strings.Contains(s, "| a | 2 of 2 | 1 | 1 | 0 | 0 | abstain |") || !strings.Contains(s, "| b | 2 of 2 | 2 | 0 | 0 | 0 | yes |") {
		t.Errorf("per co-op:\n%s", s)
	}
}

func TestVoteBlock(t *testing.T) {
	v := newVoting(t)
	v.say("m1", "/propose consent")
	for _, m := range []string{"m1", "m2", "m3", "m4"} {
		v.say(m, "/vote yes")
	}
	v.say("m5", "/vote block not like this")
	v.closeAtDeadline()
	v.wantClosed(tally.OutcomeRejected)
	if o := v.outcome(); o["block"] != float64(1) {
		t.Errorf("outcome %v", o)
	}
}

func TestVoteChangedWithdrawnEdited(t *testing.T) {
	v := newVoting(t)
	v.say("m1", "/propose")
	first := v.say("m1", "/vote no")
	v.say("m1", "/vote yes") // the last vote counts
	v.say("m2", "/vote yes")
	withdrawn := v.say("m3", "/vote yes")
	v.event(forges.ActionDeleted, withdrawn, "m3", "/vote yes")
	edited := v.say("m4", "/vote no")
	v.event(forges.ActionEdited, edited, "m4", "/vote yes\nchanged my mind")
	if s := v.status(); !strings.Contains(s, "| 3 | 0 | 0 | 0 | 3 of 5 members |") {
		t.Errorf("after change, delete and edit:\n%s", s)
	}
	v.closeAtDeadline()
	v.wantClosed(tally.OutcomePassed)
	// Edits after the close change nothing.
	v.event(forges.ActionEdited, first, "m1", "/vote no")
	v.event(forges.ActionDeleted, edited, "m4", "")
	if o := v.outcome(); o["yes"] != float64(3) {
		t.Errorf("outcome changed after the close: %v", o)
	}
	votes, _ := v.st.Votes(context.Background(), 1)
	if len(votes) != 4 {
		t.Errorf("%d vote comments after the close, want 4", len(votes))
	}
}

func TestVoteIneligibleAndBots(t *testing.T) {
	v := newVoting(t)
	v.say("m1", "/propose")
	v.say("stranger", "/vote yes")
	v.say("m6", "/vote yes") // a member whose membership ended
	v.say("renovate[bot]", "/vote yes")
	r := v.replies()
	if len(r) != 2 || !strings.Contains(r[0], "only members may vote") || !strings.Contains(r[1], "m6 has no membership on 2026-11-25") {
		t.Errorf("replies %q", r)
	}
	if s := v.status(); !strings.Contains(s, "0 of 5 members") {
		t.Errorf("%s", s)
	}
}

func TestVoteDeadlineAcrossRestart(t *testing.T) {
	v := newVoting(t)
	v.say("m1", "/propose")
	for _, m := range []string{"m1", "m2", "m3"} {
		v.say(m, "/vote yes")
	}
	// The bot stops; the deadline passes while it is down; a new one starts.
	v.clk.add(10 * 24 * time.Hour)
	restarted := &Proposals{Policies: v.h.Policies, Store: v.st, Now: v.clk.now, Log: slog.New(slog.DiscardHandler)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { restarted.Run(ctx, time.Hour, nil); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for v.outcome() == nil && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	v.settle()
	v.wantClosed(tally.OutcomePassed)
}

func TestVoteCancel(t *testing.T) {
	v := newVoting(t)
	v.say("m2", "/propose")
	v.say("m3", "/proposal cancel") // neither proposer nor maintainer
	if r := v.replies(); len(r) != 1 || !strings.Contains(r[0], "only the proposer or a maintainer") {
		t.Fatalf("replies %q", r)
	}
	v.say("m2", "/proposal cancel")
	v.wantClosed(tally.OutcomeCancelled)
}

func TestVoteCloseEarlyAndClose(t *testing.T) {
	v := newVoting(t)
	v.say("m1", "/propose early")
	v.say("m1", "/vote yes")
	v.say("m2", "/vote yes")
	if v.outcome() != nil {
		t.Fatal("closed before the outcome was decided")
	}
	v.say("m3", "/vote yes") // 3 of 5 yes: the other two cannot turn it
	v.wantClosed(tally.OutcomePassed)

	w := newVoting(t)
	w.say("m1", "/propose")
	w.say("m2", "/proposal close")
	w.say("m1", "/proposal close")
	r := w.replies()
	if len(r) != 2 || !strings.Contains(r[0], "only maintainers") || !strings.Contains(r[1], "not decided yet") {
		t.Errorf("replies %q", r)
	}
}

func TestVotePullRequestStatus(t *testing.T) {
	v := newVoting(t)
	v.isPR = true
	v.say("m1", "/propose")
	if st := lastStatus(t, v.f, "head1"); st.State != forges.StatusPending || st.Context != StatusVote {
		t.Fatalf("at open: %+v", st)
	}
	for _, m := range []string{"m1", "m2", "m3"} {
		v.say(m, "/vote yes")
	}
	v.closeAtDeadline()
	if st := lastStatus(t, v.f, "head1"); st.State != forges.StatusSuccess {
		t.Errorf("after passing: %+v", st)
	}
}

func TestVoteStartLabel(t *testing.T) {
	v := newVoting(t)
	ev := &forges.Event{Forge: "gitea", DeliveryID: "lab", Kind: forges.KindIssue, Action: forges.ActionLabeled, Label: "proposal",
		Time: v.clk.now(), Repo: forges.Repo{Owner: "federation", Name: "commons"}, Actor: forges.User{Login: "m2"},
		Issue: &forges.Issue{Number: 5, Title: "Adopt the handbook", Labels: []string{"proposal"}}}
	for range 2 { // a redelivery opens nothing more
		if err := v.h.Handle(context.Background(), ev, NewActions("gitea", "lab")); err != nil {
			t.Fatal(err)
		}
	}
	v.settle()
	ps, _ := v.st.ListProposals(context.Background(), 10)
	if len(ps) != 1 || ps[0].Profile != "default" || ps[0].Proposer != "gitea:m2" || v.labels() != "proposal,vote/open" && v.labels() != "vote/open" {
		t.Errorf("proposals %+v, labels %q", ps, v.labels())
	}
}

// TestVoteStormCoalesces: 1,000 votes within one minute on one proposal
// lead to at most 30 status comment edits, and all are counted.
func TestVoteStormCoalesces(t *testing.T) {
	v := newVoting(t)
	v.say("m1", "/propose")
	before := v.f.count("EditComment") + v.f.count("CreateComment")
	members := []string{"m1", "m2", "m3", "m4", "m5"}
	for i := range 1000 {
		v.next++
		ev := &forges.Event{Forge: "gitea", DeliveryID: fmt.Sprint("s", i), Kind: forges.KindComment, Action: forges.ActionCreated, Time: v.clk.now(),
			Repo: forges.Repo{Owner: "federation", Name: "commons"}, Issue: &forges.Issue{Number: 5},
			Comment: &forges.Comment{ID: v.next, Body: []string{"/vote yes", "/vote no"}[i%2], Author: forges.User{Login: members[i%5]}, CreatedAt: v.clk.now()}}
		if err := v.h.Handle(context.Background(), ev, NewActions("gitea", ev.DeliveryID)); err != nil {
			t.Fatal(err)
		}
		v.clk.add(60 * time.Millisecond) // 1,000 in one minute
		runDue(t, v.o)
	}
	v.settle()
	edits := v.f.count("EditComment") + v.f.count("CreateComment") - before
	t.Logf("%d status comment posts and edits for 1,000 votes in a minute", edits)
	if edits > 30 {
		t.Errorf("%d status edits for 1,000 votes in a minute, want at most 30", edits)
	}
	votes, _ := v.st.Votes(context.Background(), 1)
	if len(votes) != 1000 {
		t.Errorf("%d votes stored", len(votes))
	}
	// Each member's last vote: vote 995 is m1's (no), 996 m2's (yes), 997
	// m3's (no), 998 m4's (yes), 999 m5's (no).
	if s := v.status(); !strings.Contains(s, "| 2 | 3 | 0 | 0 | 5 of 5 members |") {
		t.Errorf("final tally:\n%s", s)
	}
}

// TestVoteAutomation: a pull request that changes the policy files opens a
// vote with the rule's profile by itself, once; one that changes other
// files opens none.
func TestVoteAutomation(t *testing.T) {
	v := newVoting(t)
	v.f.changed = map[int64][]string{7: {"docs/readme.md", "accord/coops.yml"}, 8: {"docs/readme.md"}}
	pr := func(n int64, action string) *forges.Event {
		return &forges.Event{Forge: "gitea", DeliveryID: fmt.Sprint("pr", n, action), Kind: forges.KindPullRequest, Action: action, Time: v.clk.now(),
			Repo: forges.Repo{Owner: "federation", Name: "governance"}, Actor: forges.User{Login: "m3"},
			PullRequest: &forges.PullRequest{Number: n, Title: "Add hypha", Author: forges.User{Login: "m3"}, State: "open", HeadSHA: fmt.Sprint("sha", n)}}
	}
	for _, ev := range []*forges.Event{pr(7, forges.ActionOpened), pr(7, forges.ActionSynchronized), pr(8, forges.ActionOpened)} {
		if err := v.h.Handle(context.Background(), ev, NewActions("gitea", ev.DeliveryID)); err != nil {
			t.Fatal(err)
		}
	}
	v.settle()
	ps, _ := v.st.ListProposals(context.Background(), 10)
	if len(ps) != 1 || ps[0].Number != 7 || ps[0].Profile != "consent" || !ps[0].IsPull {
		t.Fatalf("proposals %+v", ps)
	}
	if st := lastStatus(t, v.f, "sha7"); st.State != forges.StatusPending || st.Context != StatusVote {
		t.Errorf("status %+v", st)
	}
}

// TestVoteOnPullRequestFromComment: a /propose comment on a pull request
// whose payload does not say the head (GitHub's) finds it among the pull
// request's commits, for the accord/vote status.
func TestVoteOnPullRequestFromComment(t *testing.T) {
	v := newVoting(t)
	v.f.commits = map[int64][]forges.Commit{5: {{SHA: "c1"}, {SHA: "c2"}}}
	v.next++
	ev := &forges.Event{Forge: "gitea", DeliveryID: "pr-comment", Kind: forges.KindComment, Action: forges.ActionCreated, Time: v.clk.now(),
		Repo: forges.Repo{Owner: "federation", Name: "commons"}, Issue: &forges.Issue{Number: 5, Title: "T", IsPull: true},
		PullRequest: &forges.PullRequest{Number: 5}, // as GitHub's issue_comment on a PR gives it: no head
		Comment:     &forges.Comment{ID: v.next, Body: "/propose", Author: forges.User{Login: "m1"}, CreatedAt: v.clk.now()}}
	if err := v.h.Handle(context.Background(), ev, NewActions("gitea", ev.DeliveryID)); err != nil {
		t.Fatal(err)
	}
	v.settle()
	if st := lastStatus(t, v.f, "c2"); st.State != forges.StatusPending || st.Context != StatusVote {
		t.Errorf("status %+v", st)
	}
}
