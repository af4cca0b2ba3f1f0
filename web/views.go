package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/accord-coop/accord/ledger"
	"github.com/accord-coop/accord/policies"
	"github.com/accord-coop/accord/proposalview"
	"github.com/accord-coop/accord/scorejson"
	"github.com/accord-coop/accord/scoring"
	"github.com/accord-coop/accord/store"
)

// The JSON the API answers, and the pages show: snake_case keys, [] for
// empty lists, credits as exact decimals in the unit named ("credit").

// Federation is GET /api/v1/federation.
type Federation struct {
	Policy string        `json:"policy"`
	Unit   string        `json:"unit"`
	Coops  []CoopSummary `json:"coops"`
	// Periods is the credits per co-op, period by period (score JSON by
	// co-op), oldest first.
	Periods []scorejson.Period `json:"periods"`
	// Standings is the latest period's credits per member (score JSON by
	// member); null before any fact.
	Standings     *scorejson.Period   `json:"standings"`
	OpenProposals []proposalview.View `json:"open_proposals"`
	// Payouts are the payouts recorded in the ledger: none yet.
	Payouts []struct{} `json:"payouts"`
	Ledger  Ledger     `json:"ledger"`
}

// CoopSummary is a co-op of coops.yml.
type CoopSummary struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Members int    `json:"members"` // members with a membership of it now
	Repos   []Repo `json:"repos"`
}

// Repo is a repository a co-op lists, with its address on the forge ("" if
// the forge's address is not known).
type Repo struct {
	Repo string `json:"repo"` // forge:owner/repo
	URL  string `json:"url"`
}

// Ledger is GET /api/v1/ledger: the ledger's head.
type Ledger struct {
	Size       int64       `json:"size"`    // entries
	Head       string      `json:"head"`    // the last entry's hash; "" for an empty ledger
	HeadAt     *time.Time  `json:"head_at"` // when it was recorded; null for an empty ledger
	Checkpoint *Checkpoint `json:"checkpoint"`
}

// Checkpoint is the latest signed checkpoint of the ledger's tree.
type Checkpoint struct {
	Size     int64     `json:"size"`
	SignedAt time.Time `json:"signed_at"`
	Text     string    `json:"text"` // the signed note, as /api/v1/ledger/checkpoint serves it
}

// Coop is GET /api/v1/coops/{id}.
type Coop struct {
	ID      string       `json:"id"`
	Name    string       `json:"name"`
	Unit    string       `json:"unit"`
	Repos   []Repo       `json:"repos"`
	Members []CoopMember `json:"members"`
	Periods []CoopPeriod `json:"periods"`
}

// CoopMember is a member with a membership of the co-op, past or present.
type CoopMember struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Since   string `json:"since"` // YYYY-MM-DD
	Until   string `json:"until"` // YYYY-MM-DD, or "" while it lasts
	Current bool   `json:"current"`
}

// CoopPeriod is what the co-op's members earned for it in a period.
type CoopPeriod struct {
	Period  string                 `json:"period"`
	Start   time.Time              `json:"start"`
	End     time.Time              `json:"end"`
	Credits json.Number            `json:"credits"`
	ByKind  map[string]json.Number `json:"by_kind"`
	Members []scorejson.Member     `json:"members"`
}

// Member is GET /api/v1/members/{id}.
type Member struct {
	ID          string         `json:"id"`
	Name        string         `json:"name"`
	Unit        string         `json:"unit"`
	Identities  []Identity     `json:"identities"`
	Memberships []Membership   `json:"memberships"`
	Periods     []MemberPeriod `json:"periods"`
	// Facts are the ledger's facts that name the member (as author or
	// co-author), newest first, at most MaxFacts of FactsTotal.
	Facts      []Fact `json:"facts"`
	FactsTotal int    `json:"facts_total"`
}

// MaxFacts is how many of a member's facts are shown.
const MaxFacts = 500

// Identity is a forge account of a member.
type Identity struct {
	Identity string `json:"identity"` // forge:login
	URL      string `json:"url"`
}

// Membership is a dated membership of a co-op.
type Membership struct {
	Coop  string `json:"coop"`
	Since string `json:"since"`
	Until string `json:"until"`
}

// MemberPeriod is what a member earned in a period, in all and per co-op.
type MemberPeriod struct {
	Period  string             `json:"period"`
	Start   time.Time          `json:"start"`
	End     time.Time          `json:"end"`
	Credits json.Number        `json:"credits"`
	ByCoop  []scorejson.Member `json:"by_coop"`
}

// Fact is a fact of the ledger, with its address on the forge.
type Fact struct {
	ID     string    `json:"id"`
	Kind   string    `json:"kind"`
	Forge  string    `json:"forge"`
	Repo   string    `json:"repo"`
	Number int64     `json:"number"`
	SHA    string    `json:"sha"`
	Ref    string    `json:"ref"`
	At     time.Time `json:"at"`
	URL    string    `json:"url"`
}

// Proposal is GET /api/v1/proposals/{id}: the proposal as `accord
// proposals show ID --format json` shows it, and its issue's address.
type Proposal struct {
	proposalview.View
	IssueURL string `json:"issue_url"`
}

// Proposals is GET /api/v1/proposals: the latest proposals, newest first.
type Proposals struct {
	Proposals []Proposal `json:"proposals"`
}

// Unaffiliated is how an e-mail address is shown: never the address.
const Unaffiliated = "an unaffiliated committer"

// shown is who as shown: an e-mail address (the credit of a commit whose
// author no member claims) becomes Unaffiliated.
func shown(who string) string {
	if strings.Contains(who, "@") {
		return Unaffiliated
	}
	return who
}

// public is a period's JSON without e-mail addresses.
func public(p scorejson.Period) scorejson.Period {
	for _, l := range [][]scorejson.Identity{p.Unaffiliated, p.Excluded} {
		for i := range l {
			l[i].Who = shown(l[i].Who)
		}
	}
	return p
}

func day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.DateOnly)
}

func (s *Site) repos(c *policies.Coop) []Repo {
	out := []Repo{}
	for _, r := range c.Repos {
		out = append(out, Repo{Repo: r, URL: s.repoURL(r)})
	}
	return out
}

func (s *Site) ledger(ctx context.Context) (Ledger, error) {
	h, err := s.Store.LedgerHead(ctx)
	if err != nil {
		return Ledger{}, err
	}
	out := Ledger{Size: h.Size, Head: h.Hash}
	if h.Size > 0 {
		out.HeadAt = &h.At
	}
	cp, err := s.Store.LatestCheckpoint(ctx)
	if err != nil {
		return Ledger{}, err
	}
	if cp != nil {
		out.Checkpoint = &Checkpoint{Size: cp.Size, SignedAt: cp.SignedAt, Text: cp.Signed}
	}
	return out, nil
}

func (s *Site) federation(ctx context.Context) (Federation, error) {
	set, err := s.policy()
	if err != nil {
		return Federation{}, err
	}
	res, err := s.Credits.Credits(ctx)
	if err != nil {
		return Federation{}, err
	}
	out := Federation{Policy: res.Policy, Unit: scorejson.Unit, Coops: []CoopSummary{}, Periods: []scorejson.Period{},
		OpenProposals: []proposalview.View{}, Payouts: []struct{}{}}
	now := s.now()
	for i := range set.Coops.Coops {
		c := &set.Coops.Coops[i]
		n := 0
		for _, m := range set.Coops.Members {
			if coop, ok := m.CoopAt(now); ok && coop == c.ID {
				n++
			}
		}
		out.Coops = append(out.Coops, CoopSummary{ID: c.ID, Name: c.Name, Members: n, Repos: s.repos(c)})
	}
	for _, p := range scorejson.Of(res, "", 0, "coop").Periods {
		out.Periods = append(out.Periods, public(p))
	}
	if byMember := scorejson.Of(res, "", 0, "member").Periods; len(byMember) > 0 {
		p := public(byMember[len(byMember)-1])
		out.Standings = &p
	}
	ps, err := s.Store.ListProposals(ctx, 1000)
	if err != nil {
		return Federation{}, err
	}
	for i := range ps {
		if ps[i].State != store.ProposalOpen {
			continue
		}
		v, err := proposalview.Of(ctx, s.Store, &ps[i], now)
		if err != nil {
			return Federation{}, err
		}
		out.OpenProposals = append(out.OpenProposals, v)
	}
	slices.SortFunc(out.OpenProposals, func(a, b proposalview.View) int { return a.Deadline.Compare(b.Deadline) })
	if out.Ledger, err = s.ledger(ctx); err != nil {
		return Federation{}, err
	}
	return out, nil
}

func (s *Site) coop(ctx context.Context, id string) (Coop, error) {
	set, err := s.policy()
	if err != nil {
		return Coop{}, err
	}
	c := set.Coops.Coop(id)
	if c == nil {
		return Coop{}, errNotFound
	}
	res, err := s.Credits.Credits(ctx)
	if err != nil {
		return Coop{}, err
	}
	out := Coop{ID: c.ID, Name: c.Name, Unit: scorejson.Unit, Repos: s.repos(c), Members: []CoopMember{}, Periods: []CoopPeriod{}}
	now := s.now()
	for _, m := range set.Coops.Members {
		for _, ms := range m.Memberships {
			if ms.Coop == c.ID {
				out.Members = append(out.Members, CoopMember{ID: m.ID, Name: m.Name, Since: day(ms.Since), Until: day(ms.Until), Current: ms.Covers(now)})
			}
		}
	}
	slices.SortStableFunc(out.Members, func(a, b CoopMember) int { return strings.Compare(a.ID, b.ID) })
	for _, p := range res.Periods {
		var total int64
		kinds := map[string]int64{}
		members := []scorejson.Member{}
		for _, m := range p.Members {
			if m.Coop != c.ID {
				continue
			}
			total += m.Credits
			for k, v := range m.ByKind {
				kinds[k] += v
			}
			members = append(members, scorejson.MemberOf(m))
		}
		byKind := map[string]json.Number{}
		for k, v := range kinds {
			byKind[k] = scorejson.Credits(v)
		}
		out.Periods = append(out.Periods, CoopPeriod{Period: p.Period.Name, Start: p.Period.Start, End: p.Period.End,
			Credits: scorejson.Credits(total), ByKind: byKind, Members: members})
	}
	return out, nil
}

func (s *Site) member(ctx context.Context, id string) (Member, error) {
	set, err := s.policy()
	if err != nil {
		return Member{}, err
	}
	m := set.Coops.Member(id)
	if m == nil {
		return Member{}, errNotFound
	}
	res, err := s.Credits.Credits(ctx)
	if err != nil {
		return Member{}, err
	}
	out := Member{ID: m.ID, Name: m.Name, Unit: scorejson.Unit, Identities: []Identity{}, Memberships: []Membership{},
		Periods: []MemberPeriod{}, Facts: []Fact{}}
	for _, i := range m.Identities {
		forge, login, _ := strings.Cut(i, ":")
		out.Identities = append(out.Identities, Identity{Identity: i, URL: s.forgeURL(forge, login)})
	}
	for _, ms := range m.Memberships {
		out.Memberships = append(out.Memberships, Membership{Coop: ms.Coop, Since: day(ms.Since), Until: day(ms.Until)})
	}
	for _, p := range res.Periods {
		mp := MemberPeriod{Period: p.Period.Name, Start: p.Period.Start, End: p.Period.End, ByCoop: []scorejson.Member{}}
		var total int64
		for _, mc := range p.Members {
			if mc.Member == m.ID {
				total += mc.Credits
				mp.ByCoop = append(mp.ByCoop, scorejson.MemberOf(mc))
			}
		}
		mp.Credits = scorejson.Credits(total)
		out.Periods = append(out.Periods, mp)
	}
	facts, err := s.Store.Facts(ctx)
	if err != nil {
		return Member{}, err
	}
	people := scoring.NewPeople(set)
	for i := len(facts) - 1; i >= 0; i-- { // newest recorded first
		f := &facts[i]
		if !slices.Contains(people.Members(f), m.ID) {
			continue
		}
		out.FactsTotal++
		if len(out.Facts) < MaxFacts {
			out.Facts = append(out.Facts, Fact{ID: f.ID, Kind: f.Kind, Forge: f.Forge, Repo: f.Repo, Number: f.Number, SHA: f.SHA,
				Ref: f.Ref, At: f.At, URL: s.factURL(f)})
		}
	}
	slices.SortStableFunc(out.Facts, func(a, b Fact) int { return b.At.Compare(a.At) })
	return out, nil
}

// factURL is the address on the forge of what a fact records: the
// commit, the release, or the issue or pull request (both forges redirect
// /issues/N to a pull request's page).
func (s *Site) factURL(f *ledger.Fact) string {
	switch {
	case f.Repo == "":
		return ""
	case f.Kind == ledger.FactCommit && f.SHA != "":
		return s.forgeURL(f.Forge, f.Repo, "commit", f.SHA)
	case f.Kind == ledger.FactReleasePublished && f.Ref != "":
		return s.forgeURL(f.Forge, f.Repo, "releases", "tag", f.Ref)
	case f.Number > 0:
		return s.forgeURL(f.Forge, f.Repo, "issues", strconv.FormatInt(f.Number, 10))
	case f.SHA != "":
		return s.forgeURL(f.Forge, f.Repo, "commit", f.SHA)
	}
	return s.forgeURL(f.Forge, f.Repo)
}

func (s *Site) proposal(ctx context.Context, id string) (Proposal, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return Proposal{}, errNotFound
	}
	p, err := s.Store.GetProposal(ctx, n)
	if errors.Is(err, store.ErrNotFound) {
		return Proposal{}, errNotFound
	}
	if err != nil {
		return Proposal{}, err
	}
	return s.proposalOf(ctx, p)
}

func (s *Site) proposalOf(ctx context.Context, p *store.Proposal) (Proposal, error) {
	v, err := proposalview.Of(ctx, s.Store, p, s.now())
	if err != nil {
		return Proposal{}, err
	}
	return Proposal{View: v, IssueURL: s.forgeURL(p.Forge, p.Repo, "issues", strconv.FormatInt(p.Number, 10))}, nil
}

func (s *Site) proposals(ctx context.Context) (Proposals, error) {
	ps, err := s.Store.ListProposals(ctx, 100)
	if err != nil {
		return Proposals{}, err
	}
	out := Proposals{Proposals: []Proposal{}}
	for i := range ps {
		p, err := s.proposalOf(ctx, &ps[i])
		if err != nil {
			return Proposals{}, err
		}
		out.Proposals = append(out.Proposals, p)
	}
	return out, nil
}

// rulesInWords says a profile's rules as a sentence or two.
func rulesInWords(p *policies.Profile) []string {
	if p == nil {
		return nil
	}
	who := "one member, one vote"
	if p.Voters == policies.VotersCoops {
		who = "one co-op, one vote (each co-op votes as most of its voting members do; a tie is an abstention)"
	}
	out := []string{
		fmt.Sprintf("Profile %q: %s.", p.Name, who),
		fmt.Sprintf("Quorum: at least %s of those who may vote must vote (abstaining and blocking count).", percent(p.Quorum)),
		fmt.Sprintf("It passes when more than %s of the yes and no votes are yes.", percent(p.Threshold)),
	}
	if p.Block {
		out = append(out, "Consent: a single block vote fails it.")
	} else {
		out = append(out, "A block vote counts as a no.")
	}
	if p.CloseEarly {
		out = append(out, "It closes early once no vote still to come can change the outcome.")
	}
	out = append(out, fmt.Sprintf("The vote stays open for %s.", duration(p.Duration)))
	return out
}

func percent(m policies.Milli) string {
	v := float64(m) / float64(policies.One) * 100
	return strconv.FormatFloat(v, 'f', -1, 64) + "%"
}

// duration writes d in days and hours, or minutes when shorter.
func duration(d time.Duration) string {
	if d <= 0 {
		return "0 minutes"
	}
	days, hours, mins := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	var parts []string
	plural := func(n int, unit string) {
		if n == 1 {
			parts = append(parts, "1 "+unit)
		} else if n > 1 {
			parts = append(parts, fmt.Sprintf("%d %ss", n, unit))
		}
	}
	plural(days, "day")
	plural(hours, "hour")
	if days == 0 {
		plural(mins, "minute")
	}
	if len(parts) == 0 {
		return "less than a minute"
	}
	return strings.Join(parts, " ")
}

// sortedKinds are the keys of by-kind maps, in the order the docs list
// fact kinds, then any other.
func sortedKinds(ms ...map[string]json.Number) []string {
	seen := map[string]bool{}
	for _, m := range ms {
		for k := range maps.Keys(m) {
			seen[k] = true
		}
	}
	var out []string
	for _, k := range policies.FactKinds() {
		if seen[k] {
			out = append(out, k)
			delete(seen, k)
		}
	}
	return append(out, slices.Sorted(maps.Keys(seen))...)
}
