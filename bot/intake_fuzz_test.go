package bot

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"unicode/utf8"

	"github.com/accord-coop/accord/forges"
	"github.com/accord-coop/accord/forges/gitea"
)

// FuzzIntakeFormPayload sends signed application/x-www-form-urlencoded
// bodies (Gitea's and Forgejo's other content type, `payload=` and the JSON
// document URL-encoded) through the whole intake with the real Gitea
// adapter: every body is answered 202 or 400, never anything else and never
// a panic, and what is stored is exactly the payload field, valid UTF-8 and
// one JSON object. The seed corpus is testdata/fuzz/FuzzIntakeFormPayload.
//
// Each run stores a delivery in SQLite, so minimizing a large input takes
// long at the default minimize time; bound it:
//
//	go test ./bot -run '^$' -fuzz FuzzIntakeFormPayload -fuzztime 60s -fuzzminimizetime 100x
func FuzzIntakeFormPayload(f *testing.F) {
	f.Add([]byte(`payload=%7B%22action%22%3A%22opened%22%7D`))
	f.Add([]byte(`payload=%7B%22a%22%3A%22%FF%22%7D`))
	in, _ := newTestIntake(f)
	secret := []byte("fuzz-secret")
	in.hooks["f"] = Hook{Name: "f", Webhooks: gitea.NewWebhooks("f", gitea.Gitea), Secrets: [][]byte{secret}}
	mux := http.NewServeMux()
	mux.Handle("POST /hooks/{forge}", in)
	var n atomic.Int64
	f.Fuzz(func(t *testing.T, body []byte) {
		m := hmac.New(sha256.New, secret)
		m.Write(body)
		r := httptest.NewRequest("POST", "/hooks/f", strings.NewReader(string(body)))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("X-Gitea-Event", "issues")
		r.Header.Set("X-Gitea-Delivery", fmt.Sprint("fuzz-", n.Add(1)))
		r.Header.Set("X-Gitea-Signature", hex.EncodeToString(m.Sum(nil)))
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		payload, err := forges.FormPayload(r.Header, body)
		ok := err == nil && utf8.Valid(payload) && isJSONObject(payload)
		switch {
		case w.Code == http.StatusAccepted && !ok:
			t.Fatalf("stored a payload that is not a UTF-8 JSON object: %q (%v)", payload, err)
		case w.Code == http.StatusBadRequest && ok:
			t.Fatalf("refused a good payload %q: %s", payload, w.Body)
		case w.Code != http.StatusAccepted && w.Code != http.StatusBadRequest:
			t.Fatalf("got %d %q", w.Code, w.Body)
		}
		if in.InflightBytes() != 0 {
			t.Fatalf("%d bytes of budget held after the answer", in.InflightBytes())
		}
	})
}
