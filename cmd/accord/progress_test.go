package main

import (
	"strings"
	"testing"
	"time"

	"github.com/accord-coop/accord/bot"
)

// TestBackfillMeter: on a terminal the line is redrawn in place with a bar,
// the total and the time left at the phase's pace; elsewhere each page is a
// plain line; a rate limit says until when it waits.
func TestBackfillMeter(t *testing.T) {
	start := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	reports := []struct {
		at time.Duration
		p  bot.BackfillProgress
	}{
		{10 * time.Second, bot.BackfillProgress{Phase: "pulls", Page: 1, LastPage: 4, Facts: 120}},
		{20 * time.Second, bot.BackfillProgress{Phase: "pulls", Page: 2, LastPage: 4, Facts: 250}},
		{20 * time.Second, bot.BackfillProgress{Phase: "pulls", Page: 3, LastPage: 4, Facts: 250, RateLimitedUntil: start.Add(time.Hour)}},
		{time.Hour + 10*time.Second, bot.BackfillProgress{Phase: "pulls", Page: 3, LastPage: 4, Facts: 370}},
		{time.Hour + 20*time.Second, bot.BackfillProgress{Phase: "pulls", Page: 4, LastPage: 4, Facts: 400}},
		{time.Hour + 25*time.Second, bot.BackfillProgress{Phase: "issues", Page: 1, LastPage: 30, Facts: 480}},
		{time.Hour + 26*time.Second, bot.BackfillProgress{Phase: "releases", Page: 1, Facts: 1}},
		{time.Hour + 46*time.Second, bot.BackfillProgress{Phase: "updated", Page: 1, LastPage: 200, Facts: 2}},
	}
	run := func(tty bool) string {
		var out strings.Builder
		now := start
		m := newBackfillMeter(&out, tty, "gitea:federation/commons", func() time.Time { return now })
		for _, r := range reports {
			now = start.Add(r.at)
			m.update(r.p)
		}
		m.done()
		return out.String()
	}
	plain := `accord backfill gitea:federation/commons: closed pull requests [######------------------] 1/4 pages, 120 facts, about 30s left
accord backfill gitea:federation/commons: closed pull requests [############------------] 2/4 pages, 250 facts, about 20s left
accord backfill gitea:federation/commons: closed pull requests: the forge's rate limit is reached; waiting until 11:00:00 UTC to read page 3
accord backfill gitea:federation/commons: closed pull requests [##################------] 3/4 pages, 370 facts, about 10s left
accord backfill gitea:federation/commons: closed pull requests [########################] 4/4 pages, 400 facts
accord backfill gitea:federation/commons: issues [------------------------] 1/30 pages, 480 facts, about 2m left
accord backfill gitea:federation/commons: releases: page 1, 1 fact
accord backfill gitea:federation/commons: changes since the last run [------------------------] 1/200 pages, 2 facts, about 1h6m left
`
	if got := run(false); got != plain {
		t.Errorf("plain lines:\n%s\nwant\n%s", got, plain)
	}
	tty := run(true)
	want := "\r" + strings.ReplaceAll(strings.TrimSuffix(plain, "\n"), "\n", "\x1b[K\r") + "\x1b[K\n"
	if tty != want {
		t.Errorf("terminal:\n%q\nwant\n%q", tty, want)
	}
}
