package transparency

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	"golang.org/x/mod/sumdb/tlog"
)

// ProveConsistency returns the proof that the tree of the first newSize
// leaves extends the tree of the first oldSize (tlog.ProveTree), reading
// hashes from r. It is empty when oldSize is 0 or newSize. If r has a
// Size() int64 method, as HashStore does, a newSize beyond it is refused.
func ProveConsistency(oldSize, newSize int64, r tlog.HashReader) (tlog.TreeProof, error) {
	if oldSize < 0 || oldSize > newSize || newSize > MaxSize {
		return nil, fmt.Errorf("no consistency proof from a tree of %d leaves to one of %d: the sizes must be 0 ≤ old ≤ new ≤ 2^62", oldSize, newSize)
	}
	if err := holds(r, newSize); err != nil {
		return nil, err
	}
	if oldSize == 0 || oldSize == newSize {
		return tlog.TreeProof{}, nil
	}
	return tlog.ProveTree(newSize, oldSize, r)
}

// CheckConsistency checks that the log at checkpoint newer extends the log
// at checkpoint older: the first older.Size leaves of newer's tree are
// older's, as proof shows (tlog.CheckTree). Both checkpoints are verified
// already. The cases, each an error wrapping ErrInconsistent when it fails:
//
//   - older.Size == newer.Size: the roots are equal and proof is empty;
//     equal sizes with different roots are a fork, two histories signed;
//   - older.Size == 0: older's root is the empty tree's and proof is empty
//     (every log extends the empty one);
//   - older.Size < newer.Size: proof is the RFC 6962 consistency proof;
//   - older.Size > newer.Size: the log shrank, which it never does.
//
// Checkpoints of different origins fail with ErrWrongLog.
func CheckConsistency(older, newer Checkpoint, proof tlog.TreeProof) error {
	if older.Origin != newer.Origin {
		return fmt.Errorf("consistency: %w: the checkpoints are of different logs, %q and %q", ErrWrongLog, short(older.Origin), short(newer.Origin))
	}
	for _, cp := range []Checkpoint{older, newer} {
		if cp.Size < 0 || cp.Size > MaxSize {
			return fmt.Errorf("consistency: %w: checkpoint size %d is out of range", ErrMalformed, cp.Size)
		}
	}
	switch {
	case newer.Size < older.Size:
		return fmt.Errorf("consistency: %w: the newer checkpoint has %d entries, the older %d: the log was cut, and a log never shrinks", ErrInconsistent, newer.Size, older.Size)
	case older.Size == newer.Size && older.Root != newer.Root:
		return fmt.Errorf("consistency: %w: fork: two checkpoints of %d entries with different roots (%s and %s): the log signed two different histories", ErrInconsistent, older.Size, older.Root, newer.Root)
	case older.Size == 0 && older.Root != emptyRoot:
		return fmt.Errorf("consistency: %w: the older checkpoint has 0 entries but not the empty tree's root", ErrInconsistent)
	case older.Size == 0 || older.Size == newer.Size:
		if len(proof) != 0 {
			return fmt.Errorf("consistency: %w: the proof has %d hashes; from %d entries to %d it is empty", ErrInconsistent, len(proof), older.Size, newer.Size)
		}
		return nil
	}
	if want := consistencyPathLen(older.Size, newer.Size); len(proof) != want {
		return fmt.Errorf("consistency: %w: the proof has %d hashes; from %d entries to %d it has %d", ErrInconsistent, len(proof), older.Size, newer.Size, want)
	}
	if tlog.CheckTree(proof, newer.Size, newer.Root, older.Size, older.Root) != nil {
		return fmt.Errorf("consistency: %w: the proof does not show the log of %d entries (root %s) extending the log of %d (root %s): the first %d entries were changed, or the proof is wrong", ErrInconsistent, newer.Size, newer.Root, older.Size, older.Root, older.Size)
	}
	return nil
}

// consistencyPathLen is the length of the consistency proof from a tree of
// n leaves to one of size, 0 < n < size (RFC 6962 §2.1.2).
func consistencyPathLen(n, size int64) int {
	count := 0
	lo, hi := int64(0), size
	for n != hi {
		if k := splitPoint(hi - lo); n <= lo+k {
			hi = lo + k
		} else {
			lo += k
		}
		count++
	}
	if lo != 0 {
		count++
	}
	return count
}

// CheckPrefix decides, for a caller holding a whole log (an export, read
// with a Tree), whether the log holds checkpoint cp's tree as a prefix.
// logSize is the number of entries the log has; root is the root hash of
// its first cp.Size entries (Tree.Root when Tree.Size() == cp.Size), not
// looked at when the log has fewer. Equal roots mean the log's first
// cp.Size entries are those the checkpoint was signed over; a log of fewer
// entries was cut. Both fail with ErrInconsistent.
func CheckPrefix(cp Checkpoint, logSize int64, root tlog.Hash) error {
	switch {
	case logSize < cp.Size:
		return fmt.Errorf("checkpoint of %d entries: %w: the log has %d entries, the checkpoint says %d: entries from seq %d on were removed", cp.Size, ErrInconsistent, logSize, cp.Size, logSize+1)
	case root != cp.Root:
		return fmt.Errorf("checkpoint of %d entries: %w: the log's first %d entries have root %s, the checkpoint says %s: an entry among them (seq 1 to %d) was changed, removed, inserted or reordered since the checkpoint was signed, or the checkpoint is of another log", cp.Size, ErrInconsistent, cp.Size, root, cp.Root, cp.Size)
	}
	return nil
}

// PrefixVerifier checks that a log read once, leaf by leaf, holds each of a
// set of checkpoints as a prefix (CheckPrefix at each checkpoint's size),
// with a Tree: O(log n) memory whatever the log's length.
type PrefixVerifier struct {
	tree    Tree
	pending []Checkpoint // by size, those not reached yet
	errs    []error
}

// NewPrefixVerifier returns a verifier of the checkpoints cps, verified
// already, against a log to be given from its first leaf.
func NewPrefixVerifier(cps ...Checkpoint) *PrefixVerifier {
	pending := slices.Clone(cps)
	slices.SortStableFunc(pending, func(a, b Checkpoint) int { return cmp.Compare(a.Size, b.Size) })
	return &PrefixVerifier{pending: pending}
}

// Append adds the log's next leaf (its leaf hash, LeafHash). It returns the
// failures of the checkpoints of the new size, if any; Finish returns them
// again with the rest.
func (v *PrefixVerifier) Append(leafHash tlog.Hash) error {
	before := len(v.errs)
	v.check() // checkpoints of size 0, before the first leaf
	v.tree.Append(leafHash)
	v.check()
	return errors.Join(v.errs[before:]...)
}

// check checks the checkpoints at the tree's size.
func (v *PrefixVerifier) check() {
	for len(v.pending) > 0 && v.pending[0].Size <= v.tree.Size() {
		if err := CheckPrefix(v.pending[0], v.tree.Size(), v.tree.Root()); err != nil {
			v.errs = append(v.errs, err)
		}
		v.pending = v.pending[1:]
	}
}

// Size is the number of leaves given.
func (v *PrefixVerifier) Size() int64 { return v.tree.Size() }

// Root is the root hash of the leaves given.
func (v *PrefixVerifier) Root() tlog.Hash { return v.tree.Root() }

// Finish ends the log: it returns every failure, by checkpoint size,
// including those beyond the log's end (the log was cut), or nil if the log
// holds every checkpoint.
func (v *PrefixVerifier) Finish() error {
	v.check()
	for _, cp := range v.pending {
		v.errs = append(v.errs, CheckPrefix(cp, v.tree.Size(), tlog.Hash{}))
	}
	v.pending = nil
	return errors.Join(v.errs...)
}
