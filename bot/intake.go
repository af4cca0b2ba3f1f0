// Package bot is Accord's engine: the webhook intake that stores deliveries,
// the workers that turn them into events and hand them to handlers, and the
// HTTP server around them.
package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"
	"unicode/utf8"

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
	budget  *budget
	// BudgetWait is how long a request waits for in-flight budget before
	// it is answered 503 (default 2 s).
	BudgetWait time.Duration
	bodyGrace  time.Duration // the body's read deadline, beyond its size at minBodyRate
}

// NewIntake makes the webhook handler for these forges. stored, if not nil,
// is called after each new delivery is committed.
func NewIntake(hooks []Hook, st *store.Store, m *Metrics, log *slog.Logger, stored func()) *Intake {
	in := &Intake{hooks: map[string]Hook{}, store: st, metrics: m, log: log, stored: stored, now: time.Now,
		budget: newBudget(DefaultMaxInflightBytes), BudgetWait: 2 * time.Second, bodyGrace: bodyGrace}
	for _, h := range hooks {
		in.hooks[h.Name] = h
	}
	if in.stored == nil {
		in.stored = func() {}
	}
	return in
}

// SetMaxInflightBytes sets the in-flight body budget: how many bytes all
// the request bodies being read and checked may hold at once (default
// DefaultMaxInflightBytes). Call it before serving. Less than MaxBodyBytes+1
// would refuse the largest deliveries always.
func (in *Intake) SetMaxInflightBytes(n int64) { in.budget = newBudget(n) }

// InflightBytes is how much of the in-flight body budget is taken now.
func (in *Intake) InflightBytes() int64 { return in.budget.inUse() }

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
	meta := hook.Webhooks.Describe(r.Header)
	if why := checkMeta(meta); why != "" {
		// Before the body is read: nothing to hold for a delivery refused anyway.
		in.answer(w, name, "", http.StatusBadRequest, "bad_request", why)
		return
	}
	body, held, err := in.readBody(w, r)
	defer in.budget.release(held)
	if err != nil {
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(err, &tooLarge):
			in.answer(w, name, "", http.StatusRequestEntityTooLarge, "too_large", "body over 25 MiB")
		case errors.Is(err, errBusy):
			w.Header().Set("Retry-After", "5")
			in.answer(w, name, "", http.StatusServiceUnavailable, "busy", "too many bodies being received at once; send it again")
		default:
			in.answer(w, name, "", http.StatusBadRequest, "bad_request", "could not read body")
		}
		return
	}
	if meta.Event == CatchUpEvent {
		// Only catching up stores these (their body is an event taken as it is).
		in.answer(w, name, "", http.StatusBadRequest, "bad_request", "event "+CatchUpEvent+" is Accord's own")
		return
	}
	if !hook.Webhooks.VerifySignature(r.Header, body, hook.Secrets) {
		// Unsigned: only clipped fields are logged, never the request.
		in.log.Warn("webhook signature rejected", "forge", clipLog(name), "delivery", clipLog(meta.DeliveryID),
			"event", clipLog(meta.Event), "user_agent", clipLog(r.UserAgent()), "remote", clipLog(r.RemoteAddr))
		in.answer(w, name, "", http.StatusUnauthorized, "unauthorized", "bad or missing signature")
		return
	}
	if meta.Ping {
		in.answer(w, name, meta.Event, http.StatusOK, "ping", "pong")
		return
	}
	payload, err := hook.Webhooks.Payload(r.Header, body)
	if err == nil && !utf8.Valid(payload) {
		in.answer(w, name, meta.Event, http.StatusBadRequest, "bad_request", "body is not valid UTF-8")
		return
	}
	if err != nil || !isJSONObject(payload) {
		in.answer(w, name, meta.Event, http.StatusBadRequest, "bad_request", "body is not a JSON object")
		return
	}
	d := forges.Delivery{Forge: name, ID: meta.DeliveryID, Event: meta.Event, Headers: meta.Headers, Body: payload, ReceivedAt: in.now().UTC()}
	inserted, err := in.store.InsertDelivery(r.Context(), d)
	if err != nil {
		in.log.Error("storing delivery failed", "forge", clipLog(name), "delivery", clipLog(meta.DeliveryID), "err", err)
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
	in.metrics.Deliveries.WithLabelValues(clipLog(forge), clipLog(event), outcome).Inc()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	io.WriteString(w, msg+"\n")
}

// Reading a body: the buffer starts at firstChunk at most and doubles as
// bytes arrive, never past Content-Length or MaxBodyBytes+1, each growth
// paid for from the in-flight budget first; so what a request holds is at
// most twice what it has sent (and 64 KiB), never what it claims. The body
// must arrive at minBodyRate on average after bodyGrace, or the read times
// out (a 400), so a slow trickle does not hold its budget for minutes.
const (
	firstChunk  = 64 << 10
	bodyGrace   = 10 * time.Second
	minBodyRate = 32 << 10 // bytes a second
	bodyReadMax = 2 * time.Minute
)

var errBusy = errors.New("in-flight body budget exhausted")

// readBody reads at most MaxBodyBytes under the in-flight budget. It returns
// the body and the bytes it holds of the budget, which the caller gives back
// once the request is answered (also on an error). errBusy: the budget could
// not be had within BudgetWait.
func (in *Intake) readBody(w http.ResponseWriter, r *http.Request) (body []byte, held int64, err error) {
	if r.ContentLength == 0 {
		return nil, 0, nil
	}
	limit := int64(MaxBodyBytes) + 1 // room to see a byte past the limit
	if r.ContentLength > 0 && r.ContentLength < limit {
		limit = r.ContentLength // the server's body reader stops there
	}
	rc := http.NewResponseController(w)
	start := time.Now()
	defer rc.SetReadDeadline(start.Add(bodyReadMax)) // as the server's ReadTimeout, for the rest of the request

	rd := http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	var buf []byte
	for {
		if len(buf) == cap(buf) {
			if int64(len(buf)) == limit && r.ContentLength > 0 {
				return buf, held, nil // all of Content-Length
			}
			size := min(max(2*int64(cap(buf)), firstChunk), limit)
			if size <= int64(cap(buf)) { // cannot happen: MaxBytesReader stops first
				return nil, held, &http.MaxBytesError{Limit: MaxBodyBytes}
			}
			if !in.budget.acquire(r.Context(), size-held, in.BudgetWait) {
				return nil, held, errBusy
			}
			held = size
			// Not supported by tests' recorders: no limit there.
			rc.SetReadDeadline(start.Add(min(in.bodyGrace+time.Duration(size)*time.Second/minBodyRate, bodyReadMax)))
			grown := make([]byte, len(buf), size)
			copy(grown, buf)
			buf = grown
		}
		n, err := rd.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, held, nil
		}
		if err != nil {
			return nil, held, err
		}
	}
}

// Bounds on what a delivery's headers may say.
const (
	MaxDeliveryIDBytes = 256
	MaxEventBytes      = 64
	clipBytes          = 128 // what a log line or a metric label keeps of a caller's string
)

// checkMeta says in one line what is wrong with a delivery's headers, or "".
// A delivery ID is 1 to 256 visible ASCII characters (no spaces: it is an
// argument of 'accord deliveries retry'); an event name is 1 to 64 letters,
// digits, '_', '.' or '-'; any other header value kept for the worker is
// visible ASCII or spaces, at most 256 bytes.
func checkMeta(m forges.Meta) string {
	switch {
	case m.DeliveryID == "" || m.Event == "":
		return "missing delivery ID or event header"
	case len(m.DeliveryID) > MaxDeliveryIDBytes:
		return fmt.Sprintf("delivery ID is %d bytes, over %d", len(m.DeliveryID), MaxDeliveryIDBytes)
	case !visibleASCII(m.DeliveryID, false):
		return "delivery ID has a character that is not visible ASCII (! to ~)"
	case len(m.Event) > MaxEventBytes:
		return fmt.Sprintf("event name is %d bytes, over %d", len(m.Event), MaxEventBytes)
	case !eventName(m.Event):
		return "event name has a character other than letters, digits, '_', '.' and '-'"
	}
	for k, v := range m.Headers {
		if len(v) > MaxDeliveryIDBytes || !visibleASCII(v, true) {
			return fmt.Sprintf("header %s: at most %d bytes of printable ASCII", clipLog(k), MaxDeliveryIDBytes)
		}
	}
	return ""
}

func visibleASCII(s string, spaces bool) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < '!' || c > '~' {
			if c != ' ' || !spaces {
				return false
			}
		}
	}
	return true
}

func eventName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// clipLog keeps the first 128 bytes of a string a caller chose (cut at a
// character's start) and marks the cut with "…", for log lines and metric
// labels.
func clipLog(s string) string {
	if len(s) <= clipBytes {
		return s
	}
	return s[:runeCut(s, clipBytes)] + "…"
}

// runeCut is the largest cut ≤ n of s that does not split a UTF-8
// character (n < len(s)).
func runeCut(s string, n int) int {
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return n
}

// isJSONObject reports whether b is one valid JSON object.
func isJSONObject(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && b[0] == '{' && json.Valid(b)
}

// Ready is a readiness check: nil when its part of the bot is ready.
type Ready func(context.Context) error
