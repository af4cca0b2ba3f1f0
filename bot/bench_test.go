package bot

import (
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
	"github.com/accord-coop/accord/store"
)

// The worker benchmarks: BenchmarkWorker measures stored delivery → recorded
// event (claim, parse with the real GitHub adapter, record, all in SQLite);
// BenchmarkParseOnly is its baseline, the parse alone on the same payload.
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
	b.ReportMetric(float64(done)/time.Since(start).Seconds(), "deliveries/s")
	b.StopTimer()
	counts, _ := st.CountDeliveries(context.Background())
	if counts[store.StateDone] != int64(b.N) {
		b.Fatalf("states %v", counts)
	}
}

// storeDeliveries stores n deliveries of body with unique IDs, from many
// goroutines at once as the intake does, so the group commit batches them.
func storeDeliveries(b *testing.B, st *store.Store, body []byte, n int) {
	b.Helper()
	var wg sync.WaitGroup
	ids := make(chan int)
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range ids {
				d := forges.Delivery{Forge: "github", ID: fmt.Sprintf("bench-%d", i), Event: "issue_comment", Body: body, ReceivedAt: time.Now()}
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
