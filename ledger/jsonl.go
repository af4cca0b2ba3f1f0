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

// parseJSONL decodes one line of an export. The entry's Body may share
// text's memory.
func parseJSONL(text []byte, line int) (Entry, error) {
	if e, ok := parseExact(text); ok {
		return e, nil
	}
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

// parseExact reads a line laid out exactly as WriteJSONL writes it, with
// kind, key, at, prev and hash printable ASCII without escapes, as every
// entry Accord writes is: in one pass over the body (json.Valid) rather
// than the three of the general decoder. For any other line ok is false
// and the general decoder reads it, so that what is accepted, and as
// what, is the same either way (FuzzParseJSONL checks it). Body is a part
// of text.
func parseExact(text []byte) (e Entry, ok bool) {
	rest, ok := bytes.CutPrefix(text, []byte(`{"seq":`))
	if !ok {
		return e, false
	}
	i := 0
	for i < len(rest) && i < 18 && '0' <= rest[i] && rest[i] <= '9' {
		e.Seq = e.Seq*10 + int64(rest[i]-'0')
		i++
	}
	if i == 0 || rest[0] == '0' && i > 1 {
		return e, false
	}
	var kind, key, at, prev, hash []byte
	if kind, rest, ok = plainField(rest[i:], `,"kind":`); !ok {
		return e, false
	}
	if key, rest, ok = plainField(rest, `,"key":`); !ok {
		return e, false
	}
	if at, rest, ok = plainField(rest, `,"at":`); !ok {
		return e, false
	}
	if rest, ok = bytes.CutPrefix(rest, []byte(`,"body":`)); !ok {
		return e, false
	}
	// The body ends where the last `,"prev":"` begins: neither prev nor
	// hash can hold a quote.
	end := bytes.LastIndex(rest, []byte(`,"prev":"`))
	if end < 0 {
		return e, false
	}
	body := rest[:end]
	if prev, rest, ok = plainField(rest[end:], `,"prev":`); !ok {
		return e, false
	}
	if hash, rest, ok = plainField(rest, `,"hash":`); !ok || string(rest) != "}" || !json.Valid(body) {
		return e, false
	}
	if err := e.At.UnmarshalJSON(at); err != nil {
		return e, false
	}
	switch k := unquote(kind); string(k) { // the most frequent kinds, without a copy
	case KindFact:
		e.Kind = KindFact
	case KindVote:
		e.Kind = KindVote
	default:
		e.Kind = string(k)
	}
	e.Key, e.Prev, e.Hash = string(unquote(key)), string(unquote(prev)), string(unquote(hash))
	e.Body = body
	return e, true
}

func unquote(s []byte) []byte { return s[1 : len(s)-1] }

// plainField reads name and then a JSON string of printable ASCII without
// escapes; it returns the string with its quotes, and what follows it.
func plainField(text []byte, name string) (value, rest []byte, ok bool) {
	text, ok = bytes.CutPrefix(text, []byte(name))
	if !ok || len(text) == 0 || text[0] != '"' {
		return nil, nil, false
	}
	for i := 1; i < len(text); i++ {
		switch c := text[i]; {
		case c == '"':
			return text[:i+1], text[i+1:], true
		case c < 0x20 || c > 0x7e || c == '\\':
			return nil, nil, false
		}
	}
	return nil, nil, false
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
