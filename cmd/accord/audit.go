package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/accord-coop/accord/audit"
)

// runAudit is `accord audit EXPORT.jsonl`: from an export alone (no
// database, no network, no config), it checks the hash chain and
// re-derives every vote outcome the ledger records (package audit). It
// prints each difference on a line of its own, then a one-line summary and
// what it could not compare; exit 1 on any difference or a broken chain.
func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("audit", "audit EXPORT.jsonl   (the file 'accord ledger export' writes; - for standard input)", stdout)
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) == 0:
		return usageError{"give the export to audit: accord audit EXPORT.jsonl (made by 'accord ledger export')"}
	case len(pos) > 1:
		return usageError{fmt.Sprintf("unexpected argument %q: audit takes one export", pos[1])}
	}
	path := pos[0]
	var in io.Reader = os.Stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	r, err := audit.Run(in)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return auditReport(path, r, stdout, stderr)
}

// auditReport prints what the audit found: the broken chain and each
// difference, one a line, the summary, the notes; and, when anything
// differs, one line on stderr (exit 1).
func auditReport(path string, r *audit.Report, stdout, stderr io.Writer) error {
	if r.Broken != nil {
		held := ""
		switch {
		case r.Held == 1:
			held = " (the entry before it holds)"
		case r.Held > 1:
			held = fmt.Sprintf(" (the %d entries before it hold)", r.Held)
		}
		fmt.Fprintf(stdout, "chain: broken at %v%s\n", r.Broken, held)
	}
	for _, d := range r.Differences {
		fmt.Fprintln(stdout, d)
	}
	fmt.Fprintln(stdout, r.Summary())
	for _, n := range r.Notes {
		fmt.Fprintln(stdout, n)
	}
	if r.OK() {
		return nil
	}
	var what []string
	if r.Broken != nil {
		what = append(what, "the chain is broken")
	}
	switch n := len(r.Differences); {
	case n == 1:
		what = append(what, "1 difference between what the ledger records and what it re-derives to")
	case n > 1:
		what = append(what, fmt.Sprintf("%d differences between what the ledger records and what it re-derives to", n))
	}
	fmt.Fprintf(stderr, "accord audit: %s: %s\n", path, strings.Join(what, "; "))
	return errFailed
}
