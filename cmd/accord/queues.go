package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/accord-coop/accord/config"
	"github.com/accord-coop/accord/store"
)

// queue is one of the two lists `accord` shows and re-queues from: the inbox
// of deliveries and the outbox of effects.
type queue struct {
	name    string   // the command
	thing   string   // what one row is: "delivery", "effect"
	states  []string // the states --state takes
	retried string   // what a running server does with a re-queued one
	retry   func(ctx context.Context, st *store.Store, id int64) error
	bulk    func(ctx context.Context, st *store.Store, f store.RetryFilter) (int64, error)
	list    func(ctx context.Context, st *store.Store, state string, limit int, w *tabwriter.Writer) error
}

// run is the command: list, or `retry ID`.
func (q queue) run(ctx context.Context, args []string, stdout io.Writer) error {
	states := strings.Join(q.states, "|")
	fs := newFlags(q.name, fmt.Sprintf("%s [list] [--state %s] [--limit N] | %s retry ID | %s retry --state dead [--forge F] [--since T]",
		q.name, states, q.name, q.name), stdout)
	state := fs.String("state", "", "list only those in this `state`: "+strings.Join(q.states, ", ")+"; with retry and no ID: queue again all in it")
	limit := fs.Int("limit", 50, "list at most `N`, newest first")
	forge := fs.String("forge", "", "retry in bulk: only those of this `forge`")
	since := fs.String("since", "", "retry in bulk: only those from this `time` on (RFC 3339, or a date YYYY-MM-DD)")
	fs.sub("list", "state", "limit")
	fs.sub("retry", "state", "forge", "since")
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	if *state != "" && !slices.Contains(q.states, *state) {
		return usageError{fmt.Sprintf("--state %q: use %s", *state, strings.Join(q.states, ", "))}
	}
	bulk := len(pos) == 1 && pos[0] == "retry"
	var filter store.RetryFilter
	if bulk {
		if *state == "" {
			return usageError{"retry: give an ID, or --state (e.g. --state dead) to queue again all in that state"}
		}
		filter = store.RetryFilter{State: *state, Forge: *forge}
		if *since != "" {
			t, err := parseSince(*since)
			if err != nil {
				return usageError{fmt.Sprintf("--since %q: give RFC 3339 (2026-12-01T08:00:00Z) or a date (2026-12-01)", *since)}
			}
			filter.Since = t
		}
	} else if *forge != "" || *since != "" {
		return usageError{"--forge and --since go with retry --state"}
	}
	var retryID int64
	if !bulk {
		if retryID, err = retryArg(pos, "accord "+q.name); err != nil {
			return err
		}
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
	if bulk {
		n, err := q.bulk(ctx, st, filter)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%d %s queued again; %s\n", n, plural(q.thing, n), q.retried)
		return nil
	}
	if retryID != 0 {
		if err := q.retry(ctx, st, retryID); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("no %s %d in %s", q.thing, retryID, cfg.Database)
			}
			return err
		}
		fmt.Fprintf(stdout, "%s %d queued again; %s\n", q.thing, retryID, q.retried)
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	if err := q.list(ctx, st, *state, *limit, tw); err != nil {
		return err
	}
	return tw.Flush()
}

var deliveries = queue{
	name:    "deliveries",
	thing:   "delivery",
	states:  []string{store.StateQueued, store.StateProcessing, store.StateDone, store.StateIgnored, store.StateDead},
	retried: "a running 'accord serve' picks it up within a second",
	retry: func(ctx context.Context, st *store.Store, id int64) error {
		return st.RetryDelivery(ctx, id, time.Now())
	},
	bulk: func(ctx context.Context, st *store.Store, f store.RetryFilter) (int64, error) {
		return st.RetryDeliveries(ctx, time.Now(), f)
	},
	list: func(ctx context.Context, st *store.Store, state string, limit int, tw *tabwriter.Writer) error {
		ds, err := st.ListDeliveries(ctx, state, limit)
		if err != nil {
			return err
		}
		fmt.Fprintln(tw, "ID\tFORGE\tEVENT\tDELIVERY\tSTATE\tTRIES\tRECEIVED\tERROR")
		for _, d := range ds {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", d.Seq, d.Forge, d.Event, d.ID, d.State, d.Attempts,
				d.ReceivedAt.Format(time.RFC3339), oneLine(d.LastError, 80))
		}
		return nil
	},
}

var outbox = queue{
	name:    "outbox",
	thing:   "effect",
	states:  []string{store.StateQueued, store.StateProcessing, store.StateDone, store.StateDead},
	retried: "a running 'accord serve' carries it out within a second",
	retry: func(ctx context.Context, st *store.Store, id int64) error {
		return st.RetryEffect(ctx, id, time.Now())
	},
	bulk: func(ctx context.Context, st *store.Store, f store.RetryFilter) (int64, error) {
		return st.RetryEffects(ctx, time.Now(), f)
	},
	list: func(ctx context.Context, st *store.Store, state string, limit int, tw *tabwriter.Writer) error {
		es, err := st.ListEffects(ctx, state, limit)
		if err != nil {
			return err
		}
		fmt.Fprintln(tw, "ID\tFORGE\tOP\tSTATE\tTRIES\tCREATED\tNEXT\tERROR")
		for _, e := range es {
			next := "-"
			if e.State == store.StateQueued {
				next = e.NextAt.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", e.Seq, e.Forge, e.Op, e.State, e.Attempts,
				e.CreatedAt.Format(time.RFC3339), next, oneLine(e.LastError, 80))
		}
		return nil
	},
}

func runDeliveries(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return deliveries.run(ctx, args, stdout)
}

func runOutbox(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return outbox.run(ctx, args, stdout)
}

// retryArg reads the positional arguments of a list command: none, or
// "retry ID". It returns the ID, or 0 to list.
func retryArg(pos []string, list string) (int64, error) {
	switch {
	case len(pos) == 0, len(pos) == 1 && pos[0] == "list":
		return 0, nil
	case pos[0] == "retry" && len(pos) == 2:
		id, err := strconv.ParseInt(pos[1], 10, 64)
		if err != nil || id <= 0 {
			return 0, usageError{fmt.Sprintf("retry %q: give the ID from the first column of '%s'", pos[1], list)}
		}
		return id, nil
	case pos[0] == "retry":
		return 0, usageError{"retry takes one ID"}
	}
	return 0, usageError{fmt.Sprintf("unexpected argument %q", pos[0])}
}

// oneLine shortens s to one line of at most n runes for a table cell.
func oneLine(s string, n int) string {
	r := []rune(s)
	for i, c := range r {
		if c == '\n' || c == '\r' || c == '\t' {
			r[i] = ' '
		}
	}
	if len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return string(r)
}

// parseSince reads --since: RFC 3339, or a date (midnight UTC).
func parseSince(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Parse(time.DateOnly, s)
}

// plural is thing, or its plural for n other than 1.
func plural(thing string, n int64) string {
	if n == 1 {
		return thing
	}
	if strings.HasSuffix(thing, "y") {
		return strings.TrimSuffix(thing, "y") + "ies"
	}
	return thing + "s"
}
