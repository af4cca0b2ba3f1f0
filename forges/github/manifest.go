package github

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	gh "github.com/google/go-github/v60/github"

	"github.com/accord-coop/accord/forges"
)

// AppCredentials are what GitHub gives for an App made from a manifest:
// its ID and name, and its secrets (the private key, the webhook secret).
type AppCredentials struct {
	ID            int64
	Slug          string
	HTMLURL       string
	PrivateKeyPEM string
	WebhookSecret string
}

// CompleteManifest exchanges the code GitHub gives after a person created
// an App from a manifest (the App manifest flow) for the App's
// credentials: POST /app-manifests/{code}/conversions, which needs no
// authentication. apiBase is GitHub's API ("" for api.github.com).
func CompleteManifest(ctx context.Context, apiBase, code string) (*AppCredentials, error) {
	if code == "" || strings.ContainsAny(code, "/?#") {
		return nil, fmt.Errorf("github: the manifest code %q is not one GitHub gives", code)
	}
	api := gh.NewClient(&http.Client{Timeout: 30 * time.Second})
	if apiBase != "" {
		base, err := url.Parse(strings.TrimSuffix(apiBase, "/") + "/")
		if err != nil || !base.IsAbs() {
			return nil, fmt.Errorf("github: API base URL %q is not an absolute URL", apiBase)
		}
		api.BaseURL = base
	}
	cfg, resp, err := api.Apps.CompleteAppManifest(ctx, code)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		return nil, &forges.APIError{Forge: "github", Op: "CompleteManifest", Status: status, Message: manifestMessage(err)}
	}
	if cfg.GetID() == 0 || cfg.GetPEM() == "" {
		return nil, fmt.Errorf("github: the manifest conversion gave no App ID or key")
	}
	return &AppCredentials{ID: cfg.GetID(), Slug: cfg.GetSlug(), HTMLURL: cfg.GetHTMLURL(),
		PrivateKeyPEM: cfg.GetPEM(), WebhookSecret: cfg.GetWebhookSecret()}, nil
}

// manifestMessage is GitHub's own message of a failed conversion, without
// the request URL go-github puts in its errors (it holds the code).
func manifestMessage(err error) string {
	if er, ok := err.(*gh.ErrorResponse); ok && er.Message != "" {
		return er.Message
	}
	return "the conversion failed"
}
