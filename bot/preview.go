package bot

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/accord-coop/accord/ledger"
	"github.com/accord-coop/accord/policies"
	"github.com/accord-coop/accord/scoring"
)

// PolicyPreview says what a new policy version does to each co-op's credits
// compared with the old one, over the ledger's facts: over the last full
// period before now (by the new version's period), and over all periods.
// It is what a pull request that changes the policy files is shown, and what
// `accord policy diff` prints.
func PolicyPreview(facts []ledger.Fact, old, new *policies.Set, now time.Time) string {
	last := scoring.PeriodOf(new.Scoring.Period, scoring.PeriodOf(new.Scoring.Period, now).Start.Add(-time.Nanosecond))
	oldRes, newRes := scoring.Score(facts, old), scoring.Score(facts, new)
	var b strings.Builder
	fmt.Fprintf(&b, "| co-op | %s before | after | change | all periods before | after | change |\n|---|---|---|---|---|---|---|\n", last.Name)
	oldLast, newLast := coopCredits(oldRes, &last), coopCredits(newRes, &last)
	oldAll, newAll := coopCredits(oldRes, nil), coopCredits(newRes, nil)
	var coops []string
	for _, m := range []map[string]int64{oldLast, newLast, oldAll, newAll} {
		for c := range m {
			if !slices.Contains(coops, c) {
				coops = append(coops, c)
			}
		}
	}
	slices.Sort(coops)
	for _, c := range coops {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", c, milli(oldLast[c]), milli(newLast[c]), change(oldLast[c], newLast[c]),
			milli(oldAll[c]), milli(newAll[c]), change(oldAll[c], newAll[c]))
	}
	if len(coops) == 0 {
		b.WriteString("| (no co-op has credits yet) | | | | | | |\n")
	}
	fmt.Fprintf(&b, "\nOver %d facts in the ledger; credits of members without a membership at the time are not paid and not shown.\n", len(facts))
	if before, after := outsideFacts(oldRes), outsideFacts(newRes); before != 0 || after != 0 {
		fmt.Fprintf(&b, "Facts from repositories that no co-op lists in coops.yml earn no credit: %d before, %d after.\n", before, after)
	}
	return b.String()
}

// outsideFacts counts the facts of repositories outside the federation,
// over all periods.
func outsideFacts(r scoring.Result) int {
	n := 0
	for _, p := range r.Periods {
		for _, o := range p.Outside {
			n += o.Facts
		}
	}
	return n
}

// coopCredits sums each co-op's credits over one period, or all.
func coopCredits(r scoring.Result, only *scoring.Period) map[string]int64 {
	out := map[string]int64{}
	for _, p := range r.Periods {
		if only != nil && p.Period.Name != only.Name {
			continue
		}
		for _, c := range p.Coops {
			out[c.Coop] += c.Credits
		}
	}
	return out
}

func change(before, after int64) string {
	switch {
	case after > before:
		return "+" + milli(after-before)
	case after < before:
		return "−" + milli(before-after)
	}
	return "="
}

// milli writes milli-units as a decimal: 12500 → "12.5".
func milli(n int64) string { return policies.Milli(n).String() }
