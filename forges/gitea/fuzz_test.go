package gitea_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"

	"github.com/accord-coop/accord/forges"
	"github.com/accord-coop/accord/forges/gitea"
)

// FuzzParse feeds Parse arbitrary bodies under every event type: it must
// never panic, and what it does not reject must be a whole event.
func FuzzParse(f *testing.F) {
	for _, fx := range loadFixtures(f) {
		f.Add(fx.headers.Get("X-Gitea-Event-Type"), fx.body)
	}
	w := gitea.NewWebhooks("gitea", gitea.Gitea)
	f.Fuzz(func(t *testing.T, event string, body []byte) {
		ev, err := w.Parse(forges.Delivery{Forge: "gitea", ID: "fuzz", Event: event,
			Headers: map[string]string{"Event-Type": event}, Body: body, ReceivedAt: receivedAt})
		if err != nil {
			if ev != nil {
				t.Fatalf("event and error: %+v, %v", ev, err)
			}
			return
		}
		if ev == nil || ev.Forge != "gitea" || ev.Kind == "" || ev.Name != event || ev.Time.IsZero() {
			t.Fatalf("incomplete event: %+v", ev)
		}
		switch ev.Kind {
		case forges.KindIgnored:
		case forges.KindIssue:
			if ev.Issue == nil || ev.Issue.Labels == nil {
				t.Fatalf("issue event without issue or labels: %+v", ev)
			}
		case forges.KindPullRequest:
			if ev.PullRequest == nil || ev.PullRequest.Labels == nil {
				t.Fatalf("pull request event without pull request: %+v", ev)
			}
		case forges.KindComment:
			if ev.Issue == nil || ev.Comment == nil || (ev.Issue.IsPull && ev.PullRequest == nil) {
				t.Fatalf("comment event without issue or comment: %+v", ev)
			}
		case forges.KindReview:
			if ev.PullRequest == nil || ev.Review == nil {
				t.Fatalf("review event without pull request or review: %+v", ev)
			}
		case forges.KindPush:
			if ev.Push == nil || ev.Push.Commits == nil {
				t.Fatalf("push event without push: %+v", ev)
			}
		case forges.KindRelease:
			if ev.Release == nil {
				t.Fatalf("release event without release: %+v", ev)
			}
		default:
			t.Fatalf("unexpected kind %q", ev.Kind)
		}
		if ev.Kind != forges.KindIgnored && (ev.Repo.Owner == "" || ev.Repo.Name == "") {
			t.Fatalf("event without repo: %+v", ev)
		}
	})
}

// FuzzVerifySignature: no header value or body makes either flavor's check
// panic, and nothing passes but the secret's HMAC of the body, in the
// flavor's own header (hex) or in X-Hub-Signature-256 ("sha256=" + hex).
func FuzzVerifySignature(f *testing.F) {
	f.Add("X-Gitea-Signature", "00", []byte("{}"))
	f.Add("X-Forgejo-Signature", hexMAC("s", []byte("{}")), []byte("{}"))
	f.Add("X-Hub-Signature-256", "sha256="+hexMAC("s", []byte("{}")), []byte("{}"))
	f.Add("X-Gitea-Signature", "sha256=", []byte(""))
	flavors := []*gitea.Webhooks{gitea.NewWebhooks("gitea", gitea.Gitea), gitea.NewWebhooks("forgejo", gitea.Forgejo)}
	f.Fuzz(func(t *testing.T, header, sig string, body []byte) {
		h := http.Header{}
		h.Set(header, sig)
		want := hexMAC("s", body)
		for _, w := range flavors {
			if w.VerifySignature(h, body, [][]byte{[]byte("s")}) {
				got := strings.TrimPrefix(strings.ToLower(h.Get(header)), "sha256=")
				if got != want {
					t.Fatalf("accepted %s: %q", header, sig)
				}
			}
		}
	})
}

func hexMAC(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}
