package transparency

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

// at is the log's checkpoint at size (not signed: the checks here take
// checkpoints verified already).
func (l *testLog) at(t testing.TB, size int64) Checkpoint {
	t.Helper()
	root, err := l.store.Root(size)
	if err != nil {
		t.Fatal(err)
	}
	return Checkpoint{Origin: testOrigin, Size: size, Root: root}
}

func TestConsistency(t *testing.T) {
	l := newTestLog(t, 300)
	sizes := []int64{0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 100, 255, 256, 257, 300}
	for _, m := range sizes {
		for _, n := range sizes {
			if m > n {
				continue
			}
			p, err := ProveConsistency(m, n, l.store)
			if err != nil {
				t.Fatal(err)
			}
			if err := CheckConsistency(l.at(t, m), l.at(t, n), p); err != nil {
				t.Fatalf("%d to %d: %v", m, n, err)
			}
			if want := 0; m > 0 && m < n {
				want = consistencyPathLen(m, n)
				if len(p) != want {
					t.Fatalf("%d to %d: %d hashes, consistencyPathLen says %d", m, n, len(p), want)
				}
			} else if len(p) != want {
				t.Fatalf("%d to %d: %d hashes, want none", m, n, len(p))
			}
		}
	}
	for _, c := range [][2]int64{{-1, 5}, {6, 5}, {1, MaxSize + 1}} {
		if _, err := ProveConsistency(c[0], c[1], l.store); err == nil {
			t.Errorf("ProveConsistency(%d, %d): no error", c[0], c[1])
		}
	}
	if _, err := ProveConsistency(5, 301, l.store); err == nil || err.Error() != "no proof in a tree of 301 leaves from a log of 300" {
		t.Errorf("ProveConsistency beyond the store: %v", err)
	}
	// A tree of one leaf needs no stored hash, yet an empty store has no
	// such tree.
	if _, err := ProveInclusion(0, 1, NewHashStore(0)); err == nil {
		t.Error("ProveInclusion(0, 1) from an empty store: no error")
	}
}

func TestCheckConsistencyFails(t *testing.T) {
	l := newTestLog(t, 300)
	other := &testLog{store: NewHashStore(0)} // another history: leaf 0 differs
	for i := range 300 {
		h := tlog.RecordHash([]byte(fmt.Sprint(i)))
		if i > 0 {
			h, _ = LeafHash(entryHash(i))
		}
		other.store.Append(h)
	}
	proof, err := ProveConsistency(100, 257, l.store)
	if err != nil {
		t.Fatal(err)
	}
	old, cur := l.at(t, 100), l.at(t, 257)
	altered := slices.Clone(proof)
	altered[2][5] ^= 0x80
	empty := Checkpoint{Origin: testOrigin, Root: EmptyRoot()}
	for _, c := range []struct {
		name       string
		older, cur Checkpoint
		proof      tlog.TreeProof
		want       error
		says       string
	}{
		{"swapped", cur, old, proof, ErrInconsistent, "the newer checkpoint has 100 entries, the older 257: the log was cut, and a log never shrinks"},
		{"fork", l.at(t, 257), other.at(t, 257), nil, ErrInconsistent, "fork: two checkpoints of 257 entries with different roots"},
		{"fork at 1", l.at(t, 1), other.at(t, 1), nil, ErrInconsistent, "fork"},
		{"other history", l.at(t, 100), other.at(t, 257), proof, ErrInconsistent, "the proof does not show the log of 257 entries (root " + other.at(t, 257).Root.String() + ") extending the log of 100"},
		{"other history, its own proof", l.at(t, 100), other.at(t, 257), mustProve(t, 100, 257, other.store), ErrInconsistent, "does not show"},
		{"a proof hash altered", old, cur, altered, ErrInconsistent, "does not show"},
		{"a proof hash missing", old, cur, proof[1:], ErrInconsistent, "the proof has 7 hashes; from 100 entries to 257 it has 8"},
		{"a proof hash more", old, cur, append(slices.Clone(proof), proof[0]), ErrInconsistent, "the proof has 9 hashes"},
		{"no proof", old, cur, nil, ErrInconsistent, "the proof has 0 hashes"},
		{"the proof of other sizes", l.at(t, 101), cur, proof, ErrInconsistent, ""},
		{"equal sizes, a proof", cur, cur, proof, ErrInconsistent, "the proof has 8 hashes; from 257 entries to 257 it is empty"},
		{"from empty, a proof", empty, cur, proof, ErrInconsistent, "from 0 entries to 257 it is empty"},
		{"from empty, not the empty root", Checkpoint{Origin: testOrigin, Root: old.Root}, cur, nil, ErrInconsistent, "has 0 entries but not the empty tree's root"},
		{"another log", Checkpoint{Origin: "other.example", Size: 100, Root: old.Root}, cur, proof, ErrWrongLog, `the checkpoints are of different logs, "other.example" and "accord.example/ledger"`},
		{"size out of range", Checkpoint{Origin: testOrigin, Size: MaxSize + 1}, Checkpoint{Origin: testOrigin, Size: MaxSize + 2}, proof, ErrMalformed, "out of range"},
	} {
		err := CheckConsistency(c.older, c.cur, c.proof)
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: CheckConsistency = %v; want %v saying %q", c.name, err, c.want, c.says)
		}
	}
	if err := CheckConsistency(empty, cur, nil); err != nil {
		t.Errorf("from the empty log: %v", err)
	}
	if err := CheckConsistency(empty, empty, nil); err != nil {
		t.Errorf("empty to empty: %v", err)
	}
}

func mustProve(t *testing.T, m, n int64, r tlog.HashReader) tlog.TreeProof {
	t.Helper()
	p, err := ProveConsistency(m, n, r)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPrefixVerifier(t *testing.T) {
	l := newTestLog(t, 300)
	var cps []Checkpoint
	for _, n := range []int64{300, 0, 1, 100, 256, 100} {
		cps = append(cps, l.at(t, n))
	}
	v := NewPrefixVerifier(cps...)
	for i := range 300 {
		h, _ := LeafHash(l.hashes[i])
		if err := v.Append(h); err != nil {
			t.Fatalf("leaf %d: %v", i, err)
		}
	}
	if err := v.Finish(); err != nil || v.Size() != 300 || v.Root() != l.at(t, 300).Root {
		t.Fatalf("Finish = %v; size %d", err, v.Size())
	}

	// A log of 200 with leaf 150 changed, against checkpoints of the 300.
	v = NewPrefixVerifier(append(cps, l.at(t, 200), l.at(t, 150))...)
	atSize := map[int]error{}
	for i := range 200 {
		h, _ := LeafHash(l.hashes[i])
		if i == 150 {
			h[0] ^= 1
		}
		atSize[i+1] = v.Append(h)
	}
	for n, err := range atSize {
		if (n == 200) != (err != nil) {
			t.Errorf("Append at %d: %v", n, err)
		}
	}
	err := v.Finish()
	if !errors.Is(err, ErrInconsistent) {
		t.Fatalf("Finish = %v", err)
	}
	msgs := strings.Split(err.Error(), "\n")
	want := []string{
		"checkpoint of 200 entries: inconsistent: the log's first 200 entries have root " + v.Root().String() + ", the checkpoint says " + l.at(t, 200).Root.String() + ": an entry among them (seq 1 to 200) was changed, removed, inserted or reordered since the checkpoint was signed, or the checkpoint is of another log",
		"checkpoint of 256 entries: inconsistent: the log has 200 entries, the checkpoint says 256: entries from seq 201 on were removed",
		"checkpoint of 300 entries: inconsistent: the log has 200 entries, the checkpoint says 300: entries from seq 201 on were removed",
	}
	if !slices.Equal(msgs, want) {
		t.Fatalf("Finish:\n%s\nwant:\n%s", err, strings.Join(want, "\n"))
	}

	// The empty log.
	v = NewPrefixVerifier(l.at(t, 0), l.at(t, 2))
	if err := v.Finish(); err == nil || !strings.Contains(err.Error(), "the log has 0 entries, the checkpoint says 2") || strings.Count(err.Error(), "\n") != 0 {
		t.Fatalf("Finish of the empty log: %v", err)
	}
}

func TestCheckPrefix(t *testing.T) {
	l := newTestLog(t, 20)
	cp := l.at(t, 10)
	if err := CheckPrefix(cp, 20, cp.Root); err != nil {
		t.Fatal(err)
	}
	if err := CheckPrefix(cp, 9, tlog.Hash{}); !errors.Is(err, ErrInconsistent) || !strings.Contains(err.Error(), "the log has 9 entries, the checkpoint says 10") {
		t.Fatal(err)
	}
	err := CheckPrefix(cp, 20, l.at(t, 11).Root)
	if !errors.Is(err, ErrInconsistent) || !strings.Contains(err.Error(), "the log's first 10 entries have root ") || !strings.Contains(err.Error(), "an entry among them (seq 1 to 10) was changed, removed, inserted or reordered") {
		t.Fatal(err)
	}
}

func ExamplePrefixVerifier() {
	// The entries' hashes, in order, as read from an export …
	entries := []string{
		"9f2c8e5b4c1d0a3f6e7d8c9b0a1f2e3d4c5b6a7980f1e2d3c4b5a69788796a5b",
		"0d1e2f3a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f50",
		"c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00",
	}
	// … and checkpoints a member kept (verified with Open), one of a size
	// the export does not reach.
	var tree Tree
	var kept []Checkpoint
	for _, e := range entries {
		h, _ := LeafHash(e)
		tree.Append(h)
		kept = append(kept, Checkpoint{Origin: "ledger.example.coop", Size: tree.Size(), Root: tree.Root()})
	}
	kept = append(kept, Checkpoint{Origin: "ledger.example.coop", Size: 4, Root: tlog.RecordHash(nil)})

	v := NewPrefixVerifier(kept...)
	for _, e := range entries {
		h, _ := LeafHash(e)
		v.Append(h) // an error here names a checkpoint of this size that fails
	}
	fmt.Println(v.Finish())
	// Output:
	// checkpoint of 4 entries: inconsistent: the log has 3 entries, the checkpoint says 4: entries from seq 4 on were removed
}
