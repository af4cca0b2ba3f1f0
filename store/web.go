package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Head is the ledger's last entry: how many entries the ledger holds (its
// size, the last seq), that entry's hash and when it was recorded. The
// zero Head is an empty ledger.
type Head struct {
	Size int64
	Hash string
	At   time.Time
}

// LedgerHead is the ledger's head, read with one indexed query: cheap
// enough to ask on every page view.
func (s *Store) LedgerHead(ctx context.Context) (Head, error) {
	var h Head
	var at int64
	err := s.read.QueryRowContext(ctx, `SELECT seq, hash, at FROM ledger ORDER BY seq DESC LIMIT 1`).Scan(&h.Size, &h.Hash, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return Head{}, nil
	}
	if err != nil {
		return Head{}, fmt.Errorf("read the ledger: %w", err)
	}
	h.At = time.Unix(0, at).UTC()
	return h, nil
}
