package scoring

import (
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"strings"
)

// ErrNothingToSplit is the error of Payout when no co-op has credits: a
// budget cannot be split in proportion to nothing, and paying it to no one
// would leave money unassigned without anyone noticing.
var ErrNothingToSplit = errors.New("no co-op has credits, so there is nothing to split the amount by")

// Share is one co-op's part of a payout.
type Share struct {
	Coop    string
	Credits int64  // milli-credits, as in the PeriodResult
	Share   string // the co-op's fraction of all credits, 4 decimals: "0.4167"
	Amount  int64  // minor units (cents)
}

// Payout splits amount (in minor units) between the co-ops of p in
// proportion to their credits, in the order of p.Coops.
//
// Each co-op gets the floor of its exact share; the units left over (fewer
// than the number of co-ops) go one each to the co-ops with the largest
// remainders, ties broken by co-op id, so the amounts sum to exactly
// amount and no cent is left unassigned. A co-op with no credits (or,
// after a negative manual correction, fewer than none) gets 0.
//
// A negative amount is an error; so is a period in which no co-op has
// credits (ErrNothingToSplit), rather than silently paying nobody.
func Payout(p PeriodResult, amount int64) ([]Share, error) {
	if amount < 0 {
		return nil, fmt.Errorf("amount %d is negative; give the budget in minor units, e.g. 150000 for 1500.00", amount)
	}
	var total uint64
	for _, c := range p.Coops {
		var carry uint64
		total, carry = bits.Add64(total, positive(c.Credits), 0)
		if carry != 0 {
			return nil, fmt.Errorf("period %s: the co-ops' credits add up to more than can be counted", p.Period.Name)
		}
	}
	if total == 0 {
		return nil, fmt.Errorf("period %s: %w", p.Period.Name, ErrNothingToSplit)
	}
	shares := make([]Share, len(p.Coops))
	rems := make([]uint64, len(p.Coops))
	left := uint64(amount)
	for i, c := range p.Coops {
		q, r := mulDiv(uint64(amount), positive(c.Credits), total)
		shares[i] = Share{Coop: c.Coop, Credits: c.Credits, Share: fraction(positive(c.Credits), total), Amount: int64(q)}
		rems[i], left = r, left-q
	}
	for _, i := range largestRemainders(shares, rems)[:left] {
		shares[i].Amount++
	}
	return shares, nil
}

func positive(c int64) uint64 { return uint64(max(c, 0)) }

// mulDiv returns a×b/c and its remainder in 128-bit arithmetic, so that a
// large budget times large credits cannot overflow. It needs b ≤ c, which
// keeps the quotient within a.
func mulDiv(a, b, c uint64) (q, r uint64) {
	hi, lo := bits.Mul64(a, b)
	return bits.Div64(hi, lo, c)
}

// largestRemainders returns the indexes of shares by remainder, largest
// first, ties by co-op id.
func largestRemainders(shares []Share, rems []uint64) []int {
	idx := make([]int, len(shares))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		if rems[a] != rems[b] {
			if rems[a] > rems[b] {
				return -1
			}
			return 1
		}
		return strings.Compare(shares[a].Coop, shares[b].Coop)
	})
	return idx
}

// fraction formats part/total with 4 decimals, rounded half up: "0.4167".
func fraction(part, total uint64) string {
	q, r := mulDiv(10000, part, total)
	if r >= total-r {
		q++
	}
	return fmt.Sprintf("%d.%04d", q/10000, q%10000)
}
