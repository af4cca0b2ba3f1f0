package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/accord-coop/accord/ledger"
	"github.com/accord-coop/accord/store"
)

// ledgerFixture makes a database with n facts in its ledger and a config
// naming it; it returns the config's path and the database's.
func ledgerFixture(t *testing.T, dir string, n int) (cfg, db string) {
	t.Helper()
	db = filepath.Join(dir, "ledger.db")
	st, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var es []store.NewEntry
	for i := 1; i <= n; i++ {
		f := ledger.Fact{Kind: ledger.FactIssueOpened, Forge: "github", Repo: "cotech/website", Number: int64(i),
			Who: ledger.Person{Identity: "github:alice"}, At: time.Date(2026, 10, 1, 9, 0, i, 0, time.UTC),
			Delivery: fmt.Sprintf("github/d-%d", i)}
		f.ID = ledger.FactID(f.Kind, f.Forge, f.Repo, fmt.Sprint(i))
		es = append(es, store.NewEntry{Kind: ledger.KindFact, Key: f.ID, Body: f})
	}
	if k, err := st.AppendEntries(context.Background(), time.Now(), es); err != nil || k != n {
		t.Fatalf("append: %d %v", k, err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	cfg = filepath.Join(dir, "accord.yml")
	if err := os.WriteFile(cfg, []byte("database: "+db+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg, db
}

// headOf reads the head from verify's line.
func headOf(t *testing.T, out string) string {
	t.Helper()
	_, head, ok := strings.Cut(strings.TrimSpace(out), "; head ")
	head, _, _ = strings.Cut(head, ";")
	if !ok || len(head) != 64 {
		t.Fatalf("no head in %q", out)
	}
	return head
}

func TestLedgerVerifyAndExport(t *testing.T) {
	dir := t.TempDir()
	cfg, db := ledgerFixture(t, dir, 25)

	out, errOut, code := accord(t, dir, nil, "ledger", "verify", "--config", cfg)
	if code != 0 || errOut != "" || !strings.HasPrefix(out, "ledger: 25 entries, the chain holds; head ") {
		t.Fatalf("verify: %d %q %q", code, out, errOut)
	}
	head := headOf(t, out)

	export, errOut, code := accord(t, dir, nil, "ledger", "export", "--format", "jsonl", "--config", cfg)
	if code != 0 || errOut != "" || strings.Count(export, "\n") != 25 {
		t.Fatalf("export: %d %q\n%s", code, errOut, export)
	}
	if def, _, _ := accord(t, dir, nil, "ledger", "export", "--config", cfg); def != export {
		t.Errorf("export without --format differs from --format jsonl")
	}
	file := filepath.Join(dir, "ledger.jsonl")
	if err := os.WriteFile(file, []byte(export), 0o600); err != nil {
		t.Fatal(err)
	}
	// Verifying the export needs no database and no config.
	other := t.TempDir()
	out, errOut, code = accord(t, other, nil, "ledger", "verify", "--file", file)
	if code != 0 || errOut != "" || headOf(t, out) != head || !strings.HasPrefix(out, "ledger: 25 entries, the chain holds") {
		t.Fatalf("verify --file: %d %q %q (head %s)", code, out, errOut, head)
	}
	if entries, _ := filepath.Glob(filepath.Join(other, "*")); len(entries) != 0 {
		t.Errorf("verify --file made files: %v", entries)
	}

	// One byte of entry 7's body changed in the export.
	lines := strings.SplitAfter(export, "\n")
	i := strings.Index(lines[6], "cotech")
	lines[6] = lines[6][:i] + "C" + lines[6][i+1:]
	tampered := filepath.Join(dir, "tampered.jsonl")
	if err := os.WriteFile(tampered, []byte(strings.Join(lines, "")), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = accord(t, dir, nil, "ledger", "verify", "--file", tampered)
	if code != 1 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "ledger entry 7:") {
		t.Fatalf("verify tampered export: %d %q %q, want exit 1 naming entry 7", code, out, errOut)
	}

	// The database, tampered with behind Accord's back.
	raw, err := sql.Open("sqlite", "file:"+db+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`UPDATE ledger SET key = 'x' WHERE seq = 12`); err == nil {
		t.Fatal("the ledger took an UPDATE")
	}
	if _, err := raw.Exec(`DROP TRIGGER ledger_no_update; UPDATE ledger SET body = replace(body, 'alice', 'alicf') WHERE seq = 12`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	out, errOut, code = accord(t, dir, nil, "ledger", "verify", "--config", cfg)
	if code != 1 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "ledger entry 12:") ||
		!strings.Contains(errOut, "the 11 entries before it hold") {
		t.Fatalf("verify tampered database: %d %q %q, want exit 1 naming entry 12", code, out, errOut)
	}
	// The export of a tampered ledger is what the database holds, and fails
	// the same way.
	export, _, code = accord(t, dir, nil, "ledger", "export", "--config", cfg)
	if err := os.WriteFile(file, []byte(export), 0o600); code != 0 || err != nil {
		t.Fatal(code, err)
	}
	if _, errOut, code := accord(t, dir, nil, "ledger", "verify", "--file", file); code != 1 || !strings.Contains(errOut, "ledger entry 12:") {
		t.Errorf("verify export of the tampered database: %d %q", code, errOut)
	}
}

func TestLedgerEmptyAndMistakes(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "empty.db")
	st, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	env := []string{"ACCORD_DATABASE=" + db}
	if out, errOut, code := accord(t, dir, env, "ledger", "verify"); code != 0 || out != "ledger: 0 entries; nothing to check\n" || errOut != "" {
		t.Errorf("empty ledger: %d %q %q", code, out, errOut)
	}
	if out, _, code := accord(t, dir, env, "ledger", "export"); code != 0 || out != "" {
		t.Errorf("empty export: %d %q", code, out)
	}
	out, errOut, code := accord(t, dir, nil, "ledger", "--help")
	if code != 0 || !strings.HasPrefix(out, "Usage: accord ledger") || !strings.Contains(out, "-file") || errOut != "" {
		t.Errorf("ledger --help: %d %q %q", code, out, errOut)
	}

	garbage := filepath.Join(dir, "garbage.jsonl")
	os.WriteFile(garbage, []byte("not json\n"), 0o600)
	tests := []struct {
		args []string
		env  []string
		code int
		want string
	}{
		{[]string{"ledger"}, env, 2, "give a subcommand"},
		{[]string{"ledger", "rewrite"}, env, 2, `unknown subcommand "rewrite"`},
		{[]string{"ledger", "verify", "extra"}, env, 2, `unexpected argument "extra"`},
		{[]string{"ledger", "export", "--format", "csv"}, env, 2, `--format "csv": use jsonl`},
		{[]string{"ledger", "export", "--file", "x.jsonl"}, env, 2, "--file is not a flag of ledger export"},
		{[]string{"ledger", "verify", "--format", "jsonl"}, env, 2, "--format is not a flag of ledger verify"},
		{[]string{"ledger", "verify", "--file", filepath.Join(dir, "missing.jsonl")}, nil, 1, "missing.jsonl"},
		{[]string{"ledger", "verify", "--file", garbage}, nil, 1, "line 1 is not a ledger entry"},
		{[]string{"ledger", "verify"}, []string{"ACCORD_DATABASE=" + filepath.Join(dir, "nope.db")}, 1, "no database at"},
	}
	for _, tt := range tests {
		out, errOut, code := accord(t, dir, tt.env, tt.args...)
		if code != tt.code || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, tt.want) || out != "" {
			t.Errorf("accord %s: exit %d, stdout %q, stderr %q; want exit %d and one line with %q",
				strings.Join(tt.args, " "), code, out, errOut, tt.code, tt.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "nope.db")); err == nil {
		t.Error("verify created a database")
	}
}

// TestLedgerExportIsVerbatim: the export holds each body byte for byte as
// the database does, HTML and non-ASCII included.
func TestLedgerExportIsVerbatim(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "a.db")
	st, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := ledger.Fact{ID: "sha256:x", Kind: ledger.FactManual, Reason: "<docs> & «more» \u2028", At: time.Date(2026, 1, 1, 0, 0, 0, 1, time.UTC)}
	if _, err := st.AppendEntries(context.Background(), time.Now(), []store.NewEntry{{Kind: ledger.KindFact, Key: f.ID, Body: f}}); err != nil {
		t.Fatal(err)
	}
	var body []byte
	st.LedgerEntries(context.Background(), func(e ledger.Entry) error { body = e.Body; return nil })
	st.Close()
	out, _, code := accord(t, dir, []string{"ACCORD_DATABASE=" + db}, "ledger", "export")
	if code != 0 || !bytes.Contains([]byte(out), append(append([]byte(`"body":`), body...), ',')) {
		t.Errorf("export %d:\n%s\nwant body %s", code, out, body)
	}
}

// TestLedgerVerifyCatchesTreeTampering: every hash of the Merkle tree the
// database keeps beside its entries is checked against them: one on the
// root's path (the subtree of the first 16 leaves), one off it (the
// subtree of leaves 16 and 17, which no root of 25 leaves reads but a proof
// does), and a missing one are each named.
func TestLedgerVerifyCatchesTreeTampering(t *testing.T) {
	for name, change := range map[string]string{
		"on the root's path": fmt.Sprintf(`UPDATE ledger_tree SET hash = zeroblob(32) WHERE idx = %d`, tlog.StoredHashIndex(4, 0)),
		"off the path":       fmt.Sprintf(`UPDATE ledger_tree SET hash = zeroblob(32) WHERE idx = %d`, tlog.StoredHashIndex(1, 8)),
		"missing":            fmt.Sprintf(`DELETE FROM ledger_tree WHERE idx = %d`, tlog.StoredHashIndex(0, 3)),
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			cfg, db := ledgerFixture(t, dir, 25)
			if out, errOut, code := accord(t, dir, nil, "ledger", "verify", "--config", cfg); code != 0 {
				t.Fatalf("verify: %d %q %q", code, out, errOut)
			}
			raw, err := sql.Open("sqlite", "file:"+db+"?_pragma=busy_timeout(10000)")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := raw.Exec(`DROP TRIGGER ledger_tree_no_update; DROP TRIGGER ledger_tree_no_delete; ` + change); err != nil {
				t.Fatal(err)
			}
			raw.Close()
			out, errOut, code := accord(t, dir, nil, "ledger", "verify", "--config", cfg)
			if code != 1 || !strings.Contains(errOut, "its ledger_tree table was changed") {
				t.Errorf("verify of a changed tree: %d %q %q; want exit 1 naming ledger_tree", code, out, errOut)
			}
		})
	}
}
