package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/accord-coop/accord/ledger"
)

func testFact(i int) ledger.Fact {
	f := ledger.Fact{Kind: ledger.FactPRMerged, Forge: "github", Repo: "cotech/website", Number: int64(i),
		Who: ledger.Person{Identity: "github:alice"}, At: time.Date(2026, 10, 1, 9, 0, i, 5, time.UTC),
		Labels: []string{"a<b", "ünï"}, Delivery: fmt.Sprintf("github/d-%d", i)}
	f.ID = ledger.FactID(f.Kind, f.Forge, f.Repo, fmt.Sprint(i))
	return f
}

func factEntries(from, to int) []NewEntry {
	var es []NewEntry
	for i := from; i <= to; i++ {
		f := testFact(i)
		es = append(es, NewEntry{Kind: ledger.KindFact, Key: f.ID, Body: f})
	}
	return es
}

// ledgerDB opens a store with n facts in its ledger, and a raw connection to
// the same file for tampering.
func ledgerDB(t *testing.T, n int) (*Store, *sql.DB) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "accord.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if k, err := s.AppendEntries(context.Background(), time.Now(), factEntries(1, n)); err != nil || k != n {
		t.Fatalf("append: %d %v", k, err)
	}
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return s, raw
}

func dropTriggers(t *testing.T, raw *sql.DB) {
	t.Helper()
	if _, err := raw.Exec(`DROP TRIGGER ledger_no_update; DROP TRIGGER ledger_no_delete`); err != nil {
		t.Fatal(err)
	}
}

// wantBroken checks that VerifyLedger names entry seq, after held entries
// that hold.
func wantBroken(t *testing.T, s *Store, seq, held int64, what string) *ledger.BrokenError {
	t.Helper()
	n, _, err := s.VerifyLedger(context.Background())
	var be *ledger.BrokenError
	if !errors.As(err, &be) || be.Seq != seq {
		t.Fatalf("%s: VerifyLedger gave %v, want a BrokenError naming entry %d", what, err, seq)
	}
	if n != held {
		t.Errorf("%s: %d entries hold, want %d", what, n, held)
	}
	return be
}

func TestLedgerAppendOnceAndVerify(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	if n, head, err := s.VerifyLedger(ctx); err != nil || n != 0 || head != "" {
		t.Fatalf("empty ledger: %d %q %v", n, head, err)
	}
	now := time.Date(2026, 10, 2, 8, 0, 0, 123456789, time.FixedZone("CEST", 7200))
	// Duplicates within a call and across calls are recorded once.
	es := append(factEntries(1, 5), factEntries(3, 4)...)
	if n, err := s.AppendEntries(ctx, now, es); err != nil || n != 5 {
		t.Fatalf("first append: %d %v, want 5", n, err)
	}
	policy := NewEntry{Kind: ledger.KindPolicy, Key: "policy:abc", Body: json.RawMessage(`{ "version": "abc", "html": "<&>" }`)}
	if n, err := s.AppendEntries(ctx, now.Add(time.Second), append(factEntries(4, 8), policy)); err != nil || n != 4 {
		t.Fatalf("second append: %d %v, want 4 (facts 6-8 and the policy)", n, err)
	}
	if n, err := s.AppendEntries(ctx, now, factEntries(1, 8)); err != nil || n != 0 {
		t.Fatalf("replay: %d %v, want 0", n, err)
	}

	var got []ledger.Entry
	if err := s.LedgerEntries(ctx, func(e ledger.Entry) error { got = append(got, e); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 9 {
		t.Fatalf("%d entries, want 9", len(got))
	}
	for i, e := range got {
		if e.Seq != int64(i+1) || e.Hash != e.ComputeHash() || (i > 0 && e.Prev != got[i-1].Hash) || e.At.Location() != time.UTC {
			t.Errorf("entry %d: %+v", i+1, e)
		}
	}
	if !got[0].At.Equal(now) || !got[8].At.Equal(now.Add(time.Second)) {
		t.Errorf("times %v %v", got[0].At, got[8].At)
	}
	if got[8].Kind != ledger.KindPolicy || string(got[8].Body) != `{"version":"abc","html":"<&>"}` {
		t.Errorf("policy entry: %s %s", got[8].Kind, got[8].Body)
	}
	n, head, err := s.VerifyLedger(ctx)
	if err != nil || n != 9 || head != got[8].Hash {
		t.Fatalf("verify: %d %s %v", n, head, err)
	}

	facts, err := s.Facts(ctx)
	if err != nil || len(facts) != 8 {
		t.Fatalf("facts: %d %v", len(facts), err)
	}
	for i, f := range facts {
		want := testFact(i + 1)
		if f.ID != want.ID || !f.At.Equal(want.At) || f.Number != want.Number || strings.Join(f.Labels, ",") != "a<b,ünï" {
			t.Errorf("fact %d: %+v", i+1, f)
		}
	}

	// fn's error stops the walk and is returned.
	stop := errors.New("stop")
	calls := 0
	if err := s.LedgerEntries(ctx, func(ledger.Entry) error { calls++; return stop }); err != stop || calls != 1 {
		t.Errorf("stop: %v after %d calls", err, calls)
	}
	// An entry without a key is refused, and nothing of its call is kept.
	if _, err := s.AppendEntries(ctx, now, []NewEntry{factEntries(9, 9)[0], {Kind: ledger.KindFact, Body: 1}}); err == nil {
		t.Error("an entry without a key was appended")
	}
	if n, _, _ := s.VerifyLedger(ctx); n != 9 {
		t.Errorf("%d entries after a failed append, want 9", n)
	}
}

func TestLedgerIsAppendOnly(t *testing.T) {
	s, raw := ledgerDB(t, 3)
	for _, q := range []string{`UPDATE ledger SET body = '{}' WHERE seq = 2`, `DELETE FROM ledger WHERE seq = 3`, `DELETE FROM ledger`} {
		if _, err := raw.Exec(q); err == nil || !strings.Contains(err.Error(), "the ledger is append-only") {
			t.Errorf("%s: %v, want the append-only error", q, err)
		}
		if _, err := s.write.Exec(q); err == nil || !strings.Contains(err.Error(), "the ledger is append-only") {
			t.Errorf("%s through the store: %v", q, err)
		}
	}
	if n, _, err := s.VerifyLedger(context.Background()); err != nil || n != 3 {
		t.Errorf("after refused changes: %d %v", n, err)
	}
}

func TestLedgerTamperIsNamed(t *testing.T) {
	t.Run("changed byte", func(t *testing.T) {
		s, raw := ledgerDB(t, 10)
		dropTriggers(t, raw)
		var body string
		if err := raw.QueryRow(`SELECT body FROM ledger WHERE seq = 6`).Scan(&body); err != nil {
			t.Fatal(err)
		}
		i := strings.Index(body, "cotech")
		changed := body[:i] + "C" + body[i+1:]
		if _, err := raw.Exec(`UPDATE ledger SET body = ? WHERE seq = 6`, changed); err != nil {
			t.Fatal(err)
		}
		be := wantBroken(t, s, 6, 5, "changed byte")
		if !strings.Contains(be.Reason, "content") {
			t.Errorf("reason: %s", be.Reason)
		}
	})
	t.Run("changed and re-hashed", func(t *testing.T) {
		s, raw := ledgerDB(t, 10)
		dropTriggers(t, raw)
		var e ledger.Entry
		var at int64
		var body string
		if err := raw.QueryRow(`SELECT seq, kind, key, at, body, prev FROM ledger WHERE seq = 6`).Scan(&e.Seq, &e.Kind, &e.Key, &at, &body, &e.Prev); err != nil {
			t.Fatal(err)
		}
		e.At, e.Body = time.Unix(0, at), []byte(strings.Replace(body, "alice", "mallory", 1))
		if _, err := raw.Exec(`UPDATE ledger SET body = ?, hash = ? WHERE seq = 6`, string(e.Body), e.ComputeHash()); err != nil {
			t.Fatal(err)
		}
		wantBroken(t, s, 7, 6, "changed and re-hashed")
	})
	t.Run("deleted entry", func(t *testing.T) {
		s, raw := ledgerDB(t, 10)
		dropTriggers(t, raw)
		if _, err := raw.Exec(`DELETE FROM ledger WHERE seq = 4`); err != nil {
			t.Fatal(err)
		}
		be := wantBroken(t, s, 5, 3, "deleted entry")
		if !strings.Contains(be.Error(), "expected entry 4") {
			t.Errorf("does not name the missing entry: %v", be)
		}
	})
	t.Run("reordered pair", func(t *testing.T) {
		s, raw := ledgerDB(t, 10)
		dropTriggers(t, raw)
		if _, err := raw.Exec(`UPDATE ledger SET seq = -1 WHERE seq = 3; UPDATE ledger SET seq = 3 WHERE seq = 4;
			UPDATE ledger SET seq = 4 WHERE seq = -1`); err != nil {
			t.Fatal(err)
		}
		be := wantBroken(t, s, 3, 2, "reordered pair")
		if !strings.Contains(be.Reason, "link") {
			t.Errorf("reason: %s", be.Reason)
		}
	})
}

func TestLedgerAppendRolledBack(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := appendEntries(ctx, tx, time.Now(), factEntries(1, 3)); err != nil || n != 3 {
		t.Fatalf("append in tx: %d %v", n, err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if n, head, err := s.VerifyLedger(ctx); err != nil || n != 0 || head != "" {
		t.Fatalf("after rollback: %d %q %v, want an empty ledger", n, head, err)
	}
	if facts, err := s.Facts(ctx); err != nil || len(facts) != 0 {
		t.Fatalf("facts after rollback: %v %v", facts, err)
	}
	// The keys are free again, and the chain starts at 1.
	if n, err := s.AppendEntries(ctx, time.Now(), factEntries(1, 3)); err != nil || n != 3 {
		t.Fatalf("append after rollback: %d %v", n, err)
	}
	var first ledger.Entry
	s.LedgerEntries(ctx, func(e ledger.Entry) error {
		if e.Seq == 1 {
			first = e
		}
		return nil
	})
	if first.Prev != "" || first.Key != testFact(1).ID {
		t.Errorf("first entry after rollback: %+v", first)
	}
	if n, _, err := s.VerifyLedger(ctx); err != nil || n != 3 {
		t.Errorf("verify: %d %v", n, err)
	}
}

// TestFactsReadBackExactly: facts come back from the ledger equal to what
// was appended, unicode, escapes, HTML characters, nanoseconds and all (the
// bulk reader decodes with another JSON library than the writer encodes).
func TestFactsReadBackExactly(t *testing.T) {
	s := openTest(t)
	at := time.Date(2026, 11, 25, 13, 4, 5, 123456789, time.UTC)
	in := []ledger.Fact{
		{ID: "sha256:1", Kind: ledger.FactManual, Forge: "github", Repo: "o/r", Number: 7, Who: ledger.Person{Identity: "github:zoë", Email: "z@e.org", Name: "Zoë \"Z\" <z>"},
			At: at, Labels: []string{"bug", "需要 review", "a&b"}, Points: 1500, Reason: "line1\nline2\t\u2028 & </script>", By: "github:alice", Delivery: "github/d1"},
		{ID: "sha256:2", Kind: ledger.FactPRMerged, Forge: "gitea", Repo: "federation/commons", Number: 2, SHA: "abc", Who: ledger.Person{Identity: "gitea:bob", Bot: true},
			CoAuthors: []ledger.Person{{Email: "carol@e2e.local", Name: "Carol"}}, Commits: []string{"abc", "def"}, At: at.Add(time.Hour), Size: 12, Delivery: "gitea/d2"},
	}
	var es []NewEntry
	for _, f := range in {
		es = append(es, NewEntry{Kind: ledger.KindFact, Key: f.ID, Body: f})
	}
	if _, err := s.AppendEntries(context.Background(), time.Now(), es); err != nil {
		t.Fatal(err)
	}
	out, err := s.Facts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Errorf("read back differs:\n got %+v\nwant %+v", out, in)
	}
}

// TestLedgerHead: the head is the last entry's seq, hash and time; the
// zero Head for an empty ledger.
func TestLedgerHead(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	if h, err := s.LedgerHead(ctx); err != nil || h != (Head{}) {
		t.Fatalf("empty: %+v %v", h, err)
	}
	now := time.Date(2026, 10, 2, 8, 0, 0, 0, time.UTC)
	if _, err := s.AppendEntries(ctx, now, factEntries(1, 3)); err != nil {
		t.Fatal(err)
	}
	_, want, err := s.VerifyLedger(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if h, err := s.LedgerHead(ctx); err != nil || h.Size != 3 || h.Hash != want || !h.At.Equal(now) {
		t.Errorf("head %+v %v, want 3 entries, %s at %s", h, err, want, now)
	}
}
