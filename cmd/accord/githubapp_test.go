package main

import (
	"bufio"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestGitHubAppCreate runs the manifest flow against a fake GitHub: the
// local page posts the manifest (Accord's permissions and events, the
// webhook at public_url) to the organization's new-App page; GitHub's
// redirect with a code is exchanged at POST /app-manifests/{code}/conversions;
// the key and the webhook secret are written 0600 and the config printed.
func TestGitHubAppCreate(t *testing.T) {
	var conversions int
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "POST" || r.URL.Path != "/app-manifests/c0de/conversions" {
			http.Error(w, `{"message":"Not Found"}`, 404)
			return
		}
		conversions++
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id": 1234, "slug": "accord-example", "node_id": "A_1", "name": "Accord accord.example.coop",
			"html_url": "https://github.com/apps/accord-example", "client_id": "Iv1.x", "client_secret": "cs",
			"webhook_secret": "whsec-123", "pem": "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n",
			"owner": {"login": "cotech"}, "created_at": "2026-12-03T10:00:00Z", "updated_at": "2026-12-03T10:00:00Z"}`)
	}))
	defer api.Close()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "accord.yml"), []byte("public_url: https://accord.example.coop\nforges:\n  - {name: github, type: github}\n"), 0o600)
	cmd := exec.Command(accordBin, "github-app", "create", "--org", "cotech", "--github-url", "https://github.example",
		"--api-url", api.URL, "--out-dir", dir, "--config", filepath.Join(dir, "accord.yml"))
	out, _ := cmd.StdoutPipe()
	var errb syncBuffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	sc := bufio.NewScanner(out)
	if !sc.Scan() {
		t.Fatalf("no first line: %s", errb.String())
	}
	local := regexp.MustCompile(`Open (http://\S+)/ in your browser`).FindStringSubmatch(sc.Text())
	if local == nil {
		t.Fatalf("first line %q", sc.Text())
	}
	resp, err := http.Get(local[1] + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	form := html.UnescapeString(string(page))
	m := regexp.MustCompile(`action="(https://github\.example/organizations/cotech/settings/apps/new\?state=([0-9a-f]+))"`).FindStringSubmatch(form)
	if m == nil {
		t.Fatalf("the page's form:\n%s", form)
	}
	for _, want := range []string{`"url":"https://accord.example.coop/hooks/github"`, `"redirect_url":"` + local[1] + `/callback"`,
		`"issues":"write"`, `"statuses":"write"`, `"contents":"write"`, `"issue_comment"`, `"pull_request_review"`} {
		if !strings.Contains(form, want) {
			t.Errorf("the manifest lacks %s:\n%s", want, form)
		}
	}
	// A redirect that is not the answer to this page's manifest is refused.
	if r, err := http.Get(local[1] + "/callback?code=c0de&state=forged"); err != nil || r.StatusCode != 400 {
		t.Errorf("a forged state: %v %v", r, err)
	}
	// GitHub sends the person back with the code.
	r, err := http.Get(local[1] + "/callback?code=c0de&state=" + m[2])
	if err != nil || r.StatusCode != 200 {
		t.Fatalf("callback: %v %v", r, err)
	}
	var rest strings.Builder
	for sc.Scan() {
		rest.WriteString(sc.Text() + "\n")
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit: %v %s", err, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the command did not end")
	}
	key, secret := filepath.Join(dir, "github-app.pem"), filepath.Join(dir, "github-webhook-secret")
	for path, want := range map[string]string{key: "-----BEGIN RSA PRIVATE KEY-----", secret: "whsec-123"} {
		data, err := os.ReadFile(path)
		info, _ := os.Stat(path)
		if err != nil || !strings.Contains(string(data), want) || info.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %q", path, err, data)
		}
	}
	for _, want := range []string{"Created the GitHub App accord-example (id 1234)", "app_id: 1234", "private_key_file: " + key,
		"webhook_secrets_env: ACCORD_GITHUB_WEBHOOK_SECRETS", "https://github.com/apps/accord-example/installations/new"} {
		if !strings.Contains(rest.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, rest.String())
		}
	}
	if strings.Contains(rest.String(), "whsec-123") || conversions != 1 {
		t.Errorf("the secret was printed, or %d conversions:\n%s", conversions, rest.String())
	}
}
