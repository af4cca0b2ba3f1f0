package ledger

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"
)

// FuzzParseJSONL feeds random exports to the import path (JSONLReader, as
// VerifyJSONL and `accord audit` read): it must not panic; every line must
// be read the same by the fast path (parseExact) as by the general JSON
// decoder, or refused by both; an entry read must write back (WriteJSONL)
// to a line that reads as the same entry; and reading goes on to the end
// past lines that are not entries. The seed corpus is in
// testdata/fuzz/FuzzParseJSONL.
func FuzzParseJSONL(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, line := range bytes.Split(data, []byte("\n")) {
			text := bytes.TrimSpace(line)
			if len(text) == 0 {
				continue
			}
			fast, ok := parseExact(text)
			slow, err := parseGeneral(text)
			if ok && (err != nil || !sameEntry(fast, slow) || fast.At.Location().String() != slow.At.Location().String()) {
				t.Fatalf("the fast path reads %q as %+v; the decoder: %+v, %v", text, fast, slow, err)
			}
			e, err := parseJSONL(text, 1)
			var be *BrokenError
			var le *LineError
			if err != nil {
				if !errors.As(err, &be) && !errors.As(err, &le) {
					t.Fatalf("%q: %T %v", text, err, err)
				}
				continue
			}
			var out bytes.Buffer
			if WriteJSONL(&out, e) != nil {
				continue // a body on more than one line: written by no one
			}
			back, err := parseJSONL(bytes.TrimSpace(out.Bytes()), 1)
			if err != nil || !sameEntry(e, back) {
				t.Fatalf("%q written as %q reads back as %+v, %v", text, out.Bytes(), back, err)
			}
			if _, ok := parseExact(bytes.TrimSpace(out.Bytes())); !ok && isPlain(e) {
				t.Fatalf("the fast path refuses what WriteJSONL writes: %q", out.Bytes())
			}
		}
		r := NewJSONLReader(bytes.NewReader(data))
		for n := 0; ; n++ {
			_, err := r.Next()
			if err == io.EOF {
				break
			}
			var be *BrokenError
			var le *LineError
			if err != nil && !errors.As(err, &be) && !errors.As(err, &le) {
				t.Fatalf("reading: %v", err)
			}
			if n > len(data) {
				t.Fatal("more entries than bytes")
			}
		}
	})
}

// parseGeneral is parseJSONL without the fast path.
func parseGeneral(text []byte) (Entry, error) {
	var e Entry
	if !json.Valid(text) {
		return e, errors.New("not valid JSON")
	}
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.DisallowUnknownFields()
	err := dec.Decode(&e)
	return e, err
}

func sameEntry(a, b Entry) bool {
	return a.Seq == b.Seq && a.Kind == b.Kind && a.Key == b.Key && a.At.Equal(b.At) &&
		bytes.Equal(a.Body, b.Body) && a.Prev == b.Prev && a.Hash == b.Hash && a.ComputeHash() == b.ComputeHash()
}

// isPlain: an entry whose strings the fast path reads (printable ASCII).
func isPlain(e Entry) bool {
	if e.Seq < 0 || e.Seq > 999_999_999_999_999_999 {
		return false
	}
	for _, s := range []string{e.Kind, e.Key, e.Prev, e.Hash} {
		for i := 0; i < len(s); i++ {
			if s[i] < 0x20 || s[i] > 0x7e || s[i] == '"' || s[i] == '\\' {
				return false
			}
		}
	}
	return true
}
