package transparency

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

func TestTreeProofText(t *testing.T) {
	hs := NewHashStore(0)
	for i := range 13 {
		hs.Append(tlog.RecordHash([]byte{byte(i)}))
	}
	proof, err := ProveConsistency(5, 13, hs)
	if err != nil || len(proof) == 0 {
		t.Fatal(proof, err)
	}
	text := FormatTreeProof(proof)
	if strings.Count(string(text), "\n") != len(proof) {
		t.Errorf("%q: want one line a hash", text)
	}
	back, err := ParseTreeProof(text)
	if err != nil || !slices.Equal(back, proof) {
		t.Errorf("read back %v %v", back, err)
	}
	if p, err := ParseTreeProof(FormatTreeProof(nil)); err != nil || len(p) != 0 {
		t.Errorf("empty proof: %v %v", p, err)
	}
	for _, bad := range []string{"not base64\n", "AAAA\n", strings.Repeat("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", maxProofHashes+1)} {
		if _, err := ParseTreeProof([]byte(bad)); err == nil {
			t.Errorf("%.20q: no error", bad)
		} else if len(bad) < 50 && !errors.Is(err, ErrMalformed) {
			t.Errorf("%.20q: %v, want ErrMalformed", bad, err)
		}
	}
}
