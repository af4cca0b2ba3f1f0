package policies

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// ContentVersion identifies a version of the policy files by their content:
// "sha256:" followed by the hex SHA-256 of, for each of coops.yml,
// scoring.yml and governance.yml in that order, the line "NAME LENGTH\n"
// and then the file's bytes. A missing file hashes as empty. The length
// prefix keeps the encoding unambiguous, so two different sets of files
// never share a version.
func ContentVersion(files map[string][]byte) string {
	h := sha256.New()
	for _, name := range FileNames() {
		data := files[name]
		fmt.Fprintf(h, "%s %d\n", name, len(data))
		h.Write(data)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}
