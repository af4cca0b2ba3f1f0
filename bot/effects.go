package bot

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/accord-coop/accord/forges"
	"github.com/accord-coop/accord/store"
)

// The ops an effect can be. Each is idempotent when carried out again, or
// looks before it acts (see Outbox).
const (
	OpComment       = "comment"        // post a comment, once
	OpUpsertComment = "upsert_comment" // edit the bot's comment with a marker, or post it
	OpAddLabels     = "add_labels"
	OpRemoveLabel   = "remove_label"
	OpReact         = "react"
	OpSetStatus     = "set_status"
	// OpProposalStatus keeps a proposal's status comment: its body is made
	// when the effect is carried out, from the proposal as it is then, so
	// one edit per window shows every vote cast in it.
	OpProposalStatus = "proposal_status"
	// OpProposalResult posts a proposal's result, once: made when it is
	// posted, with the hash of the outcome's ledger entry.
	OpProposalResult = "proposal_result"
	// OpPolicyCheck keeps the policy-check comment of a pull request whose
	// policy files are valid: its body, with the preview of what they do to
	// each co-op's credits, is made when the effect is carried out. So the
	// preview, which scores the ledger under two versions (seconds on a
	// large ledger), runs in the outbox, never in the delivery worker.
	OpPolicyCheck = "policy_check"
)

// effectArgs are the arguments of every op; each op uses its own fields.
type effectArgs struct {
	Repo      forges.RepoRef `json:"repo"`
	Number    int64          `json:"number,omitempty"`
	Body      string         `json:"body,omitempty"`
	Marker    string         `json:"marker,omitempty"`
	Labels    []forges.Label `json:"labels,omitempty"`
	Label     string         `json:"label,omitempty"`
	CommentID int64          `json:"comment_id,omitempty"`
	Reaction  string         `json:"reaction,omitempty"`
	SHA       string         `json:"sha,omitempty"`
	Status    *forges.Status `json:"status,omitempty"`
	Proposal  int64          `json:"proposal,omitempty"`
	Path      string         `json:"path,omitempty"`
	Branch    string         `json:"branch,omitempty"`
}

// markerPrefix starts the hidden line every comment of the bot opens with.
// With the comment's author (Self), it lets the bot find its own comments
// to edit them, find a comment it may have posted before a crash, and never
// take its own words as input. A marker alone proves nothing: anyone can
// type one.
const markerPrefix = "<!-- accord:"

// Marker is the hidden line for a name, e.g. Marker("status 12") is
// "<!-- accord:status 12 -->".
func Marker(name string) string { return markerPrefix + name + " -->" }

// HasMarker reports whether a body carries a marker. That alone does not
// make a comment the bot's: its author must be the bot too (Self.Owns).
func HasMarker(body string) bool { return strings.Contains(body, markerPrefix) }

// Actions collects the effects handlers ask for while one delivery is
// processed. They are stored with the delivery's outcome, in the same
// transaction, and carried out by the Outbox after. Each effect's key is
// the delivery's plus its place in the list, so a delivery processed again
// after a crash asks for the same effects under the same keys and nothing
// is done twice.
type Actions struct {
	// Received is when the delivery reached Accord (zero outside the
	// worker): a deletion, which the forge does not date, counts by it.
	Received time.Time

	forge   string
	prefix  string
	list    []store.NewEffect
	entries []LedgerEntry
}

// LedgerEntry is an entry a handler asks to append to the ledger.
type LedgerEntry struct {
	Kind string // ledger.Kind*
	Key  string // unique: the entry is appended once
	Body any
}

// Record asks for an entry in the ledger, appended with the delivery's
// outcome in the same transaction; an entry whose key is there already is
// not appended again.
func (a *Actions) Record(kind, key string, body any) {
	a.entries = append(a.entries, LedgerEntry{Kind: kind, Key: key, Body: body})
}

// Entries returns the ledger entries asked for.
func (a *Actions) Entries() []LedgerEntry { return a.entries }

// NewActions returns the collector for one delivery.
func NewActions(forge, deliveryID string) *Actions {
	return &Actions{forge: forge, prefix: forge + "/" + deliveryID + "/"}
}

// Effects returns what was asked for.
func (a *Actions) Effects() []store.NewEffect { return a.list }

func (a *Actions) add(op string, args effectArgs) {
	payload, err := json.Marshal(args)
	if err != nil {
		panic(err) // effectArgs always marshals
	}
	key := fmt.Sprintf("%s%d", a.prefix, len(a.list))
	a.list = append(a.list, store.NewEffect{Key: key, Forge: a.forge, Op: op, Payload: payload})
}

// Comment posts a comment on an issue or pull request, once.
func (a *Actions) Comment(repo forges.RepoRef, number int64, body string) {
	key := fmt.Sprintf("%s%d", a.prefix, len(a.list))
	marker := Marker("effect " + key)
	a.add(OpComment, effectArgs{Repo: repo, Number: number, Marker: marker, Body: marker + "\n" + body})
}

// UpsertComment keeps one comment of the bot, named by name, on an issue or
// pull request: it edits the comment carrying Marker(name) or posts it.
func (a *Actions) UpsertComment(repo forges.RepoRef, number int64, name, body string) {
	marker := Marker(name)
	a.add(OpUpsertComment, effectArgs{Repo: repo, Number: number, Marker: marker, Body: marker + "\n" + body})
}

// PolicyCheck asks for the policy-check comment of a pull request whose
// head sha holds valid policy files, with the preview of their credits,
// made when it is posted (OpPolicyCheck). It keeps the comment
// UpsertComment(…, "policy-check", …) keeps.
func (a *Actions) PolicyCheck(repo forges.RepoRef, number int64, sha string) {
	a.add(OpPolicyCheck, effectArgs{Repo: repo, Number: number, SHA: sha, Marker: Marker(policyCheckName)})
}

// AddLabels adds labels to an issue or pull request, creating missing ones.
func (a *Actions) AddLabels(repo forges.RepoRef, number int64, labels ...forges.Label) {
	a.add(OpAddLabels, effectArgs{Repo: repo, Number: number, Labels: labels})
}

// RemoveLabel removes a label from an issue or pull request.
func (a *Actions) RemoveLabel(repo forges.RepoRef, number int64, name string) {
	a.add(OpRemoveLabel, effectArgs{Repo: repo, Number: number, Label: name})
}

// React reacts to a comment.
func (a *Actions) React(repo forges.RepoRef, commentID int64, reaction string) {
	a.add(OpReact, effectArgs{Repo: repo, CommentID: commentID, Reaction: reaction})
}

// RefreshStatus asks for a proposal's status comment to be brought up to
// date, at most once per window: every request in the same window is one
// effect, carried out at the window's end.
func (a *Actions) RefreshStatus(repo forges.RepoRef, number, proposal int64, now time.Time, window time.Duration) {
	end := now.Truncate(window).Add(window)
	payload, _ := json.Marshal(effectArgs{Repo: repo, Number: number, Proposal: proposal, Marker: Marker(fmt.Sprint("status ", proposal))})
	a.list = append(a.list, store.NewEffect{Key: fmt.Sprintf("%s/proposal/%d/status/%d", a.forge, proposal, end.UnixNano()),
		Forge: a.forge, Op: OpProposalStatus, Payload: payload, NotBefore: end})
}

// PostResult asks for a proposal's result comment.
func (a *Actions) PostResult(repo forges.RepoRef, number, proposal int64) {
	payload, _ := json.Marshal(effectArgs{Repo: repo, Number: number, Proposal: proposal, Marker: Marker(fmt.Sprint("result ", proposal))})
	a.list = append(a.list, store.NewEffect{Key: fmt.Sprintf("%s/proposal/%d/result", a.forge, proposal),
		Forge: a.forge, Op: OpProposalResult, Payload: payload})
}

// SetStatus sets a commit status.
func (a *Actions) SetStatus(repo forges.RepoRef, sha string, st forges.Status) {
	a.add(OpSetStatus, effectArgs{Repo: repo, SHA: sha, Status: &st})
}
