package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/accord-coop/accord/forges/gitea/fixtures"
)

// composeEnv is the accord service's environment in compose.yaml, with
// ${VAR:-default} filled from dotenv (the walk-through's .env) or the
// default, as Compose does.
func composeEnv(t *testing.T, dotenv map[string]string) map[string]string {
	t.Helper()
	data, err := os.ReadFile("../../compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Services map[string]struct {
			Image       string            `yaml:"image"`
			Build       string            `yaml:"build"`
			Environment map[string]string `yaml:"environment"`
			Ports       []string          `yaml:"ports"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	if c.Services["accord"].Build != "." || !strings.HasPrefix(c.Services["forgejo"].Image, "codeberg.org/forgejo/forgejo:") {
		t.Fatalf("compose.yaml: want the services accord (built here) and forgejo, got %+v", c.Services)
	}
	subst := regexp.MustCompile(`\$\{(\w+):-([^}]*)\}`)
	env := map[string]string{}
	for k, v := range c.Services["accord"].Environment {
		env[k] = subst.ReplaceAllStringFunc(v, func(m string) string {
			p := subst.FindStringSubmatch(m)
			if d, ok := dotenv[p[1]]; ok {
				return d
			}
			return p[2]
		})
	}
	return env
}

// TestComposeTrial runs the accord service of compose.yaml as the README's
// walk-through does, against a fake Forgejo in place of the compose network's
// (only the base URL differs): the config the environment makes is valid,
// the bot's token authenticates, `accord connect forgejo hypha/sensemaker`
// points the webhook at Accord's compose address with the trial secret, and
// the example federation credits that repository to Hypha, fran's co-op.
func TestComposeTrial(t *testing.T) {
	srv := fixtures.New(t, "../../forges/gitea/testdata/api", giteaToken)
	srv.ServeHooks("hypha", "sensemaker", nil)
	srv.Replay("get-user")
	env := composeEnv(t, map[string]string{"ACCORD_FORGEJO_TOKEN": giteaToken})
	if env["ACCORD_FORGEJO_BASE_URL"] != "http://forgejo:3000" || env["ACCORD_PUBLIC_URL"] != "http://accord:8080" {
		t.Fatalf("compose.yaml: accord's environment %v", env)
	}
	env["ACCORD_FORGEJO_BASE_URL"] = srv.URL
	dir := t.TempDir() // the image's WORKDIR: no accord.yml, the built-in forges
	env["ACCORD_DATABASE"] = filepath.Join(dir, "accord.db")
	examples, err := filepath.Abs("../../policies/examples")
	if err != nil {
		t.Fatal(err)
	}
	env["ACCORD_POLICIES_DIR"] = examples // the image's copy
	var list []string
	for k, v := range env {
		list = append(list, k+"="+v)
	}

	out, errOut, code := accord(t, dir, list, "connect", "forgejo", "hypha/sensemaker")
	if code != 0 || !strings.Contains(out, "forgejo: created the webhook of hypha/sensemaker") ||
		!strings.Contains(out, "http://accord:8080/hooks/forgejo") {
		t.Fatalf("connect: %d %q %q", code, out, errOut)
	}
	hooks := srv.Hooks("hypha", "sensemaker")
	if h := fmt.Sprintf("%+v", hooks); len(hooks) != 1 || !strings.Contains(h, "trial-secret") {
		t.Errorf("hooks %s: want one, with the trial secret", h)
	}
	if out, errOut, code := accord(t, dir, list, "forges", "check"); !strings.Contains(out, "forgejo: ok, authenticated as ") {
		t.Errorf("forges check: %d %q %q", code, out, errOut)
	}
	if out, errOut, code := accord(t, dir, list, "policy", "check", examples); code != 0 {
		t.Errorf("the example policies: %d %q %q", code, out, errOut)
	}

	// The walk-through's names are the example federation's.
	coops, _ := os.ReadFile("../../policies/examples/coops.yml")
	for _, want := range []string{"forgejo:hypha/sensemaker", "identities: [forgejo:fran", "{coop: hypha, since: 2023-04-01}"} {
		if !strings.Contains(string(coops), want) {
			t.Errorf("policies/examples/coops.yml lacks %q, which the README's walk-through relies on", want)
		}
	}
	readme, _ := os.ReadFile("../../README.md")
	for _, want := range []string{"docker compose exec accord accord connect forgejo hypha/sensemaker",
		"--username fran ", "orgs/hypha/repos", `"name":"sensemaker"`, `"/vote yes"`, "docker compose exec accord accord score"} {
		if !strings.Contains(string(readme), want) {
			t.Errorf("README's walk-through lacks %q", want)
		}
	}
}
