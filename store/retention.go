package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrPayloadPruned is RetryDelivery's error for a delivery whose payload
// was pruned: there is nothing left to process.
var ErrPayloadPruned = errors.New("its payload was pruned")

// PrunePayloads deletes the payloads (body and headers) of up to limit
// deliveries that finished (done, ignored or dead) before cutoff, oldest
// first, in one transaction, and marks each delivery pruned at now. The
// deliveries' rows, their events and the ledger stay. It returns how many
// it pruned: fewer than limit means none is left to prune.
func (s *Store) PrunePayloads(ctx context.Context, now, cutoff time.Time, limit int) (int, error) {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("prune payloads: %w", err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT id FROM deliveries INDEXED BY deliveries_done
		WHERE pruned_at IS NULL AND state IN ('done', 'ignored', 'dead') AND done_at < ? ORDER BY done_at LIMIT ?`, cutoff.UnixNano(), limit)
	if err != nil {
		return 0, fmt.Errorf("prune payloads: %w", err)
	}
	var ids []any
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, fmt.Errorf("prune payloads: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("prune payloads: %w", err)
	}
	if len(ids) == 0 {
		return 0, nil
	}
	in := `(?` + strings.Repeat(",?", len(ids)-1) + `)`
	if _, err := tx.ExecContext(ctx, `DELETE FROM delivery_payloads WHERE delivery IN `+in, ids...); err != nil {
		return 0, fmt.Errorf("prune payloads: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET pruned_at = ? WHERE id IN `+in, append([]any{now.UnixNano()}, ids...)...); err != nil {
		return 0, fmt.Errorf("prune payloads: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("prune payloads: %w", err)
	}
	return len(ids), nil
}
