package store

import (
	"bytes"
	"testing"
)

// FuzzPayloadCodec: every body packed reads back byte for byte, and no
// stored bytes (a damaged database, an unknown encoding) make unpacking
// panic: they give an error.
func FuzzPayloadCodec(f *testing.F) {
	f.Add([]byte(`{"action":"created","comment":{"body":"/vote yes"}}`), []byte{0xff, 0x00}, "s2")
	f.Add([]byte{}, []byte{}, "")
	f.Add([]byte("payload=%7B%7D"), []byte("garbage"), "zstd")
	f.Fuzz(func(t *testing.T, body, stored []byte, encoding string) {
		got, err := unpackBody(bodyEncoding, packBody(body))
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("round trip: %v, %d bytes back of %d", err, len(got), len(body))
		}
		if raw, err := unpackBody("", body); err != nil || !bytes.Equal(raw, body) {
			t.Fatalf("as received: %v", err)
		}
		unpackBody(encoding, stored) // an error or a body, never a panic
	})
}
