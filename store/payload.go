package store

import (
	"fmt"

	"github.com/klauspost/compress/s2"
)

// Bodies are stored compressed with S2 (a faster Snappy): webhook JSON
// shrinks about 4×, so a 12 KiB delivery is one database page instead of
// four, which is most of what a stored delivery costs (the page is written
// to the WAL and again at checkpoint). Compressing takes a few µs and runs
// in the request's goroutine, not in the single writer.
const bodyEncoding = "s2"

// packBody compresses a body for storage.
func packBody(body []byte) []byte { return s2.Encode(nil, body) }

// unpackBody restores a stored body.
func unpackBody(encoding string, stored []byte) ([]byte, error) {
	switch encoding {
	case bodyEncoding:
		return s2.Decode(nil, stored)
	case "":
		return stored, nil
	}
	return nil, fmt.Errorf("unknown body encoding %q", encoding)
}
