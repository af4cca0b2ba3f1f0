package forges

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"testing"
)

func TestValidHMAC(t *testing.T) {
	body := []byte(`{"zen":"Design for failure."}`)
	m := hmac.New(sha256.New, []byte("b"))
	m.Write(body)
	sig := hex.EncodeToString(m.Sum(nil))
	secrets := [][]byte{[]byte("a"), []byte("b")}
	tests := []struct {
		sig, prefix string
		secrets     [][]byte
		want        bool
	}{
		{sig, "", secrets, true},
		{"sha256=" + sig, "sha256=", secrets, true},
		{sig, "sha256=", secrets, false},        // prefix required
		{"sha256=" + sig, "", secrets, false},   // prefix not expected
		{sig[:62], "", secrets, false},          // short
		{sig + "00", "", secrets, false},        // long
		{sig, "", [][]byte{[]byte("a")}, false}, // rotated out
		{sig, "", [][]byte{{}, nil}, false},     // empty secrets never match
		{"", "", secrets, false},
	}
	for _, tt := range tests {
		if got := ValidHMAC(tt.sig, tt.prefix, body, tt.secrets); got != tt.want {
			t.Errorf("ValidHMAC(%q, %q): %v, want %v", tt.sig, tt.prefix, got, tt.want)
		}
	}
}

func TestFormPayload(t *testing.T) {
	doc := `{"action":"opened"}`
	h := http.Header{}
	if got, err := FormPayload(h, []byte(doc)); err != nil || string(got) != doc {
		t.Errorf("no content type: %q %v", got, err)
	}
	h.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if got, err := FormPayload(h, []byte(url.Values{"payload": {doc}}.Encode())); err != nil || string(got) != doc {
		t.Errorf("form: %q %v", got, err)
	}
	for _, bad := range []string{"", "other=1", "%zz"} {
		if _, err := FormPayload(h, []byte(bad)); err == nil {
			t.Errorf("form %q accepted", bad)
		}
	}
}

func TestBranchAndBots(t *testing.T) {
	for ref, want := range map[string]string{"refs/heads/main": "main", "refs/heads/a/b": "a/b", "refs/tags/v1": "", "refs/heads/": ""} {
		if got := (&Push{Ref: ref}).Branch(); got != want {
			t.Errorf("Branch(%q) = %q, want %q", ref, got, want)
		}
	}
	if !IsBotLogin("dependabot[bot]") || IsBotLogin("bot") || IsBotLogin("[bot]user") {
		t.Error("IsBotLogin")
	}
}
