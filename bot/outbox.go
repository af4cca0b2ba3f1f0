package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/accord-coop/accord/forges"
	"github.com/accord-coop/accord/store"
)

// Outbox carries out stored effects on forges, one at a time in the order
// they were asked for, and records each outcome:
//   - done;
//   - a forge that rate-limits: the effect waits until the limit lifts, and
//     so does every other effect for that forge (no busy loop, and the wait
//     does not count as a try);
//   - a forge that is down, times out or answers 5xx: tried again with
//     backoff (2 s doubling to 10 minutes), dead after MaxAttempts tries;
//   - a permanent answer (404, 422, 401, 403 …): dead at once, with the
//     forge's message, listed by `accord outbox`.
//
// An effect that may have been carried out before a crash (its attempt
// count is above one) looks before it acts again: a comment is not posted a
// second time if the forge already has it.
//
// The bot's comments are those its account wrote that open with their
// marker line (Self): only they are found, edited, or taken as posted
// already. A user's comment carrying a marker is just a comment: it is
// never edited, and never stands in for the bot's status or result.
type Outbox struct {
	Store       *store.Store
	Clients     map[string]forges.Client // by forge name
	Metrics     *Metrics
	Log         *slog.Logger
	MaxAttempts int // tries before a temporarily failing effect may be dead (see Horizon); default 50
	// Horizon: an effect that keeps failing goes dead only once it is this
	// old (a forge's outage delays, never loses); default 72h.
	Horizon     time.Duration
	BaseBackoff time.Duration // default 2s
	MaxBackoff  time.Duration // default 10m
	Batch       int           // effects claimed at once; default 32
	Poll        time.Duration // the longest an idle outbox sleeps; default 1s
	Now         func() time.Time
	// StatusBody makes a proposal's status comment (OpProposalStatus);
	// ResultBody its result comment (OpProposalResult).
	StatusBody func(ctx context.Context, proposal int64) (string, error)
	ResultBody func(ctx context.Context, proposal int64) (string, error)
	// PolicyCheckBody makes a pull request's policy-check comment, with
	// the preview, for the policy files at sha (OpPolicyCheck).
	PolicyCheckBody func(ctx context.Context, repo forges.RepoRef, sha string) (string, error)
	// Checkpoint is the latest signed checkpoint of the ledger and its tree
	// size (OpPublishCheckpoint).
	Checkpoint func(ctx context.Context) (int64, string, error)
	// Self tells the bot's own comments; default: from Clients.
	Self *Self

	blocked map[string]time.Time // forge → when its rate limit lifts
	// Held holds the effects of forges that keep failing (see Worker.Held).
	Held *Breakers
	wake chan struct{}
	once sync.Once
}

// init fills the defaults once: Notify (from the worker's and the
// proposals' goroutines) and Run may both be first.
func (o *Outbox) init() { o.once.Do(o.setDefaults) }

func (o *Outbox) setDefaults() {
	if o.wake == nil {
		o.wake = make(chan struct{}, 1)
		o.blocked = map[string]time.Time{}
	}
	if o.Held == nil {
		o.Held = &Breakers{}
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 50
	}
	if o.Horizon <= 0 {
		o.Horizon = 72 * time.Hour
	}
	if o.BaseBackoff <= 0 {
		o.BaseBackoff = 2 * time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 10 * time.Minute
	}
	if o.Batch <= 0 {
		o.Batch = 32
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Self == nil {
		o.Self = NewSelf(o.Clients)
	}
}

// Notify wakes the outbox: effects were stored. It never blocks.
func (o *Outbox) Notify() {
	o.init()
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Run puts back effects a previous process left unfinished, then carries
// out effects until ctx ends.
func (o *Outbox) Run(ctx context.Context) error {
	o.init()
	if n, err := o.Store.RequeueInterruptedEffects(ctx); err != nil {
		if ctx.Err() != nil {
			return nil // stopped as it started: not a failure
		}
		return err
	} else if n > 0 {
		o.Log.Info("resuming effects left unfinished", "count", n)
	}
	for {
		n, err := o.ProcessBatch(ctx)
		if err != nil && ctx.Err() == nil {
			o.Log.Error("outbox", "err", err)
		}
		if n > 0 && err == nil {
			continue
		}
		timer := time.NewTimer(o.sleep(ctx))
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-o.wake:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// sleep is how long an idle outbox waits: until the next effect is due, at
// most Poll.
func (o *Outbox) sleep(ctx context.Context) time.Duration {
	next, err := o.Store.NextEffectDue(ctx)
	if err != nil || next.IsZero() {
		return o.Poll
	}
	d := next.Sub(o.Now())
	return max(min(d, o.Poll), 10*time.Millisecond)
}

// ProcessBatch claims the due effects of forges that are not rate-limited
// and carries them out. It returns how many it took.
func (o *Outbox) ProcessBatch(ctx context.Context) (int, error) {
	o.init()
	now := o.Now()
	var skip []string
	for f, until := range o.blocked {
		if until.After(now) {
			skip = append(skip, f)
		} else {
			delete(o.blocked, f)
		}
	}
	es, err := o.Store.ClaimEffects(ctx, now, o.Batch, skip)
	if err != nil || len(es) == 0 {
		return 0, err
	}
	for i := range es {
		out := o.carryOut(ctx, &es[i])
		// Recorded even when ctx ends now: the effect was carried out.
		if err := o.Store.FinishEffect(context.WithoutCancel(ctx), o.Now(), out); err != nil {
			return i, err
		}
		o.Metrics.Effects.WithLabelValues(es[i].Forge, es[i].Op, effectOutcome(out)).Inc()
	}
	return len(es), nil
}

func effectOutcome(o store.EffectOutcome) string {
	switch {
	case o.State == store.StateQueued && o.Uncount:
		return "rate_limited"
	case o.State == store.StateQueued:
		return "retry"
	}
	return o.State
}

// carryOut does one effect and says what came of it.
func (o *Outbox) carryOut(ctx context.Context, e *store.Effect) store.EffectOutcome {
	if until, ok := o.blocked[e.Forge]; ok && until.After(o.Now()) {
		// Its forge was rate-limited by an earlier effect of this batch.
		return store.EffectOutcome{Seq: e.Seq, State: store.StateQueued, Next: until, Uncount: true, Error: "waiting for the rate limit"}
	}
	if ok, until := o.Held.Allow(e.Forge, o.Now()); !ok {
		return store.EffectOutcome{Seq: e.Seq, State: store.StateQueued, Next: until, Uncount: true,
			Error: "waiting: its forge keeps failing, so its effects are held (one try at a time)"}
	}
	err := o.do(ctx, e)
	var ae *forges.APIError
	switch {
	case err == nil:
		return store.EffectOutcome{Seq: e.Seq, State: store.StateDone}
	case errors.As(err, &ae) && ae.RateLimited():
		until := ae.RetryAt
		if until.IsZero() {
			until = o.Now().Add(time.Minute)
		}
		o.blocked[e.Forge] = until
		o.Log.Warn("forge rate limit: effects wait", "forge", e.Forge, "until", until)
		return store.EffectOutcome{Seq: e.Seq, State: store.StateQueued, Next: until, Uncount: true, Error: err.Error()}
	case errors.As(err, &ae) && ae.Temporary() && (e.Attempts < o.MaxAttempts || o.Now().Sub(e.CreatedAt) < o.Horizon):
		next := o.Now().Add(backoff(o.BaseBackoff, o.MaxBackoff, e.Attempts))
		o.Log.Warn("effect failed, will retry", "forge", e.Forge, "op", e.Op, "effect", e.Seq, "attempts", e.Attempts, "next", next, "err", err)
		return store.EffectOutcome{Seq: e.Seq, State: store.StateQueued, Next: next, Error: err.Error()}
	default:
		o.Log.Error("effect is dead", "forge", e.Forge, "op", e.Op, "effect", e.Seq, "attempts", e.Attempts, "err", err)
		return store.EffectOutcome{Seq: e.Seq, State: store.StateDead, Error: err.Error()}
	}
}

// do carries out one effect on its forge.
func (o *Outbox) do(ctx context.Context, e *store.Effect) error {
	c, ok := o.Clients[e.Forge]
	if !ok {
		return fmt.Errorf("forge %q is not configured, or has no credentials to act", e.Forge)
	}
	var a effectArgs
	if err := json.Unmarshal(e.Payload, &a); err != nil {
		return fmt.Errorf("effect %d: payload: %w", e.Seq, err)
	}
	o.init()
	find := func() (*forges.Comment, error) { return o.findComment(ctx, c, e.Forge, a) }
	switch e.Op {
	case OpComment:
		if e.Attempts > 1 {
			// It may have been posted before a crash or a lost answer.
			if found, err := find(); err != nil || found != nil {
				return err
			}
		}
		_, err := c.CreateComment(ctx, a.Repo, a.Number, a.Body)
		return err
	case OpUpsertComment:
		return o.upsert(ctx, c, a, find)
	case OpProposalStatus:
		if o.StatusBody == nil {
			return fmt.Errorf("effect %d: no proposals to render", e.Seq)
		}
		body, err := o.StatusBody(ctx, a.Proposal)
		if err != nil {
			return err
		}
		a.Body = a.Marker + "\n" + body
		return o.upsert(ctx, c, a, find)
	case OpProposalResult:
		if o.ResultBody == nil {
			return fmt.Errorf("effect %d: no proposals to render", e.Seq)
		}
		if found, err := find(); err != nil || found != nil {
			return err // posted already
		}
		body, err := o.ResultBody(ctx, a.Proposal)
		if err != nil {
			return err
		}
		_, err = c.CreateComment(ctx, a.Repo, a.Number, a.Marker+"\n"+body)
		return err
	case OpPolicyCheck:
		if o.PolicyCheckBody == nil {
			return fmt.Errorf("effect %d: no policies to preview", e.Seq)
		}
		body, err := o.PolicyCheckBody(ctx, a.Repo, a.SHA)
		if err != nil {
			return err
		}
		a.Body = a.Marker + "\n" + body
		return o.upsert(ctx, c, a, find)
	case OpPublishCheckpoint:
		if o.Checkpoint == nil {
			return fmt.Errorf("effect %d: no checkpoints to publish", e.Seq)
		}
		size, text, err := o.Checkpoint(ctx)
		if err != nil || text == "" {
			return err
		}
		_, err = c.PutFile(ctx, a.Repo, a.Path, a.Branch, []byte(text), fmt.Sprintf("accord: ledger checkpoint, %d entries", size))
		return err
	case OpAddLabels:
		return c.AddLabels(ctx, a.Repo, a.Number, a.Labels)
	case OpRemoveLabel:
		return c.RemoveLabel(ctx, a.Repo, a.Number, a.Label)
	case OpReact:
		return c.AddReaction(ctx, a.Repo, a.CommentID, a.Reaction)
	case OpSetStatus:
		if a.Status == nil {
			return fmt.Errorf("effect %d: no status", e.Seq)
		}
		return c.SetStatus(ctx, a.Repo, a.SHA, *a.Status)
	}
	return fmt.Errorf("effect %d: unknown op %q", e.Seq, e.Op)
}

// upsert edits the bot's comment carrying a's marker, or posts it.
func (o *Outbox) upsert(ctx context.Context, c forges.Client, a effectArgs, find func() (*forges.Comment, error)) error {
	found, err := find()
	switch {
	case err != nil:
		return err
	case found == nil:
		_, err = c.CreateComment(ctx, a.Repo, a.Number, a.Body)
		return err
	case found.Body == a.Body:
		return nil
	}
	return c.EditComment(ctx, a.Repo, found.ID, a.Body)
}

// findComment finds the bot's comment named by a's marker, newest first:
// one the bot's account wrote whose first line is the marker. Who the bot
// is comes from Self; not knowing it is an error (the effect is retried),
// never a guess.
func (o *Outbox) findComment(ctx context.Context, c forges.Client, forge string, a effectArgs) (*forges.Comment, error) {
	login, err := o.Self.Login(ctx, forge)
	if err != nil {
		return nil, err
	}
	cs, err := c.ListComments(ctx, a.Repo, a.Number)
	if err != nil {
		return nil, err
	}
	for i := len(cs) - 1; i >= 0; i-- {
		if ownsNamed(cs[i], login, a.Marker) {
			return &cs[i], nil
		}
	}
	return nil, nil
}

// ownsNamed reports whether c is the bot's comment named by marker: written
// by login (the bot) and opening with the marker line, as every comment the
// bot posts does. A marker further down does not name it: the bot's replies
// quote what users wrote.
func ownsNamed(c forges.Comment, login, marker string) bool {
	if login == "" || !strings.EqualFold(c.Author.Login, login) {
		return false
	}
	first, _, _ := strings.Cut(c.Body, "\n")
	return strings.TrimSpace(first) == marker
}
