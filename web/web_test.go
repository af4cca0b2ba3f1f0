package web_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/accord-coop/accord/bot"
	"github.com/accord-coop/accord/forges"
	"github.com/accord-coop/accord/forges/gitea"
	"github.com/accord-coop/accord/ledger"
	"github.com/accord-coop/accord/policies"
	"github.com/accord-coop/accord/store"
	"github.com/accord-coop/accord/web"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/golden")

// The clock of every test: deliveries are received then, and the open
// proposal has two days left.
var now = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

const giteaSecret = "gt-secret" // the secret the Gitea fixtures were signed with

// fixedPolicy is the policy in force: the files of testdata/policies.
type fixedPolicy struct{ set *policies.Set }

func (p fixedPolicy) Current() *policies.Set { return p.set }

// federation is a bot with the site, its database built through the real
// intake: every captured Gitea delivery POSTed, signed, to /hooks/gitea
// and worked through; then two proposals with votes, one of them closed.
func federation(t *testing.T) (*httptest.Server, *store.Store) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(filepath.Join(t.TempDir(), "accord.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	files := map[string][]byte{}
	for _, n := range policies.FileNames() {
		if files[n], err = os.ReadFile(filepath.Join("testdata/policies", n)); err != nil {
			t.Fatal(err)
		}
	}
	set, errs := policies.Parse(files, nil)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	version := policies.ContentVersion(files)
	if _, err := st.RecordPolicyVersion(ctx, store.PolicyVersion{Version: version, Source: "dir:testdata/policies", Content: version,
		Valid: true, Files: files, LoadedAt: now}); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	clock := func() time.Time { return now }
	parsers := map[string]forges.Webhooks{"gitea": gitea.NewWebhooks("gitea", gitea.Gitea)}
	rt := bot.NewRouter()
	rt.On(&bot.Facts{}, forges.KindPullRequest, forges.KindReview, forges.KindIssue, forges.KindComment, forges.KindPush, forges.KindRelease)
	metrics := bot.NewMetrics(st.QueueDepth)
	worker := bot.NewWorker(st, parsers, rt, metrics, log)
	worker.Now = clock
	intake := bot.NewIntake([]bot.Hook{{Name: "gitea", Webhooks: parsers["gitea"], Secrets: [][]byte{[]byte(giteaSecret)}}}, st, metrics, log, func() {})
	intake.SetClock(clock)
	pol := fixedPolicy{set}
	srv := &bot.Server{Intake: intake, Worker: worker, Metrics: metrics, Store: st, Log: log,
		Web: &web.Site{Store: st, Policy: pol, Credits: &web.Scored{Store: st, Policy: pol}, Now: clock, Log: log,
			Forges: map[string]string{"gitea": "https://gitea.example.coop"}}}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)

	deliveries, _ := filepath.Glob("../forges/gitea/testdata/deliveries/*.json")
	if len(deliveries) == 0 {
		t.Fatal("no Gitea fixtures")
	}
	for _, f := range deliveries {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var fx struct {
			Headers map[string]string `json:"headers"`
			Body    string            `json:"body"`
		}
		if err := json.Unmarshal(raw, &fx); err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest("POST", ts.URL+"/hooks/gitea", strings.NewReader(fx.Body))
		for k, v := range fx.Headers {
			if k != "Content-Length" && k != "Host" && k != "Accept-Encoding" {
				req.Header.Set(k, v)
			}
		}
		m := hmac.New(sha256.New, []byte(giteaSecret))
		m.Write([]byte(fx.Body))
		req.Header.Set("X-Gitea-Signature", hex.EncodeToString(m.Sum(nil)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			t.Fatalf("%s: POST /hooks/gitea answered %d", filepath.Base(f), resp.StatusCode)
		}
	}
	for {
		n, err := worker.ProcessBatch(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}

	// Proposals: one open with three votes (bob changed his mind), one
	// closed with its outcome in the ledger.
	open, err := st.OpenProposal(ctx, now, store.Proposal{Forge: "gitea", Repo: "federation/commons", Number: 1, Title: "Adopt the commons",
		Profile: "default", Policy: version, Proposer: "gitea:alice", Origin: "comment:1", OpenedAt: now.Add(-5 * 24 * time.Hour),
		Deadline: now.Add(2 * 24 * time.Hour)}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range []store.VoteRow{
		{CommentID: 11, Member: "alice", Identity: "gitea:alice", Choice: "yes", At: now.Add(-4 * 24 * time.Hour)},
		{CommentID: 12, Member: "bob", Identity: "gitea:bob", Choice: "no", At: now.Add(-3 * 24 * time.Hour)},
		{CommentID: 13, Member: "bob", Identity: "gitea:bob", Choice: "yes", Reason: "convinced", At: now.Add(-2 * 24 * time.Hour)},
	} {
		if _, err := st.PutVote(ctx, now, open, v, []store.NewEntry{{Kind: ledger.KindVote, Key: "vote:test:" + string(rune('a'+i)), Body: v}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	closed, err := st.OpenProposal(ctx, now, store.Proposal{Forge: "gitea", Repo: "federation/commons", Number: 2, Title: "Merge the docs",
		Profile: "default", Policy: version, Proposer: "gitea:bob", Origin: "comment:2", OpenedAt: now.Add(-20 * 24 * time.Hour),
		Deadline: now.Add(-13 * 24 * time.Hour)}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.PutVote(ctx, now, closed, store.VoteRow{CommentID: 21, Member: "carol", Identity: "gitea:carol", Choice: "no",
		At: now.Add(-19 * 24 * time.Hour)}, nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CloseProposal(ctx, now.Add(-13*24*time.Hour), closed, func(*store.Proposal, []store.VoteRow) (store.Closing, error) {
		return store.Closing{Outcome: "rejected", Entries: []store.NewEntry{{Kind: ledger.KindOutcome, Key: "outcome:2",
			Body: map[string]any{"proposal": 2, "outcome": "rejected"}}}}, nil
	}); err != nil {
		t.Fatal(err)
	}
	return ts, st
}

func get(t *testing.T, url string) (int, http.Header, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// nullRE finds a null; only the objects of nullable may be null: a
// list never is.
var nullRE = regexp.MustCompile(`"(\w+)": null`)

var nullable = map[string]bool{"checkpoint": true, "closed_at": true, "standings": true, "head_at": true, "tally": true}

var emailRE = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`)

// TestPages: each page answers 200 with the CSP and shows its figures;
// none shows an e-mail address.
func TestPages(t *testing.T) {
	ts, _ := federation(t)
	for _, c := range []struct {
		path string
		want []string
	}{
		{"/", []string{`<html lang="en">`, `href="#main"`, "Credits per co-op per period", "<svg", `class="s0"`,
			"North Co-op", "South Co-op", "Standings, 2026-12", "Open proposals", "Adopt the commons", "2 days", "2 yes, 0 no",
			"Recent payouts", "None yet.", "No checkpoint signed yet", `<a href="/members/alice">alice</a>`}},
		{"/coops/north", []string{"North Co-op", "Members", `href="/members/alice"`, "Credits by kind", "review approved",
			`href="https://gitea.example.coop/federation/commons"`, "(past)"}},
		{"/members/alice", []string{"Alice Example", `href="https://gitea.example.coop/alice"`, "The facts behind them",
			`href="https://gitea.example.coop/federation/commons/issues/1"`, "issue opened", "release published", "<svg"}},
		{"/members/bob", []string{`href="https://gitea.example.coop/federation/commons/issues/2"`, "pr merged",
			`href="https://gitea.example.coop/federation/commons/commit/`}},
		{"/proposals/1", []string{"Adopt the commons", `href="https://gitea.example.coop/federation/commons/issues/1"`,
			"Open: 2 days left", "Quorum:", "more than 50%", "2 of 3 members voted", "met", "convinced", "<meter"}},
		{"/proposals/2", []string{"Outcome: rejected", "Ledger entry of the outcome", `class="hash"`}},
		{"/ledger", []string{"entries", "Head", "accord ledger verify", "accord audit"}},
	} {
		code, h, body := get(t, ts.URL+c.path)
		if code != 200 {
			t.Errorf("GET %s: %d\n%s", c.path, code, body)
			continue
		}
		if h.Get("Content-Security-Policy") != web.CSP {
			t.Errorf("GET %s: CSP %q", c.path, h.Get("Content-Security-Policy"))
		}
		for _, w := range c.want {
			if !strings.Contains(body, w) {
				t.Errorf("GET %s lacks %q", c.path, w)
			}
		}
		if m := emailRE.FindString(body); m != "" {
			t.Errorf("GET %s shows the e-mail address %q", c.path, m)
		}
		if strings.Contains(body, "<script") || strings.Contains(body, " style=") || strings.Contains(body, "<style") {
			t.Errorf("GET %s has inline script or style", c.path)
		}
	}
	for _, path := range []string{"/coops/nowhere", "/members/nobody", "/proposals/9", "/proposals/x", "/api/v1/coops/nowhere", "/nothing"} {
		if code, _, _ := get(t, ts.URL+path); code != 404 {
			t.Errorf("GET %s: %d, want 404", path, code)
		}
	}
	if code, h, _ := get(t, ts.URL+"/static/style.css"); code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/css") {
		t.Errorf("style.css: %d %s", code, h.Get("Content-Type"))
	}
}

// TestAPI: each answer of the JSON API is its golden file
// (testdata/golden; go test ./web -update rewrites them), with no null
// list and no e-mail address.
func TestAPI(t *testing.T) {
	ts, st := federation(t)
	head, err := st.LedgerHead(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/v1/federation", "/api/v1/coops/north", "/api/v1/coops/south", "/api/v1/members/alice",
		"/api/v1/members/bob", "/api/v1/proposals", "/api/v1/proposals/1", "/api/v1/proposals/2", "/api/v1/ledger"} {
		code, h, body := get(t, ts.URL+path)
		if code != 200 || h.Get("Content-Type") != "application/json" || h.Get("Content-Security-Policy") != web.CSP {
			t.Errorf("GET %s: %d %s\n%s", path, code, h, body)
			continue
		}
		if m := emailRE.FindString(body); m != "" {
			t.Errorf("GET %s shows the e-mail address %q", path, m)
		}
		for _, m := range nullRE.FindAllStringSubmatch(body, -1) {
			if !nullable[m[1]] {
				t.Errorf("GET %s: %s is null", path, m[1])
			}
		}
		// Hashes are kept out of the goldens, so that a change of how an
		// entry is made does not fail this test.
		body = strings.ReplaceAll(body, head.Hash, "HEAD")
		body = regexp.MustCompile(`"outcome_entry": "[0-9a-f]{64}"`).ReplaceAllString(body, `"outcome_entry": "ENTRY"`)
		golden := filepath.Join("testdata/golden", strings.ReplaceAll(strings.TrimPrefix(path, "/api/v1/"), "/", "_")+".json")
		if *update {
			os.WriteFile(golden, []byte(body), 0o644)
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (go test ./web -update writes it)", err)
		}
		if !bytes.Equal(want, []byte(body)) {
			t.Errorf("GET %s differs from %s (go test ./web -update rewrites it):\n%s", path, golden, body)
		}
	}
}

// TestNotPublic: without the site (web.public: false) the pages and the
// API are 404 and the rest of the server answers as before.
func TestNotPublic(t *testing.T) {
	srv := &bot.Server{}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	for _, path := range []string{"/", "/ledger", "/api/v1/federation", "/api/v1/ledger", "/static/style.css"} {
		if code, _, _ := get(t, ts.URL+path); code != 404 {
			t.Errorf("GET %s: %d, want 404", path, code)
		}
	}
	if code, _, _ := get(t, ts.URL+"/healthz"); code != 200 {
		t.Errorf("healthz: %d", code)
	}
}

// swappable is a policy in force that a test changes.
type swappable struct{ set *policies.Set }

func (p *swappable) Current() *policies.Set { return p.set }

// TestScoredFollowsTheLedger: Scored scores again when the ledger grows
// or another policy version comes into force, and not otherwise.
func TestScoredFollowsTheLedger(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(filepath.Join(t.TempDir(), "accord.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	set, errs := policies.LoadDir("testdata/policies", nil)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	pol := &swappable{}
	sc := &web.Scored{Store: st, Policy: pol}
	if _, err := sc.Credits(ctx); err == nil {
		t.Error("credits without a policy in force")
	}
	pol.set = set
	fact := func(n int64) store.NewEntry {
		f := ledger.Fact{Kind: ledger.FactIssueOpened, Forge: "gitea", Repo: "federation/commons", Number: n,
			Who: ledger.Person{Identity: "gitea:alice"}, At: now, Delivery: "gitea/d"}
		f.ID = ledger.FactID(f.Kind, f.Forge, f.Repo, fmt.Sprint(n))
		return store.NewEntry{Kind: ledger.KindFact, Key: f.ID, Body: f}
	}
	credits := func() string {
		t.Helper()
		res, err := sc.Credits(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Periods) == 0 {
			return "none"
		}
		return fmt.Sprint(res.Periods[0].Members[0].Credits)
	}
	if got := credits(); got != "none" {
		t.Errorf("empty ledger: %s", got)
	}
	st.AppendEntries(ctx, now, []store.NewEntry{fact(1)})
	if got := credits(); got != "2000" {
		t.Errorf("one issue: %s milli-credits, want 2000", got)
	}
	st.AppendEntries(ctx, now, []store.NewEntry{fact(2)})
	if got := credits(); got != "4000" {
		t.Errorf("two issues: %s milli-credits, want 4000", got)
	}
	files := map[string][]byte{}
	for _, n := range policies.FileNames() {
		files[n], _ = os.ReadFile(filepath.Join("testdata/policies", n))
	}
	files[policies.ScoringFile] = bytes.Replace(files[policies.ScoringFile], []byte("issue_opened: 2"), []byte("issue_opened: 3"), 1)
	if pol.set, errs = policies.Parse(files, nil); len(errs) > 0 {
		t.Fatal(errs)
	}
	if got := credits(); got != "6000" {
		t.Errorf("under the new version: %s milli-credits, want 6000", got)
	}
}
