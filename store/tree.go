package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/accord-coop/accord/transparency"
)

// treeSchema keeps the ledger's Merkle tree (RFC 6962, as Go's checksum
// database keeps its own): the hashes golang.org/x/mod/sumdb/tlog says to
// store for each leaf, by their tlog index. Leaf i is ledger entry i+1;
// its data is the 32 bytes of the entry's hash. Like the ledger, rows are
// only inserted.
const treeSchema = `
CREATE TABLE IF NOT EXISTS ledger_tree (
	idx  INTEGER PRIMARY KEY, -- tlog.StoredHashIndex
	hash BLOB NOT NULL        -- 32 bytes
);
CREATE TRIGGER IF NOT EXISTS ledger_tree_no_update BEFORE UPDATE ON ledger_tree
BEGIN
	SELECT RAISE(ABORT, 'the ledger is append-only');
END;
CREATE TRIGGER IF NOT EXISTS ledger_tree_no_delete BEFORE DELETE ON ledger_tree
BEGIN
	SELECT RAISE(ABORT, 'the ledger is append-only');
END;
`

// querier reading one row.
type rowQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// treeSize is how many leaves the stored tree holds: the N whose stored
// hash count is the number of rows (hashes are stored in index order).
func treeSize(ctx context.Context, q rowQuerier) (int64, error) {
	var max sql.NullInt64
	if err := q.QueryRowContext(ctx, `SELECT MAX(idx) FROM ledger_tree`).Scan(&max); err != nil {
		return 0, err
	}
	if !max.Valid {
		return 0, nil
	}
	count := max.Int64 + 1
	// StoredHashCount(n) is the number of hashes stored for n leaves.
	n := int64(sort.Search(int(count)+1, func(n int) bool { return tlog.StoredHashCount(int64(n)) >= count }))
	if tlog.StoredHashCount(n) != count {
		return 0, fmt.Errorf("the ledger's tree holds %d hashes, which is no whole number of leaves", count)
	}
	return n, nil
}

// treeWriter adds leaves to the stored tree inside a write transaction.
type treeWriter struct {
	ctx     context.Context
	tx      *sql.Tx
	get     *sql.Stmt
	pending map[int64]tlog.Hash // made in this transaction
	unsaved []int64             // of those, the indexes not inserted yet (flush)
}

func newTreeWriter(ctx context.Context, tx *sql.Tx) (*treeWriter, error) {
	get, err := tx.PrepareContext(ctx, `SELECT hash FROM ledger_tree WHERE idx = ?`)
	if err != nil {
		return nil, err
	}
	return &treeWriter{ctx: ctx, tx: tx, get: get, pending: map[int64]tlog.Hash{}}, nil
}

func (w *treeWriter) close() { w.get.Close() }

// flush inserts the hashes made since the last flush, many rows a
// statement: one INSERT per hash cost as much as the rest of an append.
func (w *treeWriter) flush() error {
	const rows = 400 // 800 parameters, under SQLite's limit
	for len(w.unsaved) > 0 {
		n := min(len(w.unsaved), rows)
		var q strings.Builder
		q.WriteString(`INSERT INTO ledger_tree (idx, hash) VALUES `)
		args := make([]any, 0, 2*n)
		for i, idx := range w.unsaved[:n] {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?)")
			h := w.pending[idx]
			args = append(args, idx, h[:])
		}
		if _, err := w.tx.ExecContext(w.ctx, q.String(), args...); err != nil {
			return fmt.Errorf("the ledger's tree: %w", err)
		}
		w.unsaved = w.unsaved[n:]
	}
	return nil
}

// ReadHashes implements tlog.HashReader.
func (w *treeWriter) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, idx := range indexes {
		if h, ok := w.pending[idx]; ok {
			out[i] = h
			continue
		}
		var b []byte
		if err := w.get.QueryRowContext(w.ctx, idx).Scan(&b); err != nil {
			return nil, fmt.Errorf("tree hash %d: %w", idx, err)
		}
		copy(out[i][:], b)
	}
	return out, nil
}

// add stores the hashes for leaf n, the entry whose hash is entryHash.
func (w *treeWriter) add(n int64, entryHash string) error {
	data, err := transparency.LeafData(entryHash)
	if err != nil {
		return fmt.Errorf("ledger entry %d: %w", n+1, err)
	}
	hs, err := tlog.StoredHashes(n, data, w)
	if err != nil {
		return fmt.Errorf("ledger entry %d: tree: %w", n+1, err)
	}
	idx := tlog.StoredHashIndex(0, n)
	for i, h := range hs {
		w.pending[idx+int64(i)] = h
		w.unsaved = append(w.unsaved, idx+int64(i))
	}
	return nil
}

// catchUp adds the leaves of entries the tree does not hold yet, up to
// seq, inside w's transaction: a database written by a release without
// the tree, or a batch that Open's catch-up did not reach.
func (w *treeWriter) catchUp(upTo int64) error {
	n, err := treeSize(w.ctx, w.tx)
	if err != nil || n >= upTo {
		return err
	}
	rows, err := w.tx.QueryContext(w.ctx, `SELECT seq, hash FROM ledger WHERE seq > ? AND seq <= ? ORDER BY seq`, n, upTo)
	if err != nil {
		return err
	}
	var hashes []string
	for rows.Next() {
		var seq int64
		var h string
		if err := rows.Scan(&seq, &h); err != nil {
			rows.Close()
			return err
		}
		if seq != n+int64(len(hashes))+1 {
			rows.Close()
			return fmt.Errorf("ledger entry %d is missing", n+int64(len(hashes))+1)
		}
		hashes = append(hashes, h)
	}
	rows.Close()
	for i, h := range hashes {
		if err := w.add(n+int64(i), h); err != nil {
			return err
		}
	}
	return w.flush()
}

// syncTree brings the stored tree up to the ledger's length, in
// transactions of at most batch leaves: run at Open, so that a database
// made before the tree existed gets it in place (its entries unchanged).
func syncTree(ctx context.Context, db *sql.DB, batch int64) error {
	for {
		var count int64 // seq runs from 1 without gaps: MAX is the count, from the key
		if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM ledger`).Scan(&count); err != nil {
			return err
		}
		n, err := treeSize(ctx, db)
		if err != nil {
			return err
		}
		if n >= count {
			return nil
		}
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		w, err := newTreeWriter(ctx, tx)
		if err == nil {
			err = w.catchUp(min(count, n+batch))
			w.close()
		}
		if err != nil {
			tx.Rollback()
			return fmt.Errorf("the ledger's tree: %w", err)
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
}

// TreeHead is the ledger's Merkle tree now: its size (entries) and root.
func (s *Store) TreeHead(ctx context.Context) (int64, tlog.Hash, error) {
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return 0, tlog.Hash{}, err
	}
	defer tx.Rollback()
	n, err := treeSize(ctx, tx)
	if err != nil {
		return 0, tlog.Hash{}, err
	}
	root, err := tlog.TreeHash(n, &readHashes{ctx: ctx, q: tx})
	return n, root, err
}

// HashReader reads the stored tree (for proofs). Reads see the tree as it
// is at each call: take the size first (TreeHead) and ask about that size.
func (s *Store) HashReader(ctx context.Context) tlog.HashReader {
	return &readHashes{ctx: ctx, q: s.read}
}

type readHashes struct {
	ctx context.Context
	q   rowQuerier
}

func (r *readHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, idx := range indexes {
		var b []byte
		err := r.q.QueryRowContext(r.ctx, `SELECT hash FROM ledger_tree WHERE idx = ?`, idx).Scan(&b)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("tree hash %d: not stored", idx)
		}
		if err != nil {
			return nil, err
		}
		copy(out[i][:], b)
	}
	return out, nil
}

// CheckTree checks every hash the database keeps for the tree of the
// given leaves (the leaf hashes of the ledger's first len(leaves) entries,
// in order) against the hashes computed from them: a changed hash off the
// path to the root is found too, which comparing roots alone would miss. It
// reads the table once, in index order; the error names the first hash
// that differs or is missing.
func (s *Store) CheckTree(ctx context.Context, leaves []tlog.Hash) error {
	want := tlog.StoredHashCount(int64(len(leaves)))
	rows, err := s.read.QueryContext(ctx, `SELECT idx, hash FROM ledger_tree WHERE idx < ? ORDER BY idx`, want)
	if err != nil {
		return fmt.Errorf("read the ledger's tree: %w", err)
	}
	defer rows.Close()
	tree := transparency.NewStoredTree()
	var next []tlog.Hash // computed hashes not compared yet, from index at
	at := int64(0)
	for rows.Next() {
		var idx int64
		var b []byte
		if err := rows.Scan(&idx, &b); err != nil {
			return fmt.Errorf("read the ledger's tree: %w", err)
		}
		for len(next) == 0 {
			hs, err := tree.Append(leaves[tree.Size()])
			if err != nil {
				return err
			}
			next = hs
		}
		if idx != at {
			return fmt.Errorf("the ledger's tree lacks hash %d (of %d leaves)", at, len(leaves))
		}
		if len(b) != len(tlog.Hash{}) || tlog.Hash(b) != next[0] {
			return fmt.Errorf("the ledger's tree hash %d is not the one its entries give (of %d leaves)", idx, len(leaves))
		}
		next, at = next[1:], at+1
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read the ledger's tree: %w", err)
	}
	if at != want {
		return fmt.Errorf("the ledger's tree lacks hash %d (of %d leaves)", at, len(leaves))
	}
	return nil
}

// checkpointsSchema keeps the signed checkpoints Accord issued: the
// latest is quoted, published and served; all of them let a member check
// that the log only grew.
const checkpointsSchema = `
CREATE TABLE IF NOT EXISTS checkpoints (
	size      INTEGER PRIMARY KEY, -- tree size it signs
	signed    TEXT NOT NULL,       -- the signed note, as published
	signed_at INTEGER NOT NULL
);
`

// Checkpoint is a signed checkpoint of the ledger's tree.
type Checkpoint struct {
	Size     int64
	Signed   string // the C2SP tlog-checkpoint text with its signature lines
	SignedAt time.Time
}

// SaveCheckpoint records a signed checkpoint, once per tree size: a second
// one of the same size is not recorded and false is reported.
func (s *Store) SaveCheckpoint(ctx context.Context, c Checkpoint) (bool, error) {
	res, err := s.write.ExecContext(ctx, `INSERT INTO checkpoints (size, signed, signed_at) VALUES (?, ?, ?) ON CONFLICT (size) DO NOTHING`,
		c.Size, c.Signed, c.SignedAt.UnixNano())
	if err != nil {
		return false, fmt.Errorf("save checkpoint: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// LatestCheckpoint is the checkpoint of the largest tree signed, or nil.
func (s *Store) LatestCheckpoint(ctx context.Context) (*Checkpoint, error) {
	cs, err := s.signedCheckpoints(ctx, `ORDER BY size DESC LIMIT 1`)
	if err != nil || len(cs) == 0 {
		return nil, err
	}
	return &cs[0], nil
}

// Checkpoints lists the checkpoints signed, smallest tree first.
func (s *Store) Checkpoints(ctx context.Context) ([]Checkpoint, error) {
	return s.signedCheckpoints(ctx, `ORDER BY size`)
}

func (s *Store) signedCheckpoints(ctx context.Context, tail string) ([]Checkpoint, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT size, signed, signed_at FROM checkpoints `+tail)
	if err != nil {
		return nil, fmt.Errorf("checkpoints: %w", err)
	}
	defer rows.Close()
	var out []Checkpoint
	for rows.Next() {
		var c Checkpoint
		var at int64
		if err := rows.Scan(&c.Size, &c.Signed, &at); err != nil {
			return nil, fmt.Errorf("checkpoints: %w", err)
		}
		c.SignedAt = time.Unix(0, at).UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}
