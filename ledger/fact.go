// Package ledger is Accord's record of what counts: facts (contributions),
// policy versions, votes and proposal outcomes, as entries of one
// append-only chain in which each entry holds the SHA-256 of the one before.
// Anyone with a copy can check it (Verify). The package is pure: the store
// keeps the entries, scoring reads the facts.
package ledger

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// Fact kinds, as PRODUCT.md and scoring.yml name them.
const (
	FactPRMerged               = "pr_merged"
	FactReviewApproved         = "review_approved"
	FactReviewChangesRequested = "review_changes_requested"
	FactReviewCommented        = "review_commented"
	FactIssueOpened            = "issue_opened"
	FactIssueClosed            = "issue_closed"
	FactComment                = "comment"
	FactCommit                 = "commit"
	FactReleasePublished       = "release_published"
	FactManual                 = "manual"
)

// Person is who did something, as the forge said: an identity
// ("forge:login") where the forge knows the account, and for commits the
// author's email and name.
type Person struct {
	Identity string `json:"identity,omitempty"` // "github:alice"
	Email    string `json:"email,omitempty"`
	Name     string `json:"name,omitempty"`
	Bot      bool   `json:"bot,omitempty"` // the forge says so, the login ends in [bot], or (a co-author) the address is a bot's
}

// Fact is one contribution, policy-free: who, what, where, when, and from
// which delivery. Its ID is a hash of what makes it that contribution (see
// FactID), so the same contribution seen again (a redelivery, a replay, a
// backfill) has the same ID and is never credited twice.
type Fact struct {
	ID        string    `json:"id"`
	Kind      string    `json:"kind"`
	Forge     string    `json:"forge"`
	Repo      string    `json:"repo"`             // owner/name
	Number    int64     `json:"number,omitempty"` // issue or pull request
	SHA       string    `json:"sha,omitempty"`    // the commit: a commit fact's, a merge's
	Ref       string    `json:"ref,omitempty"`    // a release's tag, a review's or comment's ID
	Who       Person    `json:"who"`
	CoAuthors []Person  `json:"co_authors,omitempty"` // pr_merged: Co-authored-by trailers of its commits
	Commits   []string  `json:"commits,omitempty"`    // pr_merged: the SHAs it brought in (its commits and the merge), so pushes of them are not credited again
	At        time.Time `json:"at"`
	Labels    []string  `json:"labels,omitempty"`
	Size      int64     `json:"size,omitempty"`   // lines added + deleted, where known
	Points    int64     `json:"points,omitempty"` // manual: milli-points (1000 = 1 point)
	Reason    string    `json:"reason,omitempty"` // manual: why
	By        string    `json:"by,omitempty"`     // manual: who granted it (identity)
	Delivery  string    `json:"delivery"`         // the delivery it came from: "forge/id" (not part of the ID)
}

// FactID is the ID of the fact of kind on forge identified by parts (e.g.
// the repo and the pull request number): "sha256:" and the hex SHA-256 of
// the NUL-separated kind, forge and parts. What identifies a contribution
// is chosen per kind by whoever makes the fact; it never includes the
// delivery or the time it was received.
func FactID(kind, forge string, parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(append([]string{kind, forge}, parts...), "\x00")))
	return "sha256:" + hex.EncodeToString(h[:])
}

// BallotHash ends a vote entry's key (vote:P:COMMENT:LINE:WRITTEN:HASH):
// the first 4 bytes, hex, of SHA-256(choice "\n" reason). Two edits of a
// comment within one second (forges date comments to the second) are two
// entries; the same ballot seen again is one.
func BallotHash(choice, reason string) string {
	sum := sha256.Sum256([]byte(choice + "\n" + reason))
	return hex.EncodeToString(sum[:4])
}
