package bot

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/accord-coop/accord/forges"
	"github.com/accord-coop/accord/store"
)

// TestRetentionOnAClock: Retention prunes the payloads of deliveries that
// finished more than Keep ago by its clock, in batches until none is left,
// and Run prunes at start.
func TestRetentionOnAClock(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "accord.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	const n = 7
	for i := range n {
		d := forges.Delivery{Forge: "github", ID: fmt.Sprint("d", i), Event: "star", Headers: map[string]string{}, Body: []byte(`{}`), ReceivedAt: t0}
		if _, err := st.InsertDelivery(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	claimed, err := st.ClaimDeliveries(ctx, t0, n)
	if err != nil {
		t.Fatal(err)
	}
	var outs []store.Outcome
	for _, d := range claimed {
		outs = append(outs, store.Outcome{Seq: d.Seq, State: store.StateIgnored, Event: &forges.Event{Forge: "github", DeliveryID: d.ID, Time: t0}})
	}
	if err := st.FinishDeliveries(ctx, t0, outs); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	now := t0.Add(89 * 24 * time.Hour)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	r := &Retention{Store: st, Keep: 90 * 24 * time.Hour, Batch: 3, Now: clock}
	if got, err := r.Prune(ctx); err != nil || got != 0 {
		t.Fatalf("at 89 days: pruned %d, %v", got, err)
	}
	mu.Lock()
	now = t0.Add(90*24*time.Hour + time.Second)
	mu.Unlock()

	// Run prunes at start, every batch.
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.Run(runCtx) }()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		ds, err := st.ListDeliveries(ctx, "", 100)
		if err != nil {
			t.Fatal(err)
		}
		pruned := 0
		for _, d := range ds {
			if d.PrunedAt.Equal(clock()) {
				pruned++
			}
		}
		if pruned == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Run pruned %d of %d in 10 s", pruned, n)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
	if got, err := r.Prune(ctx); err != nil || got != 0 {
		t.Errorf("again: pruned %d, %v", got, err)
	}
}
