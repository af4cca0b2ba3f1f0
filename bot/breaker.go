package bot

import (
	"log/slog"
	"sync"
	"time"

	"github.com/accord-coop/accord/forges"
)

// Breakers hold a forge that keeps failing as a whole (a circuit breaker
// per forge): after breakerThreshold API calls in a row fail with the forge
// down (network error, 5xx, rate limit), its work waits, for a cool-down
// that doubles with each failed probe (30 s up to 5 minutes); then work
// goes through again, and the first call's answer closes the breaker or
// holds the forge again. So a forge's outage neither spends every item's
// tries on calls bound to fail (each up to the client's timeout) nor holds
// up the other forges' work behind them.
//
// Breakers are fed by the forge API calls themselves: they are the
// forges.Observer the clients report to (passing each call on to Next, the
// metrics), so that only the forge's answers count. An item that needed no
// call (most webhooks) says nothing about the forge, and must not close the
// breaker. The worker and the outbox share one Breakers, so both hold a
// forge as soon as either sees it fail. Safe for concurrent use.
type Breakers struct {
	Next forges.Observer  // told of every call too; nil for none
	Now  func() time.Time // the clock; time.Now when nil
	Log  *slog.Logger     // a line when a forge is held; nil for none

	mu     sync.Mutex
	forges map[string]*breakerState
}

type breakerState struct {
	fails int           // calls failed in a row
	until time.Time     // held until; zero while closed
	cool  time.Duration // the current cool-down
}

const (
	breakerThreshold = 3
	breakerBase      = 30 * time.Second
	breakerLimit     = 5 * time.Minute
)

// Allow reports whether work of forge may run at now; if not, until when
// it waits.
func (b *Breakers) Allow(forge string, now time.Time) (bool, time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	st := b.forges[forge]
	if st == nil || st.until.IsZero() || !now.Before(st.until) {
		return true, time.Time{}
	}
	return false, st.until
}

// APICall counts a call's outcome toward holding its forge, and passes it
// on to Next.
func (b *Breakers) APICall(forge, op, outcome string, took time.Duration) {
	if b.Next != nil {
		b.Next.APICall(forge, op, outcome, took)
	}
	now := time.Now
	if b.Now != nil {
		now = b.Now
	}
	if b.result(forge, now(), forgeDown(outcome)) && b.Log != nil {
		b.Log.Warn("forge keeps failing: its deliveries and effects are held, one try at a time", "forge", forge, "op", op, "outcome", outcome)
	}
}

// RateLimit passes the remaining budget on to Next.
func (b *Breakers) RateLimit(forge string, remaining int) {
	if b.Next != nil {
		b.Next.RateLimit(forge, remaining)
	}
}

// result records a call to forge: failed with the forge down (the breaker
// counts it, and holds the forge or keeps holding it), or answered (it
// closes). It reports whether the forge is held from now, for a log line.
func (b *Breakers) result(forge string, now time.Time, failed bool) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !failed {
		delete(b.forges, forge)
		return false
	}
	if b.forges == nil {
		b.forges = map[string]*breakerState{}
	}
	st := b.forges[forge]
	if st == nil {
		st = &breakerState{}
		b.forges[forge] = st
	}
	st.fails++
	switch {
	case !st.until.IsZero() && now.Before(st.until):
		// A call that was under way when the forge was held: no probe.
	case !st.until.IsZero(): // a probe failed: wait longer
		st.cool = min(2*st.cool, breakerLimit)
		st.until = now.Add(st.cool)
	case st.fails >= breakerThreshold:
		st.cool = breakerBase
		st.until = now.Add(st.cool)
		return true
	}
	return false
}

// forgeDown reports whether a call's outcome (forges.Outcome) is the forge
// failing for now: what the breakers count. A refused write (a Conflict,
// any 4xx) and a 404 are the forge answering.
func forgeDown(outcome string) bool {
	switch outcome {
	case "network_error", "server_error", "rate_limited":
		return true
	}
	return false
}
