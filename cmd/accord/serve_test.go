package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accord-coop/accord/forges"
	"github.com/accord-coop/accord/store"
)

// The tests here run the real binary: built once, started as `accord serve`
// on a temporary database, and sent signed deliveries over HTTP.

var accordBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "accord-bin")
	if err != nil {
		panic(err)
	}
	accordBin = filepath.Join(dir, "accord")
	build := exec.Command("go", "build", "-o", accordBin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building accord: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const (
	githubSecret = "gh-secret"
	giteaSecret  = "gt-secret" // the secret the Gitea fixtures were signed with
)

// server is a running `accord serve`.
type server struct {
	t    *testing.T
	dir  string
	url  string
	cmd  *exec.Cmd
	logs *syncBuffer
	done chan struct{}
	halt func() // an in-process bot's stop (startInProcess); nil for the binary
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func writeConfig(t *testing.T, dir string) string {
	t.Helper()
	cfg := fmt.Sprintf(`listen: 127.0.0.1:0
public_url: https://accord.example.coop
database: %s
policies:
  dir: %s
forges:
  - name: github
    type: github
    webhook_secrets_env: TEST_GITHUB_SECRETS
  - name: gitea
    type: gitea
    base_url: http://127.0.0.1:3000
    webhook_secrets_env: TEST_GITEA_SECRETS
  - name: forgejo
    type: forgejo
    base_url: http://127.0.0.1:3001
    webhook_secrets_env: TEST_FORGEJO_SECRETS
  - name: codeberg # the example policies name it
    type: forgejo
    base_url: https://codeberg.org
`, filepath.Join(dir, "accord.db"), examplesDir(t))
	path := filepath.Join(dir, "accord.yml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// examplesDir is the absolute path of the example policy files.
func examplesDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../../policies/examples")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

var listenLine = regexp.MustCompile(`listening on (http://\S+)`)

// startServer starts accord serve on the config in dir and waits until it
// says where it listens.
func startServer(t *testing.T, dir string) *server {
	t.Helper()
	cfg := filepath.Join(dir, "accord.yml")
	if _, err := os.Stat(cfg); err != nil {
		writeConfig(t, dir)
	}
	cmd := exec.Command(accordBin, "serve", "--config", cfg)
	// Rotation: the GitHub hook accepts an old and a new secret.
	cmd.Env = append(os.Environ(), "TEST_GITHUB_SECRETS=old-secret, "+githubSecret,
		"TEST_GITEA_SECRETS="+giteaSecret, "TEST_FORGEJO_SECRETS="+giteaSecret)
	for k, v := range forgeTokens {
		if os.Getenv(k) == "" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{t: t, dir: dir, cmd: cmd, logs: &syncBuffer{}, done: make(chan struct{})}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			s.logs.Write([]byte(line + "\n"))
			if m := listenLine.FindStringSubmatch(line); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		cmd.Wait()
		close(s.done)
	}()
	select {
	case s.url = <-found:
	case <-s.done:
		t.Fatalf("accord serve exited:\n%s", s.logs.String())
	case <-time.After(20 * time.Second):
		t.Fatalf("accord serve did not start:\n%s", s.logs.String())
	}
	t.Cleanup(func() { s.stop() })
	return s
}

// stop ends the server gracefully (SIGTERM) and waits for it.
func (s *server) stop() {
	if s.halt != nil {
		s.halt()
		return
	}
	if s.cmd.ProcessState != nil {
		return
	}
	s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
}

// kill ends the server with SIGKILL: no chance to flush or clean up.
func (s *server) kill() {
	if s.halt != nil {
		s.halt()
		return
	}
	s.cmd.Process.Kill()
	<-s.done
}

// post sends one delivery and returns the status code.
func (s *server) post(forge string, h http.Header, body []byte) int {
	s.t.Helper()
	req, err := http.NewRequest("POST", s.url+"/hooks/"+forge, bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("POST /hooks/%s: %v", forge, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// openStore opens the server's database beside it (SQLite in WAL mode
// allows a second reader).
func (s *server) openStore() *store.Store {
	st, err := store.Open(filepath.Join(s.dir, "accord.db"), store.Options{})
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { st.Close() })
	return st
}

// waitProcessed waits until no delivery is queued or processing.
func waitProcessed(t *testing.T, st *store.Store) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		n, err := st.QueueDepth(context.Background())
		if err == nil && n == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("deliveries still queued after 60 s")
}

func hubSignature(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func giteaSignature(secret string, body []byte) string {
	return strings.TrimPrefix(hubSignature(secret, body), "sha256=")
}

// githubHeaders are the headers GitHub sends with a delivery.
func githubHeaders(event, delivery, secret string, body []byte) http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("X-GitHub-Event", event)
	h.Set("X-GitHub-Delivery", delivery)
	h.Set("X-Hub-Signature-256", hubSignature(secret, body))
	return h
}

// giteaFixture is a delivery captured from a running Gitea.
type giteaFixture struct {
	name    string
	headers http.Header
	body    []byte
}

func loadGiteaFixtures(t *testing.T) []giteaFixture {
	t.Helper()
	files, err := filepath.Glob("../../forges/gitea/testdata/deliveries/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no Gitea fixtures: %v", err)
	}
	var out []giteaFixture
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var fx struct {
			Headers map[string]string `json:"headers"`
			Body    string            `json:"body"`
		}
		if err := json.Unmarshal(raw, &fx); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		h := http.Header{}
		for k, v := range fx.Headers {
			if k == "Content-Length" || k == "Host" || k == "Accept-Encoding" {
				continue
			}
			h.Set(k, v)
		}
		out = append(out, giteaFixture{name: filepath.Base(f), headers: h, body: []byte(fx.Body)})
	}
	return out
}

// asForgejo turns a Gitea delivery into what Forgejo sends: X-Forgejo-*
// headers beside the X-Gitea-* ones, signed in X-Forgejo-Signature.
func asForgejo(h http.Header) http.Header {
	out := h.Clone()
	for _, k := range []string{"Event", "Event-Type", "Delivery", "Signature"} {
		out.Set("X-Forgejo-"+k, h.Get("X-Gitea-"+k))
	}
	out.Del("X-Gitea-Signature")
	out.Del("X-Hub-Signature-256")
	out.Del("X-Hub-Signature")
	out.Del("X-Gogs-Signature")
	return out
}

// golden reads the normalized event a parser test pinned for a fixture.
func golden(t *testing.T, path string) forges.Event {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var ev forges.Event
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return ev
}

// goldenReceivedAt is the receipt time the parser tests use: a golden event
// whose Time is this took its time from the receipt, not the payload.
var goldenReceivedAt = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func sameEvent(t *testing.T, name string, got, want forges.Event, receivedBefore time.Time) {
	t.Helper()
	if want.Time.Equal(goldenReceivedAt) {
		if got.Time.After(receivedBefore) || got.Time.Before(receivedBefore.Add(-5*time.Minute)) {
			t.Errorf("%s: time %v is not the receipt time", name, got.Time)
		}
		want.Time = got.Time
	}
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if !bytes.Equal(g, w) {
		t.Errorf("%s: recorded event differs from the parser's golden\n got: %s\nwant: %s", name, g, w)
	}
}
