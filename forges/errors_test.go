package forges

import (
	"errors"
	"fmt"
	"testing"
)

// A write that lost a race is a 409 or 422, permanent by its status, but
// marked Conflict it is worth another try: it still counts as a client
// error, and is not a missing thing.
func TestConflictIsTemporary(t *testing.T) {
	e := &APIError{Forge: "gh", Op: "PutFile", Status: 409, Message: "a.json does not match 0123"}
	if e.Temporary() {
		t.Error("a 409 not marked Conflict is temporary")
	}
	e.Conflict = true
	if !e.Temporary() || e.RateLimited() || errors.Is(e, ErrNotFound) {
		t.Errorf("conflict: temporary %v, rate limited %v, not found %v", e.Temporary(), e.RateLimited(), errors.Is(e, ErrNotFound))
	}
	if got := e.Outcome(); got != "client_error" {
		t.Errorf("outcome %q", got)
	}
	if got := e.Error(); got != "gh PutFile: 409 a.json does not match 0123" {
		t.Errorf("error %q", got)
	}
}

// The blob SHAs git gives these contents (git hash-object).
func TestBlobSHA(t *testing.T) {
	for content, want := range map[string]string{
		"":              "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391",
		"# hello-world": "93a078d1c3f76aa1ca11def8f882a06df1d4a01b",
		"# commons\n\n": "10ef2a24e7262680a6fedeec6b140e4408af51ba",
	} {
		if got := BlobSHA([]byte(content)); got != want {
			t.Errorf("BlobSHA(%q) = %s, want %s", content, got, want)
		}
	}
}

// TestProblemInWords: what a person reads leaves out the Client method and
// says whether the forge answered or could not be reached.
func TestProblemInWords(t *testing.T) {
	cases := []struct {
		err    error
		want   string
		status int
	}{
		{&APIError{Forge: "gitea", Op: "Check", Status: 401, Message: "token is required"},
			"the forge answered 401 Unauthorized: token is required", 401},
		{fmt.Errorf("page 2: %w", &APIError{Forge: "gh", Op: "ListIssues", Status: 502}), "the forge answered 502 Bad Gateway", 502},
		{&APIError{Forge: "gh", Op: "ListIssues", Message: "dial tcp: connection refused"},
			"the forge could not be reached (dial tcp: connection refused)", 0},
		{errors.New("plain"), "plain", 0},
	}
	for _, c := range cases {
		if got := Problem(c.err); got != c.want {
			t.Errorf("Problem(%v) = %q, want %q", c.err, got, c.want)
		}
		if got := HTTPStatus(c.err); got != c.status {
			t.Errorf("HTTPStatus(%v) = %d, want %d", c.err, got, c.status)
		}
	}
}
