// Package scorejson is the JSON shape of credits that `accord score
// --format json` writes and the web API serves (schema:
// docs/schemas/score.schema.json): snake_case keys, [] for empty lists,
// and credits as exact decimal numbers in credits, the unit named once at
// the top ("unit": "credit").
package scorejson

import (
	"encoding/json"
	"maps"
	"slices"
	"time"

	"github.com/accord-coop/accord/policies"
	"github.com/accord-coop/accord/scoring"
)

// Unit is the unit credits are given in.
const Unit = "credit"

// Score is a scoring.Result, by co-op or by member.
type Score struct {
	Policy  string   `json:"policy"`
	Source  string   `json:"source"`
	Facts   int      `json:"facts"`
	By      string   `json:"by"`
	Unit    string   `json:"unit"`
	Periods []Period `json:"periods"`
}

// Period is one period's credits.
type Period struct {
	Period       string        `json:"period"`
	Start        time.Time     `json:"start"`
	End          time.Time     `json:"end"`
	Coops        []Coop        `json:"coops,omitempty"`   // by coop
	Members      []Member      `json:"members,omitempty"` // by member
	Unaffiliated []Identity    `json:"unaffiliated"`
	Excluded     []Identity    `json:"excluded"`
	Outside      []OutsideRepo `json:"outside"`
}

// Coop is what a co-op's members earned for it.
type Coop struct {
	Coop    string      `json:"coop"`
	Credits json.Number `json:"credits"`
}

// Member is what a member earned for a co-op, in all and per fact kind.
type Member struct {
	Member  string                 `json:"member"`
	Coop    string                 `json:"coop"`
	Credits json.Number            `json:"credits"`
	ByKind  map[string]json.Number `json:"by_kind"`
}

// Identity is credit shown for someone who is not paid.
type Identity struct {
	Who     string      `json:"who"`
	Credits json.Number `json:"credits"`
	Reason  string      `json:"reason"`
}

// OutsideRepo is what the facts of a repository no co-op lists would have
// earned.
type OutsideRepo struct {
	Repo      string      `json:"repo"`
	Facts     int         `json:"facts"`
	WouldEarn json.Number `json:"would_earn"`
}

// Credits is milli-credits as an exact decimal number of credits.
func Credits(n int64) json.Number { return json.Number(policies.Milli(n).String()) }

// Of is res as the score JSON, by "coop" or by "member"; source and facts
// say what was scored.
func Of(res scoring.Result, source string, facts int, by string) Score {
	out := Score{Policy: res.Policy, Source: source, Facts: facts, By: by, Unit: Unit, Periods: []Period{}}
	for _, p := range res.Periods {
		pj := Period{Period: p.Period.Name, Start: p.Period.Start, End: p.Period.End,
			Unaffiliated: Identities(p.Unaffiliated), Excluded: Identities(p.Excluded), Outside: []OutsideRepo{}}
		if by == "coop" {
			pj.Coops = []Coop{}
			for _, c := range p.Coops {
				pj.Coops = append(pj.Coops, Coop{Coop: c.Coop, Credits: Credits(c.Credits)})
			}
		} else {
			pj.Members = []Member{}
			for _, m := range p.Members {
				pj.Members = append(pj.Members, MemberOf(m))
			}
		}
		for _, o := range p.Outside {
			pj.Outside = append(pj.Outside, OutsideRepo{Repo: o.Repo, Facts: o.Facts, WouldEarn: Credits(o.WouldEarn)})
		}
		out.Periods = append(out.Periods, pj)
	}
	return out
}

// MemberOf is one member's row.
func MemberOf(m scoring.MemberCredit) Member {
	kinds := map[string]json.Number{}
	for _, k := range slices.Sorted(maps.Keys(m.ByKind)) {
		kinds[k] = Credits(m.ByKind[k])
	}
	return Member{Member: m.Member, Coop: m.Coop, Credits: Credits(m.Credits), ByKind: kinds}
}

// Identities is ids as JSON rows, [] when there are none.
func Identities(ids []scoring.IdentityCredit) []Identity {
	out := []Identity{}
	for _, i := range ids {
		out = append(out, Identity{Who: i.Who, Credits: Credits(i.Credits), Reason: i.Reason})
	}
	return out
}
