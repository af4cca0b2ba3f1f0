package transparency

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

// The known-answer vectors of transparency-dev/merkle (testdata/merkle,
// see its README), run through this package's API: each vector becomes a
// checkpoint text (ParseCheckpoint), signed (Sign) and opened (Open), and,
// for inclusion, a proof file (ParseProof) with the vector's proof lines;
// then CheckLeaf or CheckConsistency. A vector is accepted when every step
// is; each wantErr vector must be refused by one of them, each other one
// accepted.

const vectorOrigin = "vectors.example/merkle"

type inclusionVector struct {
	LeafIdx  uint64   `json:"leafIdx"`
	TreeSize uint64   `json:"treeSize"`
	Root     string   `json:"root"`
	LeafHash string   `json:"leafHash"`
	Proof    []string `json:"proof"`
	Desc     string   `json:"desc"`
	WantErr  bool     `json:"wantErr"`
}

type consistencyVector struct {
	Size1   uint64   `json:"size1"`
	Size2   uint64   `json:"size2"`
	Root1   string   `json:"root1"`
	Root2   string   `json:"root2"`
	Proof   []string `json:"proof"`
	Desc    string   `json:"desc"`
	WantErr bool     `json:"wantErr"`
}

// unrepresentable are the valid vectors this package refuses, and why: a
// checkpoint's root is always 32 bytes.
var unrepresentable = map[string]string{
	"consistency/additional/sizes-are-equal-one-and-proof-is-empty.json": "its roots are 12 bytes (\"don't care 2\")",
}

// readVectors decodes every JSON file under testdata/merkle/dir into a map
// by path relative to testdata/merkle.
func readVectors[V any](t *testing.T, dir string) map[string]V {
	t.Helper()
	out := map[string]V{}
	root := filepath.Join("testdata", "merkle")
	err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var v V
		if err := json.Unmarshal(b, &v); err != nil {
			return fmt.Errorf("%s: %v", path, err)
		}
		rel, _ := filepath.Rel(root, path)
		out[filepath.ToSlash(rel)] = v
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 90 {
		t.Fatalf("%d vectors under %s", len(out), dir)
	}
	return out
}

// vectorCheckpoint makes a verified checkpoint of size and root (base64,
// as in the vector) the way a verifier gets one: the text, parsed, then
// signed and opened.
func vectorCheckpoint(t *testing.T, size uint64, root string) (Checkpoint, error) {
	cp, err := ParseCheckpoint(fmt.Appendf(nil, "%s\n%d\n%s\n", vectorOrigin, size, root))
	if err != nil {
		return cp, err
	}
	skey, vkey := vectorKey(t)
	signed, err := Sign(cp, signer(t, skey))
	if err != nil {
		t.Fatal(err)
	}
	return Open(signed, verifier(t, vkey))
}

var vectorKeys [2]string

func vectorKey(t *testing.T) (skey, vkey string) {
	if vectorKeys[0] == "" {
		s, v, err := GenerateKey(vectorOrigin)
		if err != nil {
			t.Fatal(err)
		}
		vectorKeys = [2]string{s, v}
	}
	return vectorKeys[0], vectorKeys[1]
}

func checkInclusionVector(t *testing.T, v inclusionVector) error {
	cp, err := vectorCheckpoint(t, v.TreeSize, v.Root)
	if err != nil {
		return err
	}
	skey, _ := vectorKey(t)
	signed, err := Sign(cp, signer(t, skey))
	if err != nil {
		t.Fatal(err)
	}
	var file strings.Builder
	fmt.Fprintf(&file, "%s\nindex %d\nentry %s\n", ProofHeader, v.LeafIdx, strings.Repeat("00", 32))
	for _, h := range v.Proof {
		file.WriteString(h + "\n")
	}
	file.WriteString("\n")
	file.Write(signed)
	p, err := ParseProof([]byte(file.String()))
	if err != nil {
		return err
	}
	leaf, err := parseHash(v.LeafHash)
	if err != nil {
		return fmt.Errorf("leaf hash %q %v", v.LeafHash, err)
	}
	return CheckLeaf(cp, p.Index, leaf, p.Hashes)
}

func checkConsistencyVector(t *testing.T, v consistencyVector) error {
	older, err := vectorCheckpoint(t, v.Size1, v.Root1)
	if err != nil {
		return fmt.Errorf("the older: %w", err)
	}
	newer, err := vectorCheckpoint(t, v.Size2, v.Root2)
	if err != nil {
		return fmt.Errorf("the newer: %w", err)
	}
	var proof tlog.TreeProof
	for i, s := range v.Proof {
		h, err := parseHash(s)
		if err != nil {
			return fmt.Errorf("proof hash %d %q %v", i+1, s, err)
		}
		proof = append(proof, h)
	}
	return CheckConsistency(older, newer, proof)
}

func TestInclusionVectors(t *testing.T) {
	var accepted, refused int
	for path, v := range readVectors[inclusionVector](t, "inclusion") {
		err := checkInclusionVector(t, v)
		switch {
		case v.WantErr && err == nil:
			t.Errorf("%s (%s): accepted; it must not be", path, v.Desc)
		case !v.WantErr && err != nil:
			t.Errorf("%s (%s): %v", path, v.Desc, err)
		case err == nil:
			accepted++
		default:
			refused++
		}
	}
	t.Logf("inclusion vectors: %d accepted, %d refused", accepted, refused)
}

func TestConsistencyVectors(t *testing.T) {
	var accepted, refused int
	for path, v := range readVectors[consistencyVector](t, "consistency") {
		err := checkConsistencyVector(t, v)
		why, skip := unrepresentable[path]
		switch {
		case skip:
			if v.WantErr || err == nil {
				t.Errorf("%s (%s) is no longer a valid vector this package refuses: wantErr %v, %v", path, v.Desc, v.WantErr, err)
			}
			t.Logf("%s (%s): refused, valid though it is: %s", path, v.Desc, why)
			refused++
		case v.WantErr && err == nil:
			t.Errorf("%s (%s): accepted; it must not be", path, v.Desc)
		case !v.WantErr && err != nil:
			t.Errorf("%s (%s): %v", path, v.Desc, err)
		case err == nil:
			accepted++
		default:
			refused++
		}
	}
	t.Logf("consistency vectors: %d accepted, %d refused", accepted, refused)
}

// rfc6962Tree holds the tree the happy-path vectors are of: the 8 leaves of
// RFC 6962's test data.
func rfc6962Tree(t *testing.T) *HashStore {
	s := NewHashStore(8)
	for _, x := range []string{"", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"} {
		data, err := hex.DecodeString(x)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Append(tlog.RecordHash(data)); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func b64(h tlog.Hash) string { return base64.StdEncoding.EncodeToString(h[:]) }

// TestVectorProofsMade: the proofs ProveInclusion and ProveConsistency make
// are the happy-path vectors' proofs, hash for hash, and the streaming Tree
// gives their roots.
func TestVectorProofsMade(t *testing.T) {
	s := rfc6962Tree(t)
	var tree Tree
	roots := []tlog.Hash{tree.Root()}
	for i := range int64(8) {
		h, _ := s.ReadHashes([]int64{tlog.StoredHashIndex(0, i)})
		tree.Append(h[0])
		roots = append(roots, tree.Root())
	}
	if got := hex.EncodeToString(roots[8][:]); got != "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328" {
		t.Fatalf("root of RFC 6962's 8 test leaves: %s", got)
	}
	n := 0
	for path, v := range readVectors[inclusionVector](t, "inclusion") {
		if v.WantErr || v.TreeSize > 8 || v.Root != b64(roots[v.TreeSize]) {
			continue
		}
		p, err := ProveInclusion(int64(v.LeafIdx), int64(v.TreeSize), s)
		if err != nil {
			t.Fatal(err)
		}
		got := []string{}
		for _, h := range p {
			got = append(got, b64(h))
		}
		if !slices.Equal(got, append([]string{}, v.Proof...)) {
			t.Errorf("%s: ProveInclusion = %q, want %q", path, got, v.Proof)
		}
		n++
	}
	for path, v := range readVectors[consistencyVector](t, "consistency") {
		if v.WantErr || v.Size2 > 8 || v.Root1 != b64(roots[v.Size1]) || v.Root2 != b64(roots[v.Size2]) {
			continue
		}
		p, err := ProveConsistency(int64(v.Size1), int64(v.Size2), s)
		if err != nil {
			t.Fatal(err)
		}
		got := []string{}
		for _, h := range p {
			got = append(got, b64(h))
		}
		if !slices.Equal(got, append([]string{}, v.Proof...)) {
			t.Errorf("%s: ProveConsistency = %q, want %q", path, got, v.Proof)
		}
		n++
	}
	if n < 10 {
		t.Errorf("only %d happy-path vectors are of the RFC 6962 test tree", n)
	}
}
