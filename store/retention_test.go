package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/accord-coop/accord/forges"
	"github.com/accord-coop/accord/ledger"
)

// TestPrunePayloads: on a test clock, the payloads of deliveries finished
// (done, ignored, dead) before the cutoff go, oldest first, a batch at a
// time; those finished later and those not finished stay; the deliveries'
// rows, events and the ledger stay; retrying a pruned delivery says so.
func TestPrunePayloads(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	t0 := time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)
	for _, id := range []string{"old-done", "old-ignored", "old-dead", "recent", "queued"} {
		d := delivery(id)
		d.ReceivedAt = t0
		if _, err := s.InsertDelivery(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	claimed, err := s.ClaimDeliveries(ctx, t0, 4) // all but "queued"
	if err != nil || len(claimed) != 4 {
		t.Fatalf("claim: %d %v", len(claimed), err)
	}
	seq := map[string]int64{}
	for _, d := range claimed {
		seq[d.ID] = d.Seq
	}
	ev := func(id string) *forges.Event {
		return &forges.Event{Forge: "github", DeliveryID: id, Kind: forges.KindIssue, Action: "opened", Time: t0}
	}
	f := testFact(1)
	finish := func(at time.Time, outs ...Outcome) {
		t.Helper()
		if err := s.FinishDeliveries(ctx, at, outs); err != nil {
			t.Fatal(err)
		}
	}
	finish(t0.Add(time.Minute),
		Outcome{Seq: seq["old-done"], State: StateDone, Event: ev("old-done"), Entries: []NewEntry{{Kind: ledger.KindFact, Key: f.ID, Body: f}}})
	finish(t0.Add(2*time.Minute), Outcome{Seq: seq["old-ignored"], State: StateIgnored, Event: ev("old-ignored")})
	finish(t0.Add(3*time.Minute), Outcome{Seq: seq["old-dead"], State: StateDead, Error: "broken"})
	finish(t0.Add(80*24*time.Hour), Outcome{Seq: seq["recent"], State: StateDone, Event: ev("recent")})
	_, headBefore, _ := s.VerifyLedger(ctx)

	payloads := func() map[int64]bool {
		rows, err := s.read.Query(`SELECT delivery FROM delivery_payloads`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[int64]bool{}
		for rows.Next() {
			var id int64
			rows.Scan(&id)
			out[id] = true
		}
		return out
	}

	keep := 90 * 24 * time.Hour
	// 89 days on: nothing is old enough.
	now := t0.Add(89 * 24 * time.Hour)
	if n, err := s.PrunePayloads(ctx, now, now.Add(-keep), 10); err != nil || n != 0 {
		t.Fatalf("at 89 days: pruned %d, %v", n, err)
	}
	// 91 days on: the three old ones, two a batch, oldest first.
	now = t0.Add(91 * 24 * time.Hour)
	if n, err := s.PrunePayloads(ctx, now, now.Add(-keep), 2); err != nil || n != 2 {
		t.Fatalf("first batch: %d, %v", n, err)
	}
	if p := payloads(); p[seq["old-done"]] || p[seq["old-ignored"]] || !p[seq["old-dead"]] {
		t.Errorf("after the first batch: payloads of %v, want the two oldest gone", p)
	}
	if n, err := s.PrunePayloads(ctx, now, now.Add(-keep), 2); err != nil || n != 1 {
		t.Fatalf("second batch: %d, %v", n, err)
	}
	if n, err := s.PrunePayloads(ctx, now, now.Add(-keep), 2); err != nil || n != 0 {
		t.Fatalf("third batch: %d, %v", n, err)
	}
	p := payloads()
	if len(p) != 2 || !p[seq["recent"]] {
		t.Errorf("payloads left %v, want those of recent and queued", p)
	}

	// The rest stays.
	if counts, _ := s.CountDeliveries(ctx); counts[StateDone] != 2 || counts[StateIgnored] != 1 || counts[StateDead] != 1 || counts[StateQueued] != 1 {
		t.Errorf("deliveries %v", counts)
	}
	if evs, err := s.Events(ctx); err != nil || len(evs) != 3 {
		t.Errorf("events: %d %v", len(evs), err)
	}
	if n, head, err := s.VerifyLedger(ctx); err != nil || n != 1 || head != headBefore {
		t.Errorf("ledger: %d %s %v", n, head, err)
	}

	// Retry: a pruned delivery says so; one with its payload is queued.
	err = s.RetryDelivery(ctx, seq["old-dead"], now)
	if !errors.Is(err, ErrPayloadPruned) || !strings.Contains(err.Error(), "payload was pruned on "+now.Format("2006-01-02")) {
		t.Errorf("retry of a pruned delivery: %v", err)
	}
	if err := s.RetryDelivery(ctx, seq["recent"], now); err != nil {
		t.Errorf("retry of a delivery with its payload: %v", err)
	}
	if got, err := s.ClaimDeliveries(ctx, now, 10); err != nil || len(got) != 2 || string(got[1].Body) != `{"action":"opened"}` {
		t.Errorf("claim after retry: %+v %v", got, err)
	}
}
