// Package bot is Accord's engine: the webhook intake that stores deliveries,
// the workers that turn them into events and hand them to handlers, and the
// HTTP server around them.
package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/accord-coop/accord/forges"
	"github.com/accord-coop/accord/store"
)

// MaxBodyBytes is the largest webhook body accepted (25 MiB, as GitHub caps
// its own deliveries); a larger one gets 413.
const MaxBodyBytes = 25 << 20

// Hook is one configured forge as the intake sees it.
type Hook struct {
	Name     string          // the URL segment of /hooks/{name}
	Webhooks forges.Webhooks // the forge type's adapter
	Secrets  [][]byte        // any of them may sign a delivery
}

// Intake answers POST /hooks/{forge}. It checks the signature, stores the
// delivery and answers 202 only once the row is committed; it never calls a
// forge. Processing happens later, in a Worker.
type Intake struct {
	hooks   map[string]Hook
	store   *store.Store
	metrics *Metrics
	log     *slog.Logger
	stored  func() // told after each new delivery is committed (wakes the worker)
	now     func() time.Time
}

// NewIntake makes the webhook handler for these forges. stored, if not nil,
// is called after each new delivery is committed.
func NewIntake(hooks []Hook, st *store.Store, m *Metrics, log *slog.Logger, stored func()) *Intake {
	in := &Intake{hooks: map[string]Hook{}, store: st, metrics: m, log: log, stored: stored, now: time.Now}
	for _, h := range hooks {
		in.hooks[h.Name] = h
	}
	if in.stored == nil {
		in.stored = func() {}
	}
	return in
}

// SetClock replaces the clock that dates deliveries (tests move time).
func (in *Intake) SetClock(now func() time.Time) { in.now = now }

// ServeHTTP handles one delivery. The route must provide the {forge} path value.
func (in *Intake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("forge")
	hook, ok := in.hooks[name]
	if !ok {
		in.answer(w, "", "", http.StatusNotFound, "unknown_forge", "unknown forge")
		return
	}
	if r.ContentLength > MaxBodyBytes {
		// Refuse before reading a byte; the connection is closed after.
		in.answer(w, name, "", http.StatusRequestEntityTooLarge, "too_large", "body over 25 MiB")
		return
	}
	body, err := readBody(w, r)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			in.answer(w, name, "", http.StatusRequestEntityTooLarge, "too_large", "body over 25 MiB")
			return
		}
		in.answer(w, name, "", http.StatusBadRequest, "bad_request", "could not read body")
		return
	}
	meta := hook.Webhooks.Describe(r.Header)
	if meta.DeliveryID == "" || meta.Event == "" {
		in.answer(w, name, "", http.StatusBadRequest, "bad_request", "missing delivery ID or event header")
		return
	}
	if meta.Event == CatchUpEvent {
		// Only catching up stores these (their body is an event taken as it is).
		in.answer(w, name, "", http.StatusBadRequest, "bad_request", "event "+CatchUpEvent+" is Accord's own")
		return
	}
	if !hook.Webhooks.VerifySignature(r.Header, body, hook.Secrets) {
		in.log.Warn("webhook signature rejected", "forge", name, "delivery", meta.DeliveryID)
		in.answer(w, name, "", http.StatusUnauthorized, "unauthorized", "bad or missing signature")
		return
	}
	if meta.Ping {
		in.answer(w, name, meta.Event, http.StatusOK, "ping", "pong")
		return
	}
	payload, err := hook.Webhooks.Payload(r.Header, body)
	if err != nil || !isJSONObject(payload) {
		in.answer(w, name, meta.Event, http.StatusBadRequest, "bad_request", "body is not a JSON object")
		return
	}
	d := forges.Delivery{Forge: name, ID: meta.DeliveryID, Event: meta.Event, Headers: meta.Headers, Body: payload, ReceivedAt: in.now().UTC()}
	inserted, err := in.store.InsertDelivery(r.Context(), d)
	if err != nil {
		in.log.Error("storing delivery failed", "forge", name, "delivery", meta.DeliveryID, "err", err)
		w.Header().Set("Retry-After", "5")
		in.answer(w, name, meta.Event, http.StatusServiceUnavailable, "error", "could not store the delivery; send it again")
		return
	}
	if !inserted {
		in.answer(w, name, meta.Event, http.StatusOK, "duplicate", "delivery already stored")
		return
	}
	in.stored()
	in.answer(w, name, meta.Event, http.StatusAccepted, "accepted", "stored")
}

func (in *Intake) answer(w http.ResponseWriter, forge, event string, code int, outcome, msg string) {
	in.metrics.Deliveries.WithLabelValues(forge, event, outcome).Inc()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	io.WriteString(w, msg+"\n")
}

// readBody reads at most MaxBodyBytes, with a buffer sized by Content-Length
// when the client gives one.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	rd := http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	var buf bytes.Buffer
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(rd)
	return buf.Bytes(), err
}

// isJSONObject reports whether b is one valid JSON object.
func isJSONObject(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && b[0] == '{' && json.Valid(b)
}

// Ready is a readiness check: nil when its part of the bot is ready.
type Ready func(context.Context) error
