package ledger

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// chain makes n linked entries, facts with distinct bodies.
func chain(t *testing.T, n int) []Entry {
	t.Helper()
	var out []Entry
	prev := ""
	at := time.Date(2026, 10, 1, 9, 30, 0, 123456789, time.UTC)
	for i := 1; i <= n; i++ {
		f := Fact{Kind: FactPRMerged, Forge: "github", Repo: "cotech/website", Number: int64(i),
			Who: Person{Identity: "github:alice"}, At: at, Delivery: fmt.Sprintf("github/d-%d", i)}
		f.ID = FactID(f.Kind, f.Forge, f.Repo, fmt.Sprint(f.Number))
		body, err := Canonical(f)
		if err != nil {
			t.Fatal(err)
		}
		e := Entry{Seq: int64(i), Kind: KindFact, Key: f.ID, At: at.Add(time.Duration(i) * time.Second), Body: body, Prev: prev}
		e.Hash = e.ComputeHash()
		prev = e.Hash
		out = append(out, e)
	}
	return out
}

// verify runs es through a Verifier.
func verify(es []Entry) (int64, string, error) {
	var v Verifier
	for _, e := range es {
		if err := v.Add(e); err != nil {
			return v.Count(), v.Head(), err
		}
	}
	return v.Count(), v.Head(), nil
}

// wantBroken checks that err is a *BrokenError for seq.
func wantBroken(t *testing.T, err error, seq int64, what string) {
	t.Helper()
	var be *BrokenError
	if !errors.As(err, &be) || be.Seq != seq {
		t.Fatalf("%s: got %v, want a BrokenError for entry %d", what, err, seq)
	}
}

func TestChainVerifies(t *testing.T) {
	es := chain(t, 10)
	n, head, err := verify(es)
	if err != nil || n != 10 || head != es[9].Hash {
		t.Fatalf("verify: %d %s %v", n, head, err)
	}
	if n, head, err := verify(nil); err != nil || n != 0 || head != "" {
		t.Fatalf("empty chain: %d %q %v", n, head, err)
	}
}

func TestChangedByteIsNamed(t *testing.T) {
	es := chain(t, 10)
	i := bytes.Index(es[4].Body, []byte("cotech"))
	es[4].Body = bytes.Clone(es[4].Body)
	es[4].Body[i] = 'k'
	n, _, err := verify(es)
	wantBroken(t, err, 5, "changed body")
	if n != 4 || !strings.Contains(err.Error(), "ledger entry 5") {
		t.Errorf("count %d, error %q", n, err)
	}

	// A changed time, kind or key is a changed entry too.
	for name, change := range map[string]func(*Entry){
		"at":   func(e *Entry) { e.At = e.At.Add(time.Nanosecond) },
		"kind": func(e *Entry) { e.Kind = KindVote },
		"key":  func(e *Entry) { e.Key += "x" },
	} {
		es := chain(t, 5)
		change(&es[2])
		_, _, err := verify(es)
		wantBroken(t, err, 3, "changed "+name)
	}

	// Re-hashing the changed entry breaks the link of the next one.
	es = chain(t, 5)
	es[2].Body = []byte(`{"id":"forged"}`)
	es[2].Hash = es[2].ComputeHash()
	_, _, err = verify(es)
	wantBroken(t, err, 4, "changed and re-hashed")
}

func TestDeletedEntryIsNamed(t *testing.T) {
	es := chain(t, 10)
	es = append(es[:6:6], es[7:]...) // entry 7 removed
	_, _, err := verify(es)
	wantBroken(t, err, 8, "deleted entry")
	if !strings.Contains(err.Error(), "expected entry 7") {
		t.Errorf("error does not name the missing entry: %v", err)
	}
	// The first one deleted.
	_, _, err = verify(chain(t, 3)[1:])
	wantBroken(t, err, 2, "deleted first entry")
}

func TestReorderedPairIsNamed(t *testing.T) {
	es := chain(t, 10)
	es[3], es[4] = es[4], es[3]
	_, _, err := verify(es)
	wantBroken(t, err, 5, "reordered pair")

	// Renumbered as well, so the sequence looks right: the link breaks.
	es = chain(t, 10)
	es[3], es[4] = es[4], es[3]
	es[3].Seq, es[4].Seq = 4, 5
	_, _, err = verify(es)
	wantBroken(t, err, 4, "reordered and renumbered pair")
}

func exportOf(t *testing.T, es []Entry) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, e := range es {
		if err := WriteJSONL(&b, e); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

func TestJSONLRoundTrip(t *testing.T) {
	es := chain(t, 20)
	// Bodies with what JSON might escape: HTML, non-ASCII, separators.
	f := Fact{ID: "x", Kind: FactManual, Reason: "<b>Fix</b> & ship — «ça»\u2028✓", At: time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("x", 3600))}
	body, _ := Canonical(f)
	last := &es[len(es)-1]
	e := Entry{Seq: 21, Kind: KindFact, Key: "k<&>", At: last.At.In(time.FixedZone("y", -7200)), Body: body, Prev: last.Hash}
	e.Hash = e.ComputeHash()
	es = append(es, e)

	out := exportOf(t, es)
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(es) {
		t.Fatalf("%d lines for %d entries", len(lines), len(es))
	}
	for i, l := range lines {
		var got Entry
		if err := json.Unmarshal([]byte(l), &got); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		want := es[i]
		if got.Seq != want.Seq || got.Kind != want.Kind || got.Key != want.Key || !got.At.Equal(want.At) ||
			!bytes.Equal(got.Body, want.Body) || got.Prev != want.Prev || got.Hash != want.Hash {
			t.Errorf("line %d: got %+v, want %+v", i+1, got, want)
		}
	}
	if !strings.Contains(lines[20], `"at":"2026-10-01T09:30:20.123456789Z"`) || !strings.Contains(lines[20], `"body":`+string(body)+`,`) {
		t.Errorf("at not in UTC or body not embedded as is:\n%s", lines[20])
	}
	n, head, err := VerifyJSONL(bytes.NewReader(out))
	if err != nil || n != 21 || head != e.Hash {
		t.Fatalf("VerifyJSONL: %d %s %v", n, head, err)
	}
	// Without the final newline, and with CRLF line ends, it is the same.
	for _, v := range [][]byte{bytes.TrimSuffix(out, []byte("\n")), bytes.ReplaceAll(out, []byte("\n"), []byte("\r\n"))} {
		if n, head2, err := VerifyJSONL(bytes.NewReader(v)); err != nil || n != 21 || head2 != head {
			t.Errorf("variant: %d %s %v", n, head2, err)
		}
	}
}

func TestJSONLTamperIsNamed(t *testing.T) {
	es := chain(t, 10)
	out := exportOf(t, es)
	lines := bytes.SplitAfter(out, []byte("\n"))

	// One byte of entry 6's body.
	changed := bytes.Clone(out)
	i := bytes.Index(changed, lines[5]) + bytes.Index(lines[5], []byte("cotech"))
	changed[i] = 'C'
	n, _, err := VerifyJSONL(bytes.NewReader(changed))
	wantBroken(t, err, 6, "changed byte in an export")
	if n != 5 {
		t.Errorf("count %d, want 5", n)
	}

	// A deleted line.
	deleted := bytes.Join(append(append([][]byte{}, lines[:2]...), lines[3:]...), nil)
	_, _, err = VerifyJSONL(bytes.NewReader(deleted))
	wantBroken(t, err, 4, "deleted line")

	// A reordered pair.
	swapped := bytes.Join([][]byte{bytes.Join(lines[:7], nil), lines[8], lines[7], bytes.Join(lines[9:], nil)}, nil)
	_, _, err = VerifyJSONL(bytes.NewReader(swapped))
	wantBroken(t, err, 9, "reordered lines")

	// A line broken but for its seq is named by its seq; one that is not an
	// entry at all by its line number.
	broken := bytes.Replace(out, []byte(`,"prev":"`+es[2].Prev), []byte(`,"prev":`+es[2].Prev), 1)
	_, _, err = VerifyJSONL(bytes.NewReader(broken))
	wantBroken(t, err, 3, "malformed line")
	if !strings.Contains(err.Error(), "line 3") {
		t.Errorf("error does not say the line: %v", err)
	}
	broken = bytes.Replace(out, lines[3], []byte("garbage\n"), 1)
	_, _, err = VerifyJSONL(bytes.NewReader(broken))
	var be *BrokenError
	if err == nil || errors.As(err, &be) || !strings.Contains(err.Error(), "line 4") {
		t.Errorf("garbage line: %v, want an error naming line 4", err)
	}
	// An unknown field is not an entry either.
	broken = bytes.Replace(out, []byte(`{"seq":2,`), []byte(`{"seq":2,"extra":1,`), 1)
	_, _, err = VerifyJSONL(bytes.NewReader(broken))
	wantBroken(t, err, 2, "unknown field")
}

func TestWriteJSONLRefusesMultilineBody(t *testing.T) {
	e := chain(t, 1)[0]
	e.Body = []byte("{\n}")
	if err := WriteJSONL(&bytes.Buffer{}, e); err == nil {
		t.Error("a body on two lines was written")
	}
	e.Body = []byte("{")
	if err := WriteJSONL(&bytes.Buffer{}, e); err == nil {
		t.Error("a body that is not JSON was written")
	}
}

// TestCanonicalIsStable: encode, decode, encode gives the same bytes, for
// what JSON encoders tend to rewrite.
func TestCanonicalIsStable(t *testing.T) {
	f := Fact{
		ID: FactID(FactManual, "codeberg", "x"), Kind: FactManual, Forge: "codeberg", Repo: "coop/ünïcode",
		Who:       Person{Identity: "codeberg:zoë", Email: "zoë@example.coop", Name: "Zoë 李 🚀"},
		CoAuthors: []Person{{Email: "a&b@example.coop", Name: "<script>alert(1)</script>"}},
		At:        time.Date(2026, 2, 28, 23, 59, 59, 999999999, time.UTC),
		Labels:    []string{"bug", "a>b", "x&y", "\u2028line\u2029sep", "tab\tquote\"back\\"},
		Points:    1500, Reason: "for <the> docs & more — ✓", By: "codeberg:alice",
		Delivery: "codeberg/42",
	}
	for _, at := range []time.Time{f.At, time.Date(2026, 3, 1, 0, 0, 0, 120000, time.FixedZone("CET", 3600)), time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)} {
		f.At = at
		b1, err := Canonical(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b1, []byte(`\u003c`)) || bytes.HasSuffix(b1, []byte("\n")) || !bytes.Contains(b1, []byte("<script>")) {
			t.Errorf("not canonical (HTML escaped or trailing newline): %s", b1)
		}
		var back Fact
		if err := json.Unmarshal(b1, &back); err != nil {
			t.Fatal(err)
		}
		b2, err := Canonical(back)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b1, b2) {
			t.Errorf("not stable:\n%s\n%s", b1, b2)
		}
		// Raw JSON canonicalizes to itself.
		b3, err := Canonical(json.RawMessage(b1))
		if err != nil || !bytes.Equal(b1, b3) {
			t.Errorf("raw: %v\n%s\n%s", err, b1, b3)
		}
	}
	// A known encoding, so that a change to it is seen: hashes of past
	// entries depend on it.
	e := Entry{Seq: 1, Kind: KindFact, Key: "k", At: time.Date(2026, 1, 1, 0, 0, 0, 5, time.UTC), Body: []byte(`{"a":1}`)}
	// (printf 'accord-ledger-v1\n1\nfact\nk\n2026-01-01T00:00:00.000000005Z\n\n{"a":1}' | sha256sum)
	if got, want := e.ComputeHash(), "135b7bc205cf6f7d00da7852b23daa26b8e9538efa630ac2f51e7404a3560067"; got != want {
		t.Errorf("ComputeHash: %s, want %s: the encoding of entries must not change", got, want)
	}
}

// TestJSONLReaderGoesOn: a line that is not an entry is named, and the
// reader goes on to the next one.
func TestJSONLReaderGoesOn(t *testing.T) {
	es := chain(t, 4)
	out := exportOf(t, es)
	lines := bytes.SplitAfter(out, []byte("\n"))
	in := bytes.Join([][]byte{lines[0], []byte("\n  \n"), []byte("garbage\n"), lines[1],
		bytes.Replace(lines[2], []byte(`"kind"`), []byte(`"kinds"`), 1), lines[3]}, nil)
	r := NewJSONLReader(bytes.NewReader(bytes.TrimSuffix(in, []byte("\n"))))
	var got []string
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		var be *BrokenError
		var le *LineError
		switch {
		case err == nil:
			got = append(got, fmt.Sprintf("%d@%d", e.Seq, r.Line()))
		case errors.As(err, &be):
			got = append(got, fmt.Sprintf("broken %d@%d", be.Seq, r.Line()))
		case errors.As(err, &le):
			got = append(got, fmt.Sprintf("line %d", le.Line))
		default:
			t.Fatal(err)
		}
	}
	if want := "1@1 line 4 2@5 broken 3@6 4@7"; strings.Join(got, " ") != want {
		t.Errorf("read %q, want %q", strings.Join(got, " "), want)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("after the end: %v", err)
	}
}
