package scoring

import (
	"bytes"
	"cmp"
	"encoding/json"
	"hash/maphash"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/accord-coop/accord/ledger"
	"github.com/accord-coop/accord/policies"
)

// Result is what a policy makes of a set of facts: credits per member,
// co-op and period.
type Result struct {
	Policy  string         // the version of the policy used (policies.Set.Version)
	Periods []PeriodResult // in time order; only periods that hold a fact
}

// PeriodResult is the credits of one period. Credits are milli-credits
// (1000 = 1 credit), exact integers, never floats.
type PeriodResult struct {
	Period Period
	// Members has one row per member and co-op: a member who moved within
	// the period has a row for each co-op. Sorted by credits (most first),
	// then member id, then co-op id.
	Members []MemberCredit
	// Coops lists every co-op of coops.yml, those without credit too, so
	// that a payout shows them with 0. Sorted by credits, then co-op id.
	Coops []CoopCredit
	// Unaffiliated is credit earned by identities and emails that no member
	// claims, or by members with no membership at the fact's time: shown,
	// never paid. Sorted by credits, then Who, then Reason.
	Unaffiliated []IdentityCredit
	// Excluded lists the bots and exclude.identities that had facts, with 0
	// credit and the reason. Sorted by Who, then Reason.
	Excluded []IdentityCredit
	// Outside lists, per repository that no co-op lists in coops.yml, the
	// facts recorded there: shown, never credited, never paid. Sorted by
	// WouldEarn, then Repo.
	Outside []RepoCredit
}

// MemberCredit is what one member earned for one co-op in a period.
type MemberCredit struct {
	Member  string
	Coop    string           // the co-op of the member's membership at the facts' time
	Credits int64            // milli-credits
	ByKind  map[string]int64 // milli-credits per fact kind, after caps
}

// CoopCredit is what a co-op's members earned for it in a period.
type CoopCredit struct {
	Coop    string
	Credits int64 // milli-credits
}

// RepoCredit is what the facts of one repository outside the federation
// would have earned, had a co-op listed the repository.
type RepoCredit struct {
	Repo      string // forge:owner/repo, as the first of its facts names it
	Facts     int    // how many facts of the period come from it
	WouldEarn int64  // milli-credits, before caps; never credited
}

// IdentityCredit is credit shown for someone who is not paid: Who is the
// identity (forge:login) or, failing that, the email of the fact.
type IdentityCredit struct {
	Who     string
	Credits int64 // milli-credits; always 0 for Excluded
	Reason  string
}

// Score credits facts under the policy set, period by period (the period
// of scoring.yml, in UTC). It is a pure function of its inputs: the same
// facts, in any order, give the same Result.
//
//   - Facts are taken in time order (then by ID), and facts with the same
//     non-empty ID count once: the earliest is kept, since a redelivery or
//     a replay of a contribution must never credit it twice.
//   - Only work in the federation's repositories earns credit: a fact from
//     a repository that no co-op lists (coops.yml repos, forge:owner/repo,
//     compared case-insensitively) is listed under Outside, with what it
//     would have earned (by the rules below, the parts of excluded people
//     left out, before caps), and earns nothing: no member, co-op or
//     unaffiliated credit, and no room under a cap. Manual facts are the
//     exception: a maintainer's /credit counts wherever the comment was
//     typed, since the maintainer gave it deliberately and the repository
//     it was typed in (often the governance repo, or an issue tracker) says
//     nothing about where the work was done.
//   - A fact earns weight × the multiplier of every label of the fact that
//     has one (all of them multiply: a PR labelled bug and security earns
//     1.5 × 2; labels compare case-insensitively, as forges do) × the
//     multiplier of its repo (forge:owner/repo). A manual fact earns
//     weight(manual) × its points, without multipliers: the maintainer who
//     gave the points already said what the work is worth. The product is
//     exact and rounded once to the milli-credit, halves away from zero.
//   - A merged PR's credit is split equally between the author and each
//     distinct co-author (co_authors: split). The parts sum to the whole:
//     each gets the floor of an equal share, and the milli-credits left over
//     go one each to the parties first in sorted order of their keys,
//     "email:…", "identity:forge:login" or "member:id" (largest remainder,
//     ties by key).
//   - Each person is a member (by identity, else email) and is credited to
//     the co-op of the membership that covers the fact's time; others are
//     unaffiliated. Bots (exclude.bots: the fact flags them, co-authors
//     included) and exclude.identities are excluded: listed, never
//     credited. An excluded co-author is left out before the split, so a
//     bot added as a co-author takes no share from the people who did the
//     work; an excluded author's part is credited to no one.
//   - A cap limits what one person earns from a fact kind in a period,
//     across co-ops: facts are credited in time order until the cap is
//     reached, the fact that crosses it earns the rest, and later facts of
//     that kind earn nothing. Unaffiliated credit counts against the cap
//     too, as it is the same person's work; negative manual credit (a
//     correction) is never cut and frees no room.
//   - A commit fact is not credited when a merged PR of the same repo
//     covers its SHA (the PR's commits and merge commit, Fact.Commits): the
//     merge credited that work already. This holds whichever of the push
//     and the merge was seen first.
//
// set must be a valid Set, as policies.Parse returns.
func Score(facts []ledger.Fact, set *policies.Set) Result {
	if len(facts) > math.MaxInt32 { // facts are indexed by int32, to halve the sort keys
		panic("scoring: more than 2^31 facts")
	}
	s := &scorer{set: set, rates: newRates(set.Scoring), people: newResolver(set), listed: map[[2]string]bool{}}
	covered := mergedCommits(facts)
	for _, i := range canonical(facts) {
		if f := &facts[i]; f.Kind != ledger.FactCommit || !covered[commitKey(f.Forge, f.Repo, f.SHA)] {
			s.add(f)
		}
	}
	s.flush()
	return Result{Policy: set.Version, Periods: s.out}
}

// mergedCommits are the commits merged PRs brought in, by forge, repo and
// SHA.
func mergedCommits(facts []ledger.Fact) map[string]bool {
	out := map[string]bool{}
	for i := range facts {
		if f := &facts[i]; f.Kind == ledger.FactPRMerged {
			for _, sha := range append([]string{f.SHA}, f.Commits...) {
				if sha != "" {
					out[commitKey(f.Forge, f.Repo, sha)] = true
				}
			}
		}
	}
	return out
}

// commitKey names a commit of a repo; repos compare case-insensitively, as
// everywhere in scoring.
func commitKey(forge, repo, sha string) string {
	return forge + "\x00" + strings.ToLower(repo) + "\x00" + sha
}

// canonical returns the indexes of the facts in the order Score credits
// them, without repeated IDs. The order is total (time, ID, delivery, then
// the whole content), so that which copy of a repeated fact is kept (the
// first in that order), and the order caps see facts in, never depend on
// the order the facts came in. It sorts small pointer-free keys rather
// than the facts, to stay in cache and out of the garbage collector's way
// over a million facts.
func canonical(facts []ledger.Fact) []int32 {
	first := firstCopies(facts)
	keys := make([]factKey, len(first))
	for j, i := range first { // in input order, which is mostly time order: cheap to sort
		keys[j] = keyOf(facts, i)
	}
	slices.SortFunc(keys, func(a, b factKey) int { return compareFacts(facts, a, b) })
	for j, k := range keys {
		first[j] = k.i
	}
	return first
}

// firstCopies returns, in input order, the index of one fact per ID: of
// facts with the same ID, the first in canonical order. A fact without an
// ID counts on its own.
func firstCopies(facts []ledger.Fact) []int32 {
	// Facts are grouped by a 64-bit hash of their ID by sorting the hashes,
	// which over a million facts is several times cheaper than a map; within
	// a group (a repeated ID, or, never seen in practice, two IDs whose
	// hashes collide) each ID keeps its earliest copy.
	type hashed struct {
		h uint64
		i int32
	}
	seed := maphash.MakeSeed() // only finds copies; no output depends on it
	hs := make([]hashed, 0, len(facts))
	keep := make([]bool, len(facts))
	for i := range facts {
		if facts[i].ID == "" {
			keep[i] = true // a fact without an ID counts on its own
			continue
		}
		hs = append(hs, hashed{idHash(seed, facts[i].ID), int32(i)})
	}
	slices.SortFunc(hs, func(a, b hashed) int { return cmp.Compare(a.h, b.h) })
	for g := 0; g < len(hs); {
		e := g + 1
		for e < len(hs) && hs[e].h == hs[g].h {
			e++
		}
		if e-g == 1 {
			keep[hs[g].i] = true
		} else {
			best := map[string]int32{}
			for _, x := range hs[g:e] {
				if b, ok := best[facts[x.i].ID]; !ok || earlier(facts, x.i, b) {
					best[facts[x.i].ID] = x.i
				}
			}
			for _, b := range best {
				keep[b] = true
			}
		}
		g = e
	}
	out := make([]int32, 0, len(facts))
	for i := range facts {
		if keep[i] {
			out = append(out, int32(i))
		}
	}
	return out
}

// idHash is the hash firstCopies keys by; a variable so that a test can
// make every hash collide.
var idHash = maphash.String

func earlier(facts []ledger.Fact, i, j int32) bool {
	return compareFacts(facts, keyOf(facts, i), keyOf(facts, j)) < 0
}

func keyOf(facts []ledger.Fact, i int32) factKey {
	return factKey{sec: facts[i].At.Unix(), nsec: int32(facts[i].At.Nanosecond()), i: i}
}

// factKey is a fact's place in time, with its index.
type factKey struct {
	sec  int64
	nsec int32
	i    int32
}

func compareFacts(facts []ledger.Fact, a, b factKey) int {
	if c := cmp.Compare(a.sec, b.sec); c != 0 {
		return c
	}
	if c := cmp.Compare(a.nsec, b.nsec); c != 0 {
		return c
	}
	fa, fb := &facts[a.i], &facts[b.i]
	if c := strings.Compare(fa.ID, fb.ID); c != 0 {
		return c
	}
	if c := strings.Compare(fa.Delivery, fb.Delivery); c != 0 {
		return c
	}
	ea, _ := json.Marshal(fa) // only for copies that differ past time, ID and delivery
	eb, _ := json.Marshal(fb)
	return bytes.Compare(ea, eb)
}

// scorer credits facts in canonical order, one open period at a time:
// since facts come in time order, a period is complete once a later one
// starts.
type scorer struct {
	set    *policies.Set
	rates  *rates
	people *resolver
	listed map[[2]string]bool // forge, repo → a co-op lists it
	cur    *tally
	out    []PeriodResult
}

func (s *scorer) add(f *ledger.Fact) {
	at := f.At.UTC()
	if s.cur == nil || !s.cur.period.Contains(at) {
		s.flush()
		s.cur = newTally(PeriodOf(s.set.Scoring.Period, at))
	}
	total := s.rates.credit(f)
	parties, dropped := s.people.parties(f)
	if !s.inFederation(f) {
		s.cur.outside(f, total, parties)
		return
	}
	for _, p := range dropped {
		s.cur.credit(p, f.Kind, at, 0, s.set.Scoring) // listed under Excluded
	}
	if len(parties) == 1 { // the common case, without split's allocation
		s.cur.credit(parties[0], f.Kind, at, total, s.set.Scoring)
		return
	}
	for i, part := range split(total, len(parties)) {
		s.cur.credit(parties[i], f.Kind, at, part, s.set.Scoring)
	}
}

// inFederation reports whether f can earn credit: it is a manual fact, or
// a co-op lists its repository.
func (s *scorer) inFederation(f *ledger.Fact) bool {
	if f.Kind == ledger.FactManual {
		return true // wherever the maintainer typed it: see Score
	}
	key := [2]string{f.Forge, f.Repo}
	in, ok := s.listed[key]
	if !ok {
		in = s.set.Coops.CoopOfRepo(f.Forge+":"+f.Repo) != nil
		s.listed[key] = in
	}
	return in
}

func (s *scorer) flush() {
	if s.cur != nil {
		s.out = append(s.out, s.cur.result(s.set.Coops))
		s.cur = nil
	}
}

// tally accumulates one period.
type tally struct {
	period       Period
	members      map[[2]string]*MemberCredit // member, co-op
	unaffiliated map[[2]string]int64         // who, reason
	excluded     map[[2]string]bool          // who, reason
	outsideRepos map[string]*RepoCredit      // forge:owner/repo, lower-cased
	used         map[[2]string]int64         // party key, kind → credit so far, for caps
}

func newTally(p Period) *tally {
	return &tally{
		period:       p,
		members:      map[[2]string]*MemberCredit{},
		unaffiliated: map[[2]string]int64{},
		excluded:     map[[2]string]bool{},
		outsideRepos: map[string]*RepoCredit{},
		used:         map[[2]string]int64{},
	}
}

// credit books c milli-credits of kind, earned at at, to p.
func (t *tally) credit(p *party, kind string, at time.Time, c int64, s *policies.Scoring) {
	if p.excluded != "" {
		t.excluded[[2]string{p.who, p.excluded}] = true
		return
	}
	c = t.capped(p.key, kind, c, s)
	coop, ok := "", false
	if p.member != nil {
		coop, ok = p.member.CoopAt(at)
	}
	if !ok {
		t.unaffiliated[[2]string{p.who, p.unpaid}] += c
		return
	}
	mc := p.last // most facts in a row are for the same co-op: skip the map
	if mc == nil || p.lastIn != t || mc.Coop != coop {
		key := [2]string{p.member.ID, coop}
		if mc = t.members[key]; mc == nil {
			mc = &MemberCredit{Member: p.member.ID, Coop: coop, ByKind: map[string]int64{}}
			t.members[key] = mc
		}
		p.last, p.lastIn = mc, t
	}
	mc.Credits += c
	mc.ByKind[kind] += c
}

// outside books f, from a repository outside the federation, under its
// repository: counted, with the parts of total its parties would have
// earned (those of excluded parties left out), and credited to no one.
func (t *tally) outside(f *ledger.Fact, total int64, parties []*party) {
	repo := f.Forge + ":" + f.Repo
	key := strings.ToLower(repo)
	rc := t.outsideRepos[key]
	if rc == nil {
		rc = &RepoCredit{Repo: repo}
		t.outsideRepos[key] = rc
	}
	rc.Facts++
	for i, part := range split(total, len(parties)) {
		if parties[i].excluded == "" {
			rc.WouldEarn += part
		}
	}
}

// capped returns how much of c the cap of kind still lets the party with
// this key earn in the period, and counts it.
func (t *tally) capped(key, kind string, c int64, s *policies.Scoring) int64 {
	limit, ok := s.Cap(kind)
	if !ok || c <= 0 {
		return c
	}
	k := [2]string{key, kind}
	c = min(c, max(int64(limit)-t.used[k], 0))
	t.used[k] += c
	return c
}

// result turns the tally into its sorted, map-order-free PeriodResult.
func (t *tally) result(c *policies.Coops) PeriodResult {
	pr := PeriodResult{Period: t.period}
	coops := map[string]int64{}
	for _, co := range c.Coops {
		coops[co.ID] = 0
	}
	for _, mc := range t.members {
		pr.Members = append(pr.Members, *mc)
		coops[mc.Coop] += mc.Credits
	}
	slices.SortFunc(pr.Members, func(a, b MemberCredit) int {
		return byCredits(a.Credits, b.Credits, a.Member, b.Member, a.Coop, b.Coop)
	})
	for id, cr := range coops {
		pr.Coops = append(pr.Coops, CoopCredit{Coop: id, Credits: cr})
	}
	slices.SortFunc(pr.Coops, func(a, b CoopCredit) int { return byCredits(a.Credits, b.Credits, a.Coop, b.Coop) })
	for k, cr := range t.unaffiliated {
		pr.Unaffiliated = append(pr.Unaffiliated, IdentityCredit{Who: k[0], Credits: cr, Reason: k[1]})
	}
	for k := range t.excluded {
		pr.Excluded = append(pr.Excluded, IdentityCredit{Who: k[0], Reason: k[1]})
	}
	for _, rc := range t.outsideRepos {
		pr.Outside = append(pr.Outside, *rc)
	}
	slices.SortFunc(pr.Outside, func(a, b RepoCredit) int { return byCredits(a.WouldEarn, b.WouldEarn, a.Repo, b.Repo) })
	for _, l := range [][]IdentityCredit{pr.Unaffiliated, pr.Excluded} {
		slices.SortFunc(l, func(a, b IdentityCredit) int {
			return byCredits(a.Credits, b.Credits, a.Who, b.Who, a.Reason, b.Reason)
		})
	}
	return pr
}

// byCredits orders by credits, most first, then by the keys given in pairs
// (a's, b's), ascending.
func byCredits(a, b int64, keys ...string) int {
	if a != b {
		if a > b {
			return -1
		}
		return 1
	}
	for i := 0; i+1 < len(keys); i += 2 {
		if c := strings.Compare(keys[i], keys[i+1]); c != 0 {
			return c
		}
	}
	return 0
}
