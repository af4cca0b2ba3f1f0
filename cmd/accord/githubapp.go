package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/accord-coop/accord/config"
	"github.com/accord-coop/accord/forges/github"
)

// runGitHubApp is `accord github-app create`: GitHub's App manifest flow.
// A page served on this machine posts a manifest (the permissions and
// events Accord needs, the webhook URL from public_url) to GitHub; the
// person creates the App there; GitHub redirects back with a code, which
// is exchanged for the App's ID, private key and webhook secret; these are
// written to files (0600) and the config lines printed.
func runGitHubApp(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("github-app", "github-app create [--org ORG] [--name NAME] [--out-dir DIR]", stdout)
	org := fs.String("org", "", "create the App in this GitHub `organization` (default: your account)")
	name := fs.String("name", "", "the App's `name` on GitHub (default: Accord and public_url's host)")
	outDir := fs.String("out-dir", ".", "the `directory` to write github-app.pem and github-webhook-secret to")
	listen := fs.String("listen", "127.0.0.1:0", "the local `address` of the page that starts the flow")
	webURL := fs.String("github-url", "https://github.com", "GitHub's web `URL` (GitHub Enterprise Server: its URL)")
	apiURL := fs.String("api-url", "", "GitHub's API `URL` (default api.github.com; GitHub Enterprise Server: URL/api/v3)")
	wait := fs.Duration("wait", 15*time.Minute, "how long to wait for the App to be created")
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || pos[0] != "create" {
		return usageError{"use 'accord github-app create'"}
	}
	cfg, err := config.Load(*fs.config, os.Getenv)
	if err != nil {
		return err
	}
	if cfg.PublicURL == "" {
		return usageError{"set public_url (or ACCORD_PUBLIC_URL) first: it is where GitHub will send the App's webhooks"}
	}
	forgeName := "github"
	for _, f := range cfg.Forges {
		if f.Type == config.TypeGitHub {
			forgeName = f.Name
			break
		}
	}
	pub, _ := url.Parse(cfg.PublicURL)
	if *name == "" {
		*name = "Accord " + pub.Host
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	defer ln.Close()
	local := "http://" + ln.Addr().String()
	state := randomHex(16)
	manifest, _ := json.Marshal(map[string]any{
		"name": *name, "url": cfg.PublicURL, "public": false,
		"hook_attributes": map[string]any{"url": strings.TrimSuffix(cfg.PublicURL, "/") + "/hooks/" + forgeName, "active": true},
		"redirect_url":    local + "/callback",
		"default_permissions": map[string]string{"issues": "write", "pull_requests": "write", "statuses": "write",
			"contents": "write", "metadata": "read"},
		"default_events": []string{"issues", "issue_comment", "pull_request", "pull_request_review", "push", "release"},
	})
	target := strings.TrimSuffix(*webURL, "/") + "/settings/apps/new"
	if *org != "" {
		target = strings.TrimSuffix(*webURL, "/") + "/organizations/" + url.PathEscape(*org) + "/settings/apps/new"
	}
	target += "?state=" + state

	done := make(chan error, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		manifestPage.Execute(w, map[string]any{"Target": target, "Manifest": string(manifest), "Name": *name})
	})
	mux.HandleFunc("GET /callback", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("state") != state {
			http.Error(w, "this is not the answer to the manifest this page posted", http.StatusBadRequest)
			return
		}
		creds, err := github.CompleteManifest(r.Context(), *apiURL, r.URL.Query().Get("code"))
		if err == nil {
			err = writeAppFiles(*outDir, creds, forgeName, stdout)
		}
		if err != nil {
			http.Error(w, "the App could not be set up: "+err.Error(), http.StatusBadGateway)
		} else {
			io.WriteString(w, "The GitHub App is created; its credentials are written. You can close this page and go back to the terminal.\n")
		}
		select {
		case done <- err:
		default:
		}
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	// Shut down gracefully: the callback's page is still being written when
	// its handler hands over the result, and Close would cut it off.
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	fmt.Fprintf(stdout, "Open %s/ in your browser and press the button: GitHub creates the App %q", local, *name)
	if *org != "" {
		fmt.Fprintf(stdout, " in %s", *org)
	}
	fmt.Fprintln(stdout, " and sends you back here.")
	select {
	case err := <-done:
		return err
	case <-time.After(*wait):
		return fmt.Errorf("no App was created within %s; run the command again", *wait)
	case <-ctx.Done():
		return errors.New("stopped before the App was created")
	}
}

var manifestPage = template.Must(template.New("manifest").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Create the GitHub App for Accord</title></head>
<body>
<h1>Create the GitHub App "{{.Name}}"</h1>
<p>GitHub will show what the App may do (issues, pull requests and commit statuses: write; contents: write, for the policy files and the ledger's checkpoint; metadata: read) and send you back here.</p>
<form action="{{.Target}}" method="post">
<input type="hidden" name="manifest" value="{{.Manifest}}">
<button type="submit">Create the App on GitHub</button>
</form>
</body></html>
`))

// writeAppFiles writes the App's key and webhook secret (0600, never over
// existing files) and prints the config lines.
func writeAppFiles(dir string, c *github.AppCredentials, forgeName string, stdout io.Writer) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	key, secret := filepath.Join(abs, "github-app.pem"), filepath.Join(abs, "github-webhook-secret")
	for path, content := range map[string]string{key: c.PrivateKeyPEM, secret: c.WebhookSecret + "\n"} {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return fmt.Errorf("%s: %w (an App's credentials are never written over a file)", path, err)
		}
		_, werr := f.WriteString(content)
		if err := errors.Join(werr, f.Close()); err != nil {
			return err
		}
	}
	envName := "ACCORD_" + strings.ToUpper(strings.ReplaceAll(forgeName, "-", "_")) + "_WEBHOOK_SECRETS"
	fmt.Fprintf(stdout, `Created the GitHub App %s (id %d): %s
Its private key is in %s and its webhook secret in %s.
In accord.yml:

forges:
  - name: %s
    type: github
    app_id: %d
    private_key_file: %s
    webhook_secrets_env: %s

and before accord serve: export %s="$(cat %s)"
Then install the App on the federation's repositories: %s/installations/new
`, c.Slug, c.ID, c.HTMLURL, key, secret, forgeName, c.ID, key, envName, envName, secret, c.HTMLURL)
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
