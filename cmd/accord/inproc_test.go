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
		if v := os.Getenv(k); v != "" {
			return v
		}
		return forgeTokens[k]
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

// bothShapes runs fn as parallel subtests: once with Gitea-shaped
// deliveries and a Gitea API, once with GitHub-shaped ones.
func bothShapes(t *testing.T, fn func(t *testing.T, forge string)) {
	for _, forge := range []string{"gitea", "github"} {
		t.Run(forge, func(t *testing.T) {
			t.Parallel()
			fn(t, forge)
		})
	}
}

// forgeTokens are the fake forges' API tokens, where voteConfig's config
// looks for them: the in-process bot reads them from here, the binary
// (startServer) gets them in its environment, unless a test set its own.
var forgeTokens = map[string]string{"TEST_GITEA_TOKEN": giteaToken, "TEST_GITHUB_TOKEN": githubToken}

// rig is a bot in process on a test clock, a fake forge that keeps the
// members' comments and the bot's effects, deliveries shaped like the
// forge's, and the database read beside the bot.
type rig struct {
	fake *forgeState
	dir  string
	clk  *testClock
	sh   *shape
	s    *server
	st   *store.Store
}

// newRig writes the config with configure (a voteConfig and more), lets
// prepare set up the fake forge, and starts the bot.
func newRig(t *testing.T, forge string, configure func(t *testing.T, dir, forge, url string), prepare ...func(*rig)) *rig {
	fake, srv := newForgeState(t, forge == "github")
	r := &rig{fake: fake, dir: t.TempDir(), clk: &testClock{}}
	configure(t, r.dir, forge, srv.URL)
	for _, p := range prepare {
		p(r)
	}
	r.sh = &shape{forge: forge, t: t, clock: r.clk.now, mirror: fake}
	r.s = startInProcess(t, r.dir, r.clk)
	r.st = r.s.openStore()
	return r
}
