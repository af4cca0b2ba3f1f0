package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/accord-coop/accord/config"
	"github.com/accord-coop/accord/proposalview"
	"github.com/accord-coop/accord/store"
)

func runProposals(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("proposals", "proposals [list] [--format table|json] | proposals show ID [--format table|json]", stdout)
	limit := fs.Int("limit", 50, "list at most `N`, newest first")
	format := fs.String("format", "table", "output `format`: table or json (docs/schemas/proposals.schema.json)")
	fs.sub("list", "limit", "format")
	fs.sub("show", "format")
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	if *format != "table" && *format != "json" {
		return usageError{fmt.Sprintf("--format %q: use table or json", *format)}
	}
	var show int64
	switch {
	case len(pos) == 0 || (len(pos) == 1 && pos[0] == "list"):
	case len(pos) == 2 && pos[0] == "show":
		if show, err = strconv.ParseInt(pos[1], 10, 64); err != nil || show <= 0 {
			return usageError{fmt.Sprintf("show %q: give the ID from the first column of 'accord proposals'", pos[1])}
		}
	default:
		return usageError{"use 'accord proposals', 'accord proposals list' or 'accord proposals show ID'"}
	}
	cfg, err := config.Load(*fs.config, os.Getenv)
	if err != nil {
		return err
	}
	if _, err := os.Stat(cfg.Database); err != nil {
		return fmt.Errorf("no database at %s", cfg.Database)
	}
	st, err := openStore(cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	now := time.Now()
	if show != 0 {
		p, err := st.GetProposal(ctx, show)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("no proposal %d", show)
		}
		if err != nil {
			return err
		}
		v, err := proposalViewOf(ctx, st, p, now)
		if err != nil {
			return err
		}
		if *format == "json" {
			return writeJSON(stdout, v)
		}
		return showProposal(v, stdout)
	}
	ps, err := st.ListProposals(ctx, *limit)
	if err != nil {
		return err
	}
	views := []proposalView{}
	for i := range ps {
		v, err := proposalViewOf(ctx, st, &ps[i], now)
		if err != nil {
			return err
		}
		views = append(views, v)
	}
	if *format == "json" {
		return writeJSON(stdout, map[string]any{"proposals": views})
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tWHERE\tPROFILE\tSTATE\tVOTES\tDEADLINE\tTITLE")
	for _, v := range views {
		fmt.Fprintf(tw, "%d\t%s:%s#%d\t%s\t%s\t%d\t%s\t%s\n", v.ID, v.Forge, v.Repo, v.Number, v.Profile, v.State,
			len(v.Votes), v.Deadline.Format(time.RFC3339), oneLine(v.Title, 50))
	}
	return tw.Flush()
}

// proposalView is a proposal as `accord proposals` shows it (package
// proposalview).
type proposalView = proposalview.View

func proposalViewOf(ctx context.Context, st *store.Store, p *store.Proposal, now time.Time) (proposalView, error) {
	return proposalview.Of(ctx, st, p, now)
}

// showProposal writes a proposal, its tally and its votes as text.
func showProposal(v proposalView, w io.Writer) error {
	fmt.Fprintf(w, "proposal %d: %s\n%s:%s#%d, profile %s, policy %s\nproposed by %s at %s; deadline %s\nstate: %s\n",
		v.ID, v.Title, v.Forge, v.Repo, v.Number, v.Profile, v.Policy, v.Proposer, v.OpenedAt.Format(time.RFC3339),
		v.Deadline.Format(time.RFC3339), v.State)
	if v.ClosedAt != nil {
		fmt.Fprintf(w, "closed at %s; ledger entry %s\n", v.ClosedAt.Format(time.RFC3339), v.OutcomeEntry)
	} else {
		fmt.Fprintf(w, "time left: %s\n", (time.Duration(v.SecondsLeft) * time.Second).String())
	}
	if v.Note != "" {
		fmt.Fprintf(w, "note: %s\n", v.Note)
	}
	if t := v.Tally; t != nil {
		fmt.Fprintf(w, "\ntally (%s): %d yes, %d no, %d abstain, %d block; %d of %d voted, quorum %s %s; closing now: %s%s\n",
			t.Voters, t.Yes, t.No, t.Abstain, t.Block, t.Voted, t.Eligible, t.Quorum, map[bool]string{true: "met", false: "not met"}[t.QuorumMet],
			t.Outcome, map[bool]string{true: " (decided)", false: ""}[t.Decided])
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "CO-OP\tVOTED\tYES\tNO\tABSTAIN\tBLOCK\tCO-OP'S VOTE")
		for _, c := range t.ByCoop {
			fmt.Fprintf(tw, "%s\t%d of %d\t%d\t%d\t%d\t%d\t%s\n", c.Coop, c.Voted, c.Eligible, c.Yes, c.No, c.Abstain, c.Block, orWord(c.Vote, "-"))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		for _, b := range t.Blocks {
			fmt.Fprintf(w, "blocked by %s (%s): %s\n", b.Member, b.Coop, b.Reason)
		}
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nMEMBER\tIDENTITY\tVOTE\tAT\tREASON")
	for _, x := range v.Votes {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", x.Member, x.Identity, x.Choice, x.At.Format(time.RFC3339), oneLine(x.Reason, 60))
	}
	return tw.Flush()
}

// writeJSON writes v indented, as every --format json does.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
