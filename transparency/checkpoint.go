package transparency

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Checkpoint is a log's tree head: the log's name (Origin), how many leaves
// its tree has (Size) and the tree's root hash (Root), as in
// https://c2sp.org/tlog-checkpoint. Extra holds the extension lines, if any,
// without their newlines; Accord writes none.
type Checkpoint struct {
	Origin string
	Size   int64
	Root   tlog.Hash
	Extra  []string
}

// Text is the checkpoint's note text:
//
//	<origin>\n<size>\n<base64 root>\n
//
// then each extension line and a newline. A checkpoint whose fields cannot
// be written this way (a newline in Origin …) gives text that ParseCheckpoint
// refuses or reads differently; Sign refuses to sign it.
func (c Checkpoint) Text() []byte {
	var b bytes.Buffer
	b.WriteString(c.Origin)
	b.WriteByte('\n')
	b.WriteString(strconv.FormatInt(c.Size, 10))
	b.WriteByte('\n')
	b.WriteString(base64.StdEncoding.EncodeToString(c.Root[:]))
	b.WriteByte('\n')
	for _, e := range c.Extra {
		b.WriteString(e)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func (c Checkpoint) equal(d Checkpoint) bool {
	return c.Origin == d.Origin && c.Size == d.Size && c.Root == d.Root && slices.Equal(c.Extra, d.Extra)
}

// ParseCheckpoint reads a checkpoint's note text, strictly: valid UTF-8
// without control characters other than newline; at least three lines, each
// ended by a newline and none empty; the origin; the size in decimal
// without leading zeros, at most MaxSize; the root as the standard, padded
// base64 of exactly 32 bytes (and, for size 0, the empty tree's root); then
// any extension lines. The error (ErrMalformed) names the line at fault.
func ParseCheckpoint(text []byte) (Checkpoint, error) {
	cp, err := parseCheckpoint(text)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("checkpoint: %w: %s", ErrMalformed, err)
	}
	return cp, nil
}

// parseCheckpoint is ParseCheckpoint with the error unwrapped.
func parseCheckpoint(text []byte) (Checkpoint, error) {
	if err := checkText(text); err != nil {
		return Checkpoint{}, err
	}
	if len(text) == 0 {
		return Checkpoint{}, fmt.Errorf("it is empty")
	}
	if text[len(text)-1] != '\n' {
		return Checkpoint{}, fmt.Errorf("it does not end with a newline")
	}
	lines := strings.Split(string(text[:len(text)-1]), "\n")
	for i, l := range lines {
		if l == "" {
			return Checkpoint{}, fmt.Errorf("line %d is empty", i+1)
		}
	}
	if len(lines) < 3 {
		return Checkpoint{}, fmt.Errorf("a checkpoint has at least 3 lines (origin, tree size, root hash); it has %d", len(lines))
	}
	size, err := parseSize(lines[1])
	if err != nil {
		return Checkpoint{}, fmt.Errorf("line 2 (tree size) %q %s", short(lines[1]), err)
	}
	root, err := parseHash(lines[2])
	if err != nil {
		return Checkpoint{}, fmt.Errorf("line 3 (root hash) %q %s", short(lines[2]), err)
	}
	if size == 0 && root != emptyRoot {
		return Checkpoint{}, fmt.Errorf("line 3 (root hash): the tree of size 0 has root %s (SHA-256 of nothing), not %s", emptyRoot, root)
	}
	cp := Checkpoint{Origin: lines[0], Size: size, Root: root}
	if len(lines) > 3 {
		cp.Extra = lines[3:]
	}
	return cp, nil
}

// checkText refuses what a signed note may not contain: invalid UTF-8 and
// ASCII control characters other than newline.
func checkText(text []byte) error {
	line := 1
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRune(text[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return fmt.Errorf("line %d is not valid UTF-8", line)
		case r == '\r':
			return fmt.Errorf("line %d has a carriage return (CRLF line endings?)", line)
		case r == '\n':
			line++
		case r < 0x20:
			return fmt.Errorf("line %d has a control character (%U)", line, r)
		}
		i += size
	}
	return nil
}

// parseSize reads a tree size or a leaf index: ASCII decimal, no sign, no
// leading zero, at most MaxSize. The error reads after the quoted number.
func parseSize(s string) (int64, error) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, fmt.Errorf("is not a decimal number")
	}
	if len(s) > 1 && s[0] == '0' {
		return 0, fmt.Errorf("has a leading zero")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n > MaxSize {
		return 0, fmt.Errorf("is over 2^62, the largest tree size this verifier handles")
	}
	return n, nil
}

// parseHash reads a hash written in standard, padded base64. The error
// reads after the quoted text.
func parseHash(s string) (tlog.Hash, error) {
	var h tlog.Hash
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	switch {
	case err != nil:
		return h, fmt.Errorf("is not standard base64")
	case len(b) != tlog.HashSize:
		return h, fmt.Errorf("is %d bytes, not the 32 of a SHA-256 hash", len(b))
	case base64.StdEncoding.EncodeToString(b) != s:
		return h, fmt.Errorf("is not in canonical base64")
	}
	copy(h[:], b)
	return h, nil
}

// validKeyName is note's rule for a key name: non-empty UTF-8 without
// Unicode spaces or plus signs.
func validKeyName(name string) bool {
	return name != "" && utf8.ValidString(name) && strings.IndexFunc(name, unicode.IsSpace) < 0 && !strings.Contains(name, "+")
}

// GenerateKey makes a new Ed25519 key for the log named origin: the signer
// key (skey, "PRIVATE+KEY+<origin>+<hash>+<base64>", to keep secret) and the
// verifier key (vkey, "<origin>+<hash>+<base64>", to publish). The key's
// name is the origin, which must be a valid note key name: non-empty,
// without spaces or '+'.
func GenerateKey(origin string) (skey, vkey string, err error) {
	if !validKeyName(origin) {
		return "", "", fmt.Errorf("origin %q cannot name a key: it must be non-empty UTF-8 without spaces or '+'", origin)
	}
	return note.GenerateKey(rand.Reader, origin)
}

// Sign signs the checkpoint with signer (note.NewSigner of a signer key),
// giving the signed note: the text, a blank line and the signature line.
// The signer's name must be the checkpoint's origin.
func Sign(cp Checkpoint, signer note.Signer) ([]byte, error) {
	text := cp.Text()
	back, err := ParseCheckpoint(text)
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	if !back.equal(cp) {
		return nil, fmt.Errorf("signing: checkpoint: %w: its text does not read back as itself (a newline in the origin or an extension line?)", ErrMalformed)
	}
	if signer.Name() != cp.Origin {
		return nil, fmt.Errorf("signing: %w: the key is named %q but the checkpoint's origin is %q; a log's key is named after its origin", ErrWrongLog, signer.Name(), cp.Origin)
	}
	return note.Sign(&note.Note{Text: string(text)}, signer)
}

// Open verifies a signed checkpoint with the log's verifier key
// (note.NewVerifier of the published key) and returns the checkpoint. It
// fails with ErrMalformed when the note or its text is not in its format,
// ErrUnknownKey when no signature is by that key, ErrBadSignature when one
// is but does not verify, and ErrWrongLog when the checkpoint's origin is not
// the key's name. Signatures by other keys (witnesses' cosignatures) are
// ignored.
func Open(signed []byte, verifier note.Verifier) (Checkpoint, error) {
	if verifier == nil {
		return Checkpoint{}, fmt.Errorf("signed checkpoint: no verifier key given")
	}
	_, sigs, err := splitNote(signed)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("signed checkpoint: %w: %s", ErrMalformed, err)
	}
	n, err := note.Open(signed, note.VerifierList(verifier))
	switch err := err.(type) {
	case nil:
	case *note.UnverifiedNoteError:
		return Checkpoint{}, fmt.Errorf("signed checkpoint: %w: it is signed by %s, the key given is %s", ErrUnknownKey, sigNames(sigs), keyID(verifier.Name(), verifier.KeyHash()))
	case *note.InvalidSignatureError:
		return Checkpoint{}, fmt.Errorf("signed checkpoint: %w: the signature by %s does not verify: the checkpoint was changed after it was signed, or the signature is not that key's", ErrBadSignature, keyID(err.Name, err.Hash))
	default:
		return Checkpoint{}, fmt.Errorf("signed checkpoint: %w: %v", ErrMalformed, err)
	}
	cp, err := ParseCheckpoint([]byte(n.Text))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("signed checkpoint: %w", err)
	}
	if cp.Origin != verifier.Name() {
		return Checkpoint{}, fmt.Errorf("signed checkpoint: %w: its origin is %q, but the key given is the log %q's", ErrWrongLog, short(cp.Origin), verifier.Name())
	}
	return cp, nil
}

// Unverified is a signed checkpoint read without checking any signature:
// for display only. Nothing in it is to be trusted: anyone can write it.
type Unverified struct {
	Checkpoint Checkpoint
	Signatures []note.Signature // the signature lines found, none checked
}

// ParseSigned reads a signed checkpoint without a verifier key, for display
// only: it checks the format of the note and of the checkpoint but no
// signature. Use Open to rely on a checkpoint.
func ParseSigned(signed []byte) (Unverified, error) {
	text, sigs, err := splitNote(signed)
	if err != nil {
		return Unverified{}, fmt.Errorf("signed checkpoint: %w: %s", ErrMalformed, err)
	}
	cp, err := ParseCheckpoint(text)
	if err != nil {
		return Unverified{}, fmt.Errorf("signed checkpoint: %w", err)
	}
	return Unverified{Checkpoint: cp, Signatures: sigs}, nil
}

// sigSep is what begins a signature line: an em dash and a space.
const sigSep = "\u2014 "

// splitNote checks a signed note's format (https://c2sp.org/signed-note),
// as note.Open does, saying what is wrong, and splits it into its text and
// its signature lines.
func splitNote(msg []byte) (text []byte, sigs []note.Signature, err error) {
	if err := checkText(msg); err != nil {
		return nil, nil, err
	}
	split := bytes.LastIndex(msg, []byte("\n\n"))
	if split < 0 {
		return nil, nil, fmt.Errorf("no blank line before the signatures (a signed checkpoint is its text, a blank line, then a line per signature)")
	}
	text, lines := msg[:split+1], msg[split+2:]
	if len(lines) == 0 {
		return nil, nil, fmt.Errorf("no signature after the blank line")
	}
	if lines[len(lines)-1] != '\n' {
		return nil, nil, fmt.Errorf("the last signature line does not end with a newline")
	}
	for i, line := range strings.Split(string(lines[:len(lines)-1]), "\n") {
		if i == 100 {
			return nil, nil, fmt.Errorf("more than 100 signatures")
		}
		rest, ok := strings.CutPrefix(line, sigSep)
		if !ok {
			return nil, nil, fmt.Errorf("signature line %d does not start with an em dash and a space (\"\u2014 \")", i+1)
		}
		name, b64, _ := strings.Cut(rest, " ")
		if !validKeyName(name) {
			return nil, nil, fmt.Errorf("signature line %d: %q is not a key name", i+1, short(name))
		}
		sig, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || b64 == "" || len(sig) < 5 {
			return nil, nil, fmt.Errorf("signature line %d: the signature is not base64 of a key hash and a signature", i+1)
		}
		sigs = append(sigs, note.Signature{Name: name, Hash: binary.BigEndian.Uint32(sig), Base64: b64})
	}
	return text, sigs, nil
}

// keyID names a key as its verifier key begins: name+hash.
func keyID(name string, hash uint32) string { return fmt.Sprintf("%s+%08x", name, hash) }

func sigNames(sigs []note.Signature) string {
	var ids []string
	for _, s := range sigs {
		ids = append(ids, keyID(s.Name, s.Hash))
	}
	return strings.Join(ids, ", ")
}

// VerifierKey is the verifier key (what GenerateKey gives as vkey, to
// publish) of a signer key: a server that holds its log's private key
// checks its own checkpoints without being told the public one.
func VerifierKey(skey string) (string, error) {
	// A signer key is PRIVATE+KEY+<name>+<hash>+<base64(0x01 ‖ seed)>; the
	// base64 may itself hold '+'.
	rest, ok := strings.CutPrefix(skey, "PRIVATE+KEY+")
	parts := strings.SplitN(rest, "+", 3)
	if !ok || len(parts) != 3 {
		return "", fmt.Errorf("not a signer key: it must read PRIVATE+KEY+<name>+<hash>+<key>")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != 1 {
		return "", fmt.Errorf("not an Ed25519 signer key")
	}
	pub := append([]byte{1}, ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)...)
	// The hash names the key: the first four bytes of SHA-256(name "\n" key).
	sum := sha256.Sum256(append([]byte(parts[0]+"\n"), pub...))
	if want := fmt.Sprintf("%08x", binary.BigEndian.Uint32(sum[:4])); parts[1] != want {
		return "", fmt.Errorf("the signer key's hash %s is not that of its name and key (%s)", parts[1], want)
	}
	vkey := parts[0] + "+" + parts[1] + "+" + base64.StdEncoding.EncodeToString(pub)
	if _, err := note.NewVerifier(vkey); err != nil {
		return "", fmt.Errorf("the signer key's name is not valid: %w", err)
	}
	return vkey, nil
}
