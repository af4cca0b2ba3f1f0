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

func runProposals(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("proposals", "proposals [list] | proposals show ID", stdout)
	limit := fs.Int("limit", 50, "list at most `N`, newest first")
	fs.sub("list", "limit")
	fs.sub("show")
	pos, err := fs.parse(args)
	if err != nil {
		return err
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
	if show != 0 {
		return showProposal(ctx, st, show, stdout)
	}
	ps, err := st.ListProposals(ctx, *limit)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tWHERE\tPROFILE\tSTATE\tVOTES\tDEADLINE\tTITLE")
	for _, p := range ps {
		votes, err := st.Votes(ctx, p.ID)
		if err != nil {
			return err
		}
		fmt.Fprintf(tw, "%d\t%s:%s#%d\t%s\t%s\t%d\t%s\t%s\n", p.ID, p.Forge, p.Repo, p.Number, p.Profile, p.State,
			len(lastVotes(votes)), p.Deadline.Format(time.RFC3339), oneLine(p.Title, 50))
	}
	return tw.Flush()
}

// lastVotes is each member's last vote.
func lastVotes(vs []store.VoteRow) map[string]store.VoteRow {
	out := map[string]store.VoteRow{}
	for _, v := range vs {
		out[v.Member] = v
	}
	return out
}

func showProposal(ctx context.Context, st *store.Store, id int64, w io.Writer) error {
	p, err := st.GetProposal(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no proposal %d", id)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "proposal %d: %s\n%s:%s#%d, profile %s, policy %s\nproposed by %s at %s; deadline %s\nstate: %s\n",
		p.ID, p.Title, p.Forge, p.Repo, p.Number, p.Profile, p.Policy, p.Proposer, p.OpenedAt.Format(time.RFC3339),
		p.Deadline.Format(time.RFC3339), p.State)
	if p.State != store.ProposalOpen {
		hash, _ := st.EntryHash(ctx, fmt.Sprint("outcome:", p.ID))
		fmt.Fprintf(w, "closed at %s; ledger entry %s\n", p.ClosedAt.Format(time.RFC3339), hash)
	}
	votes, err := st.Votes(ctx, p.ID)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nMEMBER\tIDENTITY\tVOTE\tAT\tREASON")
	last := lastVotes(votes)
	for _, v := range votes {
		if last[v.Member].CommentID == v.CommentID {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", v.Member, v.Identity, v.Choice, v.At.Format(time.RFC3339), oneLine(v.Reason, 60))
		}
	}
	return tw.Flush()
}
