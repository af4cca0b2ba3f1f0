package gitea_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/accord-coop/accord/forges"
	"github.com/accord-coop/accord/forges/gitea/fixtures"
)

// The repository's comments since a time: Gitea names the issue of a
// comment on an issue by issue_url, of one on a pull request by
// pull_request_url (issue_url is then empty).
func TestListRepoCommentsSince(t *testing.T) {
	a := newAPITest(t, nil)
	items := a.srv.Items("list-comments-page1")
	items[1] = reshape(t, items[1], map[string]any{"issue_url": "", "pull_request_url": "http://127.0.0.1:3000/federation/commons/pulls/2"})
	route := a.srv.Paged("GET", "/api/v1/repos/federation/commons/issues/comments", items)
	route.Query = map[string][]string{"since": {"2026-11-24T02:00:00Z"}}
	got, next, err := a.client.ListRepoComments(context.Background(), commons, mustTime(t, "2026-11-24T02:00:00Z"), 1)
	if err != nil {
		t.Fatal(err)
	}
	if next != (forges.Page{Last: 1}) || len(got) != 3 {
		t.Fatalf("page %+v, %d comments", next, len(got))
	}
	if got[0].Number != 1 || got[1].Number != 2 || got[0].Comment.Author.Login != "alice" || got[1].Comment.Body != "/vote no changed my mind" {
		t.Errorf("got %+v", got)
	}
	a.wantOK(t, "ListRepoComments")
}

func TestListUpdatedIssuesSince(t *testing.T) {
	a := newAPITest(t, nil)
	items := a.srv.Items("list-issues")
	items[0] = reshape(t, items[0], map[string]any{"pull_request": map[string]any{"merged": false}})
	route := a.srv.Paged("GET", "/api/v1/repos/federation/commons/issues", items)
	route.Query = map[string][]string{"since": {"2026-11-24T02:00:00Z"}, "state": {"all"}}
	got, _, err := a.client.ListUpdatedIssues(context.Background(), commons, mustTime(t, "2026-11-24T02:00:00Z"), 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(items) || !got[0].IsPull || (len(got) > 1 && got[1].IsPull) {
		t.Errorf("got %+v", got)
	}
}

func TestDeliveriesNotSupported(t *testing.T) {
	a := newAPITest(t, nil)
	if _, err := a.client.RecentDeliveries(context.Background(), []forges.RepoRef{commons}, mustTime(t, "2026-11-24T02:00:00Z")); !errors.Is(err, forges.ErrNotSupported) {
		t.Errorf("RecentDeliveries: %v", err)
	}
	if err := a.client.Redeliver(context.Background(), forges.DeliveryRecord{ID: "x"}); !errors.Is(err, forges.ErrNotSupported) {
		t.Errorf("Redeliver: %v", err)
	}
	if n := len(a.sent()); n != 0 {
		t.Errorf("%d requests", n)
	}
}

func TestGetPull(t *testing.T) {
	a := newAPITest(t, nil)
	items := a.srv.Items("list-closed-pulls")
	var one struct {
		Number int64 `json:"number"`
	}
	if err := json.Unmarshal(items[0], &one); err != nil {
		t.Fatal(err)
	}
	a.srv.Handle("GET", fmt.Sprintf("/api/v1/repos/federation/commons/pulls/%d", one.Number), fixtures.Response{Status: 200, Body: items[0]})
	got, err := a.client.GetPull(context.Background(), commons, one.Number)
	if err != nil {
		t.Fatal(err)
	}
	if got.Number != one.Number || !got.Merged || got.HeadSHA == "" {
		t.Errorf("got %+v", got)
	}
	a.wantOK(t, "GetPull")
}
