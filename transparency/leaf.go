package transparency

import (
	"crypto/sha256"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// MaxSize is the largest tree size this package handles: 2^62 leaves.
// Sizes above it are refused wherever they are read (a checkpoint, a proof),
// because tlog's arithmetic does not terminate for them.
const MaxSize int64 = 1 << 62

// emptyRoot is the root of the empty tree: SHA-256 of nothing (RFC 6962 §2.1).
var emptyRoot = tlog.Hash(sha256.Sum256(nil))

// EmptyRoot returns the root hash of the tree of no leaves, SHA-256 of the
// empty string.
func EmptyRoot() tlog.Hash { return emptyRoot }

// LeafData is the leaf data of the ledger entry whose Hash is entryHash: the
// 32 bytes it is the lowercase hex of. It fails unless entryHash is exactly
// 64 lowercase hex digits, as ledger.Entry.ComputeHash writes them.
func LeafData(entryHash string) ([]byte, error) {
	var b [sha256.Size]byte
	if err := decodeEntryHash(&b, entryHash); err != nil {
		return nil, err
	}
	return b[:], nil
}

// LeafHash is the leaf hash of the ledger entry whose Hash is entryHash:
// SHA-256(0x00 ‖ LeafData(entryHash)), which is tlog.RecordHash of the leaf
// data.
func LeafHash(entryHash string) (tlog.Hash, error) {
	var buf [1 + sha256.Size]byte // 0x00 ‖ data, on the stack
	if err := decodeEntryHash((*[sha256.Size]byte)(buf[1:]), entryHash); err != nil {
		return tlog.Hash{}, err
	}
	return sha256.Sum256(buf[:]), nil
}

// decodeEntryHash decodes 64 lowercase hex digits into b.
func decodeEntryHash(b *[sha256.Size]byte, s string) error {
	if len(s) != 2*sha256.Size {
		return fmt.Errorf("%w: entry hash %q is %d characters, not 64 lowercase hex digits", ErrMalformed, short(s), len(s))
	}
	var bad byte
	for i := range b {
		hi, lo := nibble[s[2*i]], nibble[s[2*i+1]]
		bad |= hi | lo
		b[i] = hi<<4 | lo&0x0f
	}
	if bad&0xf0 != 0 {
		return fmt.Errorf("%w: entry hash %q is not 64 lowercase hex digits", ErrMalformed, short(s))
	}
	return nil
}

// nibble is the value of each lowercase hex digit, 0xff for other bytes.
var nibble = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i, c := range "0123456789abcdef" {
		t[c] = byte(i)
	}
	return t
}()

// short cuts s for an error message.
func short(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}

// Tree computes the root hash of a log read once, leaf by leaf, in
// O(log n) memory: it keeps the roots of the perfect subtrees the leaves so
// far make (at most 62 of them, 2 KiB in all). Its zero value is the empty
// tree. It is not safe for concurrent use.
type Tree struct {
	n     int64
	depth int           // subtrees held: the number of 1 bits in n
	stack [64]tlog.Hash // their roots, the largest (leftmost) first
}

// Append adds the next leaf, given by its leaf hash (LeafHash).
func (t *Tree) Append(leafHash tlog.Hash) {
	h := leafHash
	// Each trailing 1 bit of n is a perfect subtree the new leaf completes.
	for m := t.n; m&1 == 1; m >>= 1 {
		t.depth--
		h = tlog.NodeHash(t.stack[t.depth], h)
	}
	t.stack[t.depth] = h
	t.depth++
	t.n++
}

// Size is the number of leaves appended.
func (t *Tree) Size() int64 { return t.n }

// Root is the RFC 6962 Merkle tree hash of the leaves appended so far
// (EmptyRoot for none). It costs at most 61 SHA-256 and leaves the tree as
// it is, so it may be asked at any size.
func (t *Tree) Root() tlog.Hash {
	if t.depth == 0 {
		return emptyRoot
	}
	h := t.stack[t.depth-1]
	for i := t.depth - 2; i >= 0; i-- {
		h = tlog.NodeHash(t.stack[i], h)
	}
	return h
}
