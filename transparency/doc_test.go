package transparency

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"testing"
)

// verifyAsDocumented checks an inclusion proof file as the package
// documentation says a verifier must, with the standard library alone: it
// is the check that the documentation is exact.
func verifyAsDocumented(file []byte, vkey string) error {
	// The verifier key: name+hash+base64(0x01 ‖ public key).
	vk := strings.SplitN(vkey, "+", 3)
	if len(vk) != 3 {
		return errors.New("verifier key")
	}
	name := vk[0]
	keyHash, err := strconv.ParseUint(vk[1], 16, 32)
	key, err2 := base64.StdEncoding.DecodeString(vk[2])
	if err != nil || err2 != nil || len(key) != 33 || key[0] != 0x01 {
		return errors.New("verifier key")
	}
	sum := sha256.Sum256([]byte(name + "\n" + string(key)))
	if binary.BigEndian.Uint32(sum[:4]) != uint32(keyHash) {
		return errors.New("key hash")
	}

	// The proof: header, index, entry, proof hashes, a blank line, the
	// signed checkpoint.
	head, signed, ok := strings.Cut(string(file), "\n\n")
	if !ok {
		return errors.New("no blank line")
	}
	lines := strings.Split(head, "\n")
	if len(lines) < 3 || lines[0] != "accord-inclusion-proof v1" || !strings.HasPrefix(lines[1], "index ") || !strings.HasPrefix(lines[2], "entry ") {
		return errors.New("proof lines")
	}
	index, err := strconv.ParseUint(lines[1][len("index "):], 10, 63)
	if err != nil {
		return err
	}
	data, err := hex.DecodeString(lines[2][len("entry "):])
	if err != nil || len(data) != 32 {
		return errors.New("entry hash")
	}
	var path [][]byte
	for _, l := range lines[3:] {
		p, err := base64.StdEncoding.DecodeString(l)
		if err != nil || len(p) != 32 {
			return errors.New("proof hash")
		}
		path = append(path, p)
	}

	// The signed checkpoint: the text, a blank line, the signatures.
	text, sigs, ok := strings.Cut(signed, "\n\n")
	if !ok {
		return errors.New("signed note")
	}
	text += "\n"
	verified := false
	for _, line := range strings.Split(strings.TrimSuffix(sigs, "\n"), "\n") {
		rest, ok := strings.CutPrefix(line, "\u2014 ")
		signer, b64, _ := strings.Cut(rest, " ")
		raw, err := base64.StdEncoding.DecodeString(b64)
		if !ok || err != nil || len(raw) < 5 {
			return errors.New("signature line")
		}
		if signer != name || binary.BigEndian.Uint32(raw[:4]) != uint32(keyHash) {
			continue // another key's: ignored
		}
		if !ed25519.Verify(ed25519.PublicKey(key[1:]), []byte(text), raw[4:]) {
			return errors.New("bad signature")
		}
		verified = true
	}
	if !verified {
		return errors.New("not signed by the key")
	}
	cp := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(cp) < 3 || cp[0] != name {
		return errors.New("checkpoint text, or another log's")
	}
	size, err := strconv.ParseUint(cp[1], 10, 63)
	root, err2 := base64.StdEncoding.DecodeString(cp[2])
	if err != nil || err2 != nil || len(root) != 32 {
		return errors.New("checkpoint text")
	}

	// The leaf hash, then RFC 9162 §2.1.3.2.
	if index >= size {
		return errors.New("index beyond the checkpoint")
	}
	h := sha256.Sum256(append([]byte{0x00}, data...))
	node := func(l, r []byte) [32]byte { return sha256.Sum256(append(append([]byte{0x01}, l...), r...)) }
	fn, sn := index, size-1
	for _, p := range path {
		if sn == 0 {
			return errors.New("proof too long")
		}
		if fn&1 == 1 || fn == sn {
			h = node(p, h[:])
			if fn&1 == 0 {
				for fn&1 == 0 && fn != 0 {
					fn >>= 1
					sn >>= 1
				}
			}
		} else {
			h = node(h[:], p)
		}
		fn >>= 1
		sn >>= 1
	}
	if sn != 0 || !bytes.Equal(h[:], root) {
		return errors.New("does not lead to the root")
	}
	return nil
}

// TestDocumentedVerifier: the verifier written from the documentation
// agrees with CheckInclusion, on good proofs and altered ones.
func TestDocumentedVerifier(t *testing.T) {
	l := newTestLog(t, 300)
	v := verifier(t, testVKey)
	var files [][]byte
	for _, size := range []int64{1, 2, 3, 5, 8, 13, 100, 256, 257, 300} {
		for index := int64(0); index < size; index += 1 + size/9 {
			files = append(files, l.proofFile(t, index, size))
		}
		files = append(files, l.proofFile(t, size-1, size))
	}
	n := len(files)
	for _, f := range files[:n] {
		p, _ := ParseProof(f)
		for _, alter := range []func(p *InclusionProof){
			func(p *InclusionProof) { p.Index++ },
			func(p *InclusionProof) { p.EntryHash = l.hashes[(p.Index+1)%300] },
			func(p *InclusionProof) {
				if len(p.Hashes) > 0 {
					p.Hashes[len(p.Hashes)-1][0] ^= 1
				}
			},
			func(p *InclusionProof) { p.Hashes = append(p.Hashes, p.Hashes...) },
			func(p *InclusionProof) {
				p.Checkpoint = bytes.Replace(p.Checkpoint, []byte(testOrigin+"\n"), []byte(testOrigin+"\n1"), 1)
			},
		} {
			q := p
			q.Hashes = append(q.Hashes[:0:0], p.Hashes...)
			alter(&q)
			if b, err := FormatProof(q); err == nil && !bytes.Equal(b, f) {
				files = append(files, b)
			}
		}
	}
	var good int
	for _, f := range files {
		_, _, err := CheckInclusion(f, v)
		doc := verifyAsDocumented(f, testVKey)
		if (err == nil) != (doc == nil) {
			t.Errorf("CheckInclusion: %v; as documented: %v\n%s", err, doc, f)
		}
		if err == nil {
			good++
		}
	}
	if good != n || len(files) < 5*n-10 {
		t.Errorf("%d good proofs of %d; %d files", good, n, len(files))
	}
}
