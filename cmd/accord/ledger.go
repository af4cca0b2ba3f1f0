package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/accord-coop/accord/config"
	"github.com/accord-coop/accord/ledger"
	"github.com/accord-coop/accord/store"
	"github.com/accord-coop/accord/transparency"
)

// ledgerUsage is the usage line of `accord ledger`.
const ledgerUsage = `ledger verify [--file X.jsonl] [--checkpoint FILE]… [--checkpoint-from FORGE:OWNER/REPO[@REF][:PATH]] [--key VKEY]
       accord ledger export [--format jsonl]
       accord ledger keygen --out FILE [--origin NAME]
       accord ledger checkpoint
       accord ledger prove ENTRY|KEY
       accord ledger check-proof FILE [--checkpoint FILE] [--key VKEY]
       accord ledger witness --state DIR [--key VKEY] SOURCE`

// multi is a flag that may be given several times.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

// ledgerArgs are `accord ledger`'s flags and arguments.
type ledgerArgs struct {
	fs          *flags
	file        string
	format      string
	checkpoints multi
	from        string
	key         string
	out         string
	origin      string
	state       string
	pos         []string
	set         map[string]bool
}

// ledgerSubNames are ledger's subcommands, in the order of its help.
var ledgerSubNames = []string{"verify", "export", "keygen", "checkpoint", "prove", "check-proof", "witness"}

// ledgerSubs are ledger's subcommands, the flags each takes and how many
// arguments.
var ledgerSubs map[string]ledgerSub

func init() {
	ledgerSubs = map[string]ledgerSub{
		"verify":      {[]string{"file", "checkpoint", "checkpoint-from", "key"}, 0, ledgerVerify},
		"export":      {[]string{"format"}, 0, ledgerExportCmd},
		"keygen":      {[]string{"out", "origin"}, 0, ledgerKeygen},
		"checkpoint":  {nil, 0, ledgerCheckpoint},
		"prove":       {nil, 1, ledgerProve},
		"check-proof": {[]string{"checkpoint", "key"}, 1, ledgerCheckProof},
		"witness":     {[]string{"state", "key"}, 1, ledgerWitness},
	}
}

// ledgerSub is one subcommand of ledger.
type ledgerSub struct {
	flags []string // besides --config
	args  int      // positional arguments after the subcommand
	run   func(context.Context, *ledgerArgs, io.Writer, io.Writer) error
}

// runLedger is `accord ledger verify|export|keygen|checkpoint|prove|
// check-proof|witness` (see docs/LEDGER.md).
func runLedger(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	a := &ledgerArgs{fs: newFlags("ledger", ledgerUsage, stdout), set: map[string]bool{}}
	fs := a.fs
	fs.StringVar(&a.file, "file", "", "verify: check this `export` (from 'accord ledger export') instead of the database")
	fs.StringVar(&a.format, "format", "jsonl", "export: the `format`; jsonl (one entry per line) is the only one")
	fs.Var(&a.checkpoints, "checkpoint", "verify: a signed checkpoint `file` the log must hold as a prefix (repeat for several); check-proof: the checkpoint you hold")
	fs.StringVar(&a.from, "checkpoint-from", "", "verify: also every checkpoint published in this governance `repo`'s history of ledger.checkpoint (FORGE:OWNER/REPO[@REF][:PATH]; default REF and PATH those of policies.repo), read through the forge's API")
	fs.StringVar(&a.key, "key", "", "the federation's verifier `key` (what keygen printed; env ACCORD_LEDGER_VERIFIER_KEY; default: that of ledger.key_file)")
	fs.StringVar(&a.out, "out", "", "keygen: the `file` to write the private key to (it must not exist)")
	fs.StringVar(&a.origin, "origin", "", "keygen: the log's `name`, in checkpoints (default: public_url's host and path, then /ledger)")
	fs.StringVar(&a.state, "state", "", "witness: the `directory` keeping the last checkpoint accepted")
	for _, name := range ledgerSubNames {
		fs.sub(name, ledgerSubs[name].flags...)
	}
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	a.pos = pos
	fs.Visit(func(f *flag.Flag) { a.set[f.Name] = true })
	if len(pos) == 0 {
		return usageError{"give a subcommand: verify, export, keygen, checkpoint, prove, check-proof or witness"}
	}
	sub, ok := ledgerSubs[pos[0]]
	if !ok {
		return usageError{fmt.Sprintf("unknown subcommand %q: use verify, export, keygen, checkpoint, prove, check-proof or witness", pos[0])}
	}
	for name := range a.set {
		if name != "config" && !slices.Contains(sub.flags, name) {
			return usageError{fmt.Sprintf("--%s is not a flag of ledger %s", name, pos[0])}
		}
	}
	if len(pos)-1 != sub.args {
		if len(pos)-1 > sub.args {
			return usageError{fmt.Sprintf("unexpected argument %q", pos[sub.args+1])}
		}
		return usageError{fmt.Sprintf("ledger %s needs %d argument(s)", pos[0], sub.args)}
	}
	return sub.run(ctx, a, stdout, stderr)
}

// openLedger opens the configured database, which must exist: opening
// one creates it, and a ledger that is not there is not an empty ledger
// that holds.
func openLedger(a *ledgerArgs) (*config.Config, *store.Store, error) {
	cfg, err := config.Load(*a.fs.config, os.Getenv)
	if err != nil {
		return nil, nil, err
	}
	if _, err := os.Stat(cfg.Database); err != nil {
		return nil, nil, fmt.Errorf("no database at %s (see --config): %w", cfg.Database, errors.Unwrap(err))
	}
	st, err := openStore(cfg)
	if err != nil {
		return nil, nil, err
	}
	return cfg, st, nil
}

// verifier is the federation's verifier key: --key, else
// ACCORD_LEDGER_VERIFIER_KEY, else the one of the config's ledger.key_file
// (cfg may be nil: no config is read). nil, nil when there is none.
func verifier(a *ledgerArgs, cfg *config.Config) (note.Verifier, error) {
	vkey := a.key
	if vkey == "" {
		vkey = os.Getenv("ACCORD_LEDGER_VERIFIER_KEY")
	}
	if vkey == "" && cfg == nil {
		if c, err := config.Load(*a.fs.config, os.Getenv); err == nil {
			cfg = c
		}
	}
	if vkey == "" && cfg != nil && cfg.Ledger.Key != "" {
		k, err := transparency.VerifierKey(cfg.Ledger.Key)
		if err != nil {
			return nil, fmt.Errorf("ledger.key_file: %w", err)
		}
		vkey = k
	}
	if vkey == "" {
		return nil, nil
	}
	v, err := note.NewVerifier(strings.TrimSpace(vkey))
	if err != nil {
		return nil, fmt.Errorf("--key: not a verifier key (it reads NAME+HASH+KEY, as keygen printed it): %v", err)
	}
	return v, nil
}

// ledgerVerify checks the chain and the Merkle tree of the database or of
// an export, and that the log holds each given checkpoint (and, for the
// database, each it signed) as a prefix.
func ledgerVerify(ctx context.Context, a *ledgerArgs, stdout, stderr io.Writer) error {
	var cfg *config.Config
	var st *store.Store
	if a.file == "" {
		var err error
		if cfg, st, err = openLedger(a); err != nil {
			return err
		}
		defer st.Close()
	}
	v, err := verifier(a, cfg)
	if err != nil {
		return err
	}
	var cps []transparency.Checkpoint
	for _, path := range a.checkpoints {
		cp, err := readCheckpoint(path, v)
		if err != nil {
			return err
		}
		cps = append(cps, cp)
	}
	if a.from != "" {
		published, err := publishedCheckpoints(ctx, a, cfg, v)
		if err != nil {
			return err
		}
		cps = append(cps, published...)
	}
	if st != nil && len(a.checkpoints) == 0 && a.from == "" {
		// The database's own checkpoints: a history rewritten since one was
		// signed no longer holds it.
		own, err := st.Checkpoints(ctx)
		if err != nil {
			return err
		}
		for _, c := range own {
			cp, err := openOwn(c.Signed, v)
			if err != nil {
				return fmt.Errorf("the checkpoint of %d entries in the database: %w", c.Size, err)
			}
			cps = append(cps, cp)
		}
	}
	w := newLogWalk(cps)
	if st != nil {
		w.keepLeaves = true
		err = st.LedgerEntries(ctx, w.add)
	} else {
		err = w.readFile(a.file)
	}
	res := w.finish(err)
	if res == nil && st != nil {
		// The tree the database keeps must be the tree of its entries,
		// every stored hash of it (proofs are read from any of them). It is
		// compared at the size walked: a running serve may have appended
		// since, which is no tampering.
		if terr := st.CheckTree(ctx, w.leaves); terr != nil {
			res = fmt.Errorf("the Merkle tree the database keeps is not that of its %d entries: %w (its ledger_tree table was changed)", w.chain.Count(), terr)
		}
	}
	return w.report(res, stdout, stderr)
}

// readCheckpoint reads and verifies a signed checkpoint file; without a
// verifier key it is refused: an unverified checkpoint proves nothing.
func readCheckpoint(path string, v note.Verifier) (transparency.Checkpoint, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return transparency.Checkpoint{}, err
	}
	if v == nil {
		return transparency.Checkpoint{}, errors.New("a checkpoint needs the federation's verifier key to be checked: give --key (the governance repo's README publishes it)")
	}
	cp, err := transparency.Open(data, v)
	if err != nil {
		return transparency.Checkpoint{}, fmt.Errorf("%s: %w", path, err)
	}
	return cp, nil
}

// openOwn opens a checkpoint the database holds: verified when the key is
// known, else read as it stands (it is checked against the log either way).
func openOwn(signed string, v note.Verifier) (transparency.Checkpoint, error) {
	if v != nil {
		return transparency.Open([]byte(signed), v)
	}
	u, err := transparency.ParseSigned([]byte(signed))
	return u.Checkpoint, err
}

// logWalk checks a log entry by entry: the chain, and the tree against
// checkpoints.
type logWalk struct {
	chain  ledger.Verifier
	prefix *transparency.PrefixVerifier
	cps    []transparency.Checkpoint
	// keepLeaves keeps the leaf hashes (32 bytes an entry), to check the
	// tree a database stores against them.
	keepLeaves bool
	leaves     []tlog.Hash
}

func newLogWalk(cps []transparency.Checkpoint) *logWalk {
	return &logWalk{prefix: transparency.NewPrefixVerifier(cps...), cps: cps}
}

func (w *logWalk) add(e ledger.Entry) error {
	if err := w.chain.Add(e); err != nil {
		return err
	}
	leaf, err := transparency.LeafHash(e.Hash)
	if err != nil {
		return err
	}
	w.prefix.Append(leaf) // failures are all reported by finish
	if w.keepLeaves {
		w.leaves = append(w.leaves, leaf)
	}
	return nil
}

func (w *logWalk) readFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := ledger.NewJSONLReader(f)
	for {
		e, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err == nil {
			err = w.add(e)
		}
		if err != nil {
			return err
		}
	}
}

// finish is the walk's verdict: the chain's break, else the checkpoints
// the log does not hold.
func (w *logWalk) finish(err error) error {
	if err != nil {
		return err
	}
	return w.prefix.Finish()
}

// report prints the verdict: one line on stdout if everything holds; on
// stderr, a line per failure, and exit 1.
func (w *logWalk) report(err error, stdout, stderr io.Writer) error {
	var be *ledger.BrokenError
	switch {
	case errors.As(err, &be):
		held := ""
		if n := w.chain.Count(); n > 0 {
			held = fmt.Sprintf(" (the %d entries before it hold)", n)
		}
		fmt.Fprintf(stderr, "accord ledger verify: the chain is broken at %v%s\n", be, held)
		return errFailed
	case errors.Is(err, transparency.ErrInconsistent):
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintf(stderr, "accord ledger verify: %s\n", line)
		}
		return errFailed
	case err != nil:
		return err
	case w.chain.Count() == 0 && len(w.cps) == 0:
		fmt.Fprintln(stdout, "ledger: 0 entries; nothing to check")
		return nil
	}
	line := fmt.Sprintf("ledger: %d entries, the chain holds; head %s; tree root %s", w.chain.Count(), w.chain.Head(), w.prefix.Root())
	if len(w.cps) > 0 {
		var ns []int64
		for _, cp := range w.cps {
			ns = append(ns, cp.Size)
		}
		slices.Sort(ns)
		var sizes []string
		for _, n := range slices.Compact(ns) {
			sizes = append(sizes, fmt.Sprint(n))
		}
		line += fmt.Sprintf("; holds the checkpoints of %s entries", strings.Join(sizes, ", "))
	}
	fmt.Fprintln(stdout, line)
	return nil
}

// ledgerExportCmd writes every entry, in order, as JSON Lines.
func ledgerExportCmd(ctx context.Context, a *ledgerArgs, stdout, _ io.Writer) error {
	if a.format != "jsonl" {
		return usageError{fmt.Sprintf("--format %q: use jsonl", a.format)}
	}
	_, st, err := openLedger(a)
	if err != nil {
		return err
	}
	defer st.Close()
	return ledgerExport(ctx, st, stdout)
}

// ledgerExport writes every entry, in order, as JSON Lines.
func ledgerExport(ctx context.Context, st *store.Store, stdout io.Writer) error {
	w := bufio.NewWriterSize(stdout, 1<<16)
	if err := st.LedgerEntries(ctx, func(e ledger.Entry) error { return ledger.WriteJSONL(w, e) }); err != nil {
		return err
	}
	return w.Flush()
}
