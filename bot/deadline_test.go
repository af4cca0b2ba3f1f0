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

// comment sends a comment event with explicit times: created, and updated
// for an edit; received is when its delivery reached Accord.
func (v *voting) comment(action string, id int64, login, body string, created, updated, received time.Time) {
	v.t.Helper()
	ev := &forges.Event{Forge: "gitea", DeliveryID: fmt.Sprint("d", id, action, updated.UnixNano()), Kind: forges.KindComment, Action: action, Time: created,
		Repo:    forges.Repo{Owner: "federation", Name: "commons"},
		Actor:   forges.User{Login: login},
		Issue:   &forges.Issue{Number: 5, Title: "Adopt the handbook"},
		Comment: &forges.Comment{ID: id, Body: body, Author: forges.User{Login: login}, CreatedAt: created, UpdatedAt: updated}}
	act := NewActions("gitea", ev.DeliveryID)
	act.Received = received
	if err := v.h.Handle(context.Background(), ev, act); err != nil {
		v.t.Fatal(err)
	}
}

// onForge puts a member's comment on the fake forge without delivering it:
// a delivery the forge failed to send, or sent while the bot was down.
func (v *voting) onForge(id int64, login, body string, created, updated time.Time) {
	v.f.mu.Lock()
	defer v.f.mu.Unlock()
	v.f.comments = append(v.f.comments, forges.Comment{ID: id, Body: body, Author: forges.User{Login: login}, CreatedAt: created, UpdatedAt: updated})
}

func (v *voting) proposal() *store.Proposal {
	v.t.Helper()
	p, err := v.st.GetProposal(context.Background(), 1)
	if err != nil {
		v.t.Fatal(err)
	}
	return p
}

// pastDeadline moves the clock past the deadline and the close's grace.
func (v *voting) pastDeadline() {
	v.clk.t = v.proposal().Deadline.Add(v.h.grace() + time.Second)
}

func (v *voting) closeDue() error {
	err := v.h.CloseDue(context.Background())
	v.settle()
	return err
}

// TestVoteRulesFrozenAtOpening: a proposal opened under one policy version
// is tallied under it after a new version (a stricter threshold, a member
// removed) comes into force; the status and result name the opening
// version.
func TestVoteRulesFrozenAtOpening(t *testing.T) {
	v := newVoting(t)
	v.say("m1", "/propose")
	opening := v.h.Policies.Current().Version
	v.say("m1", "/vote yes")
	v.say("m2", "/vote yes")
	// A new version: the default profile needs 90% yes, and m3 is gone.
	dir := v.h.Policies.Source.Dir
	gov := strings.Replace(voteGovernance, "default: {duration: 7d, voters: members, quorum: 0.5, threshold: 0.5", "default: {duration: 7d, voters: members, quorum: 0.5, threshold: 0.9", 1)
	coops := strings.Replace(voteCoops, "  - {id: m3, identities: [gitea:m3], memberships: [{coop: b, since: 2020-01-01}]}\n", "", 1)
	os.WriteFile(filepath.Join(dir, "governance.yml"), []byte(gov), 0o644)
	os.WriteFile(filepath.Join(dir, "coops.yml"), []byte(coops), 0o644)
	if err := v.h.Policies.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if v.h.Policies.Current().Version == opening {
		t.Fatal("the new version is not in force")
	}
	v.say("m3", "/vote no") // a member under the opening version
	if r := v.replies(); len(r) != 0 {
		t.Fatalf("replies %q", r)
	}
	if s := v.status(); !strings.Contains(s, "policy version `"+short(opening)+"`") || !strings.Contains(s, "| 2 | 1 | 0 | 0 | 3 of 5 members |") {
		t.Errorf("status under the opening version:\n%s", s)
	}
	v.closeAtDeadline()
	v.wantClosed(tally.OutcomePassed) // 2 of 3 under 0.5; it would fail under 0.9
	if o := v.outcome(); o["policy"] != opening {
		t.Errorf("outcome names policy %v, want %s", o["policy"], opening)
	}
}

// TestVoteDeadlineSemantics: a vote created before the deadline counts
// though processed after it; an edit after the deadline and a deletion
// that arrives after it change nothing; a vote created after it does not
// count.
func TestVoteDeadlineSemantics(t *testing.T) {
	v := newVoting(t)
	v.say("m1", "/propose")
	deadline := v.proposal().Deadline
	before := deadline.Add(-time.Minute)
	v.comment(forges.ActionCreated, 201, "m1", "/vote yes", before, before, before)
	v.comment(forges.ActionCreated, 202, "m2", "/vote yes", before, before, before)
	v.clk.t = deadline.Add(2 * time.Second) // processed after the deadline, before the close
	v.comment(forges.ActionCreated, 203, "m3", "/vote yes", before, before, deadline.Add(time.Second))
	v.comment(forges.ActionEdited, 201, "m1", "/vote no", before, deadline.Add(time.Second), deadline.Add(time.Second))
	v.comment(forges.ActionDeleted, 202, "m2", "/vote yes", before, before, deadline.Add(time.Second))
	v.comment(forges.ActionCreated, 204, "m4", "/vote no", deadline.Add(time.Second), deadline.Add(time.Second), deadline.Add(time.Second))
	v.settle()
	r := v.replies()
	if len(r) != 2 || !strings.Contains(r[0], "edited after the deadline") || !strings.Contains(r[1], "closed at its deadline") {
		t.Errorf("replies %q", r)
	}
	v.pastDeadline()
	if err := v.closeDue(); err != nil {
		t.Fatal(err)
	}
	v.wantClosed(tally.OutcomePassed)
	if o := v.outcome(); o["yes"] != float64(3) || o["no"] != float64(0) {
		t.Errorf("outcome %v, want m1, m2 and m3 yes", o)
	}
}

// TestVoteReconciledAtClose: three members vote while their deliveries
// never reach Accord (the bot was down, the forge gave up); at the close
// Accord reads the comments and counts them once, marked as reconciled; a
// vote comment created after the deadline is not counted; the late
// deliveries then add nothing and get no reply.
func TestVoteReconciledAtClose(t *testing.T) {
	v := newVoting(t)
	v.say("m1", "/propose")
	deadline := v.proposal().Deadline
	at := deadline.Add(-time.Hour)
	v.onForge(301, "m2", "/vote yes", at, at)
	v.onForge(302, "m3", "I agree.\n/vote yes", at, at)
	v.onForge(303, "m4", "/vote no", at, at.Add(time.Minute)) // edited in time
	v.onForge(304, "m5", "/vote no", deadline.Add(time.Second), deadline.Add(time.Second))
	v.onForge(305, "stranger", "/vote no", at, at)
	v.pastDeadline()
	if err := v.closeDue(); err != nil {
		t.Fatal(err)
	}
	v.wantClosed(tally.OutcomePassed)
	o := v.outcome()
	if o["yes"] != float64(2) || o["no"] != float64(1) || fmt.Sprint(o["reconciled"]) != "map[counted:3 read:true unreadable:0 withdrawn:0]" {
		t.Errorf("outcome %v", o)
	}
	reconciledEntries := func() int {
		n := 0
		v.st.LedgerEntries(context.Background(), func(e ledger.Entry) error {
			var b map[string]any
			json.Unmarshal(e.Body, &b)
			if e.Kind == ledger.KindVote && b["reconciled"] == true {
				n++
			}
			return nil
		})
		return n
	}
	if n := reconciledEntries(); n != 3 {
		t.Errorf("%d reconciled vote entries, want 3", n)
	}
	// The forge's deliveries come at last: counted already, so nothing.
	v.comment(forges.ActionCreated, 301, "m2", "/vote yes", at, at, v.clk.now())
	v.comment(forges.ActionCreated, 302, "m3", "I agree.\n/vote yes", at, at, v.clk.now())
	v.settle()
	if r := v.replies(); len(r) != 0 {
		t.Errorf("replies to late deliveries of counted votes: %q", r)
	}
	if votes, _ := v.st.Votes(context.Background(), 1); len(votes) != 3 {
		t.Errorf("%d votes, want 3", len(votes))
	}
}

// TestVoteCloseWaitsForTheForge: a forge that cannot be read at the close
// delays it, with the reason in the status comment; once it answers, the
// vote closes.
func TestVoteCloseWaitsForTheForge(t *testing.T) {
	v := newVoting(t)
	v.say("m1", "/propose")
	v.say("m1", "/vote yes")
	v.say("m2", "/vote yes")
	v.say("m3", "/vote yes")
	v.pastDeadline()
	v.f.fail = []error{&forges.APIError{Forge: "gitea", Op: "ListComments", Status: 502, Message: "Bad Gateway"}}
	if err := v.h.CloseDue(context.Background()); err == nil {
		t.Fatal("the close did not wait")
	}
	if err := v.h.CloseDue(context.Background()); err != nil { // within the backoff: not tried
		t.Fatal(err)
	}
	if p := v.proposal(); p.State != store.ProposalOpen || !strings.Contains(p.Note, "waits until Accord can read") {
		t.Fatalf("proposal %+v", p)
	}
	v.settle()
	if s := v.status(); !strings.Contains(s, "has passed: the result is being counted") || !strings.Contains(s, "waits until Accord can read") {
		t.Errorf("status while waiting:\n%s", s)
	}
	v.clk.add(time.Minute)
	if err := v.closeDue(); err != nil {
		t.Fatal(err)
	}
	v.wantClosed(tally.OutcomePassed)
}

// TestVoteCloseWaitsForDeliveries: a delivery of the proposal's forge
// received before the deadline and not yet processed holds the close.
func TestVoteCloseWaitsForDeliveries(t *testing.T) {
	v := newVoting(t)
	v.say("m1", "/propose")
	deadline := v.proposal().Deadline
	ctx := context.Background()
	if _, err := v.st.InsertDelivery(ctx, forges.Delivery{Forge: "gitea", ID: "late-vote", Event: "issue_comment",
		Body: []byte(`{}`), ReceivedAt: deadline.Add(-time.Second)}); err != nil {
		t.Fatal(err)
	}
	v.pastDeadline()
	if err := v.closeDue(); err != nil {
		t.Fatal(err)
	}
	if v.proposal().State != store.ProposalOpen {
		t.Fatal("closed while a delivery received before the deadline was unprocessed")
	}
	ds, err := v.st.ClaimDeliveries(ctx, v.clk.now(), 10)
	if err != nil || len(ds) != 1 {
		t.Fatal(ds, err)
	}
	if err := v.st.FinishDeliveries(ctx, v.clk.now(), []store.Outcome{{Seq: ds[0].Seq, State: store.StateIgnored,
		Event: &forges.Event{Forge: "gitea", DeliveryID: "late-vote", Kind: forges.KindIgnored}}}); err != nil {
		t.Fatal(err)
	}
	if err := v.closeDue(); err != nil {
		t.Fatal(err)
	}
	v.wantClosed(tally.OutcomeRejected)
}

// TestCommandsWithoutPolicy: while no valid policy version is in force, a
// command gets one reply saying why, whatever it is.
func TestCommandsWithoutPolicy(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "coops.yml"), []byte("version: 1\nbogus: true\n"), 0o644)
	f := newFakeForge()
	o, st, clk := newTestOutbox(t, f)
	pols := &Policies{Source: PolicySource{Dir: dir}, Store: st, Log: slog.New(slog.DiscardHandler)}
	if err := pols.Load(context.Background()); err == nil {
		t.Fatal("invalid policies loaded")
	}
	h := &Proposals{Policies: pols, Store: st, Now: clk.now, Log: slog.New(slog.DiscardHandler)}
	rt := NewRouter()
	rt.On(&Commands{Policies: pols}, forges.KindComment)
	rt.On(h, forges.KindComment)
	for i, body := range []string{"/vote yes", "/credit @bob 2 thanks\n/propose", "just words"} {
		ev := &forges.Event{Forge: "gitea", DeliveryID: fmt.Sprint("np", i), Kind: forges.KindComment, Action: forges.ActionCreated,
			Repo: forges.Repo{Owner: "o", Name: "r"}, Issue: &forges.Issue{Number: 3},
			Comment: &forges.Comment{ID: int64(400 + i), Body: body, Author: forges.User{Login: "m1"}, CreatedAt: clk.now()}}
		act := NewActions("gitea", ev.DeliveryID)
		if err := rt.Dispatch(context.Background(), ev, act); err != nil {
			t.Fatal(err)
		}
		if _, err := st.EnqueueEffects(context.Background(), clk.now(), act.Effects()); err != nil {
			t.Fatal(err)
		}
	}
	runDue(t, o)
	var replies []string
	for _, c := range f.comments {
		replies = append(replies, c.Body)
	}
	if len(replies) != 2 || !strings.Contains(replies[0], "> /vote yes") || !strings.Contains(replies[1], "> /credit @bob 2 thanks") ||
		!strings.Contains(replies[1], "no valid policy version is in force") {
		t.Errorf("replies %q", replies)
	}
}

// TestVoteEntriesFollowEveryChange: the ledger records every change the
// store makes to a vote, so the audit replays the same ballots: two edits
// within one second (forges date comments to the second) are two entries,
// a second withdrawal of the same comment is one more, and a redelivered
// deletion records nothing again.
func TestVoteEntriesFollowEveryChange(t *testing.T) {
	v := newVoting(t)
	v.say("m1", "/propose")
	at := v.clk.now().Truncate(time.Second)
	v.comment(forges.ActionCreated, 601, "m2", "/vote yes", at, at, at)
	v.comment(forges.ActionEdited, 601, "m2", "/vote no", at, at.Add(time.Second), at)
	v.comment(forges.ActionEdited, 601, "m2", "/vote abstain", at, at.Add(time.Second), at) // the same second
	v.comment(forges.ActionEdited, 601, "m2", "no vote now", at, at.Add(2*time.Second), at)
	v.comment(forges.ActionEdited, 601, "m2", "/vote yes", at, at.Add(3*time.Second), at)
	v.comment(forges.ActionEdited, 601, "m2", "none again", at, at.Add(4*time.Second), at)
	v.comment(forges.ActionCreated, 602, "m3", "/vote yes", at, at, at)
	v.comment(forges.ActionDeleted, 602, "m3", "/vote yes", at, at, at)
	v.comment(forges.ActionDeleted, 602, "m3", "/vote yes", at, at, at.Add(time.Millisecond)) // redelivered
	var keys []string
	v.st.LedgerEntries(context.Background(), func(e ledger.Entry) error {
		if e.Kind == ledger.KindVote {
			keys = append(keys, strings.Join(strings.Split(e.Key, ":")[:3], ":"))
		}
		return nil
	})
	want := "vote:1:601 vote:1:601 vote:1:601 withdraw:1:601 vote:1:601 withdraw:1:601 vote:1:602 withdraw:1:602"
	if got := strings.Join(keys, " "); got != want {
		t.Errorf("vote entries:\n%s\nwant\n%s", got, want)
	}
	if votes, _ := v.st.Votes(context.Background(), 1); len(votes) != 0 {
		t.Errorf("votes standing: %+v", votes)
	}
}
