package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/accord-coop/accord/forges"
)

// CatchUpCursor is where catching up stands for a forge's repository (or
// the forge's deliveries API, repo ""): the next scan starts at Since;
// LastEvent is the time of the last event seen.
type CatchUpCursor struct {
	Since     time.Time
	LastEvent time.Time
}

// GetCatchUp returns forge:repo's cursor, or nil before its first scan.
func (s *Store) GetCatchUp(ctx context.Context, forge, repo string) (*CatchUpCursor, error) {
	var since, last int64
	err := s.read.QueryRowContext(ctx, `SELECT since, last_event FROM catchup WHERE forge = ? AND repo = ?`, forge, repo).Scan(&since, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("catch-up cursor: %w", err)
	}
	return &CatchUpCursor{Since: fromUnixNano(since), LastEvent: fromUnixNano(last)}, nil
}

// SaveCatchUp stores forge:repo's cursor.
func (s *Store) SaveCatchUp(ctx context.Context, forge, repo string, c CatchUpCursor) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO catchup (forge, repo, since, last_event) VALUES (?, ?, ?, ?)
		ON CONFLICT (forge, repo) DO UPDATE SET since = excluded.since, last_event = excluded.last_event`,
		forge, repo, unixNano(c.Since), unixNano(c.LastEvent))
	if err != nil {
		return fmt.Errorf("save catch-up cursor: %w", err)
	}
	return nil
}

// KnownRepo is a repository Accord has recorded events of, and the time of
// the last one.
type KnownRepo struct {
	Repo      string // "owner/name"
	LastEvent time.Time
}

// KnownRepos lists the repositories of forge that Accord has recorded
// events of (the ones it serves), by name.
func (s *Store) KnownRepos(ctx context.Context, forge string) ([]KnownRepo, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT repo, MAX(at) FROM events WHERE forge = ? AND repo != '/' AND repo != ''
		GROUP BY repo ORDER BY repo`, forge)
	if err != nil {
		return nil, fmt.Errorf("known repos: %w", err)
	}
	defer rows.Close()
	var out []KnownRepo
	for rows.Next() {
		var r KnownRepo
		var at int64
		if err := rows.Scan(&r.Repo, &at); err != nil {
			return nil, fmt.Errorf("known repos: %w", err)
		}
		r.LastEvent = time.Unix(0, at).UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}

// EventsSince returns the events recorded of forge:repo that happened at
// or after t, in delivery order.
func (s *Store) EventsSince(ctx context.Context, forge, repo string, t time.Time) ([]forges.Event, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT data FROM events WHERE forge = ? AND repo = ? AND at >= ? ORDER BY delivery`,
		forge, repo, t.UnixNano())
	if err != nil {
		return nil, fmt.Errorf("events since: %w", err)
	}
	defer rows.Close()
	var out []forges.Event
	for rows.Next() {
		var data string
		if err := rows.Scan(&data); err != nil {
			return nil, fmt.Errorf("events since: %w", err)
		}
		var ev forges.Event
		if err := json.Unmarshal([]byte(data), &ev); err != nil {
			return nil, fmt.Errorf("events since: %w", err)
		}
		out = append(out, ev)
	}
	return out, rows.Err()
}

// HaveDeliveries says which of these delivery IDs of forge are stored.
func (s *Store) HaveDeliveries(ctx context.Context, forge string, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), 500)]
		ids = ids[len(chunk):]
		args := []any{forge}
		for _, id := range chunk {
			args = append(args, id)
		}
		rows, err := s.read.QueryContext(ctx, `SELECT delivery_id FROM deliveries WHERE forge = ? AND delivery_id IN (?`+
			strings.Repeat(",?", len(chunk)-1)+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("have deliveries: %w", err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, fmt.Errorf("have deliveries: %w", err)
			}
			out[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("have deliveries: %w", err)
		}
	}
	return out, nil
}
