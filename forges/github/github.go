// Package github takes in GitHub's webhooks: it reads their headers, checks
// their signatures and turns their payloads into forge-neutral events with
// go-github's ParseWebHook. One Webhooks value serves one configured forge
// of type github (github.com or a GitHub Enterprise server).
package github

import (
	"net/http"

	"github.com/accord-coop/accord/forges"
)

// The headers GitHub sends with every delivery.
const (
	headerDelivery  = "X-GitHub-Delivery"
	headerEvent     = "X-GitHub-Event"
	headerSignature = "X-Hub-Signature-256" // the SHA-1 X-Hub-Signature is not accepted
)

// Webhooks is the GitHub webhook adapter. It implements forges.Webhooks.
type Webhooks struct {
	forge string
}

// NewWebhooks returns the adapter for the configured forge named forge; the
// name goes into every event it parses.
func NewWebhooks(forge string) *Webhooks { return &Webhooks{forge: forge} }

var _ forges.Webhooks = (*Webhooks)(nil)

// Describe reads the delivery ID and event name. GitHub's "ping" (sent when a
// hook or an App is set up) is a hook check.
func (w *Webhooks) Describe(h http.Header) forges.Meta {
	event := h.Get(headerEvent)
	return forges.Meta{
		DeliveryID: h.Get(headerDelivery),
		Event:      event,
		Ping:       event == "ping",
	}
}

// VerifySignature checks X-Hub-Signature-256 ("sha256=" + hex HMAC of the
// body). The SHA-1 header is ignored on purpose: GitHub sends both, and
// accepting the weaker one would let it decide.
func (w *Webhooks) VerifySignature(h http.Header, body []byte, secrets [][]byte) bool {
	sig := h.Get(headerSignature)
	if sig == "" {
		return false
	}
	return forges.ValidHMAC(sig, "sha256=", body, secrets)
}

// Payload returns the JSON document: the body itself, or its "payload" field
// when the hook is set to send application/x-www-form-urlencoded.
func (w *Webhooks) Payload(h http.Header, body []byte) ([]byte, error) {
	return forges.FormPayload(h, body)
}
