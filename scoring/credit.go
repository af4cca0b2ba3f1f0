package scoring

import (
	"math"
	"math/big"
	"math/bits"
	"slices"
	"strings"

	"github.com/accord-coop/accord/ledger"
	"github.com/accord-coop/accord/policies"
)

// rates holds the scoring.yml numbers a Score call looks up per fact, with
// the lookups that would otherwise allocate cached.
type rates struct {
	s      *policies.Scoring
	labels map[string]policies.Milli // label, lower-cased → multiplier
	repos  map[[2]string]policies.Milli
}

func newRates(s *policies.Scoring) *rates {
	r := &rates{s: s, labels: map[string]policies.Milli{}, repos: map[[2]string]policies.Milli{}}
	// Forges compare labels case-insensitively; should two keys differ only
	// in case, the first in sorted order wins, so the choice never depends
	// on map order.
	keys := make([]string, 0, len(s.Multipliers.Labels))
	for k := range s.Multipliers.Labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if _, dup := r.labels[strings.ToLower(k)]; !dup {
			r.labels[strings.ToLower(k)] = s.Multipliers.Labels[k]
		}
	}
	return r
}

func (r *rates) repo(forge, repo string) policies.Milli {
	key := [2]string{forge, repo}
	m, ok := r.repos[key]
	if !ok {
		m = r.s.RepoMultiplier(forge + ":" + repo)
		r.repos[key] = m
	}
	return m
}

// credit returns the milli-credits a fact earns before caps and splitting,
// by the rules in Score's doc. Multipliers of 1 are left out, so that the
// common fact needs no arithmetic beyond one product.
func (r *rates) credit(f *ledger.Fact) int64 {
	w := int64(r.s.Weight(f.Kind))
	if f.Kind == ledger.FactManual {
		return scale(w, []int64{f.Points})
	}
	var buf [8]int64
	mults := buf[:0]
	if m := r.repo(f.Forge, f.Repo); m != policies.One {
		mults = append(mults, int64(m))
	}
	for i, l := range f.Labels {
		l = strings.ToLower(l)
		m, ok := r.labels[l]
		if !ok || m == policies.One || seenLabel(f.Labels[:i], l) {
			continue
		}
		mults = append(mults, int64(m))
	}
	return scale(w, mults)
}

// seenLabel reports whether label (lower-cased) is among earlier labels, so
// that a label listed twice multiplies once.
func seenLabel(earlier []string, label string) bool {
	for _, e := range earlier {
		if strings.EqualFold(e, label) {
			return true
		}
	}
	return false
}

// scale returns base × Π(m/1000) rounded to the nearest integer, halves
// away from zero: base and the result are in thousandths, and so is each m.
// It stays in 64 bits while the exact product fits, which is every
// realistic policy, and falls back to big integers otherwise. A result
// beyond int64 saturates.
func scale(base int64, mults []int64) int64 {
	num, den, neg := abs64(base), uint64(1), base < 0
	for _, m := range mults {
		hi, lo := bits.Mul64(num, abs64(m))
		dhi, dlo := bits.Mul64(den, 1000)
		if hi != 0 || dhi != 0 {
			return scaleBig(base, mults)
		}
		num, den, neg = lo, dlo, neg != (m < 0)
	}
	q, rem := num/den, num%den
	if rem >= den-rem { // rem ≥ den/2 without overflow
		q++
	}
	return signed(q, neg)
}

func scaleBig(base int64, mults []int64) int64 {
	num, den := big.NewInt(base), big.NewInt(1)
	thousand := big.NewInt(1000)
	for _, m := range mults {
		num.Mul(num, big.NewInt(m))
		den.Mul(den, thousand)
	}
	neg := num.Sign() < 0
	num.Abs(num)
	q, rem := new(big.Int).QuoRem(num, den, new(big.Int))
	if rem.Lsh(rem, 1).Cmp(den) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if !q.IsUint64() {
		return signed(math.MaxUint64, neg)
	}
	return signed(q.Uint64(), neg)
}

func abs64(x int64) uint64 {
	if x < 0 {
		return uint64(-x) // -MinInt64 wraps to 1<<63, its magnitude
	}
	return uint64(x)
}

// signed turns a magnitude and a sign back into an int64, saturating.
func signed(q uint64, neg bool) int64 {
	if q > math.MaxInt64 {
		if neg {
			return math.MinInt64
		}
		return math.MaxInt64
	}
	if neg {
		return -int64(q)
	}
	return int64(q)
}

// split divides total milli-credits among n parties into parts that sum to
// exactly total: each gets the floor of the equal share, and the remainder
// goes one milli-credit at a time to the first parties in the order given
// (the callers sort them by key). Since every part has the same fractional
// remainder, this is the largest-remainder method with ties broken by key.
func split(total int64, n int) []int64 {
	q, r := total/int64(n), total%int64(n)
	if r < 0 { // floor division, so a negative total's remainder is positive too
		q, r = q-1, r+int64(n)
	}
	parts := make([]int64, n)
	for i := range parts {
		parts[i] = q
		if int64(i) < r {
			parts[i]++
		}
	}
	return parts
}
