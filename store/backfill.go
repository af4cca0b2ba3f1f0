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
	Phase string // "pulls", "issues", "releases" or "done"
	Page  int
	Since time.Time
	Facts int
}

// GetBackfill returns the cursor of forge:repo, or nil when no backfill
// has started.
func (s *Store) GetBackfill(ctx context.Context, forge, repo string) (*BackfillCursor, error) {
	var c BackfillCursor
	var since int64
	err := s.read.QueryRowContext(ctx, `SELECT phase, page, since, facts FROM backfill WHERE forge = ? AND repo = ?`, forge, repo).
		Scan(&c.Phase, &c.Page, &since, &c.Facts)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("backfill cursor: %w", err)
	}
	if since != 0 {
		c.Since = time.Unix(0, since).UTC()
	}
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
	if _, err := tx.ExecContext(ctx, `INSERT INTO backfill (forge, repo, phase, page, since, facts) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (forge, repo) DO UPDATE SET phase = excluded.phase, page = excluded.page, since = excluded.since,
		facts = backfill.facts + ?`, forge, repo, c.Phase, c.Page, unixNano(c.Since), n, n); err != nil {
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
