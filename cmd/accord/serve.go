package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"

	"github.com/accord-coop/accord/bot"
	"github.com/accord-coop/accord/config"
	"github.com/accord-coop/accord/forges"
	"github.com/accord-coop/accord/forges/gitea"
	"github.com/accord-coop/accord/forges/github"
	"github.com/accord-coop/accord/store"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", "serve [--config F]", stdout)
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", pos[0])}
	}
	cfg, err := config.Load(*fs.config, os.Getenv)
	if err != nil {
		return err
	}
	log := newLogger(stderr)
	st, err := openStore(cfg)
	if err != nil {
		return err
	}
	defer st.Close()

	metrics := bot.NewMetrics(st.QueueDepth)
	metrics.WatchOutbox(st.OutboxDepth)
	parsers := webhooksFor(cfg)
	clients, _ := clientsFor(cfg, metrics) // those that cannot act are in the start line's "missing"
	outbox := &bot.Outbox{Store: st, Clients: clients, Metrics: metrics, Log: log}
	worker := bot.NewWorker(st, parsers, bot.NewRouter(), metrics, log)
	worker.EffectsStored = outbox.Notify
	var hooks []bot.Hook
	for _, f := range cfg.Forges {
		hooks = append(hooks, bot.Hook{Name: f.Name, Webhooks: parsers[f.Name], Secrets: f.Secrets})
	}
	srv := &bot.Server{
		Intake:  bot.NewIntake(hooks, st, metrics, log, worker.Notify),
		Worker:  worker,
		Outbox:  outbox,
		Metrics: metrics,
		Store:   st,
		Log:     log,
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	fmt.Fprintln(stderr, startLine(cfg, ln.Addr().String()))
	return srv.Serve(ctx, ln)
}

// startLine is the one line serve prints first: where it listens, on what,
// and what the config lacks.
func startLine(cfg *config.Config, addr string) string {
	var names []string
	for _, f := range cfg.Forges {
		names = append(names, f.Name+"("+f.Type+")")
	}
	line := fmt.Sprintf("accord: listening on http://%s (config %s, database %s, hooks /hooks/{%s})",
		addr, cfg.Source, cfg.Database, strings.Join(names, ","))
	if missing := cfg.Missing(); len(missing) > 0 {
		line += "; missing: " + strings.Join(missing, "; ")
	}
	return line
}

// webhooksFor makes each configured forge's webhook adapter.
func webhooksFor(cfg *config.Config) map[string]forges.Webhooks {
	out := map[string]forges.Webhooks{}
	for _, f := range cfg.Forges {
		switch f.Type {
		case config.TypeGitHub:
			out[f.Name] = github.NewWebhooks(f.Name)
		case config.TypeGitea:
			out[f.Name] = gitea.NewWebhooks(f.Name, gitea.Gitea)
		case config.TypeForgejo:
			out[f.Name] = gitea.NewWebhooks(f.Name, gitea.Forgejo)
		}
	}
	return out
}

// openStore opens the database the config names. ACCORD_SQLITE_SYNCHRONOUS
// (NORMAL or FULL) overrides the default NORMAL.
func openStore(cfg *config.Config) (*store.Store, error) {
	return store.Open(cfg.Database, store.Options{Synchronous: os.Getenv("ACCORD_SQLITE_SYNCHRONOUS")})
}

// newLogger logs text lines to w; ACCORD_LOG_LEVEL=debug|info|warn|error.
func newLogger(w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(os.Getenv("ACCORD_LOG_LEVEL"))); err != nil {
		level = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}
