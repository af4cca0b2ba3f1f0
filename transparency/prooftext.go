package transparency

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

// maxProofHashes bounds a consistency proof read from text: no tree of up
// to MaxSize leaves needs more.
const maxProofHashes = 2 * 64

// FormatTreeProof writes a consistency proof as the server's
// /api/v1/ledger/consistency answers it: one base64 hash a line, each line
// ended by \n (nothing at all for an empty proof).
func FormatTreeProof(proof tlog.TreeProof) []byte {
	var b strings.Builder
	for _, h := range proof {
		b.WriteString(base64.StdEncoding.EncodeToString(h[:]))
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

// ParseTreeProof reads what FormatTreeProof writes.
func ParseTreeProof(text []byte) (tlog.TreeProof, error) {
	proof := tlog.TreeProof{}
	if len(text) == 0 {
		return proof, nil
	}
	for i, line := range strings.Split(strings.TrimSuffix(string(text), "\n"), "\n") {
		b, err := base64.StdEncoding.DecodeString(line)
		if err != nil || len(b) != len(tlog.Hash{}) {
			return nil, fmt.Errorf("%w: consistency proof line %d is not a base64 hash of 32 bytes", ErrMalformed, i+1)
		}
		if len(proof) == maxProofHashes {
			return nil, errors.New("transparency: a consistency proof with more hashes than any tree needs")
		}
		proof = append(proof, tlog.Hash(b))
	}
	return proof, nil
}
