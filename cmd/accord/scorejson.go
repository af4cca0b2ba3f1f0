package main

import (
	"encoding/json"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/accord-coop/accord/scoring"
)

// The JSON of `accord score --format json` (schema: docs/schemas/score.schema.json):
// snake_case keys, [] for empty lists, and credits as decimal numbers in
// credits (the unit named once at the top), exact (from milli-credits).
type scoreJSON struct {
	Policy  string            `json:"policy"`
	Source  string            `json:"source"`
	Facts   int               `json:"facts"`
	By      string            `json:"by"`
	Unit    string            `json:"unit"`
	Periods []scorePeriodJSON `json:"periods"`
}

type scorePeriodJSON struct {
	Period       string            `json:"period"`
	Start        time.Time         `json:"start"`
	End          time.Time         `json:"end"`
	Coops        []coopJSON        `json:"coops,omitempty"`   // with --by coop
	Members      []memberJSON      `json:"members,omitempty"` // with --by member
	Unaffiliated []identityJSON    `json:"unaffiliated"`
	Excluded     []identityJSON    `json:"excluded"`
	Outside      []outsideRepoJSON `json:"outside"`
}

type coopJSON struct {
	Coop    string      `json:"coop"`
	Credits json.Number `json:"credits"`
}

type memberJSON struct {
	Member  string                 `json:"member"`
	Coop    string                 `json:"coop"`
	Credits json.Number            `json:"credits"`
	ByKind  map[string]json.Number `json:"by_kind"`
}

type identityJSON struct {
	Who     string      `json:"who"`
	Credits json.Number `json:"credits"`
	Reason  string      `json:"reason"`
}

type outsideRepoJSON struct {
	Repo      string      `json:"repo"`
	Facts     int         `json:"facts"`
	WouldEarn json.Number `json:"would_earn"`
}

// credits is milli-credits as an exact decimal number.
func credits(n int64) json.Number { return json.Number(milli(n)) }

// writeScoreJSON writes res as the score JSON, by co-op or by member.
func writeScoreJSON(w io.Writer, res scoring.Result, source string, facts int, by string) error {
	out := scoreJSON{Policy: res.Policy, Source: source, Facts: facts, By: by, Unit: "credit", Periods: []scorePeriodJSON{}}
	for _, p := range res.Periods {
		pj := scorePeriodJSON{Period: p.Period.Name, Start: p.Period.Start, End: p.Period.End,
			Unaffiliated: identities(p.Unaffiliated), Excluded: identities(p.Excluded), Outside: []outsideRepoJSON{}}
		if by == "coop" {
			pj.Coops = []coopJSON{}
			for _, c := range p.Coops {
				pj.Coops = append(pj.Coops, coopJSON{Coop: c.Coop, Credits: credits(c.Credits)})
			}
		} else {
			pj.Members = []memberJSON{}
			for _, m := range p.Members {
				kinds := map[string]json.Number{}
				for _, k := range slices.Sorted(maps.Keys(m.ByKind)) {
					kinds[k] = credits(m.ByKind[k])
				}
				pj.Members = append(pj.Members, memberJSON{Member: m.Member, Coop: m.Coop, Credits: credits(m.Credits), ByKind: kinds})
			}
		}
		for _, o := range p.Outside {
			pj.Outside = append(pj.Outside, outsideRepoJSON{Repo: o.Repo, Facts: o.Facts, WouldEarn: credits(o.WouldEarn)})
		}
		out.Periods = append(out.Periods, pj)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func identities(ids []scoring.IdentityCredit) []identityJSON {
	out := []identityJSON{}
	for _, i := range ids {
		out = append(out, identityJSON{Who: i.Who, Credits: credits(i.Credits), Reason: i.Reason})
	}
	return out
}

// payoutJSON is `accord payout --format json` (docs/schemas/payout.schema.json):
// amounts as exact decimals in the currency's units, credits in credits.
type payoutJSON struct {
	Period   string            `json:"period"`
	Amount   json.Number       `json:"amount"`
	Currency string            `json:"currency"`
	Policy   string            `json:"policy"`
	Source   string            `json:"source"`
	Unit     string            `json:"unit"`
	Shares   []payoutShareJSON `json:"shares"`
}

type payoutShareJSON struct {
	Coop    string      `json:"coop"`
	Credits json.Number `json:"credits"`
	Share   json.Number `json:"share"`
	Amount  json.Number `json:"amount"`
}
