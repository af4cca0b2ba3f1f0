package bot

import (
	"context"
	"sync"
	"time"
)

// DefaultMaxInflightBytes is the intake's in-flight body budget when the
// config gives none: what all request bodies being read or checked may hold
// in memory at once.
const DefaultMaxInflightBytes = 32 << 20

// budget counts the bytes request bodies hold in memory, across all requests
// at once. A request takes bytes from it before it allocates them and gives
// them back when it is answered; one that cannot get them within its wait is
// refused (503), so no client decides how much memory the intake uses.
type budget struct {
	mu      sync.Mutex
	total   int64
	free    int64
	waiting int           // acquires waiting for bytes
	changed chan struct{} // closed and replaced when bytes are given back while some wait
}

func newBudget(total int64) *budget {
	return &budget{total: total, free: total, changed: make(chan struct{})}
}

// acquire takes n bytes, waiting up to wait for them to be given back by
// other requests. It reports false, having taken nothing, when n bytes did
// not become free in time (or ctx ended, or n is more than the whole budget).
func (b *budget) acquire(ctx context.Context, n int64, wait time.Duration) bool {
	b.mu.Lock()
	if n <= b.free {
		b.free -= n
		b.mu.Unlock()
		return true
	}
	if n > b.total {
		b.mu.Unlock()
		return false
	}
	b.waiting++
	changed := b.changed
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		b.waiting--
		b.mu.Unlock()
	}()

	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		select {
		case <-changed:
		case <-timer.C:
			return false
		case <-ctx.Done():
			return false
		}
		b.mu.Lock()
		if n <= b.free {
			b.free -= n
			b.mu.Unlock()
			return true
		}
		changed = b.changed
		b.mu.Unlock()
	}
}

// release gives back n bytes taken with acquire.
func (b *budget) release(n int64) {
	if n == 0 {
		return
	}
	b.mu.Lock()
	b.free += n
	if b.free > b.total {
		panic("bot: in-flight body budget released more than was taken")
	}
	if b.waiting > 0 {
		close(b.changed)
		b.changed = make(chan struct{})
	}
	b.mu.Unlock()
}

// inUse is how many bytes are taken now.
func (b *budget) inUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.total - b.free
}
