package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

// The schema is made by numbered migrations, applied in order, each in one
// transaction with the new version: a database's version is SQLite's
// user_version, the number of the last migration it has. Open applies the
// ones a database lacks and refuses a database whose version is higher
// than this binary knows (written by a newer accord), changing nothing.
//
// Releases before schema versions made their tables with CREATE TABLE IF
// NOT EXISTS and added later columns in place; their databases have version
// 0 and some prefix of migrations 1 to legacyVersion already there. Those
// migrations are therefore written to be idempotent (IF NOT EXISTS, a
// column added only when missing), so an unversioned database is simply
// brought up through all of them. Migrations after legacyVersion run on a
// versioned database only, exactly once, and need not be.
//
// A migration is never changed once released: a change of the schema is a
// new migration at the end.
type migration struct {
	name string
	sql  string                                      // run first, if any
	fn   func(ctx context.Context, tx *sql.Tx) error // then this, if any
}

// migrations are the schema, in order: migrations[i] makes version i+1.
var migrations = []migration{
	{ // 1
		name: "the inbox, events, the outbox, policy versions, backfill cursors, the append-only ledger, proposals and votes (release 9a817a8)",
		sql:  schema + ledgerSchema + proposalsSchema,
	},
	{ // 2
		name: "proposals: kind and note",
		fn: addColumns("proposals",
			"kind TEXT NOT NULL DEFAULT ''", // '' a question; 'policy' a change of the policy files
			"note TEXT NOT NULL DEFAULT ''", // why a due close waits (the forge cannot be read, …)
		),
	},
	{ // 3
		name: "policy versions accepted by a passed vote; policy_approvals",
		sql:  policyApprovalsSchema,
		fn:   addColumns("policy_versions", "accepted INTEGER NOT NULL DEFAULT 1"), // valid and put in force (a repo's change needs a passed vote)
	},
	{ // 4
		name: "the ledger's Merkle tree, append-only (filled at Open)",
		sql:  treeSchema,
	},
	{ // 5
		name: "signed checkpoints",
		sql:  checkpointsSchema,
	},
	// Versioned databases only from here on.
	{ // 6
		name: "deliveries.pruned_at: when the payload was pruned (retention.payloads)",
		sql: `ALTER TABLE deliveries ADD COLUMN pruned_at INTEGER;
CREATE INDEX deliveries_done ON deliveries (done_at) WHERE pruned_at IS NULL AND state IN ('done', 'ignored', 'dead');`,
	},
	{ // 7
		name: "catch-up cursors, and events by repository (catching up after downtime)",
		// What catching up has scanned, per forge and repository ('' for a
		// forge-wide deliveries API): where the next scan starts and the
		// time of the last event seen.
		sql: `CREATE TABLE catchup (
	forge      TEXT NOT NULL,
	repo       TEXT NOT NULL,
	since      INTEGER NOT NULL,
	last_event INTEGER NOT NULL,
	PRIMARY KEY (forge, repo)
);
CREATE INDEX events_repo ON events (forge, repo, at);`,
	},
	{ // 8
		name: "backfill: when a run began and as of when the last finished one is complete (incremental backfill)",
		sql: `ALTER TABLE backfill ADD COLUMN run_started INTEGER NOT NULL DEFAULT 0;
ALTER TABLE backfill ADD COLUMN complete_as_of INTEGER NOT NULL DEFAULT 0;`,
	},
}

// legacyVersion is the schema of the last release without versions
// (before migrations existed): an unversioned database has at most this.
const legacyVersion = 5

// SchemaVersion is the version of the schema this binary makes.
func SchemaVersion() int { return len(migrations) }

// NewerSchemaError is Open's error for a database written by a newer accord.
type NewerSchemaError struct {
	Path        string
	Have, Knows int
}

// Error is the one line an operator sees.
func (e *NewerSchemaError) Error() string {
	return fmt.Sprintf("%s: this database was written by a newer accord (schema %d, this binary knows %d); upgrade accord", e.Path, e.Have, e.Knows)
}

// appendOnlyTriggers are put back at every Open if they are missing (a
// trigger dropped by hand); `accord ledger verify` finds what was changed
// meanwhile.
const appendOnlyTriggers = `
CREATE TRIGGER IF NOT EXISTS ledger_no_update BEFORE UPDATE ON ledger
BEGIN
	SELECT RAISE(ABORT, 'the ledger is append-only');
END;
CREATE TRIGGER IF NOT EXISTS ledger_no_delete BEFORE DELETE ON ledger
BEGIN
	SELECT RAISE(ABORT, 'the ledger is append-only');
END;
CREATE TRIGGER IF NOT EXISTS ledger_tree_no_update BEFORE UPDATE ON ledger_tree
BEGIN
	SELECT RAISE(ABORT, 'the ledger''s tree is append-only');
END;
CREATE TRIGGER IF NOT EXISTS ledger_tree_no_delete BEFORE DELETE ON ledger_tree
BEGIN
	SELECT RAISE(ABORT, 'the ledger''s tree is append-only');
END;
`

// peekVersion reads the schema version of the database at path from its
// file header (user_version: 4 bytes, big-endian, at offset 60), without
// SQLite, so that nothing is created or changed beside a database that is
// refused: 0 for a file that does not exist yet or is not a database (which
// SQLite then reports). A version newer only in the WAL (a newer accord
// running now) is caught again inside the first migration's transaction.
func peekVersion(path string) (int, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var h [100]byte
	if _, err := io.ReadFull(f, h[:]); err != nil || string(h[:16]) != "SQLite format 3\x00" {
		return 0, nil
	}
	return int(int32(binary.BigEndian.Uint32(h[60:64]))), nil
}

// migrate brings the database up to SchemaVersion, one transaction per
// migration; it returns the version the database had. Two processes
// opening the same database at once are fine: each migration's transaction
// takes the write lock first and reads the version again inside it.
func migrate(ctx context.Context, db *sql.DB, path string) (from int, err error) {
	// Up to date (the usual case, and every command run beside serve):
	// no write lock taken.
	var v int
	if err := db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); err != nil {
		return 0, err
	}
	if v == len(migrations) {
		return v, nil
	}
	from = -1
	for {
		done, v, err := migrateOne(ctx, db, path)
		if from < 0 {
			from = v
		}
		if err != nil || done {
			return from, err
		}
	}
}

// migrateOne applies the next migration the database lacks, if any.
func migrateOne(ctx context.Context, db *sql.DB, path string) (done bool, version int, err error) {
	tx, err := db.BeginTx(ctx, nil) // BEGIN IMMEDIATE (the DSN's _txlock)
	if err != nil {
		return false, 0, err
	}
	defer tx.Rollback()
	if err := tx.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil {
		return false, 0, err
	}
	if version > len(migrations) {
		return false, version, &NewerSchemaError{Path: path, Have: version, Knows: len(migrations)}
	}
	if version == len(migrations) {
		return true, version, nil
	}
	m := migrations[version]
	if m.sql != "" {
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return false, version, fmt.Errorf("schema migration %d (%s): %w", version+1, m.name, err)
		}
	}
	if m.fn != nil {
		if err := m.fn(ctx, tx); err != nil {
			return false, version, fmt.Errorf("schema migration %d (%s): %w", version+1, m.name, err)
		}
	}
	// PRAGMA takes no parameters; the number is ours.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, version+1)); err != nil {
		return false, version, err
	}
	return false, version, tx.Commit()
}

// addColumns is a migration adding to table each column (a definition
// "name TYPE …") it lacks: a database from a release without schema
// versions may have it already.
func addColumns(table string, defs ...string) func(context.Context, *sql.Tx) error {
	return func(ctx context.Context, tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT name FROM pragma_table_info(?)`, table)
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
		if err := rows.Err(); err != nil {
			return err
		}
		for _, def := range defs {
			name, _, _ := strings.Cut(def, " ")
			if have[name] {
				continue
			}
			if _, err := tx.ExecContext(ctx, `ALTER TABLE `+table+` ADD COLUMN `+def); err != nil {
				return fmt.Errorf("add %s.%s: %w", table, name, err)
			}
		}
		return nil
	}
}
