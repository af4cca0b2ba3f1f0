package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/accord-coop/accord/store"
	"github.com/accord-coop/accord/web"
)

// Server is the running bot: the HTTP endpoints, the worker and the outbox.
type Server struct {
	Intake *Intake
	Worker *Worker
	Outbox *Outbox // nil: effects stay stored, nothing acts on forges
	// Proposals, if set, has its due votes closed at start and every
	// CloseEvery (default 5 s).
	Proposals  *Proposals
	CloseEvery time.Duration
	// Checkpoints, if set, signs the ledger's checkpoints on its schedule.
	Checkpoints *Checkpoints
	// Retention, if set, prunes old delivery payloads on its schedule.
	Retention *Retention
	// CatchUp, if set, looks for what the forges did not deliver at start
	// and on its schedule.
	CatchUp *CatchUp
	Metrics *Metrics
	Store   *store.Store
	Log     *slog.Logger
	// Ready lists readiness checks beyond the database's, by name.
	Ready map[string]Ready
	// Web, if set, serves the federation's pages and their JSON API
	// (config web.public); without it they are 404.
	Web *web.Site
}

// Handler is the HTTP API: POST /hooks/{forge}, GET /healthz, /readyz,
// /metrics, the ledger's head for witnesses (/api/v1/ledger/checkpoint and
// /consistency) and, with Web, the pages and their API.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	s.register(mux.Handle)
	return mux
}

// Routes are the patterns Handler serves.
func (s *Server) Routes() []string {
	var out []string
	s.register(func(pattern string, _ http.Handler) { out = append(out, pattern) })
	return out
}

func (s *Server) register(handle func(string, http.Handler)) {
	handle("POST /hooks/{forge}", s.Intake)
	handle("GET /healthz", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok\n")
	}))
	handle("GET /readyz", http.HandlerFunc(s.readyz))
	var metrics http.Handler = http.NotFoundHandler()
	if s.Metrics != nil {
		metrics = promhttp.HandlerFor(s.Metrics.Registry, promhttp.HandlerOpts{})
	}
	handle("GET /metrics", metrics)
	handle("GET /api/v1/ledger/checkpoint", http.HandlerFunc(s.ledgerCheckpoint))
	handle("GET /api/v1/ledger/consistency", http.HandlerFunc(s.ledgerConsistency))
	if s.Web != nil {
		s.Web.Register(handle)
	}
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.Store.Ping(ctx); err != nil {
		http.Error(w, "database: not ready", http.StatusServiceUnavailable)
		return
	}
	for name, check := range s.Ready {
		if err := check(ctx); err != nil {
			http.Error(w, fmt.Sprintf("%s: %v", name, err), http.StatusServiceUnavailable)
			return
		}
	}
	io.WriteString(w, "ready\n")
}

func (s *Server) wakeOutbox() {
	if s.Outbox != nil {
		s.Outbox.Notify()
	}
}

// Serve runs the worker and answers HTTP on ln until ctx ends, then stops
// taking requests, lets those in flight finish (up to 10 s) and stops the
// worker.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute, // a 25 MiB body over a slow link
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.Log.Handler(), slog.LevelWarn),
	}
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	workDone := make(chan error, 1)
	go func() { workDone <- s.Worker.Run(workCtx) }()
	proposalsDone := make(chan error, 1)
	if s.Proposals != nil {
		every := s.CloseEvery
		if every <= 0 {
			every = 5 * time.Second
		}
		go func() { proposalsDone <- s.Proposals.Run(workCtx, every, s.wakeOutbox) }()
	} else {
		proposalsDone <- nil
	}
	checkpointsDone := make(chan error, 1)
	if s.Checkpoints != nil {
		go func() { checkpointsDone <- s.Checkpoints.Run(workCtx) }()
	} else {
		checkpointsDone <- nil
	}
	retentionDone := make(chan error, 1)
	if s.Retention != nil {
		go func() { retentionDone <- s.Retention.Run(workCtx) }()
	} else {
		retentionDone <- nil

	}
	catchUpDone := make(chan error, 1)
	if s.CatchUp != nil {
		go func() { catchUpDone <- s.CatchUp.Run(workCtx) }()
	} else {
		catchUpDone <- nil
	}
	outboxDone := make(chan error, 1)
	if s.Outbox != nil {
		go func() { outboxDone <- s.Outbox.Run(workCtx) }()
	} else {
		outboxDone <- nil
	}

	httpDone := make(chan error, 1)
	go func() { httpDone <- srv.Serve(ln) }()

	var err error
	select {
	case <-ctx.Done():
	case err = <-httpDone:
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if serr := srv.Shutdown(shutCtx); serr != nil && err == nil {
		err = serr
	}
	stopWork()
	if werr := <-workDone; werr != nil && err == nil {
		err = werr
	}
	if oerr := <-outboxDone; oerr != nil && err == nil {
		err = oerr
	}
	if perr := <-proposalsDone; perr != nil && err == nil {
		err = perr
	}
	if cerr := <-checkpointsDone; cerr != nil && err == nil {
		err = cerr
	}
	if rerr := <-retentionDone; rerr != nil && err == nil {
		err = rerr

	}
	if cerr := <-catchUpDone; cerr != nil && err == nil {
		err = cerr
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
