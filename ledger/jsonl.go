package ledger

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
)

// An export of the ledger is JSON Lines: one entry per line, in order, each
// the JSON of Entry with at in RFC 3339 UTC with nanoseconds and body the
// entry's canonical JSON exactly as hashed:
//
//	{"seq":1,"kind":"fact","key":"sha256:…","at":"2026-10-01T09:30:00.123456789Z","body":{…},"prev":"","hash":"9f2c…"}
//
// Anyone with a copy can check it with VerifyJSONL (`accord ledger verify
// --file`), without Accord's database.

// WriteJSONL writes e as one line of an export. The body is written byte
// for byte as stored, so that the export verifies exactly when the ledger
// does; it must be one line of JSON (as Canonical makes it).
func WriteJSONL(w io.Writer, e Entry) error {
	if !json.Valid(e.Body) || bytes.ContainsAny(e.Body, "\r\n") {
		return fmt.Errorf("ledger entry %d: its body is not one line of JSON", e.Seq)
	}
	var b bytes.Buffer
	b.WriteString(`{"seq":`)
	b.WriteString(strconv.FormatInt(e.Seq, 10))
	b.WriteString(`,"kind":`)
	writeJSONString(&b, e.Kind)
	b.WriteString(`,"key":`)
	writeJSONString(&b, e.Key)
	b.WriteString(`,"at":"`)
	b.WriteString(e.At.UTC().Format(time.RFC3339Nano))
	b.WriteString(`","body":`)
	b.Write(e.Body)
	b.WriteString(`,"prev":`)
	writeJSONString(&b, e.Prev)
	b.WriteString(`,"hash":`)
	writeJSONString(&b, e.Hash)
	b.WriteString("}\n")
	_, err := w.Write(b.Bytes())
	return err
}

// writeJSONString writes s as a JSON string, without HTML escaping.
func writeJSONString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	enc.Encode(s) // a string always encodes
	b.Truncate(b.Len() - 1)
}

// VerifyJSONL reads an export (WriteJSONL's lines) and verifies its chain as
// Verifier does. It returns how many entries hold and the hash of the last
// of them. For the first entry that does not hold the error is a
// *BrokenError; so it is for a line that is not a well-formed entry but
// whose seq can be read. A line whose seq cannot be read either is an error
// naming the line's number. Blank lines are skipped.
func VerifyJSONL(r io.Reader) (count int64, head string, err error) {
	var v Verifier
	jr := NewJSONLReader(r)
	for {
		e, err := jr.Next()
		if err == io.EOF {
			return v.Count(), v.Head(), nil
		}
		if err == nil {
			err = v.Add(e)
		}
		if err != nil {
			return v.Count(), v.Head(), err
		}
	}
}

// JSONLReader reads an export one entry at a time, in order, without
// checking the chain (VerifyJSONL and `accord audit` read with it). Its
// memory does not grow with the export: each line is read, decoded and
// handed on.
type JSONLReader struct {
	br   *bufio.Reader
	line int
	err  error // a read error or io.EOF: every later Next returns it
}

// NewJSONLReader reads an export from r.
func NewJSONLReader(r io.Reader) *JSONLReader {
	return &JSONLReader{br: bufio.NewReaderSize(r, 1<<16)}
}

// Line is the number of the line Next read last (1 for the first).
func (r *JSONLReader) Line() int { return r.line }

// Next returns the next entry, skipping blank lines, and io.EOF after the
// last. A line that is not a well-formed entry gives a *BrokenError when
// its seq can be read, else a *LineError; either way Next has moved past
// it, so reading may go on. An error reading r ends the reading: it is
// returned, naming the line, by this and every later call.
func (r *JSONLReader) Next() (Entry, error) {
	for r.err == nil {
		r.line++
		text, err := r.br.ReadBytes('\n')
		if err != nil {
			if errors.Is(err, io.EOF) {
				r.err = io.EOF
			} else {
				r.err = fmt.Errorf("line %d: %w", r.line, err)
				return Entry{}, r.err
			}
		}
		if t := bytes.TrimSpace(text); len(t) > 0 {
			return parseJSONL(t, r.line)
		}
	}
	return Entry{}, r.err
}

// LineError is a line of an export that is not a ledger entry, not even
// one whose seq can be read.
type LineError struct {
	Line int
	Err  error
}

func (e *LineError) Error() string {
	return fmt.Sprintf("line %d is not a ledger entry: %v", e.Line, e.Err)
}

func (e *LineError) Unwrap() error { return e.Err }

// parseJSONL decodes one line of an export.
func parseJSONL(text []byte, line int) (Entry, error) {
	var e Entry
	var err error
	if !json.Valid(text) {
		var raw json.RawMessage
		if err = json.Unmarshal(text, &raw); err == nil { // not expected: it says why
			err = errors.New("not valid JSON")
		}
	} else {
		dec := json.NewDecoder(bytes.NewReader(text))
		dec.DisallowUnknownFields()
		if err = dec.Decode(&e); err == nil {
			return e, nil
		}
	}
	if seq, ok := readSeq(text); ok {
		return e, &BrokenError{Seq: seq, Reason: fmt.Sprintf("line %d is not a well-formed entry: %v", line, err)}
	}
	return e, &LineError{Line: line, Err: err}
}

// readSeq reads the seq of a line that is not a well-formed entry, if it
// can be read before whatever is wrong with the line.
func readSeq(text []byte) (int64, bool) {
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return 0, false
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return 0, false
		}
		if k == "seq" {
			v, err := dec.Token()
			if n, ok := v.(json.Number); ok && err == nil {
				seq, err := n.Int64()
				return seq, err == nil
			}
			return 0, false
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return 0, false
		}
	}
	return 0, false
}
