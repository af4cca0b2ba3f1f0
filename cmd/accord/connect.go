package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/accord-coop/accord/config"
	"github.com/accord-coop/accord/forges"
)

func runConnect(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("connect", "connect FORGE OWNER/REPO", stdout)
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usageError{"give the forge's name and the repository, e.g. accord connect codeberg coop/project"}
	}
	owner, name, ok := strings.Cut(pos[1], "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return usageError{fmt.Sprintf("repository %q: write OWNER/REPO", pos[1])}
	}
	cfg, err := config.Load(*fs.config, os.Getenv)
	if err != nil {
		return err
	}
	f := cfg.Forge(pos[0])
	if f == nil {
		return fmt.Errorf("no forge named %q in %s", pos[0], cfg.Source)
	}
	if cfg.PublicURL == "" {
		return fmt.Errorf("public_url is not set: forges need it to reach %s (set ACCORD_PUBLIC_URL)", "/hooks/"+f.Name)
	}
	if len(f.Secrets) == 0 {
		return fmt.Errorf("%s has no webhook secret (set %s)", f.Name, orWord(f.WebhookSecretsEnv, "webhook_secrets_env"))
	}
	client, err := clientFor(f, nil)
	if err != nil {
		return err
	}
	hookURL := strings.TrimSuffix(cfg.PublicURL, "/") + "/hooks/" + f.Name
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	// The first secret signs: during a rotation, put the new one first.
	res, err := client.Connect(ctx, forges.RepoRef{Owner: owner, Name: name}, hookURL, string(f.Secrets[0]))
	if err != nil {
		return fmt.Errorf("%s: could not connect %s: %s%s", f.Name, pos[1], forges.Problem(err), credentialHint(f, err, true))
	}
	fmt.Fprintln(stdout, connectLine(f.Name, pos[1], hookURL, res))
	return nil
}

// connectLine says in one line what connect did.
func connectLine(forge, repo, hookURL string, r *forges.ConnectResult) string {
	switch r.Action {
	case forges.ConnectCreated:
		return fmt.Sprintf("%s: created the webhook of %s (hook %d) sending to %s", forge, repo, r.HookID, hookURL)
	case forges.ConnectUpdated:
		return fmt.Sprintf("%s: updated the webhook of %s (hook %d) sending to %s", forge, repo, r.HookID, hookURL)
	case forges.ConnectUnchanged:
		return fmt.Sprintf("%s: %s already sends to %s (hook %d); nothing changed", forge, repo, hookURL, r.HookID)
	case forges.ConnectInstall:
		if r.Installed {
			return fmt.Sprintf("%s: the App is installed on %s; nothing to do (manage it at %s)", forge, repo, r.InstallURL)
		}
		return fmt.Sprintf("%s: install the App on %s: %s", forge, repo, r.InstallURL)
	}
	return fmt.Sprintf("%s: %s", forge, r.Action)
}

func runForges(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("forges", "forges check", stdout)
	fs.sub("check")
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || pos[0] != "check" {
		return usageError{"the forges command has one subcommand: check"}
	}
	cfg, err := config.Load(*fs.config, os.Getenv)
	if err != nil {
		return err
	}
	failed := 0
	for i := range cfg.Forges {
		line, ok := checkForge(ctx, &cfg.Forges[i])
		fmt.Fprintln(stdout, line)
		if !ok {
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d forges failed the check", failed, len(cfg.Forges))
	}
	return nil
}

// checkForge calls one forge once and says in one line whether its
// credentials work.
func checkForge(ctx context.Context, f *config.Forge) (string, bool) {
	client, err := clientFor(f, nil)
	if err != nil {
		return fmt.Sprintf("%s: not checked: %v", f.Name, err), false
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	id, err := client.Check(ctx)
	if err != nil {
		return fmt.Sprintf("%s: failed: %s%s", f.Name, forges.Problem(err), credentialHint(f, err, false)), false
	}
	return fmt.Sprintf("%s: ok, authenticated as %s (%s)", f.Name, id.Login, id.Detail), true
}

// credentialHint says what to look at after a forge refused a call: the
// credential it refused (401), the permission it lacks (403), or, for a
// repository, that it is missing or hidden from these credentials (404).
func credentialHint(f *config.Forge, err error, repo bool) string {
	cred := orWord(f.TokenEnv, "token_env")
	if f.Type == config.TypeGitHub && f.AppID != 0 {
		cred = "app_id and private_key_file"
	}
	switch forges.HTTPStatus(err) {
	case http.StatusUnauthorized:
		return " (the forge did not accept the credentials: check " + cred + ")"
	case http.StatusForbidden:
		if repo {
			return " (the credentials lack a permission: webhooks need admin rights on the repository)"
		}
		return " (the credentials lack a permission)"
	case http.StatusNotFound:
		if repo {
			return " (the repository does not exist, or these credentials cannot see it)"
		}
	}
	return ""
}
