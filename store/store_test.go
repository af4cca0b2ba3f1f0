package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accord-coop/accord/forges"
)

func openTest(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "accord.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func delivery(id string) forges.Delivery {
	return forges.Delivery{Forge: "github", ID: id, Event: "issues", Headers: map[string]string{"k": "v"},
		Body: []byte(`{"action":"opened"}`), ReceivedAt: time.Unix(1700000000, 0).UTC()}
}

func TestInsertDeliveryDedupes(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	ok, err := s.InsertDelivery(ctx, delivery("a"))
	if err != nil || !ok {
		t.Fatalf("first insert: %v %v", ok, err)
	}
	ok, err = s.InsertDelivery(ctx, delivery("a"))
	if err != nil || ok {
		t.Fatalf("second insert of the same ID: inserted=%v err=%v, want false, nil", ok, err)
	}
	// The same delivery ID on another forge is another delivery.
	d := delivery("a")
	d.Forge = "codeberg"
	if ok, err := s.InsertDelivery(ctx, d); err != nil || !ok {
		t.Fatalf("same ID, other forge: %v %v", ok, err)
	}
	counts, err := s.CountDeliveries(ctx)
	if err != nil || counts[StateQueued] != 2 {
		t.Fatalf("counts %v %v, want 2 queued", counts, err)
	}
}

func TestInsertDeliveryConcurrentGroupCommit(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	const n = 400
	var wg sync.WaitGroup
	var mu sync.Mutex
	inserted := map[string]int{}
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			id := fmt.Sprintf("d%d", i%100) // every ID four times
			ok, err := s.InsertDelivery(ctx, delivery(id))
			if err != nil {
				t.Error(err)
				return
			}
			if ok {
				mu.Lock()
				inserted[id]++
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	if len(inserted) != 100 {
		t.Fatalf("%d IDs inserted, want 100", len(inserted))
	}
	for id, c := range inserted {
		if c != 1 {
			t.Errorf("%s reported inserted %d times", id, c)
		}
	}
	if depth, _ := s.QueueDepth(ctx); depth != 100 {
		t.Fatalf("queue depth %d, want 100", depth)
	}
}

func TestClaimFinishRetryRequeue(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	for _, id := range []string{"a", "b", "c"} {
		if _, err := s.InsertDelivery(ctx, delivery(id)); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	got, err := s.ClaimDeliveries(ctx, now, 10)
	if err != nil || len(got) != 3 {
		t.Fatalf("claim: %d %v", len(got), err)
	}
	for i, d := range got {
		if d.Seq != int64(i+1) || d.Attempts != 1 || d.Headers["k"] != "v" || string(d.Body) != `{"action":"opened"}` {
			t.Fatalf("claimed %d: %+v", i, d)
		}
	}
	if again, _ := s.ClaimDeliveries(ctx, now, 10); len(again) != 0 {
		t.Fatalf("claimed %d deliveries twice", len(again))
	}
	ev := &forges.Event{Forge: "github", Kind: forges.KindIssue, Action: "opened", Repo: forges.Repo{Owner: "o", Name: "r"}, Time: now}
	outs := []Outcome{
		{Seq: 1, State: StateDone, Event: ev},
		{Seq: 2, State: StateQueued, Error: "boom", Next: now.Add(time.Hour)},
		{Seq: 3, State: StateDead, Error: "broken"},
	}
	if err := s.FinishDeliveries(ctx, now, outs); err != nil {
		t.Fatal(err)
	}
	// Recording the same outcome again (a batch replayed after a crash) adds no event.
	if err := s.FinishDeliveries(ctx, now, outs[:1]); err != nil {
		t.Fatal(err)
	}
	evs, err := s.Events(ctx)
	if err != nil || len(evs) != 1 || evs[0].Seq != 1 || evs[0].Event.Kind != forges.KindIssue {
		t.Fatalf("events %+v %v", evs, err)
	}
	// Not due yet.
	if got, _ := s.ClaimDeliveries(ctx, now, 10); len(got) != 0 {
		t.Fatalf("claimed a retry before it was due")
	}
	got, _ = s.ClaimDeliveries(ctx, now.Add(2*time.Hour), 10)
	if len(got) != 1 || got[0].Seq != 2 || got[0].Attempts != 2 {
		t.Fatalf("due retry: %+v", got)
	}
	// A crash now leaves it processing; the next start puts it back.
	if n, err := s.RequeueInterrupted(ctx); err != nil || n != 1 {
		t.Fatalf("requeue: %d %v", n, err)
	}
	dead, _ := s.ListDeliveries(ctx, StateDead, 10)
	if len(dead) != 1 || dead[0].Seq != 3 || dead[0].LastError != "broken" {
		t.Fatalf("dead: %+v", dead)
	}
	if err := s.RetryDelivery(ctx, 3, now); err != nil {
		t.Fatal(err)
	}
	if err := s.RetryDelivery(ctx, 99, now); err == nil {
		t.Fatal("retry of a missing delivery: no error")
	}
	got, _ = s.ClaimDeliveries(ctx, now.Add(2*time.Hour), 10)
	if len(got) != 2 || got[0].Seq != 2 || got[1].Seq != 3 || got[1].Attempts != 1 {
		t.Fatalf("after requeue and retry: %+v", got)
	}
}

func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "accord.db")
	s, err := Open(path, Options{Synchronous: "full"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.InsertDelivery(context.Background(), delivery("a")); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if ok, _ := s.InsertDelivery(context.Background(), delivery("a")); ok {
		t.Fatal("delivery stored before reopening was stored again")
	}
	if _, err := Open(path, Options{Synchronous: "OFF"}); err == nil {
		t.Fatal("synchronous=OFF accepted")
	}
}

// TestBodiesRoundTrip: a body comes back byte for byte though it is stored
// compressed, and it takes less room than it came in.
func TestBodiesRoundTrip(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	body := []byte(`{"action":"opened","issue":{"body":"` + strings.Repeat("a long and repetitive text ", 400) + `"}}`)
	odd := []byte{'{', 0, 0xff, '}'}
	for i, b := range [][]byte{body, odd, {}} {
		d := delivery(fmt.Sprint("rt-", i))
		d.Body = b
		if _, err := s.InsertDelivery(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	ds, err := s.ClaimDeliveries(ctx, time.Now(), 10)
	if err != nil || len(ds) != 3 {
		t.Fatalf("%d claimed: %v", len(ds), err)
	}
	for i, want := range [][]byte{body, odd, {}} {
		if !bytes.Equal(ds[i].Body, want) {
			t.Errorf("body %d: got %d bytes, want %d", i, len(ds[i].Body), len(want))
		}
	}
	var stored int
	if err := s.read.QueryRow(`SELECT length(body) FROM delivery_payloads WHERE delivery = ?`, ds[0].Seq).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored*4 > len(body) {
		t.Errorf("%d bytes stored for a body of %d", stored, len(body))
	}
}

// TestCloseEmptiesWAL: the checkpointer copies the WAL into the database in
// the background, and Close leaves no WAL behind.
func TestCloseEmptiesWAL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "accord.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		if _, err := s.InsertDelivery(context.Background(), delivery(fmt.Sprint("w-", i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() > 0 {
		t.Errorf("WAL of %d bytes left after Close", fi.Size())
	}
	s, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n, _ := s.QueueDepth(context.Background()); n != 200 {
		t.Errorf("%d deliveries after reopening, want 200", n)
	}
}

func TestOutboxLifecycle(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	now := time.Now()
	es := []NewEffect{
		{Key: "k1", Forge: "gitea", Op: "comment", Payload: []byte(`{"n":1}`)},
		{Key: "k2", Forge: "github", Op: "status", Payload: []byte(`{"n":2}`)},
		{Key: "k1", Forge: "gitea", Op: "comment", Payload: []byte(`{"n":3}`)}, // same key: not stored again
	}
	if n, err := s.EnqueueEffects(ctx, now, es); err != nil || n != 2 {
		t.Fatalf("enqueued %d, %v", n, err)
	}
	if n, _ := s.EnqueueEffects(ctx, now, es[:1]); n != 0 {
		t.Fatal("a stored key was enqueued again")
	}
	// A rate-limited forge is skipped.
	got, err := s.ClaimEffects(ctx, now, 10, []string{"github"})
	if err != nil || len(got) != 1 || got[0].Key != "k1" || got[0].Attempts != 1 || string(got[0].Payload) != `{"n":1}` {
		t.Fatalf("claim: %+v %v", got, err)
	}
	// Rate-limited: back in the queue, the attempt not counted.
	if err := s.FinishEffect(ctx, now, EffectOutcome{Seq: got[0].Seq, State: StateQueued, Next: now.Add(time.Hour), Uncount: true, Error: "rate limited"}); err != nil {
		t.Fatal(err)
	}
	if next, _ := s.NextEffectDue(ctx); !next.Equal(now) { // k2, due now
		t.Errorf("next due %v, want %v", next, now)
	}
	got, _ = s.ClaimEffects(ctx, now, 10, nil)
	if len(got) != 1 || got[0].Key != "k2" {
		t.Fatalf("claim 2: %+v", got)
	}
	// Crash: processing goes back to queued, the attempt stays counted.
	if n, _ := s.RequeueInterruptedEffects(ctx); n != 1 {
		t.Fatalf("requeued %d", n)
	}
	got, _ = s.ClaimEffects(ctx, now, 10, nil)
	if len(got) != 1 || got[0].Attempts != 2 {
		t.Fatalf("after restart: %+v", got)
	}
	if err := s.FinishEffect(ctx, now, EffectOutcome{Seq: got[0].Seq, State: StateDead, Error: "404 Not Found"}); err != nil {
		t.Fatal(err)
	}
	dead, _ := s.ListEffects(ctx, StateDead, 10)
	if len(dead) != 1 || dead[0].LastError != "404 Not Found" || dead[0].DoneAt.IsZero() {
		t.Fatalf("dead: %+v", dead)
	}
	if err := s.RetryEffect(ctx, dead[0].Seq, now); err != nil {
		t.Fatal(err)
	}
	if err := s.RetryEffect(ctx, 999, now); !errors.Is(err, ErrNotFound) {
		t.Errorf("retry of nothing: %v", err)
	}
	got, _ = s.ClaimEffects(ctx, now, 10, nil)
	if len(got) != 1 || got[0].Key != "k2" || got[0].Attempts != 3 {
		t.Fatalf("after retry: %+v", got)
	}
	// Within k2's lease nothing else is due; after an hour k1 is, and so is
	// k2, whose claim's lease ended without an outcome.
	if soon, _ := s.ClaimEffects(ctx, now.Add(Lease/2), 10, nil); len(soon) != 0 {
		t.Fatalf("within the lease: %+v", soon)
	}
	if err := s.RetryEffect(ctx, got[0].Seq, now.Add(Lease/2)); err == nil {
		t.Error("retry of an effect under a live claim")
	}
	later, _ := s.ClaimEffects(ctx, now.Add(2*time.Hour), 10, nil)
	if len(later) != 2 || later[0].Key != "k1" || later[0].Attempts != 1 || later[1].Key != "k2" || later[1].Attempts != 4 {
		t.Fatalf("later: %+v", later)
	}
	if d, _ := s.OutboxDepth(ctx); d != 2 {
		t.Errorf("depth %d", d)
	}
}

// TestFinishDeliveriesEnqueuesEffects: a done delivery's effects are stored
// with it, and processing it again after a crash adds none.
func TestFinishDeliveriesEnqueuesEffects(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	if _, err := s.InsertDelivery(ctx, delivery("fx")); err != nil {
		t.Fatal(err)
	}
	ds, _ := s.ClaimDeliveries(ctx, time.Now(), 10)
	out := Outcome{Seq: ds[0].Seq, State: StateDone, Event: &forges.Event{Forge: "github", Kind: forges.KindIssue},
		Effects: []NewEffect{{Key: "github/fx/0", Forge: "github", Op: "comment", Payload: []byte(`{}`)}}}
	for range 2 {
		if err := s.FinishDeliveries(ctx, time.Now(), []Outcome{out}); err != nil {
			t.Fatal(err)
		}
	}
	if d, _ := s.OutboxDepth(ctx); d != 1 {
		t.Errorf("outbox depth %d, want 1", d)
	}
}

func TestPolicyVersions(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	src := "gitea:federation/governance@main:accord/"
	good := PolicyVersion{Version: "aaa", Source: src, Content: "sha256:1", Valid: true, Files: map[string][]byte{"coops.yml": []byte("version: 1\n")}, LoadedAt: time.Now()}
	bad := PolicyVersion{Version: "bbb", Source: src, Content: "sha256:2", Errors: []string{"coops.yml:1:1: broken"}, Files: map[string][]byte{}, LoadedAt: time.Now()}
	for _, v := range []PolicyVersion{good, bad, good} {
		if _, err := s.RecordPolicyVersion(ctx, v); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := s.RecordPolicyVersion(ctx, bad); n {
		t.Error("a version was recorded twice")
	}
	last, err := s.LastGoodPolicyVersion(ctx, src)
	if err != nil || last.Version != "aaa" || string(last.Files["coops.yml"]) != "version: 1\n" {
		t.Fatalf("last good: %+v %v", last, err)
	}
	if _, err := s.LastGoodPolicyVersion(ctx, "dir:x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("other source: %v", err)
	}
	vs, _ := s.PolicyVersions(ctx, 10)
	if len(vs) != 2 || vs[0].Version != "bbb" || vs[0].Valid || vs[0].Errors[0] != "coops.yml:1:1: broken" {
		t.Errorf("versions %+v", vs)
	}
}
