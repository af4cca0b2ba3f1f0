package scoring

import (
	"fmt"
	"slices"
	"strings"

	"github.com/accord-coop/accord/ledger"
	"github.com/accord-coop/accord/policies"
)

// Reasons shown in PeriodResult.Excluded and PeriodResult.Unaffiliated.
const (
	// ReasonBot: the forge flags the account as a bot, and exclude.bots is on.
	ReasonBot = "bot (exclude.bots)"
	// ReasonListed: scoring.yml lists the identity under exclude.identities.
	ReasonListed = "listed under exclude.identities"
	// ReasonNotMember: no member in coops.yml claims the identity or email.
	ReasonNotMember = "no member claims this identity or email"
)

const (
	reasonNoMembership = "member %s has no membership at the time"
	reasonNoOne        = "the fact names no identity or email"
	unknownWho         = "(unknown)"
	memberKeyPrefix    = "member:"
	identityKeyPrefix  = "identity:"
	emailKeyPrefix     = "email:"
)

// party is one person a fact credits, resolved against the policy once per
// distinct ledger.Person.
type party struct {
	key      string   // what caps and the co-author split key on
	aliases  []string // every key this person is known by, to merge duplicates
	who      string   // the identity, else the email, as shown
	member   *policies.Member
	excluded string // why the person is never credited, or ""
	// unpaid says why credit is shown as unaffiliated: the person is no
	// member, or (for a member) has no membership at the fact's time.
	unpaid string
	alone  []*party // just this party: the parties of a fact without co-authors

	last   *MemberCredit // the row last credited, in tally lastIn
	lastIn *tally
}

// resolver maps ledger.Persons to parties, caching the answers so that a
// million facts by a few hundred people cost a few hundred lookups.
type resolver struct {
	set   *policies.Set
	cache map[ledger.Person]*party
}

func newResolver(set *policies.Set) *resolver {
	return &resolver{set: set, cache: map[ledger.Person]*party{}}
}

// resolve finds who p is. The identity decides when it belongs to a member;
// otherwise the email does (commits carry one, and coops.yml lists emails
// to match commit authors). Exclusion comes first: an excluded account is
// never credited, even if a member claims it.
func (r *resolver) resolve(p ledger.Person) *party {
	if pt, ok := r.cache[p]; ok {
		return pt
	}
	id, email := strings.ToLower(p.Identity), strings.ToLower(strings.TrimSpace(p.Email))
	pt := &party{who: p.Identity}
	if pt.who == "" {
		pt.who = email
	}
	if id != "" {
		pt.aliases = append(pt.aliases, identityKeyPrefix+id)
		pt.member = r.set.Coops.MemberByIdentity(p.Identity)
	}
	if email != "" {
		pt.aliases = append(pt.aliases, emailKeyPrefix+email)
		if pt.member == nil {
			pt.member = r.set.Coops.MemberByEmail(email)
		}
	}
	switch {
	case p.Bot && r.set.Scoring.Exclude.Bots:
		pt.excluded = ReasonBot
	case id != "" && r.set.Scoring.Excludes(p.Identity):
		pt.excluded = ReasonListed
	}
	switch {
	case pt.member != nil:
		pt.key = memberKeyPrefix + pt.member.ID
		pt.aliases = append(pt.aliases, pt.key)
		pt.unpaid = fmt.Sprintf(reasonNoMembership, pt.member.ID)
	case len(pt.aliases) > 0:
		pt.key, pt.unpaid = pt.aliases[0], ReasonNotMember
	default:
		pt.who, pt.key, pt.unpaid = unknownWho, unknownWho, reasonNoOne
	}
	pt.alone = []*party{pt}
	r.cache[p] = pt
	return pt
}

// parties returns who shares the credit of f, sorted by key: the author,
// and for a merged PR under co_authors: split each distinct co-author too.
// A co-author who is the author again (same member, identity or email) or
// is listed twice counts once; one with neither identity nor email is
// skipped, as there is no one to credit. An excluded co-author (a bot under
// exclude.bots, or listed under exclude.identities) is left out of the
// split and returned in dropped instead, so that a bot co-author takes no
// share of the author's credit; an excluded author keeps its place, and its
// part is credited to no one.
func (r *resolver) parties(f *ledger.Fact) (shares, dropped []*party) {
	author := r.resolve(f.Who)
	if f.Kind != ledger.FactPRMerged || r.set.Scoring.CoAuthors != policies.CoAuthorsSplit || len(f.CoAuthors) == 0 {
		return author.alone, nil
	}
	shares = []*party{author}
	seen := map[string]bool{}
	for _, a := range author.aliases {
		seen[a] = true
	}
	for _, p := range f.CoAuthors {
		pt := r.resolve(p)
		if len(pt.aliases) == 0 || slices.ContainsFunc(pt.aliases, func(a string) bool { return seen[a] }) {
			continue
		}
		for _, a := range pt.aliases {
			seen[a] = true
		}
		if pt.excluded != "" {
			dropped = append(dropped, pt)
			continue
		}
		shares = append(shares, pt)
	}
	slices.SortFunc(shares, func(a, b *party) int { return strings.Compare(a.key, b.key) })
	return shares, dropped
}
