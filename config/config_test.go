package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadDefaultsWithoutFile(t *testing.T) {
	t.Chdir(t.TempDir()) // no accord.yml here
	cfg, err := Load("", env(map[string]string{"ACCORD_GITHUB_WEBHOOK_SECRETS": "a, b,,"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Source != "defaults" || cfg.Listen != "127.0.0.1:8080" || cfg.Database != "accord.db" || cfg.Policies.Dir != "policies/examples" {
		t.Fatalf("defaults: %+v", cfg)
	}
	if len(cfg.Forges) != 3 || cfg.Forge("github").Type != TypeGitHub || cfg.Forge("gitea").Type != TypeGitea || cfg.Forge("forgejo").Type != TypeForgejo {
		t.Fatalf("default forges: %+v", cfg.Forges)
	}
	if s := cfg.Forge("github").Secrets; len(s) != 2 || string(s[0]) != "a" || string(s[1]) != "b" {
		t.Fatalf("secrets: %q", s)
	}
	missing := strings.Join(cfg.Missing(), "; ")
	for _, want := range []string{"gitea: no webhook secret (set ACCORD_GITEA_WEBHOOK_SECRETS)", "forgejo: no webhook secret", "public_url"} {
		if !strings.Contains(missing, want) {
			t.Errorf("missing %q lacks %q", missing, want)
		}
	}
	if strings.Contains(missing, "github: no webhook secret") {
		t.Errorf("github has a secret, yet: %q", missing)
	}
}

func TestLoadFileAndEnvOverrides(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "accord.yml")
	keyFile := filepath.Join(dir, "github-app.pem")
	os.WriteFile(keyFile, []byte("-----BEGIN RSA PRIVATE KEY-----\n"), 0o600)
	os.WriteFile(path, []byte(strings.Replace(`listen: 0.0.0.0:9000
public_url: https://accord.example.coop
database: /data/accord.db
policies:
  repo: github:cotech/governance
  path: accord/
forges:
  - name: github
    type: github
    app_id: 123456
    private_key_file: KEYFILE
    webhook_secrets_env: GH_SECRETS
  - name: codeberg
    type: forgejo
    base_url: https://codeberg.org
    token_env: ACCORD_CODEBERG_TOKEN
    webhook_secrets_env: CB_SECRETS
ledger: {checkpoint_every: 30m}
`, "KEYFILE", keyFile, 1)), 0o600)
	logKey := filepath.Join(dir, "ledger.key")
	os.WriteFile(logKey, []byte("PRIVATE+KEY+accord.example.coop/ledger+00000000+AAAA\n"), 0o600)
	cfg, err := Load(path, env(map[string]string{"ACCORD_LISTEN": "127.0.0.1:1", "GH_SECRETS": "s1", "CB_SECRETS": "s2,s3",
		"ACCORD_CODEBERG_TOKEN": " cb-token\n", "ACCORD_LEDGER_KEY_FILE": logKey}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:1" || cfg.Database != "/data/accord.db" || cfg.Policies.Ref != "main" || cfg.Policies.Repo != "github:cotech/governance" {
		t.Fatalf("%+v", cfg)
	}
	if cb := cfg.Forge("codeberg"); cb == nil || cb.BaseURL != "https://codeberg.org" || len(cb.Secrets) != 2 {
		t.Fatalf("codeberg: %+v", cb)
	}
	if len(cfg.Missing()) != 0 {
		t.Fatalf("missing: %v", cfg.Missing())
	}
	if cfg.Ledger.Key != "PRIVATE+KEY+accord.example.coop/ledger+00000000+AAAA" || cfg.Ledger.CheckpointEvery != 30*time.Minute {
		t.Errorf("ledger: %+v", cfg.Ledger.CheckpointEvery)
	}
	if gh := cfg.Forge("github"); !gh.CanAct() || !strings.HasPrefix(string(gh.PrivateKey), "-----BEGIN") {
		t.Errorf("github App key not read")
	}
	if cb := cfg.Forge("codeberg"); cb.Token != "cb-token" || !cb.CanAct() {
		t.Errorf("codeberg token %q", cb.Token)
	}
}

// TestLoadKeyFileErrors: a missing key file is an error naming the file; an
// App without its key, or a key without its App, is refused.
func TestLoadKeyFileErrors(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"missing key file": "forges: [{name: gh, type: github, app_id: 1, private_key_file: " + filepath.Join(dir, "nope.pem") + "}]\n",
		"app without key":  "forges: [{name: gh, type: github, app_id: 1}]\n",
		"key without app":  "forges: [{name: gh, type: github, private_key_file: x.pem}]\n",
	} {
		path := filepath.Join(dir, "accord.yml")
		os.WriteFile(path, []byte(body), 0o600)
		_, err := Load(path, env(nil))
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// Without credentials the forge cannot act, and Missing says how to fix it.
	t.Chdir(t.TempDir())
	cfg, _ := Load("", env(nil))
	if m := strings.Join(cfg.Missing(), "; "); !strings.Contains(m, "github: no API credentials") || !strings.Contains(m, "ACCORD_GITEA_TOKEN") {
		t.Errorf("missing: %s", m)
	}
}

func TestLoadRejects(t *testing.T) {
	cases := map[string]string{
		"unknown key":       "listen: x:1\nlisen: y\n",
		"bad forge type":    "forges: [{name: x, type: gitlab}]\n",
		"duplicate forge":   "forges: [{name: x, type: gitea}, {name: x, type: github}]\n",
		"bad forge name":    "forges: [{name: 'My Forge', type: gitea}]\n",
		"bad base_url":      "forges: [{name: x, type: gitea, base_url: 'codeberg.org'}]\n",
		"app_id on gitea":   "forges: [{name: x, type: gitea, app_id: 1}]\n",
		"bad public_url":    "public_url: accord.example.coop\n",
		"postgres":          "database: postgres://localhost/accord\n",
		"repo and dir":      "policies: {repo: 'github:a/b', dir: x}\n",
		"bad policies repo": "policies: {repo: 'cotech/governance'}\n",
		"unknown forge":     "policies: {repo: 'gitlab:cotech/governance'}\n",
		"a secret in yaml?": "forges: [{name: x, type: gitea, webhook_secret: s}]\n",
		"not yaml":          "listen: [\n",
	}
	for name, body := range cases {
		path := filepath.Join(t.TempDir(), "accord.yml")
		os.WriteFile(path, []byte(body), 0o600)
		if _, err := Load(path, env(nil)); err == nil {
			t.Errorf("%s: accepted", name)
		} else if !strings.HasPrefix(err.Error(), path) {
			t.Errorf("%s: error %q does not name the file", name, err)
		}
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yml"), env(nil)); err == nil {
		t.Error("a missing --config file was accepted")
	}
}

func TestVotesCloseGrace(t *testing.T) {
	cfg, err := Parse([]byte("votes: {close_grace: 90s}\n"))
	if err != nil || cfg.Votes.CloseGrace != 90*time.Second {
		t.Fatalf("%v %v", cfg, err)
	}
	cfg, err = Parse([]byte("listen: 127.0.0.1:1\n"))
	if err != nil || cfg.Votes.CloseGrace != DefaultCloseGrace {
		t.Fatalf("default: %v %v", cfg.Votes, err)
	}
	if _, err := Parse([]byte("votes: {close_grace: soon}\n")); err == nil {
		t.Error("a grace that is no duration was accepted")
	}
	cfg, _ = Parse([]byte("votes: {close_grace: 48h}\n"))
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "votes.close_grace") {
		t.Errorf("48h: %v", err)
	}
}

func TestRetentionPayloads(t *testing.T) {
	for _, c := range []struct {
		yml  string
		want time.Duration
	}{
		{"", DefaultPayloadRetention},
		{"retention: {payloads: 90d}\n", 90 * 24 * time.Hour},
		{"retention: {payloads: 30d}\n", 30 * 24 * time.Hour},
		{"retention:\n  payloads: 36h\n", 36 * time.Hour},
		{"retention: {}\n", DefaultPayloadRetention},
	} {
		cfg, err := Parse([]byte(c.yml))
		if err != nil || time.Duration(cfg.Retention.Payloads) != c.want {
			t.Errorf("%q: %v %v, want %v", c.yml, cfg, err, c.want)
			continue
		}
		if err := cfg.Validate(); err != nil {
			t.Errorf("%q: %v", c.yml, err)
		}
	}
	for _, bad := range []string{"retention: {payloads: soon}\n", "retention: {payloads: 1.5d}\n", "retention: {payloads: -3d}\n",
		"retention: {payloads: 90d, events: 1d}\n"} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	cfg, err := Parse([]byte("retention: {payloads: 2h}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "retention.payloads 2h0m0s: give at least 1d") {
		t.Errorf("2h: %v", err)
	}
	if s := Duration(90 * 24 * time.Hour).String(); s != "90d" {
		t.Errorf("String() = %q", s)
	}
}

func TestCatchUpEvery(t *testing.T) {
	cfg, err := Parse([]byte("catch_up: {every: 10m}\n"))
	if err != nil || cfg.CatchUp.Every != 10*time.Minute {
		t.Fatalf("%v %v", cfg, err)
	}
	cfg, err = Parse([]byte("listen: 127.0.0.1:1\n"))
	if err != nil || cfg.CatchUp.Every != DefaultCatchUpEvery || DefaultCatchUpEvery != 5*time.Minute {
		t.Fatalf("default: %v %v", cfg.CatchUp, err)
	}
	for _, bad := range []string{"1s", "48h"} {
		cfg, _ = Parse([]byte("catch_up: {every: " + bad + "}\n"))
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "catch_up.every") {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

func TestIntakeMaxInflightBytes(t *testing.T) {
	for in, want := range map[string]ByteSize{
		"":                                      DefaultMaxInflightBytes,
		"intake: {max_inflight_bytes: 48MiB}\n": 48 << 20,
		"intake: {max_inflight_bytes: 1GiB}\n":  1 << 30,
		"intake: {max_inflight_bytes: 30000000}\n": 30000000,
		"intake: {max_inflight_bytes: 40 MB}\n":    40e6,
	} {
		cfg, err := Parse([]byte(in))
		if err != nil || cfg.Intake.MaxInflightBytes != want {
			t.Errorf("%q: %v %v, want %v", in, cfg, err, want)
		}
		if err == nil {
			if err := cfg.Validate(); err != nil {
				t.Errorf("%q: %v", in, err)
			}
		}
	}
	for _, in := range []string{"lots", "32XB", "-1MiB", "99999999999999GiB"} {
		if _, err := Parse([]byte("intake: {max_inflight_bytes: " + in + "}\n")); err == nil || !strings.Contains(err.Error(), in) {
			t.Errorf("%q: got %v, want an error naming it", in, err)
		}
	}
	cfg, _ := Parse([]byte("intake: {max_inflight_bytes: 8MiB}\n"))
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "intake.max_inflight_bytes 8MiB: give at least 26MiB") {
		t.Errorf("8MiB: %v", err)
	}
}

// TestConfigErrorsArePositioned: mistakes in accord.yml read like the
// policy files' (file:line:col: message), on one line, with a hint: the
// key meant, or that secrets go in the environment.
func TestConfigErrorsArePositioned(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ yml, want string }{
		{"listen_addr: 127.0.0.1:8080\n", "accord.yml:1:1: unknown key listen_addr; did you mean listen?"},
		{"policies:\n  dir: x\n  rpo: y\n", "accord.yml:3:3: unknown key rpo; did you mean repo?"},
		{"forges:\n  - name: gh\n    type: github\n    webhook_secret: s3cr3t\n", "accord.yml:4:5: unknown key webhook_secret; secrets never go in accord.yml"},
		{"listen: [a\n", "accord.yml:1:"},
		{"votes: {close_grace: soon}\nlisten_addr: x\n", "accord.yml:"},
	} {
		path := filepath.Join(dir, "accord.yml")
		os.WriteFile(path, []byte(c.yml), 0o600)
		_, err := Load(path, env(nil))
		if err == nil || !strings.Contains(err.Error(), strings.Replace(c.want, "accord.yml", path, 1)) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: %v, want %q on one line", c.yml, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("the error quotes the secret: %v", err)
		}
	}
}

// TestForgeSettingsFromTheEnvironment: ACCORD_CONFIG names the file, and
// every forge's base_url, app_id and private_key_file can come from
// ACCORD_<NAME>_…, as the other settings can.
func TestForgeSettingsFromTheEnvironment(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "elsewhere.yml")
	os.WriteFile(path, []byte("forges:\n  - {name: my-forge, type: forgejo}\n  - {name: gh, type: github}\n"), 0o600)
	key := filepath.Join(dir, "app.pem")
	os.WriteFile(key, []byte("-----BEGIN RSA PRIVATE KEY-----\n"), 0o600)
	t.Chdir(dir)
	cfg, err := Load("", env(map[string]string{"ACCORD_CONFIG": path, "ACCORD_MY_FORGE_BASE_URL": "https://codeberg.org",
		"ACCORD_GH_APP_ID": "42", "ACCORD_GH_PRIVATE_KEY_FILE": key}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Source != path || cfg.Forge("my-forge").BaseURL != "https://codeberg.org" || cfg.Forge("gh").AppID != 42 || !cfg.Forge("gh").CanAct() {
		t.Errorf("%+v %+v %+v", cfg.Source, cfg.Forge("my-forge"), cfg.Forge("gh"))
	}
	if _, err := Load(path, env(map[string]string{"ACCORD_GH_APP_ID": "forty-two"})); err == nil || !strings.Contains(err.Error(), "ACCORD_GH_APP_ID") {
		t.Errorf("a bad APP_ID: %v", err)
	}
}

// TestWeb: the pages are public unless web.public says false.
func TestWeb(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		yml  string
		want bool
	}{{"", true}, {"web: {public: true}\n", true}, {"web: {public: false}\n", false}} {
		path := filepath.Join(dir, "accord.yml")
		os.WriteFile(path, []byte("database: x.db\n"+c.yml), 0o600)
		cfg, err := Load(path, env(nil))
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Web.IsPublic() != c.want {
			t.Errorf("%q: public %v", c.yml, cfg.Web.IsPublic())
		}
	}
}

// TestForgeWebURL: links go to the forge's web address, not its API's.
func TestForgeWebURL(t *testing.T) {
	for _, c := range []struct {
		f    Forge
		want string
	}{
		{Forge{Type: TypeGitHub}, "https://github.com"},
		{Forge{Type: TypeGitHub, BaseURL: "https://api.github.com/"}, "https://github.com"},
		{Forge{Type: TypeGitHub, BaseURL: "https://github.example.coop/api/v3/"}, "https://github.example.coop"},
		{Forge{Type: TypeGitHub, BaseURL: "https://github.example.coop"}, "https://github.example.coop"},
		{Forge{Type: TypeForgejo, BaseURL: "https://codeberg.org/"}, "https://codeberg.org"},
		{Forge{Type: TypeGitea}, ""},
	} {
		if got := c.f.WebURL(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.f, got, c.want)
		}
	}
}
