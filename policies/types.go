package policies

import (
	"errors"
	"path"
	"strconv"
	"strings"
	"time"
)

// The three policy files, in the order Parse reads them and Set.Version
// hashes them.
const (
	CoopsFile      = "coops.yml"
	ScoringFile    = "scoring.yml"
	GovernanceFile = "governance.yml"
)

// FileNames returns the names of the three policy files in their fixed order.
func FileNames() []string { return []string{CoopsFile, ScoringFile, GovernanceFile} }

// The fact kinds a forge event (or /credit) produces; scoring.yml gives each
// a weight and may cap it.
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

// FactKinds returns every fact kind, in the order the docs list them.
func FactKinds() []string {
	return []string{
		FactPRMerged, FactReviewApproved, FactReviewChangesRequested, FactReviewCommented,
		FactIssueOpened, FactIssueClosed, FactComment, FactCommit, FactReleasePublished, FactManual,
	}
}

// Values of Scoring.Period.
const (
	PeriodWeek    = "week"
	PeriodMonth   = "month"
	PeriodQuarter = "quarter"
)

// CoAuthorsSplit is the only value of Scoring.CoAuthors in version 1:
// Co-authored-by trailers share a merged PR's credit equally.
const CoAuthorsSplit = "split"

// Values of Profile.Voters.
const (
	VotersMembers = "members" // one member, one vote
	VotersCoops   = "coops"   // one co-op, one vote
)

// Values of Profile.Proposers.
const (
	ProposersMembers     = "members"
	ProposersMaintainers = "maintainers"
)

// DefaultProfile is the profile `/propose` without a name uses. Every
// governance.yml defines it.
const DefaultProfile = "default"

// Set is one version of the federation's policy: the three files, parsed and
// validated together. A Set is read-only once Parse returns it, so it is safe
// to share between goroutines.
type Set struct {
	Coops      *Coops
	Scoring    *Scoring
	Governance *Governance
	// Version identifies the files' content: "sha256:" and the hex SHA-256
	// of the three files' names and contents (see ContentVersion). A loader
	// that reads the files from a git repo may replace it with the commit SHA.
	Version string
}

// Coops is coops.yml: who is who.
type Coops struct {
	Coops       []Coop
	Members     []Member
	Maintainers []string // member ids allowed privileged commands

	// Indexes built by Parse; nil in a hand-built value, where the lookup
	// methods scan the slices instead.
	coopByID    map[string]int
	memberByID  map[string]int
	byIdentity  map[string]int
	byEmail     map[string]int
	coopOfRepo  map[string]int
	maintainers map[string]bool
}

// Coop is one member co-operative.
type Coop struct {
	ID    string
	Name  string   // display name; the id when the file leaves it out
	Repos []string // forge:owner/repo, as written
}

// Member is one person, with the forge accounts and emails that are theirs
// and the dated memberships that say which co-op their work counts for.
type Member struct {
	ID          string
	Name        string   // optional display name
	Identities  []string // forge:login, as written
	Emails      []string // matched against commit authors, case-insensitively
	Memberships []Membership
}

// Membership says a member works for a co-op from Since to Until, both
// days included. A zero Until means "still".
type Membership struct {
	Coop  string
	Since time.Time // UTC midnight
	Until time.Time // UTC midnight of the last day; zero when open-ended
}

// Covers reports whether the membership covers the instant t: t falls on
// or after Since and before the end of Until (in UTC).
func (m Membership) Covers(t time.Time) bool {
	t = t.UTC()
	if t.Before(m.Since) {
		return false
	}
	return m.Until.IsZero() || t.Before(m.Until.AddDate(0, 0, 1))
}

// CoopAt returns the co-op the member works for at t, if any.
func (m *Member) CoopAt(t time.Time) (string, bool) {
	for _, ms := range m.Memberships {
		if ms.Covers(t) {
			return ms.Coop, true
		}
	}
	return "", false
}

// Coop returns the co-op with this id, or nil.
func (c *Coops) Coop(id string) *Coop {
	if c.coopByID != nil {
		if i, ok := c.coopByID[id]; ok {
			return &c.Coops[i]
		}
		return nil
	}
	for i := range c.Coops {
		if c.Coops[i].ID == id {
			return &c.Coops[i]
		}
	}
	return nil
}

// Member returns the member with this id, or nil.
func (c *Coops) Member(id string) *Member {
	if c.memberByID != nil {
		if i, ok := c.memberByID[id]; ok {
			return &c.Members[i]
		}
		return nil
	}
	for i := range c.Members {
		if c.Members[i].ID == id {
			return &c.Members[i]
		}
	}
	return nil
}

// MemberByIdentity returns the member who claims the identity (forge:login,
// the login compared case-insensitively), or nil.
func (c *Coops) MemberByIdentity(identity string) *Member {
	key := foldIdentity(identity)
	if c.byIdentity != nil {
		if i, ok := c.byIdentity[key]; ok {
			return &c.Members[i]
		}
		return nil
	}
	for i := range c.Members {
		for _, id := range c.Members[i].Identities {
			if foldIdentity(id) == key {
				return &c.Members[i]
			}
		}
	}
	return nil
}

// MemberByEmail returns the member who claims the email address (compared
// case-insensitively), or nil.
func (c *Coops) MemberByEmail(email string) *Member {
	key := strings.ToLower(strings.TrimSpace(email))
	if c.byEmail != nil {
		if i, ok := c.byEmail[key]; ok {
			return &c.Members[i]
		}
		return nil
	}
	for i := range c.Members {
		for _, e := range c.Members[i].Emails {
			if strings.ToLower(e) == key {
				return &c.Members[i]
			}
		}
	}
	return nil
}

// MemberOf maps an identity (forge:login) to the member who claims it and
// the co-op that member works for at the instant at. ok is true only when
// both are known; memberID is set whenever the identity belongs to a member,
// even one with no membership at that time.
func (c *Coops) MemberOf(identity string, at time.Time) (memberID, coopID string, ok bool) {
	m := c.MemberByIdentity(identity)
	if m == nil {
		return "", "", false
	}
	coop, ok := m.CoopAt(at)
	return m.ID, coop, ok
}

// CoopOfRepo returns the co-op that lists the repo (forge:owner/repo,
// compared case-insensitively), or nil.
func (c *Coops) CoopOfRepo(repo string) *Coop {
	key := strings.ToLower(repo)
	if c.coopOfRepo != nil {
		if i, ok := c.coopOfRepo[key]; ok {
			return &c.Coops[i]
		}
		return nil
	}
	for i := range c.Coops {
		for _, r := range c.Coops[i].Repos {
			if strings.ToLower(r) == key {
				return &c.Coops[i]
			}
		}
	}
	return nil
}

// IsMaintainer reports whether the member id is listed under maintainers.
func (c *Coops) IsMaintainer(memberID string) bool {
	if c.maintainers != nil {
		return c.maintainers[memberID]
	}
	for _, m := range c.Maintainers {
		if m == memberID {
			return true
		}
	}
	return false
}

// Scoring is scoring.yml: what counts, and how much. Every number is an
// exact decimal in Milli.
type Scoring struct {
	Period      string           // week | month | quarter; month when left out
	Weights     map[string]Milli // credit per fact, for every fact kind
	Multipliers Multipliers
	Caps        map[string]Milli // most credit one member earns per period, per fact kind
	Exclude     Exclude
	CoAuthors   string // split (the default and the only value in version 1)
}

// Multipliers scale a fact's credit by the labels of its issue or PR and by
// its repo. A kind of multiplier that does not apply counts as 1.
type Multipliers struct {
	Labels map[string]Milli // label name → multiplier
	Repos  map[string]Milli // forge:owner/repo, lower-cased → multiplier
}

// Exclude lists who never earns credit.
type Exclude struct {
	Bots       bool     // [bot] logins and forge-reported bots; true when left out
	Identities []string // forge:login, as written
}

// Weight returns the credit per fact of this kind (0 for an unknown kind).
func (s *Scoring) Weight(kind string) Milli { return s.Weights[kind] }

// Cap returns the per-member, per-period cap of this fact kind, if any.
func (s *Scoring) Cap(kind string) (Milli, bool) {
	c, ok := s.Caps[kind]
	return c, ok
}

// RepoMultiplier returns the multiplier of the repo (forge:owner/repo), 1
// when it has none.
func (s *Scoring) RepoMultiplier(repo string) Milli {
	if m, ok := s.Multipliers.Repos[strings.ToLower(repo)]; ok {
		return m
	}
	return One
}

// Excludes reports whether the identity (forge:login) is listed under
// exclude.identities. Bot detection is the caller's, under Exclude.Bots.
func (s *Scoring) Excludes(identity string) bool {
	key := foldIdentity(identity)
	for _, id := range s.Exclude.Identities {
		if foldIdentity(id) == key {
			return true
		}
	}
	return false
}

// Governance is governance.yml: how decisions are made.
type Governance struct {
	Labels     Labels
	Profiles   []Profile // in file order; one is named "default"
	Automation []Rule
	// PolicyChanges is the profile of the vote a change of the policy
	// files needs (policy_changes: {profile: …}); "default" when left out.
	PolicyChanges string
	// Budgets is the profile /propose budget uses when it names none
	// (budgets: {profile: …}); "default" when left out.
	Budgets string
}

// Labels are the labels the bot sets on a proposal's issue or PR.
type Labels struct {
	Open      string // vote/open when left out
	Passed    string // vote/passed when left out
	Rejected  string // vote/rejected when left out
	Cancelled string // vote/cancelled when left out
}

// Profile is one kind of vote.
type Profile struct {
	Name       string
	Duration   time.Duration // how long the vote stays open; 7d when left out
	Voters     string        // members | coops; members when left out
	Quorum     Milli         // share (0..1) of eligible voters who must vote; 0 when left out
	Threshold  Milli         // yes/(yes+no) must be greater than this (0..1, below 1); 0.5 when left out
	Block      bool          // one block vote fails the proposal
	CloseEarly bool          // close once no remaining vote can change the outcome
	Proposers  string        // members | maintainers; members when left out
	StartLabel string        // adding this label starts a vote; empty: only /propose does
}

// Rule is one automation rule: a PR that changes a file matching any of
// Patterns opens a vote with Profile by itself.
type Rule struct {
	Patterns []string // path.Match patterns, relative to the repo root
	Profile  string
}

// Matches reports whether any of the paths matches any of the rule's
// patterns.
func (r Rule) Matches(paths []string) bool {
	for _, p := range paths {
		p = strings.TrimPrefix(p, "/")
		for _, pat := range r.Patterns {
			if ok, _ := path.Match(pat, p); ok {
				return true
			}
		}
	}
	return false
}

// Profile returns the profile with this name, or nil.
func (g *Governance) Profile(name string) *Profile {
	for i := range g.Profiles {
		if g.Profiles[i].Name == name {
			return &g.Profiles[i]
		}
	}
	return nil
}

// Default returns the profile `/propose` without a name uses.
func (g *Governance) Default() *Profile { return g.Profile(DefaultProfile) }

// ProfileByLabel returns the profile whose start_label is label (compared
// case-insensitively, as forges compare labels), or nil.
func (g *Governance) ProfileByLabel(label string) *Profile {
	if label == "" {
		return nil
	}
	for i := range g.Profiles {
		if strings.EqualFold(g.Profiles[i].StartLabel, label) {
			return &g.Profiles[i]
		}
	}
	return nil
}

// ProfileForPaths returns the profile of the first automation rule that
// matches one of the changed paths, or nil.
func (g *Governance) ProfileForPaths(paths []string) *Profile {
	for _, r := range g.Automation {
		if r.Matches(paths) {
			return g.Profile(r.Profile)
		}
	}
	return nil
}

// Milli is an exact decimal with three places, stored in thousandths:
// "0.5" is 500 and "10" is 10000. Weights, multipliers, caps, quorums and
// thresholds are Milli so that scoring and tallies stay exact.
type Milli int64

// One is the Milli value 1.
const One Milli = 1000

// Errors of ParseMilli.
var (
	ErrNotDecimal   = errors.New("not a plain decimal number")
	ErrTooPrecise   = errors.New("more than 3 decimals")
	ErrTooLarge     = errors.New("too large; at most 999999999.999")
	errEmptyDecimal = errors.New("empty")
)

// ParseMilli parses a plain decimal such as "10", "0.5", "-1.25" or ".5"
// with at most three decimals. Exponents, hex, underscores, inf and nan are
// ErrNotDecimal; a fourth decimal is ErrTooPrecise (even a zero, so that what
// is written is what counts); a magnitude of 1e9 or more is ErrTooLarge.
func ParseMilli(s string) (Milli, error) {
	if s == "" {
		return 0, errEmptyDecimal
	}
	neg := false
	switch s[0] {
	case '-':
		neg, s = true, s[1:]
	case '+':
		s = s[1:]
	}
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" && frac == "" || !allDigits(whole) || !allDigits(frac) {
		return 0, ErrNotDecimal
	}
	if len(frac) > 3 {
		return 0, ErrTooPrecise
	}
	whole = strings.TrimLeft(whole, "0")
	if len(whole) > 9 {
		return 0, ErrTooLarge
	}
	var v int64
	if whole != "" {
		n, err := strconv.ParseInt(whole, 10, 64)
		if err != nil {
			return 0, ErrNotDecimal
		}
		v = n * 1000
	}
	for i, scale := 0, int64(100); i < len(frac); i, scale = i+1, scale/10 {
		v += int64(frac[i]-'0') * scale
	}
	if neg {
		v = -v
	}
	return Milli(v), nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// String formats m as a plain decimal without trailing zeros: 500 → "0.5",
// 10000 → "10", -1250 → "-1.25".
func (m Milli) String() string {
	sign := ""
	u := uint64(m)
	if m < 0 {
		sign, u = "-", uint64(-m)
	}
	s := sign + strconv.FormatUint(u/1000, 10)
	if f := u % 1000; f != 0 {
		s += "." + strings.TrimRight(strconv.FormatUint(1000+f, 10)[1:], "0")
	}
	return s
}

// Float64 returns m as a float64, for display and for callers that do not
// need exactness.
func (m Milli) Float64() float64 { return float64(m) / 1000 }

// foldIdentity is the comparison key of an identity: the forge name as is
// (always lower-case when valid) and the login lower-cased, since forges
// treat logins case-insensitively.
func foldIdentity(identity string) string { return strings.ToLower(identity) }
