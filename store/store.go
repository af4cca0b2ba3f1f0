// Package store keeps Accord's state in SQLite (modernc.org/sqlite, pure Go):
// the inbox of webhook deliveries and the normalized events made from them.
// It is the only package that writes SQL.
//
// Writes go through one connection, so the process never competes with itself
// for SQLite's write lock; reads use a pool. The database runs in WAL mode
// with synchronous=NORMAL by default: a committed transaction survives the
// process being killed (the WAL is written before the commit returns), though
// not a power cut of the machine; Options.Synchronous "FULL" buys that at the
// cost of an fsync per commit.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// Options tune how the database is opened.
type Options struct {
	// Synchronous is SQLite's synchronous pragma: "NORMAL" (default) or "FULL".
	Synchronous string
}

// Store is an open Accord database.
type Store struct {
	write *sql.DB // one connection: every write goes through it
	read  *sql.DB // a pool for reads
	batch *batcher
	path  string

	checkpoints *checkpointer
}

const schema = `
CREATE TABLE IF NOT EXISTS deliveries (
	id          INTEGER PRIMARY KEY,
	forge       TEXT NOT NULL,
	delivery_id TEXT NOT NULL,
	event       TEXT NOT NULL,
	received_at INTEGER NOT NULL,
	state       TEXT NOT NULL,
	attempts    INTEGER NOT NULL DEFAULT 0,
	next_at     INTEGER NOT NULL,
	last_error  TEXT NOT NULL DEFAULT '',
	done_at     INTEGER,
	UNIQUE (forge, delivery_id)
);
-- The payload lives apart from the inbox row: a state change then rewrites a
-- row of a few dozen bytes, not the body's overflow pages.
CREATE TABLE IF NOT EXISTS delivery_payloads (
	delivery INTEGER PRIMARY KEY REFERENCES deliveries (id),
	headers  TEXT NOT NULL,
	encoding TEXT NOT NULL, -- of body: 's2' (see payload.go) or '' for as received
	body     BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS deliveries_queue ON deliveries (next_at, id) WHERE state = 'queued';
CREATE INDEX IF NOT EXISTS deliveries_state ON deliveries (state, id);
-- The outbox: effects on forges (comments, labels, statuses), stored before
-- they are carried out, each once by its idempotency key.
CREATE TABLE IF NOT EXISTS outbox (
	id         INTEGER PRIMARY KEY,
	key        TEXT NOT NULL UNIQUE,
	forge      TEXT NOT NULL,
	op         TEXT NOT NULL,
	payload    TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	state      TEXT NOT NULL,
	attempts   INTEGER NOT NULL DEFAULT 0,
	next_at    INTEGER NOT NULL,
	last_error TEXT NOT NULL DEFAULT '',
	done_at    INTEGER
);
CREATE INDEX IF NOT EXISTS outbox_queue ON outbox (next_at, id) WHERE state = 'queued';
CREATE INDEX IF NOT EXISTS outbox_state ON outbox (state, id);
-- Every version of the policy files Accord has read, good or not.
CREATE TABLE IF NOT EXISTS policy_versions (
	id        INTEGER PRIMARY KEY,
	version   TEXT NOT NULL,  -- commit SHA, or sha256:… of the content for a directory
	source    TEXT NOT NULL,  -- "dir:PATH" or "FORGE:OWNER/REPO@REF:PATH"
	content   TEXT NOT NULL,  -- sha256:… of the files, whatever the version
	valid     INTEGER NOT NULL,
	errors    TEXT NOT NULL,  -- the validation errors, a line each
	files     TEXT NOT NULL,  -- JSON: file name → content
	loaded_at INTEGER NOT NULL,
	accepted  INTEGER NOT NULL DEFAULT 1, -- valid and put in force (a repo's change needs a passed vote)
	UNIQUE (source, version)
);
-- Contents of the policy files that a passed vote approved: a version read
-- from the governance repo takes effect only with one of these (or as the
-- first version).
CREATE TABLE IF NOT EXISTS policy_approvals (
	proposal    INTEGER PRIMARY KEY,
	content     TEXT NOT NULL,  -- sha256:… of the files at the pull request's head
	head_sha    TEXT NOT NULL,
	approved_at INTEGER NOT NULL,
	used_by     TEXT NOT NULL DEFAULT '' -- the version it put in force
);
-- Where each repository's backfill is, so that it resumes there.
CREATE TABLE IF NOT EXISTS backfill (
	forge TEXT NOT NULL,
	repo  TEXT NOT NULL,
	phase TEXT NOT NULL, -- pulls, issues, releases, done
	page  INTEGER NOT NULL,
	since INTEGER NOT NULL,
	facts INTEGER NOT NULL,
	PRIMARY KEY (forge, repo)
);
CREATE TABLE IF NOT EXISTS events (
	delivery INTEGER PRIMARY KEY REFERENCES deliveries (id),
	forge    TEXT NOT NULL,
	kind     TEXT NOT NULL,
	action   TEXT NOT NULL,
	repo     TEXT NOT NULL,
	actor    TEXT NOT NULL,
	at       INTEGER NOT NULL,
	data     TEXT NOT NULL
);
-- What catching up has scanned, per forge and repository ('' for a
-- forge-wide deliveries API): where the next scan starts and the time of
-- the last event seen.
CREATE TABLE IF NOT EXISTS catchup (
	forge      TEXT NOT NULL,
	repo       TEXT NOT NULL,
	since      INTEGER NOT NULL,
	last_event INTEGER NOT NULL,
	PRIMARY KEY (forge, repo)
);
CREATE INDEX IF NOT EXISTS events_repo ON events (forge, repo, at);
`

// Open opens (creating if needed) the SQLite database at path and brings its
// schema up to date.
func Open(path string, opt Options) (*Store, error) {
	sync := strings.ToUpper(opt.Synchronous)
	if sync == "" {
		sync = "NORMAL"
	}
	if sync != "NORMAL" && sync != "FULL" {
		return nil, fmt.Errorf("store: synchronous %q: use NORMAL or FULL", opt.Synchronous)
	}
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous("+sync+")")
	q.Add("_pragma", "busy_timeout(10000)")
	// Checkpoints run in the background (see checkpointer), not in the
	// commit that happens to cross the WAL's size limit: that commit is a
	// batch of webhooks waiting for their 202.
	q.Add("_pragma", "wal_autocheckpoint(0)")
	q.Add("_pragma", "journal_size_limit(67108864)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	dsn := "file:" + path + "?" + q.Encode()

	write, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)
	if _, err := write.Exec(schema + ledgerSchema + treeSchema + checkpointsSchema + proposalsSchema); err != nil {
		write.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if err := addColumns(write, "policy_versions", []string{"accepted INTEGER NOT NULL DEFAULT 1"}); err != nil {
		write.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if err := addColumns(write, "proposals", proposalColumnsAdded); err != nil {
		write.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	// A ledger written before the Merkle tree existed gets it now, in
	// place: its entries do not change.
	if err := syncTree(context.Background(), write, 10000); err != nil {
		write.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	read, err := sql.Open("sqlite", dsn)
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	read.SetMaxOpenConns(4)
	s := &Store{write: write, read: read, path: path}
	s.batch = newBatcher(s)
	s.checkpoints = newCheckpointer(read)
	return s, nil
}

// addColumns adds to table each column (a definition "name TYPE …") that
// a database made by an earlier release lacks.
func addColumns(db *sql.DB, table string, defs []string) error {
	rows, err := db.Query(`SELECT name FROM pragma_table_info(?)`, table)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return err
		}
		have[name] = true
	}
	rows.Close()
	for _, def := range defs {
		name, _, _ := strings.Cut(def, " ")
		if have[name] {
			continue
		}
		if _, err := db.Exec(`ALTER TABLE ` + table + ` ADD COLUMN ` + def); err != nil {
			return fmt.Errorf("add %s.%s: %w", table, name, err)
		}
	}
	return nil
}

// Close stops the group committer and the checkpointer, and closes the
// database.
func (s *Store) Close() error {
	s.batch.stop()
	s.checkpoints.stop()
	return errors.Join(s.read.Close(), s.write.Close())
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	return s.read.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}
