package transparency

import (
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// HashStore holds a whole log's tree in memory, as tlog stores it: for each
// leaf, the hashes tlog.StoredHashes gives (its leaf hash and the root of
// every perfect subtree it completes), in one slice indexed by
// tlog.StoredHashIndex. It is a tlog.HashReader, so ProveInclusion and
// ProveConsistency can make proofs from an export without a database.
//
// Memory: just under two hashes per leaf, 64 bytes a leaf: 64 MB for
// 1,000,000 leaves (NewHashStore with the size known avoids the slice's
// growth doubling that for a moment).
//
// Reads may run concurrently with each other but not with Append.
type HashStore struct {
	hashes []tlog.Hash
	n      int64
}

// NewHashStore returns an empty store with room for sizeHint leaves (a
// hint: the store grows past it, and a hint over 2^26 leaves counts as 2^26).
func NewHashStore(sizeHint int64) *HashStore {
	sizeHint = max(0, min(sizeHint, 1<<26))
	return &HashStore{hashes: make([]tlog.Hash, 0, tlog.StoredHashCount(sizeHint))}
}

// Append adds the next leaf, given by its leaf hash (LeafHash).
func (s *HashStore) Append(leafHash tlog.Hash) error {
	if s.n >= MaxSize {
		return fmt.Errorf("the store holds %d leaves, the most a tree may have", s.n)
	}
	hs, err := tlog.StoredHashesForRecordHash(s.n, leafHash, s)
	if err != nil {
		return err
	}
	s.hashes = append(s.hashes, hs...)
	s.n++
	return nil
}

// Size is the number of leaves held.
func (s *HashStore) Size() int64 { return s.n }

// ReadHashes returns the stored hashes at the given indexes
// (tlog.StoredHashIndex); it fails for a hash the store does not hold.
func (s *HashStore) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(s.hashes)) {
			return nil, fmt.Errorf("hash %d is not held: the store holds the tree of %d leaves", x, s.n)
		}
		out[i] = s.hashes[x]
	}
	return out, nil
}

// Root is the root hash of the tree of the first size leaves held.
func (s *HashStore) Root(size int64) (tlog.Hash, error) {
	if size < 0 || size > s.n {
		return tlog.Hash{}, fmt.Errorf("no tree of %d leaves: the store holds %d", size, s.n)
	}
	return tlog.TreeHash(size, s)
}
