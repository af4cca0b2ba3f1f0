package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accord-coop/accord/forges"
	"github.com/accord-coop/accord/store"
)

func newTestWorker(t *testing.T, rt *Router) (*Worker, *store.Store) {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "accord.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	w := NewWorker(st, map[string]forges.Webhooks{"f": plainHooks{}}, rt, NewMetrics(nil), slog.New(slog.NewTextHandler(io.Discard, nil)))
	w.BaseBackoff = time.Millisecond
	w.MaxBackoff = 4 * time.Millisecond
	w.MaxAttempts = 3
	return w, st
}

func store1(t *testing.T, st *store.Store, forge, id, event string) {
	t.Helper()
	if _, err := st.InsertDelivery(context.Background(), forges.Delivery{Forge: forge, ID: id, Event: event, Body: []byte(`{}`), ReceivedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
}

// drain runs batches until nothing is due for a while.
func drain(t *testing.T, w *Worker) {
	t.Helper()
	idle := 0
	for idle < 20 {
		n, err := w.ProcessBatch(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			idle++
			time.Sleep(2 * time.Millisecond)
		} else {
			idle = 0
		}
	}
}

func TestWorkerRetriesThenSucceeds(t *testing.T) {
	rt := NewRouter()
	calls := 0
	rt.On(HandlerFunc(func(ctx context.Context, ev *forges.Event, act *Actions) error {
		calls++
		if calls < 3 {
			return errors.New("forge down")
		}
		return nil
	}), "comment")
	w, st := newTestWorker(t, rt)
	store1(t, st, "f", "a", "comment")
	drain(t, w)
	if calls != 3 {
		t.Fatalf("handler called %d times, want 3", calls)
	}
	done, _ := st.ListDeliveries(context.Background(), store.StateDone, 10)
	if len(done) != 1 || done[0].Attempts != 3 {
		t.Fatalf("done: %+v", done)
	}
	evs, _ := st.Events(context.Background())
	if len(evs) != 1 || evs[0].Event.DeliveryID != "a" {
		t.Fatalf("events: %+v", evs)
	}
}

func TestWorkerDeadLettersAndRetryRequeues(t *testing.T) {
	rt := NewRouter()
	fail := true
	rt.On(HandlerFunc(func(ctx context.Context, ev *forges.Event, act *Actions) error {
		if fail {
			return errors.New("still down")
		}
		return nil
	}), "comment")
	panicky := HandlerFunc(func(ctx context.Context, ev *forges.Event, act *Actions) error { panic("bug") })
	rt.On(panicky, "issue")
	w, st := newTestWorker(t, rt)
	w.Horizon = time.Nanosecond // dead after MaxAttempts: the horizon is over at once
	store1(t, st, "f", "a", "comment")
	store1(t, st, "f", "b", "issue")
	store1(t, st, "gone", "c", "comment") // a forge no longer configured: dead at once
	store1(t, st, "f", "d", "ignored")
	drain(t, w)
	ctx := context.Background()
	dead, _ := st.ListDeliveries(ctx, store.StateDead, 10)
	if len(dead) != 3 {
		t.Fatalf("dead: %+v", dead)
	}
	for _, d := range dead {
		switch d.ID {
		case "a", "b":
			if d.Attempts != 3 {
				t.Errorf("%s dead after %d attempts, want 3", d.ID, d.Attempts)
			}
		case "c":
			if d.Attempts != 1 {
				t.Errorf("unconfigured forge retried %d times", d.Attempts)
			}
		}
		if d.LastError == "" {
			t.Errorf("%s: dead without an error", d.ID)
		}
	}
	if ign, _ := st.ListDeliveries(ctx, store.StateIgnored, 10); len(ign) != 1 || ign[0].ID != "d" {
		t.Fatalf("ignored: %+v", ign)
	}
	fail = false
	if err := st.RetryDelivery(ctx, dead[len(dead)-1].Seq, time.Now()); err != nil { // oldest first: "a"
		t.Fatal(err)
	}
	drain(t, w)
	if done, _ := st.ListDeliveries(ctx, store.StateDone, 10); len(done) != 1 || done[0].ID != "a" {
		t.Fatalf("after retry: %+v", done)
	}
}

func TestBackoffDoublesToCap(t *testing.T) {
	w := &Worker{BaseBackoff: time.Second, MaxBackoff: 10 * time.Second}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second}
	for i, d := range want {
		if got := w.backoff(i + 1); got != d {
			t.Errorf("backoff(%d) = %v, want %v", i+1, got, d)
		}
	}
}

// TestHandlerEffectsAreStoredWithTheDelivery: what a handler asks for is in
// the outbox once the delivery is done, the outbox is woken, and a failed
// try stores nothing.
func TestHandlerEffectsAreStoredWithTheDelivery(t *testing.T) {
	rt := NewRouter()
	tries := 0
	rt.On(HandlerFunc(func(ctx context.Context, ev *forges.Event, act *Actions) error {
		tries++
		act.AddLabels(ev.Ref(), 1, forges.Label{Name: "vote/open", Color: "0e8a16"})
		act.Comment(ev.Ref(), 1, "Vote open")
		if tries == 1 {
			return errors.New("the policy is not loaded yet")
		}
		return nil
	}), forges.KindIssue)
	w, st := newTestWorker(t, rt)
	woken := 0
	w.EffectsStored = func() { woken++ }
	store1(t, st, "f", "d1", "issue")
	drain(t, w)
	es, err := st.ListEffects(context.Background(), "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 2 || es[0].Op != OpComment || es[1].Op != OpAddLabels || es[1].Key != "f/d1/0" || woken != 1 {
		t.Fatalf("effects %+v, woken %d", es, woken)
	}
}

// TestWorkerOutageDelaysNeverLoses: a delivery whose handler fails for as
// long as a forge is down (25 tries, far past MaxAttempts, ten minutes
// apart on the clock) is retried, not dead, and is done once the forge
// answers: within the retry horizon an outage only delays.
func TestWorkerOutageDelaysNeverLoses(t *testing.T) {
	rt := NewRouter()
	calls := 0
	rt.On(HandlerFunc(func(ctx context.Context, ev *forges.Event, act *Actions) error {
		calls++
		if calls <= 25 {
			return errors.New("forge down")
		}
		return nil
	}), "comment")
	w, st := newTestWorker(t, rt)
	clk := &clock{t: time.Now()}
	w.Now, w.MaxBackoff = clk.now, 10*time.Minute
	store1(t, st, "f", "a", "comment")
	for range 30 {
		if _, err := w.ProcessBatch(context.Background()); err != nil {
			t.Fatal(err)
		}
		clk.add(w.MaxBackoff)
	}
	if done, _ := st.ListDeliveries(context.Background(), store.StateDone, 10); len(done) != 1 || calls != 26 {
		t.Fatalf("after the outage: done %+v, %d calls", done, calls)
	}
}

// TestWorkerReleasesABatchItCannotRecord: when a batch's outcome cannot be
// recorded, its deliveries go back to the queue at once (not left
// processing until a restart), and the next try records them.
func TestWorkerReleasesABatchItCannotRecord(t *testing.T) {
	rt := NewRouter()
	broken := true
	rt.On(HandlerFunc(func(ctx context.Context, ev *forges.Event, act *Actions) error {
		if broken {
			act.Record("fact", "k-"+ev.DeliveryID, func() {}) // a body that cannot be encoded: the batch's transaction fails
		}
		return nil
	}), "comment")
	w, st := newTestWorker(t, rt)
	clk := &clock{t: time.Now()}
	w.Now = clk.now
	for _, id := range []string{"a", "b", "c"} {
		store1(t, st, "f", id, "comment")
	}
	clk.add(time.Second) // past their arrival
	if _, err := w.ProcessBatch(context.Background()); err == nil {
		t.Fatal("the batch was recorded")
	}
	ctx := context.Background()
	if p, _ := st.ListDeliveries(ctx, store.StateProcessing, 10); len(p) != 0 {
		t.Fatalf("left processing: %+v", p)
	}
	if q, _ := st.ListDeliveries(ctx, store.StateQueued, 10); len(q) != 3 {
		t.Fatalf("queued again: %+v", q)
	}
	if err := st.RetryDelivery(ctx, 1, clk.now()); err != nil {
		t.Errorf("retry of a released delivery: %v", err)
	}
	broken = false
	clk.add(time.Second)
	drain(t, w)
	if done, _ := st.ListDeliveries(ctx, store.StateDone, 10); len(done) != 3 {
		t.Fatalf("done after the release: %+v", done)
	}
}

// TestWorkerHoldsAFailingForge: a forge whose API keeps failing is held as
// a whole: after three failures in a row its other deliveries wait without
// a call, while another forge's run at once; after the cool-down one
// delivery probes it, and once it answers everything runs.
func TestWorkerHoldsAFailingForge(t *testing.T) {
	rt := NewRouter()
	down := true
	calls := map[string]int{}
	clk := &clock{t: time.Now()}
	held := &Breakers{Now: clk.now}
	rt.On(HandlerFunc(func(ctx context.Context, ev *forges.Event, act *Actions) error {
		calls[ev.Forge]++
		if ev.Forge == "f" && down { // the forge's API answers 502, as a client reports it
			held.APICall("f", "PullCommits", "server_error", time.Second)
			return &forges.APIError{Forge: "f", Op: "PullCommits", Status: 502, Message: "Bad Gateway"}
		}
		held.APICall(ev.Forge, "PullCommits", "ok", time.Millisecond)
		return nil
	}), "comment")
	w, st := newTestWorker(t, rt)
	w.Parsers["g"] = plainHooks{}
	w.Now, w.Held = clk.now, held
	for i := range 10 {
		store1(t, st, "f", fmt.Sprint("f", i), "comment")
		store1(t, st, "g", fmt.Sprint("g", i), "comment")
	}
	clk.add(time.Second)
	if _, err := w.ProcessBatch(context.Background()); err != nil {
		t.Fatal(err)
	}
	if calls["f"] != 3 || calls["g"] != 10 {
		t.Fatalf("calls %v: want 3 to the failing forge, then held, and all 10 of the other", calls)
	}
	clk.add(breakerBase / 2) // still held: nothing of f runs
	w.ProcessBatch(context.Background())
	if calls["f"] != 3 {
		t.Fatalf("within the cool-down: calls %v", calls)
	}
	clk.add(breakerBase) // one probe, which fails: held again, longer
	w.ProcessBatch(context.Background())
	if calls["f"] != 4 {
		t.Fatalf("after the cool-down: calls %v, want one probe", calls)
	}
	down = false
	clk.add(2*breakerBase + w.MaxBackoff)
	drain(t, w)
	ctx := context.Background()
	if done, _ := st.ListDeliveries(ctx, store.StateDone, 50); len(done) != 20 || calls["f"] != 14 {
		t.Fatalf("after the forge came back: %d done, calls %v", len(done), calls)
	}
}

// TestStoppedAtStartIsNoError: a worker and an outbox stopped before they
// have put back what a previous process left unfinished return no error
// (serve stopped at once by SIGTERM exits 0).
func TestStoppedAtStartIsNoError(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	w, _ := newTestWorker(t, NewRouter())
	if err := w.Run(ctx); err != nil {
		t.Errorf("worker: %v", err)
	}
	o, _, _ := newTestOutbox(t, newFakeForge())
	if err := o.Run(ctx); err != nil {
		t.Errorf("outbox: %v", err)
	}
}

// TestBreakersCountOnlyCalls: a delivery whose handlers make no API call
// says nothing of its forge: between failed calls it does not reset the
// count, so the forge is held after three failed calls however the
// deliveries are mixed; and a forge the outbox saw failing holds the
// worker's deliveries too (one Breakers for both).
func TestBreakersCountOnlyCalls(t *testing.T) {
	clk := &clock{t: time.Now()}
	held := &Breakers{Now: clk.now}
	rt := NewRouter()
	ran := 0
	rt.On(HandlerFunc(func(ctx context.Context, ev *forges.Event, act *Actions) error {
		ran++
		if ran%2 == 1 { // every other delivery calls the forge, which is down
			held.APICall("f", "PullCommits", "network_error", time.Second)
			return &forges.APIError{Forge: "f", Op: "PullCommits", Message: "connection refused"}
		}
		return nil // a comment that needs no call: a fact, nothing asked of the forge
	}), "comment")
	w, st := newTestWorker(t, rt)
	w.Now, w.Held, w.Batch = clk.now, held, 1
	for i := range 8 {
		store1(t, st, "f", fmt.Sprint("f", i), "comment")
	}
	clk.add(time.Second)
	for range 8 {
		if _, err := w.ProcessBatch(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if ran != 5 {
		t.Errorf("%d deliveries ran; want 5 (3 failed calls between 2 without a call), then the forge held", ran)
	}
	if ok, _ := held.Allow("f", clk.now()); ok {
		t.Error("the forge is not held")
	}

	// The outbox's failures hold the worker's deliveries of that forge.
	shared := &Breakers{Now: clk.now}
	f := newFakeForge()
	for range 3 {
		f.fail = append(f.fail, &forges.APIError{Forge: "gitea", Op: "AddReaction", Status: 503})
	}
	o, ost, oclk := newTestOutbox(t, f)
	o.Held, f.obs, o.Now = shared, shared, clk.now
	for i := range 3 {
		enqueue(t, ost, oclk, fmt.Sprint("d", i), func(a *Actions) { a.React(repo, int64(i), forges.ReactionThumbsUp) })
	}
	clk.add(time.Second)
	runDue(t, o)
	if ok, _ := shared.Allow("gitea", clk.now()); ok {
		t.Fatal("three failed effects did not hold the forge")
	}
	rt2 := NewRouter()
	rt2.On(HandlerFunc(func(context.Context, *forges.Event, *Actions) error {
		t.Error("a delivery of a held forge ran")
		return nil
	}), "comment")
	w2, st2 := newTestWorker(t, rt2)
	w2.Parsers["gitea"] = plainHooks{}
	w2.Now, w2.Held = clk.now, shared
	store1(t, st2, "gitea", "g1", "comment")
	if n, err := w2.ProcessBatch(context.Background()); err != nil || n != 1 {
		t.Fatalf("claimed %d: %v", n, err)
	}
	q, _ := st2.ListDeliveries(context.Background(), store.StateQueued, 10)
	if len(q) != 1 || !strings.Contains(q[0].LastError, "its forge keeps failing") {
		t.Errorf("the held delivery: %+v", q)
	}
}
