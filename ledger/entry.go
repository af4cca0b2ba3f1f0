package ledger

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Entry kinds.
const (
	KindPolicy  = "policy"  // a policy version taken into force
	KindFact    = "fact"    // a contribution
	KindVote    = "vote"    // a vote cast, changed or withdrawn
	KindOutcome = "outcome" // a proposal's result

	KindProposal = "proposal" // a proposal opened, with the rules it runs under
	KindPayout   = "payout"   // a budget paid out by a passed vote (not written yet)
)

// Entry is one link of the chain.
type Entry struct {
	Seq  int64           `json:"seq"`  // 1, 2, 3 … with no gaps
	Kind string          `json:"kind"` // Kind*
	Key  string          `json:"key"`  // unique per entry: a fact's ID, a policy version …
	At   time.Time       `json:"at"`   // when it was recorded
	Body json.RawMessage `json:"body"` // the fact, vote …, in canonical JSON
	Prev string          `json:"prev"` // the previous entry's Hash; "" for the first
	Hash string          `json:"hash"` // ComputeHash of this entry
}

// ComputeHash is the entry's hash: the hex SHA-256 of its canonical
// encoding, which is stable across versions of Accord:
//
//	"accord-ledger-v1\n" seq "\n" kind "\n" key "\n" at "\n" prev "\n" body
//
// where seq is decimal, at is RFC 3339 in UTC with nanoseconds
// (time.RFC3339Nano), and body is the canonical JSON of the entry's content
// (Canonical). Hash itself is not part of it.
func (e *Entry) ComputeHash() string {
	h := sha256.New()
	var buf [256]byte
	b := append(buf[:0], "accord-ledger-v1\n"...)
	b = strconv.AppendInt(b, e.Seq, 10)
	b = append(append(b, '\n'), e.Kind...)
	b = append(append(b, '\n'), e.Key...)
	b = e.At.UTC().AppendFormat(append(b, '\n'), time.RFC3339Nano)
	b = append(append(b, '\n'), e.Prev...)
	h.Write(append(b, '\n'))
	h.Write(e.Body)
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0]))
}

// Canonical is v's canonical JSON: encoding/json's output (struct fields in
// declaration order, map keys sorted, no HTML escaping) compacted, without
// a trailing newline. Decoding it and encoding it again gives the same bytes.
func Canonical(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// BrokenError names the first entry where the chain does not hold.
type BrokenError struct {
	Seq    int64  // the entry's Seq, as stored
	Reason string // what is wrong with it
}

func (e *BrokenError) Error() string { return fmt.Sprintf("ledger entry %d: %s", e.Seq, e.Reason) }

// Verifier checks a chain one entry at a time, in order. Its zero value
// expects the first entry.
type Verifier struct {
	seq  int64  // the last entry's
	hash string // the last entry's
	n    int64
}

// Add checks the next entry: its Seq follows the previous one, its Prev is
// the previous Hash, and its Hash is what ComputeHash gives. It returns a
// *BrokenError for the first entry that fails.
func (v *Verifier) Add(e Entry) error {
	wantSeq, wantPrev := v.seq+1, v.hash
	switch {
	case e.Seq != wantSeq:
		return &BrokenError{Seq: e.Seq, Reason: fmt.Sprintf("out of order or missing: expected entry %d here", wantSeq)}
	case e.Prev != wantPrev:
		return &BrokenError{Seq: e.Seq, Reason: "its link to the previous entry does not match (an entry before it was changed, removed or reordered)"}
	case e.ComputeHash() != e.Hash:
		return &BrokenError{Seq: e.Seq, Reason: "its content does not match its hash (it was changed)"}
	}
	v.seq, v.hash = e.Seq, e.Hash
	v.n++
	return nil
}

// Count is how many entries have been checked.
func (v *Verifier) Count() int64 { return v.n }

// Head is the hash of the last entry checked, "" for none.
func (v *Verifier) Head() string { return v.hash }
