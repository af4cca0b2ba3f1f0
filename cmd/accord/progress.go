package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/accord-coop/accord/bot"
)

// backfillMeter shows a backfill's progress. On a terminal it is one line
// redrawn in place: a bar, the pages read of the phase's total, the facts,
// and the time left, once the forge has said how many pages there are.
// Elsewhere (a log, a CI job) it is one plain line per page.
type backfillMeter struct {
	w     io.Writer
	tty   bool
	label string // forge:owner/repo
	now   func() time.Time

	phase      string
	phaseStart time.Time // when the phase's first page of this run was asked for
	firstPage  int       // the page this run began the phase at (a resumed run starts later)
	last       time.Time // the previous report, or the start
	waitFrom   time.Time // a rate limit being waited out: from when,
	waitEnds   time.Time // and until when
}

// barWidth is the bar's width in characters.
const barWidth = 24

func newBackfillMeter(w io.Writer, tty bool, label string, now func() time.Time) *backfillMeter {
	return &backfillMeter{w: w, tty: tty, label: label, now: now, last: now()}
}

// update draws p.
func (m *backfillMeter) update(p bot.BackfillProgress) {
	now := m.now()
	if p.Phase != m.phase {
		m.phase, m.phaseStart, m.firstPage = p.Phase, m.last, p.Page
	}
	m.last = now
	switch {
	case !p.RateLimitedUntil.IsZero():
		m.waitFrom, m.waitEnds = now, p.RateLimitedUntil
	case !m.waitEnds.IsZero():
		// A wait for the forge says nothing of the pace of reading it.
		end := m.waitEnds
		if now.Before(end) {
			end = now
		}
		m.phaseStart = m.phaseStart.Add(max(end.Sub(m.waitFrom), 0))
		m.waitFrom, m.waitEnds = time.Time{}, time.Time{}
	}
	line := fmt.Sprintf("accord backfill %s: %s", m.label, m.describe(p, now))
	if m.tty {
		fmt.Fprintf(m.w, "\r%s\x1b[K", line)
		return
	}
	fmt.Fprintln(m.w, line)
}

// done ends the redrawn line, so what follows starts on a line of its own.
func (m *backfillMeter) done() {
	if m.tty && m.phase != "" {
		fmt.Fprintln(m.w)
	}
}

// describe is the line's text after the label.
func (m *backfillMeter) describe(p bot.BackfillProgress, now time.Time) string {
	what := backfillPhaseWords[p.Phase]
	if !p.RateLimitedUntil.IsZero() {
		return fmt.Sprintf("%s: the forge's rate limit is reached; waiting until %s to read page %d",
			what, p.RateLimitedUntil.UTC().Format("15:04:05 UTC"), p.Page)
	}
	facts := fmt.Sprintf("%d %s", p.Facts, plural("fact", int64(p.Facts)))
	if p.LastPage < p.Page {
		return fmt.Sprintf("%s: page %d, %s", what, p.Page, facts)
	}
	s := fmt.Sprintf("%s %s %d/%d pages, %s", what, bar(p.Page, p.LastPage), p.Page, p.LastPage, facts)
	if left := m.timeLeft(p, now); left > 0 {
		s += ", about " + roundLeft(left) + " left"
	}
	return s
}

// timeLeft estimates the phase's remaining time from the pace of the
// pages this run has read of it; 0 when it is done or there is no pace yet.
func (m *backfillMeter) timeLeft(p bot.BackfillProgress, now time.Time) time.Duration {
	read := p.Page - m.firstPage + 1
	if read < 1 || p.Page >= p.LastPage {
		return 0
	}
	perPage := now.Sub(m.phaseStart) / time.Duration(read)
	return perPage * time.Duration(p.LastPage-p.Page)
}

// roundLeft writes an estimate as precisely as it can claim: seconds under
// a minute, else whole minutes (2m, 1h5m).
func roundLeft(d time.Duration) string {
	if d < time.Minute {
		return max(d.Round(time.Second), time.Second).String()
	}
	return strings.TrimSuffix(d.Round(time.Minute).String(), "0s")
}

// bar draws done of total as [#####-----].
func bar(done, total int) string {
	n := min(barWidth*done/max(total, 1), barWidth)
	return "[" + strings.Repeat("#", n) + strings.Repeat("-", barWidth-n) + "]"
}
