package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/accord-coop/accord/config"
	"github.com/accord-coop/accord/store"
)

var deliveryStates = []string{store.StateQueued, store.StateProcessing, store.StateDone, store.StateIgnored, store.StateDead}

func runDeliveries(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("deliveries", "deliveries [--state queued|processing|done|ignored|dead] [--limit N] | deliveries retry ID", stdout)
	state := fs.String("state", "", "list only deliveries in this `state`: queued, processing, done, ignored or dead")
	limit := fs.Int("limit", 50, "list at most `N` deliveries, newest first")
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	if *state != "" && !contains(deliveryStates, *state) {
		return usageError{fmt.Sprintf("--state %q: use queued, processing, done, ignored or dead", *state)}
	}
	var retryID int64
	switch {
	case len(pos) == 0:
	case pos[0] == "retry" && len(pos) == 2:
		retryID, err = strconv.ParseInt(pos[1], 10, 64)
		if err != nil || retryID <= 0 {
			return usageError{fmt.Sprintf("retry %q: give the delivery's ID from the first column of 'accord deliveries'", pos[1])}
		}
	case pos[0] == "retry":
		return usageError{"retry takes one delivery ID"}
	default:
		return usageError{fmt.Sprintf("unexpected argument %q", pos[0])}
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
	if retryID != 0 {
		if err := st.RetryDelivery(ctx, retryID, time.Now()); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("no delivery %d in %s", retryID, cfg.Database)
			}
			return err
		}
		fmt.Fprintf(stdout, "delivery %d queued again; a running 'accord serve' picks it up within a second\n", retryID)
		return nil
	}
	ds, err := st.ListDeliveries(ctx, *state, *limit)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tFORGE\tEVENT\tDELIVERY\tSTATE\tTRIES\tRECEIVED\tERROR")
	for _, d := range ds {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", d.Seq, d.Forge, d.Event, d.ID, d.State, d.Attempts,
			d.ReceivedAt.Format(time.RFC3339), oneLine(d.LastError, 80))
	}
	return tw.Flush()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
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
