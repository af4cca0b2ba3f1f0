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
	"github.com/accord-coop/accord/policies"
	"github.com/accord-coop/accord/store"
	"github.com/accord-coop/accord/tally"
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

// proposalView is a proposal as `accord proposals` shows it, with its tally
// under the policy version it opened with (JSON: snake_case, [] for empty
// lists).
type proposalView struct {
	ID           int64      `json:"id"`
	Forge        string     `json:"forge"`
	Repo         string     `json:"repo"`
	Number       int64      `json:"number"`
	Title        string     `json:"title"`
	Kind         string     `json:"kind"`
	Profile      string     `json:"profile"`
	Policy       string     `json:"policy"`
	Proposer     string     `json:"proposer"`
	OpenedAt     time.Time  `json:"opened_at"`
	Deadline     time.Time  `json:"deadline"`
	State        string     `json:"state"`
	ClosedAt     *time.Time `json:"closed_at"`
	SecondsLeft  int64      `json:"seconds_left"` // 0 once the deadline has passed
	Note         string     `json:"note"`
	OutcomeEntry string     `json:"outcome_entry"` // the outcome's ledger hash, once closed
	Tally        *tallyView `json:"tally"`         // null if the policy version cannot be read
	Votes        []voteView `json:"votes"`         // each member's vote that stands
}

type tallyView struct {
	Voters    string          `json:"voters"`
	Eligible  int             `json:"eligible"`
	Voted     int             `json:"voted"`
	Yes       int             `json:"yes"`
	No        int             `json:"no"`
	Abstain   int             `json:"abstain"`
	Block     int             `json:"block"`
	Quorum    string          `json:"quorum"` // the profile's share, e.g. "0.5"
	QuorumMet bool            `json:"quorum_met"`
	Blocked   bool            `json:"blocked"`
	Outcome   string          `json:"outcome"` // what closing now gives
	Decided   bool            `json:"decided"`
	ByCoop    []coopTallyView `json:"by_coop"`
	Blocks    []blockView     `json:"blocks"`
}

type coopTallyView struct {
	Coop     string `json:"coop"`
	Eligible int    `json:"eligible"`
	Voted    int    `json:"voted"`
	Yes      int    `json:"yes"`
	No       int    `json:"no"`
	Abstain  int    `json:"abstain"`
	Block    int    `json:"block"`
	Vote     string `json:"vote"` // the co-op's vote with voters: coops
}

type blockView struct {
	Member string `json:"member"`
	Coop   string `json:"coop"`
	Reason string `json:"reason"`
}

type voteView struct {
	Member   string    `json:"member"`
	Identity string    `json:"identity"`
	Choice   string    `json:"choice"`
	Reason   string    `json:"reason"`
	At       time.Time `json:"at"`
	Comment  int64     `json:"comment"`
}

func proposalViewOf(ctx context.Context, st *store.Store, p *store.Proposal, now time.Time) (proposalView, error) {
	v := proposalView{ID: p.ID, Forge: p.Forge, Repo: p.Repo, Number: p.Number, Title: p.Title, Kind: orWord(p.Kind, "question"),
		Profile: p.Profile, Policy: p.Policy, Proposer: p.Proposer, OpenedAt: p.OpenedAt, Deadline: p.Deadline, State: p.State,
		Note: p.Note, Votes: []voteView{}}
	if p.State == store.ProposalOpen {
		v.SecondsLeft = max(int64(p.Deadline.Sub(now)/time.Second), 0)
	} else {
		closed := p.ClosedAt
		v.ClosedAt = &closed
		v.OutcomeEntry, _ = st.EntryHash(ctx, fmt.Sprint("outcome:", p.ID))
	}
	votes, err := st.Votes(ctx, p.ID)
	if err != nil {
		return v, err
	}
	last := lastVotes(votes)
	var tv []tally.Vote
	for _, x := range votes {
		tv = append(tv, tally.Vote{Member: x.Member, Choice: x.Choice, Reason: x.Reason, At: x.At})
		if last[x.Member].CommentID == x.CommentID {
			v.Votes = append(v.Votes, voteView{Member: x.Member, Identity: x.Identity, Choice: x.Choice, Reason: x.Reason, At: x.At, Comment: x.CommentID})
		}
	}
	if pv, err := st.ValidPolicyVersion(ctx, p.Policy); err == nil {
		if set, errs := policies.Parse(pv.Files, nil); len(errs) == 0 {
			t := tally.Of(set, p.Profile, p.OpenedAt, p.Deadline, tv)
			v.Tally = tallyViewOf(t, tally.ProfileOf(set, p.Profile))
		}
	}
	return v, nil
}

func tallyViewOf(t tally.Tally, prof *policies.Profile) *tallyView {
	out := &tallyView{Voters: t.Voters, Eligible: t.Eligible, Voted: t.Voted, Yes: t.Yes, No: t.No, Abstain: t.Abstain, Block: t.Block,
		Quorum: prof.Quorum.String(), QuorumMet: t.QuorumMet, Blocked: t.Blocked, Outcome: t.Outcome, Decided: t.Decided,
		ByCoop: []coopTallyView{}, Blocks: []blockView{}}
	for _, c := range t.ByCoop {
		out.ByCoop = append(out.ByCoop, coopTallyView{Coop: c.Coop, Eligible: c.Eligible, Voted: c.Voted, Yes: c.Yes, No: c.No,
			Abstain: c.Abstain, Block: c.Block, Vote: c.Vote})
	}
	for _, b := range t.Blocks {
		out.Blocks = append(out.Blocks, blockView{Member: b.Member, Coop: b.Coop, Reason: b.Reason})
	}
	return out
}

// lastVotes is each member's last vote.
func lastVotes(vs []store.VoteRow) map[string]store.VoteRow {
	out := map[string]store.VoteRow{}
	for _, v := range vs {
		out[v.Member] = v
	}
	return out
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
