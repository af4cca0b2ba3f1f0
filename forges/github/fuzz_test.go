package github

import (
	"strings"
	"testing"
	"time"

	"github.com/accord-coop/accord/forges"
)

// FuzzParse feeds Parse any event name and body: it must never panic, and it
// either fails or returns an event that says what it is. The seeds are every
// fixture plus the hand-made cases in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	for _, fx := range fixtures(f) {
		f.Add(fx.event, fx.body)
	}
	w := NewWebhooks("github")
	f.Fuzz(func(t *testing.T, event string, body []byte) {
		ev, err := w.Parse(forges.Delivery{Forge: "github", ID: "fuzz", Event: event, Body: body, ReceivedAt: time.Now()})
		if err != nil {
			return
		}
		if ev.Kind == "" || ev.Forge != "github" || ev.DeliveryID != "fuzz" || ev.Time.IsZero() {
			t.Fatalf("incomplete event %+v", ev)
		}
		switch ev.Kind {
		case forges.KindIssue:
			if ev.Issue == nil {
				t.Fatal("issue event without issue")
			}
		case forges.KindComment:
			if ev.Issue == nil || ev.Comment == nil {
				t.Fatal("comment event without issue or comment")
			}
		case forges.KindPullRequest:
			if ev.PullRequest == nil {
				t.Fatal("pull request event without pull request")
			}
		case forges.KindReview:
			if ev.PullRequest == nil || ev.Review == nil {
				t.Fatal("review event without review")
			}
		case forges.KindPush:
			if ev.Push == nil {
				t.Fatal("push event without push")
			}
		case forges.KindRelease:
			if ev.Release == nil {
				t.Fatal("release event without release")
			}
		case forges.KindInstallation:
			if ev.Installation == nil {
				t.Fatal("installation event without installation")
			}
		}
	})
}

// FuzzVerifySignature: no header value or body makes the check panic, and
// nothing passes but the secret's HMAC of the body (in either hex case).
func FuzzVerifySignature(f *testing.F) {
	f.Add("sha256=00", []byte("{}"))
	f.Add("sha256=", []byte(""))
	f.Add(sign("s", []byte("{}")), []byte("{}"))
	w := NewWebhooks("github")
	f.Fuzz(func(t *testing.T, sig string, body []byte) {
		h := map[string][]string{"X-Hub-Signature-256": {sig}}
		if w.VerifySignature(h, body, [][]byte{[]byte("s")}) && strings.ToLower(sig) != sign("s", body) {
			t.Fatalf("accepted %q", sig)
		}
	})
}
