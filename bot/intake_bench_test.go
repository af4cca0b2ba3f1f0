package bot

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accord-coop/accord/forges/github"
	"github.com/accord-coop/accord/store"
)

// The intake benchmarks, in process (no network): BenchmarkIntake is the
// whole handler on the real GitHub adapter and a real store (read, check,
// validate, insert, answer) for the 12 KiB benchmark payload;
// BenchmarkIntakeRead is reading that body alone, the step the in-flight
// budget adds to; BenchmarkReadAll is its baseline, io.ReadAll of the same
// body.
//
//	go test ./bot -run '^$' -bench 'Intake|ReadAll' -count 5

func BenchmarkIntake(b *testing.B) {
	body, err := os.ReadFile(benchPayload)
	if err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(filepath.Join(b.TempDir(), "accord.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	secret := []byte("bench-secret")
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	sig := "sha256=" + hex.EncodeToString(m.Sum(nil))
	in := NewIntake([]Hook{{Name: "github", Webhooks: github.NewWebhooks("github"), Secrets: [][]byte{secret}}},
		st, NewMetrics(nil), slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	mux := http.NewServeMux()
	mux.Handle("POST /hooks/{forge}", in)
	var n atomic.Int64
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := httptest.NewRequest("POST", "/hooks/github", bytes.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("X-GitHub-Event", "issue_comment")
			r.Header.Set("X-GitHub-Delivery", fmt.Sprintf("bench-%d", n.Add(1)))
			r.Header.Set("X-Hub-Signature-256", sig)
			w := httptest.NewRecorder()
			mux.ServeHTTP(w, r)
			if w.Code != http.StatusAccepted {
				b.Fatalf("got %d: %s", w.Code, w.Body)
			}
		}
	})
}

func BenchmarkIntakeRead(b *testing.B) {
	body, err := os.ReadFile(benchPayload)
	if err != nil {
		b.Fatal(err)
	}
	in := &Intake{budget: newBudget(DefaultMaxInflightBytes), BudgetWait: time.Second}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest("POST", "/hooks/github", bytes.NewReader(body))
		w := httptest.NewRecorder()
		got, held, err := in.readBody(w, r)
		in.budget.release(held)
		if err != nil || len(got) != len(body) {
			b.Fatal(len(got), err)
		}
	}
}

func BenchmarkReadAll(b *testing.B) {
	body, err := os.ReadFile(benchPayload)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest("POST", "/hooks/github", bytes.NewReader(body))
		got, err := io.ReadAll(r.Body)
		if err != nil || len(got) != len(body) {
			b.Fatal(len(got), err)
		}
	}
}
