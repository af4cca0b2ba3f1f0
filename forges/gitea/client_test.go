package gitea_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accord-coop/accord/forges"
	"github.com/accord-coop/accord/forges/gitea"
	"github.com/accord-coop/accord/forges/gitea/fixtures"
)

// apiToken is the token the clients under test hold: distinctive, so a leak
// into an error or a metric is easy to see.
const apiToken = "tok-5e1f-secret-9b2c"

// apiNow is when the clients under test believe it is.
var apiNow = time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)

var commons = forges.RepoRef{Owner: "federation", Name: "commons"}

// observer records what a client reports.
type observer struct {
	mu     sync.Mutex
	calls  []observedCall
	limits []int
}

type observedCall struct{ forge, op, outcome string }

func (o *observer) APICall(forge, op, outcome string, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.calls = append(o.calls, observedCall{forge, op, outcome})
}

func (o *observer) RateLimit(forge string, remaining int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if forge != "codeberg" {
		panic("rate limit reported for forge " + forge)
	}
	o.limits = append(o.limits, remaining)
}

// last is the last call reported.
func (o *observer) last(t *testing.T) observedCall {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.calls) == 0 {
		t.Fatal("no API call reported")
	}
	return o.calls[len(o.calls)-1]
}

// apiTest is a fake Gitea, a client of it and what the client reported.
type apiTest struct {
	srv    *fixtures.Server
	client *gitea.Client
	obs    *observer
}

// newAPITest starts a fake Gitea accepting apiToken and a client of it;
// edit changes the client's config. Every request the fake sees must carry
// the client's token in Gitea's "token" scheme.
func newAPITest(t *testing.T, edit func(*gitea.ClientConfig)) *apiTest {
	t.Helper()
	srv := fixtures.New(t, "testdata/api", apiToken)
	obs := &observer{}
	cfg := gitea.ClientConfig{
		Forge:    "codeberg",
		Flavor:   gitea.Gitea,
		BaseURL:  srv.URL + "/",
		Token:    apiToken,
		Observer: obs,
		Now:      func() time.Time { return apiNow },
	}
	if edit != nil {
		edit(&cfg)
	}
	c, err := gitea.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, r := range srv.Requests() {
			if got := r.Header.Get("Authorization"); got != "token "+cfg.Token {
				t.Errorf("%s %s: Authorization %q", r.Method, r.Path, got)
			}
		}
	})
	return &apiTest{srv: srv, client: c, obs: obs}
}

// sent is the requests the fake received, less the version checks the SDK
// might make.
func (a *apiTest) sent() []fixtures.Request {
	var out []fixtures.Request
	for _, r := range a.srv.Requests() {
		if r.Path != "/api/v1/version" {
			out = append(out, r)
		}
	}
	return out
}

// only is the one request the fake received.
func (a *apiTest) only(t *testing.T) fixtures.Request {
	t.Helper()
	rs := a.sent()
	if len(rs) != 1 {
		t.Fatalf("want 1 request, got %d: %v", len(rs), describe(rs))
	}
	return rs[0]
}

func describe(rs []fixtures.Request) []string {
	var out []string
	for _, r := range rs {
		s := r.Method + " " + r.Path
		if len(r.Query) > 0 {
			s += "?" + r.Query.Encode()
		}
		out = append(out, s)
	}
	return out
}

// wantCalls checks the method, path and query of each request in order.
func (a *apiTest) wantCalls(t *testing.T, want ...string) {
	t.Helper()
	if got := describe(a.sent()); !reflect.DeepEqual(got, want) {
		t.Errorf("requests:\n got %q\nwant %q", got, want)
	}
}

// wantOK checks the client reported one successful call of op.
func (a *apiTest) wantOK(t *testing.T, op string) {
	t.Helper()
	if got := a.obs.last(t); got != (observedCall{"codeberg", op, "ok"}) {
		t.Errorf("observer: %+v", got)
	}
}

// wantBody checks a request's JSON body has what a fixture's request had.
func (a *apiTest) wantBody(t *testing.T, r fixtures.Request, fixture string) {
	t.Helper()
	if err := fixtures.Subset(a.srv.Load(fixture).Request.Body, r.Body); err != nil {
		t.Errorf("%s %s body %s: %v", r.Method, r.Path, r.Body, err)
	}
}

// apiError unwraps err, which must be an *forges.APIError for op.
func apiError(t *testing.T, err error, op string) *forges.APIError {
	t.Helper()
	var ae *forges.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want *forges.APIError, got %T %v", err, err)
	}
	if ae.Forge != "codeberg" || ae.Op != op {
		t.Errorf("error for %s %s, want codeberg %s", ae.Forge, ae.Op, op)
	}
	return ae
}

// reshape is a recorded JSON object with some fields changed.
func reshape(t *testing.T, raw json.RawMessage, fields map[string]any) json.RawMessage {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	for k, v := range fields {
		m[k] = v
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func TestNewClient(t *testing.T) {
	base := gitea.ClientConfig{Forge: "codeberg", BaseURL: "https://codeberg.org", Token: apiToken}
	for name, edit := range map[string]func(*gitea.ClientConfig){
		"no base URL":       func(c *gitea.ClientConfig) { c.BaseURL = "" },
		"no token":          func(c *gitea.ClientConfig) { c.Token = "" },
		"relative base URL": func(c *gitea.ClientConfig) { c.BaseURL = "codeberg.org" },
		"not http":          func(c *gitea.ClientConfig) { c.BaseURL = "ftp://codeberg.org" },
	} {
		cfg := base
		edit(&cfg)
		_, err := gitea.NewClient(cfg)
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if strings.Contains(err.Error(), apiToken) {
			t.Errorf("%s: the error holds the token: %v", name, err)
		}
	}
}

func TestNewClientCallsNothing(t *testing.T) {
	a := newAPITest(t, nil)
	if rs := a.srv.Requests(); len(rs) != 0 {
		t.Errorf("NewClient made requests: %v", describe(rs))
	}
}

func TestCreateComment(t *testing.T) {
	a := newAPITest(t, nil)
	a.srv.Replay("create-comment")
	got, err := a.client.CreateComment(context.Background(), commons, 1, "<!-- accord:status -->\nVote open")
	if err != nil {
		t.Fatal(err)
	}
	r := a.only(t)
	a.wantCalls(t, "POST /api/v1/repos/federation/commons/issues/1/comments")
	a.wantBody(t, r, "create-comment")
	want := &forges.Comment{
		ID:        5,
		Body:      "<!-- accord:status -->\nVote open",
		Author:    forges.User{ID: 1, Login: "root", Email: "root@noreply.localhost"},
		CreatedAt: mustTime(t, "2026-11-24T02:40:51Z"),
		UpdatedAt: mustTime(t, "2026-11-24T02:40:51Z"),
		URL:       "http://127.0.0.1:3000/federation/commons/issues/1#issuecomment-5",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	a.wantOK(t, "CreateComment")
}

func TestEditComment(t *testing.T) {
	a := newAPITest(t, nil)
	a.srv.Replay("edit-comment")
	if err := a.client.EditComment(context.Background(), commons, 5, "<!-- accord:status -->\nVote open: 1 yes"); err != nil {
		t.Fatal(err)
	}
	a.wantCalls(t, "PATCH /api/v1/repos/federation/commons/issues/comments/5")
	a.wantBody(t, a.only(t), "edit-comment")
	a.wantOK(t, "EditComment")
}

// Gitea ignores page and limit on an issue's comments: the recorded answer
// to limit=2 holds all three, with no Link header. One request must do.
func TestListCommentsRecorded(t *testing.T) {
	a := newAPITest(t, nil)
	route := a.srv.Replay("list-comments-page1")
	route.Query.Set("limit", "50")
	got, err := a.client.ListComments(context.Background(), commons, 1)
	if err != nil {
		t.Fatal(err)
	}
	a.wantCalls(t, "GET /api/v1/repos/federation/commons/issues/1/comments?limit=50&page=1")
	var ids []int64
	var logins []string
	for _, c := range got {
		ids = append(ids, c.ID)
		logins = append(logins, c.Author.Login)
	}
	if !reflect.DeepEqual(ids, []int64{1, 2, 5}) || !reflect.DeepEqual(logins, []string{"alice", "bob", "root"}) {
		t.Errorf("ids %v, logins %v", ids, logins)
	}
	if got[1].Body != "/vote no changed my mind" || !got[1].CreatedAt.Equal(mustTime(t, "2026-11-24T02:40:51Z")) {
		t.Errorf("second comment %+v", got[1])
	}
	a.wantOK(t, "ListComments")
}

// A paginating server: 53 comments come as a full page of 50 with a Link to
// page 2, then 3.
func TestListCommentsTwoPages(t *testing.T) {
	a := newAPITest(t, nil)
	items := a.srv.Items("list-comments-page1")
	for i := range 50 {
		items = append(items, reshape(t, items[i%3], map[string]any{"id": 100 + i, "body": fmt.Sprintf("/vote yes %d", i)}))
	}
	a.srv.Paged("GET", "/api/v1/repos/federation/commons/issues/1/comments", items)
	got, err := a.client.ListComments(context.Background(), commons, 1)
	if err != nil {
		t.Fatal(err)
	}
	a.wantCalls(t,
		"GET /api/v1/repos/federation/commons/issues/1/comments?limit=50&page=1",
		"GET /api/v1/repos/federation/commons/issues/1/comments?limit=50&page=2")
	if len(got) != 53 {
		t.Fatalf("got %d comments, want 53", len(got))
	}
	if got[0].ID != 1 || got[0].Body != "/propose" || got[52].ID != 149 || got[52].Body != "/vote yes 49" {
		t.Errorf("first %+v, last %+v", got[0], got[52])
	}
}

func TestPullCommits(t *testing.T) {
	a := newAPITest(t, nil)
	a.srv.Replay("pr-commits")
	got, err := a.client.PullCommits(context.Background(), commons, 2)
	if err != nil {
		t.Fatal(err)
	}
	a.wantCalls(t, "GET /api/v1/repos/federation/commons/pulls/2/commits?limit=50&page=1")
	want := []forges.Commit{{
		SHA:         "50176b13984d7342f8a952c99a3f27a766ed5e80",
		Message:     "Add hello\n\nCo-authored-by: Carol <carol@e2e.local>\n",
		AuthorName:  "bob",
		AuthorEmail: "bob@e2e.local",
		AuthorLogin: "bob",
		Time:        time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC),
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	a.wantOK(t, "PullCommits")
}

func TestPullCommitsTwoPages(t *testing.T) {
	a := newAPITest(t, nil)
	items := a.srv.Items("pr-commits")
	for i := range 50 {
		// A commit whose email matches no account has no top-level author.
		items = append(items, reshape(t, items[0], map[string]any{"sha": fmt.Sprintf("%040d", i), "author": nil}))
	}
	a.srv.Paged("GET", "/api/v1/repos/federation/commons/pulls/2/commits", items)
	got, err := a.client.PullCommits(context.Background(), commons, 2)
	if err != nil {
		t.Fatal(err)
	}
	a.wantCalls(t,
		"GET /api/v1/repos/federation/commons/pulls/2/commits?limit=50&page=1",
		"GET /api/v1/repos/federation/commons/pulls/2/commits?limit=50&page=2")
	if len(got) != 51 {
		t.Fatalf("got %d commits, want 51", len(got))
	}
	if got[0].AuthorLogin != "bob" || got[50].SHA != fmt.Sprintf("%040d", 49) || got[50].AuthorLogin != "" || got[50].AuthorName != "bob" {
		t.Errorf("first %+v, last %+v", got[0], got[50])
	}
}

// PullFiles returns each file's name and a rename's previous name, sorted,
// each once.
func TestPullFiles(t *testing.T) {
	a := newAPITest(t, nil)
	a.srv.Replay("pull-files")
	got, err := a.client.PullFiles(context.Background(), commons, 2)
	if err != nil {
		t.Fatal(err)
	}
	a.wantCalls(t, "GET /api/v1/repos/federation/commons/pulls/2/files?limit=50&page=1")
	wantToken(t, a.only(t))
	want := []string{
		"accord/coops.yml", // changed
		"docs/hello.md",    // added
		"docs/meeting.md",  // renamed …
		"notes/meeting.md", // … from here
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
	a.wantOK(t, "PullFiles")
}

// 53 files come as a full page of 50 and a page of 3, with a Link header
// or, as Gitea pages some lists, with X-Total-Count alone. A file listed
// twice (the pull request changed between the pages) comes back once.
func TestPullFilesTwoPages(t *testing.T) {
	for _, noLink := range []bool{false, true} {
		a := newAPITest(t, nil)
		items := a.srv.Items("pull-files")
		for i := range 49 {
			name := fmt.Sprintf("docs/page-%02d.md", i)
			items = append(items, reshape(t, items[1], map[string]any{"filename": name}))
		}
		items = append(items, items[1])
		a.srv.Paged("GET", "/api/v1/repos/federation/commons/pulls/2/files", items).NoLink = noLink
		got, err := a.client.PullFiles(context.Background(), commons, 2)
		if err != nil {
			t.Fatal(err)
		}
		a.wantCalls(t,
			"GET /api/v1/repos/federation/commons/pulls/2/files?limit=50&page=1",
			"GET /api/v1/repos/federation/commons/pulls/2/files?limit=50&page=2")
		for _, r := range a.sent() {
			wantToken(t, r)
		}
		if len(got) != 53 || got[0] != "accord/coops.yml" || got[1] != "docs/hello.md" ||
			got[2] != "docs/meeting.md" || got[3] != "docs/page-00.md" || got[51] != "docs/page-48.md" || got[52] != "notes/meeting.md" {
			t.Errorf("no Link %v: got %d paths %q", noLink, len(got), got)
		}
		if n := len(a.obs.calls); n != 1 {
			t.Errorf("%d calls reported, want 1", n)
		}
		a.wantOK(t, "PullFiles")
	}
}

var voteOpen = forges.Label{Name: "vote/open", Color: "0e8a16", Description: "a vote is open"}

// The recorded run: the repository had no labels, so vote/open was created
// (colour with "#") and then added by its new ID.
func TestAddLabelsCreatesMissing(t *testing.T) {
	a := newAPITest(t, nil)
	a.srv.Paged("GET", "/api/v1/repos/federation/commons/labels", nil)
	a.srv.Replay("create-label")
	a.srv.Replay("add-labels")
	if err := a.client.AddLabels(context.Background(), commons, 1, []forges.Label{voteOpen}); err != nil {
		t.Fatal(err)
	}
	a.wantCalls(t,
		"GET /api/v1/repos/federation/commons/labels?limit=50&page=1",
		"POST /api/v1/repos/federation/commons/labels",
		"POST /api/v1/repos/federation/commons/issues/1/labels")
	rs := a.sent()
	a.wantBody(t, rs[1], "create-label")
	a.wantBody(t, rs[2], "add-labels")
	a.wantOK(t, "AddLabels")
}

// vote/open exists (the recorded list) and is not created again; the new
// label is, and both are added in one call.
func TestAddLabelsSomeExist(t *testing.T) {
	a := newAPITest(t, nil)
	a.srv.Replay("list-labels")
	created := a.srv.Load("create-label").Response
	created.Body = reshape(t, created.Body, map[string]any{"id": 7, "name": "vote/passed", "color": "5319e7"})
	a.srv.Handle("POST", "/api/v1/repos/federation/commons/labels", created).Body =
		json.RawMessage(`{"name":"vote/passed","color":"#5319e7","description":""}`)
	a.srv.Replay("add-labels").Body = json.RawMessage(`{"labels":[1,7]}`)
	labels := []forges.Label{voteOpen, {Name: "vote/passed", Color: "5319e7"}, voteOpen}
	if err := a.client.AddLabels(context.Background(), commons, 1, labels); err != nil {
		t.Fatal(err)
	}
	a.wantCalls(t,
		"GET /api/v1/repos/federation/commons/labels?limit=50&page=1",
		"POST /api/v1/repos/federation/commons/labels",
		"POST /api/v1/repos/federation/commons/issues/1/labels")
}

func TestRemoveLabel(t *testing.T) {
	a := newAPITest(t, nil)
	a.srv.Replay("list-labels")
	a.srv.Replay("remove-label")
	if err := a.client.RemoveLabel(context.Background(), commons, 1, "vote/open"); err != nil {
		t.Fatal(err)
	}
	a.wantCalls(t,
		"GET /api/v1/repos/federation/commons/labels?limit=50&page=1",
		"DELETE /api/v1/repos/federation/commons/issues/1/labels/1")
	a.wantOK(t, "RemoveLabel")
}

func TestRemoveLabelNotThere(t *testing.T) {
	t.Run("unknown to the repository", func(t *testing.T) {
		a := newAPITest(t, nil)
		a.srv.Replay("list-labels")
		if err := a.client.RemoveLabel(context.Background(), commons, 1, "vote/passed"); err != nil {
			t.Fatal(err)
		}
		a.wantCalls(t, "GET /api/v1/repos/federation/commons/labels?limit=50&page=1")
		a.wantOK(t, "RemoveLabel")
	})
	t.Run("not on the issue", func(t *testing.T) {
		a := newAPITest(t, nil)
		a.srv.Replay("list-labels")
		a.srv.Handle("DELETE", "/api/v1/repos/federation/commons/issues/1/labels/1", a.srv.Load("get-issue-404").Response)
		if err := a.client.RemoveLabel(context.Background(), commons, 1, "vote/open"); err != nil {
			t.Fatal(err)
		}
		a.wantOK(t, "RemoveLabel")
	})
}

func TestAddReaction(t *testing.T) {
	a := newAPITest(t, nil)
	a.srv.Replay("add-reaction")
	if err := a.client.AddReaction(context.Background(), commons, 1, forges.ReactionThumbsUp); err != nil {
		t.Fatal(err)
	}
	a.wantCalls(t, "POST /api/v1/repos/federation/commons/issues/comments/1/reactions")
	a.wantBody(t, a.only(t), "add-reaction")
	a.wantOK(t, "AddReaction")
}

func TestGetFile(t *testing.T) {
	a := newAPITest(t, nil)
	a.srv.Replay("get-content")
	got, err := a.client.GetFile(context.Background(), commons, "README.md", "main")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "# commons\n\n" {
		t.Errorf("got %q", got)
	}
	a.wantCalls(t, "GET /api/v1/repos/federation/commons/contents/README.md?ref=main")
	a.wantOK(t, "GetFile")
}

// An empty ref is sent empty: Gitea then reads the default branch.
func TestGetFileDefaultBranch(t *testing.T) {
	a := newAPITest(t, nil)
	a.srv.Handle("GET", "/api/v1/repos/federation/commons/contents/README.md", a.srv.Load("get-content").Response)
	if _, err := a.client.GetFile(context.Background(), commons, "README.md", ""); err != nil {
		t.Fatal(err)
	}
	a.wantCalls(t, "GET /api/v1/repos/federation/commons/contents/README.md?ref=")
}

func TestGetFileNotFound(t *testing.T) {
	a := newAPITest(t, nil)
	a.srv.Replay("get-content-404")
	_, err := a.client.GetFile(context.Background(), commons, "nope.yml", "main")
	if !errors.Is(err, forges.ErrNotFound) {
		t.Fatalf("want ErrNotFound, got %v", err)
	}
	ae := apiError(t, err, "GetFile")
	if ae.Status != 404 || ae.Message != "GetContentsOrList" || ae.Temporary() {
		t.Errorf("got %+v", ae)
	}
	if got := a.obs.last(t); got.outcome != "not_found" {
		t.Errorf("observer: %+v", got)
	}
}

// A directory where a file was expected is a permanent error.
func TestGetFileOfDirectory(t *testing.T) {
	a := newAPITest(t, nil)
	a.srv.Replay("list-dir")
	_, err := a.client.GetFile(context.Background(), commons, ".accord", "main")
	ae := apiError(t, err, "GetFile")
	if ae.Temporary() || errors.Is(err, forges.ErrNotFound) {
		t.Errorf("got %+v", ae)
	}
}

const contentsPath = "/api/v1/repos/federation/commons/contents/"

// sentFields is a request's JSON body as an object.
func sentFields(t *testing.T, r fixtures.Request) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("%s %s: body %q: %v", r.Method, r.Path, r.Body, err)
	}
	return m
}

// A file that is not there (the recorded 404) is created: POST, no SHA.
func TestPutFileCreates(t *testing.T) {
	a := newAPITest(t, nil)
	a.srv.Handle("GET", contentsPath+"ledger/checkpoint.json", a.srv.Load("get-content-404").Response)
	a.srv.Replay("create-file")
	got, err := a.client.PutFile(context.Background(), commons, "ledger/checkpoint.json", "main", []byte("{\"seq\":1}\n"), "Checkpoint 1")
	if err != nil {
		t.Fatal(err)
	}
	if got != "8b965f8c5f6663d5b72c712d973737f48d7bc91e" {
		t.Errorf("commit %q", got)
	}
	a.wantCalls(t,
		"GET "+contentsPath+"ledger/checkpoint.json?ref=main",
		"POST "+contentsPath+"ledger/checkpoint.json")
	post := a.sent()[1]
	a.wantBody(t, post, "create-file")
	if sha, ok := sentFields(t, post)["sha"]; ok {
		t.Errorf("sha %v sent for a new file", sha)
	}
	a.wantOK(t, "PutFile")
	if n := len(a.obs.calls); n != 1 {
		t.Errorf("%d calls reported, want 1", n)
	}
}

// A file that is there is replaced: PUT with its blob SHA, on the branch.
func TestPutFileUpdates(t *testing.T) {
	a := newAPITest(t, nil)
	a.srv.Replay("get-content")
	a.srv.Replay("update-file")
	content := []byte("# commons\n\nSigned checkpoints are in ledger/.\n")
	got, err := a.client.PutFile(context.Background(), commons, "README.md", "main", content, "Checkpoint 7")
	if err != nil {
		t.Fatal(err)
	}
	if got != "8857e377e6a001d30be4e5879d831e8aa218838f" {
		t.Errorf("commit %q", got)
	}
	a.wantCalls(t, "GET "+contentsPath+"README.md?ref=main", "PUT "+contentsPath+"README.md")
	a.wantBody(t, a.sent()[1], "update-file") // branch, message, base64 content and the recorded blob SHA
	a.wantOK(t, "PutFile")
}

// The content already there makes no commit: nothing is written.
func TestPutFileUnchanged(t *testing.T) {
	a := newAPITest(t, nil)
	a.srv.Replay("get-content")
	got, err := a.client.PutFile(context.Background(), commons, "README.md", "main", []byte("# commons\n\n"), "Checkpoint 7")
	if err != nil || got != "" {
		t.Fatalf("got %q, %v", got, err)
	}
	a.wantCalls(t, "GET "+contentsPath+"README.md?ref=main")
	a.wantOK(t, "PutFile")
}

// A file too large for Gitea to send its content is compared by its blob
// SHA.
func TestPutFileUnchangedLarge(t *testing.T) {
	a := newAPITest(t, nil)
	resp := a.srv.Load("get-content").Response
	resp.Body = reshape(t, resp.Body, map[string]any{"content": nil, "encoding": nil})
	a.srv.Handle("GET", contentsPath+"README.md", resp)
	got, err := a.client.PutFile(context.Background(), commons, "README.md", "main", []byte("# commons\n\n"), "Checkpoint 7")
	if err != nil || got != "" {
		t.Fatalf("got %q, %v", got, err)
	}
	a.wantCalls(t, "GET "+contentsPath+"README.md?ref=main")

	a.srv.Replay("update-file")
	content := []byte("# commons\n\nSigned checkpoints are in ledger/.\n")
	if _, err := a.client.PutFile(context.Background(), commons, "README.md", "main", content, "Checkpoint 7"); err != nil {
		t.Fatal(err)
	}
	a.wantBody(t, a.sent()[2], "update-file")
}

// A path with spaces, slashes and a "#" reaches Gitea whole; an empty
// branch is the default branch, asked for and written to as "".
func TestPutFileEscapesPath(t *testing.T) {
	a := newAPITest(t, nil)
	path := contentsPath + "ledger/signed checkpoint #3.json"
	a.srv.Handle("GET", path, a.srv.Load("get-content-404").Response)
	a.srv.Handle("POST", path, a.srv.Load("create-file").Response)
	if _, err := a.client.PutFile(context.Background(), commons, "ledger/signed checkpoint #3.json", "", []byte("{}"), "Checkpoint 3"); err != nil {
		t.Fatal(err)
	}
	a.wantCalls(t, "GET "+path+"?ref=", "POST "+path)
	if b := sentFields(t, a.sent()[1])["branch"]; b != "" {
		t.Errorf("branch %v sent for the default branch", b)
	}
}

// Someone changed the file between the read and the write: Gitea's 422 for
// a stale SHA or for a file created meanwhile, and a 409, are conflicts to
// try again; another 422 is not.
func TestPutFileConflict(t *testing.T) {
	newContent := []byte("# commons\n\nSigned checkpoints are in ledger/.\n")
	for _, tc := range []struct {
		name     string
		setup    func(a *apiTest)
		path     string
		content  []byte
		message  string
		status   int
		conflict bool
	}{
		{"stale SHA", func(a *apiTest) { a.srv.Replay("get-content"); a.srv.Replay("update-file-stale-422") },
			"README.md", newContent, "Checkpoint 7", 422, true},
		{"created meanwhile", func(a *apiTest) {
			a.srv.Handle("GET", contentsPath+"ledger/checkpoint.json", a.srv.Load("get-content-404").Response)
			a.srv.Replay("create-file-exists-422")
		}, "ledger/checkpoint.json", []byte("{\"seq\":1}\n"), "Checkpoint 1", 422, true},
		{"409", func(a *apiTest) {
			a.srv.Replay("get-content")
			a.srv.Handle("PUT", contentsPath+"README.md", fixtures.Response{Status: 409, Body: json.RawMessage(`{"message":"sha does not match","url":"http://127.0.0.1:3000/api/swagger"}`)})
		}, "README.md", newContent, "Checkpoint 7", 409, true},
		{"invalid path", func(a *apiTest) {
			a.srv.Replay("get-content")
			a.srv.Handle("PUT", contentsPath+"README.md", fixtures.Response{Status: 422, Body: json.RawMessage(`{"message":"path contains a malformed path component [path: README.md]","url":"http://127.0.0.1:3000/api/swagger"}`)})
		}, "README.md", newContent, "Checkpoint 7", 422, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newAPITest(t, nil)
			tc.setup(a)
			_, err := a.client.PutFile(context.Background(), commons, tc.path, "main", tc.content, tc.message)
			ae := apiError(t, err, "PutFile")
			if ae.Status != tc.status || ae.Conflict != tc.conflict || ae.Temporary() != tc.conflict || errors.Is(err, forges.ErrNotFound) {
				t.Errorf("got %+v", ae)
			}
			if got := a.obs.last(t); got.outcome != "client_error" {
				t.Errorf("observer: %+v", got)
			}
			if n := len(a.sent()); n != 2 {
				t.Errorf("%d requests, want 2", n)
			}
		})
	}
}

// A repository that is not there: the read and the write both answer 404,
// which is permanent.
func TestPutFileRepoNotFound(t *testing.T) {
	a := newAPITest(t, nil)
	gone := forges.RepoRef{Owner: "federation", Name: "gone"}
	path := "/api/v1/repos/federation/gone/contents/ledger/checkpoint.json"
	a.srv.Handle("GET", path, a.srv.Load("get-issue-404").Response)
	a.srv.Handle("POST", path, a.srv.Load("get-issue-404").Response)
	_, err := a.client.PutFile(context.Background(), gone, "ledger/checkpoint.json", "main", []byte("{}"), "Checkpoint 1")
	if !errors.Is(err, forges.ErrNotFound) {
		t.Fatalf("want ErrNotFound, got %v", err)
	}
	if ae := apiError(t, err, "PutFile"); ae.Temporary() || ae.Conflict || ae.Message != "not found" {
		t.Errorf("got %+v", ae)
	}
	a.wantCalls(t, "GET "+path+"?ref=main", "POST "+path)
	if got := a.obs.last(t); got.outcome != "not_found" {
		t.Errorf("observer: %+v", got)
	}
}

// What PutFile refuses: a directory (after reading it), and paths that
// name no file or climb out (before asking Gitea anything).
func TestPutFileRefuses(t *testing.T) {
	a := newAPITest(t, nil)
	a.srv.Replay("list-dir")
	_, err := a.client.PutFile(context.Background(), commons, ".accord", "main", []byte("x"), "x")
	if ae := apiError(t, err, "PutFile"); ae.Temporary() || errors.Is(err, forges.ErrNotFound) {
		t.Errorf("directory: got %+v", ae)
	}
	a.wantCalls(t, "GET "+contentsPath+".accord?ref=main")
	for _, p := range []string{"", "ledger/", "../secrets", "ledger/../../x"} {
		_, err := a.client.PutFile(context.Background(), commons, p, "main", []byte("x"), "x")
		if ae := apiError(t, err, "PutFile"); ae.Temporary() {
			t.Errorf("%q: got %+v", p, ae)
		}
	}
	if n := len(a.sent()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func TestListDir(t *testing.T) {
	a := newAPITest(t, nil)
	a.srv.Replay("list-dir")
	got, err := a.client.ListDir(context.Background(), commons, ".accord", "main")
	if err != nil {
		t.Fatal(err)
	}
	want := []forges.DirEntry{
		{Name: "policy.yml", Path: ".accord/policy.yml", Type: "file", SHA: "3b18e512dba79e4c8300dd08aeb37f8e728b8dad"},
		{Name: "teams", Path: ".accord/teams", Type: "dir", SHA: "9c9f4bd1b4b4a6f3e1f0d1c2b3a4958677665544"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v", got)
	}
	a.wantCalls(t, "GET /api/v1/repos/federation/commons/contents/.accord?ref=main")
	a.wantOK(t, "ListDir")
}

func TestDefaultBranch(t *testing.T) {
	a := newAPITest(t, nil)
	a.srv.Replay("get-repo")
	got, err := a.client.DefaultBranch(context.Background(), commons)
	if err != nil || got != "main" {
		t.Fatalf("got %q, %v", got, err)
	}
	a.wantCalls(t, "GET /api/v1/repos/federation/commons")
	a.wantOK(t, "DefaultBranch")
}

// mainHead is the head of main, and the commit of tag v0.1.0, in the
// branch and tag fixtures.
const mainHead = "926f990416a33978bbb1e381f28b202f0a2ce3aa"

func TestResolveRefBranch(t *testing.T) {
	a := newAPITest(t, nil)
	a.srv.Replay("get-branch")
	got, err := a.client.ResolveRef(context.Background(), commons, "main")
	if err != nil || got != mainHead {
		t.Fatalf("got %q, %v", got, err)
	}
	r := a.only(t)
	if r.Method != http.MethodGet || r.Path != "/api/v1/repos/federation/commons/branches/main" {
		t.Errorf("request %s %s", r.Method, r.Path)
	}
	if auth := r.Header.Get("Authorization"); auth != "token "+apiToken {
		t.Errorf("Authorization %q", auth)
	}
	a.wantOK(t, "ResolveRef")
}

// A branch name with a slash keeps it in the path, as Gitea routes it.
func TestResolveRefBranchWithSlash(t *testing.T) {
	a := newAPITest(t, nil)
	resp := a.srv.Load("get-branch").Response
	resp.Body = reshape(t, resp.Body, map[string]any{"name": "release/v1"})
	a.srv.Handle("GET", "/api/v1/repos/federation/commons/branches/release/v1", resp)
	if got, err := a.client.ResolveRef(context.Background(), commons, "release/v1"); err != nil || got != mainHead {
		t.Fatalf("got %q, %v", got, err)
	}
}

// No branch of that name: the tag's commit.
func TestResolveRefTag(t *testing.T) {
	a := newAPITest(t, nil)
	a.srv.Handle("GET", "/api/v1/repos/federation/commons/branches/v0.1.0", a.srv.Load("get-issue-404").Response)
	a.srv.Replay("get-tag")
	got, err := a.client.ResolveRef(context.Background(), commons, "v0.1.0")
	if err != nil || got != mainHead {
		t.Fatalf("got %q, %v", got, err)
	}
	a.wantCalls(t,
		"GET /api/v1/repos/federation/commons/branches/v0.1.0",
		"GET /api/v1/repos/federation/commons/tags/v0.1.0")
	a.wantOK(t, "ResolveRef")
	if n := len(a.obs.calls); n != 1 {
		t.Errorf("%d calls reported, want 1", n)
	}
}

// An annotated tag's id is the tag object: the commit is commit.sha.
func TestResolveRefAnnotatedTag(t *testing.T) {
	a := newAPITest(t, nil)
	a.srv.Handle("GET", "/api/v1/repos/federation/commons/branches/v0.1.0", a.srv.Load("get-issue-404").Response)
	tag := a.srv.Replay("get-tag")
	tag.Response.Body = reshape(t, tag.Response.Body, map[string]any{
		"id":      "3f2a1c0e9d8b7a6f5e4d3c2b1a09f8e7d6c5b4a3",
		"message": "First release",
	})
	got, err := a.client.ResolveRef(context.Background(), commons, "v0.1.0")
	if err != nil || got != mainHead {
		t.Fatalf("got %q, %v", got, err)
	}
}

// An empty ref is the default branch: the repository, then its branch.
func TestResolveRefDefaultBranch(t *testing.T) {
	a := newAPITest(t, nil)
	a.srv.Replay("get-repo")
	a.srv.Replay("get-branch")
	got, err := a.client.ResolveRef(context.Background(), commons, "")
	if err != nil || got != mainHead {
		t.Fatalf("got %q, %v", got, err)
	}
	a.wantCalls(t,
		"GET /api/v1/repos/federation/commons",
		"GET /api/v1/repos/federation/commons/branches/main")
	a.wantOK(t, "ResolveRef")
}

// A full SHA names itself: no request, and nothing to report.
func TestResolveRefSHA(t *testing.T) {
	a := newAPITest(t, nil)
	for _, sha := range []string{mainHead, strings.Repeat("0123456789abcdef", 4)} {
		got, err := a.client.ResolveRef(context.Background(), commons, sha)
		if err != nil || got != sha {
			t.Errorf("%s: got %q, %v", sha, got, err)
		}
	}
	if rs := a.srv.Requests(); len(rs) != 0 {
		t.Errorf("requests made: %v", describe(rs))
	}
	if len(a.obs.calls) != 0 {
		t.Errorf("calls reported: %+v", a.obs.calls)
	}
}

func TestResolveRefNotFound(t *testing.T) {
	a := newAPITest(t, nil)
	notFound := a.srv.Load("get-issue-404").Response
	a.srv.Handle("GET", "/api/v1/repos/federation/commons/branches/nope", notFound)
	a.srv.Handle("GET", "/api/v1/repos/federation/commons/tags/nope", notFound)
	_, err := a.client.ResolveRef(context.Background(), commons, "nope")
	if !errors.Is(err, forges.ErrNotFound) {
		t.Fatalf("error %v is not ErrNotFound", err)
	}
	if ae := apiError(t, err, "ResolveRef"); ae.Temporary() {
		t.Errorf("got %+v", ae)
	}
	a.wantCalls(t,
		"GET /api/v1/repos/federation/commons/branches/nope",
		"GET /api/v1/repos/federation/commons/tags/nope")
	if got := a.obs.last(t); got.outcome != "not_found" {
		t.Errorf("observer: %+v", got)
	}
}

// A failure other than 404 is not taken for a missing branch.
func TestResolveRefBranchFails(t *testing.T) {
	a := newAPITest(t, nil)
	a.srv.Handle("GET", "/api/v1/repos/federation/commons/branches/main", a.srv.Load("server-error-500").Response)
	_, err := a.client.ResolveRef(context.Background(), commons, "main")
	if ae := apiError(t, err, "ResolveRef"); ae.Status != 500 || !ae.Temporary() {
		t.Errorf("got %+v", ae)
	}
	a.wantCalls(t, "GET /api/v1/repos/federation/commons/branches/main")
}

// A branch answer without a commit SHA fails for good.
func TestResolveRefNoSHA(t *testing.T) {
	a := newAPITest(t, nil)
	resp := a.srv.Load("get-branch").Response
	resp.Body = reshape(t, resp.Body, map[string]any{"commit": nil})
	a.srv.Handle("GET", "/api/v1/repos/federation/commons/branches/main", resp)
	_, err := a.client.ResolveRef(context.Background(), commons, "main")
	if ae := apiError(t, err, "ResolveRef"); ae.Temporary() || errors.Is(err, forges.ErrNotFound) {
		t.Errorf("got %+v", ae)
	}
}

func TestResolveRefDotDot(t *testing.T) {
	a := newAPITest(t, nil)
	_, err := a.client.ResolveRef(context.Background(), commons, "../../../user")
	if ae := apiError(t, err, "ResolveRef"); ae.Temporary() || len(a.sent()) != 0 {
		t.Errorf("got %+v after %d requests", ae, len(a.sent()))
	}
}

func TestPermission(t *testing.T) {
	const path = "/api/v1/repos/federation/commons/collaborators/bob/permission"
	for mode, want := range map[string]string{
		"owner": forges.PermAdmin, "admin": forges.PermAdmin, "write": forges.PermWrite,
		"read": forges.PermRead, "none": forges.PermNone, "unheard-of": forges.PermNone,
	} {
		a := newAPITest(t, nil)
		resp := a.srv.Load("get-permission").Response
		resp.Body = reshape(t, resp.Body, map[string]any{"permission": mode, "role_name": mode})
		a.srv.Handle("GET", path, resp)
		got, err := a.client.Permission(context.Background(), commons, "bob")
		if err != nil || got != want {
			t.Errorf("%s: got %q, %v; want %q", mode, got, err, want)
		}
		a.wantCalls(t, "GET "+path+"")
	}
}

func TestPermissionRecorded(t *testing.T) {
	a := newAPITest(t, nil)
	a.srv.Replay("get-permission")
	got, err := a.client.Permission(context.Background(), commons, "bob")
	if err != nil || got != forges.PermWrite {
		t.Fatalf("got %q, %v", got, err)
	}
	a.wantOK(t, "Permission")
}

// No such user (404) and not allowed to ask (403) are no permission; a 403
// that is a rate limit is an error.
func TestPermissionRefused(t *testing.T) {
	const path = "/api/v1/repos/federation/commons/collaborators/mallory/permission"
	forbidden := fixtures.Response{Status: 403, Body: json.RawMessage(`{"message":"Only admins can query all permissions, repo admins can query all repo permissions, collaborators can query only their own","url":"http://127.0.0.1:3000/api/swagger"}`)}
	for name, resp := range map[string]fixtures.Response{
		"404": {Status: 404, Body: json.RawMessage(`{"errors":null,"message":"user does not exist [uid: 0, name: mallory]","url":"http://127.0.0.1:3000/api/swagger"}`)},
		"403": forbidden,
	} {
		a := newAPITest(t, nil)
		a.srv.Handle("GET", path, resp)
		got, err := a.client.Permission(context.Background(), commons, "mallory")
		if err != nil || got != forges.PermNone {
			t.Errorf("%s: got %q, %v", name, got, err)
		}
		a.wantOK(t, "Permission")
	}
	a := newAPITest(t, nil)
	a.srv.Handle("GET", path, a.srv.Load("rate-limit-403").Response)
	_, err := a.client.Permission(context.Background(), commons, "mallory")
	if ae := apiError(t, err, "Permission"); !ae.RateLimited() {
		t.Errorf("got %+v", ae)
	}
}

func TestSetStatus(t *testing.T) {
	a := newAPITest(t, nil)
	a.srv.Replay("create-status")
	st := forges.Status{State: forges.StatusSuccess, Context: "accord/policy", Description: "policy valid"}
	if err := a.client.SetStatus(context.Background(), commons, "50176b13984d7342f8a952c99a3f27a766ed5e80", st); err != nil {
		t.Fatal(err)
	}
	a.wantCalls(t, "POST /api/v1/repos/federation/commons/statuses/50176b13984d7342f8a952c99a3f27a766ed5e80")
	a.wantBody(t, a.only(t), "create-status")
	a.wantOK(t, "SetStatus")
}

func TestCheck(t *testing.T) {
	for flavor, want := range map[gitea.Flavor]string{gitea.Gitea: "Gitea 1.26.0", gitea.Forgejo: "Forgejo 1.26.0"} {
		a := newAPITest(t, func(c *gitea.ClientConfig) { c.Flavor = flavor })
		a.srv.Replay("get-user")
		got, err := a.client.Check(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if *got != (forges.Identity{Login: "root", Author: "root", Detail: want}) {
			t.Errorf("got %+v", got)
		}
		var paths []string
		for _, r := range a.srv.Requests() {
			paths = append(paths, r.Method+" "+r.Path)
		}
		if !reflect.DeepEqual(paths, []string{"GET /api/v1/user", "GET /api/v1/version"}) {
			t.Errorf("requests %v", paths)
		}
		a.wantOK(t, "Check")
	}
}

// wantToken checks a request carried the client's token in Gitea's scheme.
func wantToken(t *testing.T, r fixtures.Request) {
	t.Helper()
	if got := r.Header.Get("Authorization"); got != "token "+apiToken {
		t.Errorf("%s %s: Authorization %q", r.Method, r.Path, got)
	}
}

func TestListClosedPulls(t *testing.T) {
	a := newAPITest(t, nil)
	a.srv.Replay("list-closed-pulls")
	got, next, err := a.client.ListClosedPulls(context.Background(), commons, 1)
	if err != nil {
		t.Fatal(err)
	}
	a.wantCalls(t, "GET /api/v1/repos/federation/commons/pulls?limit=50&page=1&sort=oldest&state=closed")
	wantToken(t, a.only(t))
	mergedBy := alice
	want := []forges.PullRequest{{
		Number:         2,
		Title:          "Add hello doc",
		Author:         bob,
		State:          "closed",
		Merged:         true,
		MergedAt:       mustTime(t, "2026-11-24T02:40:53Z"),
		MergedBy:       &mergedBy,
		MergeCommitSHA: "09bb9b2aabc285943a79c0f483e36fc42817d5c8",
		HeadSHA:        headSHA,
		HeadRef:        "feature-hello",
		BaseRef:        "main",
		Labels:         []string{},
		Additions:      1,
		URL:            pullURL,
	}, {
		Number:    3,
		Title:     "Switch the docs to AsciiDoc",
		Author:    carol,
		State:     "closed",
		HeadSHA:   "7d3e5a1f0b9c8e2d4a6b1c3e5f7a9b0d2c4e6f81",
		HeadRef:   "asciidoc",
		BaseRef:   "main",
		Labels:    []string{"vote/open"},
		Additions: 12,
		Deletions: 3,
		URL:       "http://127.0.0.1:3000/federation/commons/pulls/3",
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	if next != (forges.Page{Last: 1}) {
		t.Errorf("page %+v, want the last of 1", next)
	}
	a.wantOK(t, "ListClosedPulls")
}

// Page 0 (or less) asks for page 1.
func TestListClosedPullsPageZero(t *testing.T) {
	a := newAPITest(t, nil)
	a.srv.Replay("list-closed-pulls")
	got, next, err := a.client.ListClosedPulls(context.Background(), commons, 0)
	if err != nil || len(got) != 2 || next != (forges.Page{Last: 1}) {
		t.Fatalf("got %d pulls, page %+v, %v", len(got), next, err)
	}
	a.wantCalls(t, "GET /api/v1/repos/federation/commons/pulls?limit=50&page=1&sort=oldest&state=closed")
}

// 53 closed pull requests: a full page of 50 says page 2 comes next; page
// 2 holds 3 and is the last.
func TestListClosedPullsTwoPages(t *testing.T) {
	a := newAPITest(t, nil)
	items := a.srv.Items("list-closed-pulls")
	for i := range 51 {
		items = append(items, reshape(t, items[1], map[string]any{"id": 100 + i, "number": 100 + i}))
	}
	a.srv.Paged("GET", "/api/v1/repos/federation/commons/pulls", items).Query =
		url.Values{"state": {"closed"}, "sort": {"oldest"}, "limit": {"50"}}
	first, next, err := a.client.ListClosedPulls(context.Background(), commons, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 50 || next != (forges.Page{Next: 2, Last: 2}) || first[0].Number != 2 || first[49].Number != 147 {
		t.Fatalf("page 1: %d pulls, page %+v", len(first), next)
	}
	second, next, err := a.client.ListClosedPulls(context.Background(), commons, next.Next)
	if err != nil {
		t.Fatal(err)
	}
	if len(second) != 3 || next != (forges.Page{Last: 2}) || second[2].Number != 150 {
		t.Fatalf("page 2: %d pulls, page %+v", len(second), next)
	}
	a.wantCalls(t,
		"GET /api/v1/repos/federation/commons/pulls?limit=50&page=1&sort=oldest&state=closed",
		"GET /api/v1/repos/federation/commons/pulls?limit=50&page=2&sort=oldest&state=closed")
}

// Review requests are not reviews: the submitted ones come back.
func TestListReviews(t *testing.T) {
	a := newAPITest(t, nil)
	a.srv.Replay("list-reviews")
	got, err := a.client.ListReviews(context.Background(), commons, 2)
	if err != nil {
		t.Fatal(err)
	}
	a.wantCalls(t, "GET /api/v1/repos/federation/commons/pulls/2/reviews?limit=50&page=1")
	wantToken(t, a.only(t))
	want := []forges.Review{
		{ID: 2, State: forges.ReviewApproved, Body: "ship it", Author: alice, SubmittedAt: mustTime(t, "2026-11-24T02:40:52Z"), CommitSHA: headSHA},
		{ID: 4, State: forges.ReviewChangesRequested, Body: "one nit", Author: carol, SubmittedAt: mustTime(t, "2026-11-24T02:40:52Z"), CommitSHA: headSHA},
		{ID: 5, State: forges.ReviewCommented, Body: "fine by me now", Author: carol, SubmittedAt: mustTime(t, "2026-11-24T02:40:53Z"), CommitSHA: headSHA},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	a.wantOK(t, "ListReviews")
}

// Pending, dismissed and unknown reviews are left out, and the rest come in
// the order they were submitted, not made.
func TestListReviewsFilteredAndOrdered(t *testing.T) {
	a := newAPITest(t, nil)
	items := a.srv.Items("list-reviews")
	items = append([]json.RawMessage{
		// made first, left pending, submitted last
		reshape(t, items[4], map[string]any{"id": 6, "body": "late", "submitted_at": "2026-11-24T02:41:00Z"}),
	}, items...)
	items = append(items,
		reshape(t, items[2], map[string]any{"id": 7, "state": "PENDING", "body": "draft"}),
		reshape(t, items[2], map[string]any{"id": 8, "dismissed": true}),
		reshape(t, items[2], map[string]any{"id": 9, "state": ""}),
	)
	a.srv.Paged("GET", "/api/v1/repos/federation/commons/pulls/2/reviews", items).NoLink = true
	got, err := a.client.ListReviews(context.Background(), commons, 2)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, r := range got {
		ids = append(ids, r.ID)
	}
	if !reflect.DeepEqual(ids, []int64{2, 4, 5, 6}) {
		t.Errorf("review ids %v, want [2 4 5 6]", ids)
	}
}

// Gitea pages a pull request's reviews with X-Total-Count and no Link: a
// full page is followed by the next while the total says there is more.
func TestListReviewsTwoPages(t *testing.T) {
	a := newAPITest(t, nil)
	items := a.srv.Items("list-reviews")
	for i := range 48 {
		items = append(items, reshape(t, items[1], map[string]any{"id": 100 + i}))
	}
	a.srv.Paged("GET", "/api/v1/repos/federation/commons/pulls/2/reviews", items).NoLink = true
	got, err := a.client.ListReviews(context.Background(), commons, 2)
	if err != nil {
		t.Fatal(err)
	}
	a.wantCalls(t,
		"GET /api/v1/repos/federation/commons/pulls/2/reviews?limit=50&page=1",
		"GET /api/v1/repos/federation/commons/pulls/2/reviews?limit=50&page=2")
	// The copies were submitted with the approval, before the last comment.
	if len(got) != 51 || got[0].ID != 2 || got[49].ID != 147 || got[50].ID != 5 {
		t.Fatalf("got %d reviews, first %+v, last %+v", len(got), got[0], got[len(got)-1])
	}
}

// A full page holding everything the total counts is the last.
func TestListReviewsFullPageIsAll(t *testing.T) {
	a := newAPITest(t, nil)
	items := a.srv.Items("list-reviews")
	for i := range 45 {
		items = append(items, reshape(t, items[1], map[string]any{"id": 100 + i}))
	}
	a.srv.Paged("GET", "/api/v1/repos/federation/commons/pulls/2/reviews", items).NoLink = true
	got, err := a.client.ListReviews(context.Background(), commons, 2)
	if err != nil || len(got) != 48 {
		t.Fatalf("got %d reviews, %v", len(got), err)
	}
	a.wantCalls(t, "GET /api/v1/repos/federation/commons/pulls/2/reviews?limit=50&page=1")
}

func TestListIssues(t *testing.T) {
	a := newAPITest(t, nil)
	a.srv.Replay("list-issues")
	got, next, err := a.client.ListIssues(context.Background(), commons, 1)
	if err != nil {
		t.Fatal(err)
	}
	a.wantCalls(t, "GET /api/v1/repos/federation/commons/issues?limit=50&page=1&state=all&type=issues")
	wantToken(t, a.only(t))
	want := []forges.Issue{{
		Number:    4,
		Title:     "Budget for the shared runner",
		Author:    carol,
		State:     "open",
		Labels:    []string{"vote/open"},
		URL:       "http://127.0.0.1:3000/federation/commons/issues/4",
		CreatedAt: mustTime(t, "2026-11-24T02:41:40Z"),
	}, {
		Number:    1,
		Title:     "Adopt the shared hosting proposal",
		Author:    alice,
		State:     "closed",
		Labels:    []string{},
		URL:       "http://127.0.0.1:3000/federation/commons/issues/1",
		ClosedAt:  mustTime(t, "2026-11-24T02:40:54Z"),
		CreatedAt: mustTime(t, "2026-11-24T02:40:50Z"),
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	if next != (forges.Page{Last: 1}) {
		t.Errorf("page %+v, want the last of 1", next)
	}
	a.wantOK(t, "ListIssues")
}

// Two pages; a pull request among the items (a server ignoring type=issues)
// is left out, and still counts towards a full page.
func TestListIssuesTwoPages(t *testing.T) {
	a := newAPITest(t, nil)
	items := a.srv.Items("list-issues")
	for i := range 51 {
		items = append(items, reshape(t, items[1], map[string]any{"id": 100 + i, "number": 100 + i}))
	}
	items[10] = reshape(t, items[10], map[string]any{"pull_request": map[string]any{"merged": false, "merged_at": nil}})
	items[52] = reshape(t, items[52], map[string]any{"pull_request": map[string]any{"merged": true, "merged_at": "2026-11-24T02:40:53Z"}})
	a.srv.Paged("GET", "/api/v1/repos/federation/commons/issues", items).Query =
		url.Values{"state": {"all"}, "type": {"issues"}}
	first, next, err := a.client.ListIssues(context.Background(), commons, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 49 || next != (forges.Page{Next: 2, Last: 2}) || first[0].Number != 4 {
		t.Fatalf("page 1: %d issues, page %+v", len(first), next)
	}
	second, next, err := a.client.ListIssues(context.Background(), commons, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(second) != 2 || next != (forges.Page{Last: 2}) || second[1].Number != 149 {
		t.Fatalf("page 2: %+v, page %+v", second, next)
	}
	for _, is := range append(first, second...) {
		if is.IsPull || is.Number == 108 || is.Number == 150 {
			t.Errorf("pull request listed: %+v", is)
		}
	}
	a.wantCalls(t,
		"GET /api/v1/repos/federation/commons/issues?limit=50&page=1&state=all&type=issues",
		"GET /api/v1/repos/federation/commons/issues?limit=50&page=2&state=all&type=issues")
}

func TestListReleases(t *testing.T) {
	a := newAPITest(t, nil)
	a.srv.Replay("list-releases")
	got, next, err := a.client.ListReleases(context.Background(), commons, 1)
	if err != nil {
		t.Fatal(err)
	}
	a.wantCalls(t, "GET /api/v1/repos/federation/commons/releases?limit=50&page=1")
	wantToken(t, a.only(t))
	want := []forges.Release{{
		ID:          2,
		Tag:         "v0.2.0-rc.1",
		Name:        "Second, candidate",
		Author:      bob,
		Prerelease:  true,
		URL:         "http://127.0.0.1:3000/federation/commons/releases/tag/v0.2.0-rc.1",
		PublishedAt: mustTime(t, "2026-11-24T02:42:00Z"),
	}, {
		ID:          1,
		Tag:         "v0.1.0",
		Name:        "First",
		Author:      alice,
		URL:         "http://127.0.0.1:3000/federation/commons/releases/tag/v0.1.0",
		PublishedAt: mustTime(t, "2026-11-24T02:40:54Z"),
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	if next != (forges.Page{Last: 1}) {
		t.Errorf("page %+v, want the last of 1", next)
	}
	a.wantOK(t, "ListReleases")
}

// No publication time (null, or the epoch Gitea sends for an unset one):
// the creation time.
func TestListReleasesPublishedFallback(t *testing.T) {
	a := newAPITest(t, nil)
	items := a.srv.Items("list-releases")
	items = []json.RawMessage{
		reshape(t, items[2], map[string]any{"published_at": nil}),
		reshape(t, items[2], map[string]any{"id": 4, "published_at": "1970-01-01T00:00:00Z"}),
	}
	a.srv.Paged("GET", "/api/v1/repos/federation/commons/releases", items)
	got, _, err := a.client.ListReleases(context.Background(), commons, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range got {
		if !r.PublishedAt.Equal(mustTime(t, "2026-11-24T02:40:54Z")) {
			t.Errorf("release %d published %v", r.ID, r.PublishedAt)
		}
	}
	if len(got) != 2 {
		t.Errorf("got %d releases", len(got))
	}
}

// The draft on page 1 is left out but counts towards the page being full.
func TestListReleasesTwoPages(t *testing.T) {
	a := newAPITest(t, nil)
	items := a.srv.Items("list-releases")
	for i := range 50 {
		items = append(items, reshape(t, items[2], map[string]any{"id": 100 + i, "tag_name": fmt.Sprintf("v0.0.%d", i)}))
	}
	a.srv.Paged("GET", "/api/v1/repos/federation/commons/releases", items)
	first, next, err := a.client.ListReleases(context.Background(), commons, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 49 || next != (forges.Page{Next: 2, Last: 2}) || first[0].Tag != "v0.2.0-rc.1" {
		t.Fatalf("page 1: %d releases, page %+v", len(first), next)
	}
	second, next, err := a.client.ListReleases(context.Background(), commons, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(second) != 3 || next != (forges.Page{Last: 2}) || second[2].Tag != "v0.0.49" {
		t.Fatalf("page 2: %d releases, page %+v", len(second), next)
	}
	a.wantCalls(t,
		"GET /api/v1/repos/federation/commons/releases?limit=50&page=1",
		"GET /api/v1/repos/federation/commons/releases?limit=50&page=2")
}

// A missing repository or pull request is ErrNotFound from every list.
func TestListsNotFound(t *testing.T) {
	ctx := context.Background()
	for op, c := range map[string]struct {
		path string
		call func(*gitea.Client) error
	}{
		"ListClosedPulls": {"/api/v1/repos/federation/commons/pulls", func(c *gitea.Client) error {
			_, _, err := c.ListClosedPulls(ctx, commons, 1)
			return err
		}},
		"ListReviews": {"/api/v1/repos/federation/commons/pulls/999999/reviews", func(c *gitea.Client) error {
			_, err := c.ListReviews(ctx, commons, 999999)
			return err
		}},
		"PullFiles": {"/api/v1/repos/federation/commons/pulls/999999/files", func(c *gitea.Client) error {
			_, err := c.PullFiles(ctx, commons, 999999)
			return err
		}},
		"ListIssues": {"/api/v1/repos/federation/commons/issues", func(c *gitea.Client) error {
			_, _, err := c.ListIssues(ctx, commons, 1)
			return err
		}},
		"ListReleases": {"/api/v1/repos/federation/commons/releases", func(c *gitea.Client) error {
			_, _, err := c.ListReleases(ctx, commons, 1)
			return err
		}},
	} {
		a := newAPITest(t, nil)
		a.srv.Handle("GET", c.path, a.srv.Load("get-issue-404").Response)
		err := c.call(a.client)
		if !errors.Is(err, forges.ErrNotFound) {
			t.Errorf("%s: want ErrNotFound, got %v", op, err)
			continue
		}
		if ae := apiError(t, err, op); ae.Status != 404 || ae.Temporary() {
			t.Errorf("%s: got %+v", op, ae)
		}
		if got := a.obs.last(t); got != (observedCall{"codeberg", op, "not_found"}) {
			t.Errorf("%s: observer %+v", op, got)
		}
		if n := len(a.sent()); n != 1 {
			t.Errorf("%s: %d requests", op, n)
		}
	}
}

const hookURL = "https://accord.example/hooks/gitea"

// recordedHookURL is where the recorded Gitea's one hook points.
const recordedHookURL = "http://127.0.0.1:3999/hooks/gitea"

// The first run creates the hook; the second finds it, listed back the way
// Gitea lists it (events expanded, no secret), and changes nothing.
func TestConnectCreatesThenUnchanged(t *testing.T) {
	a := newAPITest(t, nil)
	a.srv.ServeHooks("federation", "commons", a.srv.Items("list-hooks"))
	got, err := a.client.Connect(context.Background(), commons, hookURL, "hook-secret")
	if err != nil {
		t.Fatal(err)
	}
	if *got != (forges.ConnectResult{Action: forges.ConnectCreated, HookID: 2}) {
		t.Errorf("first run: %+v", got)
	}
	a.wantCalls(t,
		"GET /api/v1/repos/federation/commons/hooks?limit=50&page=1",
		"POST /api/v1/repos/federation/commons/hooks")
	a.wantBody(t, a.sent()[1], "create-hook")
	hooks := a.srv.Hooks("federation", "commons")
	if len(hooks) != 2 || hooks[1].Secret != "hook-secret" || hooks[1].Type != "gitea" || !hooks[1].Active {
		t.Errorf("stored hooks %+v", hooks)
	}
	a.wantOK(t, "Connect")

	got, err = a.client.Connect(context.Background(), commons, hookURL, "hook-secret")
	if err != nil {
		t.Fatal(err)
	}
	if *got != (forges.ConnectResult{Action: forges.ConnectUnchanged, HookID: 2}) {
		t.Errorf("second run: %+v", got)
	}
	if rs := a.sent(); len(rs) != 3 || rs[2].Method != "GET" {
		t.Errorf("second run sent %v", describe(rs[2:]))
	}
	if !reflect.DeepEqual(a.srv.Hooks("federation", "commons"), hooks) {
		t.Error("the second run changed the hooks")
	}
}

// The hook the recorded Gitea lists covers every event Accord needs, in
// Gitea's own spelling ("pull_request_review" for the three review events).
func TestConnectRecordedHookUnchanged(t *testing.T) {
	a := newAPITest(t, nil)
	a.srv.Replay("list-hooks")
	got, err := a.client.Connect(context.Background(), commons, recordedHookURL, "hook-secret")
	if err != nil {
		t.Fatal(err)
	}
	if *got != (forges.ConnectResult{Action: forges.ConnectUnchanged, HookID: 1}) {
		t.Errorf("got %+v", got)
	}
}

func TestConnectUpdates(t *testing.T) {
	for name, fields := range map[string]map[string]any{
		"events differ": {"events": []string{"push"}},
		"inactive":      {"active": false},
		"form content":  {"config": map[string]string{"content_type": "form", "url": recordedHookURL}},
	} {
		a := newAPITest(t, nil)
		seed := a.srv.Items("list-hooks")
		seed[0] = reshape(t, seed[0], fields)
		a.srv.ServeHooks("federation", "commons", seed)
		got, err := a.client.Connect(context.Background(), commons, recordedHookURL, "hook-secret")
		if err != nil {
			t.Fatal(err)
		}
		if *got != (forges.ConnectResult{Action: forges.ConnectUpdated, HookID: 1}) {
			t.Errorf("%s: got %+v", name, got)
		}
		a.wantCalls(t,
			"GET /api/v1/repos/federation/commons/hooks?limit=50&page=1",
			"PATCH /api/v1/repos/federation/commons/hooks/1")
		if name == "events differ" {
			a.wantBody(t, a.sent()[1], "edit-hook")
		}
		h := a.srv.Hooks("federation", "commons")[0]
		if !h.Active || h.Config["content_type"] != "json" || h.Secret != "hook-secret" || h.BranchFilter != "*" {
			t.Errorf("%s: stored %+v", name, h)
		}
		again, err := a.client.Connect(context.Background(), commons, recordedHookURL, "hook-secret")
		if err != nil || again.Action != forges.ConnectUnchanged {
			t.Errorf("%s: second run %+v, %v", name, again, err)
		}
	}
}

func TestConnectForgejo(t *testing.T) {
	a := newAPITest(t, func(c *gitea.ClientConfig) { c.Flavor = gitea.Forgejo })
	a.srv.ServeHooks("federation", "commons", nil)
	got, err := a.client.Connect(context.Background(), commons, hookURL, "hook-secret")
	if err != nil {
		t.Fatal(err)
	}
	if got.Action != forges.ConnectCreated || got.HookID != 1 {
		t.Errorf("got %+v", got)
	}
	if err := fixtures.Subset([]byte(`{"type":"forgejo"}`), a.sent()[1].Body); err != nil {
		t.Error(err)
	}
}

// The recorded answer to a wrong token.
func TestBadToken(t *testing.T) {
	a := newAPITest(t, func(c *gitea.ClientConfig) { c.Token = "wrong-token" })
	_, err := a.client.DefaultBranch(context.Background(), commons)
	ae := apiError(t, err, "DefaultBranch")
	if ae.Status != 401 || ae.Message != "user does not exist [uid: 0, name: ]" || ae.Temporary() || ae.RateLimited() {
		t.Errorf("got %+v", ae)
	}
	if got := a.obs.last(t); got.outcome != "client_error" {
		t.Errorf("observer: %+v", got)
	}
}

func TestServerError(t *testing.T) {
	a := newAPITest(t, nil)
	a.srv.Replay("server-error-500")
	_, err := a.client.DefaultBranch(context.Background(), commons)
	ae := apiError(t, err, "DefaultBranch")
	if ae.Status != 500 || ae.Message != "GetRepositoryByName: database is locked" || !ae.Temporary() || ae.RateLimited() {
		t.Errorf("got %+v", ae)
	}
	if got := a.obs.last(t); got.outcome != "server_error" {
		t.Errorf("observer: %+v", got)
	}
}

func TestRateLimited429(t *testing.T) {
	a := newAPITest(t, nil)
	a.srv.Replay("rate-limit-429")
	_, err := a.client.DefaultBranch(context.Background(), commons)
	ae := apiError(t, err, "DefaultBranch")
	if ae.Status != 429 || !ae.RateLimited() || !ae.Temporary() || !ae.RetryAt.Equal(apiNow.Add(30*time.Second)) {
		t.Errorf("got %+v", ae)
	}
	if got := a.obs.last(t); got.outcome != "rate_limited" {
		t.Errorf("observer: %+v", got)
	}
}

func TestRateLimited403(t *testing.T) {
	a := newAPITest(t, nil)
	a.srv.Replay("rate-limit-403")
	_, err := a.client.DefaultBranch(context.Background(), commons)
	ae := apiError(t, err, "DefaultBranch")
	if ae.Status != 403 || !ae.RateLimited() || !ae.Temporary() || !ae.RetryAt.Equal(time.Unix(1795000000, 0)) {
		t.Errorf("got %+v", ae)
	}
	if ae.Message != "API rate limit exceeded" {
		t.Errorf("message %q", ae.Message)
	}
	if !reflect.DeepEqual(a.obs.limits, []int{0}) {
		t.Errorf("rate limits reported %v", a.obs.limits)
	}
}

// Every answer that says how much budget is left is reported, successes too.
func TestRateLimitReported(t *testing.T) {
	a := newAPITest(t, nil)
	resp := a.srv.Load("get-repo").Response
	resp.Headers = map[string]string{"X-RateLimit-Remaining": "4999", "X-RateLimit-Limit": "5000"}
	a.srv.Handle("GET", "/api/v1/repos/federation/commons", resp)
	if _, err := a.client.DefaultBranch(context.Background(), commons); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a.obs.limits, []int{4999}) {
		t.Errorf("rate limits reported %v", a.obs.limits)
	}
}

func TestNetworkError(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	obs := &observer{}
	c, err := gitea.NewClient(gitea.ClientConfig{Forge: "codeberg", BaseURL: dead.URL, Token: apiToken, Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.DefaultBranch(context.Background(), commons)
	ae := apiError(t, err, "DefaultBranch")
	if ae.Status != 0 || !ae.Temporary() || strings.Contains(err.Error(), apiToken) {
		t.Errorf("got %+v", ae)
	}
	if got := obs.last(t); got.outcome != "network_error" {
		t.Errorf("observer: %+v", got)
	}
}

// A request the SDK refuses to send (an empty comment) fails for good: it
// would be refused again.
func TestRefusedBeforeSending(t *testing.T) {
	a := newAPITest(t, nil)
	_, err := a.client.CreateComment(context.Background(), commons, 1, "")
	ae := apiError(t, err, "CreateComment")
	if ae.Temporary() || len(a.sent()) != 0 {
		t.Errorf("got %+v after %d requests", ae, len(a.sent()))
	}
}

// everyMethod calls each Client method once and says what it returned.
func everyMethod(c *gitea.Client) map[string]error {
	ctx := context.Background()
	errs := map[string]error{}
	_, errs["CreateComment"] = c.CreateComment(ctx, commons, 1, "hi")
	errs["EditComment"] = c.EditComment(ctx, commons, 5, "hi")
	_, errs["ListComments"] = c.ListComments(ctx, commons, 1)
	errs["AddLabels"] = c.AddLabels(ctx, commons, 1, []forges.Label{voteOpen})
	errs["RemoveLabel"] = c.RemoveLabel(ctx, commons, 1, "vote/open")
	errs["AddReaction"] = c.AddReaction(ctx, commons, 1, forges.ReactionEyes)
	_, errs["GetFile"] = c.GetFile(ctx, commons, "README.md", "")
	_, errs["ListDir"] = c.ListDir(ctx, commons, ".accord", "")
	_, errs["PutFile"] = c.PutFile(ctx, commons, "ledger/checkpoint.json", "main", []byte("{}"), "Checkpoint 1")
	_, errs["DefaultBranch"] = c.DefaultBranch(ctx, commons)
	_, errs["ResolveRef"] = c.ResolveRef(ctx, commons, "main")
	_, errs["Permission"] = c.Permission(ctx, commons, "bob")
	errs["SetStatus"] = c.SetStatus(ctx, commons, "50176b13984d7342f8a952c99a3f27a766ed5e80", forges.Status{State: forges.StatusPending, Context: "accord/vote"})
	_, errs["PullCommits"] = c.PullCommits(ctx, commons, 2)
	_, errs["PullFiles"] = c.PullFiles(ctx, commons, 2)
	_, _, errs["ListClosedPulls"] = c.ListClosedPulls(ctx, commons, 1)
	_, errs["ListReviews"] = c.ListReviews(ctx, commons, 2)
	_, _, errs["ListIssues"] = c.ListIssues(ctx, commons, 1)
	_, _, errs["ListReleases"] = c.ListReleases(ctx, commons, 1)
	_, errs["Connect"] = c.Connect(ctx, commons, hookURL, "hook-secret")
	_, errs["Check"] = c.Check(ctx)
	return errs
}

// Every method fails with an *forges.APIError naming it, reports the
// failure, and never lets the token out: not even when the answer quotes
// the request's Authorization header back, as a misconfigured proxy might.
func TestTokenNeverInErrors(t *testing.T) {
	echo := `{"message":"proxy: rejected Authorization: token ` + apiToken + `"}`
	for _, resp := range []fixtures.Response{
		{Status: 401, Body: json.RawMessage(echo)},
		{Status: 403, Body: json.RawMessage(echo)},
		{Status: 404, Body: json.RawMessage(echo)},
		{Status: 500, Body: json.RawMessage(echo)},
		{Status: 500, Headers: map[string]string{"Content-Type": "text/plain"}, Body: json.RawMessage(`"bad gateway, you sent token ` + apiToken + `"`)},
	} {
		a := newAPITest(t, nil)
		a.srv.Fallback(resp)
		for op, err := range everyMethod(a.client) {
			if op == "Permission" && (resp.Status == 403 || resp.Status == 404) {
				if err != nil {
					t.Errorf("%d: Permission: %v", resp.Status, err)
				}
				continue
			}
			ae := apiError(t, err, op)
			if ae.Status != resp.Status {
				t.Errorf("%d: %s: status %d", resp.Status, op, ae.Status)
			}
			if strings.Contains(err.Error(), apiToken) {
				t.Errorf("%d: %s: token in %q", resp.Status, op, err.Error())
			}
		}
		if len(a.obs.calls) != 21 {
			t.Errorf("%d: %d calls reported, want 21", resp.Status, len(a.obs.calls))
		}
		for _, c := range a.obs.calls {
			if strings.Contains(c.forge+c.op+c.outcome, apiToken) {
				t.Errorf("token reported to the observer: %+v", c)
			}
		}
	}
	a := newAPITest(t, func(c *gitea.ClientConfig) { c.Token = "wrong-token" })
	for op, err := range everyMethod(a.client) {
		if ae := apiError(t, err, op); ae.Status != 401 || strings.Contains(err.Error(), "wrong-token") {
			t.Errorf("%s: %v", op, err)
		}
	}
}

// TestFileHistory: the commits that changed a file, newest first, from
// Gitea's commit list filtered by path, at most limit, over pages.
func TestFileHistory(t *testing.T) {
	a := newAPITest(t, nil)
	items := a.srv.Items("pr-commits")
	var list []json.RawMessage
	for i := range 60 {
		list = append(list, reshape(t, items[0], map[string]any{"sha": fmt.Sprintf("%040x", 1000-i)}))
	}
	a.srv.Paged("GET", "/api/v1/repos/federation/commons/commits", list)
	got, err := a.client.FileHistory(context.Background(), commons, "accord/ledger.checkpoint", "main", 55)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 55 || got[0] != fmt.Sprintf("%040x", 1000) || got[54] != fmt.Sprintf("%040x", 1000-54) {
		t.Fatalf("got %d: %v … %v", len(got), got[:1], got[len(got)-1:])
	}
	// Without stat, verification and file lists: Gitea computes them per commit otherwise.
	a.wantCalls(t, "GET /api/v1/repos/federation/commons/commits?files=false&limit=50&page=1&path=accord%2Fledger.checkpoint&sha=main&stat=false&verification=false",
		"GET /api/v1/repos/federation/commons/commits?files=false&limit=50&page=2&path=accord%2Fledger.checkpoint&sha=main&stat=false&verification=false")
}
