// Package gitea takes in the webhooks of Gitea and of Forgejo (a Gitea fork
// that sends the same payloads under its own header names): it reads their
// headers, checks their signatures and turns their payloads into
// forge-neutral events. One Webhooks value serves one configured forge.
package gitea

import (
	"net/http"

	"github.com/accord-coop/accord/forges"
)

// Flavor says which of the two forges a Webhooks serves. The payloads are the
// same; the headers, and so the signature Accord trusts, differ.
type Flavor int

const (
	// Gitea sends X-Gitea-* headers.
	Gitea Flavor = iota
	// Forgejo sends X-Forgejo-* headers, and X-Gitea-* ones beside them.
	Forgejo
)

// hubSignature is the GitHub-style header both flavors send too. Its value is
// the same HMAC as the forge's own header, with a "sha256=" prefix.
const hubSignature = "X-Hub-Signature-256"

// Webhooks is the Gitea and Forgejo webhook adapter. It implements
// forges.Webhooks.
type Webhooks struct {
	forge  string
	flavor Flavor
}

// NewWebhooks returns the adapter for the configured forge named forge, of
// the given flavor; the name goes into every event it parses.
func NewWebhooks(forge string, flavor Flavor) *Webhooks {
	return &Webhooks{forge: forge, flavor: flavor}
}

var _ forges.Webhooks = (*Webhooks)(nil)

// header reads one of the forge's own headers, e.g. "Delivery". Forgejo has
// sent X-Gitea-* headers beside its own since the fork, and older Forgejo
// sends only those, so they stand in when the X-Forgejo-* one is missing.
// The signature is not read this way: see VerifySignature.
func (w *Webhooks) header(h http.Header, name string) string {
	if w.flavor == Forgejo {
		if v := h.Get("X-Forgejo-" + name); v != "" {
			return v
		}
	}
	return h.Get("X-Gitea-" + name)
}

// Describe reads the delivery ID and the event name. The event name is the
// fine-grained Event-Type ("issue_label", "pull_request_review_approved")
// because the coarse Event header lumps together deliveries Accord treats
// differently. A delivery without the coarse header is not taken for one
// from Gitea, as every Gitea version sends it. Gitea has no ping: its test
// delivery is an ordinary push.
func (w *Webhooks) Describe(h http.Header) forges.Meta {
	coarse := w.header(h, "Event")
	fine := w.header(h, "Event-Type")
	m := forges.Meta{DeliveryID: w.header(h, "Delivery")}
	if coarse == "" {
		return m
	}
	m.Event = coarse
	m.Headers = map[string]string{"Event": coarse}
	if fine != "" {
		m.Event = fine
		m.Headers["Event-Type"] = fine
	}
	return m
}

// VerifySignature checks the flavor's own signature header (plain hex HMAC
// of the body), or X-Hub-Signature-256 when that is absent. A Forgejo hook
// does not accept X-Gitea-Signature: a request that has Forgejo's headers
// stripped and Gitea's put in is not what Forgejo sends.
func (w *Webhooks) VerifySignature(h http.Header, body []byte, secrets [][]byte) bool {
	own := "X-Gitea-Signature"
	if w.flavor == Forgejo {
		own = "X-Forgejo-Signature"
	}
	if sig := h.Get(own); sig != "" {
		return forges.ValidHMAC(sig, "", body, secrets)
	}
	if sig := h.Get(hubSignature); sig != "" {
		return forges.ValidHMAC(sig, "sha256=", body, secrets)
	}
	return false
}

// Payload returns the JSON document: the body itself, or its "payload" field
// when the hook is set to send application/x-www-form-urlencoded.
func (w *Webhooks) Payload(h http.Header, body []byte) ([]byte, error) {
	return forges.FormPayload(h, body)
}
