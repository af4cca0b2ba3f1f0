package store

import (
	"context"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/accord-coop/accord/ledger"
)

// memTree is the tree of leaves computed in memory, independently of the
// store's stored hashes.
type memTree []tlog.Hash

func (m memTree) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		out[i] = m[x]
	}
	return out, nil
}

func memTreeOf(t *testing.T, st *Store) (memTree, int64) {
	t.Helper()
	var m memTree
	var n int64
	err := st.LedgerEntries(context.Background(), func(e ledger.Entry) error {
		data, _ := hex.DecodeString(e.Hash)
		hs, err := tlog.StoredHashes(n, data, m)
		m = append(m, hs...)
		n++
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m, n
}

func appendN(t *testing.T, st *Store, from, n int) {
	t.Helper()
	var es []NewEntry
	for i := from; i < from+n; i++ {
		es = append(es, NewEntry{Kind: ledger.KindFact, Key: fmt.Sprint("k", i), Body: map[string]int{"i": i}})
	}
	if _, err := st.AppendEntries(context.Background(), time.Now(), es); err != nil {
		t.Fatal(err)
	}
}

// TestTreeFollowsTheLedger: appends in batches of every size keep the
// stored tree equal to the tree of the entries' hashes; proofs made from it
// check against its root.
func TestTreeFollowsTheLedger(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	from := 0
	for _, batch := range []int{1, 2, 3, 7, 1, 64, 100} {
		appendN(t, st, from, batch)
		from += batch
		n, root, err := st.TreeHead(ctx)
		if err != nil {
			t.Fatal(err)
		}
		mem, size := memTreeOf(t, st)
		want, _ := tlog.TreeHash(size, mem)
		if n != size || root != want {
			t.Fatalf("after %d entries: tree (%d, %v), want (%d, %v)", from, n, root, size, want)
		}
	}
	n, root, _ := st.TreeHead(ctx)
	for _, i := range []int64{0, 1, 77, n - 1} {
		proof, err := tlog.ProveRecord(n, i, st.HashReader(ctx))
		if err != nil {
			t.Fatal(err)
		}
		e, _ := st.LedgerEntry(ctx, fmt.Sprint("k", i))
		data, _ := hex.DecodeString(e.Hash)
		if err := tlog.CheckRecord(proof, n, root, i, tlog.RecordHash(data)); err != nil {
			t.Errorf("entry %d: %v", i+1, err)
		}
	}
}

// TestTreeMigratesInPlace: a database whose ledger has no tree (made
// before the tree existed) gets it at Open, its entries unchanged.
func TestTreeMigratesInPlace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "accord.db")
	st, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, st, 0, 25)
	_, head, _ := st.VerifyLedger(context.Background())
	// As an older release left it: no tree.
	for _, q := range []string{`DROP TRIGGER ledger_tree_no_delete`, `DELETE FROM ledger_tree`} {
		if _, err := st.write.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	st, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n, root, err := st.TreeHead(context.Background())
	mem, size := memTreeOf(t, st)
	want, _ := tlog.TreeHash(size, mem)
	if err != nil || n != 25 || root != want {
		t.Fatalf("after migration: (%d, %v, %v), want (25, %v)", n, root, err, want)
	}
	if _, head2, _ := st.VerifyLedger(context.Background()); head2 != head {
		t.Error("the entries changed")
	}
	appendN(t, st, 25, 3) // and it goes on growing
	if n, _, _ := st.TreeHead(context.Background()); n != 28 {
		t.Errorf("size %d after appending, want 28", n)
	}
}
