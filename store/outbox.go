package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Effect is something the bot does on a forge (post a comment, add a label,
// set a status), as the outbox holds it. It is stored before it is carried
// out; its Key makes it happen at most once however often it is enqueued.
// States are those of deliveries: queued, processing, done, dead.
type Effect struct {
	Seq       int64  // the outbox's own ID, shown by `accord outbox`
	Key       string // idempotency key
	Forge     string
	Op        string // what to do, e.g. "comment"
	Payload   []byte // the op's arguments, JSON
	CreatedAt time.Time
	State     string
	Attempts  int       // tries so far that counted (rate-limit waits do not)
	NextAt    time.Time // when a queued effect is due
	LastError string
	DoneAt    time.Time // when it ended done or dead
}

// NewEffect is an effect to enqueue.
type NewEffect struct {
	Key     string
	Forge   string
	Op      string
	Payload []byte
	// NotBefore, if set, delays the effect (a status comment refreshed at
	// most once per window).
	NotBefore time.Time
}

// EnqueueEffects stores effects, in one transaction, and returns how many
// were new: an effect whose key is stored already is not stored again.
func (s *Store) EnqueueEffects(ctx context.Context, now time.Time, es []NewEffect) (int, error) {
	if len(es) == 0 {
		return 0, nil
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("enqueue effects: %w", err)
	}
	defer tx.Rollback()
	n, err := enqueueEffects(ctx, tx, now, es)
	if err != nil {
		return 0, err
	}
	return n, tx.Commit()
}

func enqueueEffects(ctx context.Context, tx *sql.Tx, now time.Time, es []NewEffect) (int, error) {
	n := 0
	for _, e := range es {
		due := now
		if e.NotBefore.After(now) {
			due = e.NotBefore
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO outbox (key, forge, op, payload, created_at, state, next_at)
			VALUES (?, ?, ?, ?, ?, 'queued', ?) ON CONFLICT (key) DO NOTHING`,
			e.Key, e.Forge, e.Op, string(e.Payload), now.UnixNano(), due.UnixNano())
		if err != nil {
			return 0, fmt.Errorf("enqueue effect %s: %w", e.Key, err)
		}
		if k, _ := res.RowsAffected(); k == 1 {
			n++
		}
	}
	return n, nil
}

// ClaimEffects marks up to limit due effects as processing, counts the
// attempt, and returns them oldest first. Effects for the forges in skip
// (rate-limited ones) are left queued.
func (s *Store) ClaimEffects(ctx context.Context, now time.Time, limit int, skip []string) ([]Effect, error) {
	notIn := ""
	var skipArgs []any
	if len(skip) > 0 {
		notIn = " AND forge NOT IN (?" + strings.Repeat(",?", len(skip)-1) + ")"
		for _, f := range skip {
			skipArgs = append(skipArgs, f)
		}
	}
	// A claim is a lease (see Lease): an effect whose lease ended while it
	// was being carried out is due again.
	args := []any{now.Add(Lease).UnixNano(), now.UnixNano()}
	args = append(args, skipArgs...)
	args = append(args, now.UnixNano())
	args = append(args, skipArgs...)
	args = append(args, limit)
	rows, err := s.write.QueryContext(ctx, `UPDATE outbox SET state = 'processing', attempts = attempts + 1, next_at = ?
		WHERE id IN (SELECT id FROM outbox WHERE state = 'queued' AND next_at <= ?`+notIn+`
			UNION ALL SELECT id FROM outbox WHERE state = 'processing' AND next_at <= ?`+notIn+` ORDER BY id LIMIT ?)
		RETURNING id, key, forge, op, payload, created_at, attempts`, args...)
	if err != nil {
		return nil, fmt.Errorf("claim effects: %w", err)
	}
	defer rows.Close()
	var out []Effect
	for rows.Next() {
		var e Effect
		var payload string
		var created int64
		if err := rows.Scan(&e.Seq, &e.Key, &e.Forge, &e.Op, &payload, &created, &e.Attempts); err != nil {
			return nil, fmt.Errorf("claim effects: %w", err)
		}
		e.Payload = []byte(payload)
		e.CreatedAt = time.Unix(0, created).UTC()
		e.State = StateProcessing
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("claim effects: %w", err)
	}
	// RETURNING gives no order guarantee.
	slices.SortFunc(out, func(a, b Effect) int { return cmp.Compare(a.Seq, b.Seq) })
	return out, nil
}

// EffectOutcome is what carrying out a claimed effect came to.
type EffectOutcome struct {
	Seq   int64
	State string    // StateDone, StateQueued (again at Next) or StateDead
	Error string    // why it failed
	Next  time.Time // for StateQueued
	// Uncount takes back the claim's attempt: a rate-limit wait is not a
	// failed try.
	Uncount bool
}

// FinishEffect records an effect's outcome.
func (s *Store) FinishEffect(ctx context.Context, now time.Time, o EffectOutcome) error {
	var err error
	switch o.State {
	case StateDone, StateDead:
		_, err = s.write.ExecContext(ctx, `UPDATE outbox SET state = ?, done_at = ?, last_error = ? WHERE id = ?`,
			o.State, now.UnixNano(), o.Error, o.Seq)
	case StateQueued:
		uncount := 0
		if o.Uncount {
			uncount = 1
		}
		_, err = s.write.ExecContext(ctx, `UPDATE outbox SET state = 'queued', next_at = ?, last_error = ?,
			attempts = attempts - ? WHERE id = ?`, o.Next.UnixNano(), o.Error, uncount, o.Seq)
	default:
		return fmt.Errorf("finish effect %d: bad state %q", o.Seq, o.State)
	}
	if err != nil {
		return fmt.Errorf("finish effect %d: %w", o.Seq, err)
	}
	return nil
}

// RequeueInterruptedEffects puts effects left processing by a process that
// stopped back in the queue; call it once at start. Their attempt stays
// counted, so the next try knows it may have been done already.
func (s *Store) RequeueInterruptedEffects(ctx context.Context) (int64, error) {
	res, err := s.write.ExecContext(ctx, `UPDATE outbox SET state = 'queued', next_at = 0 WHERE state = 'processing'`)
	if err != nil {
		return 0, fmt.Errorf("requeue interrupted effects: %w", err)
	}
	return res.RowsAffected()
}

// RetryEffect queues a dead (or done) effect again, due now. Its attempts
// are kept: the op must look before it acts again.
func (s *Store) RetryEffect(ctx context.Context, seq int64, now time.Time) error {
	res, err := s.write.ExecContext(ctx, `UPDATE outbox SET state = 'queued', next_at = ?, done_at = NULL
		WHERE id = ? AND (state != 'processing' OR next_at <= ?)`, now.UnixNano(), seq, now.UnixNano())
	if err != nil {
		return fmt.Errorf("retry effect %d: %w", seq, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		var state string
		err := s.read.QueryRowContext(ctx, `SELECT state FROM outbox WHERE id = ?`, seq).Scan(&state)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("retry effect %d: %w", seq, ErrNotFound)
		}
		return fmt.Errorf("retry effect %d: it is being carried out now (its claim ends within %s)", seq, Lease)
	}
	return nil
}

// RetryEffects queues every effect the filter picks again (Since is of
// when it was asked for), as RetryEffect does one; it returns how many.
func (s *Store) RetryEffects(ctx context.Context, now time.Time, f RetryFilter) (int64, error) {
	if f.State == StateProcessing || f.State == StateQueued {
		return 0, fmt.Errorf("retry effects: --state %s: give a finished state (dead, done)", f.State)
	}
	where, args := f.where("created_at")
	res, err := s.write.ExecContext(ctx, `UPDATE outbox SET state = 'queued', next_at = ?, done_at = NULL WHERE `+where,
		append([]any{now.UnixNano()}, args...)...)
	if err != nil {
		return 0, fmt.Errorf("retry effects: %w", err)
	}
	return res.RowsAffected()
}

// ListEffects lists the outbox, newest first, optionally only one state.
func (s *Store) ListEffects(ctx context.Context, state string, limit int) ([]Effect, error) {
	q := ``
	var args []any
	if state != "" {
		q += ` WHERE state = ?`
		args = append(args, state)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit)
	return s.effects(ctx, q, args...)
}

// GetEffect is the effect with the outbox ID seq, or ErrNotFound.
func (s *Store) GetEffect(ctx context.Context, seq int64) (*Effect, error) {
	es, err := s.effects(ctx, ` WHERE id = ?`, seq)
	if err != nil {
		return nil, err
	}
	if len(es) == 0 {
		return nil, fmt.Errorf("effect %d: %w", seq, ErrNotFound)
	}
	return &es[0], nil
}

func (s *Store) effects(ctx context.Context, tail string, args ...any) ([]Effect, error) {
	q := `SELECT id, key, forge, op, payload, created_at, state, attempts, next_at, last_error, COALESCE(done_at, 0) FROM outbox` + tail
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list effects: %w", err)
	}
	defer rows.Close()
	var out []Effect
	for rows.Next() {
		var e Effect
		var payload string
		var created, next, done int64
		if err := rows.Scan(&e.Seq, &e.Key, &e.Forge, &e.Op, &payload, &created, &e.State, &e.Attempts, &next, &e.LastError, &done); err != nil {
			return nil, fmt.Errorf("list effects: %w", err)
		}
		e.Payload = []byte(payload)
		e.CreatedAt = time.Unix(0, created).UTC()
		e.NextAt = time.Unix(0, next).UTC()
		if done != 0 {
			e.DoneAt = time.Unix(0, done).UTC()
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// OutboxDepth counts the effects not yet carried out (queued or processing).
func (s *Store) OutboxDepth(ctx context.Context) (int64, error) {
	var n int64
	err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE state IN ('queued', 'processing')`).Scan(&n)
	return n, err
}

// NextEffectDue is when the earliest queued effect is due, or the zero time
// when none is queued: the outbox worker sleeps until then.
func (s *Store) NextEffectDue(ctx context.Context) (time.Time, error) {
	var next sql.NullInt64
	err := s.read.QueryRowContext(ctx, `SELECT MIN(next_at) FROM outbox WHERE state = 'queued'`).Scan(&next)
	if err != nil || !next.Valid {
		return time.Time{}, err
	}
	return time.Unix(0, next.Int64).UTC(), nil
}
