package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	gojson "github.com/goccy/go-json"

	"github.com/accord-coop/accord/ledger"
)

// ledgerSchema is the ledger: one row per entry of the hash chain (see
// package ledger). Rows are only ever inserted; the triggers make an UPDATE
// or a DELETE fail, so a correction has to be a new entry. (Someone with the
// file can still drop the triggers; that is what `accord ledger verify`
// catches.)
const ledgerSchema = `
CREATE TABLE IF NOT EXISTS ledger (
	seq  INTEGER PRIMARY KEY, -- 1, 2, 3 … with no gaps
	kind TEXT NOT NULL,
	key  TEXT NOT NULL UNIQUE, -- an entry is recorded once per key
	at   INTEGER NOT NULL,     -- Unix nanoseconds, UTC
	body TEXT NOT NULL,        -- canonical JSON (ledger.Canonical)
	prev TEXT NOT NULL,        -- the previous entry's hash, '' for the first
	hash TEXT NOT NULL         -- ledger.Entry.ComputeHash
);
CREATE TRIGGER IF NOT EXISTS ledger_no_update BEFORE UPDATE ON ledger
BEGIN
	SELECT RAISE(ABORT, 'the ledger is append-only');
END;
CREATE TRIGGER IF NOT EXISTS ledger_no_delete BEFORE DELETE ON ledger
BEGIN
	SELECT RAISE(ABORT, 'the ledger is append-only');
END;
`

// NewEntry is an entry to append to the ledger: its kind (ledger.Kind*),
// its key (unique in the whole ledger: a fact's ID, a policy version …) and
// its content, stored as ledger.Canonical(Body): a value such as a
// ledger.Fact, or a json.RawMessage, which is stored compacted.
type NewEntry struct {
	Kind string
	Key  string
	Body any
}

// AppendEntries appends entries to the ledger, in order and in one
// transaction, and returns how many were appended: an entry whose key is in
// the ledger already is skipped, which is how a fact is recorded once
// however often it is seen. Each appended entry is recorded at now.
func (s *Store) AppendEntries(ctx context.Context, now time.Time, es []NewEntry) (int, error) {
	if len(es) == 0 {
		return 0, nil
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("append to the ledger: %w", err)
	}
	defer tx.Rollback()
	n, err := appendEntries(ctx, tx, now, es)
	if err != nil {
		return 0, err
	}
	return n, tx.Commit()
}

// appendEntries appends es inside tx (see AppendEntries), so that whatever
// else tx records is recorded with them or not at all. tx must be a write
// transaction: the last entry is read and the next ones written under the
// same lock.
func appendEntries(ctx context.Context, tx *sql.Tx, now time.Time, es []NewEntry) (int, error) {
	if len(es) == 0 {
		return 0, nil
	}
	var last ledger.Entry
	err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1`).Scan(&last.Seq, &last.Hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("append to the ledger: %w", err)
	}
	ins, err := tx.PrepareContext(ctx, `INSERT INTO ledger (seq, kind, key, at, body, prev, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`)
	if err != nil {
		return 0, fmt.Errorf("append to the ledger: %w", err)
	}
	defer ins.Close()
	tree, err := newTreeWriter(ctx, tx)
	if err != nil {
		return 0, fmt.Errorf("append to the ledger: %w", err)
	}
	defer tree.close()
	if err := tree.catchUp(last.Seq); err != nil {
		return 0, fmt.Errorf("append to the ledger: %w", err)
	}
	// The time as stored, so that the hash is of what is read back.
	at := time.Unix(0, now.UnixNano()).UTC()
	n := 0
	for _, ne := range es {
		if ne.Kind == "" || ne.Key == "" {
			return 0, fmt.Errorf("append to the ledger: an entry needs a kind and a key (kind %q, key %q)", ne.Kind, ne.Key)
		}
		body, err := ledger.Canonical(ne.Body)
		if err != nil {
			return 0, fmt.Errorf("append to the ledger: %s %s: %w", ne.Kind, ne.Key, err)
		}
		e := ledger.Entry{Seq: last.Seq + 1, Kind: ne.Kind, Key: ne.Key, At: at, Body: body, Prev: last.Hash}
		e.Hash = e.ComputeHash()
		res, err := ins.ExecContext(ctx, e.Seq, e.Kind, e.Key, at.UnixNano(), string(e.Body), e.Prev, e.Hash)
		if err != nil {
			return 0, fmt.Errorf("append to the ledger: %s %s: %w", ne.Kind, ne.Key, err)
		}
		if k, _ := res.RowsAffected(); k == 1 {
			// Its leaf goes into the Merkle tree in the same transaction.
			if err := tree.add(e.Seq-1, e.Hash); err != nil {
				return 0, fmt.Errorf("append to the ledger: %w", err)
			}
			last = e
			n++
		}
	}
	if err := tree.flush(); err != nil {
		return 0, fmt.Errorf("append to the ledger: %w", err)
	}
	return n, nil
}

// LedgerEntries calls fn with each entry of the ledger, in order, reading
// them as it goes; it stops at the first error fn returns and returns it.
// fn may keep the entries it is given.
func (s *Store) LedgerEntries(ctx context.Context, fn func(ledger.Entry) error) error {
	return s.ledgerEntries(ctx, "", fn)
}

// LedgerEntry is the entry with key (a fact's ID, "policy:VERSION",
// "outcome:PROPOSAL" …), or ErrNotFound.
func (s *Store) LedgerEntry(ctx context.Context, key string) (*ledger.Entry, error) {
	return s.ledgerEntry(ctx, `key = ?`, key)
}

// LedgerEntryAt is the entry with sequence number seq, or ErrNotFound.
func (s *Store) LedgerEntryAt(ctx context.Context, seq int64) (*ledger.Entry, error) {
	return s.ledgerEntry(ctx, `seq = ?`, seq)
}

func (s *Store) ledgerEntry(ctx context.Context, where string, arg any) (*ledger.Entry, error) {
	var e ledger.Entry
	var at int64
	var body []byte
	err := s.read.QueryRowContext(ctx, `SELECT seq, kind, key, at, body, prev, hash FROM ledger WHERE `+where, arg).
		Scan(&e.Seq, &e.Kind, &e.Key, &at, &body, &e.Prev, &e.Hash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("ledger entry %v: %w", arg, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read the ledger: %w", err)
	}
	e.At, e.Body = time.Unix(0, at).UTC(), body
	return &e, nil
}

func (s *Store) ledgerEntries(ctx context.Context, kind string, fn func(ledger.Entry) error) error {
	q := `SELECT seq, kind, key, at, body, prev, hash FROM ledger ORDER BY seq`
	var args []any
	if kind != "" {
		q = `SELECT seq, kind, key, at, body, prev, hash FROM ledger WHERE kind = ? ORDER BY seq`
		args = append(args, kind)
	}
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("read the ledger: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e ledger.Entry
		var at int64
		var body []byte
		if err := rows.Scan(&e.Seq, &e.Kind, &e.Key, &at, &body, &e.Prev, &e.Hash); err != nil {
			return fmt.Errorf("read the ledger: %w", err)
		}
		e.At = time.Unix(0, at).UTC()
		e.Body = body
		if err := fn(e); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read the ledger: %w", err)
	}
	return nil
}

// Facts are the facts recorded in the ledger (the bodies of its entries of
// kind ledger.KindFact), in the order they were recorded.
func (s *Store) Facts(ctx context.Context) ([]ledger.Fact, error) {
	// One read transaction: the count and the rows are the same snapshot,
	// so the slice is made once at its size (growing a slice of a million
	// facts copies hundreds of MB, several times).
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("read the ledger: %w", err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM ledger WHERE kind = ?`, ledger.KindFact).Scan(&n); err != nil {
		return nil, fmt.Errorf("read the ledger: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT seq, body FROM ledger WHERE kind = ? ORDER BY seq`, ledger.KindFact)
	if err != nil {
		return nil, fmt.Errorf("read the ledger: %w", err)
	}
	defer rows.Close()
	out := make([]ledger.Fact, n)
	dec := newFactDecoder(out)
	i := 0
	for rows.Next() {
		var seq int64
		var body []byte
		if err := rows.Scan(&seq, &body); err != nil {
			dec.stop()
			return nil, fmt.Errorf("read the ledger: %w", err)
		}
		if i == n {
			break // cannot happen in one snapshot
		}
		dec.add(i, seq, body)
		i++
	}
	if err := errors.Join(rows.Err(), dec.stop()); err != nil {
		return nil, fmt.Errorf("read the ledger: %w", err)
	}
	return out[:i], nil
}

// VerifyLedger walks the ledger from its first entry and checks each
// entry's sequence number, its link to the one before and its hash (see
// ledger.Verifier). It returns how many entries hold and the hash of the
// last of them; for the first entry that does not hold, the error is a
// *ledger.BrokenError naming it.
func (s *Store) VerifyLedger(ctx context.Context) (count int64, head string, err error) {
	var v ledger.Verifier
	err = s.LedgerEntries(ctx, v.Add)
	return v.Count(), v.Head(), err
}

// factDecoder decodes fact bodies into their places on all CPUs while the
// rows are read: decoding JSON is most of the cost of reading facts, and
// goccy/go-json decodes a fact about five times faster than encoding/json
// (the bodies are written by encoding/json, canonically; only reading in
// bulk uses it).
type factDecoder struct {
	out   []ledger.Fact
	jobs  chan []factJob
	batch []factJob
	wg    sync.WaitGroup
	mu    sync.Mutex
	err   error
}

type factJob struct {
	i    int
	seq  int64
	body []byte
}

func newFactDecoder(out []ledger.Fact) *factDecoder {
	d := &factDecoder{out: out, jobs: make(chan []factJob, 8)}
	for range runtime.GOMAXPROCS(0) {
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			for batch := range d.jobs {
				for _, j := range batch {
					if err := gojson.Unmarshal(j.body, &d.out[j.i]); err != nil {
						d.mu.Lock()
						if d.err == nil {
							d.err = fmt.Errorf("entry %d: %w", j.seq, err)
						}
						d.mu.Unlock()
					}
				}
			}
		}()
	}
	return d
}

func (d *factDecoder) add(i int, seq int64, body []byte) {
	d.batch = append(d.batch, factJob{i, seq, body})
	if len(d.batch) == 512 {
		d.jobs <- d.batch
		d.batch = nil
	}
}

// stop decodes what is left and waits; it returns the first error.
func (d *factDecoder) stop() error {
	if len(d.batch) > 0 {
		d.jobs <- d.batch
	}
	close(d.jobs)
	d.wg.Wait()
	return d.err
}
