package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/accord-coop/accord/forges/gitea/fixtures"
)

const giteaToken = "gt-token-5ecr3t"

// connectConfig writes a config with one Gitea forge at url.
func connectConfig(t *testing.T, dir, url string) string {
	t.Helper()
	path := filepath.Join(dir, "accord.yml")
	cfg := fmt.Sprintf(`public_url: https://accord.example.coop/
database: %s
forges:
  - name: gitea
    type: gitea
    base_url: %s
    token_env: TEST_GITEA_TOKEN
    webhook_secrets_env: TEST_GITEA_SECRETS
`, filepath.Join(dir, "accord.db"), url)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestConnectGitea runs `accord connect` against a fake Gitea twice: the
// first run creates the webhook, the second changes nothing.
func TestConnectGitea(t *testing.T) {
	srv := fixtures.New(t, "../../forges/gitea/testdata/api", giteaToken)
	srv.ServeHooks("federation", "commons", nil)
	dir := t.TempDir()
	cfg := connectConfig(t, dir, srv.URL)
	env := []string{"TEST_GITEA_TOKEN=" + giteaToken, "TEST_GITEA_SECRETS=new-secret,old-secret"}

	out, errOut, code := accord(t, dir, env, "connect", "gitea", "federation/commons", "--config", cfg)
	if code != 0 || !strings.Contains(out, "gitea: created the webhook of federation/commons") ||
		!strings.Contains(out, "https://accord.example.coop/hooks/gitea") {
		t.Fatalf("first connect: %d %q %q", code, out, errOut)
	}
	hooks := srv.Hooks("federation", "commons")
	if len(hooks) != 1 {
		t.Fatalf("%d hooks after the first connect", len(hooks))
	}
	if h := fmt.Sprintf("%+v", hooks[0]); !strings.Contains(h, "new-secret") || !strings.Contains(h, "https://accord.example.coop/hooks/gitea") {
		t.Errorf("hook %s: want the first secret and the hook URL", h)
	}
	out, errOut, code = accord(t, dir, env, "connect", "gitea", "federation/commons", "--config", cfg)
	if code != 0 || !strings.Contains(out, "nothing changed") {
		t.Fatalf("second connect: %d %q %q", code, out, errOut)
	}
	if n := len(srv.Hooks("federation", "commons")); n != 1 {
		t.Errorf("%d hooks after the second connect", n)
	}
	for _, r := range srv.Requests() {
		if r.Method != "GET" && r.Method != "POST" {
			t.Errorf("the second run changed something: %s %s", r.Method, r.Path)
		}
	}
	if strings.Contains(out+errOut, giteaToken) || strings.Contains(out+errOut, "new-secret") {
		t.Error("a secret reached the output")
	}
}

// TestConnectAndCheckErrors: the mistakes connect and forges check meet say
// what to do in one line, and a rejected token never shows.
func TestConnectAndCheckErrors(t *testing.T) {
	srv := fixtures.New(t, "../../forges/gitea/testdata/api", giteaToken)
	srv.Replay("get-user")
	dir := t.TempDir()
	cfg := connectConfig(t, dir, srv.URL)
	good := []string{"TEST_GITEA_TOKEN=" + giteaToken, "TEST_GITEA_SECRETS=s"}
	bad := []string{"TEST_GITEA_TOKEN=wrong-" + giteaToken, "TEST_GITEA_SECRETS=s"}

	out, _, code := accord(t, dir, good, "forges", "check", "--config", cfg)
	if code != 0 || !strings.HasPrefix(out, "gitea: ok, authenticated as ") {
		t.Errorf("forges check: %d %q", code, out)
	}
	out, errOut, code := accord(t, dir, bad, "forges", "check", "--config", cfg)
	if code != 1 || !strings.Contains(out, "gitea: failed: the forge answered 401 Unauthorized") ||
		!strings.Contains(out, "check TEST_GITEA_TOKEN") || strings.Contains(out, "Check") {
		t.Errorf("forges check with a bad token: %d %q %q", code, out, errOut)
	}
	if strings.Contains(out+errOut, giteaToken) {
		t.Errorf("the token reached the output: %q %q", out, errOut)
	}
	cases := []struct {
		args []string
		env  []string
		want string
	}{
		{[]string{"connect", "gitea"}, good, "give the forge's name and the repository"},
		{[]string{"connect", "gitea", "commons"}, good, `repository "commons": write OWNER/REPO`},
		{[]string{"connect", "codeberg", "a/b"}, good, `no forge named "codeberg"`},
		{[]string{"connect", "gitea", "a/b"}, []string{"TEST_GITEA_TOKEN=x"}, "no webhook secret (set TEST_GITEA_SECRETS)"},
		{[]string{"connect", "gitea", "a/b"}, []string{"TEST_GITEA_SECRETS=s"}, "no API credentials (set TEST_GITEA_TOKEN)"},
		{[]string{"connect", "gitea", "federation/commons"}, bad,
			"gitea: could not connect federation/commons: the forge answered 401 Unauthorized"},
		{[]string{"connect", "gitea", "federation/commons"}, bad, "(the forge did not accept the credentials: check TEST_GITEA_TOKEN)"},
		{[]string{"forges", "list"}, good, "one subcommand: check"},
	}
	for _, c := range cases {
		_, errOut, code := accord(t, dir, c.env, append(c.args, "--config", cfg)...)
		if code == 0 || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, c.want) {
			t.Errorf("accord %s: exit %d, %q; want one line with %q", strings.Join(c.args, " "), code, errOut, c.want)
		}
		if strings.Contains(errOut, giteaToken) {
			t.Errorf("accord %s: the token reached the output", strings.Join(c.args, " "))
		}
	}
}
