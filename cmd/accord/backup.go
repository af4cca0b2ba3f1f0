package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/accord-coop/accord/config"
	"github.com/accord-coop/accord/store"
)

// runBackup is `accord backup FILE`: a consistent copy of the database,
// made while `accord serve` runs, then opened and its ledger verified.
func runBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("backup", "backup FILE [--config F]", stdout)
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) == 0:
		return usageError{"give the FILE to write the copy to"}
	case len(pos) > 1:
		return usageError{fmt.Sprintf("unexpected argument %q", pos[1])}
	}
	file := pos[0]
	cfg, err := config.Load(*fs.config, os.Getenv)
	if err != nil {
		return err
	}
	st, err := openStore(cfg)
	if err != nil {
		return err
	}
	err = st.Backup(ctx, file)
	st.Close()
	if err != nil {
		return err
	}
	// The copy is a database like any other: it opens, and its ledger
	// holds.
	cp, err := store.Open(file, store.Options{})
	if err != nil {
		return fmt.Errorf("%s written, but it does not open: %w", file, err)
	}
	defer cp.Close()
	n, head, err := cp.VerifyLedger(ctx)
	if err != nil {
		return fmt.Errorf("%s written, but its ledger does not verify: %w", file, err)
	}
	info, err := os.Stat(file)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backup: %s written (%d bytes) from %s; ledger: %d entries, the chain holds; head %s\n",
		file, info.Size(), cfg.Database, n, head)
	return nil
}
