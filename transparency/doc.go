// Package transparency makes Accord's ledger a transparency log: the
// entries are the leaves of an RFC 6962 Merkle tree, the log signs
// checkpoints of the tree (https://c2sp.org/tlog-checkpoint, as Ed25519
// signed notes), and anyone holding a checkpoint can check that an entry is
// in it (an inclusion proof) and that a later log or checkpoint extends it
// (a consistency proof, or the whole log read again): a cut, rewritten or
// forked history fails these checks.
//
// The package does no I/O: the store and the command line give it leaves
// and take its texts. It builds on golang.org/x/mod/sumdb/tlog (trees,
// proofs) and golang.org/x/mod/sumdb/note (signed notes). What follows is
// what a verifier, with this package or without it, must do.
//
// # Leaves
//
// The leaves are the ledger's entries in order: leaf i (0-based) is the
// entry with seq i+1. The leaf data of an entry are the 32 bytes its hash
// is the hex of (the entry's "hash" field: ledger.Entry.ComputeHash, 64
// lowercase hex digits). The entry itself is not the leaf: its hash commits
// to all of it and, through "prev", to every entry before it. A verifier
// holding an entry recomputes its hash first (ledger.Entry.ComputeHash);
// the proofs here only speak of hashes.
//
// The leaf hash is SHA-256(0x00 ‖ leaf data) (LeafHash; tlog.RecordHash).
//
// # Tree
//
// The root hash of the tree of the first n leaves is RFC 6962's Merkle
// tree hash MTH with SHA-256 (§2.1):
//
//	MTH({})      = SHA-256()                                (the empty string)
//	MTH({d0})    = SHA-256(0x00 ‖ d0)                       (the leaf hash)
//	MTH(D[0:n])  = SHA-256(0x01 ‖ MTH(D[0:k]) ‖ MTH(D[k:n]))  for n > 1,
//	               k the largest power of two less than n
//
// Tree computes it while a log is read once, in O(log n) memory;
// HashStore keeps a whole tree in memory to make proofs.
//
// # Checkpoints
//
// A checkpoint's text is three lines and optional extension lines, each
// ended by a newline (U+000A), valid UTF-8 without other control
// characters:
//
//	<origin>
//	<size>
//	<root>
//	[<extension line>]…
//
// origin names the log (for Accord's ledger, the federation's choice, such
// as "ledger.example.coop"); size is the number of leaves, in decimal
// without leading zeros ("0" for the empty log); root is MTH of the first
// size leaves in standard padded base64 (RFC 4648 §4: 44 characters).
// Extension lines are non-empty and opaque; Accord writes none. This
// package reads sizes up to 2^62.
//
// A signed checkpoint is a signed note (https://c2sp.org/signed-note): the
// text, a blank line, then one line per signature:
//
//	— <key name> <base64(key hash ‖ signature)>
//
// beginning with an em dash (U+2014) and a space. The log's key is an
// Ed25519 key whose name is the log's origin; its key hash is the first 4
// bytes, big-endian, of SHA-256(key name ‖ "\n" ‖ 0x01 ‖ public key), and
// its signature is Ed25519 over the text, final newline included, blank
// line excluded. The log publishes its verifier key as
//
//	<key name>+<key hash, 8 hex digits>+<base64(0x01 ‖ 32-byte public key)>
//
// (note.NewVerifier reads it; GenerateKey makes a pair). To verify a signed
// checkpoint (Open): find the signature line whose key name and key hash
// are the verifier key's, check its Ed25519 signature over the text,
// ignore every other signature line (witnesses' cosignatures, other keys),
// parse the text strictly as above, and check that the origin is the
// key's name. ParseSigned reads one without checking anything, for display.
//
// # Inclusion proof files
//
// An inclusion proof file shows that an entry is in the log at a signed
// checkpoint. It is text, each line ended by a newline:
//
//	accord-inclusion-proof v1
//	index <i>
//	entry <hash>
//	<proof hash>…
//	(a blank line)
//	<signed checkpoint>
//
// i is the leaf's 0-based index in decimal without leading zeros (the
// entry's seq is i+1); hash is the entry's hash, 64 lowercase hex digits;
// then zero or more proof hashes, each the standard padded base64 of 32
// bytes: the RFC 6962 audit path (§2.1.1) of leaf i in the tree of the
// checkpoint's size, the leaf's sibling first and the root's child last;
// then a blank line and the signed checkpoint verbatim, to the end of the
// file. The file has exactly two blank lines: this one and the
// checkpoint's own. The layout follows https://c2sp.org/tlog-proof, with
// its own first line and an entry line in place of "extra".
//
// To check one (CheckInclusion): verify the signed checkpoint as above,
// with the log's verifier key, giving size n and root r; check i < n;
// compute the leaf hash h of the entry's hash; then, per RFC 9162
// §2.1.3.2, with fn = i and sn = n − 1, for each proof hash p in order:
// if sn = 0, fail; if fn is odd or fn = sn, h = SHA-256(0x01 ‖ p ‖ h) and,
// if fn is even, shift fn and sn right until fn is odd or 0; otherwise
// h = SHA-256(0x01 ‖ h ‖ p); then shift fn and sn right by one. The entry
// is in the log at that checkpoint if, at the end, sn = 0 and h = r.
//
// # Consistency
//
// A checkpoint (m, r1) is consistent with a later one (n, r2) of the same
// origin if the tree of size n has the tree of size m as its first m
// leaves. CheckConsistency decides it: for m = n the roots must be equal
// (else the log signed two histories, a fork); m > n never holds (a log
// does not shrink); every log extends the empty one (m = 0, r1 the empty
// tree's root); otherwise an RFC 6962 consistency proof (§2.1.2), checked
// per RFC 9162 §2.1.4.2.
//
// A verifier holding the whole log (an export, ledger.WriteJSONL) needs no
// proof: it reads the entries in order, checks their hash chain
// (ledger.VerifyJSONL), and compares MTH of the first n leaves with the
// root of each checkpoint of size n it holds (PrefixVerifier). Equal roots:
// the log's first n entries are those the checkpoint was signed over. A
// log of fewer than n entries was cut; different roots mean an entry among
// the first n was changed, removed, inserted or reordered, even if the
// hash chain was recomputed after it.
//
// # Errors
//
// Errors wrap ErrMalformed, ErrUnknownKey, ErrBadSignature, ErrWrongLog,
// ErrNotIncluded or ErrInconsistent, and say what was found and what was
// expected.
package transparency
