package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accord-coop/accord/bot"
	"github.com/accord-coop/accord/ledger"
	"github.com/accord-coop/accord/store"
)

// keyedLedger is a ledger of n facts with a log key in its config; it
// returns the config, the database and the verifier key.
func keyedLedger(t *testing.T, dir string, n int) (cfg, db, vkey string) {
	t.Helper()
	cfg, db = ledgerFixture(t, dir, n)
	keyFile := filepath.Join(dir, "ledger.key")
	out, errOut, code := accord(t, dir, nil, "ledger", "keygen", "--out", keyFile, "--origin", "accord.example.coop/ledger")
	if code != 0 || !strings.HasPrefix(out, "accord.example.coop/ledger+") || !strings.Contains(errOut, "Publish the verifier key") {
		t.Fatalf("keygen: %d %q %q", code, out, errOut)
	}
	if _, _, code := accord(t, dir, nil, "ledger", "keygen", "--out", keyFile, "--origin", "x"); code == 0 {
		t.Fatal("keygen overwrote a key")
	}
	if info, err := os.Stat(keyFile); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", info, err)
	}
	os.WriteFile(cfg, []byte(fmt.Sprintf("database: %s\nledger: {key_file: %s}\n", db, keyFile)), 0o600)
	return cfg, db, strings.TrimSpace(out)
}

// readExport reads an export's entries.
func readExport(t *testing.T, data []byte) []ledger.Entry {
	t.Helper()
	var out []ledger.Entry
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e ledger.Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

// writeExport writes entries as an export; rehash makes the chain hold
// again from entry from on (seq, prev and hash recomputed), as someone who
// rewrites history would.
func writeExport(t *testing.T, path string, es []ledger.Entry, rehash bool) {
	t.Helper()
	var b bytes.Buffer
	prev := ""
	for i, e := range es {
		if rehash {
			e.Seq, e.Prev = int64(i+1), prev
			e.Hash = e.ComputeHash()
			prev = e.Hash
		}
		if err := ledger.WriteJSONL(&b, e); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(path, b.Bytes(), 0o644)
}

// TestLedgerCheckpointsCatchTampering: an export of a ledger of 1,283
// entries holds the checkpoints signed before; every kind of tampering of
// the export fails against them, named, with exit 1, including the cut
// tail and the rewritten history the hash chain alone let pass.
func TestLedgerCheckpointsCatchTampering(t *testing.T) {
	dir := t.TempDir()
	cfg, db, vkey := keyedLedger(t, dir, 1283)
	// A checkpoint at 700 entries, as a member would have kept: signed
	// over a copy of the ledger cut there.
	cp := filepath.Join(dir, "cp-full.txt")
	out, errOut, code := accord(t, dir, nil, "ledger", "checkpoint", "--config", cfg)
	if code != 0 || !strings.HasPrefix(out, "accord.example.coop/ledger\n1283\n") || !strings.Contains(out, "\n— accord.example.coop/ledger ") {
		t.Fatalf("checkpoint: %d %q %q", code, out, errOut)
	}
	os.WriteFile(cp, []byte(out), 0o644)
	if again, _, _ := accord(t, dir, nil, "ledger", "checkpoint", "--config", cfg); again != out {
		t.Error("a second checkpoint of the same log differs")
	}
	export, _, code := accord(t, dir, nil, "ledger", "export", "--config", cfg)
	if code != 0 {
		t.Fatal("export")
	}
	entries := readExport(t, []byte(export))
	cp700 := filepath.Join(dir, "cp-700.txt")
	os.WriteFile(cp700, []byte(signedPrefix(t, dir, cfg, db, 700)), 0o644)

	file := filepath.Join(dir, "export.jsonl")
	verify := func(name string, es []ledger.Entry, rehash bool, want string) {
		t.Helper()
		writeExport(t, file, es, rehash)
		out, errOut, code := accord(t, dir, nil, "ledger", "verify", "--file", file, "--checkpoint", cp700, "--checkpoint", cp, "--key", vkey)
		if want == "" {
			if code != 0 || !strings.Contains(out, "holds the checkpoints of 700, 1283 entries") {
				t.Errorf("%s: %d %q %q", name, code, out, errOut)
			}
			return
		}
		if code != 1 || out != "" || !strings.Contains(errOut, want) {
			t.Errorf("%s: exit %d, stderr %q; want exit 1 and %q", name, code, errOut, want)
		}
	}
	clone := func() []ledger.Entry { return append([]ledger.Entry(nil), entries...) }
	verify("as exported", clone(), false, "")

	changed := clone()
	changed[499].Body = json.RawMessage(strings.Replace(string(changed[499].Body), "alice", "mallo", 1))
	verify("one byte of an entry", changed, false, "ledger entry 500: ")
	hashed := clone()
	hashed[499].Hash = strings.Repeat("0", 64)
	verify("one byte of a hash", hashed, false, "ledger entry 500")
	verify("a deleted middle entry", append(clone()[:699], entries[700:]...), false, "ledger entry 701")
	verify("the tail cut by 1", clone()[:1282], false, "the log has 1282 entries, the checkpoint says 1283")
	verify("the tail cut by 10", clone()[:1273], false, "the log has 1273 entries, the checkpoint says 1283")
	verify("every entry cut", nil, false, "the log has 0 entries, the checkpoint says 700")
	swapped := clone()
	swapped[99], swapped[100] = swapped[100], swapped[99]
	verify("a swap", swapped, false, "expected entry 100 here")
	verify("a duplicate", append(clone()[:51], entries[50:]...), false, "expected entry 52 here")
	verify("a deleted entry, everything after re-hashed", append(clone()[:699], entries[700:]...), true, "checkpoint of 1283 entries")
	verify("an early entry deleted and re-hashed", append(clone()[:9], entries[10:]...), true, "checkpoint of 700 entries")

	// A fork: a checkpoint of 1,283 entries over another history, signed
	// with the same key.
	forked := clone()
	forked[1000].Body = json.RawMessage(strings.Replace(string(forked[1000].Body), "alice", "mallo", 1))
	writeExport(t, file, forked, true)
	fork := filepath.Join(dir, "cp-fork.txt")
	os.WriteFile(fork, []byte(signExport(t, dir, forked)), 0o644)
	writeExport(t, file, clone(), false)
	if _, errOut, code := accord(t, dir, nil, "ledger", "verify", "--file", file, "--checkpoint", cp, "--checkpoint", fork, "--key", vkey); code != 1 ||
		!strings.Contains(errOut, "checkpoint of 1283 entries") {
		t.Errorf("a fork: exit %d, %q", code, errOut)
	}

	// The database itself: it holds its own checkpoint; verify names its
	// tree root.
	if out, errOut, code := accord(t, dir, nil, "ledger", "verify", "--config", cfg); code != 0 || !strings.Contains(out, "holds the checkpoints of ") ||
		!strings.Contains(out, "tree root ") {
		t.Errorf("verify the database: %d %q %q", code, out, errOut)
	}
	// A checkpoint is refused without the key, or with another log's.
	if _, errOut, code := accord(t, t.TempDir(), nil, "ledger", "verify", "--file", file, "--checkpoint", cp); code == 0 {
		t.Errorf("a checkpoint checked without a key: %q", errOut)
	}
	_, otherKey, _ := keyedLedgerKey(t, dir)
	if _, errOut, code := accord(t, dir, nil, "ledger", "verify", "--file", file, "--checkpoint", cp, "--key", otherKey); code == 0 ||
		!strings.Contains(errOut, "key") {
		t.Errorf("another log's key: %d %q", code, errOut)
	}
}

// signedPrefix signs, with the config's key, a checkpoint of the first n
// entries of the database (on a copy cut there), as one signed when the
// log had n entries.
func signedPrefix(t *testing.T, dir, cfg, db string, n int) string {
	t.Helper()
	export, _, _ := accord(t, dir, nil, "ledger", "export", "--config", cfg)
	return signExport(t, dir, readExport(t, []byte(export))[:n])
}

// signExport loads entries into a fresh database and signs its checkpoint
// with the config's key in dir.
func signExport(t *testing.T, dir string, es []ledger.Entry) string {
	t.Helper()
	sub := t.TempDir()
	db := filepath.Join(sub, "copy.db")
	st, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		// Appended as entries of the same kind, key and body: the copy's
		// hashes differ from the export's only if its times do, so the
		// times are kept by appending each at its own time.
		if _, err := st.AppendEntries(context.Background(), e.At, []store.NewEntry{{Kind: e.Kind, Key: e.Key, Body: e.Body}}); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	key := filepath.Join(dir, "ledger.key")
	cfg := filepath.Join(sub, "accord.yml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("database: %s\nledger: {key_file: %s}\n", db, key)), 0o600)
	out, errOut, code := accord(t, sub, nil, "ledger", "checkpoint", "--config", cfg)
	if code != 0 {
		t.Fatalf("checkpoint of a copy: %q", errOut)
	}
	return out
}

// keyedLedgerKey makes another log's key.
func keyedLedgerKey(t *testing.T, dir string) (string, string, error) {
	out, _, _ := accord(t, dir, nil, "ledger", "keygen", "--out", filepath.Join(t.TempDir(), "other.key"), "--origin", "other.example/ledger")
	return "", strings.TrimSpace(out), nil
}

// TestLedgerProve: an inclusion proof of a fact, by its ID or its seq,
// against the latest checkpoint, checks offline; a changed proof, another
// checkpoint or another key does not.
func TestLedgerProve(t *testing.T) {
	dir := t.TempDir()
	cfg, _, vkey := keyedLedger(t, dir, 40)
	export, _, _ := accord(t, dir, nil, "ledger", "export", "--config", cfg)
	entries := readExport(t, []byte(export))
	proof, errOut, code := accord(t, dir, nil, "ledger", "prove", entries[16].Key, "--config", cfg)
	if code != 0 || !strings.HasPrefix(proof, "accord-inclusion-proof v1\nindex 16\nentry "+entries[16].Hash+"\n") {
		t.Fatalf("prove: %d %q %q", code, proof, errOut)
	}
	if bySeq, _, _ := accord(t, dir, nil, "ledger", "prove", "17", "--config", cfg); bySeq != proof {
		t.Error("the proof by seq differs from the proof by key")
	}
	file := filepath.Join(dir, "proof.txt")
	os.WriteFile(file, []byte(proof), 0o644)
	cp := filepath.Join(dir, "cp.txt")
	out, _, _ := accord(t, dir, nil, "ledger", "checkpoint", "--config", cfg)
	os.WriteFile(cp, []byte(out), 0o644)
	other := t.TempDir() // a member's machine: no database, no config
	if out, errOut, code := accord(t, other, nil, "ledger", "check-proof", file, "--checkpoint", cp, "--key", vkey); code != 0 ||
		!strings.HasPrefix(out, "entry 17 (hash "+entries[16].Hash+") is in the ledger accord.example.coop/ledger of 40 entries") {
		t.Errorf("check-proof: %d %q %q", code, out, errOut)
	}
	lines := strings.Split(proof, "\n")
	lines[4] = strings.Replace(lines[4], lines[4][:4], "AAAA", 1) // a hash of the path
	os.WriteFile(file, []byte(strings.Join(lines, "\n")), 0o644)
	if _, errOut, code := accord(t, other, nil, "ledger", "check-proof", file, "--key", vkey); code != 1 || !strings.Contains(errOut, "accord ledger check-proof:") {
		t.Errorf("a changed proof: %d %q", code, errOut)
	}
	if _, _, code := accord(t, dir, nil, "ledger", "prove", "sha256:nothing", "--config", cfg); code == 0 {
		t.Error("a proof of an entry that is not there")
	}
}

var _ = time.Now

// TestCheckpointsPublishedAndWitnessed runs the bot in process with a log
// key and a governance repo: the first policy version's checkpoint is
// committed to the repo; a vote's result comment quotes the checkpoint
// with its outcome in it, and the repo's file follows; a witness accepts
// the first checkpoint, then the later one with the server's consistency
// proof; a server with another history under the same key fails it.
func TestCheckpointsPublishedAndWitnessed(t *testing.T) {
	keys := t.TempDir()
	keyFile := filepath.Join(keys, "ledger.key")
	vkey, _, code := accord(t, keys, nil, "ledger", "keygen", "--out", keyFile, "--origin", "accord.example.coop/ledger")
	if code != 0 {
		t.Fatal("keygen")
	}
	vkey = strings.TrimSpace(vkey)
	withKey := func(t *testing.T, dir, forge, url string) {
		gateConfig(t, dir, forge, url)
		cfg := filepath.Join(dir, "accord.yml")
		b, _ := os.ReadFile(cfg)
		os.WriteFile(cfg, append(b, []byte("ledger: {key_file: "+keyFile+"}\n")...), 0o600)
	}
	r := newRig(t, "gitea", withKey, gateRepo)
	published := func() string {
		r.fake.mu.Lock()
		defer r.fake.mu.Unlock()
		return r.fake.tree["main"]["accord/"+bot.CheckpointFile]
	}
	waitFor(t, "the first checkpoint in the governance repo", func() bool { return published() != "" })
	if !strings.HasPrefix(published(), "accord.example.coop/ledger\n1\n") {
		t.Fatalf("published:\n%s", published())
	}
	state := t.TempDir()
	witness := func() (string, string, int) {
		return accord(t, keys, nil, "ledger", "witness", "--state", state, "--key", vkey, r.s.url)
	}
	if out, errOut, code := witness(); code != 0 || !strings.Contains(out, "accepted the first checkpoint of accord.example.coop/ledger: 1 entries") {
		t.Fatalf("witness: %d %q %q", code, out, errOut)
	}

	// A vote closes early: its result comment quotes the checkpoint that
	// holds its outcome.
	c := 500000
	for _, say := range [][2]string{{"alice", "/propose early"}, {"alice", "/vote yes"}, {"bob", "/vote yes"}, {"carol", "/vote yes"}} {
		c++
		r.sh.comment(r.s, "created", 51, c, say[0], say[1])
	}
	waitFor(t, "the result comment", func() bool {
		_, _, result, _ := r.fake.issueResult(51)
		return strings.Contains(result, "signed checkpoint")
	})
	_, _, result, _ := r.fake.issueResult(51)
	quoted := result[strings.Index(result, "```\n")+4:]
	quoted = quoted[:strings.Index(quoted, "```")]
	cpFile := filepath.Join(keys, "cp.txt")
	os.WriteFile(cpFile, []byte(quoted), 0o644)
	export, errOut, code := accord(t, r.dir, nil, "ledger", "export", "--config", filepath.Join(r.dir, "accord.yml"))
	if code != 0 {
		t.Fatal(errOut)
	}
	os.WriteFile(filepath.Join(keys, "ledger.jsonl"), []byte(export), 0o644)
	out, errOut, code := accord(t, keys, nil, "ledger", "verify", "--file", filepath.Join(keys, "ledger.jsonl"), "--checkpoint", cpFile, "--key", vkey)
	if code != 0 || !strings.Contains(out, "holds the checkpoints of ") {
		t.Errorf("the quoted checkpoint against the export: %d %q %q", code, out, errOut)
	}
	outcome, _ := r.st.LedgerEntry(context.Background(), "outcome:1")
	if outcome == nil || !strings.Contains(quoted, fmt.Sprintf("\n%d\n", outcome.Seq)) {
		t.Errorf("the quoted checkpoint is not of the log with the outcome (entry %v):\n%s", outcome, quoted)
	}
	waitFor(t, "the governance repo's checkpoint to follow", func() bool { return published() == quoted })
	// Every checkpoint ever published, read from the repo's history.
	out, errOut, code = accord(t, keys, []string{"TEST_GITEA_TOKEN=" + giteaToken}, "ledger", "verify", "--file", filepath.Join(keys, "ledger.jsonl"),
		"--checkpoint-from", "gitea:federation/commons@main:accord", "--key", vkey, "--config", filepath.Join(r.dir, "accord.yml"))
	if code != 0 || !strings.Contains(out, "holds the checkpoints of 1, ") {
		t.Errorf("verify --checkpoint-from: %d %q %q", code, out, errOut)
	}
	if out, errOut, code := witness(); code != 0 || !strings.Contains(out, "accepted ") || !strings.Contains(out, "(from 1)") {
		t.Errorf("witness after the vote: %d %q %q", code, out, errOut)
	}

	// Another history under the same key: the witness refuses it.
	other := newRig(t, "gitea", withKey, gateRepo)
	for _, say := range [][2]string{{"dave", "/propose early"}, {"alice", "/vote no"}, {"bob", "/vote no"}, {"carol", "/vote no"}, {"dave", "/vote no"}} {
		c++
		other.sh.comment(other.s, "created", 52, c, say[0], say[1])
	}
	waitFor(t, "the other history's result", func() bool {
		_, _, result, _ := other.fake.issueResult(52)
		return strings.Contains(result, "signed checkpoint")
	})
	out, errOut, code = accord(t, keys, nil, "ledger", "witness", "--state", state, "--key", vkey, other.s.url)
	if code != 1 || !(strings.Contains(errOut, "does not extend") || strings.Contains(errOut, "fork") || strings.Contains(errOut, "shrank")) {
		t.Errorf("witness of another history: %d %q %q", code, out, errOut)
	}
}

// TestCLICheckpointIsPublished: a checkpoint that `accord ledger
// checkpoint` signs, with a governance repo configured, is queued for
// publishing as serve's are; serve would otherwise never publish that size.
func TestCLICheckpointIsPublished(t *testing.T) {
	dir := t.TempDir()
	cfg, db, _ := keyedLedger(t, dir, 30)
	key := filepath.Join(dir, "ledger.key")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`database: %s
ledger: {key_file: %s}
policies: {repo: "gitea:federation/governance", ref: main, path: policies}
forges:
  - {name: gitea, type: gitea, base_url: "http://127.0.0.1:1", token_env: TEST_GITEA_TOKEN, webhook_secrets_env: TEST_GITEA_SECRETS}
`, db, key)), 0o600)
	if out, errOut, code := accord(t, dir, nil, "ledger", "checkpoint", "--config", cfg); code != 0 || !strings.Contains(out, "\n30\n") {
		t.Fatalf("checkpoint: %d %q %q", code, out, errOut)
	}
	out, errOut, code := accord(t, dir, nil, "outbox", "--config", cfg, "--format", "json")
	if code != 0 || !strings.Contains(out, "publish_checkpoint") || !strings.Contains(out, "gitea/checkpoint/30") {
		t.Errorf("outbox after a CLI checkpoint: %d %q %q; want the checkpoint of 30 queued for publishing", code, out, errOut)
	}
}
