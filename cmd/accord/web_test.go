package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accord-coop/accord/config"
	"github.com/accord-coop/accord/store"
)

// TestServeWebPublic: the bot serve assembles shows the pages on the
// policy files in force, with links to the configured forges; with
// web.public: false they are 404 and the hooks and probes answer as before.
func TestServeWebPublic(t *testing.T) {
	for _, public := range []bool{true, false} {
		dir := t.TempDir()
		path := writeConfig(t, dir)
		if !public {
			f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
			f.WriteString("web:\n  public: false\n")
			f.Close()
		}
		cfg, err := config.Load(path, func(string) string { return "" })
		if err != nil {
			t.Fatal(err)
		}
		st, err := store.Open(filepath.Join(dir, "accord.db"), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		now := func() time.Time { return time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC) }
		srv, _, loadErr, err := assemble(context.Background(), cfg, st, slog.New(slog.NewTextHandler(io.Discard, nil)), now)
		if err != nil || loadErr != nil {
			t.Fatal(err, loadErr)
		}
		ts := httptest.NewServer(srv.Handler())
		defer ts.Close()
		for _, p := range []string{"/", "/coops/outlandish", "/members/alice", "/ledger", "/api/v1/federation"} {
			resp, err := http.Get(ts.URL + p)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if want := map[bool]int{true: 200, false: 404}[public]; resp.StatusCode != want {
				t.Errorf("public %v: GET %s: %d, want %d", public, p, resp.StatusCode, want)
			}
			if public && p == "/coops/outlandish" && !strings.Contains(string(body), `href="https://github.com/outlandish/website"`) {
				t.Errorf("the co-op's repository is not linked to GitHub:\n%s", body)
			}
			if public && p == "/ledger" && !strings.Contains(string(body), "curl -fsS https://accord.example.coop/api/v1/ledger/checkpoint") {
				t.Errorf("the ledger page's commands do not name public_url:\n%s", body)
			}
		}
		if resp, err := http.Get(ts.URL + "/healthz"); err != nil || resp.StatusCode != 200 {
			t.Errorf("healthz: %v %v", resp, err)
		}
	}
}
