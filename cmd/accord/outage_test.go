package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/accord-coop/accord/ledger"
	"github.com/accord-coop/accord/store"
)

// merged sends a pull request merged by its author, as the forge does.
func (sh *shape) merged(s *server, number int, login string) {
	var p map[string]any
	var h http.Header
	if sh.forge == "github" {
		p, _ = sh.template("pull_request.closed.1.json")
	} else {
		p, h = sh.template("015-pull_request.closed")
	}
	p["action"], p["number"] = "closed", number
	setUser(p, login)
	pr := p["pull_request"].(map[string]any)
	pr["number"], pr["title"], pr["state"], pr["merged"] = number, fmt.Sprint("Change ", number), "closed", true
	pr["merged_at"] = sh.now().UTC().Format(time.RFC3339)
	pr["user"].(map[string]any)["login"] = login
	pr["labels"] = []any{}
	sh.deliver(s, "pull_request", p, h)
}

// TestForgeOutageDelaysNeverLoses: the forge goes down for ten minutes
// (of the test clock) while merged pull requests keep arriving; every
// delivery that needs its API (a merge's commits, for co-authors) fails
// and is retried; once the forge is back, every merge is credited, once,
// and nothing is dead; meanwhile the forge is held as a whole (a few
// probes, not a call per delivery). Through the bot serve assembles, in
// process.
func TestForgeOutageDelaysNeverLoses(t *testing.T) { bothShapes(t, forgeOutage) }

func forgeOutage(t *testing.T, forge string) {
	r := newRig(t, forge, func(t *testing.T, dir, forge, url string) { voteConfig(t, dir, forge, url) })
	ctx := context.Background()
	for n := 1; n <= 5; n++ {
		r.sh.merged(r.s, n, "alice")
	}
	waitProcessed(t, r.st)
	r.fake.mu.Lock()
	r.fake.down = true
	r.fake.mu.Unlock()
	for n := 6; n <= 20; n++ {
		r.sh.merged(r.s, n, "bob")
	}
	// Ten minutes of outage, a minute at a time: the deliveries fail and
	// wait their backoff, again and again.
	for range 10 {
		time.Sleep(150 * time.Millisecond)
		r.clk.add(time.Minute)
	}
	r.fake.mu.Lock()
	refused := r.fake.refusedDown
	r.fake.down = false
	r.fake.mu.Unlock()
	// Held as a whole: three failures open the breaker, then one probe per
	// cool-down (30 s doubling), not a call per delivery and try.
	if refused < 3 || refused > 10 {
		t.Fatalf("the forge was called %d times while down, want 3 and a few probes", refused)
	}
	// The forge is back; the longest backoff (10 minutes) passes.
	r.clk.add(11 * time.Minute)
	waitFor(t, "every merge credited", func() bool {
		n, _ := r.st.QueueDepth(ctx)
		return n == 0 && mergedFacts(t, r.st) == 20
	})
	if dead, _ := r.st.ListDeliveries(ctx, store.StateDead, 50); len(dead) != 0 {
		t.Errorf("dead after the outage: %+v", dead)
	}
	if _, _, err := r.st.VerifyLedger(ctx); err != nil {
		t.Error(err)
	}
}

// mergedFacts counts the pr_merged facts, each number once.
func mergedFacts(t *testing.T, st *store.Store) int {
	seen := map[float64]int{}
	st.LedgerEntries(context.Background(), func(e ledger.Entry) error {
		var f map[string]any
		json.Unmarshal(e.Body, &f)
		if e.Kind == ledger.KindFact && f["kind"] == ledger.FactPRMerged {
			seen[f["number"].(float64)]++
		}
		return nil
	})
	for n, c := range seen {
		if c != 1 {
			t.Errorf("pull request %v credited %d times", n, c)
		}
	}
	return len(seen)
}
