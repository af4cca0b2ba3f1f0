package transparency

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/bits"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// ProofHeader is the first line of an inclusion proof file.
const ProofHeader = "accord-inclusion-proof v1"

// maxPath is the longest proof in a tree of at most MaxSize leaves.
const maxPath = 62

// InclusionProof is the content of an inclusion proof file (see the package
// documentation for its format): that the ledger entry with hash EntryHash
// is leaf Index of the tree whose signed checkpoint is Checkpoint.
type InclusionProof struct {
	Index      int64            // the leaf's 0-based index: the entry's seq is Index+1
	EntryHash  string           // the entry's hash, 64 lowercase hex digits
	Hashes     tlog.RecordProof // the audit path, the leaf's sibling first
	Checkpoint []byte           // the signed checkpoint, verbatim
}

// ProveInclusion returns the proof that leaf index is in the tree of the
// first size leaves (tlog.ProveRecord), reading hashes from r (a HashStore,
// or the store's own HashReader). If r has a Size() int64 method, as
// HashStore does, a size beyond it is refused.
func ProveInclusion(index, size int64, r tlog.HashReader) (tlog.RecordProof, error) {
	if size < 1 || size > MaxSize || index < 0 || index >= size {
		return nil, fmt.Errorf("no inclusion proof for leaf index %d in a tree of %d leaves: the index must be at least 0 and less than the size", index, size)
	}
	if err := holds(r, size); err != nil {
		return nil, err
	}
	return tlog.ProveRecord(size, index, r)
}

// holds refuses a tree size beyond what r holds, if r says.
func holds(r tlog.HashReader, size int64) error {
	if s, ok := r.(interface{ Size() int64 }); ok && size > s.Size() {
		return fmt.Errorf("no proof in a tree of %d leaves from a log of %d", size, s.Size())
	}
	return nil
}

// FormatProof writes p as an inclusion proof file. It checks that p's
// fields can be read back (ParseProof), not that the proof holds.
func FormatProof(p InclusionProof) ([]byte, error) {
	if p.Index < 0 || p.Index >= MaxSize {
		return nil, fmt.Errorf("inclusion proof: %w: index %d is out of range", ErrMalformed, p.Index)
	}
	if _, err := LeafData(p.EntryHash); err != nil {
		return nil, fmt.Errorf("inclusion proof: %w", err)
	}
	if len(p.Hashes) > maxPath {
		return nil, fmt.Errorf("inclusion proof: %w: %d proof hashes; no tree this package handles needs more than %d", ErrMalformed, len(p.Hashes), maxPath)
	}
	if _, err := ParseSigned(p.Checkpoint); err != nil {
		return nil, fmt.Errorf("inclusion proof: %w", err)
	}
	var b bytes.Buffer
	b.WriteString(ProofHeader + "\n")
	b.WriteString("index " + strconv.FormatInt(p.Index, 10) + "\n")
	b.WriteString("entry " + p.EntryHash + "\n")
	for _, h := range p.Hashes {
		b.WriteString(base64.StdEncoding.EncodeToString(h[:]) + "\n")
	}
	b.WriteString("\n")
	b.Write(p.Checkpoint)
	return b.Bytes(), nil
}

// ParseProof reads an inclusion proof file, strictly (the package
// documentation gives its format), and checks that the signed checkpoint in
// it is well formed, not its signature: CheckInclusion does that. The error
// (ErrMalformed) names the line at fault.
func ParseProof(file []byte) (InclusionProof, error) {
	p, err := parseProof(file)
	if err != nil {
		return InclusionProof{}, fmt.Errorf("inclusion proof: %w: %s", ErrMalformed, err)
	}
	if _, err := ParseSigned(p.Checkpoint); err != nil {
		return InclusionProof{}, fmt.Errorf("inclusion proof: from line %d: %w", 5+len(p.Hashes), err)
	}
	return p, nil
}

func parseProof(file []byte) (InclusionProof, error) {
	var p InclusionProof
	if err := checkText(file); err != nil {
		return p, err
	}
	var blank []string
	all := strings.Split(string(file), "\n")
	for i, l := range all[:len(all)-1] {
		if l == "" {
			blank = append(blank, strconv.Itoa(i+1))
		}
	}
	if len(blank) > 2 {
		return p, fmt.Errorf("lines %s are blank; a proof file has two blank lines, one before the signed checkpoint and the checkpoint's own before its signatures", strings.Join(blank, ", "))
	}
	head, rest, ok := bytes.Cut(file, []byte("\n\n"))
	if !ok {
		return p, fmt.Errorf("no blank line between the proof and the signed checkpoint")
	}
	lines := strings.Split(string(head), "\n")
	if lines[0] != ProofHeader {
		if v, ok := strings.CutPrefix(lines[0], "accord-inclusion-proof "); ok {
			return p, fmt.Errorf("line 1: version %q is not one this reads (v1)", short(v))
		}
		return p, fmt.Errorf("line 1 is not %q", ProofHeader)
	}
	if len(lines) < 3 {
		return p, fmt.Errorf("it lacks the index and entry lines before the blank line")
	}
	idx, ok := strings.CutPrefix(lines[1], "index ")
	if !ok {
		return p, fmt.Errorf("line 2 does not start with \"index \"")
	}
	n, err := parseSize(idx)
	if err != nil || n >= MaxSize {
		return p, fmt.Errorf("line 2 (index) %q is not a leaf index", short(idx))
	}
	p.Index = n
	entry, ok := strings.CutPrefix(lines[2], "entry ")
	if !ok {
		return p, fmt.Errorf("line 3 does not start with \"entry \"")
	}
	if _, err := LeafData(entry); err != nil {
		return p, fmt.Errorf("line 3: the entry hash %q is not 64 lowercase hex digits", short(entry))
	}
	p.EntryHash = entry
	if len(lines)-3 > maxPath {
		return p, fmt.Errorf("%d proof hashes; no tree this package handles needs more than %d", len(lines)-3, maxPath)
	}
	p.Hashes = make(tlog.RecordProof, 0, len(lines)-3)
	for i, l := range lines[3:] {
		h, err := parseHash(l)
		if err != nil {
			return p, fmt.Errorf("line %d (proof hash %d) %q %s", i+4, i+1, short(l), err)
		}
		p.Hashes = append(p.Hashes, h)
	}
	p.Checkpoint = rest
	return p, nil
}

// CheckInclusion verifies an inclusion proof file with the log's verifier
// key: it opens the signed checkpoint (Open), then checks that the entry's
// leaf hash and the proof lead to the checkpoint's root (CheckLeaf). It
// returns the proof and the verified checkpoint. The error wraps
// ErrMalformed, ErrUnknownKey, ErrBadSignature, ErrWrongLog or
// ErrNotIncluded.
//
// That the entry hash is the hash of a given entry is for the caller to
// check (ledger.Entry.ComputeHash).
func CheckInclusion(file []byte, verifier note.Verifier) (InclusionProof, Checkpoint, error) {
	p, err := ParseProof(file)
	if err != nil {
		return InclusionProof{}, Checkpoint{}, err
	}
	cp, err := Open(p.Checkpoint, verifier)
	if err != nil {
		return InclusionProof{}, Checkpoint{}, fmt.Errorf("inclusion proof: %w", err)
	}
	leaf, err := LeafHash(p.EntryHash)
	if err != nil { // ParseProof checked it
		return InclusionProof{}, Checkpoint{}, fmt.Errorf("inclusion proof: %w", err)
	}
	if err := CheckLeaf(cp, p.Index, leaf, p.Hashes); err != nil {
		return InclusionProof{}, Checkpoint{}, fmt.Errorf("inclusion proof of entry %s: %w", short(p.EntryHash), err)
	}
	return p, cp, nil
}

// CheckLeaf checks that proof shows the leaf with hash leafHash at index in
// the tree of cp (tlog.CheckRecord), cp being verified already. The error
// wraps ErrNotIncluded, or ErrMalformed for a negative index or a
// checkpoint out of range.
func CheckLeaf(cp Checkpoint, index int64, leafHash tlog.Hash, proof tlog.RecordProof) error {
	if cp.Size < 0 || cp.Size > MaxSize {
		return fmt.Errorf("%w: the checkpoint's size %d is out of range", ErrMalformed, cp.Size)
	}
	if index < 0 {
		return fmt.Errorf("%w: leaf index %d is negative", ErrMalformed, index)
	}
	if index >= cp.Size {
		return fmt.Errorf("%w: index %d (entry seq %d) is beyond the checkpoint's %d entries", ErrNotIncluded, index, index+1, cp.Size)
	}
	if want := inclusionPathLen(index, cp.Size); len(proof) != want {
		return fmt.Errorf("%w: the proof has %d hashes; for index %d in a tree of %d leaves it has %d", ErrNotIncluded, len(proof), index, cp.Size, want)
	}
	if tlog.CheckRecord(proof, cp.Size, cp.Root, index, leafHash) != nil {
		return fmt.Errorf("%w: the leaf at index %d (entry seq %d) and the proof do not lead to the checkpoint's root (size %d, root %s): the entry is not at that place in that log, or the entry, the proof or the checkpoint was altered", ErrNotIncluded, index, index+1, cp.Size, cp.Root)
	}
	return nil
}

// splitPoint is the largest power of two less than n, n ≥ 2: where RFC 6962
// splits a tree of n leaves.
func splitPoint(n int64) int64 { return 1 << (bits.Len64(uint64(n-1)) - 1) }

// inclusionPathLen is the length of the audit path of leaf index in a tree
// of size leaves (RFC 6962 §2.1.1), 0 ≤ index < size.
func inclusionPathLen(index, size int64) int {
	n := 0
	for lo, hi := int64(0), size; hi-lo > 1; n++ {
		if k := splitPoint(hi - lo); index < lo+k {
			hi = lo + k
		} else {
			lo += k
		}
	}
	return n
}
