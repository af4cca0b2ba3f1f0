package transparency

import (
	"fmt"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

// TestStoredTree: leaf by leaf, StoredTree gives exactly the hashes a
// HashStore (the whole tree in memory, tlog's own bookkeeping) stores, and
// keeps only O(log n) of them.
func TestStoredTree(t *testing.T) {
	st, hs := NewStoredTree(), NewHashStore(0)
	var stored []tlog.Hash
	for i := range 1000 {
		leaf := tlog.RecordHash([]byte(fmt.Sprint(i)))
		got, err := st.Append(leaf)
		if err != nil {
			t.Fatal(err)
		}
		if idx := tlog.StoredHashIndex(0, int64(i)); idx != int64(len(stored)) {
			t.Fatalf("leaf %d: stored from %d, have %d", i, idx, len(stored))
		}
		stored = append(stored, got...)
		if err := hs.Append(leaf); err != nil {
			t.Fatal(err)
		}
		if len(st.frontier) > 64 {
			t.Fatalf("leaf %d: %d hashes kept", i, len(st.frontier))
		}
	}
	idx := make([]int64, len(stored))
	for i := range idx {
		idx[i] = int64(i)
	}
	want, err := hs.ReadHashes(idx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if stored[i] != want[i] {
			t.Fatalf("stored hash %d differs", i)
		}
	}
	if st.Size() != 1000 {
		t.Errorf("size %d", st.Size())
	}
}
