package transparency

import (
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// StoredTree computes, leaf by leaf, the hashes tlog says to store for a
// tree (tlog.StoredHashes), in O(log n) memory: what a store that keeps
// them (Accord's ledger_tree) must hold, so that every stored hash can be
// checked against the leaves, not only those on the path to the root.
type StoredTree struct {
	n        int64
	frontier map[int64]tlog.Hash // the stored hashes the next leaf may combine with
}

// NewStoredTree starts an empty tree.
func NewStoredTree() *StoredTree {
	return &StoredTree{frontier: map[int64]tlog.Hash{}}
}

// Append adds the next leaf and returns the hashes to store for it, which
// are stored at indexes tlog.StoredHashIndex(0, n) onward, n being the
// leaf's index (the tree's size before the call).
func (t *StoredTree) Append(leafHash tlog.Hash) ([]tlog.Hash, error) {
	if t.n >= MaxSize {
		return nil, fmt.Errorf("%w: more than %d leaves", ErrMalformed, MaxSize)
	}
	hashes, err := tlog.StoredHashesForRecordHash(t.n, leafHash, t)
	if err != nil {
		return nil, err
	}
	first := tlog.StoredHashIndex(0, t.n)
	for i, h := range hashes {
		t.frontier[first+int64(i)] = h
	}
	t.n++
	// Keep only the roots of the complete subtrees the tree now ends with:
	// a later leaf combines with nothing else.
	keep := make(map[int64]bool, 2*64)
	for level := 0; t.n>>level > 0; level++ {
		if (t.n>>level)&1 == 1 {
			keep[tlog.StoredHashIndex(level, (t.n>>level)-1)] = true
		}
	}
	for idx := range t.frontier {
		if !keep[idx] {
			delete(t.frontier, idx)
		}
	}
	return hashes, nil
}

// Size is how many leaves have been appended.
func (t *StoredTree) Size() int64 { return t.n }

// ReadHashes serves tlog the frontier; it implements tlog.HashReader.
func (t *StoredTree) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, idx := range indexes {
		h, ok := t.frontier[idx]
		if !ok {
			return nil, fmt.Errorf("transparency: stored hash %d is not on the frontier of %d leaves", idx, t.n)
		}
		out[i] = h
	}
	return out, nil
}
