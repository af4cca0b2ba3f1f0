package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/accord-coop/accord/forges"
)

// Delivery states. A delivery is queued when stored, processing while a
// worker has it, and ends done (an event was recorded), ignored (a kind
// Accord does not act on; the event is recorded too) or dead (processing kept
// failing; `accord deliveries retry` queues it again).
const (
	StateQueued     = "queued"
	StateProcessing = "processing"
	StateDone       = "done"
	StateIgnored    = "ignored"
	StateDead       = "dead"
)

// Lease is how long a claim (of a delivery or an effect) holds: a worker
// that dies, or a batch whose outcome cannot be recorded, gives its items
// back when it ends, without a restart.
const Lease = 5 * time.Minute

// ErrNotFound is returned for a delivery that does not exist.
var ErrNotFound = errors.New("no such delivery")

// StoredDelivery is a delivery as the inbox holds it.
type StoredDelivery struct {
	Seq int64 // the inbox's own ID, shown by `accord deliveries`
	forges.Delivery
	State     string
	Attempts  int       // tries so far, counted when a worker claims it
	NextAt    time.Time // when a queued delivery is due
	LastError string    // why the last try failed
	DoneAt    time.Time // when it ended done, ignored or dead; zero while unfinished
	PrunedAt  time.Time // when its payload was pruned (retention.payloads); zero while kept
}

// InsertDelivery stores a delivery durably and reports whether it is new. A
// delivery whose (forge, ID) is already stored is not stored again: inserted
// is false. It returns only after the transaction holding the row has
// committed; concurrent calls share one transaction (group commit).
func (s *Store) InsertDelivery(ctx context.Context, d forges.Delivery) (inserted bool, err error) {
	return s.batch.insert(ctx, d)
}

// insertBatch writes a group of deliveries, their bodies already packed
// (packBody), in one transaction. It returns, per delivery, whether it was
// new.
func (s *Store) insertBatch(ds []forges.Delivery) ([]bool, error) {
	tx, err := s.write.Begin()
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	row, err := tx.Prepare(`INSERT INTO deliveries (forge, delivery_id, event, received_at, state, next_at)
		VALUES (?, ?, ?, ?, 'queued', ?) ON CONFLICT (forge, delivery_id) DO NOTHING RETURNING id`)
	if err != nil {
		return nil, err
	}
	defer row.Close()
	payload, err := tx.Prepare(`INSERT INTO delivery_payloads (delivery, headers, encoding, body) VALUES (?, ?, '` + bodyEncoding + `', ?)`)
	if err != nil {
		return nil, err
	}
	defer payload.Close()
	out := make([]bool, len(ds))
	for i, d := range ds {
		h, err := json.Marshal(d.Headers)
		if err != nil {
			return nil, err
		}
		at := d.ReceivedAt.UnixNano()
		var id int64
		switch err := row.QueryRow(d.Forge, d.ID, d.Event, at, at).Scan(&id); {
		case errors.Is(err, sql.ErrNoRows):
			continue // seen before
		case err != nil:
			return nil, err
		}
		if _, err := payload.Exec(id, string(h), d.Body); err != nil {
			return nil, err
		}
		out[i] = true
	}
	return out, tx.Commit()
}

// ClaimDeliveries marks up to limit queued deliveries that are due as
// processing, counts the attempt, and returns them in the order they
// arrived.
func (s *Store) ClaimDeliveries(ctx context.Context, now time.Time, limit int) ([]StoredDelivery, error) {
	// A claim is a lease: next_at becomes its end. A delivery whose lease
	// ended while it was processing (a worker that died, a batch whose
	// outcome could not be recorded) is due again.
	rows, err := s.write.QueryContext(ctx, `UPDATE deliveries SET state = 'processing', attempts = attempts + 1, next_at = ?
		WHERE id IN (SELECT id FROM deliveries WHERE state = 'queued' AND next_at <= ?
			UNION ALL SELECT id FROM deliveries WHERE state = 'processing' AND next_at <= ? ORDER BY id LIMIT ?)
		RETURNING id, forge, delivery_id, event, received_at, attempts`, now.Add(Lease).UnixNano(), now.UnixNano(), now.UnixNano(), limit)
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	defer rows.Close()
	var out []StoredDelivery
	for rows.Next() {
		var d StoredDelivery
		var at int64
		if err := rows.Scan(&d.Seq, &d.Forge, &d.ID, &d.Event, &at, &d.Attempts); err != nil {
			return nil, fmt.Errorf("claim deliveries: %w", err)
		}
		d.ReceivedAt = time.Unix(0, at).UTC()
		d.State = StateProcessing
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	rows.Close()
	if len(out) == 0 {
		return nil, nil
	}
	// RETURNING gives no order guarantee.
	slices.SortFunc(out, func(a, b StoredDelivery) int { return cmp.Compare(a.Seq, b.Seq) })
	if err := s.loadPayloads(ctx, out); err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	return out, nil
}

// loadPayloads fills in the headers and bodies of ds (sorted by Seq). The
// claim has committed, so the read pool sees them; ClaimDeliveries' limit
// keeps the IN list far below SQLite's limit of variables.
func (s *Store) loadPayloads(ctx context.Context, ds []StoredDelivery) error {
	ids := make([]any, len(ds))
	for i, d := range ds {
		ids[i] = d.Seq
	}
	rows, err := s.read.QueryContext(ctx, `SELECT delivery, headers, encoding, body FROM delivery_payloads
		WHERE delivery IN (?`+strings.Repeat(",?", len(ds)-1)+`) ORDER BY delivery`, ids...)
	if err != nil {
		return err
	}
	defer rows.Close()
	i := 0
	found := make([]bool, len(ds))
	for rows.Next() {
		var seq int64
		var headers, encoding string
		var body []byte
		if err := rows.Scan(&seq, &headers, &encoding, &body); err != nil {
			return err
		}
		for i < len(ds) && ds[i].Seq < seq {
			i++
		}
		if i == len(ds) {
			break
		}
		if ds[i].Seq != seq {
			continue
		}
		if err := json.Unmarshal([]byte(headers), &ds[i].Headers); err != nil {
			return fmt.Errorf("delivery %d headers: %w", seq, err)
		}
		if ds[i].Body, err = unpackBody(encoding, body); err != nil {
			return fmt.Errorf("delivery %d body: %w", seq, err)
		}
		if ds[i].Body == nil {
			ds[i].Body = []byte{}
		}
		found[i] = true
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for i, d := range ds {
		if !found[i] {
			return fmt.Errorf("delivery %d has no stored payload", d.Seq)
		}
	}
	return nil
}

// Outcome is what processing a claimed delivery came to.
type Outcome struct {
	Seq   int64
	State string        // StateDone, StateIgnored, StateQueued (retry at NextAt) or StateDead
	Event *forges.Event // recorded for StateDone and StateIgnored
	// Effects are the handlers' effects on forges, for StateDone: enqueued
	// in the same transaction, so they are stored exactly when the delivery
	// is done (keys dedupe a delivery processed again after a crash).
	Effects []NewEffect
	// Entries are appended to the ledger in the same transaction, for
	// StateDone (an entry whose key is there already is skipped).
	Entries []NewEntry
	Error   string    // why it failed, for StateQueued and StateDead
	Next    time.Time // when to try again, for StateQueued
}

// FinishDeliveries records the outcomes of processed deliveries in one
// transaction: the normalized event of each done or ignored delivery (once:
// a delivery processed again after a crash records nothing new) and each
// delivery's new state, with the effects its handlers asked for.
func (s *Store) FinishDeliveries(ctx context.Context, now time.Time, outs []Outcome) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("finish deliveries: %w", err)
	}
	defer tx.Rollback()
	for _, o := range outs {
		switch o.State {
		case StateDone, StateIgnored:
			if o.Event == nil {
				return fmt.Errorf("finish deliveries: delivery %d: no event", o.Seq)
			}
			data, err := json.Marshal(o.Event)
			if err != nil {
				return fmt.Errorf("finish deliveries: delivery %d: %w", o.Seq, err)
			}
			e := o.Event
			if _, err := tx.ExecContext(ctx, `INSERT INTO events (delivery, forge, kind, action, repo, actor, at, data)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (delivery) DO NOTHING`,
				o.Seq, e.Forge, string(e.Kind), e.Action, e.Repo.FullName(), e.Actor.Login, e.Time.UnixNano(), string(data)); err != nil {
				return fmt.Errorf("finish deliveries: delivery %d: %w", o.Seq, err)
			}
			if _, err := appendEntries(ctx, tx, now, o.Entries); err != nil {
				return fmt.Errorf("finish deliveries: delivery %d: %w", o.Seq, err)
			}
			if _, err := enqueueEffects(ctx, tx, now, o.Effects); err != nil {
				return fmt.Errorf("finish deliveries: delivery %d: %w", o.Seq, err)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET state = ?, done_at = ?, last_error = '' WHERE id = ?`,
				o.State, now.UnixNano(), o.Seq); err != nil {
				return fmt.Errorf("finish deliveries: delivery %d: %w", o.Seq, err)
			}
		case StateQueued:
			if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET state = ?, next_at = ?, last_error = ? WHERE id = ?`,
				o.State, o.Next.UnixNano(), o.Error, o.Seq); err != nil {
				return fmt.Errorf("finish deliveries: delivery %d: %w", o.Seq, err)
			}
		case StateDead:
			if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET state = ?, done_at = ?, last_error = ? WHERE id = ?`,
				o.State, now.UnixNano(), o.Error, o.Seq); err != nil {
				return fmt.Errorf("finish deliveries: delivery %d: %w", o.Seq, err)
			}
		default:
			return fmt.Errorf("finish deliveries: delivery %d: bad state %q", o.Seq, o.State)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("finish deliveries: %w", err)
	}
	return nil
}

// RequeueInterrupted puts deliveries left processing by a process that
// stopped (crashed or killed) back in the queue. Call it once at start,
// before any worker runs. It returns how many there were.
func (s *Store) RequeueInterrupted(ctx context.Context) (int64, error) {
	res, err := s.write.ExecContext(ctx, `UPDATE deliveries SET state = 'queued', next_at = 0 WHERE state = 'processing'`)
	if err != nil {
		return 0, fmt.Errorf("requeue interrupted deliveries: %w", err)
	}
	return res.RowsAffected()
}

// ReleaseDeliveries gives claimed deliveries back to the queue, due at
// next: their batch's outcome could not be recorded.
func (s *Store) ReleaseDeliveries(ctx context.Context, next time.Time, seqs []int64) error {
	// One transaction: a batch is given back whole (one commit, not one
	// per delivery), or stays claimed until its leases end.
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("release deliveries: %w", err)
	}
	defer tx.Rollback()
	upd, err := tx.PrepareContext(ctx, `UPDATE deliveries SET state = 'queued', next_at = ? WHERE id = ? AND state = 'processing'`)
	if err != nil {
		return fmt.Errorf("release deliveries: %w", err)
	}
	defer upd.Close()
	for _, seq := range seqs {
		if _, err := upd.ExecContext(ctx, next.UnixNano(), seq); err != nil {
			return fmt.Errorf("release delivery %d: %w", seq, err)
		}
	}
	return tx.Commit()
}

// RetryDelivery queues a dead (or any finished) delivery again with a fresh
// count of attempts; one being processed only once its claim's lease
// ended. A delivery whose payload was pruned cannot be: the error wraps
// ErrPayloadPruned and says when.
func (s *Store) RetryDelivery(ctx context.Context, seq int64, now time.Time) error {
	res, err := s.write.ExecContext(ctx, `UPDATE deliveries SET state = 'queued', attempts = 0, next_at = ?, done_at = NULL
		WHERE id = ? AND (state != 'processing' OR next_at <= ?) AND pruned_at IS NULL`, now.UnixNano(), seq, now.UnixNano())
	if err != nil {
		return fmt.Errorf("retry delivery %d: %w", seq, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		var state string
		var pruned sql.NullInt64
		err := s.read.QueryRowContext(ctx, `SELECT state, pruned_at FROM deliveries WHERE id = ?`, seq).Scan(&state, &pruned)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("retry delivery %d: %w", seq, ErrNotFound)
		case err != nil:
			return fmt.Errorf("retry delivery %d: %w", seq, err)
		case pruned.Valid:
			return fmt.Errorf("delivery %d cannot be retried: %w on %s (retention.payloads); its event and ledger entries are kept",
				seq, ErrPayloadPruned, time.Unix(0, pruned.Int64).UTC().Format("2006-01-02"))
		}
		return fmt.Errorf("retry delivery %d: it is being processed now (its claim ends within %s)", seq, Lease)
	}
	return nil
}

// RetryFilter picks deliveries or effects to queue again in bulk: those
// in State (dead by default), of Forge if set, received or created at or
// after Since if set.
type RetryFilter struct {
	State string
	Forge string
	Since time.Time
}

func (f RetryFilter) where(timeCol string) (string, []any) {
	state := f.State
	if state == "" {
		state = StateDead
	}
	q, args := `state = ?`, []any{state}
	if f.Forge != "" {
		q += ` AND forge = ?`
		args = append(args, f.Forge)
	}
	if !f.Since.IsZero() {
		q += ` AND ` + timeCol + ` >= ?`
		args = append(args, f.Since.UnixNano())
	}
	return q, args
}

// RetryDeliveries queues every delivery the filter picks again, as
// RetryDelivery does one; it returns how many.
func (s *Store) RetryDeliveries(ctx context.Context, now time.Time, f RetryFilter) (int64, error) {
	if f.State == StateProcessing || f.State == StateQueued {
		return 0, fmt.Errorf("retry deliveries: --state %s: give a finished state (dead, done, ignored)", f.State)
	}
	where, args := f.where("received_at")
	// A delivery whose payload was pruned cannot run again: left as it is.
	res, err := s.write.ExecContext(ctx, `UPDATE deliveries SET state = 'queued', attempts = 0, next_at = ?, done_at = NULL
		WHERE pruned_at IS NULL AND `+where,
		append([]any{now.UnixNano()}, args...)...)
	if err != nil {
		return 0, fmt.Errorf("retry deliveries: %w", err)
	}
	return res.RowsAffected()
}

// ListDeliveries lists the inbox, newest first, optionally only one state.
// The bodies are not loaded.
func (s *Store) ListDeliveries(ctx context.Context, state string, limit int) ([]StoredDelivery, error) {
	q := `SELECT id, forge, delivery_id, event, received_at, state, attempts, next_at, last_error, COALESCE(done_at, 0), COALESCE(pruned_at, 0)
		FROM deliveries`
	var args []any
	if state != "" {
		q += ` WHERE state = ?`
		args = append(args, state)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	defer rows.Close()
	var out []StoredDelivery
	for rows.Next() {
		var d StoredDelivery
		var at, next, done, pruned int64
		if err := rows.Scan(&d.Seq, &d.Forge, &d.ID, &d.Event, &at, &d.State, &d.Attempts, &next, &d.LastError, &done, &pruned); err != nil {
			return nil, fmt.Errorf("list deliveries: %w", err)
		}
		if pruned != 0 {
			d.PrunedAt = time.Unix(0, pruned).UTC()
		}
		d.ReceivedAt = time.Unix(0, at).UTC()
		d.NextAt = time.Unix(0, next).UTC()
		if done != 0 {
			d.DoneAt = time.Unix(0, done).UTC()
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// CountDeliveries counts deliveries by state.
func (s *Store) CountDeliveries(ctx context.Context) (map[string]int64, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT state, COUNT(*) FROM deliveries GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("count deliveries: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var st string
		var n int64
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("count deliveries: %w", err)
		}
		out[st] = n
	}
	return out, rows.Err()
}

// QueueDepth counts the deliveries not yet finished (queued or processing).
func (s *Store) QueueDepth(ctx context.Context) (int64, error) {
	var n int64
	err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM deliveries WHERE state IN ('queued', 'processing')`).Scan(&n)
	return n, err
}

// Unfinished counts a forge's deliveries received at or before t that are
// not finished yet (queued, waiting for a retry, or processing): a vote's
// close waits for them, since one of them may be a vote cast in time.
func (s *Store) Unfinished(ctx context.Context, forge string, t time.Time) (int64, error) {
	var n int64
	err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM deliveries WHERE state IN ('queued', 'processing')
		AND forge = ? AND received_at <= ?`, forge, t.UnixNano()).Scan(&n)
	return n, err
}

// RecordedEvent is a normalized event as recorded, with the inbox ID of the
// delivery it came from.
type RecordedEvent struct {
	Seq   int64
	Event forges.Event
}

// Events returns the recorded events in delivery order.
func (s *Store) Events(ctx context.Context) ([]RecordedEvent, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT delivery, data FROM events ORDER BY delivery`)
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	defer rows.Close()
	var out []RecordedEvent
	for rows.Next() {
		var r RecordedEvent
		var data string
		if err := rows.Scan(&r.Seq, &data); err != nil {
			return nil, fmt.Errorf("events: %w", err)
		}
		if err := json.Unmarshal([]byte(data), &r.Event); err != nil {
			return nil, fmt.Errorf("events: delivery %d: %w", r.Seq, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
