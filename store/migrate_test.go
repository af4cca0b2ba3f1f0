package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/accord-coop/accord/ledger"
)

// oldRelease is a database written by the store of release 9a817a8, the
// last without schema versions (made by testdata/mkolddb in a checkout of
// that commit): 12 deliveries (10 done, 1 dead, 1 queued), 10 events and
// effects, 18 ledger entries (a policy version, 10 facts, 2 proposals with
// 2 votes each, one outcome), 1 policy version, 2 proposals (1 passed, 1
// open).
const oldRelease = "testdata/release-9a817a8.db"

// oldHead is the hash of the last entry of oldRelease's ledger.
const oldHead = "d1b0c204ea044f985f211e9ffa1e247c4003a11b5a13bddc5ad707d33d28dab6"

// copyDB copies a test database into a temporary directory.
func copyDB(t *testing.T, from string) string {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "accord.db")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func userVersion(t *testing.T, path string) int {
	t.Helper()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var v int
	if err := raw.QueryRow(`PRAGMA user_version`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestOpenUpgradesTheLastUnversionedRelease: a database made by the
// release before schema versions is recognised (version 0, its tables
// there) and brought up in place: everything it held is there, the ledger
// verifies with the same head, the Merkle tree is built, new writes work.
func TestOpenUpgradesTheLastUnversionedRelease(t *testing.T) {
	path := copyDB(t, oldRelease)
	if v := userVersion(t, path); v != 0 {
		t.Fatalf("test data has schema version %d, want 0 (unversioned)", v)
	}
	ctx := context.Background()
	st, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if from, to := st.Migrated(); from != 0 || to != SchemaVersion() {
		t.Errorf("Migrated() = %d, %d; want 0, %d", from, to, SchemaVersion())
	}
	if v := userVersion(t, path); v != SchemaVersion() {
		t.Errorf("schema version %d after Open, want %d", v, SchemaVersion())
	}

	n, head, err := st.VerifyLedger(ctx)
	if err != nil || n != 18 || head != oldHead {
		t.Fatalf("VerifyLedger = %d, %s, %v; want 18, %s", n, head, err, oldHead)
	}
	size, root, err := st.TreeHead(ctx)
	mem, _ := memTreeOf(t, st)
	want, _ := tlog.TreeHash(18, mem)
	if err != nil || size != 18 || root != want {
		t.Fatalf("TreeHead = %d, %v, %v; want 18, %v", size, root, err, want)
	}

	counts, err := st.CountDeliveries(ctx)
	if err != nil || counts[StateDone] != 10 || counts[StateDead] != 1 || counts[StateQueued] != 1 {
		t.Errorf("deliveries %v %v, want 10 done, 1 dead, 1 queued", counts, err)
	}
	evs, err := st.Events(ctx)
	if err != nil || len(evs) != 10 || evs[0].Event.Repo.FullName() != "outlandish/website" {
		t.Errorf("events: %d %v", len(evs), err)
	}
	facts, err := st.Facts(ctx)
	if err != nil || len(facts) != 10 || facts[0].Who.Identity != "gitea:alice" {
		t.Errorf("facts: %d %v", len(facts), err)
	}
	pvs, err := st.PolicyVersions(ctx, 10)
	if err != nil || len(pvs) != 1 || !pvs[0].Valid || pvs[0].Refused || len(pvs[0].Files["coops.yml"]) == 0 {
		t.Errorf("policy versions %+v %v, want the one, valid and accepted (the column's default), with its files", pvs, err)
	}
	ps, err := st.ListProposals(ctx, 10)
	if err != nil || len(ps) != 2 {
		t.Fatalf("proposals %v %v", ps, err)
	}
	states := map[string]int64{}
	for _, p := range ps {
		states[p.State] = p.ID
		if p.Kind != "" || p.Note != "" {
			t.Errorf("proposal %d: kind %q note %q, want the new columns' defaults", p.ID, p.Kind, p.Note)
		}
	}
	open, ok := states[ProposalOpen]
	if _, passed := states["passed"]; !ok || !passed {
		t.Fatalf("proposal states %v, want one open, one passed", states)
	}
	if vs, err := st.Votes(ctx, open); err != nil || len(vs) != 2 {
		t.Errorf("votes of the open proposal: %v %v", vs, err)
	}
	if fx, err := st.ListEffects(ctx, "", 50); err != nil || len(fx) != 10 {
		t.Errorf("effects: %d %v", len(fx), err)
	}

	// New writes: a delivery, a vote (with its entry), entries; the tree
	// follows.
	if ok, err := st.InsertDelivery(ctx, delivery("new")); err != nil || !ok {
		t.Fatalf("insert delivery: %v %v", ok, err)
	}
	v := VoteRow{CommentID: 5000, Member: "carol", Identity: "gitea:carol", Choice: "no", At: time.Now()}
	if ok, err := st.PutVote(ctx, time.Now(), open, v, []NewEntry{{Kind: ledger.KindVote, Key: "vote:new", Body: map[string]string{"choice": "no"}}}, nil); err != nil || !ok {
		t.Fatalf("put vote: %v %v", ok, err)
	}
	appendN(t, st, 0, 3)
	if n, _, err := st.VerifyLedger(ctx); err != nil || n != 22 {
		t.Errorf("VerifyLedger after writes = %d, %v; want 22", n, err)
	}
	if size, _, _ := st.TreeHead(ctx); size != 22 {
		t.Errorf("tree size %d after writes, want 22", size)
	}
	// The append-only triggers hold on the upgraded database.
	for _, q := range []string{`UPDATE ledger SET body = '{}' WHERE seq = 1`, `DELETE FROM ledger WHERE seq = 1`,
		`UPDATE ledger_tree SET hash = x'00' WHERE idx = 0`, `DELETE FROM ledger_tree WHERE idx = 0`} {
		if _, err := st.write.Exec(q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v, want refused as append-only", q, err)
		}
	}
}

// TestOpenRefusesANewerSchema: a database whose version is higher than
// this binary knows is refused with one line saying to upgrade, and its
// file is not changed.
func TestOpenRefusesANewerSchema(t *testing.T) {
	for _, mode := range []string{"WAL", "DELETE"} {
		t.Run(mode, func(t *testing.T) { testRefusesNewer(t, mode) })
	}
}

// testRefusesNewer: in WAL mode nothing may appear beside the file (-wal,
// -shm); in rollback mode setting the journal mode would rewrite the
// header.
func testRefusesNewer(t *testing.T, journal string) {
	path := copyDB(t, oldRelease)
	st, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	newer := SchemaVersion() + 1
	if _, err := raw.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, newer)); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`PRAGMA journal_mode = ` + journal); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	_, err = Open(path, Options{})
	var ne *NewerSchemaError
	if !errors.As(err, &ne) {
		t.Fatalf("Open: %v, want a NewerSchemaError", err)
	}
	want := fmt.Sprintf("this database was written by a newer accord (schema %d, this binary knows %d); upgrade accord", newer, SchemaVersion())
	if msg := err.Error(); !strings.HasSuffix(msg, want) || strings.Contains(msg, "\n") {
		t.Errorf("error %q, want one line ending %q", msg, want)
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("the database file changed")
	}
	for _, ext := range []string{"-wal", "-shm", "-journal"} {
		if _, err := os.Stat(path + ext); err == nil {
			t.Errorf("%s%s was created", filepath.Base(path), ext)
		}
	}
}

// TestMigrationsStepByStep: a new database goes through every migration
// and ends at SchemaVersion; opening it again applies none. An unversioned
// database that has every migration up to legacyVersion already (made by
// the release just before versions) takes them again without harm, and the
// later ones once.
func TestMigrationsStepByStep(t *testing.T) {
	path := filepath.Join(t.TempDir(), "accord.db")
	st, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if from, to := st.Migrated(); from != 0 || to != len(migrations) {
		t.Errorf("new database: Migrated() = %d, %d", from, to)
	}
	appendN(t, st, 0, 5)
	st.Close()
	st, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if from, to := st.Migrated(); from != to {
		t.Errorf("second Open: Migrated() = %d, %d, want nothing to do", from, to)
	}
	st.Close()

	// As the release before versions left a database: the schema up to
	// legacyVersion, no version.
	if legacyVersion > len(migrations) {
		t.Fatalf("legacyVersion %d is past the last migration", legacyVersion)
	}
	path = filepath.Join(t.TempDir(), "accord.db")
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, m := range migrations[:legacyVersion] {
		tx, err := raw.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(m.sql); m.sql != "" && err != nil {
			t.Fatal(err)
		}
		if m.fn != nil {
			if err := m.fn(ctx, tx); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	st, err = Open(path, Options{})
	if err != nil {
		t.Fatalf("an unversioned database with the whole legacy schema: %v", err)
	}
	defer st.Close()
	if from, to := st.Migrated(); from != 0 || to != len(migrations) {
		t.Errorf("Migrated() = %d, %d", from, to)
	}
	appendN(t, st, 0, 5)
	if n, _, err := st.VerifyLedger(ctx); err != nil || n != 5 {
		t.Errorf("VerifyLedger = %d, %v", n, err)
	}
}
