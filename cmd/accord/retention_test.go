package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/accord-coop/accord/forges"
	"github.com/accord-coop/accord/store"
)

// TestRetryOfAPrunedDelivery: `accord deliveries retry ID` on a delivery
// whose payload retention pruned says so in one line and exits 1; the
// delivery stays as it was.
func TestRetryOfAPrunedDelivery(t *testing.T) {
	dir := t.TempDir()
	cfg, db := ledgerFixture(t, dir, 1)
	st, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	t0 := time.Now().Add(-100 * 24 * time.Hour)
	d := forges.Delivery{Forge: "github", ID: "old", Event: "issues", Headers: map[string]string{}, Body: []byte(`{}`), ReceivedAt: t0}
	if _, err := st.InsertDelivery(ctx, d); err != nil {
		t.Fatal(err)
	}
	claimed, err := st.ClaimDeliveries(ctx, t0, 1)
	if err != nil || len(claimed) != 1 {
		t.Fatal(err)
	}
	if err := st.FinishDeliveries(ctx, t0, []store.Outcome{{Seq: claimed[0].Seq, State: store.StateDead, Error: "broken"}}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if n, err := st.PrunePayloads(ctx, now, now.Add(-90*24*time.Hour), 10); err != nil || n != 1 {
		t.Fatalf("prune: %d %v", n, err)
	}
	st.Close()

	id := fmt.Sprint(claimed[0].Seq)
	out, errOut, code := accord(t, dir, nil, "deliveries", "retry", id, "--config", cfg)
	want := "delivery " + id + " cannot be retried: its payload was pruned on " + now.UTC().Format("2006-01-02") + " (retention.payloads)"
	if code != 1 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, want) {
		t.Fatalf("retry: %d %q %q, want exit 1 and %q", code, out, errOut, want)
	}
	out, _, _ = accord(t, dir, nil, "deliveries", "--state", "dead", "--config", cfg)
	if !strings.Contains(out, "old") {
		t.Errorf("the delivery is no longer listed dead:\n%s", out)
	}
}
