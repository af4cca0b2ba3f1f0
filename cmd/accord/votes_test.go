package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accord-coop/accord/ledger"
	"github.com/accord-coop/accord/store"
)

// forgeState is a forge that keeps what the bot does to one repository:
// comments, labels and commit statuses. It answers the Gitea API (under
// /api/v1) or the GitHub API (under /api/v3), enough for the effects of
// votes, with the shapes of the real APIs. The token is the account bot's:
// the user the identity call names and the author of the comments it posts.
type forgeState struct {
	t        *testing.T
	github   bool
	mu       sync.Mutex
	comments []map[string]any
	labels   map[string]int     // repo label → id
	issue    map[int64][]string // issue → labels
	statuses map[string][]string
	nextID   int
	files    map[int64][]string // a pull request's changed files
	// The governance repo: file contents by commit and path, and the
	// commit the policy branch points at.
	tree        map[string]map[string]string
	head        string
	puts        int             // files committed (PutFile)
	down        bool            // the forge is down: every call answers 502
	refusedDown int             // calls answered 502 while down
	history     []string        // those commits, newest first
	bot         string          // the token's user
	whoami      int             // identity calls answered
	failPost    string          // a new comment opening with this is refused once (503)
	refused     int             // new comments refused
	commits     map[int64][]any // a pull request's commits, in the forge's JSON
	// GitHub's record of its webhook's deliveries (catchup_test.go), and
	// where a redelivery goes.
	deliveries []*fakeDelivery
	hookURL    string
}

func newForgeState(t *testing.T, github bool) (*forgeState, *httptest.Server) {
	f := &forgeState{t: t, github: github, labels: map[string]int{}, issue: map[int64][]string{}, statuses: map[string][]string{},
		nextID: 900, files: map[int64][]string{}, bot: "accord-bot", commits: map[int64][]any{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

var (
	reComments   = regexp.MustCompile(`^/repos/[^/]+/[^/]+/issues/(\d+)/comments$`)
	reComment    = regexp.MustCompile(`^/repos/[^/]+/[^/]+/issues/comments/(\d+)$`)
	reReaction   = regexp.MustCompile(`^/repos/[^/]+/[^/]+/issues/comments/(\d+)/reactions$`)
	reRepoLabels = regexp.MustCompile(`^/repos/[^/]+/[^/]+/labels$`)
	reRepoLabel  = regexp.MustCompile(`^/repos/[^/]+/[^/]+/labels/(.+)$`)
	reIssueLabs  = regexp.MustCompile(`^/repos/[^/]+/[^/]+/issues/(\d+)/labels$`)
	reIssueLab   = regexp.MustCompile(`^/repos/[^/]+/[^/]+/issues/(\d+)/labels/(.+)$`)
	reStatus     = regexp.MustCompile(`^/repos/[^/]+/[^/]+/statuses/(\w+)$`)
	rePullFiles  = regexp.MustCompile(`^/repos/[^/]+/[^/]+/pulls/(\d+)/files$`)
	reContents   = regexp.MustCompile(`^/repos/[^/]+/[^/]+/contents/(.+)$`)
	reBranch     = regexp.MustCompile(`^/repos/[^/]+/[^/]+/branches/(.+)$`) // Gitea
	reCommits    = regexp.MustCompile(`^/repos/[^/]+/[^/]+/commits$`)
	reCommitRef  = regexp.MustCompile(`^/repos/[^/]+/[^/]+/commits/(.+)$`) // GitHub, as a SHA
	rePullCommts = regexp.MustCompile(`^/repos/[^/]+/[^/]+/pulls/(\d+)/commits$`)
)

func (f *forgeState) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	prefix, auth := "/api/v1", "token "+giteaToken
	if f.github {
		prefix, auth = "/api/v3", "Bearer "+githubToken
	}
	if r.Header.Get("Authorization") != auth {
		http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
		return
	}
	path := strings.TrimPrefix(r.URL.EscapedPath(), prefix)
	var body map[string]any
	var list []any
	if r.Body != nil {
		dec := json.NewDecoder(r.Body)
		var v any
		if dec.Decode(&v) == nil {
			switch x := v.(type) {
			case map[string]any:
				body = x
			case []any:
				list = x
			}
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	reply := func(status int, v any) {
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(v)
	}
	if f.down { // an outage: every call fails as a proxy in front of a dead forge answers
		f.refusedDown++
		reply(502, map[string]string{"message": "Bad Gateway"})
		return
	}
	switch m := r.Method; {
	case m == "GET" && reContents.MatchString(path):
		name := unescape(reContents.FindStringSubmatch(path)[1])
		content, ok := f.tree[r.URL.Query().Get("ref")][name]
		if !ok {
			reply(404, map[string]string{"message": "Not Found"})
			return
		}
		reply(200, map[string]any{"type": "file", "encoding": "base64", "name": filepath.Base(name), "path": name,
			"content": base64.StdEncoding.EncodeToString([]byte(content)), "sha": "blob", "size": len(content)})
	case (m == "PUT" || m == "POST") && reContents.MatchString(path): // create or update a file: GitHub PUTs both, Gitea POSTs a new one
		name := unescape(reContents.FindStringSubmatch(path)[1])
		branch, _ := body["branch"].(string)
		if branch == "" {
			branch = "main"
		}
		data, err := base64.StdEncoding.DecodeString(fmt.Sprint(body["content"]))
		if err != nil {
			reply(422, map[string]string{"message": "content is not base64"})
			return
		}
		if f.tree == nil {
			f.tree = map[string]map[string]string{}
		}
		if f.tree[branch] == nil {
			f.tree[branch] = map[string]string{}
		}
		f.tree[branch][name] = string(data)
		f.puts++
		sha := fmt.Sprintf("%040x", 0xc0+f.puts)
		// The commit, for the file's history: its content at that commit.
		f.tree[sha] = map[string]string{name: string(data)}
		f.history = append([]string{sha}, f.history...)
		reply(201, map[string]any{"content": map[string]any{"name": filepath.Base(name), "path": name, "type": "file", "sha": "blob"},
			"commit": map[string]any{"sha": sha, "message": body["message"]}})
	case m == "GET" && reCommits.MatchString(path): // the commits that changed a file (path=), newest first
		out := []any{}
		if r.URL.Query().Get("page") <= "1" {
			for _, sha := range f.history {
				out = append(out, map[string]any{"sha": sha, "commit": map[string]any{"message": "accord: ledger checkpoint"}})
			}
		}
		reply(200, out)
	case m == "GET" && reBranch.MatchString(path):
		reply(200, map[string]any{"name": reBranch.FindStringSubmatch(path)[1], "commit": map[string]any{"id": f.head}})
	case m == "GET" && reCommitRef.MatchString(path):
		w.Header().Set("Content-Type", "application/vnd.github.v3.sha")
		w.WriteHeader(200)
		io.WriteString(w, f.head)
	case m == "GET" && path == "/user": // who the token is: the real answer, with the bot's login
		f.whoami++
		u := apiAnswer(f.t, f.github, map[bool]string{true: "user", false: "get-user"}[f.github])
		u["login"] = f.bot
		reply(200, u)
	case m == "GET" && path == "/version" && !f.github:
		reply(200, apiAnswer(f.t, false, "version"))
	case m == "GET" && reComments.MatchString(path):
		n, _ := strconv.ParseInt(reComments.FindStringSubmatch(path)[1], 10, 64)
		out := []any{}
		for _, c := range f.comments {
			if c["issue"] == n && r.URL.Query().Get("page") <= "1" {
				out = append(out, c)
			}
		}
		reply(200, out)
	case m == "GET" && rePullFiles.MatchString(path):
		n, _ := strconv.ParseInt(rePullFiles.FindStringSubmatch(path)[1], 10, 64)
		out := []any{}
		for _, name := range f.files[n] {
			if r.URL.Query().Get("page") <= "1" {
				out = append(out, map[string]any{"filename": name, "status": "modified"})
			}
		}
		w.Header().Set("X-Total-Count", strconv.Itoa(len(f.files[n])))
		reply(200, out)
	case m == "GET" && rePullCommts.MatchString(path): // one page holds them all
		n, _ := strconv.ParseInt(rePullCommts.FindStringSubmatch(path)[1], 10, 64)
		out := []any{}
		if r.URL.Query().Get("page") <= "1" {
			out = append(out, f.commits[n]...)
		}
		w.Header().Set("X-Total-Count", strconv.Itoa(len(f.commits[n])))
		reply(200, out)
	case m == "POST" && reComments.MatchString(path):
		n, _ := strconv.ParseInt(reComments.FindStringSubmatch(path)[1], 10, 64)
		if b := fmt.Sprint(body["body"]); f.failPost != "" && strings.HasPrefix(b, f.failPost) {
			f.failPost = ""
			f.refused++
			reply(503, map[string]string{"message": "Service Unavailable"})
			return
		}
		f.nextID++
		c := map[string]any{"id": f.nextID, "body": body["body"], "user": map[string]any{"id": 1, "login": f.bot},
			"created_at": time.Now().UTC().Format(time.RFC3339), "updated_at": time.Now().UTC().Format(time.RFC3339), "issue": n}
		f.comments = append(f.comments, c)
		reply(201, c)
	case m == "PATCH" && reComment.MatchString(path):
		id, _ := strconv.Atoi(reComment.FindStringSubmatch(path)[1])
		for _, c := range f.comments {
			if c["id"] == id {
				c["body"] = body["body"]
				reply(200, c)
				return
			}
		}
		reply(404, map[string]string{"message": "not found"})
	case m == "POST" && reReaction.MatchString(path):
		reply(201, map[string]any{"content": body["content"]})
	case m == "GET" && reRepoLabels.MatchString(path):
		var out []any
		for name, id := range f.labels {
			out = append(out, map[string]any{"id": id, "name": name, "color": "ededed"})
		}
		if r.URL.Query().Get("page") > "1" {
			out = nil
		}
		reply(200, orEmpty(out))
	case m == "GET" && reRepoLabel.MatchString(path): // GitHub: one label by name
		name := unescape(reRepoLabel.FindStringSubmatch(path)[1])
		if id, ok := f.labels[name]; ok {
			reply(200, map[string]any{"id": id, "name": name, "color": "ededed"})
			return
		}
		reply(404, map[string]string{"message": "Not Found"})
	case m == "POST" && reRepoLabels.MatchString(path):
		name := fmt.Sprint(body["name"])
		f.nextID++
		f.labels[name] = f.nextID
		reply(201, map[string]any{"id": f.nextID, "name": name, "color": body["color"]})
	case m == "POST" && reIssueLabs.MatchString(path):
		n, _ := strconv.ParseInt(reIssueLabs.FindStringSubmatch(path)[1], 10, 64)
		if !f.github {
			list, _ = body["labels"].([]any)
		}
		for _, l := range list {
			name := fmt.Sprint(l)
			for ln, id := range f.labels {
				if fmt.Sprint(id) == name || fmt.Sprint(float64(id)) == name {
					name = ln
				}
			}
			if !slices.Contains(f.issue[n], name) {
				f.issue[n] = append(f.issue[n], name)
			}
		}
		var out []any
		for _, l := range f.issue[n] {
			out = append(out, map[string]any{"id": f.labels[l], "name": l})
		}
		reply(200, out)
	case m == "DELETE" && reIssueLab.MatchString(path):
		sm := reIssueLab.FindStringSubmatch(path)
		n, _ := strconv.ParseInt(sm[1], 10, 64)
		name := unescape(sm[2])
		for ln, id := range f.labels {
			if strconv.Itoa(id) == name {
				name = ln
			}
		}
		var keep []string
		for _, l := range f.issue[n] {
			if l != name {
				keep = append(keep, l)
			}
		}
		f.issue[n] = keep
		w.WriteHeader(http.StatusNoContent)
	case m == "POST" && reStatus.MatchString(path):
		sha := reStatus.FindStringSubmatch(path)[1]
		f.statuses[sha] = append(f.statuses[sha], fmt.Sprint(body["context"], "=", body["state"]))
		reply(201, map[string]any{"id": 1, "state": body["state"], "status": body["state"], "context": body["context"]})
	case f.serveCatchUp(m, path, r, reply):
	default:
		f.t.Errorf("fake forge: unexpected %s %s", r.Method, r.URL)
		reply(404, map[string]string{"message": "Not Found"})
	}
}

// byBot reports whether the fake forge's comment is the bot's.
func byBot(c map[string]any) bool {
	u, _ := c["user"].(map[string]any)
	return u["login"] == "accord-bot"
}

// userComment makes a member's comment change on the forge, as the forge
// would before sending its webhook, and returns the comment's creation
// time (now for a new one).
func (f *forgeState) userComment(action string, issue, id int, login, body, now string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, c := range f.comments {
		if c["id"] != id {
			continue
		}
		switch action {
		case "deleted":
			f.comments = append(f.comments[:i], f.comments[i+1:]...)
		default:
			c["body"], c["updated_at"] = body, now
		}
		return fmt.Sprint(c["created_at"])
	}
	if action == "created" {
		user := map[string]any{"id": 5000 + len(login), "login": login, "type": "User"}
		if strings.HasSuffix(login, "[bot]") {
			user["type"] = "Bot"
		}
		f.comments = append(f.comments, map[string]any{"id": id, "body": body, "user": user,
			"created_at": now, "updated_at": now, "issue": int64(issue)})
	}
	return now
}

// apiAnswer is the body of a recorded API answer in the forge clients'
// testdata: GitHub's are bodies, Gitea's request/response pairs.
func apiAnswer(t *testing.T, github bool, name string) map[string]any {
	dir := map[bool]string{true: "../../forges/github/testdata/api/", false: "../../forges/gitea/testdata/api/"}[github]
	raw, err := os.ReadFile(dir + name + ".json")
	if err != nil {
		t.Error(err)
		return map[string]any{}
	}
	var fx struct {
		Response struct {
			Body map[string]any `json:"body"`
		} `json:"response"`
	}
	var body map[string]any
	if github {
		err = json.Unmarshal(raw, &body)
	} else {
		err = json.Unmarshal(raw, &fx)
		body = fx.Response.Body
	}
	if err != nil {
		t.Error(err)
	}
	return body
}

// addComment puts a comment of login's on an issue, as a person's comment
// appears on the forge.
func (f *forgeState) addComment(issue int64, id int, login, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now().UTC().Format(time.RFC3339)
	f.comments = append(f.comments, map[string]any{"id": id, "body": body, "user": map[string]any{"id": id, "login": login},
		"created_at": now, "updated_at": now, "issue": issue})
}

func orEmpty(v []any) []any {
	if v == nil {
		return []any{}
	}
	return v
}

func unescape(s string) string {
	s = strings.ReplaceAll(s, "%2F", "/")
	return strings.ReplaceAll(s, "%20", " ")
}

func (f *forgeState) snapshot() (labels []string, status string, comments int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.comments {
		if b := fmt.Sprint(c["body"]); strings.Contains(b, "### Vote:") && byBot(c) {
			status = b
		}
	}
	for _, ls := range f.issue {
		labels = append(labels, ls...)
	}
	return labels, status, len(f.comments)
}

const githubToken = "ghp_votetest"

// voteConfig writes a config for one forge at url and policies in which
// alice, bob and carol of that forge are members, alice a maintainer.
func voteConfig(t *testing.T, dir, forgeType, url string) string {
	t.Helper()
	pol := filepath.Join(dir, "policies")
	os.MkdirAll(pol, 0o755)
	name := forgeType
	os.WriteFile(filepath.Join(pol, "coops.yml"), []byte(fmt.Sprintf(`version: 1
coops:
  - {id: a, name: A}
  - {id: b, name: B}
members:
  - {id: alice, identities: [%[1]s:alice, %[1]s:Codertocat], memberships: [{coop: a, since: 2020-01-01}]}
  - {id: bob, identities: [%[1]s:bob], memberships: [{coop: a, since: 2020-01-01}]}
  - {id: carol, identities: [%[1]s:carol], memberships: [{coop: b, since: 2020-01-01}]}
maintainers: [alice]
`, name)), 0o644)
	os.WriteFile(filepath.Join(pol, "scoring.yml"), []byte("version: 1\nweights: {pr_merged: 10, review_approved: 3, review_changes_requested: 3, review_commented: 1, issue_opened: 2, issue_closed: 1, comment: 0.5, commit: 1, release_published: 5, manual: 1}\n"), 0o644)
	os.WriteFile(filepath.Join(pol, "governance.yml"), []byte("version: 1\nprofiles:\n  default: {duration: 7d, voters: members, quorum: 0.5, threshold: 0.5}\n"), 0o644)
	cfg := filepath.Join(dir, "accord.yml")
	tokenEnv := "TEST_GITEA_TOKEN"
	if forgeType == "github" {
		tokenEnv = "TEST_GITHUB_TOKEN"
	}
	secretEnv := map[string]string{"github": "TEST_GITHUB_SECRETS", "gitea": "TEST_GITEA_SECRETS"}[forgeType]
	os.WriteFile(cfg, []byte(fmt.Sprintf(`listen: 127.0.0.1:0
database: %s
policies: {dir: %s}
forges:
  - {name: %s, type: %s, base_url: %s, token_env: %s, webhook_secrets_env: %s}
`, filepath.Join(dir, "accord.db"), pol, name, forgeType, url, tokenEnv, secretEnv)), 0o600)
	return cfg
}

// waitFor polls until cond holds (the outbox works after the 202).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func ledgerOutcome(t *testing.T, st *store.Store) map[string]any {
	var out map[string]any
	st.LedgerEntries(context.Background(), func(e ledger.Entry) error {
		if e.Kind == ledger.KindOutcome {
			json.Unmarshal(e.Body, &out)
		}
		return nil
	})
	return out
}

// TestVoteThroughIntakeGitea sends the captured Gitea deliveries of a vote
// (/propose, /vote yes, a quoted /vote no with /vote abstain, an edit to
// /vote no, a deletion) signed to a running accord serve, then a
// /proposal cancel: the fake Gitea shows the labels and the status comment,
// and the ledger the outcome.
func TestVoteThroughIntakeGitea(t *testing.T) {
	fake, srv := newForgeState(t, false)
	dir := t.TempDir()
	voteConfig(t, dir, "gitea", srv.URL)
	t.Setenv("TEST_GITEA_TOKEN", giteaToken)
	s := startServer(t, dir)
	fixtures := loadGiteaFixtures(t)
	for _, fx := range fixtures[:6] { // 001 opened … 006 deleted
		if code := s.post("gitea", fx.headers, fx.body); code != 202 {
			t.Fatalf("%s: %d", fx.name, code)
		}
	}
	waitFor(t, "the status comment with the tally", func() bool {
		_, status, _ := fake.snapshot()
		return strings.Contains(status, "| 0 | 1 | 0 | 0 | 1 of 3 members |")
	})
	labels, _, _ := fake.snapshot()
	if strings.Join(labels, ",") != "vote/open" {
		t.Errorf("labels %v", labels)
	}
	// Alice, the proposer, cancels: a new comment in the shape of 002.
	cancel := fixtures[1]
	body := strings.Replace(string(cancel.body), `"body": "/propose"`, `"body": "/proposal cancel"`, 1)
	body = strings.Replace(body, "\"comment\": {\n    \"id\": 1,", "\"comment\": {\n    \"id\": 77,", 1)
	if !strings.Contains(body, "/proposal cancel") || !strings.Contains(body, `"id": 77,`) {
		t.Fatal("the cancel delivery was not made")
	}
	h := cancel.headers.Clone()
	h.Set("X-Gitea-Delivery", "cancel-1")
	h.Set("X-Gitea-Signature", giteaSignature(giteaSecret, []byte(body)))
	h.Del("X-Hub-Signature-256")
	h.Del("X-Hub-Signature")
	h.Del("X-Gogs-Signature")
	if code := s.post("gitea", h, []byte(body)); code != 202 {
		t.Fatalf("cancel: %d", code)
	}
	st := s.openStore()
	waitFor(t, "the cancelled outcome", func() bool {
		o := ledgerOutcome(t, st)
		labels, status, _ := fake.snapshot()
		return o != nil && o["outcome"] == "cancelled" && strings.Join(labels, ",") == "vote/cancelled" && strings.Contains(status, "**Result: cancelled**")
	})
}

// TestVoteThroughIntakeGitHub runs a vote from GitHub-shaped deliveries
// (the octokit issue_comment example, with the bodies and logins of a
// vote): a non-member gets one reply, and the maintainer's close, once the
// outcome is decided, passes it.
func TestVoteThroughIntakeGitHub(t *testing.T) {
	fake, srv := newForgeState(t, true)
	dir := t.TempDir()
	voteConfig(t, dir, "github", srv.URL)
	t.Setenv("TEST_GITHUB_TOKEN", githubToken)
	s := startServer(t, dir)
	example, err := os.ReadFile("../../forges/github/testdata/payloads/issue_comment.created.1.json")
	if err != nil {
		t.Fatal(err)
	}
	send := func(id int, login, text string) {
		var p map[string]any
		json.Unmarshal(example, &p)
		c := p["comment"].(map[string]any)
		now := time.Now().UTC().Format(time.RFC3339) // the example's 2019 date predates every membership
		c["id"], c["body"], c["created_at"], c["updated_at"] = id, text, now, now
		c["user"].(map[string]any)["login"] = login
		p["sender"].(map[string]any)["login"] = login
		body, _ := json.Marshal(p)
		if code := s.post("github", githubHeaders("issue_comment", fmt.Sprint("gh-vote-", id), githubSecret, body), body); code != 202 {
			t.Fatalf("comment %d: %d", id, code)
		}
	}
	send(1, "alice", "/propose")
	send(2, "alice", "/vote yes")
	send(3, "bob", "/vote yes")
	send(4, "mallory", "/vote no") // not a member: one reply
	send(5, "alice", "/proposal close")
	st := s.openStore()
	waitFor(t, "the passed outcome", func() bool {
		o := ledgerOutcome(t, st)
		labels, status, _ := fake.snapshot()
		return o != nil && o["outcome"] == "passed" && strings.Join(labels, ",") == "vote/passed" && strings.Contains(status, "Votes: alice yes, bob yes.")
	})
	fake.mu.Lock()
	defer fake.mu.Unlock()
	replies := 0
	for _, c := range fake.comments {
		if strings.Contains(fmt.Sprint(c["body"]), "only members may vote") {
			replies++
		}
	}
	if replies != 1 {
		t.Errorf("%d replies to the non-member, want 1", replies)
	}
}
