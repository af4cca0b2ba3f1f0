package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accord-coop/accord/bot"
	"github.com/accord-coop/accord/forges"
	"github.com/accord-coop/accord/store"
)

// commentsForge is a Gitea that keeps one issue's comments. It answers a
// new comment only when release is closed: until then the comment is made
// but its answer is held, as when a process dies after sending.
type commentsForge struct {
	mu       sync.Mutex
	comments []map[string]any
	posted   chan struct{} // closed at the first POST
	release  chan struct{}
	once     sync.Once
	template map[string]any
	t        *testing.T
}

func newCommentsForge(t *testing.T) *commentsForge {
	raw, err := os.ReadFile("../../forges/gitea/testdata/api/create-comment.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx struct {
		Response struct {
			Body map[string]any `json:"body"`
		} `json:"response"`
	}
	if err := json.Unmarshal(raw, &fx); err != nil {
		t.Fatal(err)
	}
	return &commentsForge{t: t, posted: make(chan struct{}), release: make(chan struct{}), template: fx.Response.Body}
}

func (f *commentsForge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "token "+giteaToken {
		http.Error(w, `{"message":"token is required"}`, http.StatusUnauthorized)
		return
	}
	switch r.URL.Path {
	case "/api/v1/user": // the token is root's, who posts the comments (create-comment)
		json.NewEncoder(w).Encode(apiAnswer(f.t, false, "get-user"))
		return
	case "/api/v1/version":
		json.NewEncoder(w).Encode(apiAnswer(f.t, false, "version"))
		return
	}
	if r.URL.Path != "/api/v1/repos/federation/commons/issues/1/comments" {
		http.Error(w, `{"message":"not found"}`, http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	f.mu.Lock()
	switch r.Method {
	case http.MethodGet:
		w.Header().Set("X-Total-Count", fmt.Sprint(len(f.comments)))
		json.NewEncoder(w).Encode(f.comments)
		f.mu.Unlock()
	case http.MethodPost:
		var in struct{ Body string }
		json.NewDecoder(r.Body).Decode(&in)
		c := map[string]any{}
		for k, v := range f.template {
			c[k] = v
		}
		c["id"], c["body"] = len(f.comments)+10, in.Body
		f.comments = append(f.comments, c)
		f.mu.Unlock()
		f.once.Do(func() { close(f.posted) })
		<-f.release // the answer waits; the process is killed meanwhile
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(c)
	default:
		f.mu.Unlock()
		http.Error(w, `{"message":"method"}`, http.StatusMethodNotAllowed)
	}
}

func (f *commentsForge) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.comments)
}

// TestKillMidOutbox kills accord serve (SIGKILL) after Gitea took a comment
// and before the answer came back. After the restart the outbox finds the
// comment (its marker, by the bot's account) and does not post it again.
func TestKillMidOutbox(t *testing.T) {
	fake := newCommentsForge(t)
	srv := httptest.NewServer(fake)
	defer srv.Close()
	defer close(fake.release)
	dir := t.TempDir()
	cfg := fmt.Sprintf(`listen: 127.0.0.1:0
database: %s
forges:
  - name: gitea
    type: gitea
    base_url: %s
    token_env: TEST_GITEA_TOKEN
    webhook_secrets_env: TEST_GITEA_SECRETS
`, filepath.Join(dir, "accord.db"), srv.URL)
	if err := os.WriteFile(filepath.Join(dir, "accord.yml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TEST_GITEA_TOKEN", giteaToken)

	s := startServer(t, dir)
	st := s.openStore()
	act := bot.NewActions("gitea", "delivery-1")
	act.Comment(forges.RepoRef{Owner: "federation", Name: "commons"}, 1, "The vote is open.")
	if _, err := st.EnqueueEffects(context.Background(), time.Now(), act.Effects()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-fake.posted:
	case <-time.After(20 * time.Second):
		t.Fatalf("the outbox did not post:\n%s", s.logs.String())
	}
	s.kill()

	s2 := startServer(t, dir)
	deadline := time.Now().Add(20 * time.Second)
	for {
		es, _ := st.ListEffects(context.Background(), "", 10)
		if len(es) == 1 && es[0].State == store.StateDone {
			if es[0].Attempts != 2 {
				t.Errorf("attempts %d, want 2 (one cut off by the kill)", es[0].Attempts)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("effect not done after the restart: %+v\n%s", es, s2.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := fake.count(); n != 1 {
		t.Errorf("%d comments on the forge, want 1", n)
	}
	if !strings.Contains(s2.logs.String(), "resuming effects left unfinished") {
		t.Errorf("the restart did not say it resumed:\n%s", s2.logs.String())
	}
	if logs := s.logs.String() + s2.logs.String(); strings.Contains(logs, giteaToken) {
		t.Error("the API token reached the logs")
	}
}

// TestRejectedTokenStaysOutOfLogs: a forge that refuses the token makes the
// effect dead with the forge's answer; the token is in no log line.
func TestRejectedTokenStaysOutOfLogs(t *testing.T) {
	fake := newCommentsForge(t)
	srv := httptest.NewServer(fake)
	defer srv.Close()
	close(fake.release)
	dir := t.TempDir()
	cfg := fmt.Sprintf("listen: 127.0.0.1:0\ndatabase: %s\npolicies: {dir: %s}\nforges:\n  - {name: gitea, type: gitea, base_url: %s, token_env: TEST_GITEA_TOKEN, webhook_secrets_env: TEST_GITEA_SECRETS}\n",
		filepath.Join(dir, "accord.db"), examplesDir(t), srv.URL)
	os.WriteFile(filepath.Join(dir, "accord.yml"), []byte(cfg), 0o600)
	wrong := "wrong-" + giteaToken
	t.Setenv("TEST_GITEA_TOKEN", wrong)
	s := startServer(t, dir)
	st := s.openStore()
	act := bot.NewActions("gitea", "d-401")
	act.Comment(forges.RepoRef{Owner: "federation", Name: "commons"}, 1, "hello")
	st.EnqueueEffects(context.Background(), time.Now(), act.Effects())
	waitFor(t, "the effect to die", func() bool {
		es, _ := st.ListEffects(context.Background(), store.StateDead, 10)
		return len(es) == 1 && strings.Contains(es[0].LastError, "401")
	})
	s.stop()
	if logs := s.logs.String(); !strings.Contains(logs, "effect is dead") || strings.Contains(logs, wrong) || strings.Contains(logs, giteaToken) {
		t.Errorf("logs:\n%s", logs)
	}
	// What the bot meant to say, where, and the forge's answer.
	config := filepath.Join(dir, "accord.yml")
	out, errOut, code := accord(t, dir, nil, "outbox", "show", "1", "--config", config)
	if code != 0 || !strings.Contains(out, "effect 1: comment on gitea federation/commons#1") || !strings.Contains(out, "the forge's answer: ") ||
		!strings.Contains(out, "401") || !strings.HasSuffix(out, "\nhello\n") {
		t.Errorf("outbox show: %d %q %q", code, out, errOut)
	}
	out, _, _ = accord(t, dir, nil, "outbox", "show", "1", "--format", "json", "--config", config)
	var e effectJSON
	if err := json.Unmarshal([]byte(out), &e); err != nil || e.Target != "federation/commons#1" || e.Text != "hello" || e.State != "dead" || e.Tries != 1 {
		t.Errorf("outbox show --format json: %v %s", err, out)
	}
	list, _, _ := accord(t, dir, nil, "outbox", "--format", "json", "--config", config)
	validJSON(t, "outbox.schema.json", list)
	dl, _, _ := accord(t, dir, nil, "deliveries", "--format", "json", "--config", config)
	validJSON(t, "deliveries.schema.json", dl)
	if dl != "{\n  \"deliveries\": []\n}\n" {
		t.Errorf("deliveries --format json with none: %q", dl)
	}
	if _, errOut, code := accord(t, dir, nil, "outbox", "show", "99", "--config", config); code != 1 || !strings.Contains(errOut, "no effect 99") {
		t.Errorf("show 99: %d %q", code, errOut)
	}
}
