package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/accord-coop/accord/forges"
	"github.com/accord-coop/accord/store"
)

// Handler acts on one normalized event. It does nothing on a forge itself:
// it asks act for effects (comments, labels, statuses), which are stored
// with the delivery's outcome and carried out by the Outbox. Handlers must
// be idempotent: after a crash, a delivery whose outcome was not yet
// committed is processed again.
type Handler interface {
	Handle(ctx context.Context, ev *forges.Event, act *Actions) error
}

// HandlerFunc makes a function a Handler.
type HandlerFunc func(ctx context.Context, ev *forges.Event, act *Actions) error

// Handle calls f.
func (f HandlerFunc) Handle(ctx context.Context, ev *forges.Event, act *Actions) error {
	return f(ctx, ev, act)
}

// Router holds the handlers registered per event kind.
type Router struct {
	byKind map[forges.Kind][]Handler
	// Self tells the bot's own comments (author and marker); nil: none is.
	Self *Self
}

// NewRouter returns a router with no handlers.
func NewRouter() *Router { return &Router{byKind: map[forges.Kind][]Handler{}} }

// On registers h for events of these kinds; handlers run in the order they
// were registered.
func (rt *Router) On(h Handler, kinds ...forges.Kind) {
	for _, k := range kinds {
		rt.byKind[k] = append(rt.byKind[k], h)
	}
}

// Dispatch runs the handlers for ev's kind in order and stops at the first
// error. A handler that panics fails the delivery instead of the process.
// The bot's own comments are never handed to handlers: its words are not
// input. Not knowing who the bot is fails the delivery, to be retried.
func (rt *Router) Dispatch(ctx context.Context, ev *forges.Event, act *Actions) (err error) {
	if ev.Kind == forges.KindComment && ev.Comment != nil {
		if own, err := rt.Self.Owns(ctx, ev.Forge, ev.Comment); err != nil || own {
			return err
		}
	}
	for _, h := range rt.byKind[ev.Kind] {
		if err := safeHandle(ctx, h, ev, act); err != nil {
			return err
		}
	}
	return nil
}

func safeHandle(ctx context.Context, h Handler, ev *forges.Event, act *Actions) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("handler panicked: %v", p)
		}
	}()
	return h.Handle(ctx, ev, act)
}

// errPermanent marks a failure that no retry can mend (a payload that does
// not parse, a forge no longer configured): the delivery goes dead at once.
var errPermanent = errors.New("permanent")

// Worker takes stored deliveries in arrival order, parses them with their
// forge's adapter, runs the handlers, and records each outcome: the
// normalized event (done or ignored), a retry with backoff, or dead.
type Worker struct {
	Store       *store.Store
	Parsers     map[string]forges.Webhooks // by forge name
	Router      *Router
	Metrics     *Metrics
	Log         *slog.Logger
	MaxAttempts int // tries before a delivery may be dead (see Horizon); default 8
	// Horizon: a delivery that keeps failing (a forge that is down) goes
	// dead only once it is this old, whatever its tries; default 72h.
	Horizon     time.Duration
	BaseBackoff time.Duration // first retry delay, doubled each try up to MaxBackoff; default 2s
	MaxBackoff  time.Duration // default 10m
	Batch       int           // deliveries claimed at once; default 128
	Poll        time.Duration // how often an idle worker looks for due retries; default 500ms
	// EffectsStored, if set, is called after a batch whose handlers asked
	// for effects is recorded (it wakes the Outbox).
	EffectsStored func()
	Now           func() time.Time // the clock; time.Now when nil

	// Held holds the work of forges that keep failing; serve shares one
	// with the outbox and makes it the clients' Observer. Nil: a Breakers
	// of the worker's own, which holds nothing unless something feeds it.
	Held *Breakers

	wake chan struct{}
}

// Notify wakes the worker: a delivery was stored. It never blocks.
func (w *Worker) Notify() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *Worker) init() {
	if w.wake == nil {
		w.wake = make(chan struct{}, 1)
	}
	if w.Held == nil {
		w.Held = &Breakers{}
	}
	if w.MaxAttempts <= 0 {
		w.MaxAttempts = 8
	}
	if w.Horizon <= 0 {
		w.Horizon = 72 * time.Hour
	}
	if w.BaseBackoff <= 0 {
		w.BaseBackoff = 2 * time.Second
	}
	if w.MaxBackoff <= 0 {
		w.MaxBackoff = 10 * time.Minute
	}
	if w.Batch <= 0 {
		w.Batch = 128
	}
	if w.Poll <= 0 {
		w.Poll = 500 * time.Millisecond
	}
	if w.Router == nil {
		w.Router = NewRouter()
	}
	if w.Now == nil {
		w.Now = time.Now
	}
}

// NewWorker returns a worker with the defaults; set its fields before Run.
func NewWorker(st *store.Store, parsers map[string]forges.Webhooks, rt *Router, m *Metrics, log *slog.Logger) *Worker {
	w := &Worker{Store: st, Parsers: parsers, Router: rt, Metrics: m, Log: log}
	w.init()
	return w
}

// Run first puts back deliveries a previous process left unfinished, then
// processes deliveries until ctx ends.
func (w *Worker) Run(ctx context.Context) error {
	w.init()
	n, err := w.Store.RequeueInterrupted(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped as it started: not a failure
		}
		return err
	}
	if n > 0 {
		w.Log.Info("resuming deliveries left unfinished", "count", n)
	}
	tick := time.NewTicker(w.Poll)
	defer tick.Stop()
	for {
		n, err := w.ProcessBatch(ctx)
		if err != nil && ctx.Err() == nil {
			w.Log.Error("worker", "err", err)
		}
		if n > 0 && err == nil {
			continue // there may be more
		}
		select {
		case <-ctx.Done():
			return nil
		case <-w.wake:
		case <-tick.C:
		}
	}
}

// ProcessBatch claims the due deliveries (up to Batch), processes them and
// records their outcomes in one transaction. It returns how many it took.
func (w *Worker) ProcessBatch(ctx context.Context) (int, error) {
	w.init()
	ds, err := w.Store.ClaimDeliveries(ctx, w.Now(), w.Batch)
	if err != nil || len(ds) == 0 {
		return 0, err
	}
	parsed := w.parseAll(ds)
	outs := make([]store.Outcome, len(ds))
	for i := range ds {
		d := &ds[i]
		if ok, until := w.Held.Allow(d.Forge, w.Now()); !ok {
			outs[i] = store.Outcome{Seq: d.Seq, State: store.StateQueued, Next: until,
				Error: "waiting: its forge keeps failing, so its work is held (one try at a time)"}
			continue
		}
		outs[i] = w.process(ctx, d, parsed[i])
	}
	// The outcomes must be recorded even when ctx ends now: otherwise the
	// batch would run again after restart (harmless, handlers are
	// idempotent, but wasted).
	if err := w.Store.FinishDeliveries(context.WithoutCancel(ctx), w.Now(), outs); err != nil {
		// Nothing of the batch is recorded: give its deliveries back, due
		// after a short wait (if even that fails, their claims' leases end
		// within store.Lease), instead of leaving them processing.
		seqs := make([]int64, len(ds))
		for i := range ds {
			seqs[i] = ds[i].Seq
		}
		if rerr := w.Store.ReleaseDeliveries(context.WithoutCancel(ctx), w.Now().Add(w.BaseBackoff), seqs); rerr != nil {
			w.Log.Error("deliveries not released; their claims end by themselves", "count", len(seqs), "err", rerr)
		}
		return 0, err
	}
	if w.EffectsStored != nil && slices.ContainsFunc(outs, func(o store.Outcome) bool { return len(o.Effects) > 0 }) {
		w.EffectsStored()
	}
	now := w.Now()
	for i, o := range outs {
		w.Metrics.LagSeconds.Observe(now.Sub(ds[i].ReceivedAt).Seconds())
		kind := "unknown"
		if o.Event != nil {
			kind = string(o.Event.Kind)
		}
		outcome := o.State
		if o.State == store.StateQueued {
			outcome = "retry"
		}
		w.Metrics.Processed.WithLabelValues(ds[i].Forge, kind, outcome).Inc()
	}
	return len(ds), nil
}

// parsed is a delivery's parse result, made before its handlers run.
type parsed struct {
	ev      *forges.Event
	err     error
	elapsed time.Duration
}

// parseAll parses a batch on all CPUs: parsing is most of a delivery's cost
// and needs nothing but the payload. The handlers then run one delivery at a
// time, in arrival order, since what they do may depend on it (the last vote
// counts).
func (w *Worker) parseAll(ds []store.StoredDelivery) []parsed {
	out := make([]parsed, len(ds))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(ds)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < len(ds); i = int(next.Add(1) - 1) {
				start := time.Now()
				ev, err := w.parse(&ds[i])
				out[i] = parsed{ev, err, time.Since(start)}
			}
		}()
	}
	wg.Wait()
	return out
}

// process runs a delivery's handlers and says what came of it.
func (w *Worker) process(ctx context.Context, d *store.StoredDelivery, p parsed) store.Outcome {
	start := time.Now()
	defer func() {
		w.Metrics.ProcessingSeconds.WithLabelValues(d.Forge).Observe((p.elapsed + time.Since(start)).Seconds())
	}()
	ev, err := p.ev, p.err
	act := NewActions(d.Forge, d.ID)
	act.Received = d.ReceivedAt
	if err == nil {
		err = w.Router.Dispatch(ctx, ev, act)
	}
	switch {
	case err == nil && ev.Kind == forges.KindIgnored:
		return store.Outcome{Seq: d.Seq, State: store.StateIgnored, Event: ev}
	case err == nil:
		return store.Outcome{Seq: d.Seq, State: store.StateDone, Event: ev, Effects: act.Effects(), Entries: entries(act)}
	case errors.Is(err, errPermanent) || d.Attempts >= w.MaxAttempts && w.Now().Sub(d.ReceivedAt) >= w.Horizon:
		w.Log.Error("delivery is dead", "forge", d.Forge, "delivery", d.ID, "seq", d.Seq, "attempts", d.Attempts, "err", err)
		return store.Outcome{Seq: d.Seq, State: store.StateDead, Error: err.Error()}
	default:
		next := w.Now().Add(w.backoff(d.Attempts))
		w.Log.Warn("delivery failed, will retry", "forge", d.Forge, "delivery", d.ID, "seq", d.Seq, "attempts", d.Attempts, "next", next, "err", err)
		return store.Outcome{Seq: d.Seq, State: store.StateQueued, Error: err.Error(), Next: next}
	}
}

// entries are the ledger entries a delivery's handlers asked for.
func entries(act *Actions) []store.NewEntry {
	var out []store.NewEntry
	for _, e := range act.Entries() {
		out = append(out, store.NewEntry{Kind: e.Kind, Key: e.Key, Body: e.Body})
	}
	return out
}

// parse turns a stored delivery into an event; a failure is permanent, as
// the same payload will not parse any better next time.
func (w *Worker) parse(d *store.StoredDelivery) (*forges.Event, error) {
	p, ok := w.Parsers[d.Forge]
	if !ok {
		return nil, fmt.Errorf("%w: forge %q is not configured", errPermanent, d.Forge)
	}
	var ev *forges.Event
	var err error
	if d.Event == CatchUpEvent {
		ev, err = parseCatchUp(d.Delivery)
	} else {
		ev, err = safeParse(p, d.Delivery)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s payload does not parse: %v", errPermanent, d.Event, err)
	}
	return ev, nil
}

func safeParse(p forges.Webhooks, d forges.Delivery) (ev *forges.Event, err error) {
	defer func() {
		if r := recover(); r != nil {
			ev, err = nil, fmt.Errorf("parser panicked: %v", r)
		}
	}()
	ev, err = p.Parse(d)
	if err == nil && ev == nil {
		err = errors.New("parser returned no event")
	}
	return ev, err
}

// backoff is the delay before try attempts+1: BaseBackoff doubled per try,
// capped at MaxBackoff.
func (w *Worker) backoff(attempts int) time.Duration {
	return backoff(w.BaseBackoff, w.MaxBackoff, attempts)
}

// backoff is base doubled per try after the first, capped at limit.
func backoff(base, limit time.Duration, attempts int) time.Duration {
	d := base
	for i := 1; i < attempts && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}
