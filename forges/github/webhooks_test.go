package github

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"testing"
)

func sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func TestVerifySignature(t *testing.T) {
	w := NewWebhooks("github")
	body := fixtures(t)[0].body
	secrets := [][]byte{[]byte("old"), []byte("new")}
	header := func(name, value string) http.Header {
		h := http.Header{}
		h.Set(name, value)
		return h
	}
	sha1Sig := func(secret string) string {
		m := hmac.New(sha1.New, []byte(secret))
		m.Write(body)
		return "sha1=" + hex.EncodeToString(m.Sum(nil))
	}
	tests := []struct {
		name string
		h    http.Header
		body []byte
		want bool
	}{
		{"new secret", header("X-Hub-Signature-256", sign("new", body)), body, true},
		{"old secret during rotation", header("X-Hub-Signature-256", sign("old", body)), body, true},
		{"upper-case hex", header("X-Hub-Signature-256", "sha256="+upper(sign("new", body)[7:])), body, true},
		{"wrong secret", header("X-Hub-Signature-256", sign("other", body)), body, false},
		{"other body", header("X-Hub-Signature-256", sign("new", body)), append([]byte(" "), body...), false},
		{"missing", http.Header{}, body, false},
		{"no prefix", header("X-Hub-Signature-256", sign("new", body)[7:]), body, false},
		{"sha1 header only", header("X-Hub-Signature", sha1Sig("new")), body, false},
		{"Gitea's header", header("X-Gitea-Signature", sign("new", body)[7:]), body, false},
		{"truncated", header("X-Hub-Signature-256", sign("new", body)[:40]), body, false},
		{"not hex", header("X-Hub-Signature-256", "sha256=zz"+sign("new", body)[9:]), body, false},
	}
	for _, tt := range tests {
		if got := w.VerifySignature(tt.h, tt.body, secrets); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
	// An empty secret accepts nothing, not even a signature made with it.
	if w.VerifySignature(header("X-Hub-Signature-256", sign("", body)), body, [][]byte{{}}) {
		t.Error("empty secret accepted")
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

func TestDescribe(t *testing.T) {
	w := NewWebhooks("github")
	h := http.Header{}
	h.Set("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")
	h.Set("X-GitHub-Event", "issues")
	m := w.Describe(h)
	if m.DeliveryID != "72d3162e-cc78-11e3-81ab-4c9367dc0958" || m.Event != "issues" || m.Ping {
		t.Errorf("%+v", m)
	}
	h.Set("X-GitHub-Event", "ping")
	if !w.Describe(h).Ping {
		t.Error("ping not seen")
	}
	if m := w.Describe(http.Header{}); m.DeliveryID != "" || m.Event != "" {
		t.Errorf("empty headers: %+v", m)
	}
}

func TestPayload(t *testing.T) {
	w := NewWebhooks("github")
	json := []byte(`{"action":"opened"}`)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	if got, err := w.Payload(h, json); err != nil || string(got) != string(json) {
		t.Errorf("json: %s %v", got, err)
	}
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	form := []byte(url.Values{"payload": {string(json)}}.Encode())
	if got, err := w.Payload(h, form); err != nil || string(got) != string(json) {
		t.Errorf("form: %s %v", got, err)
	}
	if _, err := w.Payload(h, []byte("other=1")); err == nil {
		t.Error("form without payload accepted")
	}
	if _, err := w.Payload(h, []byte("%zz")); err == nil {
		t.Error("broken form accepted")
	}
}
