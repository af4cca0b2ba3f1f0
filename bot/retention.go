package bot

import (
	"context"
	"log/slog"
	"time"
)

// PayloadPruner is what Retention needs of the store.
type PayloadPruner interface {
	PrunePayloads(ctx context.Context, now, cutoff time.Time, limit int) (int, error)
}

// Retention prunes the raw payloads of deliveries that finished more than
// Keep ago (retention.payloads), at start and every Every, in batches: each
// batch is a short transaction, so webhooks arriving meanwhile wait for one
// batch at most. The deliveries' rows, their events and the ledger are
// never pruned.
type Retention struct {
	Store PayloadPruner
	Keep  time.Duration
	Every time.Duration // default 1h
	Batch int           // payloads a transaction, default 500
	Now   func() time.Time
	Log   *slog.Logger
}

// Prune prunes every payload due now, a batch at a time, and returns how
// many it pruned.
func (r *Retention) Prune(ctx context.Context) (int, error) {
	batch := r.Batch
	if batch <= 0 {
		batch = 500
	}
	now := r.now()
	total := 0
	for {
		n, err := r.Store.PrunePayloads(ctx, now, now.Add(-r.Keep), batch)
		total += n
		if err != nil || n < batch {
			return total, err
		}
		select { // let the writer breathe between batches
		case <-ctx.Done():
			return total, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// Run prunes at start and every Every until ctx ends.
func (r *Retention) Run(ctx context.Context) error {
	every := r.Every
	if every <= 0 {
		every = time.Hour
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		n, err := r.Prune(ctx)
		switch {
		case err != nil && ctx.Err() == nil && r.Log != nil:
			r.Log.Warn("pruning delivery payloads", "err", err, "pruned", n)
		case n > 0 && r.Log != nil:
			r.Log.Info("pruned delivery payloads", "count", n, "finished_before", r.now().Add(-r.Keep).Format(time.RFC3339))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

func (r *Retention) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}
