package scoring

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/accord-coop/accord/policies"
)

// Period is a scoring period: its name ("2026-10", "2026-W43", "2026-Q4")
// and the instants it covers, [Start, End), both UTC.
type Period struct {
	Name       string
	Start, End time.Time
}

// Contains reports whether t falls in the period.
func (p Period) Contains(t time.Time) bool { return !t.Before(p.Start) && t.Before(p.End) }

// PeriodOf returns the period of kind (week, month or quarter, as
// scoring.yml's period says) that holds t, in UTC. Weeks are ISO weeks:
// they start on Monday and belong to the ISO year of their Thursday, so
// 2024-12-30 is in 2025-W01. An empty or unknown kind is month, the
// default of scoring.yml, because a valid policy never has another.
func PeriodOf(kind string, t time.Time) Period {
	t = t.UTC()
	switch kind {
	case policies.PeriodWeek:
		y, w := t.ISOWeek()
		start := isoWeekStart(y, w)
		return Period{Name: fmt.Sprintf("%04d-W%02d", y, w), Start: start, End: start.AddDate(0, 0, 7)}
	case policies.PeriodQuarter:
		q := (int(t.Month()) - 1) / 3
		start := time.Date(t.Year(), time.Month(3*q+1), 1, 0, 0, 0, 0, time.UTC)
		return Period{Name: fmt.Sprintf("%04d-Q%d", t.Year(), q+1), Start: start, End: start.AddDate(0, 3, 0)}
	default:
		start := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
		return Period{Name: fmt.Sprintf("%04d-%02d", t.Year(), int(t.Month())), Start: start, End: start.AddDate(0, 1, 0)}
	}
}

// isoWeekStart returns the Monday of ISO week w of ISO year y: week 1 is
// the week that holds 4 January.
func isoWeekStart(y, w int) time.Time {
	jan4 := time.Date(y, time.January, 4, 0, 0, 0, 0, time.UTC)
	monday := jan4.AddDate(0, 0, -((int(jan4.Weekday()) + 6) % 7))
	return monday.AddDate(0, 0, 7*(w-1))
}

// periodFormats says, per kind, how a period is written, for errors.
var periodFormats = map[string]string{
	policies.PeriodWeek:    "the ISO year and week as YYYY-Www, e.g. 2026-W43",
	policies.PeriodMonth:   "the year and month as YYYY-MM, e.g. 2026-10",
	policies.PeriodQuarter: "the year and quarter as YYYY-Qn, e.g. 2026-Q4",
}

// ParsePeriod parses the name of a period of kind (week, month or quarter;
// empty is month): "2026-W43", "2026-10" or "2026-Q4". The W and Q may be
// lower-case; the returned Name is the canonical one. A name that is not a
// period of that kind, or one that does not exist (2026-13, 2025-W53), is
// an error that says how to write it.
func ParsePeriod(kind, name string) (Period, error) {
	if kind == "" {
		kind = policies.PeriodMonth
	}
	format, ok := periodFormats[kind]
	if !ok {
		return Period{}, fmt.Errorf("period kind %q is not known; use week, month or quarter", kind)
	}
	start, ok := periodStart(kind, strings.ToUpper(name))
	if !ok {
		return Period{}, fmt.Errorf("period %q is not a %s; write %s", name, kind, format)
	}
	// Round-tripping rejects what does not exist (month 13, week 53 of a
	// 52-week year) without a rule per kind.
	p := PeriodOf(kind, start)
	if p.Name != strings.ToUpper(name) {
		return Period{}, fmt.Errorf("period %q does not exist; write %s", name, format)
	}
	return p, nil
}

// periodStart reads "YYYY-" and the period's number (MM, Www or Qn) and
// returns the start of the period it names. Only the form is checked here:
// time.Date normalises month 13 or week 54 into another period, which the
// caller's round trip then rejects.
func periodStart(kind, name string) (time.Time, bool) {
	sep, digits := "", 2
	switch kind {
	case policies.PeriodWeek:
		sep = "W"
	case policies.PeriodQuarter:
		sep, digits = "Q", 1
	}
	year, rest, ok := strings.Cut(name, "-")
	if !ok || len(year) != 4 || !strings.HasPrefix(rest, sep) || len(rest) != len(sep)+digits {
		return time.Time{}, false
	}
	y, err1 := strconv.Atoi(year)
	n, err2 := strconv.Atoi(rest[len(sep):])
	if err1 != nil || err2 != nil || !allDigits(year+rest[len(sep):]) {
		return time.Time{}, false
	}
	switch kind {
	case policies.PeriodWeek:
		return isoWeekStart(y, n), true
	case policies.PeriodQuarter:
		return time.Date(y, time.Month(3*n-2), 1, 0, 0, 0, 0, time.UTC), true
	default:
		return time.Date(y, time.Month(n), 1, 0, 0, 0, 0, time.UTC), true
	}
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
