package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/accord-coop/accord/bot"
	"github.com/accord-coop/accord/config"
	"github.com/accord-coop/accord/forges"
	"github.com/accord-coop/accord/ledger"
	"github.com/accord-coop/accord/store"
	"github.com/accord-coop/accord/transparency"
)

// checkpointSigner is the Checkpoints.Sign of the config's log key, nil
// without one.
func checkpointSigner(cfg *config.Config) (func(int64, tlog.Hash) ([]byte, error), error) {
	if cfg.Ledger.Key == "" {
		return nil, nil
	}
	signer, err := note.NewSigner(cfg.Ledger.Key)
	if err != nil {
		return nil, fmt.Errorf("ledger.key_file: not a signer key (make one with accord ledger keygen): %v", err)
	}
	return func(size int64, root tlog.Hash) ([]byte, error) {
		return transparency.Sign(transparency.Checkpoint{Origin: signer.Name(), Size: size, Root: root}, signer)
	}, nil
}

// ledgerKeygen makes the federation's log key: the private key into --out
// (which must not exist), the verifier key to publish on stdout.
func ledgerKeygen(_ context.Context, a *ledgerArgs, stdout, stderr io.Writer) error {
	if a.out == "" {
		return usageError{"give --out FILE, where the private key is written"}
	}
	origin := a.origin
	if origin == "" {
		cfg, err := config.Load(*a.fs.config, os.Getenv)
		if err != nil {
			return err
		}
		if cfg.PublicURL == "" {
			return usageError{"give --origin NAME (the log's name in its checkpoints, e.g. accord.example.coop/ledger), or set public_url"}
		}
		u, _ := url.Parse(cfg.PublicURL)
		origin = strings.TrimSuffix(u.Host+u.Path, "/") + "/ledger"
	}
	skey, vkey, err := transparency.GenerateKey(origin)
	if err != nil {
		return usageError{err.Error()}
	}
	f, err := os.OpenFile(a.out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s exists; a log keeps its key for ever, so keygen never overwrites one", a.out)
		}
		return err
	}
	if _, err := f.WriteString(skey + "\n"); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintln(stdout, vkey)
	fmt.Fprintf(stderr, "accord ledger keygen: wrote the private key of the log %s to %s (keep it secret; set ledger.key_file to it). "+
		"Publish the verifier key above, e.g. in the governance repo's README: members check checkpoints with it.\n", origin, a.out)
	return nil
}

// checkpointsOf are the checkpoints of the config's database, signed with
// its key if it has one, and published where serve publishes them: a
// checkpoint signed here is queued for serve's outbox, not left unpublished.
func checkpointsOf(cfg *config.Config, st *store.Store) (*bot.Checkpoints, error) {
	sign, err := checkpointSigner(cfg)
	if err != nil {
		return nil, err
	}
	pols, err := policiesFor(cfg, nil, st, nil)
	if err != nil {
		return nil, err
	}
	return &bot.Checkpoints{Store: st, Sign: sign, Publish: publishTarget(pols.Source)}, nil
}

// ledgerCheckpoint prints the latest signed checkpoint, signing one now if
// the log grew since.
func ledgerCheckpoint(ctx context.Context, a *ledgerArgs, stdout, stderr io.Writer) error {
	cfg, st, err := openLedger(a)
	if err != nil {
		return err
	}
	defer st.Close()
	cps, err := checkpointsOf(cfg, st)
	if err != nil {
		return err
	}
	cp, err := cps.Latest(ctx)
	if err != nil {
		return err
	}
	if cp == nil {
		return errors.New("no checkpoint has been signed: set ledger.key_file (make a key with accord ledger keygen --out FILE)")
	}
	if size, _, err := st.TreeHead(ctx); err == nil && size > cp.Size && cps.Sign == nil {
		fmt.Fprintf(stderr, "accord ledger checkpoint: the log has %d entries since; without ledger.key_file none is signed\n", size)
	}
	_, err = io.WriteString(stdout, cp.Signed)
	return err
}

// ledgerProve prints the inclusion proof of an entry (its seq, or its key:
// a fact's ID, outcome:N …) against the latest checkpoint.
func ledgerProve(ctx context.Context, a *ledgerArgs, stdout, _ io.Writer) error {
	cfg, st, err := openLedger(a)
	if err != nil {
		return err
	}
	defer st.Close()
	want := a.pos[1]
	var e *ledger.Entry
	if seq, perr := strconv.ParseInt(want, 10, 64); perr == nil {
		e, err = st.LedgerEntryAt(ctx, seq)
	} else {
		e, err = st.LedgerEntry(ctx, want)
	}
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("the ledger has no entry %s (give its seq, or its key: a fact's ID, outcome:N, policy:VERSION …)", want)
	}
	if err != nil {
		return err
	}
	cps, err := checkpointsOf(cfg, st)
	if err != nil {
		return err
	}
	cp, err := cps.Latest(ctx)
	if err != nil {
		return err
	}
	if cp == nil || cp.Size < e.Seq {
		return fmt.Errorf("entry %d is in no signed checkpoint yet; sign one with accord ledger checkpoint (it needs ledger.key_file)", e.Seq)
	}
	hashes, err := transparency.ProveInclusion(e.Seq-1, cp.Size, st.HashReader(ctx))
	if err != nil {
		return err
	}
	file, err := transparency.FormatProof(transparency.InclusionProof{Index: e.Seq - 1, EntryHash: e.Hash, Hashes: hashes, Checkpoint: []byte(cp.Signed)})
	if err != nil {
		return err
	}
	_, err = stdout.Write(file)
	return err
}

// ledgerCheckProof checks an inclusion proof offline: its checkpoint's
// signature, the proof against it, and, with --checkpoint, that it is the
// checkpoint the member holds.
func ledgerCheckProof(_ context.Context, a *ledgerArgs, stdout, stderr io.Writer) error {
	if len(a.checkpoints) > 1 {
		return usageError{"check-proof takes one --checkpoint"}
	}
	data, err := os.ReadFile(a.pos[1])
	if err != nil {
		return err
	}
	v, err := verifier(a, nil)
	if err != nil {
		return err
	}
	if v == nil {
		return usageError{"give --key: the federation's verifier key (the governance repo's README publishes it)"}
	}
	proof, cp, err := transparency.CheckInclusion(data, v)
	if err == nil && len(a.checkpoints) == 1 {
		var held transparency.Checkpoint
		if held, err = readCheckpoint(a.checkpoints[0], v); err == nil && (held.Size != cp.Size || held.Root != cp.Root) {
			err = fmt.Errorf("the proof is against the checkpoint of %d entries, yours is of %d entries with another root: "+
				"ask for a proof against yours, or check that the log holds both (accord ledger verify --checkpoint)", cp.Size, held.Size)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "accord ledger check-proof: %v\n", err)
		return errFailed
	}
	fmt.Fprintf(stdout, "entry %d (hash %s) is in the ledger %s of %d entries, root %s, signed by its key\n",
		proof.Index+1, proof.EntryHash, cp.Origin, cp.Size, cp.Root)
	return nil
}

// witnessClient fetches checkpoints and proofs for the witness.
var witnessClient = &http.Client{Timeout: 30 * time.Second}

// ledgerWitness keeps the last checkpoint it accepted from an accord
// server (SOURCE, its URL) in --state, and accepts a new one only with a
// proof that the new log extends the old: it fails loudly on a cut, a
// rewrite or a fork.
func ledgerWitness(ctx context.Context, a *ledgerArgs, stdout, stderr io.Writer) error {
	if a.state == "" {
		return usageError{"give --state DIR, where the last checkpoint accepted is kept"}
	}
	source := strings.TrimSuffix(a.pos[1], "/")
	if u, err := url.Parse(source); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageError{fmt.Sprintf("SOURCE %q: give the http(s) URL of an accord server, e.g. https://accord.example.coop", a.pos[1])}
	}
	v, err := verifier(a, nil)
	if err != nil {
		return err
	}
	if v == nil {
		return usageError{"give --key: the federation's verifier key (the governance repo's README publishes it)"}
	}
	fail := func(format string, args ...any) error {
		fmt.Fprintf(stderr, "accord ledger witness: "+format+"\n", args...)
		return errFailed
	}
	signed, err := fetch(ctx, source+"/api/v1/ledger/checkpoint")
	if err != nil {
		return err
	}
	latest, err := transparency.Open(signed, v)
	if err != nil {
		return fail("the server's checkpoint: %v", err)
	}
	statePath := filepath.Join(a.state, "checkpoint")
	oldSigned, err := os.ReadFile(statePath)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := saveState(a.state, statePath, signed); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "witness: accepted the first checkpoint of %s: %d entries, root %s\n", latest.Origin, latest.Size, latest.Root)
		return nil
	case err != nil:
		return err
	}
	old, err := transparency.Open(oldSigned, v)
	if err != nil {
		return fail("the checkpoint kept in %s: %v", statePath, err)
	}
	switch {
	case latest.Size < old.Size:
		return fail("the log shrank: the server's checkpoint has %d entries, the one accepted before has %d: entries were cut", latest.Size, old.Size)
	case latest.Size == old.Size && latest.Root != old.Root:
		return fail("a fork: two checkpoints of %d entries with different roots (%s accepted before, %s now): the history was rewritten", old.Size, old.Root, latest.Root)
	case latest.Size == old.Size:
		fmt.Fprintf(stdout, "witness: unchanged: %d entries, root %s\n", latest.Size, latest.Root)
		return nil
	}
	var proof tlog.TreeProof
	if old.Size > 0 {
		body, err := fetch(ctx, fmt.Sprintf("%s/api/v1/ledger/consistency?from=%d&to=%d", source, old.Size, latest.Size))
		if err != nil {
			return err
		}
		if proof, err = transparency.ParseTreeProof(body); err != nil {
			return fail("the server's consistency proof: %v", err)
		}
	}
	if err := transparency.CheckConsistency(old, latest, proof); err != nil {
		return fail("the log of %d entries does not extend the one of %d accepted before: %v", latest.Size, old.Size, err)
	}
	if err := saveState(a.state, statePath, signed); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "witness: accepted %d entries (from %d), root %s\n", latest.Size, old.Size, latest.Root)
	return nil
}

// fetch GETs a URL; anything but 200 is an error.
func fetch(ctx context.Context, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := witnessClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %s", u, resp.Status, strings.TrimSpace(string(body)))
	}
	return body, nil
}

// saveState writes the accepted checkpoint atomically.
func saveState(dir, path string, signed []byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, signed, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// publishedCheckpoints reads every version of the checkpoint file in a
// governance repo's history (--checkpoint-from FORGE:OWNER/REPO[@REF][:PATH])
// through the configured forge's API, and verifies each.
func publishedCheckpoints(ctx context.Context, a *ledgerArgs, cfg *config.Config, v note.Verifier) ([]transparency.Checkpoint, error) {
	if v == nil {
		return nil, usageError{"--checkpoint-from needs the federation's verifier key: give --key"}
	}
	if cfg == nil {
		c, err := config.Load(*a.fs.config, os.Getenv)
		if err != nil {
			return nil, err
		}
		cfg = c
	}
	forge, rest, ok := strings.Cut(a.from, ":")
	repoRef, path, _ := strings.Cut(rest, ":")
	repo, ref, _ := strings.Cut(repoRef, "@")
	owner, name, ok2 := strings.Cut(repo, "/")
	if !ok || !ok2 || owner == "" || name == "" {
		return nil, usageError{fmt.Sprintf("--checkpoint-from %q: write FORGE:OWNER/REPO[@REF][:PATH], e.g. github:cotech/governance", a.from)}
	}
	if same := cfg.Policies.Repo == forge+":"+repo; same && ref == "" {
		ref = cfg.Policies.Ref
	}
	if path == "" {
		path = "accord"
		if cfg.Policies.Repo == forge+":"+repo {
			path = cfg.Policies.Path
		}
	}
	file := strings.TrimPrefix(strings.TrimSuffix(path, "/")+"/"+bot.CheckpointFile, "/")
	clients, _ := clientsFor(cfg, nil)
	c, ok := clients[forge]
	if !ok {
		return nil, fmt.Errorf("--checkpoint-from: forge %q is not configured with API credentials (see --config)", forge)
	}
	r := forges.RepoRef{Owner: owner, Name: name}
	shas, err := c.FileHistory(ctx, r, file, ref, 10000)
	if err != nil {
		return nil, fmt.Errorf("--checkpoint-from: the history of %s: %w", file, err)
	}
	if len(shas) == 0 {
		return nil, fmt.Errorf("--checkpoint-from: %s:%s has no %s on %s", forge, repo, file, orWord(ref, "its default branch"))
	}
	var out []transparency.Checkpoint
	for _, sha := range shas {
		data, err := c.GetFile(ctx, r, file, sha)
		if err != nil {
			return nil, fmt.Errorf("--checkpoint-from: %s at %s: %w", file, sha, err)
		}
		cp, err := transparency.Open(data, v)
		if err != nil {
			return nil, fmt.Errorf("--checkpoint-from: %s at %s: %w", file, sha, err)
		}
		out = append(out, cp)
	}
	return out, nil
}
