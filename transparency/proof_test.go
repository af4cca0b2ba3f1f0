package transparency

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// testLog is a log of n made-up entries held in a HashStore.
type testLog struct {
	hashes []string // entry hashes
	store  *HashStore
}

func newTestLog(t testing.TB, n int) *testLog {
	t.Helper()
	l := &testLog{store: NewHashStore(int64(n))}
	for i := range n {
		l.hashes = append(l.hashes, entryHash(i))
		h, err := LeafHash(l.hashes[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := l.store.Append(h); err != nil {
			t.Fatal(err)
		}
	}
	return l
}

// signedAt is the log's signed checkpoint at size.
func (l *testLog) signedAt(t testing.TB, size int64) []byte {
	t.Helper()
	root, err := l.store.Root(size)
	if err != nil {
		t.Fatal(err)
	}
	return sign(t, Checkpoint{Origin: testOrigin, Size: size, Root: root})
}

// proofFile is the inclusion proof file of entry index against the
// signed checkpoint at size.
func (l *testLog) proofFile(t testing.TB, index, size int64) []byte {
	t.Helper()
	p, err := ProveInclusion(index, size, l.store)
	if err != nil {
		t.Fatal(err)
	}
	f, err := FormatProof(InclusionProof{Index: index, EntryHash: l.hashes[index], Hashes: p, Checkpoint: l.signedAt(t, size)})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestInclusion(t *testing.T) {
	l := newTestLog(t, 1283)
	v := verifier(t, testVKey)
	for _, size := range []int64{1, 2, 3, 4, 5, 7, 8, 9, 100, 1024, 1025, 1283} {
		signed := l.signedAt(t, size)
		for index := range size {
			if size > 100 && index%97 != 0 && index != size-1 {
				continue
			}
			hashes, err := ProveInclusion(index, size, l.store)
			if err != nil {
				t.Fatal(err)
			}
			if len(hashes) != inclusionPathLen(index, size) {
				t.Fatalf("index %d of %d: %d hashes, inclusionPathLen says %d", index, size, len(hashes), inclusionPathLen(index, size))
			}
			want := InclusionProof{Index: index, EntryHash: l.hashes[index], Hashes: hashes, Checkpoint: signed}
			file, err := FormatProof(want)
			if err != nil {
				t.Fatal(err)
			}
			p, cp, err := CheckInclusion(file, v)
			if err != nil {
				t.Fatalf("index %d of %d: %v\n%s", index, size, err, file)
			}
			if cp.Size != size || p.Index != index || p.EntryHash != want.EntryHash || !slices.Equal(p.Hashes, hashes) || !bytes.Equal(p.Checkpoint, signed) {
				t.Fatalf("CheckInclusion = %+v, %+v", p, cp)
			}
		}
	}
}

func TestProofFileFormat(t *testing.T) {
	l := newTestLog(t, 3)
	file := l.proofFile(t, 1, 3)
	h := func(i int64) string { return l.store.hashes[i].String() }
	// The audit path of leaf 1 of 3: leaf 0, then leaf 2 (stored hashes 0
	// and 3 in tlog's order: leaf 0, leaf 1, node (0,1), leaf 2).
	want := "accord-inclusion-proof v1\nindex 1\nentry " + l.hashes[1] + "\n" + h(0) + "\n" + h(3) + "\n\n" + string(l.signedAt(t, 3))
	if string(file) != want {
		t.Fatalf("proof file:\n%s\nwant:\n%s", file, want)
	}
	p, err := ParseProof(file)
	if err != nil {
		t.Fatal(err)
	}
	again, err := FormatProof(p)
	if err != nil || !bytes.Equal(again, file) {
		t.Fatalf("FormatProof(ParseProof(f)) = %q, %v", again, err)
	}
	// Leaf 0 of 1: no proof hashes.
	one := newTestLog(t, 1)
	file = one.proofFile(t, 0, 1)
	want = "accord-inclusion-proof v1\nindex 0\nentry " + one.hashes[0] + "\n\n" + string(one.signedAt(t, 1))
	if string(file) != want {
		t.Fatalf("proof file:\n%s\nwant:\n%s", file, want)
	}
	if _, _, err := CheckInclusion(file, verifier(t, testVKey)); err != nil {
		t.Fatal(err)
	}
}

func TestParseProofStrict(t *testing.T) {
	l := newTestLog(t, 5)
	good := string(l.proofFile(t, 4, 5)) // 1 proof hash
	head, cp, _ := strings.Cut(good, "\n\n")
	lines := strings.Split(head, "\n")
	with := func(i int, s string) string {
		ls := slices.Clone(lines)
		ls[i] = s
		return strings.Join(ls, "\n") + "\n\n" + cp
	}
	for _, c := range []struct{ name, file, says string }{
		{"no blank line", head + "\n" + cp[:strings.Index(cp, "\n\n")], "no blank line between the proof and the signed checkpoint"},
		{"no header", strings.Join(lines[1:], "\n") + "\n\n" + cp, "line 1 is not \"accord-inclusion-proof v1\""},
		{"version 2", with(0, "accord-inclusion-proof v2"), "version \"v2\" is not one this reads"},
		{"header only", lines[0] + "\n\n" + cp, "lacks the index and entry lines"},
		{"no index", with(1, "4"), "line 2 does not start with \"index \""},
		{"Index", with(1, "Index 4"), "line 2 does not start with \"index \""},
		{"index 04", with(1, "index 04"), "line 2 (index) \"04\" is not a leaf index"},
		{"index -4", with(1, "index -4"), "line 2 (index) \"-4\""},
		{"index 2^62", with(1, "index 4611686018427387904"), "is not a leaf index"},
		{"index twice spaced", with(1, "index  4"), "line 2 (index) \" 4\""},
		{"no entry", with(2, l.hashes[4]), "line 3 does not start with \"entry \""},
		{"entry in capitals", with(2, "entry "+strings.ToUpper(l.hashes[4])), "line 3: the entry hash"},
		{"entry short", with(2, "entry "+l.hashes[4][:60]), "line 3: the entry hash"},
		{"proof hash unpadded", with(3, strings.TrimSuffix(lines[3], "=")), "line 4 (proof hash 1)"},
		{"proof hash short", with(3, "AAAA"), "line 4 (proof hash 1) \"AAAA\" is 3 bytes"},
		{"proof hash hex", with(3, l.hashes[0]), "line 4 (proof hash 1)"},
		{"63 proof hashes", strings.Join(lines[:3], "\n") + strings.Repeat("\n"+lines[3], 63) + "\n\n" + cp, "63 proof hashes"},
		{"CRLF", strings.ReplaceAll(good, "\n", "\r\n"), "carriage return"},
		{"checkpoint unsigned", head + "\n\n" + cp[:strings.Index(cp, "\n\n")+1], "signed checkpoint: malformed: no blank line before the signatures"},
		{"checkpoint malformed", head + "\n\n" + strings.Replace(cp, "\n5\n", "\n05\n", 1), "from line 6: signed checkpoint: checkpoint: malformed: line 2 (tree size) \"05\" has a leading zero"},
		{"empty", "", "no blank line"},
		{"a blank line among the hashes", with(3, "\n"+lines[3]), "lines 4, 6, 10 are blank; a proof file has two blank lines"},
		{"blank lines at the end", good + "\n\n", "lines 5, 9, 11, 12 are blank"},
	} {
		_, err := ParseProof([]byte(c.file))
		if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: ParseProof = %v; want ErrMalformed saying %q", c.name, err, c.says)
		}
	}
	for _, p := range []InclusionProof{
		{Index: -1, EntryHash: l.hashes[0], Checkpoint: []byte(cp)},
		{Index: 0, EntryHash: "x", Checkpoint: []byte(cp)},
		{Index: 0, EntryHash: l.hashes[0], Checkpoint: []byte("x")},
		{Index: 0, EntryHash: l.hashes[0], Hashes: make(tlog.RecordProof, 63), Checkpoint: []byte(cp)},
	} {
		if _, err := FormatProof(p); !errors.Is(err, ErrMalformed) {
			t.Errorf("FormatProof(%+v) = %v, want ErrMalformed", p, err)
		}
	}
}

func TestCheckInclusionFails(t *testing.T) {
	l := newTestLog(t, 1283)
	v := verifier(t, testVKey)
	const index, size = 700, 1000
	good := l.proofFile(t, index, size)
	p, err := ParseProof(good)
	if err != nil {
		t.Fatal(err)
	}
	_, otherV, err := GenerateKey(testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	change := func(f func(p *InclusionProof)) []byte {
		q := p
		q.Hashes = slices.Clone(p.Hashes)
		f(&q)
		b, err := FormatProof(q)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, c := range []struct {
		name string
		file []byte
		v    string
		want error
		says string
	}{
		{"another entry's hash", change(func(p *InclusionProof) { p.EntryHash = l.hashes[index+1] }), testVKey, ErrNotIncluded, "the leaf at index 700 (entry seq 701) and the proof do not lead to the checkpoint's root (size 1000"},
		{"another index", change(func(p *InclusionProof) { p.Index = index + 2 }), testVKey, ErrNotIncluded, "do not lead to the checkpoint's root"},
		{"index beyond the checkpoint", change(func(p *InclusionProof) { p.Index = size }), testVKey, ErrNotIncluded, "index 1000 (entry seq 1001) is beyond the checkpoint's 1000 entries"},
		{"a proof hash changed", change(func(p *InclusionProof) { p.Hashes[3][0] ^= 1 }), testVKey, ErrNotIncluded, "do not lead to the checkpoint's root"},
		{"proof hashes swapped", change(func(p *InclusionProof) { p.Hashes[0], p.Hashes[1] = p.Hashes[1], p.Hashes[0] }), testVKey, ErrNotIncluded, "do not lead"},
		{"a proof hash missing", change(func(p *InclusionProof) { p.Hashes = p.Hashes[:len(p.Hashes)-1] }), testVKey, ErrNotIncluded, "the proof has 9 hashes; for index 700 in a tree of 1000 leaves it has 10"},
		{"a proof hash more", change(func(p *InclusionProof) { p.Hashes = append(p.Hashes, p.Hashes[0]) }), testVKey, ErrNotIncluded, "the proof has 11 hashes"},
		{"the checkpoint of another size", change(func(p *InclusionProof) { p.Checkpoint = l.signedAt(t, size+1) }), testVKey, ErrNotIncluded, "do not lead"},
		{"the checkpoint altered", change(func(p *InclusionProof) {
			p.Checkpoint = bytes.Replace(p.Checkpoint, []byte("\n1000\n"), []byte("\n1001\n"), 1)
		}), testVKey, ErrBadSignature, "does not verify"},
		{"another key", good, otherV, ErrUnknownKey, "it is signed by " + testOrigin + "+249fd039"},
		{"a witness's key", good, witnessVKey, ErrUnknownKey, "the key given is witness.example+1bba49ac"},
	} {
		_, _, err := CheckInclusion(c.file, verifier(t, c.v))
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: CheckInclusion = %v; want %v saying %q", c.name, err, c.want, c.says)
		}
	}
	if _, _, err := CheckInclusion(good, v); err != nil {
		t.Fatal(err)
	}
	for _, c := range [][2]int64{{-1, 5}, {5, 5}, {0, 0}, {3, 1284}, {0, MaxSize + 1}} {
		if _, err := ProveInclusion(c[0], c[1], l.store); err == nil {
			t.Errorf("ProveInclusion(%d, %d): no error", c[0], c[1])
		}
	}
	if err := CheckLeaf(Checkpoint{Size: 5}, -1, tlog.Hash{}, nil); !errors.Is(err, ErrMalformed) {
		t.Errorf("CheckLeaf at index -1: %v", err)
	}
}

// TestMaxSize: proofs in the largest trees allowed end (tlog's arithmetic
// does not, above 2^62).
func TestMaxSize(t *testing.T) {
	path := make(tlog.RecordProof, inclusionPathLen(MaxSize-1, MaxSize))
	cp := Checkpoint{Origin: testOrigin, Size: MaxSize}
	if err := CheckLeaf(cp, MaxSize-1, tlog.Hash{}, path); !errors.Is(err, ErrNotIncluded) {
		t.Errorf("CheckLeaf at 2^62: %v", err)
	}
	if err := CheckLeaf(Checkpoint{Size: MaxSize + 1}, 0, tlog.Hash{}, nil); !errors.Is(err, ErrMalformed) {
		t.Errorf("CheckLeaf over 2^62: %v", err)
	}
	zeros := tlog.HashReaderFunc(func(ix []int64) ([]tlog.Hash, error) { return make([]tlog.Hash, len(ix)), nil })
	if _, err := ProveInclusion(MaxSize-1, MaxSize, zeros); err != nil {
		t.Errorf("ProveInclusion at 2^62: %v", err)
	}
}

// FuzzParseProof: what ParseProof accepts, FormatProof writes back byte for
// byte; CheckInclusion ends on anything with a classified error.
func FuzzParseProof(f *testing.F) {
	l := newTestLog(f, 5)
	f.Add(l.proofFile(f, 4, 5))
	v := verifier(f, testVKey)
	f.Fuzz(func(t *testing.T, file []byte) {
		p, err := ParseProof(file)
		_, _, cerr := CheckInclusion(file, v)
		if err != nil {
			if !errors.Is(err, ErrMalformed) || !errors.Is(cerr, ErrMalformed) {
				t.Fatalf("ParseProof: %v; CheckInclusion: %v", err, cerr)
			}
			return
		}
		again, err := FormatProof(p)
		if err != nil || !bytes.Equal(again, file) {
			t.Fatalf("FormatProof = %q, %v; read from %q", again, err, file)
		}
		if cerr != nil && !errors.Is(cerr, ErrMalformed) && !errors.Is(cerr, ErrUnknownKey) && !errors.Is(cerr, ErrBadSignature) && !errors.Is(cerr, ErrWrongLog) && !errors.Is(cerr, ErrNotIncluded) {
			t.Fatalf("CheckInclusion: unclassified error %v", cerr)
		}
	})
}

func ExampleCheckInclusion() {
	// Entries' hashes, as in an export; the leaves are in this order.
	entries := []string{
		"9f2c8e5b4c1d0a3f6e7d8c9b0a1f2e3d4c5b6a7980f1e2d3c4b5a69788796a5b",
		"0d1e2f3a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f50",
		"c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00",
	}
	store := NewHashStore(int64(len(entries)))
	var tree Tree
	for _, e := range entries {
		h, _ := LeafHash(e)
		store.Append(h)
		tree.Append(h)
	}
	// The log signs a checkpoint of its tree …
	skey, vkey, _ := GenerateKey("ledger.example.coop")
	s, _ := note.NewSigner(skey)
	signed, _ := Sign(Checkpoint{Origin: "ledger.example.coop", Size: tree.Size(), Root: tree.Root()}, s)
	// … and proves entry seq 2 (index 1) in it.
	hashes, _ := ProveInclusion(1, tree.Size(), store)
	file, _ := FormatProof(InclusionProof{Index: 1, EntryHash: entries[1], Hashes: hashes, Checkpoint: signed})

	// A member with the published verifier key checks the file.
	v, _ := note.NewVerifier(vkey)
	p, cp, err := CheckInclusion(file, v)
	fmt.Println(err)
	fmt.Printf("entry seq %d, %s…, is in %s at size %d\n", p.Index+1, p.EntryHash[:8], cp.Origin, cp.Size)
	// Output:
	// <nil>
	// entry seq 2, 0d1e2f3a…, is in ledger.example.coop at size 3
}
