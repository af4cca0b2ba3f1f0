package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/accord-coop/accord/bot"
	"github.com/accord-coop/accord/config"
	"github.com/accord-coop/accord/ledger"
	"github.com/accord-coop/accord/policies"
	"github.com/accord-coop/accord/scoring"
	"github.com/accord-coop/accord/store"
)

// scoreInputs are the facts of the ledger and the policy version to score
// them by: the version in force (the last good one read from the configured
// source), or --policy-ref.
func scoreInputs(ctx context.Context, cfgPath, ref string) ([]ledger.Fact, *policies.Set, string, error) {
	cfg, err := config.Load(cfgPath, os.Getenv)
	if err != nil {
		return nil, nil, "", err
	}
	if _, err := os.Stat(cfg.Database); err != nil {
		return nil, nil, "", fmt.Errorf("no database at %s", cfg.Database)
	}
	st, err := openStore(cfg)
	if err != nil {
		return nil, nil, "", err
	}
	defer st.Close()
	facts, err := st.Facts(ctx)
	if err != nil {
		return nil, nil, "", err
	}
	pv, err := policyVersion(ctx, cfg, st, ref)
	if err != nil {
		return nil, nil, "", err
	}
	var names []string
	for _, f := range cfg.Forges {
		names = append(names, f.Name)
	}
	if cfg.Source == "defaults" {
		names = nil
	}
	set, errs := policies.Parse(pv.Files, names)
	if len(errs) > 0 {
		return nil, nil, "", fmt.Errorf("policy version %s does not validate now: %s", pv.Version, errs[0].Error())
	}
	set.Version = pv.Version
	return facts, set, pv.Source, nil
}

// dirVersion is the policy files of a directory as a version, named by
// their content as serve names it.
func dirVersion(dir, source string) (*store.PolicyVersion, error) {
	files := map[string][]byte{}
	for _, name := range policies.FileNames() {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("policies.dir: %w", err)
		}
		files[name] = data
	}
	v := policies.ContentVersion(files)
	return &store.PolicyVersion{Version: v, Source: source, Content: v, Valid: true, Files: files}, nil
}

func policyVersion(ctx context.Context, cfg *config.Config, st *store.Store, ref string) (*store.PolicyVersion, error) {
	if ref == "" {
		source := (bot.PolicySource{Dir: cfg.Policies.Dir}).String()
		if cfg.Policies.Repo != "" {
			p, _ := policiesFor(cfg, nil, st, nil)
			source = p.Source.String()
		}
		pv, err := st.LastGoodPolicyVersion(ctx, source)
		if errors.Is(err, store.ErrNotFound) && cfg.Policies.Repo == "" {
			// A directory needs no prior serve: read it as serve would.
			return dirVersion(cfg.Policies.Dir, source)
		}
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("no valid policy version has been read from %s yet (start accord serve once, or give --policy-ref)", source)
		}
		return pv, err
	}
	vs, err := st.PolicyVersions(ctx, 100000)
	if err != nil {
		return nil, err
	}
	for _, v := range vs {
		if v.Valid && (v.Version == ref || (len(ref) >= 7 && strings.HasPrefix(v.Version, ref))) {
			return &v, nil
		}
	}
	return nil, fmt.Errorf("no valid policy version %q is recorded", ref)
}

func runScore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("score", "score [--period P] [--by coop|member] [--format table|csv|json] [--policy-ref SHA]", stdout)
	period := fs.String("period", "", "only this `period`, e.g. 2026-10 (month), 2026-W43 (week), 2026-Q4 (quarter); default all")
	by := fs.String("by", "coop", "credits by `coop` or member")
	format := fs.String("format", "table", "output `format`: table, csv or json")
	ref := fs.String("policy-ref", "", "score under this recorded policy `version` (commit SHA) instead of the one in force")
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", pos[0])}
	}
	if *by != "coop" && *by != "member" {
		return usageError{fmt.Sprintf("--by %q: use coop or member", *by)}
	}
	if *format != "table" && *format != "csv" && *format != "json" {
		return usageError{fmt.Sprintf("--format %q: use table, csv or json", *format)}
	}
	facts, set, source, err := scoreInputs(ctx, *fs.config, *ref)
	if err != nil {
		return err
	}
	res := scoring.Score(facts, set)
	if *period != "" {
		p, err := scoring.ParsePeriod(set.Scoring.Period, *period)
		if err != nil {
			return usageError{err.Error()}
		}
		res.Periods = onlyPeriod(res.Periods, p)
	}
	if *format == "json" {
		return writeScoreJSON(stdout, res, source, len(facts), *by)
	}
	rows := scoreRows(res, *by)
	if *format == "csv" {
		// Repos outside the federation follow, in the same three columns,
		// with 0 credits: a sum of the column stays the federation's.
		w := csv.NewWriter(stdout)
		w.Write([]string{"period", *by, "credits"})
		for _, r := range rows {
			w.Write(r)
		}
		for _, o := range outsideRows(res) {
			w.Write([]string{o[0], fmt.Sprintf("%s (outside the federation: %s facts would earn %s; not credited)", o[1], o[2], o[3]), "0"})
		}
		w.Flush()
		return w.Error()
	}
	fmt.Fprintf(stdout, "policy %s (%s); %d facts\n", set.Version, source, len(facts))
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "PERIOD\t%s\tCREDITS\n", strings.ToUpper(*by))
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r[0], r[1], r[2])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if out := outsideRows(res); len(out) > 0 {
		fmt.Fprintln(stdout, "\nOutside the federation: repositories no co-op lists in coops.yml. Their facts are recorded, not credited, never paid.")
		tw = tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "PERIOD\tREPO\tFACTS\tWOULD EARN")
		for _, o := range out {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", o[0], o[1], o[2], o[3])
		}
		return tw.Flush()
	}
	return nil
}

func onlyPeriod(ps []scoring.PeriodResult, p scoring.Period) []scoring.PeriodResult {
	for _, r := range ps {
		if r.Period.Name == p.Name {
			return []scoring.PeriodResult{r}
		}
	}
	return []scoring.PeriodResult{{Period: p}}
}

// scoreRows are the lines of the table: per period, each co-op (or member)
// and then the unaffiliated, marked as not paid.
func scoreRows(res scoring.Result, by string) [][]string {
	var rows [][]string
	for _, p := range res.Periods {
		if by == "coop" {
			for _, c := range p.Coops {
				rows = append(rows, []string{p.Period.Name, c.Coop, milli(c.Credits)})
			}
		} else {
			for _, m := range p.Members {
				rows = append(rows, []string{p.Period.Name, m.Member + " (" + m.Coop + ")", milli(m.Credits)})
			}
		}
		for _, u := range p.Unaffiliated {
			rows = append(rows, []string{p.Period.Name, u.Who + " (unaffiliated, not paid)", milli(u.Credits)})
		}
	}
	return rows
}

// outsideRows are, per period, the repositories outside the federation:
// period, repo, facts, and what they would have earned.
func outsideRows(res scoring.Result) [][]string {
	var rows [][]string
	for _, p := range res.Periods {
		for _, o := range p.Outside {
			rows = append(rows, []string{p.Period.Name, o.Repo, strconv.Itoa(o.Facts), milli(o.WouldEarn)})
		}
	}
	return rows
}

// milli writes milli-units as a decimal: 12500 → "12.5".
func milli(n int64) string { return policies.Milli(n).String() }

func runPayout(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("payout", "payout --period P --amount N [--currency C] [--policy-ref SHA] [--format csv|json]", stdout)
	period := fs.String("period", "", "the `period` whose credits split the budget, e.g. 2026-10")
	amount := fs.String("amount", "", "the `budget`, in the currency's units with at most 2 decimals, e.g. 1500.00")
	currency := fs.String("currency", "EUR", "the `currency` code written in the CSV")
	ref := fs.String("policy-ref", "", "use this recorded policy `version` instead of the one in force")
	format := fs.String("format", "csv", "output `format`: csv or json (docs/schemas/payout.schema.json)")
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", pos[0])}
	}
	if *format != "csv" && *format != "json" {
		return usageError{fmt.Sprintf("--format %q: use csv or json", *format)}
	}
	if *period == "" {
		return usageError{"give --period, e.g. --period 2026-10"}
	}
	cents, ok := parseMoney(*amount)
	if !ok {
		return usageError{fmt.Sprintf("--amount %q: give a non-negative amount with at most 2 decimals, e.g. 1500.00", *amount)}
	}
	facts, set, source, err := scoreInputs(ctx, *fs.config, *ref)
	if err != nil {
		return err
	}
	p, err := scoring.ParsePeriod(set.Scoring.Period, *period)
	if err != nil {
		return usageError{err.Error()}
	}
	pr := onlyPeriod(scoring.Score(facts, set).Periods, p)[0]
	shares, err := scoring.Payout(pr, cents)
	if err != nil {
		return err
	}
	if *format == "json" {
		out := payoutJSON{Period: p.Name, Amount: json.Number(money(cents)), Currency: *currency, Policy: set.Version, Source: source,
			Unit: "credit", Shares: []payoutShareJSON{}}
		for _, sh := range shares {
			out.Shares = append(out.Shares, payoutShareJSON{Coop: sh.Coop, Credits: credits(sh.Credits), Share: json.Number(sh.Share),
				Amount: json.Number(money(sh.Amount))})
		}
		return writeJSON(stdout, out)
	}
	fmt.Fprintf(stderr, "accord payout: %s %s over period %s by policy %s (%s)\n", money(cents), *currency, p.Name, set.Version, source)
	w := csv.NewWriter(stdout)
	w.Write([]string{"coop", "credits", "share", "amount", "currency"})
	for _, s := range shares {
		w.Write([]string{s.Coop, milli(s.Credits), s.Share, money(s.Amount), *currency})
	}
	w.Flush()
	return w.Error()
}

// parseMoney reads "1500", "1500.5", "1500.50" as cents.
func parseMoney(s string) (int64, bool) {
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(frac) > 2 || len(whole) > 15 {
		return 0, false
	}
	n, err := strconv.ParseInt(whole+frac+strings.Repeat("0", 2-len(frac)), 10, 64)
	return n, err == nil && n >= 0 && !strings.HasPrefix(whole, "-") && !strings.HasPrefix(whole, "+")
}

func money(cents int64) string { return fmt.Sprintf("%d.%02d", cents/100, cents%100) }
