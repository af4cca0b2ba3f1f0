package bot

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/accord-coop/accord/forges"
	"github.com/accord-coop/accord/forges/github"
	"github.com/accord-coop/accord/ledger"
	"github.com/accord-coop/accord/store"
)

// The worker benchmarks: BenchmarkWorker measures stored delivery → recorded
// event (claim, parse with the real GitHub adapter, record, all in SQLite);
// BenchmarkWorkerFacts the same with the Facts handler, so that each delivery
// also records a comment fact in the ledger; BenchmarkParseOnly is their
// baseline, the parse alone on the same payload.
//
//	go test ./bot -run '^$' -bench 'Worker|ParseOnly' -benchtime 20000x

const benchPayload = "../forges/github/testdata/payloads/issue_comment.created.2.json"

func BenchmarkWorker(b *testing.B) {
	body, err := os.ReadFile(benchPayload)
	if err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(filepath.Join(b.TempDir(), "accord.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	storeDeliveries(b, st, body, b.N)
	w := NewWorker(st, map[string]forges.Webhooks{"github": github.NewWebhooks("github")}, NewRouter(),
		NewMetrics(nil), slog.New(slog.NewTextHandler(io.Discard, nil)))
	runWorker(b, w, st, "deliveries/s")
}

// BenchmarkWorkerFacts is BenchmarkWorker with the Facts handler on
// comments: each delivery is a new comment (the payload's comment ID is
// rewritten per delivery), so each records one fact in the ledger.
func BenchmarkWorkerFacts(b *testing.B) {
	body, err := os.ReadFile(benchPayload)
	if err != nil {
		b.Fatal(err)
	}
	// The comment's ID, the one "id" field with this value.
	const commentID = `"id": 492700400,`
	if bytes.Count(body, []byte(commentID)) != 1 {
		b.Fatalf("%s: expected the comment's %s once", benchPayload, commentID)
	}
	st, err := store.Open(filepath.Join(b.TempDir(), "accord.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	storeDeliveriesOf(b, st, b.N, func(i int) []byte {
		return bytes.Replace(body, []byte(commentID), fmt.Appendf(nil, `"id": %d,`, 1_000_000_000+i), 1)
	})
	rt := NewRouter()
	rt.On(&Facts{}, forges.KindComment)
	w := NewWorker(st, map[string]forges.Webhooks{"github": github.NewWebhooks("github")}, rt,
		NewMetrics(nil), slog.New(slog.NewTextHandler(io.Discard, nil)))
	runWorker(b, w, st, "facts/s")
	facts, err := st.Facts(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	ids := map[string]bool{}
	for _, f := range facts {
		if f.Kind != ledger.FactComment {
			b.Fatalf("fact of kind %s", f.Kind)
		}
		ids[f.ID] = true
	}
	if len(facts) != b.N || len(ids) != b.N {
		b.Fatalf("%d facts, %d distinct, for %d deliveries", len(facts), len(ids), b.N)
	}
}

// runWorker times the worker over the b.N stored deliveries and reports
// the rate in unit; every delivery must end done.
func runWorker(b *testing.B, w *Worker, st *store.Store, unit string) {
	w.Batch = 256
	b.ResetTimer()
	start := time.Now()
	done := 0
	for done < b.N {
		n, err := w.ProcessBatch(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			b.Fatalf("only %d of %d processed", done, b.N)
		}
		done += n
	}
	b.ReportMetric(float64(done)/time.Since(start).Seconds(), unit)
	b.StopTimer()
	counts, _ := st.CountDeliveries(context.Background())
	if counts[store.StateDone] != int64(b.N) {
		b.Fatalf("states %v", counts)
	}
}

// storeDeliveries stores n deliveries of body with unique IDs, from many
// goroutines at once as the intake does, so the group commit batches them.
func storeDeliveries(b *testing.B, st *store.Store, body []byte, n int) {
	storeDeliveriesOf(b, st, n, func(int) []byte { return body })
}

// storeDeliveriesOf is storeDeliveries with the body of delivery i given by
// body(i).
func storeDeliveriesOf(b *testing.B, st *store.Store, n int, body func(i int) []byte) {
	b.Helper()
	var wg sync.WaitGroup
	ids := make(chan int)
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range ids {
				d := forges.Delivery{Forge: "github", ID: fmt.Sprintf("bench-%d", i), Event: "issue_comment", Body: body(i), ReceivedAt: time.Now()}
				if _, err := st.InsertDelivery(context.Background(), d); err != nil {
					b.Error(err)
				}
			}
		}()
	}
	for i := range n {
		ids <- i
	}
	close(ids)
	wg.Wait()
}

func BenchmarkParseOnly(b *testing.B) {
	body, err := os.ReadFile(benchPayload)
	if err != nil {
		b.Fatal(err)
	}
	p := github.NewWebhooks("github")
	start := time.Now()
	for i := range b.N {
		d := forges.Delivery{Forge: "github", ID: fmt.Sprintf("bench-%d", i), Event: "issue_comment", Body: body, ReceivedAt: time.Now()}
		if _, err := p.Parse(d); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "deliveries/s")
}
