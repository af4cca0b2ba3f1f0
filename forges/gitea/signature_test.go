package gitea_test

import (
	"net/http"
	"testing"

	"github.com/accord-coop/accord/forges/gitea"
)

func secrets(ss ...string) [][]byte {
	var out [][]byte
	for _, s := range ss {
		out = append(out, []byte(s))
	}
	return out
}

func TestVerifySignature(t *testing.T) {
	gt := gitea.NewWebhooks("gitea", gitea.Gitea)
	fj := gitea.NewWebhooks("forgejo", gitea.Forgejo)
	for _, fx := range loadFixtures(t) {
		h, body := fx.headers, fx.body
		if !gt.VerifySignature(h, body, secrets(secret)) {
			t.Errorf("%s: the captured signature does not verify", fx.name)
		}
		if gt.VerifySignature(h, body, secrets("wrong")) {
			t.Errorf("%s: wrong secret accepted", fx.name)
		}
		if !gt.VerifySignature(h, body, secrets("wrong", secret)) {
			t.Errorf("%s: rotation: the second secret is not tried", fx.name)
		}
		changed := append([]byte(nil), body...)
		changed[len(changed)/2] ^= 1
		if gt.VerifySignature(h, changed, secrets(secret)) {
			t.Errorf("%s: a changed body verifies", fx.name)
		}
		if gt.VerifySignature(h, body, secrets("")) || gt.VerifySignature(h, body, nil) {
			t.Errorf("%s: an empty secret or none matches", fx.name)
		}

		// Either of the two headers Gitea sends is enough on its own.
		hub := h.Clone()
		hub.Del("X-Gitea-Signature")
		if !gt.VerifySignature(hub, body, secrets(secret)) {
			t.Errorf("%s: X-Hub-Signature-256 alone does not verify", fx.name)
		}
		own := h.Clone()
		own.Del("X-Hub-Signature-256")
		if !gt.VerifySignature(own, body, secrets(secret)) {
			t.Errorf("%s: X-Gitea-Signature alone does not verify", fx.name)
		}
		none := h.Clone()
		none.Del("X-Gitea-Signature")
		none.Del("X-Hub-Signature-256")
		if gt.VerifySignature(none, body, secrets(secret)) {
			t.Errorf("%s: verifies with no signature header (Gogs' and SHA-1 ones are not trusted)", fx.name)
		}
		// A Gitea hook does not take Forgejo's header.
		other := none.Clone()
		other.Set("X-Forgejo-Signature", h.Get("X-Gitea-Signature"))
		if gt.VerifySignature(other, body, secrets(secret)) {
			t.Errorf("%s: Gitea hook accepts X-Forgejo-Signature", fx.name)
		}

		// Forgejo: its own header, or X-Hub-Signature-256, never X-Gitea-Signature.
		if !fj.VerifySignature(other, body, secrets(secret)) {
			t.Errorf("%s: X-Forgejo-Signature does not verify", fx.name)
		}
		if fj.VerifySignature(other, body, secrets("wrong")) || fj.VerifySignature(other, changed, secrets(secret)) {
			t.Errorf("%s: Forgejo: wrong secret or changed body accepted", fx.name)
		}
		if !fj.VerifySignature(hub, body, secrets(secret)) {
			t.Errorf("%s: Forgejo: X-Hub-Signature-256 does not verify", fx.name)
		}
		if fj.VerifySignature(own, body, secrets(secret)) {
			t.Errorf("%s: Forgejo hook accepts X-Gitea-Signature", fx.name)
		}
	}
}

func TestVerifySignatureMalformed(t *testing.T) {
	gt := gitea.NewWebhooks("gitea", gitea.Gitea)
	fx := loadFixture(t, "001-issues.opened.json")
	sig := fx.headers.Get("X-Gitea-Signature")
	for _, c := range []struct{ header, value string }{
		{"X-Gitea-Signature", "sha256=" + sig}, // Gitea's own header has no prefix
		{"X-Gitea-Signature", sig[:len(sig)-2]},
		{"X-Gitea-Signature", "zz" + sig[2:]},
		{"X-Hub-Signature-256", sig}, // the GitHub-style one has it
	} {
		h := http.Header{}
		h.Set(c.header, c.value)
		if gt.VerifySignature(h, fx.body, secrets(secret)) {
			t.Errorf("%s: %q accepted", c.header, c.value)
		}
	}
	// Upper-case hex is the same signature.
	h := http.Header{}
	h.Set("X-Gitea-Signature", upper(sig))
	if !gt.VerifySignature(h, fx.body, secrets(secret)) {
		t.Error("upper-case hex rejected")
	}
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'f' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
