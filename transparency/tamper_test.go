package transparency

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accord-coop/accord/ledger"
	"golang.org/x/mod/sumdb/tlog"
)

// The tamper tests: a ledger of 1,283 entries, honest checkpoints of it at
// several sizes, and copies of it altered in each way history can be
// rewritten. Whoever holds a checkpoint must be able to tell, by each
// means this package gives: reading the altered log whole (PrefixVerifier),
// a consistency proof to the altered log's own checkpoint
// (CheckConsistency), an inclusion proof against the checkpoint
// (CheckInclusion).

const tamperSize = 1283

// The sizes checkpoints were signed at. The alterations are at index 700.
var tamperCheckpoints = []int64{1, 2, 3, 100, 512, 640, 699, 700, 701, 702, 1024, 1025, 1273, 1274, 1282, 1283}

// ledgerChain is a hash-chained ledger of n entries, as the store writes it.
func ledgerChain(t testing.TB, n int) []ledger.Entry {
	t.Helper()
	es := make([]ledger.Entry, n)
	at := time.Date(2026, 10, 1, 9, 30, 0, 0, time.UTC)
	for i := range es {
		body, err := ledger.Canonical(map[string]any{"coop": fmt.Sprintf("coop-%d", i%7), "points": i})
		if err != nil {
			t.Fatal(err)
		}
		es[i] = ledger.Entry{Kind: ledger.KindFact, Key: fmt.Sprintf("sha256:%064x", i), At: at.Add(time.Duration(i) * time.Minute), Body: body}
	}
	return rechain(es)
}

// rechain numbers the entries from 1 and chains their hashes, as a log
// rewriting its history would.
func rechain(es []ledger.Entry) []ledger.Entry {
	prev := ""
	for i := range es {
		es[i].Seq, es[i].Prev = int64(i+1), prev
		es[i].Hash = es[i].ComputeHash()
		prev = es[i].Hash
	}
	return es
}

// chainHolds says whether the ledger's own check (the hash chain) passes.
func chainHolds(es []ledger.Entry) error {
	var v ledger.Verifier
	for _, e := range es {
		if err := v.Add(e); err != nil {
			return err
		}
	}
	return nil
}

// tamperLog is a log built from ledger entries: their hashes and tree.
func tamperLog(t testing.TB, es []ledger.Entry) *testLog {
	t.Helper()
	l := &testLog{store: NewHashStore(int64(len(es)))}
	for _, e := range es {
		h, err := LeafHash(e.Hash)
		if err != nil {
			t.Fatal(err)
		}
		l.hashes = append(l.hashes, e.Hash)
		if err := l.store.Append(h); err != nil {
			t.Fatal(err)
		}
	}
	return l
}

func TestTamper(t *testing.T) {
	honest := ledgerChain(t, tamperSize)
	hl := tamperLog(t, honest)
	v := verifier(t, testVKey)
	signedCPs := map[int64][]byte{}
	var cps []Checkpoint
	for _, n := range tamperCheckpoints {
		signedCPs[n] = hl.signedAt(t, n)
		cp, err := Open(signedCPs[n], v)
		if err != nil {
			t.Fatal(err)
		}
		cps = append(cps, cp)
	}
	// The honest log holds all its checkpoints, by every means.
	checkTamper(t, "honest", honest, honest, cps, signedCPs, tamperSize)

	const k = 700 // where the alterations are
	cases := []struct {
		name      string
		alter     func(es []ledger.Entry) []ledger.Entry
		firstDiff int  // the first leaf that differs from the honest log's (or the altered log's length)
		chainOK   bool // the ledger's hash chain still holds
	}{
		{"one changed entry", func(es []ledger.Entry) []ledger.Entry {
			es[k].Body = []byte(`{"coop":"coop-0","points":1000000}`)
			es[k].Hash = es[k].ComputeHash()
			return es
		}, k, false},
		{"a deleted middle entry", func(es []ledger.Entry) []ledger.Entry { return slices.Delete(es, k, k+1) }, k, false},
		{"the last entry deleted", func(es []ledger.Entry) []ledger.Entry { return es[:tamperSize-1] }, tamperSize - 1, true},
		{"the last 10 entries deleted", func(es []ledger.Entry) []ledger.Entry { return es[:tamperSize-10] }, tamperSize - 10, true},
		{"every entry deleted", func(es []ledger.Entry) []ledger.Entry { return es[:0] }, 0, true},
		{"a swapped pair", func(es []ledger.Entry) []ledger.Entry { es[k], es[k+1] = es[k+1], es[k]; return es }, k, false},
		{"a duplicated entry", func(es []ledger.Entry) []ledger.Entry { return slices.Insert(es, k+1, es[k]) }, k + 1, false},
		{"a deletion, everything after re-hashed", func(es []ledger.Entry) []ledger.Entry {
			return rechain(slices.Delete(es, k, k+1))
		}, k, true},
		{"a deletion, re-hashed, and an entry added to keep the count", func(es []ledger.Entry) []ledger.Entry {
			es = slices.Delete(es, k, k+1)
			extra := es[len(es)-1]
			extra.Key += "-again"
			return rechain(append(es, extra))
		}, k, true},
		{"a changed entry, everything after re-hashed", func(es []ledger.Entry) []ledger.Entry {
			es[k].Body = []byte(`{"coop":"coop-0","points":1000000}`)
			return rechain(es)
		}, k, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			altered := c.alter(slices.Clone(honest))
			if err := chainHolds(altered); (err == nil) != c.chainOK {
				t.Fatalf("the hash chain of the altered log: %v", err)
			}
			checkTamper(t, c.name, honest, altered, cps, signedCPs, c.firstDiff)
		})
	}

	// A fork: the log signs two checkpoints of the same size over
	// different histories. Whoever sees both can tell from them alone.
	forked := tamperLog(t, cases[7].alter(slices.Clone(honest)))
	for _, n := range []int64{701, 1024, 1282} {
		a, err := Open(signedCPs[n], v)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Open(forked.signedAt(t, n), v)
		if err != nil {
			t.Fatal(err)
		}
		for _, pair := range [][2]Checkpoint{{a, b}, {b, a}} {
			err := CheckConsistency(pair[0], pair[1], nil)
			if !errors.Is(err, ErrInconsistent) || !strings.Contains(err.Error(), fmt.Sprintf("fork: two checkpoints of %d entries with different roots", n)) {
				t.Errorf("fork at %d: %v", n, err)
			}
		}
	}
}

// checkTamper checks, for a log altered from honest from leaf firstDiff on,
// that every checkpoint of the honest log whose size is over firstDiff is
// found not to hold, by each means, with an error that says so, and that
// the others hold.
func checkTamper(t *testing.T, name string, honest, altered []ledger.Entry, cps []Checkpoint, signedCPs map[int64][]byte, firstDiff int) {
	t.Helper()
	al := tamperLog(t, altered)
	n := int64(len(altered))
	v := verifier(t, testVKey)
	var failing int

	// 1. Reading the altered log whole, as `accord ledger verify --file X
	// --checkpoint …` does.
	pv := NewPrefixVerifier(cps...)
	for _, e := range altered {
		h, _ := LeafHash(e.Hash)
		pv.Append(h)
	}
	var want []string
	for _, cp := range cps {
		switch {
		case cp.Size <= int64(firstDiff):
		case cp.Size > n:
			want = append(want, fmt.Sprintf("checkpoint of %d entries: inconsistent: the log has %d entries, the checkpoint says %d", cp.Size, n, cp.Size))
		default:
			want = append(want, fmt.Sprintf("checkpoint of %d entries: inconsistent: the log's first %d entries have root ", cp.Size, cp.Size))
		}
	}
	failing = len(want)
	err := pv.Finish()
	var got []string
	if err != nil {
		got = strings.Split(err.Error(), "\n")
	}
	if len(got) != len(want) {
		t.Fatalf("%s: the whole log against the checkpoints: %d failures, want %d:\n%v", name, len(got), len(want), err)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("%s: failure %d: %s\nwant: %s…", name, i, got[i], want[i])
		}
	}
	if name != "honest" && failing == 0 {
		t.Fatalf("%s: no checkpoint fails", name)
	}

	// 2. A consistency proof from each honest checkpoint to the checkpoint
	// the altered log signs of itself, as a witness checks.
	var cur Checkpoint
	if n > 0 {
		var err error
		if cur, err = Open(al.signedAt(t, n), v); err != nil {
			t.Fatal(err)
		}
	} else {
		cur = Checkpoint{Origin: testOrigin, Size: 0, Root: EmptyRoot()}
	}
	for _, cp := range cps {
		var proof tlog.TreeProof
		if cp.Size <= n {
			var err error
			if proof, err = ProveConsistency(cp.Size, n, al.store); err != nil {
				t.Fatal(err)
			}
		}
		err := CheckConsistency(cp, cur, proof)
		switch {
		case cp.Size <= int64(firstDiff):
			if err != nil {
				t.Errorf("%s: the untouched checkpoint of %d: %v", name, cp.Size, err)
			}
		case !errors.Is(err, ErrInconsistent):
			t.Errorf("%s: consistency from %d to the altered %d: %v; want ErrInconsistent", name, cp.Size, n, err)
		case cp.Size > n && !strings.Contains(err.Error(), fmt.Sprintf("the newer checkpoint has %d entries, the older %d: the log was cut", n, cp.Size)),
			cp.Size == n && !strings.Contains(err.Error(), "fork"),
			cp.Size < n && !strings.Contains(err.Error(), fmt.Sprintf("the proof does not show the log of %d entries", n)):
			t.Errorf("%s: consistency from %d to the altered %d: %v", name, cp.Size, n, err)
		}
	}

	// 3. Inclusion proofs the altered log can make against an honest
	// checkpoint, of the entry that is at firstDiff now. (Of the entry
	// that was there, it can, where the proof needs no altered leaf: that
	// entry is in the checkpoint.)
	for _, cp := range cps {
		if cp.Size <= int64(firstDiff) {
			// The untouched prefix is still provable.
			if _, _, err := CheckInclusion(proveWith(t, al, cp.Size-1, cp.Size, honest[cp.Size-1].Hash, signedCPs[cp.Size]), v); err != nil {
				t.Errorf("%s: inclusion of entry %d in the untouched checkpoint of %d: %v", name, cp.Size-1, cp.Size, err)
			}
			continue
		}
		if cp.Size > n {
			if _, err := ProveInclusion(int64(firstDiff), cp.Size, al.store); err == nil {
				t.Errorf("%s: the altered log of %d entries proves inclusion at %d", name, n, cp.Size)
			}
			continue
		}
		e := altered[firstDiff].Hash
		file := proveWith(t, al, int64(firstDiff), cp.Size, e, signedCPs[cp.Size])
		_, _, err := CheckInclusion(file, v)
		if !errors.Is(err, ErrNotIncluded) || !strings.Contains(err.Error(), fmt.Sprintf("the leaf at index %d (entry seq %d) and the proof do not lead to the checkpoint's root (size %d", firstDiff, firstDiff+1, cp.Size)) {
			t.Errorf("%s: inclusion of %s… at %d against the checkpoint of %d: %v", name, e[:8], firstDiff, cp.Size, err)
		}
	}
}

// proveWith makes the inclusion proof file l gives for entry hash e at
// index against a signed checkpoint of size.
func proveWith(t *testing.T, l *testLog, index, size int64, e string, signed []byte) []byte {
	t.Helper()
	p, err := ProveInclusion(index, size, l.store)
	if err != nil {
		t.Fatal(err)
	}
	f, err := FormatProof(InclusionProof{Index: index, EntryHash: e, Hashes: p, Checkpoint: signed})
	if err != nil {
		t.Fatal(err)
	}
	return f
}
