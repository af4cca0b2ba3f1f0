package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/accord-coop/accord/config"
	"github.com/accord-coop/accord/ledger"
	"github.com/accord-coop/accord/store"
)

// runLedger is `accord ledger verify [--file X.jsonl]` and `accord ledger
// export [--format jsonl]`.
func runLedger(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("ledger", "ledger verify [--file X.jsonl] | ledger export [--format jsonl]", stdout)
	file := fs.String("file", "", "verify: check this `export` (from 'accord ledger export') instead of the database")
	format := fs.String("format", "jsonl", "export: the `format`; jsonl (one entry per line) is the only one")
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if len(pos) == 0 {
		return usageError{"give a subcommand: verify or export"}
	}
	if len(pos) > 1 {
		return usageError{fmt.Sprintf("unexpected argument %q", pos[1])}
	}
	switch pos[0] {
	case "verify":
		if set["format"] {
			return usageError{"--format is for export"}
		}
		if *file != "" {
			return ledgerVerifyFile(*file, stdout, stderr)
		}
	case "export":
		if set["file"] {
			return usageError{"--file is for verify; export writes to standard output"}
		}
		if *format != "jsonl" {
			return usageError{fmt.Sprintf("--format %q: use jsonl", *format)}
		}
	default:
		return usageError{fmt.Sprintf("unknown subcommand %q: use verify or export", pos[0])}
	}

	cfg, err := config.Load(*fs.config, os.Getenv)
	if err != nil {
		return err
	}
	// Opening a database creates it; a ledger that is not there is not an
	// empty ledger that holds.
	if _, err := os.Stat(cfg.Database); err != nil {
		return fmt.Errorf("no database at %s (see --config): %w", cfg.Database, errors.Unwrap(err))
	}
	st, err := openStore(cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	if pos[0] == "export" {
		return ledgerExport(ctx, st, stdout)
	}
	n, head, err := st.VerifyLedger(ctx)
	return ledgerReport(n, head, err, stdout, stderr)
}

// ledgerVerifyFile verifies an export without the database.
func ledgerVerifyFile(path string, stdout, stderr io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	n, head, err := ledger.VerifyJSONL(f)
	var be *ledger.BrokenError
	if err != nil && !errors.As(err, &be) {
		return fmt.Errorf("%s: %w", path, err)
	}
	return ledgerReport(n, head, err, stdout, stderr)
}

// ledgerReport says whether the chain holds: one line on stdout if it
// does, one line on stderr and exit 1 if it does not.
func ledgerReport(n int64, head string, err error, stdout, stderr io.Writer) error {
	var be *ledger.BrokenError
	switch {
	case errors.As(err, &be):
		held := ""
		if n > 0 {
			held = fmt.Sprintf(" (the %d entries before it hold)", n)
		}
		fmt.Fprintf(stderr, "accord ledger verify: the chain is broken at %v%s\n", be, held)
		return errFailed
	case err != nil:
		return err
	case n == 0:
		fmt.Fprintln(stdout, "ledger: 0 entries; nothing to check")
	default:
		fmt.Fprintf(stdout, "ledger: %d entries, the chain holds; head %s\n", n, head)
	}
	return nil
}

// ledgerExport writes every entry, in order, as JSON Lines.
func ledgerExport(ctx context.Context, st *store.Store, stdout io.Writer) error {
	w := bufio.NewWriterSize(stdout, 1<<16)
	if err := st.LedgerEntries(ctx, func(e ledger.Entry) error { return ledger.WriteJSONL(w, e) }); err != nil {
		return err
	}
	return w.Flush()
}
