package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/accord-coop/accord/bot"
	"github.com/accord-coop/accord/config"
	"github.com/accord-coop/accord/forges"
	"github.com/accord-coop/accord/forges/gitea"
	"github.com/accord-coop/accord/forges/github"
	"github.com/accord-coop/accord/store"
	"github.com/accord-coop/accord/web"
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
	log, err := newLogger(stderr, os.Getenv)
	if err != nil {
		return err
	}
	cfg, err := config.Load(*fs.config, os.Getenv)
	if err != nil {
		return err
	}
	st, err := openStore(cfg)
	if err != nil {
		return err
	}
	defer st.Close()

	srv, pols, loadErr, err := assemble(ctx, cfg, st, log, time.Now)
	if err != nil {
		return err
	}
	policyState := "policies " + pols.Source.String()
	if loadErr != nil {
		policyState += " NOT LOADED (see the log)"
	}
	if cur := pols.Current(); cur != nil {
		policyState += " at " + cur.Version
	}
	if pols.Source.Dir != "" {
		// Only a governance repo's changes need a passed vote.
		policyState += ", not gated by votes: a directory is for local use and tests"
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	if line := startLine(cfg, ln.Addr().String(), policyState); os.Getenv("ACCORD_LOG_FORMAT") == "json" {
		log.Info(line) // every line JSON, for a log collector
	} else {
		fmt.Fprintln(stderr, line)
	}
	if from, to := st.Migrated(); from != to {
		log.Info("database schema brought up to date", "database", cfg.Database, "from", from, "to", to)
	}
	if loadErr != nil {
		log.Error("policy files not usable", "source", pols.Source.String(), "err", loadErr)
	}
	bi, _ := debug.ReadBuildInfo()
	log.Info("accord started", "version", versionOf(version, bi), "listen", ln.Addr().String(), "config", cfg.Source, "database", cfg.Database)
	err = srv.Serve(ctx, ln)
	logDrained(st, log, err)
	return err
}

// logDrained logs that serve stopped and what it leaves for the next start:
// the deliveries and the effects still queued.
func logDrained(st *store.Store, log *slog.Logger, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	attrs := []any{}
	if n, qerr := st.QueueDepth(ctx); qerr == nil {
		attrs = append(attrs, "deliveries_queued", n)
	}
	if n, qerr := st.OutboxDepth(ctx); qerr == nil {
		attrs = append(attrs, "effects_queued", n)
	}
	if err != nil {
		attrs = append(attrs, "err", err)
	}
	log.Info("accord stopped; what is queued is taken up at the next start", attrs...)
}

// assemble makes the bot from the config, on an open store, with a clock:
// the webhook intake, the worker and its handlers, the outbox, proposals
// and the policies in force (loaded now; loadErr says what went wrong).
// Tests assemble the same bot on a test clock.
func assemble(ctx context.Context, cfg *config.Config, st *store.Store, log *slog.Logger, now func() time.Time) (srv *bot.Server, pols *bot.Policies, loadErr error, err error) {
	metrics := bot.NewMetrics(st.QueueDepth)
	metrics.WatchOutbox(st.OutboxDepth)
	parsers := webhooksFor(cfg)
	// Every API call of the clients feeds the breakers, which the worker
	// and the outbox share, and the metrics.
	held := &bot.Breakers{Next: metrics, Now: now, Log: log}
	clients, _ := clientsFor(cfg, held) // those that cannot act are in the start line's "missing"
	self := bot.NewSelf(clients)        // who the bot is on each forge, asked once
	outbox := &bot.Outbox{Store: st, Clients: clients, Metrics: metrics, Log: log, Now: now, Self: self, Horizon: cfg.RetryHorizon, Held: held}
	pols, err = policiesFor(cfg, clients, st, log)
	if err != nil {
		return nil, nil, nil, err
	}
	pols.Now = now
	sign, err := checkpointSigner(cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	checkpoints := &bot.Checkpoints{Store: st, Sign: sign, Published: outbox.Notify, Every: cfg.Ledger.CheckpointEvery, Now: now, Log: log}
	checkpoints.Publish = publishTarget(pols.Source)
	outbox.Checkpoint = checkpoints.Text
	pols.Accepted = func(ctx context.Context) {
		if _, err := checkpoints.Latest(ctx); err != nil {
			log.Warn("ledger checkpoint", "err", err)
		}
	}
	// The start line comes first; what loading the policy found is logged
	// after it.
	loadCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	pols.Log = slog.New(slog.DiscardHandler)
	loadErr = pols.Load(loadCtx)
	pols.Log = log
	cancel()
	router := bot.NewRouter()
	router.Self = self
	router.On(pols, forges.KindPush, forges.KindPullRequest)
	router.On(&bot.Commands{Policies: pols}, forges.KindComment)
	proposals := &bot.Proposals{Policies: pols, Store: st, Log: log, Clients: clients, Self: self, Grace: cfg.Votes.CloseGrace, Now: now,
		Checkpoints: checkpoints}
	outbox.StatusBody, outbox.ResultBody = proposals.StatusBody, proposals.ResultBody
	outbox.PolicyCheckBody = pols.CheckBody
	router.On(proposals, forges.KindComment, forges.KindIssue, forges.KindPullRequest)
	router.On(&bot.Facts{Clients: clients}, forges.KindPullRequest, forges.KindReview, forges.KindIssue,
		forges.KindComment, forges.KindPush, forges.KindRelease)
	worker := bot.NewWorker(st, parsers, router, metrics, log)
	worker.EffectsStored = outbox.Notify
	worker.Now = now
	worker.Horizon = cfg.RetryHorizon
	worker.Held = held
	var hooks []bot.Hook
	for _, f := range cfg.Forges {
		hooks = append(hooks, bot.Hook{Name: f.Name, Webhooks: parsers[f.Name], Secrets: f.Secrets})
	}
	intake := bot.NewIntake(hooks, st, metrics, log, worker.Notify)
	intake.SetClock(now)
	catchUp := &bot.CatchUp{Store: st, Clients: clients, ReviewIDs: map[string]bool{}, Self: self, Metrics: metrics, Log: log,
		Every: cfg.CatchUp.Every, Stored: worker.Notify, Now: now}
	for _, f := range cfg.Forges {
		catchUp.ReviewIDs[f.Name] = f.Type == config.TypeGitHub // Gitea's review webhooks carry no review ID
	}
	intake.SetMaxInflightBytes(int64(cfg.Intake.MaxInflightBytes))
	metrics.WatchIntake(intake)
	srv = &bot.Server{
		Intake:      intake,
		Worker:      worker,
		Outbox:      outbox,
		Proposals:   proposals,
		Checkpoints: checkpoints,
		Retention:   &bot.Retention{Store: st, Keep: time.Duration(cfg.Retention.Payloads), Now: now, Log: log},
		CatchUp:     catchUp,
		Metrics:     metrics,
		Store:       st,
		Log:         log,
		Ready:       map[string]bot.Ready{"policies": pols.Ready},
	}
	if cfg.Web.IsPublic() {
		srv.Web = siteFor(cfg, st, pols, now, log)
	}
	return srv, pols, loadErr, nil
}

// siteFor makes the federation's pages and their API, on credits scored
// from the ledger under the policy in force.
func siteFor(cfg *config.Config, st *store.Store, pols *bot.Policies, now func() time.Time, log *slog.Logger) *web.Site {
	site := &web.Site{Store: st, Policy: pols, Credits: &web.Scored{Store: st, Policy: pols}, Forges: map[string]string{}, Now: now, Log: log,
		PublicURL: cfg.PublicURL}
	for _, f := range cfg.Forges {
		if u := f.WebURL(); u != "" {
			site.Forges[f.Name] = u
		}
	}
	if src := pols.Source; src.Dir == "" && src.Forge != "" {
		if u := site.Forges[src.Forge]; u != "" {
			site.PolicyURL = u + "/" + src.Repo.FullName()
		}
	}
	return site
}

// startLine is the one line serve prints first: where it listens, on what,
// and what the config lacks.
func startLine(cfg *config.Config, addr, policyState string) string {
	var names []string
	for _, f := range cfg.Forges {
		names = append(names, f.Name+"("+f.Type+")")
	}
	line := fmt.Sprintf("accord: listening on http://%s (config %s, database %s, hooks /hooks/{%s}, %s)",
		addr, cfg.Source, cfg.Database, strings.Join(names, ","), policyState)
	if missing := cfg.Missing(); len(missing) > 0 {
		line += "; missing: " + strings.Join(missing, "; ")
	}
	return line
}

// policiesFor makes the policy keeper for policies.dir or policies.repo
// ("forge:owner/repo").
func policiesFor(cfg *config.Config, clients map[string]forges.Client, st *store.Store, log *slog.Logger) (*bot.Policies, error) {
	p := &bot.Policies{Clients: clients, Store: st, Log: log}
	// On the built-in defaults (a trial run) any forge name is accepted, as
	// by 'accord policy check' without a config; a real config is strict.
	if cfg.Source != "defaults" {
		for _, f := range cfg.Forges {
			p.Forges = append(p.Forges, f.Name)
		}
	}
	if cfg.Policies.Repo == "" {
		p.Source = bot.PolicySource{Dir: cfg.Policies.Dir}
		return p, nil
	}
	forge, repo, _ := strings.Cut(cfg.Policies.Repo, ":")
	owner, name, _ := strings.Cut(repo, "/")
	p.Source = bot.PolicySource{Forge: forge, Repo: forges.RepoRef{Owner: owner, Name: name}, Ref: cfg.Policies.Ref, Path: cfg.Policies.Path}
	return p, nil
}

// publishTarget is where signed checkpoints are published: beside the
// policy files of a governance repo; nil for a policies directory.
func publishTarget(src bot.PolicySource) *bot.PublishTarget {
	if src.Dir != "" || src.Forge == "" {
		return nil
	}
	return &bot.PublishTarget{Forge: src.Forge, Repo: src.Repo, Branch: src.Ref, Dir: src.Path}
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

// newLogger logs to w as ACCORD_LOG_FORMAT says, text (the default) or
// json, from the level ACCORD_LOG_LEVEL says: debug, info (the default),
// warn or error. Any other value is an error.
func newLogger(w io.Writer, getenv func(string) string) (*slog.Logger, error) {
	level := slog.LevelInfo
	switch v := getenv("ACCORD_LOG_LEVEL"); strings.ToLower(v) {
	case "":
	case "debug", "info", "warn", "error":
		level.UnmarshalText([]byte(v))
	default:
		return nil, fmt.Errorf("ACCORD_LOG_LEVEL=%q: use debug, info, warn or error", v)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch v := getenv("ACCORD_LOG_FORMAT"); v {
	case "", "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return nil, fmt.Errorf("ACCORD_LOG_FORMAT=%q: use text or json", v)
	}
}
