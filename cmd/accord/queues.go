package main

import (
	"context"
	"encoding/json"
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
	// listJSON writes the list as JSON; show, if set, one item in full.
	listJSON func(ctx context.Context, st *store.Store, state string, limit int, w io.Writer) error
	show     func(ctx context.Context, st *store.Store, id int64, format string, w io.Writer) error
}

// run is the command: list, or `retry ID`.
func (q queue) run(ctx context.Context, args []string, stdout io.Writer) error {
	states := strings.Join(q.states, "|")
	usage := fmt.Sprintf("%s [list] [--state %s] [--limit N] [--format table|json] | %s retry ID | %s retry --state dead [--forge F] [--since T]",
		q.name, states, q.name, q.name)
	if q.show != nil {
		usage += fmt.Sprintf(" | %s show ID [--format table|json]", q.name)
	}
	fs := newFlags(q.name, usage, stdout)
	state := fs.String("state", "", "list only those in this `state`: "+strings.Join(q.states, ", ")+"; with retry and no ID: queue again all in it")
	limit := fs.Int("limit", 50, "list at most `N`, newest first")
	format := fs.String("format", "table", "output `format`: table or json (docs/schemas/"+q.name+".schema.json)")
	forge := fs.String("forge", "", "retry in bulk: only those of this `forge`")
	since := fs.String("since", "", "retry in bulk: only those from this `time` on (RFC 3339, or a date YYYY-MM-DD)")
	fs.sub("list", "state", "limit", "format")
	if q.show != nil {
		fs.sub("show", "format")
	}
	fs.sub("retry", "state", "forge", "since")
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	if *state != "" && !slices.Contains(q.states, *state) {
		return usageError{fmt.Sprintf("--state %q: use %s", *state, strings.Join(q.states, ", "))}
	}
	if *format != "table" && *format != "json" {
		return usageError{fmt.Sprintf("--format %q: use table or json", *format)}
	}
	var showID int64
	if len(pos) > 0 && pos[0] == "show" {
		if q.show == nil || len(pos) != 2 {
			return usageError{fmt.Sprintf("use '%s show ID'", q.name)}
		}
		if showID, err = strconv.ParseInt(pos[1], 10, 64); err != nil || showID <= 0 {
			return usageError{fmt.Sprintf("show %q: give the ID from the first column of 'accord %s'", pos[1], q.name)}
		}
		pos = nil
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
	if showID != 0 {
		err := q.show(ctx, st, showID, *format, stdout)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("no %s %d in %s", q.thing, showID, cfg.Database)
		}
		return err
	}
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
	if *format == "json" {
		return q.listJSON(ctx, st, *state, *limit, stdout)
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
	listJSON: deliveriesJSON,
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

// deliveryJSON is a delivery in `accord deliveries --format json`.
type deliveryJSON struct {
	ID         int64      `json:"id"`
	Forge      string     `json:"forge"`
	Event      string     `json:"event"`
	DeliveryID string     `json:"delivery_id"`
	State      string     `json:"state"`
	Tries      int        `json:"tries"`
	ReceivedAt time.Time  `json:"received_at"`
	NextAt     *time.Time `json:"next_at"` // when a queued one is due
	DoneAt     *time.Time `json:"done_at"`
	Error      string     `json:"error"`
}

func deliveriesJSON(ctx context.Context, st *store.Store, state string, limit int, w io.Writer) error {
	ds, err := st.ListDeliveries(ctx, state, limit)
	if err != nil {
		return err
	}
	out := []deliveryJSON{}
	for _, d := range ds {
		j := deliveryJSON{ID: d.Seq, Forge: d.Forge, Event: d.Event, DeliveryID: d.ID, State: d.State, Tries: d.Attempts,
			ReceivedAt: d.ReceivedAt, Error: d.LastError}
		if d.State == store.StateQueued {
			j.NextAt = &d.NextAt
		}
		if !d.DoneAt.IsZero() {
			j.DoneAt = &d.DoneAt
		}
		out = append(out, j)
	}
	return writeJSON(w, map[string]any{"deliveries": out})
}

// effectJSON is an effect in `accord outbox --format json` and `outbox show`.
type effectJSON struct {
	ID        int64      `json:"id"`
	Forge     string     `json:"forge"`
	Op        string     `json:"op"`
	Target    string     `json:"target"` // owner/repo#number, owner/repo@sha, owner/repo:path
	Text      string     `json:"text"`   // what it posts, sets or adds, in words
	State     string     `json:"state"`
	Tries     int        `json:"tries"`
	CreatedAt time.Time  `json:"created_at"`
	NextAt    *time.Time `json:"next_at"`
	DoneAt    *time.Time `json:"done_at"`
	Error     string     `json:"error"` // the forge's last answer, when it failed
	Key       string     `json:"key"`
}

// effectView says what an effect does: its target and its text, from its
// payload (bot's effect arguments).
func effectView(e store.Effect) effectJSON {
	var a struct {
		Repo      struct{ Owner, Name string } `json:"repo"`
		Number    int64                        `json:"number"`
		Body      string                       `json:"body"`
		Labels    []struct{ Name string }      `json:"labels"`
		Label     string                       `json:"label"`
		CommentID int64                        `json:"comment_id"`
		Reaction  string                       `json:"reaction"`
		SHA       string                       `json:"sha"`
		Status    *struct {
			State, Context, Description string
		} `json:"status"`
		Proposal int64  `json:"proposal"`
		Path     string `json:"path"`
		Branch   string `json:"branch"`
	}
	json.Unmarshal(e.Payload, &a)
	repo := a.Repo.Owner + "/" + a.Repo.Name
	j := effectJSON{ID: e.Seq, Forge: e.Forge, Op: e.Op, Target: repo, State: e.State, Tries: e.Attempts, CreatedAt: e.CreatedAt,
		Error: e.LastError, Key: e.Key}
	switch {
	case a.Number != 0:
		j.Target = fmt.Sprintf("%s#%d", repo, a.Number)
	case a.SHA != "":
		j.Target = repo + "@" + a.SHA
	case a.Path != "":
		j.Target = repo + ":" + a.Path + "@" + a.Branch
	case a.CommentID != 0:
		j.Target = fmt.Sprintf("%s comment %d", repo, a.CommentID)
	}
	switch e.Op {
	case "comment", "upsert_comment":
		if _, body, ok := strings.Cut(a.Body, "-->\n"); ok {
			j.Text = body // without the bot's marker line
		} else {
			j.Text = a.Body
		}
	case "add_labels":
		var names []string
		for _, l := range a.Labels {
			names = append(names, l.Name)
		}
		j.Text = "labels " + strings.Join(names, ", ")
	case "remove_label":
		j.Text = "label " + a.Label
	case "react":
		j.Text = "reaction " + a.Reaction
	case "set_status":
		if a.Status != nil {
			j.Text = fmt.Sprintf("%s = %s: %s", a.Status.Context, a.Status.State, a.Status.Description)
		}
	case "proposal_status":
		j.Text = fmt.Sprintf("the status comment of proposal %d (written when it is carried out)", a.Proposal)
	case "proposal_result":
		j.Text = fmt.Sprintf("the result comment of proposal %d (written when it is carried out)", a.Proposal)
	case "publish_checkpoint":
		j.Text = "the ledger's latest signed checkpoint"
	}
	if e.State == store.StateQueued {
		j.NextAt = &e.NextAt
	}
	if !e.DoneAt.IsZero() {
		j.DoneAt = &e.DoneAt
	}
	return j
}

func effectsJSON(ctx context.Context, st *store.Store, state string, limit int, w io.Writer) error {
	es, err := st.ListEffects(ctx, state, limit)
	if err != nil {
		return err
	}
	out := []effectJSON{}
	for _, e := range es {
		out = append(out, effectView(e))
	}
	return writeJSON(w, map[string]any{"effects": out})
}

func showEffect(ctx context.Context, st *store.Store, id int64, format string, w io.Writer) error {
	e, err := st.GetEffect(ctx, id)
	if err != nil {
		return err
	}
	j := effectView(*e)
	if format == "json" {
		return writeJSON(w, j)
	}
	fmt.Fprintf(w, "effect %d: %s on %s %s\nstate: %s after %d tries; created %s\n", j.ID, j.Op, j.Forge, j.Target, j.State, j.Tries,
		j.CreatedAt.Format(time.RFC3339))
	if j.NextAt != nil {
		fmt.Fprintf(w, "next try: %s\n", j.NextAt.Format(time.RFC3339))
	}
	if j.Error != "" {
		fmt.Fprintf(w, "the forge's answer: %s\n", j.Error)
	}
	fmt.Fprintf(w, "\n%s\n", j.Text)
	return nil
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
	listJSON: effectsJSON,
	show:     showEffect,
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
