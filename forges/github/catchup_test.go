package github_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accord-coop/accord/forges"
	ghclient "github.com/accord-coop/accord/forges/github"
	"github.com/accord-coop/accord/forges/github/fixtures"
)

// hookDelivery is one item of GitHub's "list deliveries for a webhook", in
// the shape of its documentation's example.
func hookDelivery(id int64, guid, at string, status int, event, action string, redelivery bool) map[string]any {
	st := "OK"
	if status == 0 {
		st = "failed to connect"
	} else if status >= 300 {
		st = fmt.Sprintf("Invalid HTTP Response: %d", status)
	}
	return map[string]any{"id": id, "guid": guid, "delivered_at": at, "redelivery": redelivery, "duration": 0.03,
		"status": st, "status_code": status, "event": event, "action": action, "installation_id": 42, "repository_id": 1296269}
}

func TestRecentDeliveriesApp(t *testing.T) {
	c, srv, a := appClient(t)
	page, _ := json.Marshal([]any{
		hookDelivery(3, "guid-c", "2026-01-02T03:00:00Z", 202, "issue_comment", "created", false),
		hookDelivery(2, "guid-b", "2026-01-02T02:00:00Z", 0, "issue_comment", "created", false),
		hookDelivery(1, "guid-a", "2026-01-01T00:00:00Z", 502, "issues", "opened", false), // before since
	})
	srv.Handle("GET", "/app/hook/deliveries", fixtures.Route{Body: page, AuthFunc: a.checkJWT})
	srv.Handle("POST", "/app/hook/deliveries/2/attempts", fixtures.Route{Status: 202, Body: []byte(`{}`), AuthFunc: a.checkJWT})
	got, err := c.RecentDeliveries(ctx, nil, ts("2026-01-02T00:00:00Z"))
	must(t, err)
	eq(t, "deliveries", got, []forges.DeliveryRecord{
		{ID: "guid-c", Attempt: 3, Event: "issue_comment", Action: "created", At: ts("2026-01-02T03:00:00Z"), StatusCode: 202},
		{ID: "guid-b", Attempt: 2, Event: "issue_comment", Action: "created", At: ts("2026-01-02T02:00:00Z")},
	})
	eq(t, "ok", []bool{got[0].OK(), got[1].OK()}, []bool{true, false})
	must(t, c.Redeliver(ctx, got[1])) // 202 Accepted is success
	eq(t, "redelivery asked", srv.Count("POST", "/app/hook/deliveries/2/attempts"), 1)
}

// deliveriesServer answers a repository's hooks and their deliveries as
// GitHub does, two deliveries a page with a cursor in the Link header.
type deliveriesServer struct {
	mu          sync.Mutex
	items       []map[string]any
	redelivered []string
}

func (d *deliveriesServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer "+testToken {
		http.Error(w, `{"message":"Bad credentials"}`, 401)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == "GET" && r.URL.Path == octocatPath+"/hooks":
		json.NewEncoder(w).Encode([]any{
			map[string]any{"id": 7, "name": "web", "active": true, "config": map[string]any{"url": "https://other.example.com/ci", "content_type": "json"}},
			map[string]any{"id": 8, "name": "web", "active": true, "config": map[string]any{"url": "https://accord.example.com/hooks/gh-test", "content_type": "json"}},
		})
	case r.Method == "GET" && r.URL.Path == octocatPath+"/hooks/8/deliveries":
		start := 0
		if c := r.URL.Query().Get("cursor"); c != "" {
			fmt.Sscanf(c, "v1_%d", &start)
		}
		end := min(start+2, len(d.items))
		if end < len(d.items) {
			w.Header().Set("Link", fmt.Sprintf(`<http://%s%s?per_page=2&cursor=v1_%d>; rel="next"`, r.Host, r.URL.Path, end))
		}
		json.NewEncoder(w).Encode(d.items[start:end])
	case r.Method == "POST" && strings.HasPrefix(r.URL.Path, octocatPath+"/hooks/8/deliveries/"):
		d.redelivered = append(d.redelivered, r.URL.Path)
		w.WriteHeader(202)
		w.Write([]byte(`{}`))
	default:
		w.WriteHeader(404)
		w.Write([]byte(`{"message":"Not Found"}`))
	}
}

func TestRecentDeliveriesTokenFollowsCursor(t *testing.T) {
	d := &deliveriesServer{items: []map[string]any{
		hookDelivery(15, "g5", "2026-01-02T03:00:00Z", 500, "issue_comment", "created", true),
		hookDelivery(14, "g4", "2026-01-02T02:50:00Z", 202, "issue_comment", "edited", false),
		hookDelivery(13, "g3", "2026-01-02T02:40:00Z", 0, "issues", "opened", false),
		hookDelivery(12, "g2", "2026-01-02T02:30:00Z", 200, "ping", "", false),
		hookDelivery(11, "g1", "2026-01-01T00:00:00Z", 0, "issues", "opened", false),
		hookDelivery(10, "g0", "2025-12-31T00:00:00Z", 0, "issues", "opened", false),
	}}
	srv := httptest.NewServer(d)
	defer srv.Close()
	c, err := ghclient.NewClient(ghclient.ClientConfig{Forge: "gh-test", BaseURL: srv.URL + "/", Token: testToken, Now: func() time.Time { return now }})
	must(t, err)
	got, err := c.RecentDeliveries(ctx, []forges.RepoRef{octocat}, ts("2026-01-02T00:00:00Z"))
	must(t, err)
	var ids []string
	for _, r := range got {
		ids = append(ids, r.ID)
		if r.HookID != 8 || r.Repo != octocat {
			t.Errorf("%s: hook %d of %v, want 8 of %v", r.ID, r.HookID, r.Repo, octocat)
		}
	}
	eq(t, "ids, newest first, down to since", ids, []string{"g5", "g4", "g3", "g2"})
	eq(t, "redelivery flag", got[0].Redelivery, true)
	must(t, c.Redeliver(ctx, got[2]))
	eq(t, "redelivered", d.redelivered, []string{octocatPath + "/hooks/8/deliveries/13/attempts"})
}

func TestRecentDeliveriesAppRefusesRepoHook(t *testing.T) {
	c, _, _ := appClient(t)
	err := c.Redeliver(ctx, forges.DeliveryRecord{ID: "x", Attempt: 1, HookID: 8, Repo: octocat})
	if err == nil || errors.Is(err, forges.ErrNotSupported) {
		t.Fatalf("got %v, want a refusal", err)
	}
}

func TestListRepoCommentsAndUpdatedIssues(t *testing.T) {
	c, srv, _ := tokenClient(t)
	cms, _ := json.Marshal([]any{map[string]any{"id": 5, "body": "+1", "user": map[string]any{"login": "alice", "id": 1},
		"created_at": "2026-01-02T01:00:00Z", "updated_at": "2026-01-02T01:30:00Z",
		"issue_url": "https://api.github.com/repos/octocat/Hello-World/issues/1347"}})
	srv.Handle("GET", octocatPath+"/issues/comments", fixtures.Route{Body: cms,
		Query: map[string][]string{"since": {"2026-01-02T00:00:00Z"}, "sort": {"created"}, "direction": {"asc"}, "per_page": {"100"}, "page": {"1"}}})
	got, next, err := c.ListRepoComments(ctx, octocat, ts("2026-01-02T00:00:00Z"), 1)
	must(t, err)
	eq(t, "page", next, forges.Page{Last: 1})
	eq(t, "comment", got[0].Number, int64(1347))
	eq(t, "comment author", got[0].Comment.Author.Login, "alice")
	eq(t, "comment updated", got[0].Comment.UpdatedAt, ts("2026-01-02T01:30:00Z"))

	is, _ := json.Marshal([]any{
		map[string]any{"number": 1, "title": "an issue", "state": "open", "user": map[string]any{"login": "bob"}, "created_at": "2026-01-02T01:00:00Z"},
		map[string]any{"number": 2, "title": "a pull", "state": "open", "user": map[string]any{"login": "bob"}, "created_at": "2026-01-02T01:00:00Z",
			"pull_request": map[string]any{"url": "https://api.github.com/repos/octocat/Hello-World/pulls/2"}},
	})
	srv.Handle("GET", octocatPath+"/issues", fixtures.Route{Body: is,
		Query: map[string][]string{"since": {"2026-01-02T00:00:00Z"}, "state": {"all"}, "sort": {"updated"}}})
	issues, _, err := c.ListUpdatedIssues(ctx, octocat, ts("2026-01-02T00:00:00Z"), 1)
	must(t, err)
	eq(t, "pulls marked", []bool{issues[0].IsPull, issues[1].IsPull}, []bool{false, true})
}

func TestGetPull(t *testing.T) {
	c, srv, _ := tokenClient(t)
	var prs []json.RawMessage
	must(t, json.Unmarshal(fixtures.Load(t, "list-pulls"), &prs))
	var one struct {
		Number int64 `json:"number"`
	}
	must(t, json.Unmarshal(prs[0], &one))
	srv.Handle("GET", fmt.Sprintf("%s/pulls/%d", octocatPath, one.Number), fixtures.Route{Body: prs[0]})
	got, err := c.GetPull(ctx, octocat, one.Number)
	must(t, err)
	eq(t, "number", got.Number, one.Number)
	if got.HeadSHA == "" || got.Author.Login == "" {
		t.Errorf("got %+v", got)
	}
}
