package forges

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Webhooks is what a forge adapter does with the webhooks its forge sends.
// The intake calls Describe, VerifySignature and Payload on the request path
// (no forge API call, no full parse); a worker calls Parse later on the stored
// delivery.
type Webhooks interface {
	// Describe reads the delivery ID, the event name and the headers Parse
	// will need from a request's headers. A missing ID or event is "".
	Describe(h http.Header) Meta
	// VerifySignature reports whether the signature header the forge type
	// uses is a valid HMAC-SHA256 of body under one of secrets. It compares in
	// constant time and never says why it failed (no secret or signature value
	// ever reaches an error or a log).
	VerifySignature(h http.Header, body []byte, secrets [][]byte) bool
	// Payload returns the JSON document of a verified body: the body itself,
	// or its "payload" field when the forge posted a form.
	Payload(h http.Header, body []byte) ([]byte, error)
	// Parse turns a stored delivery into a normalized event. Events Accord
	// does not act on come back as KindIgnored with a nil error; an error
	// means the payload is broken for its event.
	Parse(d Delivery) (*Event, error)
}

// Meta is what the headers of a delivery say about it.
type Meta struct {
	DeliveryID string
	Event      string            // the forge's event name header
	Ping       bool              // a hook check: answered 200, never stored
	Headers    map[string]string // the headers to store with the delivery for Parse
}

// Delivery is a webhook delivery as it was stored: which forge it came to,
// the headers that matter, the JSON payload, and when it arrived.
type Delivery struct {
	Forge      string // the configured forge name
	ID         string // the forge's delivery ID
	Event      string // the forge's event name header
	Headers    map[string]string
	Body       []byte
	ReceivedAt time.Time
}

// ValidHMAC reports whether sig (lowercase or uppercase hex, optionally with
// prefix, e.g. "sha256=") is the HMAC-SHA256 of body under any of secrets. It
// is constant time in the signature's content and tries every secret, so
// secret rotation does not leak which one matched.
func ValidHMAC(sig, prefix string, body []byte, secrets [][]byte) bool {
	if prefix != "" {
		if !strings.HasPrefix(sig, prefix) {
			return false
		}
		sig = sig[len(prefix):]
	}
	want, err := hex.DecodeString(sig)
	if err != nil || len(want) != sha256.Size {
		return false
	}
	ok := false
	for _, s := range secrets {
		if len(s) == 0 {
			continue // an empty secret would accept anyone who knows it is empty
		}
		m := hmac.New(sha256.New, s)
		m.Write(body)
		if hmac.Equal(m.Sum(nil), want) {
			ok = true
		}
	}
	return ok
}

// IsBotLogin reports whether a login is a bot's by its name, as GitHub Apps'
// accounts are ("dependabot[bot]").
func IsBotLogin(login string) bool { return strings.HasSuffix(login, "[bot]") }

// FormPayload is the JSON document of a webhook body: the body itself, or
// its "payload" field when the hook posts application/x-www-form-urlencoded
// (GitHub, Gitea and Forgejo all offer that content type).
func FormPayload(h http.Header, body []byte) ([]byte, error) {
	ct, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	if ct != "application/x-www-form-urlencoded" {
		return body, nil
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, errors.New("form body does not parse")
	}
	p := form.Get("payload")
	if p == "" {
		return nil, errors.New(`form body has no "payload" field`)
	}
	return []byte(p), nil
}

// IsSHA reports whether s is a full commit SHA as forges write them: 40
// lowercase hex digits (SHA-1), or 64 (SHA-256 repositories).
func IsSHA(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for _, r := range s {
		if (r < '0' || r > '9') && (r < 'a' || r > 'f') {
			return false
		}
	}
	return true
}
