package main

import (
	"encoding/json"
	"io"

	"github.com/accord-coop/accord/scorejson"
	"github.com/accord-coop/accord/scoring"
)

// The JSON of `accord score --format json` is package scorejson's; these
// names are the ones the command and its tests use.
type (
	scoreJSON       = scorejson.Score
	coopJSON        = scorejson.Coop
	memberJSON      = scorejson.Member
	outsideRepoJSON = scorejson.OutsideRepo
)

// credits is milli-credits as an exact decimal number.
func credits(n int64) json.Number { return scorejson.Credits(n) }

// writeScoreJSON writes res as the score JSON, by co-op or by member.
func writeScoreJSON(w io.Writer, res scoring.Result, source string, facts int, by string) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(scorejson.Of(res, source, facts, by))
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
