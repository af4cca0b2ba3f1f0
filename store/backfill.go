package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// BackfillCursor is where a repository's backfill stands: the phase and
// the next page to read, the start date it was run with, and the facts
// recorded so far.
type BackfillCursor struct {
	Phase string // "pulls", "issues", "releases", "updated" or "done"
	Page  int
	Since time.Time
	Facts int
	// RunStarted is when the run under way (or the last one) began, and
	// CompleteAsOf when the last run that finished began: everything the
	// forge had then is recorded, so the next run asks only for what
	// changed after it. Zero until a run finishes.
	RunStarted, CompleteAsOf time.Time
}

// GetBackfill returns the cursor of forge:repo, or nil when no backfill
// has started.
func (s *Store) GetBackfill(ctx context.Context, forge, repo string) (*BackfillCursor, error) {
	var c BackfillCursor
	var since, started, asOf int64
	err := s.read.QueryRowContext(ctx, `SELECT phase, page, since, facts, run_started, complete_as_of FROM backfill WHERE forge = ? AND repo = ?`, forge, repo).
		Scan(&c.Phase, &c.Page, &since, &c.Facts, &started, &asOf)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("backfill cursor: %w", err)
	}
	c.Since, c.RunStarted, c.CompleteAsOf = fromUnixNano(since), fromUnixNano(started), fromUnixNano(asOf)
	return &c, nil
}

// SaveBackfillPage records one page's ledger entries and moves the cursor
// past it, in one transaction: a backfill stopped at any moment resumes at
// the first page whose facts are not recorded.
func (s *Store) SaveBackfillPage(ctx context.Context, forge, repo string, c BackfillCursor, now time.Time, es []NewEntry) (int, error) {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("backfill page: %w", err)
	}
	defer tx.Rollback()
	n, err := appendEntries(ctx, tx, now, es)
	if err != nil {
		return 0, fmt.Errorf("backfill page: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO backfill (forge, repo, phase, page, since, facts, run_started, complete_as_of)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (forge, repo) DO UPDATE SET phase = excluded.phase, page = excluded.page, since = excluded.since,
		facts = backfill.facts + ?, run_started = excluded.run_started, complete_as_of = excluded.complete_as_of`,
		forge, repo, c.Phase, c.Page, unixNano(c.Since), n, unixNano(c.RunStarted), unixNano(c.CompleteAsOf), n); err != nil {
		return 0, fmt.Errorf("backfill page: %w", err)
	}
	return n, tx.Commit()
}

// unixNano is t in Unix nanoseconds, 0 for the zero time (whose UnixNano is
// out of range).
func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// fromUnixNano is the inverse of unixNano: 0 is the zero time.
func fromUnixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}
