package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/accord-coop/accord/bot"
	"github.com/accord-coop/accord/config"
	"github.com/accord-coop/accord/forges"
)

func runBackfill(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("backfill", "backfill FORGE OWNER/REPO [--since YYYY-MM-DD]", stdout)
	since := fs.String("since", "", "leave out what happened before this `date` (YYYY-MM-DD, UTC)")
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usageError{"give the forge's name and the repository, e.g. accord backfill github cotech/website"}
	}
	owner, name, ok := strings.Cut(pos[1], "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return usageError{fmt.Sprintf("repository %q: write OWNER/REPO", pos[1])}
	}
	var from time.Time
	if *since != "" {
		if from, err = time.Parse("2006-01-02", *since); err != nil {
			return usageError{fmt.Sprintf("--since %q: write a date as YYYY-MM-DD", *since)}
		}
	}
	cfg, err := config.Load(*fs.config, os.Getenv)
	if err != nil {
		return err
	}
	f := cfg.Forge(pos[0])
	if f == nil {
		return fmt.Errorf("no forge named %q in %s", pos[0], cfg.Source)
	}
	client, err := clientFor(f, nil)
	if err != nil {
		return err
	}
	st, err := openStore(cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	b := &bot.Backfill{Forge: f.Name, Client: client, Store: st, Since: from, ReviewIDs: f.Type == config.TypeGitHub}
	meter := newBackfillMeter(stderr, isTerminal(stderr), f.Name+":"+pos[1], time.Now)
	b.Progress = meter.update
	n, err := b.Run(ctx, forges.RepoRef{Owner: owner, Name: name})
	meter.done()
	if err != nil {
		return fmt.Errorf("%s:%s: %w", f.Name, pos[1], err)
	}
	fmt.Fprintf(stdout, "%s:%s: backfilled: %d new facts recorded, %d already in the ledger (%d from this repository in all runs)\n",
		f.Name, pos[1], b.New, b.Seen, n)
	return nil
}

// backfillPhaseWords name what each phase of a backfill reads.
var backfillPhaseWords = map[string]string{"pulls": "closed pull requests", "issues": "issues",
	"releases": "releases", "updated": "changes since the last run"}

// isTerminal reports whether w is a terminal, for the progress line.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
