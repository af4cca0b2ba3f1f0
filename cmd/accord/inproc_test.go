package main

import (
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/accord-coop/accord/config"
	"github.com/accord-coop/accord/store"
)

// testClock runs with real time and jumps forward when told: deadlines are
// reached by a jump, never by waiting.
type testClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// add moves the clock forward by d.
func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// startInProcess runs the bot that `accord serve` assembles (the same
// intake, worker, handlers, store and outbox, on the config in dir) inside
// the test, on clk, closing due votes every 50 ms. kill stops it at once
// (no drain beyond what Serve does); a new start on the same dir resumes
// from the database, as after a restart.
func startInProcess(t *testing.T, dir string, clk *testClock) *server {
	t.Helper()
	cfgPath := filepath.Join(dir, "accord.yml")
	if _, err := os.Stat(cfgPath); err != nil {
		writeConfig(t, dir)
	}
	secrets := map[string]string{"TEST_GITHUB_SECRETS": "old-secret, " + githubSecret,
		"TEST_GITEA_SECRETS": giteaSecret, "TEST_FORGEJO_SECRETS": giteaSecret}
	cfg, err := config.Load(cfgPath, func(k string) string {
		if v, ok := secrets[k]; ok {
			return v
		}
		return os.Getenv(k)
	})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(cfg.Database, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithCancel(context.Background())
	srv, _, loadErr, err := assemble(ctx, cfg, st, log, clk.now)
	if err != nil {
		t.Fatal(err)
	}
	if loadErr != nil {
		log.Error("policy files not usable", "err", loadErr)
	}
	srv.CloseEvery = 50 * time.Millisecond
	srv.Outbox.Poll = 50 * time.Millisecond
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &server{t: t, dir: dir, url: "http://" + ln.Addr().String(), logs: logs, done: make(chan struct{})}
	go func() {
		if err := srv.Serve(ctx, ln); err != nil {
			logs.Write([]byte("serve: " + err.Error() + "\n"))
		}
		st.Close()
		close(s.done)
	}()
	var once sync.Once
	s.halt = func() {
		once.Do(func() {
			cancel()
			<-s.done
		})
	}
	t.Cleanup(s.halt)
	return s
}
