package bot

import (
	"errors"
	"sync"
	"time"

	"github.com/accord-coop/accord/forges"
)

// breaker holds a forge that keeps failing as a whole (a circuit breaker):
// after breakerThreshold temporary failures in a row its work waits, for a
// cool-down that doubles with each failed probe (30 s up to 5 minutes);
// then one item goes through, the probe, whose success lets the rest go.
// So a forge's outage neither spends every item's tries on calls bound to
// fail (each up to the client's timeout) nor holds up the other forges'
// work behind them. Safe for concurrent use; the zero value is ready.
type breaker struct {
	mu     sync.Mutex
	forges map[string]*breakerState
}

type breakerState struct {
	fails int           // temporary failures in a row
	until time.Time     // held until; zero while closed
	cool  time.Duration // the current cool-down
}

const (
	breakerThreshold = 3
	breakerBase      = 30 * time.Second
	breakerLimit     = 5 * time.Minute
)

// allow reports whether an item of forge may run now; if not, until when
// it waits.
func (b *breaker) allow(forge string, now time.Time) (bool, time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	st := b.forges[forge]
	if st == nil || st.until.IsZero() || !now.Before(st.until) {
		return true, time.Time{}
	}
	return false, st.until
}

// result records how an item of forge ended: failed temporarily on the
// forge (the breaker counts it, and opens or stays open), or anything
// else (the forge answered: it closes). It reports whether the breaker
// opened now, for a log line.
func (b *breaker) result(forge string, now time.Time, failed bool) bool {
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

// forgeDown reports whether err is a forge failing for now (down, timing
// out, 5xx, rate-limited): what the breaker counts. A Conflict is
// temporary for its item but is the forge answering, not failing.
func forgeDown(err error) bool {
	var ae *forges.APIError
	return errors.As(err, &ae) && ae.Temporary() && !ae.Conflict
}
