package transparency

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/mod/sumdb/tlog"
)

// entryHash is a made-up entry hash for leaf i.
func entryHash(i int) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(i))
	h := sha256.Sum256(b[:])
	return hex.EncodeToString(h[:])
}

// leafHashes are the leaf hashes of n made-up entries.
func leafHashes(t testing.TB, n int) []tlog.Hash {
	t.Helper()
	out := make([]tlog.Hash, n)
	for i := range out {
		h, err := LeafHash(entryHash(i))
		if err != nil {
			t.Fatal(err)
		}
		out[i] = h
	}
	return out
}

// mth is RFC 6962's Merkle tree hash, written as the RFC defines it.
func mth(leaves []tlog.Hash) tlog.Hash {
	switch len(leaves) {
	case 0:
		return sha256.Sum256(nil)
	case 1:
		return leaves[0]
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	return tlog.NodeHash(mth(leaves[:k]), mth(leaves[k:]))
}

func TestLeafData(t *testing.T) {
	h := entryHash(7)
	data, err := LeafData(h)
	if err != nil || hex.EncodeToString(data) != h {
		t.Fatalf("LeafData(%s) = %x, %v", h, data, err)
	}
	lh, err := LeafHash(h)
	if err != nil || lh != tlog.RecordHash(data) {
		t.Fatalf("LeafHash = %v, %v; want tlog.RecordHash of the data, %v", lh, err, tlog.RecordHash(data))
	}
	if want := tlog.Hash(sha256.Sum256(append([]byte{0}, data...))); lh != want {
		t.Fatalf("LeafHash = %v, want SHA-256(0x00 ‖ data) = %v", lh, want)
	}
	for _, bad := range []string{"", h[:62], h + "00", strings.ToUpper(h), h[:63] + "g", " " + h[1:], "sha256:" + h[7:]} {
		if _, err := LeafData(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("LeafData(%q) = %v, want ErrMalformed", bad, err)
		}
		if _, err := LeafHash(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("LeafHash(%q) = %v, want ErrMalformed", bad, err)
		}
	}
}

// TestTreeRoot checks the streaming root at every size against RFC 6962's
// definition and against tlog's stored hashes.
func TestTreeRoot(t *testing.T) {
	leaves := leafHashes(t, 300)
	var tree Tree
	store := NewHashStore(0)
	check := func(n int) {
		t.Helper()
		want := mth(leaves[:n])
		if got := tree.Root(); got != want || tree.Size() != int64(n) {
			t.Fatalf("size %d: Tree gives %d leaves, root %v; want %v", n, tree.Size(), got, want)
		}
		if got, err := tlog.TreeHash(int64(n), store); err != nil || got != want {
			t.Fatalf("size %d: tlog.TreeHash = %v, %v; want %v", n, got, err, want)
		}
		for m := 0; m <= n; m += 1 + m/3 {
			if got, err := store.Root(int64(m)); err != nil || got != mth(leaves[:m]) {
				t.Fatalf("HashStore.Root(%d) of %d = %v, %v", m, n, got, err)
			}
		}
	}
	check(0)
	if EmptyRoot().String() != "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" {
		t.Errorf("EmptyRoot = %v", EmptyRoot())
	}
	for i, l := range leaves {
		tree.Append(l)
		if err := store.Append(l); err != nil {
			t.Fatal(err)
		}
		check(i + 1)
	}
}

func TestTreeMemory(t *testing.T) {
	if s := unsafe.Sizeof(Tree{}); s > 4096 {
		t.Errorf("a Tree is %d bytes", s)
	}
	var tree Tree
	l := leafHashes(t, 1)[0]
	if a := testing.AllocsPerRun(1000, func() { tree.Append(l); tree.Root() }); a != 0 {
		t.Errorf("Append and Root allocate %v times", a)
	}
	h := entryHash(1)
	if a := testing.AllocsPerRun(1000, func() { LeafHash(h) }); a != 0 {
		t.Errorf("LeafHash allocates %v times", a)
	}
}

func TestHashStoreBounds(t *testing.T) {
	s := NewHashStore(10)
	for _, l := range leafHashes(t, 10) {
		if err := s.Append(l); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.ReadHashes([]int64{0, tlog.StoredHashCount(10)}); err == nil {
		t.Error("ReadHashes beyond the tree: no error")
	}
	if _, err := s.ReadHashes([]int64{-1}); err == nil {
		t.Error("ReadHashes(-1): no error")
	}
	if _, err := s.Root(11); err == nil {
		t.Error("Root(11) of 10 leaves: no error")
	}
}
