// Package scoring turns facts into credits: per member, per co-op and per
// period, under one version of the policy files (coops.yml and
// scoring.yml). It is pure: no I/O and no clock, and every output is
// sorted, so the same facts and policy give the same Result to the last
// digit, whatever order the facts come in. Anyone with a copy of the
// ledger and the policy can re-run the numbers and check them.
//
// Credits are milli-credits (1000 = 1 credit) in int64: weights and
// multipliers are exact decimals (policies.Milli), each fact's credit is
// computed exactly and rounded once to the milli-credit, and sums are of
// integers, never floats. Splits (co-authors) and payouts use the
// largest-remainder method, so parts always add up to the whole.
//
// Only work in the federation's repositories (those a co-op lists in
// coops.yml) earns credit; facts from other repositories are shown per
// repository, never credited. A maintainer's manual credit counts wherever
// it was typed.
//
// Score credits facts; Payout splits a budget between co-ops by a period's
// credits; PeriodOf and ParsePeriod name the weeks, months and quarters
// credits are counted in.
package scoring
