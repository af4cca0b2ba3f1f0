package bot

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/accord-coop/accord/forges"
	"github.com/accord-coop/accord/store"
)

// plainHooks is a minimal adapter: the signature is the header "Sig: ok".
type plainHooks struct{}

func (plainHooks) Describe(h http.Header) forges.Meta {
	return forges.Meta{DeliveryID: h.Get("Id"), Event: h.Get("Event"), Ping: h.Get("Event") == "ping"}
}
func (plainHooks) VerifySignature(h http.Header, body []byte, secrets [][]byte) bool {
	return h.Get("Sig") == "ok"
}
func (plainHooks) Payload(h http.Header, body []byte) ([]byte, error) { return body, nil }
func (plainHooks) Parse(d forges.Delivery) (*forges.Event, error) {
	return &forges.Event{Forge: d.Forge, DeliveryID: d.ID, Name: d.Event, Kind: forges.Kind(d.Event), Time: d.ReceivedAt}, nil
}

func newTestIntake(t testing.TB) (*Intake, *store.Store) {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "accord.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	in := NewIntake([]Hook{{Name: "f", Webhooks: plainHooks{}}}, st, NewMetrics(st.QueueDepth), slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	return in, st
}

// countingReader counts what the handler reads of a body.
type countingReader struct {
	n, read int
}

func (c *countingReader) Read(p []byte) (int, error) {
	if c.n <= 0 {
		return 0, io.EOF
	}
	if len(p) > c.n {
		p = p[:c.n]
	}
	c.n -= len(p)
	c.read += len(p)
	return len(p), nil
}

func serve(in *Intake, r *http.Request) int {
	mux := http.NewServeMux()
	mux.Handle("POST /hooks/{forge}", in)
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	return w.Code
}

func TestOversizedBodyIsNotRead(t *testing.T) {
	in, _ := newTestIntake(t)
	body := &countingReader{n: 26 << 20}
	r := httptest.NewRequest("POST", "/hooks/f", body)
	r.ContentLength = 26 << 20
	r.Header.Set("Id", "1")
	r.Header.Set("Event", "issue")
	r.Header.Set("Sig", "ok")
	if code := serve(in, r); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("got %d, want 413", code)
	}
	if body.read != 0 {
		t.Fatalf("read %d bytes of a body announced at 26 MiB", body.read)
	}

	// Without a length, reading stops just past the limit.
	body = &countingReader{n: 26 << 20}
	r = httptest.NewRequest("POST", "/hooks/f", body)
	r.ContentLength = -1
	r.Header.Set("Id", "2")
	r.Header.Set("Event", "issue")
	r.Header.Set("Sig", "ok")
	if code := serve(in, r); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("unannounced: got %d, want 413", code)
	}
	if body.read > MaxBodyBytes+64<<10 {
		t.Fatalf("read %d bytes, past the %d limit", body.read, MaxBodyBytes)
	}
}

func TestIntakeStoresOnlyValidJSONObjects(t *testing.T) {
	in, st := newTestIntake(t)
	post := func(id, body string) int {
		r := httptest.NewRequest("POST", "/hooks/f", strings.NewReader(body))
		r.Header.Set("Id", id)
		r.Header.Set("Event", "issue")
		r.Header.Set("Sig", "ok")
		return serve(in, r)
	}
	i := 0
	for body, want := range map[string]int{`{"a":1}`: 202, ` {"a":1} `: 202, `{"a":`: 400, `"x"`: 400, `null`: 400, ``: 400, `{"a":1}{}`: 400} {
		i++
		if got := post(fmt.Sprint("d", i), body); got != want {
			t.Errorf("%q: got %d, want %d", body, got, want)
		}
	}
	if n, _ := st.QueueDepth(context.Background()); n != 2 {
		t.Errorf("%d stored, want 2", n)
	}
}

// postTo sends one delivery to the intake in process and returns the answer.
func postTo(in *Intake, id, event, sig, contentType, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", "/hooks/f", strings.NewReader(body))
	r.Header.Set("Id", id)
	r.Header.Set("Event", event)
	r.Header.Set("Sig", sig)
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /hooks/{forge}", in)
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	return w
}

func TestIntakeChecksHeaders(t *testing.T) {
	in, st := newTestIntake(t)
	long := strings.Repeat("a", 256)
	for _, c := range []struct {
		name, id, event string
		want            int
		says            string
	}{
		{"a UUID", "72d3162e-cc78-11e3-81ab-4c9367dc0958", "issue_comment", 202, "stored"},
		{"256 bytes", long, "issues", 202, "stored"},
		{"257 bytes", long + "b", "issues", 400, "delivery ID is 257 bytes, over 256"},
		{"a space", "a b", "issues", 400, "delivery ID has a character that is not visible ASCII"},
		{"a control character", "a\x01b", "issues", 400, "not visible ASCII"},
		{"not ASCII", "é", "issues", 400, "not visible ASCII"},
		{"dotted event", "e1", "pull_request.review-comment", 202, "stored"},
		{"event with a slash", "e2", "a/b", 400, "event name has a character other than letters, digits"},
		{"event with a space", "e3", "issue comment", 400, "event name has"},
		{"event of 65 bytes", "e4", strings.Repeat("e", 65), 400, "event name is 65 bytes, over 64"},
		{"no event", "e5", "", 400, "missing delivery ID or event header"},
	} {
		w := postTo(in, c.id, c.event, "ok", "", `{"a":1}`)
		body := w.Body.String()
		if w.Code != c.want || !strings.Contains(body, c.says) || strings.Count(body, "\n") != 1 {
			t.Errorf("%s: got %d %q, want %d saying %q in one line", c.name, w.Code, body, c.want, c.says)
		}
	}
	if n, _ := st.QueueDepth(context.Background()); n != 3 {
		t.Errorf("%d stored, want 3", n)
	}
}

// formHooks is plainHooks with the real form decoding of Payload.
type formHooks struct{ plainHooks }

func (formHooks) Payload(h http.Header, body []byte) ([]byte, error) {
	return forges.FormPayload(h, body)
}

func TestIntakeRefusesInvalidUTF8(t *testing.T) {
	in, st := newTestIntake(t)
	in.hooks["f"] = Hook{Name: "f", Webhooks: formHooks{}}
	const form = "application/x-www-form-urlencoded"
	for _, c := range []struct {
		name, ct, body string
		want           int
	}{
		{"JSON", "", `{"a":"é"}`, 202},
		{"a lone byte in a string", "", "{\"a\":\"\xff\"}", 400},
		{"a cut character", "", "{\"a\":\"\xc3\"}", 400},
		{"an encoded surrogate", "", "{\"a\":\"\xed\xa0\x80\"}", 400},
		{"form", form, "payload=" + url.QueryEscape(`{"b":"é"}`), 202},
		{"form, a lone byte", form, "payload=%7B%22a%22%3A%22%FF%22%7D", 400},
	} {
		w := postTo(in, "u-"+strings.ReplaceAll(c.name, " ", "-"), "issue", "ok", c.ct, c.body)
		if w.Code != c.want {
			t.Errorf("%s: got %d %q, want %d", c.name, w.Code, w.Body, c.want)
		}
		if c.want == 400 && !strings.Contains(w.Body.String(), "UTF-8") {
			t.Errorf("%s: %q does not say UTF-8", c.name, w.Body)
		}
	}
	if n, _ := st.QueueDepth(context.Background()); n != 2 {
		t.Errorf("%d stored, want 2", n)
	}
}

// An unsigned request's strings reach the log clipped to 128 bytes, and the
// metrics' labels too.
func TestIntakeClipsCallerStrings(t *testing.T) {
	in, _ := newTestIntake(t)
	var logs strings.Builder
	in.log = slog.New(slog.NewTextHandler(&logs, nil))
	id := strings.Repeat("i", 256)
	event := strings.Repeat("e", 64)
	r := httptest.NewRequest("POST", "/hooks/f", strings.NewReader(`{"a":1}`))
	r.Header.Set("Id", id)
	r.Header.Set("Event", event)
	r.Header.Set("User-Agent", strings.Repeat("u", 10000))
	mux := http.NewServeMux()
	mux.Handle("POST /hooks/{forge}", in)
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	if w.Code != http.StatusUnauthorized {
		t.Fatalf("got %d, want 401", w.Code)
	}
	line := logs.String()
	if !strings.Contains(line, "webhook signature rejected") || strings.Contains(line, id) || strings.Contains(line, strings.Repeat("u", 129)) ||
		!strings.Contains(line, strings.Repeat("i", 128)+"…") || len(line) > 1024 {
		t.Errorf("log line not clipped (%d bytes): %s", len(line), line)
	}
	for in, want := range map[string]string{"short": "short", strings.Repeat("x", 200): strings.Repeat("x", 128) + "…",
		strings.Repeat("x", 127) + "é": strings.Repeat("x", 127) + "…"} {
		if got := clipLog(in); got != want {
			t.Errorf("clipLog(%d bytes) = %q", len(in), got)
		}
	}
}
