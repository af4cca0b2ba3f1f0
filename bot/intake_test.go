package bot

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
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

func newTestIntake(t *testing.T) (*Intake, *store.Store) {
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
	for body, want := range map[string]int{`{"a":1}`: 202, ` {"a":1} `: 202, `{"a":`: 400, `"x"`: 400, `null`: 400, ``: 400, `{"a":1}{}`: 400} {
		if got := post(body, body); got != want {
			t.Errorf("%q: got %d, want %d", body, got, want)
		}
	}
	if n, _ := st.QueueDepth(context.Background()); n != 2 {
		t.Errorf("%d stored, want 2", n)
	}
}
