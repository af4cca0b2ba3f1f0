package transparency

import (
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"testing"
	"unsafe"

	"golang.org/x/mod/sumdb/tlog"
)

// The benchmarks run on a log of 1,000,000 made-up entries, each beside a
// baseline on the same leaves in the same run (the log is made once, about
// 2 s and 140 MB, before the first timer starts):
//
//	go test ./transparency -run '^$' -bench . -benchtime 5x -count 5          # per 1,000,000 leaves
//	go test ./transparency -run '^$' -bench 'ProveInclusion' -count 5         # per proof

const benchSize = 1_000_000

var bench struct {
	once   sync.Once
	hashes []string     // the entries' hashes, hex, as an export has them
	data   [][32]byte   // the same, decoded: the leaf data
	store  *HashStore   // the tree, in memory
	cps    []Checkpoint // checkpoints of it at 10 sizes
}

func benchLog(b *testing.B) {
	bench.once.Do(func() {
		bench.hashes = make([]string, benchSize)
		bench.store = NewHashStore(benchSize)
		var tree Tree
		for i := range benchSize {
			bench.hashes[i] = entryHash(i)
			h, _ := LeafHash(bench.hashes[i])
			bench.store.Append(h)
			tree.Append(h)
			if (i+1)%(benchSize/10) == 0 {
				bench.cps = append(bench.cps, Checkpoint{Origin: testOrigin, Size: tree.Size(), Root: tree.Root()})
			}
		}
	})
	b.ResetTimer()
}

// BenchmarkRoot1M streams 1,000,000 entries' hashes (hex, as read from an
// export) into a Tree and takes the root: LeafHash and Append per leaf.
func BenchmarkRoot1M(b *testing.B) {
	benchLog(b)
	b.ReportAllocs()
	var root tlog.Hash
	for b.Loop() {
		var tree Tree
		for _, h := range bench.hashes {
			l, err := LeafHash(h)
			if err != nil {
				b.Fatal(err)
			}
			tree.Append(l)
		}
		root = tree.Root()
	}
	if root != bench.cps[len(bench.cps)-1].Root {
		b.Fatal("wrong root")
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchSize, "ns/leaf")
	b.ReportMetric(float64(unsafe.Sizeof(Tree{})), "tree-bytes")
}

// BenchmarkRoot1MBaseline is the baseline of BenchmarkRoot1M: the least
// anything reading the same export does per entry, decoding its hash
// (encoding/hex) and one SHA-256 of the 32 bytes.
func BenchmarkRoot1MBaseline(b *testing.B) {
	benchLog(b)
	b.ReportAllocs()
	var x byte
	var d [32]byte
	for b.Loop() {
		for _, h := range bench.hashes {
			if _, err := hex.Decode(d[:], unsafe.Slice(unsafe.StringData(h), len(h))); err != nil {
				b.Fatal(err)
			}
			s := sha256.Sum256(d[:])
			x ^= s[0]
		}
	}
	_ = x
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchSize, "ns/leaf")
}

// BenchmarkPrefixVerifier1M checks 10 checkpoints while streaming the
// 1,000,000 entries once, as `accord ledger verify --file` would.
func BenchmarkPrefixVerifier1M(b *testing.B) {
	benchLog(b)
	b.ReportAllocs()
	for b.Loop() {
		v := NewPrefixVerifier(bench.cps...)
		for _, h := range bench.hashes {
			l, _ := LeafHash(h)
			v.Append(l)
		}
		if err := v.Finish(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchSize, "ns/leaf")
}

// BenchmarkProveInclusion1M makes inclusion proofs in the tree of
// 1,000,000 leaves held in a HashStore.
func BenchmarkProveInclusion1M(b *testing.B) {
	benchLog(b)
	b.ReportAllocs()
	i := int64(0)
	for b.Loop() {
		if _, err := ProveInclusion(i, benchSize, bench.store); err != nil {
			b.Fatal(err)
		}
		i = (i + 7919) % benchSize
	}
	b.ReportMetric(float64(len(bench.store.hashes)*tlog.HashSize)/1e6, "store-MB")
}

// BenchmarkProveInclusion1MBaseline is the baseline of
// BenchmarkProveInclusion1M: checking the same proofs (CheckLeaf), the 20
// SHA-256 a verifier spends.
func BenchmarkProveInclusion1MBaseline(b *testing.B) {
	benchLog(b)
	cp := bench.cps[len(bench.cps)-1]
	type proof struct {
		i    int64
		leaf tlog.Hash
		p    tlog.RecordProof
	}
	var proofs []proof
	for i := int64(0); len(proofs) < 1000; i = (i + 7919) % benchSize {
		p, err := ProveInclusion(i, benchSize, bench.store)
		if err != nil {
			b.Fatal(err)
		}
		leaf, _ := LeafHash(bench.hashes[i])
		proofs = append(proofs, proof{i, leaf, p})
	}
	b.ReportAllocs()
	k := 0
	for b.Loop() {
		p := proofs[k%len(proofs)]
		if err := CheckLeaf(cp, p.i, p.leaf, p.p); err != nil {
			b.Fatal(err)
		}
		k++
	}
}

// BenchmarkHashStore1M builds the HashStore of 1,000,000 leaves, as a
// verifier does once to make proofs from an export.
func BenchmarkHashStore1M(b *testing.B) {
	benchLog(b)
	leaves := make([]tlog.Hash, benchSize)
	for i, h := range bench.hashes {
		leaves[i], _ = LeafHash(h)
	}
	b.ReportAllocs()
	for b.Loop() {
		s := NewHashStore(benchSize)
		for _, l := range leaves {
			if err := s.Append(l); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchSize, "ns/leaf")
}
