package forges

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
)

// BlobSHA is the git object ID (SHA-1) of a file holding content: the "sha"
// GitHub, Gitea and Forgejo give a file of a SHA-1 repository. PutFile
// compares it when a forge does not send a file's content (a large file).
func BlobSHA(content []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(content))
	h.Write(content)
	return hex.EncodeToString(h.Sum(nil))
}
