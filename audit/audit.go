// Package audit re-derives, from the ledger alone, what the ledger records
// as computed: each vote's outcome (from the policy versions and the vote
// entries before it), and later payouts. Anyone with an export can run it
// (`accord audit EXPORT.jsonl`): no database, no network. It is pure and
// streaming: entries are taken one at a time, in order, and only what is
// still needed is kept (the policy versions, the votes of open proposals,
// the last proposal opened on each issue).
//
// An Auditor checks the hash chain (ledger.Verifier) and hands each entry
// to each re-derivation in turn (see rederivation): outcomes compares each
// outcome entry with the tally.Of of the votes before it; scores and
// payouts have nothing to compare yet and say so.
package audit

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/accord-coop/accord/ledger"
	"github.com/accord-coop/accord/policies"
)

// Difference is one thing the ledger records that the audit finds
// otherwise: a field recorded one way and recomputed another, or a
// finding in words (Detail).
type Difference struct {
	Seq        int64  // the entry where it shows (0: the export as a whole)
	Subject    string // "proposal 5 (github:coop/site#12)", "policy sha256:…", "chain"
	Field      string // "yes", "votes.bob", "outcome" …
	Recorded   string
	Recomputed string
	Detail     string // instead of Recorded and Recomputed
}

// String is the difference on one line.
func (d Difference) String() string {
	where := ""
	if d.Seq > 0 {
		where = fmt.Sprintf(" (entry %d)", d.Seq)
	}
	if d.Detail != "" {
		return fmt.Sprintf("%s: %s: %s%s", d.Subject, d.Field, d.Detail, where)
	}
	return fmt.Sprintf("%s: %s: recorded %s, recomputed %s%s", d.Subject, d.Field, d.Recorded, d.Recomputed, where)
}

// Report is what an audit found.
type Report struct {
	Entries int64  // entries read
	Held    int64  // of those, how many hold from the first on
	Head    string // the hash of the last of them
	// Broken says where the chain first fails to hold (a changed, removed
	// or reordered entry, or a line that is not an entry); nil when it
	// holds end to end. What follows it is still re-derived, for what it
	// is worth.
	Broken      error
	Differences []Difference // in ledger order
	// Parts are each re-derivation's part of the summary ("7 outcomes
	// recomputed, all match"); Notes, what could not be compared and why.
	Parts []string
	Notes []string
}

// OK reports whether the chain holds and nothing differs.
func (r *Report) OK() bool { return r.Broken == nil && len(r.Differences) == 0 }

// Summary is the report on one line: "N entries, chain holds; M outcomes
// recomputed, all match".
func (r *Report) Summary() string {
	chain := "chain holds"
	var be *ledger.BrokenError
	switch {
	case errors.As(r.Broken, &be):
		chain = fmt.Sprintf("chain broken at entry %d", be.Seq)
	case r.Broken != nil:
		chain = "chain broken"
	}
	return strings.Join(append([]string{plural(int(r.Entries), "entry", "entries") + ", " + chain}, r.Parts...), "; ")
}

// A rederivation re-derives one kind of result the ledger records from
// the entries before it, and reports each difference. It sees every
// entry of the kinds it reads, in order, once the Auditor has taken the
// policy versions from them. To re-derive something more (payouts, once
// the bot writes payout entries), write one and add it in New.
type rederivation interface {
	kinds() []string // the entry kinds it reads
	add(a *Auditor, e *ledger.Entry)
	// summary is its part of the summary line ("" for none) and a note
	// saying what it could not compare ("" for none).
	summary() (part, note string)
}

// Auditor takes a ledger's entries one at a time, in order (Add), and
// says what it found (Report).
type Auditor struct {
	v         ledger.Verifier
	entries   int64
	broken    error
	diffs     []Difference
	policies  map[string]*version // by version, as recorded
	byContent map[string]*version // the same, parsed once per content
	derive    []rederivation
	byKind    map[string][]rederivation
}

// version is a recorded policy version: its files parsed, or why they
// cannot be.
type version struct {
	seq int64
	set *policies.Set
	err error
}

// New returns an Auditor expecting the ledger's first entry.
func New() *Auditor {
	a := &Auditor{policies: map[string]*version{}, byContent: map[string]*version{}, byKind: map[string][]rederivation{},
		derive: []rederivation{newOutcomes(), scores{}, &payouts{}}}
	for _, d := range a.derive {
		for _, k := range d.kinds() {
			a.byKind[k] = append(a.byKind[k], d)
		}
	}
	return a
}

// Add takes the next entry: it checks its place in the chain and re-derives
// what it records.
func (a *Auditor) Add(e ledger.Entry) {
	a.entries++
	if a.broken == nil {
		if err := a.v.Add(e); err != nil {
			a.broken = err
		}
	}
	if ds := a.byKind[e.Kind]; len(ds) > 0 || e.Kind == ledger.KindPolicy {
		a.take(e, ds) // not inline: e goes to the heap only for these
	}
}

func (a *Auditor) take(e ledger.Entry, ds []rederivation) {
	if e.Kind == ledger.KindPolicy {
		a.policy(&e)
	}
	for _, d := range ds {
		d.add(a, &e)
	}
}

// Unreadable takes a line of an export that is not a well-formed entry
// (ledger.JSONLReader's *BrokenError or *LineError): the chain does not
// hold there.
func (a *Auditor) Unreadable(err error) {
	if a.broken == nil {
		a.broken = err
	}
}

// differ records a difference.
func (a *Auditor) differ(d Difference) { a.diffs = append(a.diffs, d) }

// Report is what the audit found in the entries taken so far.
func (a *Auditor) Report() *Report {
	r := &Report{Entries: a.entries, Held: a.v.Count(), Head: a.v.Head(), Broken: a.broken, Differences: a.diffs}
	for _, d := range a.derive {
		part, note := d.summary()
		if part != "" {
			r.Parts = append(r.Parts, part)
		}
		if note != "" {
			r.Notes = append(r.Notes, note)
		}
	}
	return r
}

// Run audits an export (`accord ledger export --format jsonl`), reading it
// as it goes. The error is for reading r only; what the export holds, well
// formed or not, is in the report.
func Run(r io.Reader) (*Report, error) {
	a := New()
	jr := ledger.NewJSONLReader(r)
	for {
		e, err := jr.Next()
		switch {
		case err == nil:
			a.Add(e)
		case err == io.EOF:
			return a.Report(), nil
		case unreadable(err):
			a.Unreadable(err)
		default:
			return nil, err
		}
	}
}

// unreadable: err is a line of an export that is not an entry, not a
// failure to read.
func unreadable(err error) bool {
	var be *ledger.BrokenError
	var le *ledger.LineError
	return errors.As(err, &be) || errors.As(err, &le)
}

// policyEntry is what the audit reads of a policy version's entry
// (bot.PolicyEntry): the files themselves.
type policyEntry struct {
	Version string            `json:"version"`
	Content string            `json:"content"`
	Files   map[string]string `json:"files"`
}

// policy records a policy version: its files parsed as the bot parsed them
// (any forge name: the version was valid under the config of its day),
// its content hash checked.
func (a *Auditor) policy(e *ledger.Entry) {
	var pe policyEntry
	if err := json.Unmarshal(e.Body, &pe); err != nil || pe.Version == "" {
		a.differ(Difference{Seq: e.Seq, Subject: "policy entry " + e.Key, Field: "body", Detail: "unreadable: " + orMissing(err, "version")})
		return
	}
	subject := "policy " + pe.Version
	if e.Key != "policy:"+pe.Version {
		a.differ(Difference{Seq: e.Seq, Subject: subject, Field: "key", Recorded: e.Key, Recomputed: "policy:" + pe.Version})
	}
	files := make(map[string][]byte, len(pe.Files))
	for k, v := range pe.Files {
		files[k] = []byte(v)
	}
	c := policies.ContentVersion(files)
	if pe.Content != c {
		a.differ(Difference{Seq: e.Seq, Subject: subject, Field: "content", Recorded: pe.Content, Recomputed: c})
	}
	v := &version{seq: e.Seq}
	parsed := a.byContent[c]
	if parsed == nil { // a governance repo records a version per push, most with the same files
		parsed = &version{}
		if set, errs := policies.Parse(files, nil); len(errs) > 0 {
			parsed.err = fmt.Errorf("its files are not valid: %s", errs[0].Error())
		} else {
			parsed.set = set
		}
		a.byContent[c] = parsed
	}
	if v.err = parsed.err; v.err != nil {
		a.differ(Difference{Seq: e.Seq, Subject: subject, Field: "files", Detail: v.err.Error()})
	} else {
		set := *parsed.set // read-only but for its Version
		set.Version = pe.Version
		v.set = &set
	}
	a.policies[pe.Version] = v
}

func orMissing(err error, field string) string {
	if err != nil {
		return err.Error()
	}
	return field + " missing"
}

// scores: credits are computed from the facts under a policy version, and
// never recorded, so there is nothing to compare.
type scores struct{}

func (scores) kinds() []string             { return nil } // the facts, once a score is recorded
func (scores) add(*Auditor, *ledger.Entry) {}

func (scores) summary() (string, string) {
	return "", "scores: not recorded in the ledger, nothing to compare"
}

// payouts will re-derive each payout entry from the facts, the policy
// version and the passed budget vote it cites; until the bot writes them
// there are none, and any found are counted, not checked.
type payouts struct{ n int }

func (p *payouts) kinds() []string { return []string{ledger.KindPayout} }

func (p *payouts) add(_ *Auditor, e *ledger.Entry) { p.n++ }

func (p *payouts) summary() (string, string) {
	if p.n == 0 {
		return "", "payouts: none recorded in the ledger, nothing to compare"
	}
	return "", fmt.Sprintf("payouts: %d recorded, not re-derived by this version of accord", p.n)
}
