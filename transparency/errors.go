package transparency

import "errors"

// The errors this package returns wrap one of these, so that a caller can
// tell what failed with errors.Is; the message says the rest.
var (
	// ErrMalformed: a checkpoint, a signed note, a proof file or an entry
	// hash is not in its format.
	ErrMalformed = errors.New("malformed")
	// ErrUnknownKey: a signed checkpoint bears no signature by the key given.
	ErrUnknownKey = errors.New("not signed by the key given")
	// ErrBadSignature: a signature by the key given does not verify.
	ErrBadSignature = errors.New("bad signature")
	// ErrWrongLog: a checkpoint is of another log than the key's, or two
	// checkpoints compared are of different logs.
	ErrWrongLog = errors.New("wrong log")
	// ErrNotIncluded: an inclusion proof does not hold.
	ErrNotIncluded = errors.New("not included")
	// ErrInconsistent: a log or checkpoint is not an extension of an
	// earlier checkpoint: history was cut, rewritten or forked.
	ErrInconsistent = errors.New("inconsistent")
)
