package github_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/accord-coop/accord/forges"
	ghclient "github.com/accord-coop/accord/forges/github"
	"github.com/accord-coop/accord/forges/github/fixtures"
)

// The tests run the client against fixtures.Server, which answers with the
// recorded GitHub bodies in testdata/api (see its README).

const testToken = "ghp_TESTtoken0000000000000000000000000001"

var (
	ctx = context.Background()
	// now is the client's clock: what Retry-After counts from.
	now = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	// hello is the repository of the octokit recordings; octocat's that of
	// GitHub's documentation examples.
	hello   = forges.RepoRef{Owner: "octokit-fixture-org", Name: "hello-world"}
	octocat = forges.RepoRef{Owner: "octocat", Name: "Hello-World"}
)

const (
	helloPath   = "/repos/octokit-fixture-org/hello-world"
	octocatPath = "/repos/octocat/Hello-World"
)

// recorder is an Observer that keeps what it is told.
type recorder struct {
	mu        sync.Mutex
	calls     []string // "forge op outcome"
	remaining []int
}

func (r *recorder) APICall(forge, op, outcome string, took time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, forge+" "+op+" "+outcome)
}

func (r *recorder) RateLimit(forge string, remaining int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.remaining = append(r.remaining, remaining)
}

func (r *recorder) Calls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.calls...)
}

// tokenClient is a client with a personal access token, and its server,
// which expects that token on every request.
func tokenClient(t *testing.T) (*ghclient.Client, *fixtures.Server, *recorder) {
	t.Helper()
	srv := fixtures.New(t)
	srv.Auth = "Bearer " + testToken
	obs := &recorder{}
	c, err := ghclient.NewClient(ghclient.ClientConfig{
		Forge:    "gh-test",
		BaseURL:  srv.URL,
		Token:    testToken,
		Observer: obs,
		Now:      func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	return c, srv, obs
}

func eq[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// only returns the single request the server got.
func only(t *testing.T, srv *fixtures.Server) fixtures.Request {
	t.Helper()
	reqs := srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("got %d requests, want 1: %+v", len(reqs), reqs)
	}
	return reqs[0]
}

// paths lists the requests as "METHOD path".
func paths(srv *fixtures.Server) []string {
	var out []string
	for _, r := range srv.Requests() {
		out = append(out, r.Method+" "+r.Path)
	}
	return out
}

func apiError(t *testing.T, err error) *forges.APIError {
	t.Helper()
	var ae *forges.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v (%T) is not an *forges.APIError", err, err)
	}
	return ae
}

func TestNewClient(t *testing.T) {
	_, pemKey := testKey(t)
	if _, err := ghclient.NewClient(ghclient.ClientConfig{Forge: "gh"}); err == nil {
		t.Error("no credentials: no error")
	}
	bad := []byte("-----BEGIN RSA PRIVATE KEY-----\nbm90IGEga2V5\n-----END RSA PRIVATE KEY-----\n")
	_, err := ghclient.NewClient(ghclient.ClientConfig{Forge: "gh", AppID: 1, PrivateKey: bad})
	if err == nil || strings.Contains(err.Error(), "bm90IGEga2V5") || strings.Contains(err.Error(), "BEGIN") {
		t.Errorf("bad key: error %v", err)
	}
	if _, err := ghclient.NewClient(ghclient.ClientConfig{Forge: "gh", BaseURL: "not a url", Token: "x"}); err == nil {
		t.Error("relative base URL: no error")
	}
	if _, err := ghclient.NewClient(ghclient.ClientConfig{Forge: "gh", AppID: 1, PrivateKey: pemKey}); err != nil {
		t.Errorf("App: %v", err)
	}
	if _, err := ghclient.NewClient(ghclient.ClientConfig{Token: "x"}); err != nil {
		t.Errorf("token: %v", err)
	}
}

func TestCreateComment(t *testing.T) {
	c, srv, obs := tokenClient(t)
	srv.Handle("POST", octocatPath+"/issues/1347/comments", fixtures.Route{
		Status: http.StatusCreated,
		Body:   fixtures.Load(t, "issue-comment"),
		JSON:   map[string]any{"body": "Me too"},
	})
	got, err := c.CreateComment(ctx, octocat, 1347, "Me too")
	must(t, err)
	eq(t, "comment", *got, forges.Comment{
		ID:        1,
		Body:      "Me too",
		Author:    forges.User{ID: 1, Login: "octocat"},
		CreatedAt: ts("2011-04-14T16:00:49Z"),
		UpdatedAt: ts("2011-04-14T16:00:49Z"),
		URL:       "https://github.com/octocat/Hello-World/issues/1347#issuecomment-1",
	})
	req := only(t, srv)
	eq(t, "auth", req.Auth(), "Bearer "+testToken)
	eq(t, "observed", obs.Calls(), []string{"gh-test CreateComment ok"})
	eq(t, "rate remaining", obs.remaining, []int{4999})
}

func TestEditComment(t *testing.T) {
	c, srv, _ := tokenClient(t)
	srv.Handle("PATCH", octocatPath+"/issues/comments/1", fixtures.Route{
		Body: fixtures.Load(t, "issue-comment"),
		JSON: map[string]any{"body": "Edited"},
	})
	must(t, c.EditComment(ctx, octocat, 1, "Edited"))
	eq(t, "requests", paths(srv), []string{"PATCH " + octocatPath + "/issues/comments/1"})
}

func TestListCommentsPaginates(t *testing.T) {
	c, srv, obs := tokenClient(t)
	srv.Handle("GET", octocatPath+"/issues/1347/comments", fixtures.Route{
		Pages: [][]byte{fixtures.Load(t, "list-comments-1"), fixtures.Load(t, "list-comments-2")},
		Query: map[string][]string{"per_page": {"100"}},
	})
	got, err := c.ListComments(ctx, octocat, 1347)
	must(t, err)
	var ids []int64
	for _, cm := range got {
		ids = append(ids, cm.ID)
	}
	eq(t, "ids", ids, []int64{1, 2, 3})
	eq(t, "bot", got[1].Author, forges.User{ID: 41898282, Login: "accord-bot[bot]", Bot: true})
	eq(t, "updated", got[1].UpdatedAt, ts("2011-04-15T10:00:00Z"))
	var pages []string
	for _, r := range srv.Requests() {
		pages = append(pages, r.Query.Get("page"))
	}
	eq(t, "pages asked", pages, []string{"1", "2"})
	eq(t, "observed", obs.Calls(), []string{"gh-test ListComments ok", "gh-test ListComments ok"})
}

func TestAddLabelsCreatesMissing(t *testing.T) {
	c, srv, _ := tokenClient(t)
	labels := helloPath + "/labels"
	srv.Handle("GET", labels+"/test-label", fixtures.Route{Body: fixtures.Load(t, "get-label")})
	srv.Handle("GET", labels+"/needs%20vote", fixtures.Route{Status: 404, Body: fixtures.Load(t, "not-found")})
	srv.Handle("GET", labels+"/kind%2Fbug", fixtures.Route{Status: 404, Body: fixtures.Load(t, "not-found")})
	var created []map[string]any
	srv.Handle("POST", labels, fixtures.Route{Handle: func(r fixtures.Request) (int, []byte) {
		var l map[string]any
		must(t, json.Unmarshal(r.Body, &l))
		created = append(created, l)
		if l["name"] == "kind/bug" { // someone else made it meanwhile
			return http.StatusUnprocessableEntity, fixtures.Load(t, "label-already-exists")
		}
		return http.StatusCreated, fixtures.Load(t, "create-label")
	}})
	srv.Handle("POST", helloPath+"/issues/1/labels", fixtures.Route{
		Body: fixtures.Load(t, "add-labels-to-issue"),
		JSON: []string{"test-label", "needs vote", "kind/bug"},
	})

	must(t, c.AddLabels(ctx, hello, 1, []forges.Label{
		{Name: "test-label", Color: "663399"},
		{Name: "needs vote", Color: "0e8a16", Description: "Waiting for the vote"},
		{Name: "kind/bug", Color: "#d73a4a"},
	}))
	eq(t, "requests", paths(srv), []string{
		"GET " + labels + "/test-label",
		"GET " + labels + "/needs%20vote",
		"POST " + labels,
		"GET " + labels + "/kind%2Fbug",
		"POST " + labels,
		"POST " + helloPath + "/issues/1/labels",
	})
	eq(t, "created", created, []map[string]any{
		{"name": "needs vote", "color": "0e8a16", "description": "Waiting for the vote"},
		{"name": "kind/bug", "color": "d73a4a"},
	})
}

func TestAddLabelsValidationFailed(t *testing.T) {
	c, srv, obs := tokenClient(t)
	srv.Handle("GET", helloPath+"/labels/foo", fixtures.Route{Status: 404, Body: fixtures.Load(t, "not-found")})
	srv.Handle("POST", helloPath+"/labels", fixtures.Route{
		Status: http.StatusUnprocessableEntity,
		Body:   fixtures.Load(t, "validation-failed"), // octokit's errors scenario
		JSON:   map[string]any{"name": "foo", "color": "invalid"},
	})
	err := c.AddLabels(ctx, hello, 1, []forges.Label{{Name: "foo", Color: "invalid"}})
	ae := apiError(t, err)
	eq(t, "status", ae.Status, 422)
	eq(t, "message", ae.Message, "Validation Failed")
	eq(t, "temporary", ae.Temporary(), false)
	eq(t, "error", err.Error(), "gh-test AddLabels: 422 Validation Failed")
	eq(t, "observed", obs.Calls(), []string{"gh-test AddLabels not_found", "gh-test AddLabels client_error"})
}

func TestRemoveLabel(t *testing.T) {
	c, srv, _ := tokenClient(t)
	path := helloPath + "/issues/1/labels/needs%20vote"
	srv.Handle("DELETE", path, fixtures.Route{Body: fixtures.Load(t, "add-labels-to-issue")})
	must(t, c.RemoveLabel(ctx, hello, 1, "needs vote"))
	eq(t, "requests", paths(srv), []string{"DELETE " + path})

	srv.Handle("DELETE", path, fixtures.Route{Status: 404, Body: fixtures.Load(t, "not-found")})
	if err := c.RemoveLabel(ctx, hello, 1, "needs vote"); err != nil {
		t.Errorf("label not there: %v", err)
	}
}

func TestAddReaction(t *testing.T) {
	c, srv, _ := tokenClient(t)
	srv.Handle("POST", octocatPath+"/issues/comments/1/reactions", fixtures.Route{
		Status: http.StatusCreated,
		Body:   fixtures.Load(t, "reaction"),
		JSON:   map[string]any{"content": "+1"},
	})
	must(t, c.AddReaction(ctx, octocat, 1, forges.ReactionThumbsUp))
	eq(t, "method", only(t, srv).Method, "POST")
}

func TestGetFile(t *testing.T) {
	c, srv, _ := tokenClient(t)
	srv.Handle("GET", helloPath+"/contents/README.md", fixtures.Route{
		Body:  fixtures.Load(t, "get-content-file"),
		Query: map[string][]string{"ref": {"master"}},
	})
	got, err := c.GetFile(ctx, hello, "README.md", "master")
	must(t, err)
	eq(t, "content", string(got), "# hello-world")

	t.Run("default branch", func(t *testing.T) {
		srv.Handle("GET", helloPath+"/contents/README.md", fixtures.Route{Body: fixtures.Load(t, "get-content-file")})
		_, err := c.GetFile(ctx, hello, "README.md", "")
		must(t, err)
		reqs := srv.Requests()
		if q := reqs[len(reqs)-1].Query; q.Has("ref") {
			t.Errorf("query %v: ref sent for the default branch", q)
		}
	})
	t.Run("directory", func(t *testing.T) {
		srv.Handle("GET", helloPath+"/contents/", fixtures.Route{Body: fixtures.Load(t, "get-content-dir")})
		_, err := c.GetFile(ctx, hello, "", "")
		ae := apiError(t, err)
		eq(t, "status", ae.Status, 422)
		eq(t, "temporary", ae.Temporary(), false)
		if !strings.Contains(ae.Message, "is a directory") {
			t.Errorf("message %q", ae.Message)
		}
	})
	t.Run("missing", func(t *testing.T) {
		srv.Handle("GET", helloPath+"/contents/.accord/policy.yaml", fixtures.Route{Status: 404, Body: fixtures.Load(t, "not-found")})
		_, err := c.GetFile(ctx, hello, ".accord/policy.yaml", "")
		if !errors.Is(err, forges.ErrNotFound) {
			t.Errorf("error %v is not ErrNotFound", err)
		}
		eq(t, "message", apiError(t, err).Message, "Not Found")
	})
	t.Run("dot dot", func(t *testing.T) {
		n := len(srv.Requests())
		_, err := c.GetFile(ctx, hello, "../secrets", "")
		eq(t, "status", apiError(t, err).Status, 422)
		eq(t, "requests made", len(srv.Requests()), n)
	})
}

func TestListDir(t *testing.T) {
	c, srv, _ := tokenClient(t)
	srv.Handle("GET", helloPath+"/contents/", fixtures.Route{Body: fixtures.Load(t, "get-content-dir")})
	got, err := c.ListDir(ctx, hello, "", "")
	must(t, err)
	eq(t, "entries", got, []forges.DirEntry{
		{Name: "README.md", Path: "README.md", Type: "file", SHA: "93a078d1c3f76aa1ca11def8f882a06df1d4a01b"},
	})

	srv.Handle("GET", helloPath+"/contents/README.md", fixtures.Route{Body: fixtures.Load(t, "get-content-file")})
	_, err = c.ListDir(ctx, hello, "README.md", "")
	eq(t, "file as dir", apiError(t, err).Status, 422)
}

// createFile is the repository of octokit's create-file recording.
var createFile = forges.RepoRef{Owner: "octokit-fixture-org", Name: "create-file"}

const createFilePath = "/repos/octokit-fixture-org/create-file"

// recordedCommit is the commit the create-file recording answers with.
const recordedCommit = "0000000000000000000000000000000000000002"

// fileBody is the recorded file answer (get-content-file) made into the
// answer for path holding content: name, path, size, content and blob SHA.
func fileBody(t *testing.T, path, content string) []byte {
	t.Helper()
	var doc map[string]any
	must(t, json.Unmarshal(fixtures.Load(t, "get-content-file"), &doc))
	doc["name"] = path[strings.LastIndex(path, "/")+1:]
	doc["path"] = path
	doc["size"] = len(content)
	doc["content"] = base64.StdEncoding.EncodeToString([]byte(content)) + "\n"
	doc["sha"] = forges.BlobSHA([]byte(content))
	b, err := json.Marshal(doc)
	must(t, err)
	return b
}

// sentJSON is the JSON body of a request.
func sentJSON(t *testing.T, r fixtures.Request) map[string]any {
	t.Helper()
	var body map[string]any
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatalf("%s %s: body %q: %v", r.Method, r.Path, r.Body, err)
	}
	return body
}

// The recorded create-file exchange: the file is not there (404), so it is
// created, with no SHA, on the default branch.
func TestPutFileCreates(t *testing.T) {
	c, srv, obs := tokenClient(t)
	path := createFilePath + "/contents/test.txt"
	srv.Handle("GET", path, fixtures.Route{Status: 404, Body: fixtures.Load(t, "not-found")})
	srv.Handle("PUT", path, fixtures.Route{
		Status: http.StatusCreated,
		Body:   fixtures.Load(t, "create-file"),
		JSON:   map[string]any{"message": "create test.txt", "content": "VGVzdCBjb250ZW50"}, // as recorded
	})
	got, err := c.PutFile(ctx, createFile, "test.txt", "", []byte("Test content"), "create test.txt")
	must(t, err)
	eq(t, "commit", got, recordedCommit)
	eq(t, "requests", paths(srv), []string{"GET " + path, "PUT " + path})
	reqs := srv.Requests()
	eq(t, "ref asked", reqs[0].Query.Has("ref"), false)
	sent := sentJSON(t, reqs[1])
	for _, field := range []string{"sha", "branch"} {
		if v, ok := sent[field]; ok {
			t.Errorf("%s %v sent for a new file on the default branch", field, v)
		}
	}
	eq(t, "observed", obs.Calls(), []string{"gh-test PutFile not_found", "gh-test PutFile ok"})
}

// A file that is there is replaced on the branch, with its blob SHA.
func TestPutFileUpdates(t *testing.T) {
	c, srv, obs := tokenClient(t)
	path := helloPath + "/contents/README.md"
	srv.Handle("GET", path, fixtures.Route{
		Body:  fixtures.Load(t, "get-content-file"),
		Query: map[string][]string{"ref": {"master"}},
	})
	srv.Handle("PUT", path, fixtures.Route{
		Body: fixtures.Load(t, "create-file"), // an update answers the same shape, 200
		JSON: map[string]any{
			"message": "Checkpoint 7",
			"content": base64.StdEncoding.EncodeToString([]byte("# hello-world\n\nsigned\n")),
			"sha":     "93a078d1c3f76aa1ca11def8f882a06df1d4a01b",
			"branch":  "master",
		},
	})
	got, err := c.PutFile(ctx, hello, "README.md", "master", []byte("# hello-world\n\nsigned\n"), "Checkpoint 7")
	must(t, err)
	eq(t, "commit", got, recordedCommit)
	eq(t, "requests", paths(srv), []string{"GET " + path, "PUT " + path})
	eq(t, "observed", obs.Calls(), []string{"gh-test PutFile ok", "gh-test PutFile ok"})
}

// The content already there makes no commit: no PUT at all.
func TestPutFileUnchanged(t *testing.T) {
	c, srv, obs := tokenClient(t)
	path := helloPath + "/contents/README.md"
	srv.Handle("GET", path, fixtures.Route{Body: fixtures.Load(t, "get-content-file")})
	got, err := c.PutFile(ctx, hello, "README.md", "", []byte("# hello-world"), "Checkpoint 7")
	must(t, err)
	eq(t, "commit", got, "")
	eq(t, "requests", paths(srv), []string{"GET " + path})
	eq(t, "observed", obs.Calls(), []string{"gh-test PutFile ok"})

	t.Run("content not sent", func(t *testing.T) {
		// A file over 1 MB comes with encoding "none" and no content: its
		// blob SHA says whether it holds the same.
		big := withField(t, "get-content-file", "encoding", "none")
		var doc map[string]any
		must(t, json.Unmarshal(big, &doc))
		doc["content"] = ""
		big, err := json.Marshal(doc)
		must(t, err)
		srv.Handle("GET", path, fixtures.Route{Body: big})
		n := srv.Count("PUT", path)
		got, err := c.PutFile(ctx, hello, "README.md", "", []byte("# hello-world"), "Checkpoint 7")
		must(t, err)
		eq(t, "commit", got, "")
		eq(t, "PUTs", srv.Count("PUT", path), n)

		srv.Handle("PUT", path, fixtures.Route{
			Body: fixtures.Load(t, "create-file"),
			JSON: map[string]any{"sha": "93a078d1c3f76aa1ca11def8f882a06df1d4a01b"},
		})
		got, err = c.PutFile(ctx, hello, "README.md", "", []byte("# hello-world!"), "Checkpoint 7")
		must(t, err)
		eq(t, "commit", got, recordedCommit)
	})
}

// A path with spaces, slashes and a "#" reaches GitHub whole, escaped.
func TestPutFileEscapesPath(t *testing.T) {
	c, srv, _ := tokenClient(t)
	path := octocatPath + "/contents/ledger/signed%20checkpoint%20%233.json"
	srv.Handle("GET", path, fixtures.Route{Status: 404, Body: fixtures.Load(t, "not-found")})
	srv.Handle("PUT", path, fixtures.Route{Status: http.StatusCreated, Body: fixtures.Load(t, "create-file")})
	_, err := c.PutFile(ctx, octocat, "ledger/signed checkpoint #3.json", "main", []byte("{}"), "Checkpoint 3")
	must(t, err)
	eq(t, "requests", paths(srv), []string{"GET " + path, "PUT " + path})
}

// Someone changed the file between the read and the write: GitHub's 409
// for a stale SHA, and its 422 for a file created since it was found
// missing, are conflicts to try again.
func TestPutFileConflict(t *testing.T) {
	path := createFilePath + "/contents/test.txt"
	t.Run("stale SHA", func(t *testing.T) {
		c, srv, obs := tokenClient(t)
		srv.Handle("GET", path, fixtures.Route{Body: fileBody(t, "test.txt", "Test content")})
		srv.Handle("PUT", path, fixtures.Route{
			Status: http.StatusConflict,
			Body:   fixtures.Load(t, "file-conflict"),
			JSON:   map[string]any{"sha": "3f3f005b29247e51a4f4d6b8ce07b67646cd6074"},
		})
		_, err := c.PutFile(ctx, createFile, "test.txt", "main", []byte("Test content, signed"), "Checkpoint 8")
		ae := apiError(t, err)
		eq(t, "status", ae.Status, 409)
		eq(t, "conflict", ae.Conflict, true)
		eq(t, "temporary", ae.Temporary(), true)
		eq(t, "not found", errors.Is(err, forges.ErrNotFound), false)
		eq(t, "error", err.Error(), "gh-test PutFile: 409 test.txt does not match 3f3f005b29247e51a4f4d6b8ce07b67646cd6074")
		eq(t, "observed", obs.Calls(), []string{"gh-test PutFile ok", "gh-test PutFile client_error"})
	})
	t.Run("created meanwhile", func(t *testing.T) {
		c, srv, _ := tokenClient(t)
		srv.Handle("GET", path, fixtures.Route{Status: 404, Body: fixtures.Load(t, "not-found")})
		srv.Handle("PUT", path, fixtures.Route{Status: 422, Body: fixtures.Load(t, "sha-not-supplied")})
		_, err := c.PutFile(ctx, createFile, "test.txt", "main", []byte("Test content"), "Checkpoint 8")
		ae := apiError(t, err)
		eq(t, "status", ae.Status, 422)
		eq(t, "conflict", ae.Conflict, true)
		eq(t, "temporary", ae.Temporary(), true)
	})
	t.Run("other 422", func(t *testing.T) {
		c, srv, _ := tokenClient(t)
		srv.Handle("GET", path, fixtures.Route{Status: 404, Body: fixtures.Load(t, "not-found")})
		srv.Handle("PUT", path, fixtures.Route{Status: 422, Body: fixtures.Load(t, "validation-failed")})
		_, err := c.PutFile(ctx, createFile, "test.txt", "main", []byte("Test content"), "Checkpoint 8")
		ae := apiError(t, err)
		eq(t, "conflict", ae.Conflict, false)
		eq(t, "temporary", ae.Temporary(), false)
	})
}

// A repository that is not there (or not visible to the token): the read
// and the write both answer 404, which is permanent.
func TestPutFileRepoNotFound(t *testing.T) {
	c, srv, obs := tokenClient(t)
	gone := forges.RepoRef{Owner: "octocat", Name: "gone"}
	path := "/repos/octocat/gone/contents/ledger/checkpoint.json"
	srv.Handle("GET", path, fixtures.Route{Status: 404, Body: fixtures.Load(t, "not-found")})
	srv.Handle("PUT", path, fixtures.Route{Status: 404, Body: fixtures.Load(t, "not-found")})
	_, err := c.PutFile(ctx, gone, "ledger/checkpoint.json", "main", []byte("{}"), "Checkpoint 1")
	if !errors.Is(err, forges.ErrNotFound) {
		t.Fatalf("error %v is not ErrNotFound", err)
	}
	ae := apiError(t, err)
	eq(t, "temporary", ae.Temporary(), false)
	eq(t, "conflict", ae.Conflict, false)
	eq(t, "message", ae.Message, "Not Found")
	eq(t, "observed", obs.Calls(), []string{"gh-test PutFile not_found", "gh-test PutFile not_found"})
}

// What PutFile refuses: a directory (after reading it), and paths that
// name no file or climb out (before asking GitHub anything).
func TestPutFileRefuses(t *testing.T) {
	c, srv, _ := tokenClient(t)
	srv.Handle("GET", helloPath+"/contents/docs", fixtures.Route{Body: fixtures.Load(t, "get-content-dir")})
	_, err := c.PutFile(ctx, hello, "docs", "", []byte("x"), "x")
	ae := apiError(t, err)
	eq(t, "status", ae.Status, 422)
	eq(t, "temporary", ae.Temporary(), false)
	eq(t, "requests", paths(srv), []string{"GET " + helloPath + "/contents/docs"})

	for _, p := range []string{"", "ledger/", "../secrets", "ledger/../../x"} {
		n := len(srv.Requests())
		_, err := c.PutFile(ctx, hello, p, "", []byte("x"), "x")
		eq(t, p+": status", apiError(t, err).Status, 422)
		eq(t, p+": requests made", len(srv.Requests()), n)
	}
}

func TestDefaultBranch(t *testing.T) {
	c, srv, _ := tokenClient(t)
	srv.Handle("GET", helloPath, fixtures.Route{Body: fixtures.Load(t, "get-repository")})
	got, err := c.DefaultBranch(ctx, hello)
	must(t, err)
	eq(t, "branch", got, "master")
	eq(t, "requests", paths(srv), []string{"GET " + helloPath})
}

// helloSHA is the head of octocat/Hello-World's master in GitHub's
// documentation examples.
const helloSHA = "7fd1a60b01f91b314f59955a4e4d4e80d8edf11d"

// shaRoute answers GET …/commits/{ref} as GitHub does when asked for the
// "sha" media type: the bare SHA, as plain text.
func shaRoute(sha string) fixtures.Route {
	return fixtures.Route{
		Body:   []byte(sha),
		Header: http.Header{"Content-Type": {"application/vnd.github.v3.sha"}},
	}
}

func TestResolveRef(t *testing.T) {
	c, srv, obs := tokenClient(t)
	srv.Handle("GET", octocatPath+"/commits/master", shaRoute(helloSHA))
	got, err := c.ResolveRef(ctx, octocat, "master")
	must(t, err)
	eq(t, "sha", got, helloSHA)
	req := only(t, srv)
	eq(t, "request", req.Method+" "+req.Path, "GET "+octocatPath+"/commits/master")
	eq(t, "accept", req.Header.Get("Accept"), "application/vnd.github.v3.sha")
	eq(t, "auth", req.Auth(), "Bearer "+testToken)
	eq(t, "observed", obs.Calls(), []string{"gh-test ResolveRef ok"})

	t.Run("default branch", func(t *testing.T) {
		// GitHub resolves HEAD to the default branch: one request.
		srv.Handle("GET", octocatPath+"/commits/HEAD", shaRoute(helloSHA))
		got, err := c.ResolveRef(ctx, octocat, "")
		must(t, err)
		eq(t, "sha", got, helloSHA)
		eq(t, "requests", srv.Count("GET", octocatPath+"/commits/HEAD"), 1)
	})
	t.Run("branch with a slash", func(t *testing.T) {
		srv.Handle("GET", octocatPath+"/commits/release/v1.0", shaRoute(helloSHA))
		got, err := c.ResolveRef(ctx, octocat, "release/v1.0")
		must(t, err)
		eq(t, "sha", got, helloSHA)
	})
	t.Run("not found", func(t *testing.T) {
		srv.Handle("GET", octocatPath+"/commits/gone", fixtures.Route{Status: 404, Body: fixtures.Load(t, "not-found")})
		_, err := c.ResolveRef(ctx, octocat, "gone")
		if !errors.Is(err, forges.ErrNotFound) {
			t.Errorf("error %v is not ErrNotFound", err)
		}
		eq(t, "message", apiError(t, err).Message, "Not Found")
	})
	t.Run("not a commit", func(t *testing.T) {
		srv.Handle("GET", octocatPath+"/commits/nope", fixtures.Route{Status: 422, Body: fixtures.Load(t, "no-commit-found")})
		_, err := c.ResolveRef(ctx, octocat, "nope")
		ae := apiError(t, err)
		eq(t, "status", ae.Status, 422)
		eq(t, "message", ae.Message, "No commit found for SHA: nope")
		eq(t, "temporary", ae.Temporary(), false)
		eq(t, "not found", errors.Is(err, forges.ErrNotFound), false)
		eq(t, "error", err.Error(), "gh-test ResolveRef: 422 No commit found for SHA: nope")
		calls := obs.Calls()
		eq(t, "observed", calls[len(calls)-1], "gh-test ResolveRef client_error")
	})
	t.Run("answer not a SHA", func(t *testing.T) {
		srv.Handle("GET", octocatPath+"/commits/proxied", fixtures.Route{
			Body:   []byte("<html>Sign in</html>"),
			Header: http.Header{"Content-Type": {"text/html"}},
		})
		_, err := c.ResolveRef(ctx, octocat, "proxied")
		ae := apiError(t, err)
		eq(t, "status", ae.Status, 422)
		eq(t, "temporary", ae.Temporary(), false)
	})
	t.Run("dot dot", func(t *testing.T) {
		n := len(srv.Requests())
		_, err := c.ResolveRef(ctx, octocat, "../../../user")
		eq(t, "status", apiError(t, err).Status, 422)
		eq(t, "requests made", len(srv.Requests()), n)
	})
}

func TestPermission(t *testing.T) {
	c, srv, _ := tokenClient(t)
	path := octocatPath + "/collaborators/octocat/permission"
	for _, tc := range []struct{ github, want string }{
		{"admin", forges.PermAdmin},
		{"maintain", forges.PermWrite},
		{"write", forges.PermWrite},
		{"triage", forges.PermRead},
		{"read", forges.PermRead},
		{"none", forges.PermNone},
		{"something-new", forges.PermNone},
	} {
		srv.Handle("GET", path, fixtures.Route{Body: withField(t, "collaborator-permission", "permission", tc.github)})
		got, err := c.Permission(ctx, octocat, "octocat")
		must(t, err)
		eq(t, tc.github, got, tc.want)
	}

	srv.Handle("GET", path, fixtures.Route{Status: 404, Body: fixtures.Load(t, "not-found")})
	got, err := c.Permission(ctx, octocat, "octocat")
	must(t, err)
	eq(t, "not a collaborator", got, forges.PermNone)

	// A bot's login is escaped into the path.
	bot := octocatPath + "/collaborators/dependabot%5Bbot%5D/permission"
	srv.Handle("GET", bot, fixtures.Route{Body: withField(t, "collaborator-permission", "permission", "write")})
	got, err = c.Permission(ctx, octocat, "dependabot[bot]")
	must(t, err)
	eq(t, "bot", got, forges.PermWrite)
}

// withField is a recorded body with one top-level field changed.
func withField(t *testing.T, name, field string, value any) []byte {
	t.Helper()
	var doc map[string]any
	must(t, json.Unmarshal(fixtures.Load(t, name), &doc))
	doc[field] = value
	b, err := json.Marshal(doc)
	must(t, err)
	return b
}

func TestSetStatus(t *testing.T) {
	c, srv, _ := tokenClient(t)
	repo := forges.RepoRef{Owner: "octokit-fixture-org", Name: "create-status"}
	sha := "0000000000000000000000000000000000000001"
	path := "/repos/octokit-fixture-org/create-status/statuses/" + sha
	srv.Handle("POST", path, fixtures.Route{
		Status: http.StatusCreated,
		Body:   fixtures.Load(t, "create-status"),
		JSON: map[string]any{ // the request octokit recorded
			"state":       "failure",
			"target_url":  "https://example.com",
			"description": "create-status failure test",
			"context":     "example/1",
		},
	})
	must(t, c.SetStatus(ctx, repo, sha, forges.Status{
		State:       forges.StatusFailure,
		Context:     "example/1",
		Description: "create-status failure test",
		TargetURL:   "https://example.com",
	}))

	srv.Handle("POST", path, fixtures.Route{Status: http.StatusCreated, Body: fixtures.Load(t, "create-status")})
	must(t, c.SetStatus(ctx, repo, sha, forges.Status{State: forges.StatusPending, Context: "accord/vote", Description: strings.Repeat("é", 200)}))
	reqs := srv.Requests()
	var sent map[string]any
	must(t, json.Unmarshal(reqs[len(reqs)-1].Body, &sent))
	if d, _ := sent["description"].(string); utf8.RuneCountInString(d) != 140 {
		t.Errorf("description of %d characters sent, want 140", utf8.RuneCountInString(d))
	}
	if _, ok := sent["target_url"]; ok {
		t.Errorf("empty target_url sent: %v", sent)
	}
}

func TestPullCommitsPaginates(t *testing.T) {
	c, srv, _ := tokenClient(t)
	srv.Handle("GET", octocatPath+"/pulls/1347/commits", fixtures.Route{
		Pages: [][]byte{fixtures.Load(t, "pull-commits-1"), fixtures.Load(t, "pull-commits-2")},
		Query: map[string][]string{"per_page": {"100"}},
	})
	got, err := c.PullCommits(ctx, octocat, 1347)
	must(t, err)
	eq(t, "commits", got, []forges.Commit{
		{
			SHA:         "6dcb09b5b57875f334f61aebed695e2e4193db5e",
			Message:     "Fix all the bugs",
			AuthorName:  "Monalisa Octocat",
			AuthorEmail: "support@github.com",
			AuthorLogin: "octocat",
			Time:        ts("2011-04-14T16:00:49Z"),
		},
		{
			SHA:         "7638417db6d59f3c431d3e1f261cc637155684cd",
			Message:     "Add the docs\n\nCo-authored-by: Hubot <hubot@example.com>",
			AuthorName:  "Unmatched Person",
			AuthorEmail: "someone@example.org",
			Time:        ts("2011-04-15T08:00:00Z"),
		},
	})
	eq(t, "requests", len(srv.Requests()), 2)
}

// PullFiles follows the Link header over both pages and returns every
// file's name and a rename's previous name, sorted, each once.
func TestPullFiles(t *testing.T) {
	c, srv, obs := tokenClient(t)
	path := octocatPath + "/pulls/1347/files"
	srv.Handle("GET", path, fixtures.Route{
		Pages: [][]byte{fixtures.Load(t, "pull-files-1"), fixtures.Load(t, "pull-files-2")},
		Query: map[string][]string{"per_page": {"100"}},
	})
	got, err := c.PullFiles(ctx, octocat, 1347)
	must(t, err)
	eq(t, "paths", got, []string{
		"accord/governance.yml", // modified
		"docs/guide.md",         // renamed …
		"file1.txt",             // added
		"guide.md",              // … from here
		"obsolete.txt",          // removed
	})
	reqs := srv.Requests()
	eq(t, "requests", len(reqs), 2)
	for i, r := range reqs {
		eq(t, "request", r.Method+" "+r.Path, "GET "+path)
		eq(t, "auth", r.Auth(), "Bearer "+testToken)
		eq(t, "query", r.Query, url.Values{"page": {strconv.Itoa(i + 1)}, "per_page": {"100"}})
	}
	eq(t, "observed", obs.Calls(), []string{"gh-test PullFiles ok", "gh-test PullFiles ok"})
}

// A file listed twice (the pull request changed between two pages) comes
// back once; a pull request that changes nothing gives no paths.
func TestPullFilesOnce(t *testing.T) {
	c, srv, _ := tokenClient(t)
	path := octocatPath + "/pulls/1347/files"
	page1 := fixtures.Load(t, "pull-files-1")
	srv.Handle("GET", path, fixtures.Route{Pages: [][]byte{page1, page1}})
	got, err := c.PullFiles(ctx, octocat, 1347)
	must(t, err)
	eq(t, "paths", got, []string{"accord/governance.yml", "file1.txt"})

	srv.Handle("GET", path, fixtures.Route{Body: []byte("[]")})
	got, err = c.PullFiles(ctx, octocat, 1347)
	must(t, err)
	eq(t, "no paths", len(got), 0)
}

// octocatUser is octocat as GitHub's documentation examples have it.
var octocatUser = forges.User{ID: 1, Login: "octocat"}

// listQuery is the query of page n of a list sorted oldest first.
func listQuery(state, page string) map[string][]string {
	return map[string][]string{
		"state": {state}, "sort": {"created"}, "direction": {"asc"},
		"page": {page}, "per_page": {"100"},
	}
}

func TestListClosedPulls(t *testing.T) {
	c, srv, obs := tokenClient(t)
	srv.Handle("GET", octocatPath+"/pulls", fixtures.Route{
		Body:  fixtures.Load(t, "list-pulls"),
		Query: listQuery("closed", "1"),
	})
	got, next, err := c.ListClosedPulls(ctx, octocat, 1)
	must(t, err)
	eq(t, "page", next, forges.Page{Last: 1})
	eq(t, "pulls", got, []forges.PullRequest{
		{
			Number:         1347,
			Title:          "Amazing new feature",
			Author:         octocatUser,
			State:          "closed",
			Merged:         true, // from merged_at: the list sends no "merged"
			MergedAt:       ts("2011-01-26T19:01:12Z"),
			MergeCommitSHA: "e5bd3914e2e596debea16f433f57875b5b90bcd6",
			HeadSHA:        "6dcb09b5b57875f334f61aebed695e2e4193db5e",
			HeadRef:        "new-topic",
			BaseRef:        "master",
			Labels:         []string{"bug"},
			URL:            "https://github.com/octocat/Hello-World/pull/1347",
		},
		{
			Number:  1348,
			Title:   "Not this time",
			Author:  octocatUser,
			State:   "closed",
			HeadSHA: "7638417db6d59f3c431d3e1f261cc637155684cd",
			HeadRef: "other-topic",
			BaseRef: "master",
			Labels:  []string{},
			URL:     "https://github.com/octocat/Hello-World/pull/1348",
			// No MergeCommitSHA: an unmerged PR's is a test merge.
		},
	})
	req := only(t, srv)
	eq(t, "request", req.Method+" "+req.Path, "GET "+octocatPath+"/pulls")
	eq(t, "auth", req.Auth(), "Bearer "+testToken)
	eq(t, "observed", obs.Calls(), []string{"gh-test ListClosedPulls ok"})
}

func TestListReviews(t *testing.T) {
	c, srv, obs := tokenClient(t)
	path := octocatPath + "/pulls/12/reviews"
	srv.Handle("GET", path, fixtures.Route{
		Pages: [][]byte{fixtures.Load(t, "list-reviews-1"), fixtures.Load(t, "list-reviews-2")},
		Query: map[string][]string{"per_page": {"100"}},
	})
	got, err := c.ListReviews(ctx, octocat, 12)
	must(t, err)
	hubot := forges.User{ID: 2, Login: "hubot"}
	eq(t, "reviews", got, []forges.Review{
		{
			ID:          80,
			State:       forges.ReviewApproved,
			Body:        "Here is the body for the review.",
			Author:      octocatUser,
			SubmittedAt: ts("2019-11-17T17:43:43Z"),
			CommitSHA:   "ecdd80bb57125d7ba9641ffaa4d7d2c19d3f3091",
		},
		{
			ID:          81,
			State:       forges.ReviewChangesRequested,
			Body:        "Please add a test.",
			Author:      hubot,
			SubmittedAt: ts("2019-11-17T18:00:00Z"),
			CommitSHA:   "ecdd80bb57125d7ba9641ffaa4d7d2c19d3f3091",
		},
		// 82 is PENDING: not submitted.
		{
			ID:          83,
			State:       forges.ReviewCommented,
			Body:        "Looks better now.",
			Author:      hubot,
			SubmittedAt: ts("2019-11-18T09:30:00Z"),
			CommitSHA:   "6dcb09b5b57875f334f61aebed695e2e4193db5e",
		},
		// 84 is DISMISSED: it no longer counts.
	})
	var pages []string
	for _, r := range srv.Requests() {
		eq(t, "request", r.Method+" "+r.Path, "GET "+path)
		eq(t, "auth", r.Auth(), "Bearer "+testToken)
		pages = append(pages, r.Query.Get("page"))
	}
	eq(t, "pages asked", pages, []string{"1", "2"})
	eq(t, "observed", obs.Calls(), []string{"gh-test ListReviews ok", "gh-test ListReviews ok"})
}

func TestListIssues(t *testing.T) {
	c, srv, obs := tokenClient(t)
	srv.Handle("GET", octocatPath+"/issues", fixtures.Route{
		Body:  fixtures.Load(t, "list-issues"),
		Query: listQuery("all", "1"),
	})
	got, next, err := c.ListIssues(ctx, octocat, 1)
	must(t, err)
	eq(t, "page", next, forges.Page{Last: 1})
	eq(t, "issues", got, []forges.Issue{
		{
			Number:    1347,
			Title:     "Found a bug",
			Author:    octocatUser,
			State:     "closed",
			Labels:    []string{"bug"},
			URL:       "https://github.com/octocat/Hello-World/issues/1347",
			ClosedAt:  ts("2011-04-23T09:00:00Z"),
			CreatedAt: ts("2011-04-22T13:33:48Z"),
		},
		// 1348 is a pull request.
		{
			Number:    1349,
			Title:     "Add a changelog",
			Author:    octocatUser,
			State:     "open",
			Labels:    []string{},
			URL:       "https://github.com/octocat/Hello-World/issues/1349",
			CreatedAt: ts("2011-04-25T08:15:00Z"),
		},
	})
	req := only(t, srv)
	eq(t, "request", req.Method+" "+req.Path, "GET "+octocatPath+"/issues")
	eq(t, "auth", req.Auth(), "Bearer "+testToken)
	eq(t, "observed", obs.Calls(), []string{"gh-test ListIssues ok"})
}

func TestListReleases(t *testing.T) {
	c, srv, obs := tokenClient(t)
	srv.Handle("GET", octocatPath+"/releases", fixtures.Route{
		Body:  fixtures.Load(t, "list-releases"),
		Query: map[string][]string{"page": {"1"}, "per_page": {"100"}},
	})
	got, next, err := c.ListReleases(ctx, octocat, 1)
	must(t, err)
	eq(t, "page", next, forges.Page{Last: 1})
	want := []forges.Release{
		// v1.1.0 is a draft.
		{
			ID:          1,
			Tag:         "v1.0.0",
			Name:        "v1.0.0",
			Author:      octocatUser,
			URL:         "https://github.com/octocat/Hello-World/releases/v1.0.0",
			PublishedAt: ts("2013-02-27T19:35:32Z"),
		},
		{
			ID:          2,
			Tag:         "v1.0.0-rc.1",
			Name:        "v1.0.0 release candidate 1",
			Author:      octocatUser,
			Prerelease:  true,
			URL:         "https://github.com/octocat/Hello-World/releases/v1.0.0-rc.1",
			PublishedAt: ts("2013-02-21T08:00:00Z"),
		},
	}
	eq(t, "releases", got, want)
	req := only(t, srv)
	eq(t, "request", req.Method+" "+req.Path, "GET "+octocatPath+"/releases")
	eq(t, "auth", req.Auth(), "Bearer "+testToken)
	eq(t, "observed", obs.Calls(), []string{"gh-test ListReleases ok"})

	t.Run("not published", func(t *testing.T) {
		// Without a published_at, a release counts from when it was made.
		var rels []map[string]any
		must(t, json.Unmarshal(fixtures.Load(t, "list-releases"), &rels))
		rels[2]["published_at"] = nil
		body, err := json.Marshal(rels)
		must(t, err)
		srv.Handle("GET", octocatPath+"/releases", fixtures.Route{Body: body})
		got, _, err := c.ListReleases(ctx, octocat, 1)
		must(t, err)
		eq(t, "published", got[1].PublishedAt, ts("2013-02-20T12:00:00Z"))
	})
}

// pageLists are the methods that return one page and the next.
var pageLists = []struct {
	op, path, fixture string
	list              func(c *ghclient.Client, page int) (n int, next forges.Page, err error)
}{
	{"ListClosedPulls", octocatPath + "/pulls", "list-pulls", func(c *ghclient.Client, page int) (int, forges.Page, error) {
		got, next, err := c.ListClosedPulls(ctx, octocat, page)
		return len(got), next, err
	}},
	{"ListIssues", octocatPath + "/issues", "list-issues", func(c *ghclient.Client, page int) (int, forges.Page, error) {
		got, next, err := c.ListIssues(ctx, octocat, page)
		return len(got), next, err
	}},
	{"ListReleases", octocatPath + "/releases", "list-releases", func(c *ghclient.Client, page int) (int, forges.Page, error) {
		got, next, err := c.ListReleases(ctx, octocat, page)
		return len(got), next, err
	}},
}

func TestListPagesNext(t *testing.T) {
	for _, tc := range pageLists {
		t.Run(tc.op, func(t *testing.T) {
			c, srv, _ := tokenClient(t)
			// Two pages, each the same body: what matters is the Link.
			body := fixtures.Load(t, tc.fixture)
			srv.Handle("GET", tc.path, fixtures.Route{
				Pages: [][]byte{body, body},
				Query: map[string][]string{"per_page": {"100"}},
			})
			n, next, err := tc.list(c, 1)
			must(t, err)
			eq(t, "page 1", next, forges.Page{Next: 2, Last: 2})
			eq(t, "page 1 items", n, 2)
			n, next, err = tc.list(c, next.Next)
			must(t, err)
			eq(t, "page 2", next, forges.Page{Last: 2})
			eq(t, "page 2 items", n, 2)
			var pages []string
			for _, r := range srv.Requests() {
				pages = append(pages, r.Query.Get("page"))
			}
			eq(t, "pages asked", pages, []string{"1", "2"})
		})
	}
}

func TestListNotFound(t *testing.T) {
	type lister struct {
		op, path string
		call     func(c *ghclient.Client) error
	}
	listers := []lister{{"ListReviews", octocatPath + "/pulls/12/reviews", func(c *ghclient.Client) error {
		_, err := c.ListReviews(ctx, octocat, 12)
		return err
	}}, {"PullFiles", octocatPath + "/pulls/1347/files", func(c *ghclient.Client) error {
		_, err := c.PullFiles(ctx, octocat, 1347)
		return err
	}}}
	for _, pl := range pageLists {
		listers = append(listers, lister{pl.op, pl.path, func(c *ghclient.Client) error {
			_, _, err := pl.list(c, 1)
			return err
		}})
	}
	for _, tc := range listers {
		t.Run(tc.op, func(t *testing.T) {
			c, srv, obs := tokenClient(t)
			srv.Handle("GET", tc.path, fixtures.Route{Status: 404, Body: fixtures.Load(t, "not-found")})
			err := tc.call(c)
			if !errors.Is(err, forges.ErrNotFound) {
				t.Errorf("error %v is not ErrNotFound", err)
			}
			ae := apiError(t, err)
			eq(t, "op", ae.Op, tc.op)
			eq(t, "message", ae.Message, "Not Found")
			eq(t, "observed", obs.Calls(), []string{"gh-test " + tc.op + " not_found"})
		})
	}
}

// hookStore is a repository's webhooks as GitHub keeps them: the fake
// server creates, edits and lists them, so Connect meets the state its
// previous run left.
type hookStore struct {
	t     *testing.T
	mu    sync.Mutex
	hooks []map[string]any
}

func (s *hookStore) list(fixtures.Request) (int, []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, _ := json.Marshal(append([]map[string]any{}, s.hooks...))
	return http.StatusOK, b
}

func (s *hookStore) create(r fixtures.Request) (int, []byte) {
	var sent map[string]any
	must(s.t, json.Unmarshal(r.Body, &sent))
	var hook map[string]any
	must(s.t, json.Unmarshal(fixtures.Load(s.t, "create-hook"), &hook))
	for _, k := range []string{"name", "active", "events", "config"} {
		hook[k] = sent[k]
	}
	hide(hook)
	s.mu.Lock()
	hook["id"] = float64(12345678 + len(s.hooks)) // as decoded JSON has it
	s.hooks = append(s.hooks, hook)
	s.mu.Unlock()
	b, _ := json.Marshal(hook)
	return http.StatusCreated, b
}

func (s *hookStore) edit(r fixtures.Request) (int, []byte) {
	var sent map[string]any
	must(s.t, json.Unmarshal(r.Body, &sent))
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, h := range s.hooks {
		if "/"+strconv.Itoa(int(h["id"].(float64))) == r.Path[strings.LastIndex(r.Path, "/"):] {
			for _, k := range []string{"active", "events", "config"} {
				h[k] = sent[k]
			}
			hide(h)
			b, _ := json.Marshal(h)
			return http.StatusOK, b
		}
	}
	return http.StatusNotFound, fixtures.Load(s.t, "not-found")
}

// hide masks the secret, as GitHub shows it.
func hide(hook map[string]any) {
	if cfg, ok := hook["config"].(map[string]any); ok && cfg["secret"] != nil {
		cfg["secret"] = "********"
	}
}

func TestConnectTokenCreatesThenUnchanged(t *testing.T) {
	c, srv, _ := tokenClient(t)
	store := &hookStore{t: t}
	// A hook to somewhere else, which Connect must leave alone.
	other := map[string]any{"id": 1.0, "name": "web", "active": true, "events": []any{"push"},
		"config": map[string]any{"url": "https://ci.example.com/hook", "content_type": "form", "insecure_ssl": "0"}}
	store.hooks = append(store.hooks, other)
	hooks := octocatPath + "/hooks"
	srv.Handle("GET", hooks, fixtures.Route{Handle: store.list, Query: map[string][]string{"per_page": {"100"}}})
	srv.Handle("POST", hooks, fixtures.Route{Handle: store.create, JSON: map[string]any{
		"name":   "web",
		"active": true,
		"events": []string{"issues", "issue_comment", "pull_request", "pull_request_review", "push", "release"},
		"config": map[string]any{"url": "https://accord.example.com/hooks/gh", "content_type": "json", "secret": "s3cret", "insecure_ssl": "0"},
	}})
	const hookURL = "https://accord.example.com/hooks/gh"

	got, err := c.Connect(ctx, octocat, hookURL, "s3cret")
	must(t, err)
	eq(t, "first run", *got, forges.ConnectResult{Action: forges.ConnectCreated, HookID: 12345679})

	got, err = c.Connect(ctx, octocat, hookURL, "s3cret")
	must(t, err)
	eq(t, "second run", *got, forges.ConnectResult{Action: forges.ConnectUnchanged, HookID: 12345679})
	eq(t, "requests", paths(srv), []string{"GET " + hooks, "POST " + hooks, "GET " + hooks})
	eq(t, "hooks", len(store.hooks), 2)

	// Someone turns events off on GitHub: the next run puts them back.
	store.mu.Lock()
	store.hooks[1]["events"] = []any{"push"}
	store.mu.Unlock()
	srv.Handle("PATCH", hooks+"/12345679", fixtures.Route{Handle: store.edit, JSON: map[string]any{
		"active": true,
		"events": []string{"issues", "issue_comment", "pull_request", "pull_request_review", "push", "release"},
	}})
	got, err = c.Connect(ctx, octocat, hookURL, "s3cret")
	must(t, err)
	eq(t, "after a change", *got, forges.ConnectResult{Action: forges.ConnectUpdated, HookID: 12345679})
	got, err = c.Connect(ctx, octocat, hookURL, "s3cret")
	must(t, err)
	eq(t, "after the update", got.Action, forges.ConnectUnchanged)
	eq(t, "other hook", store.hooks[0]["config"].(map[string]any)["content_type"], any("form"))
}

func TestCheckToken(t *testing.T) {
	c, srv, _ := tokenClient(t)
	srv.Handle("GET", "/user", fixtures.Route{Body: fixtures.Load(t, "user")})
	got, err := c.Check(ctx)
	must(t, err)
	eq(t, "identity", *got, forges.Identity{Login: "octocat", Author: "octocat", Detail: "token"})
}

func TestErrors(t *testing.T) {
	reset := time.Unix(1767326400, 0) // 2026-01-02 04:00:00 UTC
	for _, tc := range []struct {
		name      string
		route     fixtures.Route
		status    int
		message   string
		temporary bool
		limited   bool
		retryAt   time.Time
		outcome   string
	}{
		{
			name:   "server error",
			route:  fixtures.Route{Status: 500, Body: fixtures.Load(t, "server-error")},
			status: 500, message: "Server Error", temporary: true, outcome: "server_error",
		},
		{
			name: "primary rate limit",
			route: fixtures.Route{Status: 403, Body: fixtures.Load(t, "rate-limited"), Header: http.Header{
				"X-RateLimit-Remaining": {"0"},
				"X-RateLimit-Reset":     {strconv.FormatInt(reset.Unix(), 10)},
			}},
			status: 403, message: "API rate limit exceeded for installation ID 1.",
			temporary: true, limited: true, retryAt: reset, outcome: "rate_limited",
		},
		{
			name:   "too many requests",
			route:  fixtures.Route{Status: 429, Body: fixtures.Load(t, "secondary-rate-limit"), Header: http.Header{"Retry-After": {"30"}}},
			status: 429, message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
			temporary: true, limited: true, retryAt: now.Add(30 * time.Second), outcome: "rate_limited",
		},
		{
			name:   "secondary rate limit",
			route:  fixtures.Route{Status: 403, Body: fixtures.Load(t, "secondary-rate-limit"), Header: http.Header{"Retry-After": {"60"}}},
			status: 403, message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
			temporary: true, limited: true, retryAt: now.Add(time.Minute), outcome: "rate_limited",
		},
		{
			name:   "validation failed",
			route:  fixtures.Route{Status: 422, Body: fixtures.Load(t, "validation-failed")},
			status: 422, message: "Validation Failed", outcome: "client_error",
		},
		{
			name:   "forbidden",
			route:  fixtures.Route{Status: 403, Body: fixtures.Load(t, "forbidden")},
			status: 403, message: "Resource not accessible by integration", outcome: "client_error",
		},
		{
			name:   "bad credentials",
			route:  fixtures.Route{Status: 401, Body: fixtures.Load(t, "bad-credentials")},
			status: 401, message: "Bad credentials", outcome: "client_error",
		},
		{
			name:   "not found",
			route:  fixtures.Route{Status: 404, Body: fixtures.Load(t, "not-found")},
			status: 404, message: "Not Found", outcome: "not_found",
		},
		{
			name:   "no JSON",
			route:  fixtures.Route{Status: 502, Body: []byte("<html>Bad Gateway</html>")},
			status: 502, temporary: true, outcome: "server_error",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, srv, obs := tokenClient(t)
			srv.Handle("POST", octocatPath+"/issues/1347/comments", tc.route)
			_, err := c.CreateComment(ctx, octocat, 1347, "hello")
			ae := apiError(t, err)
			eq(t, "forge", ae.Forge, "gh-test")
			eq(t, "op", ae.Op, "CreateComment")
			eq(t, "status", ae.Status, tc.status)
			eq(t, "message", ae.Message, tc.message)
			eq(t, "temporary", ae.Temporary(), tc.temporary)
			eq(t, "rate limited", ae.RateLimited(), tc.limited)
			eq(t, "retry at", ae.RetryAt.UTC(), tc.retryAt.UTC())
			eq(t, "not found", errors.Is(err, forges.ErrNotFound), tc.status == 404)
			eq(t, "observed", obs.Calls(), []string{"gh-test CreateComment " + tc.outcome})
			if strings.Contains(err.Error(), "http://") {
				t.Errorf("error %q quotes the request URL", err)
			}
		})
	}
}

func TestNetworkError(t *testing.T) {
	c, err := ghclient.NewClient(ghclient.ClientConfig{Forge: "gh-test", BaseURL: "http://127.0.0.1:1/", Token: testToken})
	must(t, err)
	_, err = c.DefaultBranch(ctx, octocat)
	ae := apiError(t, err)
	eq(t, "status", ae.Status, 0)
	eq(t, "temporary", ae.Temporary(), true)
	eq(t, "outcome", ae.Outcome(), "network_error")
	if strings.Contains(err.Error(), testToken) {
		t.Errorf("error %q holds the token", err)
	}
}

// calls makes every method of forges.Client once.
var calls = map[string]func(c forges.Client, repo forges.RepoRef) error{
	"CreateComment": func(c forges.Client, r forges.RepoRef) error { _, err := c.CreateComment(ctx, r, 1, "x"); return err },
	"EditComment":   func(c forges.Client, r forges.RepoRef) error { return c.EditComment(ctx, r, 1, "x") },
	"ListComments":  func(c forges.Client, r forges.RepoRef) error { _, err := c.ListComments(ctx, r, 1); return err },
	"AddLabels": func(c forges.Client, r forges.RepoRef) error {
		return c.AddLabels(ctx, r, 1, []forges.Label{{Name: "x", Color: "ffffff"}})
	},
	"RemoveLabel":   func(c forges.Client, r forges.RepoRef) error { return c.RemoveLabel(ctx, r, 1, "x") },
	"AddReaction":   func(c forges.Client, r forges.RepoRef) error { return c.AddReaction(ctx, r, 1, "+1") },
	"GetFile":       func(c forges.Client, r forges.RepoRef) error { _, err := c.GetFile(ctx, r, "a.yaml", ""); return err },
	"ListDir":       func(c forges.Client, r forges.RepoRef) error { _, err := c.ListDir(ctx, r, "dir", ""); return err },
	"DefaultBranch": func(c forges.Client, r forges.RepoRef) error { _, err := c.DefaultBranch(ctx, r); return err },
	"ResolveRef":    func(c forges.Client, r forges.RepoRef) error { _, err := c.ResolveRef(ctx, r, "main"); return err },
	"Permission":    func(c forges.Client, r forges.RepoRef) error { _, err := c.Permission(ctx, r, "someone"); return err },
	"SetStatus": func(c forges.Client, r forges.RepoRef) error {
		return c.SetStatus(ctx, r, "abc", forges.Status{State: "success", Context: "accord/vote"})
	},
	"PullCommits": func(c forges.Client, r forges.RepoRef) error { _, err := c.PullCommits(ctx, r, 1); return err },
	"PullFiles":   func(c forges.Client, r forges.RepoRef) error { _, err := c.PullFiles(ctx, r, 1); return err },
	"ListClosedPulls": func(c forges.Client, r forges.RepoRef) error {
		_, _, err := c.ListClosedPulls(ctx, r, 1)
		return err
	},
	"ListReviews": func(c forges.Client, r forges.RepoRef) error { _, err := c.ListReviews(ctx, r, 1); return err },
	"ListIssues":  func(c forges.Client, r forges.RepoRef) error { _, _, err := c.ListIssues(ctx, r, 1); return err },
	"ListReleases": func(c forges.Client, r forges.RepoRef) error {
		_, _, err := c.ListReleases(ctx, r, 1)
		return err
	},
	"PutFile": func(c forges.Client, r forges.RepoRef) error {
		_, err := c.PutFile(ctx, r, "ledger/checkpoint.json", "main", []byte("{}"), "Checkpoint 1")
		return err
	},
	"Connect": func(c forges.Client, r forges.RepoRef) error {
		_, err := c.Connect(ctx, r, "https://accord.example.com/hook", "s3cret")
		return err
	},
	"Check": func(c forges.Client, r forges.RepoRef) error { _, err := c.Check(ctx); return err },
}

func TestNoSecretsInErrors(t *testing.T) {
	statuses := map[int]string{401: "bad-credentials", 403: "forbidden", 404: "not-found", 500: "server-error"}
	for status, body := range statuses {
		fail := &fixtures.Route{Status: status, Body: fixtures.Load(t, body)}
		t.Run("token "+strconv.Itoa(status), func(t *testing.T) {
			c, srv, _ := tokenClient(t)
			srv.Fallback = fail
			noSecrets(t, c, octocat, srv, testToken)
		})
		t.Run("app "+strconv.Itoa(status), func(t *testing.T) {
			c, srv, app := appClient(t)
			f := *fail
			f.AuthFunc = app.anyAuth
			srv.Fallback = &f
			noSecrets(t, c, forges.RepoRef{Owner: "octocat", Name: "Hello-World", InstallationID: 42}, srv, app.token())
		})
		t.Run("token exchange "+strconv.Itoa(status), func(t *testing.T) {
			c, srv, app := appClient(t)
			srv.Handle("POST", "/app/installations/42/access_tokens", fixtures.Route{Status: status, Body: fixtures.Load(t, body), AuthFunc: app.checkJWT})
			err := calls["DefaultBranch"](c, forges.RepoRef{Owner: "octocat", Name: "Hello-World", InstallationID: 42})
			ae := apiError(t, err)
			eq(t, "status", ae.Status, status)
			noSecret(t, "DefaultBranch", err, srv, app.token())
		})
	}
}

// noSecrets makes every call against a server that fails them all and
// checks that no error quotes a credential.
func noSecrets(t *testing.T, c forges.Client, repo forges.RepoRef, srv *fixtures.Server, secrets ...string) {
	t.Helper()
	for name, call := range calls {
		err := call(c, repo)
		if err == nil {
			continue // RemoveLabel and Permission take a 404 as an answer
		}
		apiError(t, err)
		noSecret(t, name, err, srv, secrets...)
	}
}

// noSecret checks an error against the given secrets, the PEM key and
// every credential the server was sent.
func noSecret(t *testing.T, name string, err error, srv *fixtures.Server, secrets ...string) {
	t.Helper()
	for _, r := range srv.Requests() {
		if a := r.Auth(); a != "" {
			secrets = append(secrets, a[strings.LastIndex(a, " ")+1:])
		}
	}
	secrets = append(secrets, "BEGIN RSA")
	for _, s := range secrets {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("%s: error %q holds a credential", name, err)
		}
	}
}

// TestFileHistory: the commits that changed a file, newest first, from
// GitHub's commit list filtered by path, following the Link header.
func TestFileHistory(t *testing.T) {
	c, srv, _ := tokenClient(t)
	srv.Handle("GET", octocatPath+"/commits", fixtures.Route{
		Pages: [][]byte{fixtures.Load(t, "pull-commits-1"), fixtures.Load(t, "pull-commits-2")},
		Query: map[string][]string{"per_page": {"100"}, "path": {"accord/ledger.checkpoint"}, "sha": {"main"}},
	})
	got, err := c.FileHistory(ctx, octocat, "accord/ledger.checkpoint", "main", 100)
	must(t, err)
	if len(got) < 2 || got[0] != "6dcb09b5b57875f334f61aebed695e2e4193db5e" || got[1] != "7638417db6d59f3c431d3e1f261cc637155684cd" {
		t.Errorf("history %v", got)
	}
	if one, err := c.FileHistory(ctx, octocat, "accord/ledger.checkpoint", "main", 1); err != nil || len(one) != 1 {
		t.Errorf("limit 1: %v %v", one, err)
	}
}
