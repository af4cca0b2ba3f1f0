package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/accord-coop/accord/forges"
	"github.com/accord-coop/accord/ledger"
	"github.com/accord-coop/accord/policies"
	"github.com/accord-coop/accord/store"
	"github.com/accord-coop/accord/tally"
)

var (
	governance = forges.RepoRef{Owner: "federation", Name: "governance"}
	testForges = []string{"github", "gitea", "forgejo", "codeberg"}
)

// putPolicy puts the example policy files at sha in the fake forge's
// governance repo, with edit applied to coops.yml.
func putPolicy(t *testing.T, f *fakeForge, sha string, edit func(string) string) {
	t.Helper()
	for _, name := range policies.FileNames() {
		data, err := os.ReadFile(filepath.Join("../policies/examples", name))
		if err != nil {
			t.Fatal(err)
		}
		if name == policies.CoopsFile {
			data = []byte(edit(string(data)))
		}
		f.files[sha+":accord/"+name] = data
	}
}

func newTestPolicies(st *store.Store, f *fakeForge) *Policies {
	return &Policies{
		Source:  PolicySource{Forge: "gitea", Repo: governance, Ref: "main", Path: "accord"},
		Forges:  testForges,
		Clients: map[string]forges.Client{"gitea": f},
		Store:   st,
		Log:     slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

// handle runs the policy handler on ev and carries out its effects.
func handle(t *testing.T, p *Policies, o *Outbox, ev *forges.Event) {
	t.Helper()
	act := NewActions(ev.Forge, ev.DeliveryID)
	if err := p.Handle(context.Background(), ev, act); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Store.EnqueueEffects(context.Background(), o.Now(), act.Effects()); err != nil {
		t.Fatal(err)
	}
	o.PolicyCheckBody = p.CheckBody
	runDue(t, o)
}

func push(id, sha string) *forges.Event {
	return &forges.Event{Forge: "gitea", DeliveryID: id, Kind: forges.KindPush, Repo: forges.Repo{Owner: "federation", Name: "governance"},
		Push: &forges.Push{Ref: "refs/heads/main", After: sha}}
}

func pull(id, action, sha string) *forges.Event {
	return &forges.Event{Forge: "gitea", DeliveryID: id, Kind: forges.KindPullRequest, Action: action,
		Repo:        forges.Repo{Owner: "federation", Name: "governance"},
		PullRequest: &forges.PullRequest{Number: 4, HeadSHA: sha, BaseRef: "main", HeadRef: "change"}}
}

func lastStatus(t *testing.T, f *fakeForge, sha string) forges.Status {
	t.Helper()
	sts := f.statuses[sha]
	if len(sts) == 0 {
		t.Fatalf("no status on %s", sha)
	}
	return sts[len(sts)-1]
}

// TestPoliciesKeepTheLastGoodVersion: start on a good version; a pull
// request and then a push bring a broken one: the good one stays in force,
// the commit gets a failing accord/policy status and the pull request one
// comment with the errors; a fix turns both green and takes effect. After a
// restart on a broken head, the last good version is in force again.
func TestPoliciesKeepTheLastGoodVersion(t *testing.T) {
	f := newFakeForge()
	o, st, _ := newTestOutbox(t, f)
	p := newTestPolicies(st, f)
	same := func(s string) string { return s }
	broken := func(s string) string { // a membership of a co-op that does not exist
		return strings.Replace(s, "coop: outlandish", "coop: outlandsh", 1)
	}
	putPolicy(t, f, "good1", same)
	putPolicy(t, f, "bad1", broken)
	putPolicy(t, f, "fix1", func(s string) string { return strings.Replace(s, "name: Outlandish", "name: Outlandish Ltd", 1) })
	f.head = "good1"

	if err := p.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if p.Current() == nil || p.Current().Version != "good1" || p.Ready(context.Background()) != nil {
		t.Fatalf("after start: %+v", p.Current())
	}

	// A pull request with the broken files.
	handle(t, p, o, pull("d1", forges.ActionOpened, "bad1"))
	if st := lastStatus(t, f, "bad1"); st.State != forges.StatusFailure || st.Context != StatusPolicy || !strings.Contains(st.Description, "coops.yml:") {
		t.Errorf("PR status %+v", st)
	}
	if len(f.comments) != 1 || !strings.Contains(f.comments[0].Body, "Policy check: 1 errors") ||
		!strings.Contains(f.comments[0].Body, `"outlandsh"`) {
		t.Fatalf("PR comment: %+v", f.comments)
	}
	// The broken version is pushed to main anyway: the good one stays.
	handle(t, p, o, push("d2", "bad1"))
	if p.Current().Version != "good1" {
		t.Errorf("a broken version took effect: %s", p.Current().Version)
	}
	if st := lastStatus(t, f, "bad1"); st.State != forges.StatusFailure {
		t.Errorf("push status %+v", st)
	}
	// A contribution in the ledger, for the preview: alice (agile-collective
	// since 2025-07) merged a pull request last month.
	lastMonth := time.Now().UTC().AddDate(0, -1, 0)
	fact := ledger.Fact{Kind: ledger.FactPRMerged, Forge: "github", Repo: "outlandish/website", Number: 1,
		Who: ledger.Person{Identity: "github:alice-o"}, At: lastMonth, Delivery: "github/x"}
	fact.ID = ledger.FactID(fact.Kind, "github", fact.Repo, "1")
	if _, err := st.AppendEntries(context.Background(), time.Now(), []store.NewEntry{{Kind: ledger.KindFact, Key: fact.ID, Body: fact}}); err != nil {
		t.Fatal(err)
	}
	// The fix: the pull request's comment is updated, not a second one,
	// with what the change does to credits.
	handle(t, p, o, pull("d3", forges.ActionSynchronized, "fix1"))
	if len(f.comments) != 1 || !strings.Contains(f.comments[0].Body, "Policy check: valid") ||
		!strings.Contains(f.comments[0].Body, "| agile-collective | 10 | 10 | = | 10 | 10 | = |") {
		t.Errorf("comment after the fix: %+v", f.comments)
	}
	if st := lastStatus(t, f, "fix1"); st.State != forges.StatusSuccess {
		t.Errorf("PR status after the fix %+v", st)
	}
	// Pushed to main without a vote: refused, the good version stays.
	handle(t, p, o, push("d4", "fix1"))
	if st := lastStatus(t, f, "fix1"); p.Current().Version != "good1" || st.State != forges.StatusFailure ||
		!strings.Contains(st.Description, "changed without a passed vote") {
		t.Errorf("a change without a vote: in force %s, status %+v", p.Current().Version, st)
	}
	// The pull request's vote passes; the same commit, read again, takes
	// effect, citing the proposal.
	pid := approve(t, st, 7, f, "fix1")
	handle(t, p, o, push("d5", "fix1"))
	if p.Current().Version != "fix1" || lastStatus(t, f, "fix1").State != forges.StatusSuccess {
		t.Errorf("after the approved push: %s", p.Current().Version)
	}
	if m := p.Current().Coops.Coops[0].Name; !strings.Contains(m, "Ltd") {
		t.Errorf("the fixed version is not the one in force: %q", m)
	}
	if e := policyEntry(t, st, "fix1"); e.ApprovedBy != pid || e.ApprovedHead != "fix1" || e.Bootstrap {
		t.Errorf("ledger entry of fix1: %+v", e)
	}
	if e := policyEntry(t, st, "good1"); !e.Bootstrap {
		t.Errorf("ledger entry of the first version: %+v", e)
	}

	// Every version read is recorded, good or not.
	vs, _ := st.PolicyVersions(context.Background(), 10)
	if len(vs) != 3 {
		t.Errorf("%d versions recorded, want good1, bad1, fix1", len(vs))
	}

	// Restart with main broken again: the last good version comes back.
	f.head = "bad1"
	p2 := newTestPolicies(st, f)
	if err := p2.Load(context.Background()); err == nil || !strings.Contains(err.Error(), "errors in the policy files") {
		t.Errorf("load of a broken head: %v", err)
	}
	if p2.Current() == nil || p2.Current().Version != "fix1" {
		t.Errorf("after the restart: %+v", p2.Current())
	}
}

// TestPoliciesIgnoreOtherRepos: pushes elsewhere and pull requests that do
// not change the files leave everything as it is.
func TestPoliciesIgnoreOtherRepos(t *testing.T) {
	f := newFakeForge()
	o, st, _ := newTestOutbox(t, f)
	p := newTestPolicies(st, f)
	putPolicy(t, f, "good1", func(s string) string { return s })
	putPolicy(t, f, "same2", func(s string) string { return s })
	f.head = "good1"
	if err := p.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	other := push("d1", "x")
	other.Repo.Name = "website"
	handle(t, p, o, other)
	branch := push("d2", "x")
	branch.Push.Ref = "refs/heads/feature"
	handle(t, p, o, branch)
	handle(t, p, o, pull("d3", forges.ActionOpened, "same2")) // same files as in force
	if len(f.statuses) != 0 || len(f.comments) != 0 || f.count("GetFile") != 6 {
		t.Errorf("statuses %v, comments %v, GetFile %d", f.statuses, f.comments, f.count("GetFile"))
	}
	// A push that leaves the files as they are (the bot's checkpoint
	// commit, a README change) is no new version: nothing recorded.
	handle(t, p, o, push("d4", "same2"))
	vs, _ := st.PolicyVersions(context.Background(), 10)
	entries := 0
	st.LedgerEntries(context.Background(), func(e ledger.Entry) error { entries++; return nil })
	if len(vs) != 1 || entries != 1 || p.Current().Version != "good1" || lastStatus(t, f, "same2").State != forges.StatusSuccess {
		t.Errorf("after an unchanged push: %d versions, %d entries, in force %s", len(vs), entries, p.Current().Version)
	}
}

// TestPoliciesFromDir: a directory is read at start, its version is its
// content hash; a broken directory leaves the bot not ready.
func TestPoliciesFromDir(t *testing.T) {
	_, st, _ := newTestOutbox(t, newFakeForge())
	p := &Policies{Source: PolicySource{Dir: "../policies/examples"}, Forges: testForges, Store: st, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := p.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if v := p.Current().Version; !strings.HasPrefix(v, "sha256:") {
		t.Errorf("version %q", v)
	}
	empty := &Policies{Source: PolicySource{Dir: t.TempDir()}, Forges: testForges, Store: st, Log: p.Log}
	if err := empty.Load(context.Background()); err == nil || empty.Ready(context.Background()) == nil {
		t.Errorf("an empty directory loaded: %v", err)
	}
}

// approve records that a proposal on pull request number id of the governance
// repo whose head is sha, passed: a policy_changes vote approving the
// files at sha.
func approve(t *testing.T, st *store.Store, id int64, f *fakeForge, sha string) int64 {
	t.Helper()
	ctx := context.Background()
	files := map[string][]byte{}
	for _, name := range policies.FileNames() {
		files[name] = f.files[sha+":accord/"+name]
	}
	now := time.Now()
	pid, err := st.OpenProposal(ctx, now, store.Proposal{Forge: "gitea", Repo: "federation/governance", Number: id, IsPull: true, HeadSHA: sha,
		Title: "change", Profile: "policy", Policy: "good1", Proposer: "gitea:alice", Origin: fmt.Sprint("test:", id),
		OpenedAt: now, Deadline: now, Kind: store.ProposalPolicy}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ok, err := st.CloseProposal(ctx, now, pid, func(*store.Proposal, []store.VoteRow) (store.Closing, error) {
		return store.Closing{Outcome: tally.OutcomePassed, Approval: &store.PolicyApproval{Content: policies.ContentVersion(files), HeadSHA: sha}}, nil
	})
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	return pid
}

func policyEntry(t *testing.T, st *store.Store, version string) PolicyEntry {
	t.Helper()
	e, err := st.LedgerEntry(context.Background(), "policy:"+version)
	if err != nil {
		t.Fatal(err)
	}
	var pe PolicyEntry
	if err := json.Unmarshal(e.Body, &pe); err != nil {
		t.Fatal(err)
	}
	return pe
}

// TestClipWordsKeepsUTF8: a description clipped without a space to cut at
// does not split a character.
func TestClipWordsKeepsUTF8(t *testing.T) {
	s := strings.Repeat("é", 100) // 200 bytes, no space
	got := clipWords(s, 140)
	if !utf8.ValidString(got) || len(got) > 142 || !strings.HasSuffix(got, "…") {
		t.Errorf("clipWords: %q (%d bytes), want valid UTF-8 ending in …", got, len(got))
	}
	if got := clipWords("short", 140); got != "short" {
		t.Errorf("clipWords of a short string: %q", got)
	}
}

// TestPolicyPreviewOffTheWorker: for a pull request with valid policy
// files the delivery's handler asks for the comment and does not make it:
// the preview, which scores the ledger twice, is made by the outbox when it
// posts the comment (OpPolicyCheck), in the comment the errors would have
// been in.
func TestPolicyPreviewOffTheWorker(t *testing.T) {
	f := newFakeForge()
	o, st, _ := newTestOutbox(t, f)
	p := newTestPolicies(st, f)
	putPolicy(t, f, "good1", func(s string) string { return s })
	putPolicy(t, f, "fix1", func(s string) string { return strings.Replace(s, "name: Outlandish", "name: Outlandish Ltd", 1) })
	f.head = "good1"
	if err := p.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	act := NewActions("gitea", "d1")
	if err := p.Handle(context.Background(), pull("d1", forges.ActionOpened, "fix1"), act); err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, e := range act.Effects() {
		ops = append(ops, e.Op)
		if strings.Contains(string(e.Payload), "before") {
			t.Errorf("the worker made the preview: %s", e.Payload)
		}
	}
	if !slices.Equal(ops, []string{OpSetStatus, OpPolicyCheck}) {
		t.Fatalf("effects %v", ops)
	}
	handle(t, p, o, pull("d1", forges.ActionOpened, "fix1"))
	if len(f.comments) != 1 || !strings.Contains(f.comments[0].Body, Marker(policyCheckName)) ||
		!strings.Contains(f.comments[0].Body, "Policy check: valid") || !strings.Contains(f.comments[0].Body, "| co-op |") {
		t.Errorf("the comment the outbox made: %+v", f.comments)
	}
}
