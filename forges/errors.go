package forges

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// ErrNotFound is what a missing repository, issue, file or comment is:
// errors.Is(err, ErrNotFound) holds for an *APIError with status 404.
var ErrNotFound = errors.New("not found")

// APIError is a forge answering a call with an error, or not answering.
type APIError struct {
	Forge   string    // the configured forge name
	Op      string    // the Client method
	Status  int       // the HTTP status; 0 when the forge could not be reached
	Message string    // the forge's own message, or the network error
	RetryAt time.Time // when a rate limit lifts; zero when none was signalled
	// Conflict says the forge refused a write because what it was based on
	// changed in the meantime (a file replaced or created since it was
	// read): reading again and writing again may succeed.
	Conflict bool
}

// Error says which call failed and the forge's message. It never holds a
// credential: the message is the forge's answer or a network error, and the
// request is not quoted.
func (e *APIError) Error() string {
	switch {
	case e.Status == 0:
		return fmt.Sprintf("%s %s: %s", e.Forge, e.Op, e.Message)
	case e.Message == "":
		return fmt.Sprintf("%s %s: %d %s", e.Forge, e.Op, e.Status, http.StatusText(e.Status))
	}
	return fmt.Sprintf("%s %s: %d %s", e.Forge, e.Op, e.Status, e.Message)
}

// Is makes errors.Is(err, ErrNotFound) hold for a 404.
func (e *APIError) Is(target error) bool {
	return target == ErrNotFound && e.Status == http.StatusNotFound
}

// RateLimited reports whether the forge said to slow down.
func (e *APIError) RateLimited() bool {
	return !e.RetryAt.IsZero() || e.Status == http.StatusTooManyRequests
}

// Temporary reports whether the same call may succeed later: the forge was
// unreachable or timed out, failed (5xx), rate-limited, or refused a write
// as a Conflict. 4xx answers otherwise (401, 403, 404, 422 …) are
// permanent.
func (e *APIError) Temporary() bool {
	return e.Status == 0 || e.Status >= 500 || e.Status == http.StatusRequestTimeout || e.RateLimited() || e.Conflict
}

// Outcome is the word an Observer gets for this error.
func (e *APIError) Outcome() string {
	switch {
	case e.Status == 0:
		return "network_error"
	case e.RateLimited():
		return "rate_limited"
	case e.Status == http.StatusNotFound:
		return "not_found"
	case e.Status >= 500:
		return "server_error"
	}
	return "client_error"
}

// Outcome is the word an Observer gets for a call that returned err.
func Outcome(err error) string {
	if err == nil {
		return "ok"
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Outcome()
	}
	return "network_error"
}

// RateLimitReset reads when a rate limit lifts from an answer's headers:
// Retry-After (seconds or an HTTP date), or X-RateLimit-Remaining: 0 with
// X-RateLimit-Reset (Unix seconds, as GitHub and Gitea send). It returns the
// zero time when the answer signals no limit. Only 403 and 429 answers are
// rate limits; a 503 with Retry-After says when to come back too.
func RateLimitReset(status int, h http.Header, now time.Time) time.Time {
	if status != http.StatusForbidden && status != http.StatusTooManyRequests && status != http.StatusServiceUnavailable {
		return time.Time{}
	}
	if ra := h.Get("Retry-After"); ra != "" {
		if s, err := strconv.Atoi(ra); err == nil && s >= 0 {
			return now.Add(time.Duration(s) * time.Second)
		}
		if t, err := http.ParseTime(ra); err == nil {
			return t
		}
	}
	if h.Get("X-RateLimit-Remaining") == "0" {
		if s, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64); err == nil {
			return time.Unix(s, 0)
		}
	}
	if status == http.StatusTooManyRequests {
		return now.Add(time.Minute) // a 429 that does not say for how long
	}
	return time.Time{}
}

// NewAPIError makes the error for a call that got resp (possibly nil) and
// err (the transport's or the SDK's error, possibly nil for a non-2xx
// answer). message is the forge's message when the caller has read it.
func NewAPIError(forge, op string, resp *http.Response, err error, message string, now time.Time) *APIError {
	e := &APIError{Forge: forge, Op: op, Message: message}
	if resp != nil {
		e.Status = resp.StatusCode
		e.RetryAt = RateLimitReset(resp.StatusCode, resp.Header, now)
	}
	if e.Message == "" && err != nil {
		e.Message = err.Error()
	}
	return e
}

// Problem says in words what went wrong with a forge, for a person reading a
// command's output: the forge's answer with its status, or that it could not
// be reached. Unlike Error it leaves out the forge name and the Client
// method, which the caller's own words already give.
func Problem(err error) string {
	var ae *APIError
	switch {
	case !errors.As(err, &ae):
		return err.Error()
	case ae.Status == 0:
		return "the forge could not be reached (" + ae.Message + ")"
	case ae.Message != "":
		return fmt.Sprintf("the forge answered %d %s: %s", ae.Status, http.StatusText(ae.Status), ae.Message)
	}
	return fmt.Sprintf("the forge answered %d %s", ae.Status, http.StatusText(ae.Status))
}

// HTTPStatus is the HTTP status of a forge's error answer: 0 when err is not
// an *APIError or the forge could not be reached.
func HTTPStatus(err error) int {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Status
	}
	return 0
}
