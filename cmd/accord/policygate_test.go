package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/accord-coop/accord/bot"
	"github.com/accord-coop/accord/policies"
	"github.com/accord-coop/accord/store"
)

// push sends a push of after to branch of the fixtures' repository.
func (sh *shape) push(s *server, branch, after string) {
	var p map[string]any
	var h http.Header
	if sh.forge == "github" {
		p, _ = sh.template("push.none.1.json")
	} else {
		p, h = sh.template("017-push")
	}
	p["ref"], p["after"], p["commits"] = "refs/heads/"+branch, after, []any{}
	p["before"] = strings.Repeat("1", 40)
	sh.deliver(s, "push", p, h)
}

// pull sends a pull request event to main of the fixtures' repository.
func (sh *shape) pull(s *server, action string, number int, login, head string) {
	var p map[string]any
	var h http.Header
	if sh.forge == "github" {
		p, _ = sh.template("pull_request.opened.1.json")
	} else {
		p, h = sh.template("011-pull_request.opened")
	}
	if sh.forge == "github" && action == "synchronized" {
		action = "synchronize" // GitHub's word
	}
	p["action"], p["number"] = action, number
	setUser(p, login)
	pr := p["pull_request"].(map[string]any)
	pr["number"], pr["title"], pr["labels"], pr["state"] = number, "Change the policy", []any{}, "open"
	pr["user"].(map[string]any)["login"] = login
	pr["head"].(map[string]any)["sha"] = head
	pr["base"].(map[string]any)["ref"] = "main"
	sh.deliver(s, "pull_request", p, h)
}

// governanceRepo is the repository of the fixtures' events, which the
// gate test makes the governance repo.
func governanceRepo(forge string) string {
	if forge == "github" {
		return "Codertocat/Hello-World"
	}
	return "federation/commons"
}

// TestPolicyChangesOnlyByVote, through the real intake with Gitea- and
// GitHub-shaped deliveries and a fake forge that holds the governance
// repo: the first version takes effect (bootstrap); a direct push of
// changed files is refused with a failing accord/policy status; a pull
// request with those files opens the policy_changes vote by itself, which
// passes; the merge then takes effect, citing the proposal in the ledger;
// a push to the pull request after the vote opens a new vote, and merging
// it before that vote passes is refused.
func TestPolicyChangesOnlyByVote(t *testing.T) { bothShapes(t, runPolicyGate) }

// Commits of the governance repo: the first version, a change, its merge,
// a later change.
var sha0, sha1, sha1m, sha2 = fmt.Sprintf("%040x", 0xa0), fmt.Sprintf("%040x", 0xa1), fmt.Sprintf("%040x", 0xa1e), fmt.Sprintf("%040x", 0xa2)

// gateConfig is scenarioConfig with the policies read from the fixtures'
// repository and a policy_changes profile that closes early.
func gateConfig(t *testing.T, dir, forge, url string) {
	scenarioConfig(t, dir, forge, url)
	pol := filepath.Join(dir, "policies")
	gov := strings.Replace(scenarioGovernance, "  policy: {duration: 7d, voters: coops, quorum: 0.5, threshold: 0.5}",
		"  policy: {duration: 7d, voters: coops, quorum: 0.5, threshold: 0.5, close_early: true}", 1) + "policy_changes: {profile: policy}\n"
	os.WriteFile(filepath.Join(pol, "governance.yml"), []byte(gov), 0o644)
	cfgPath := filepath.Join(dir, "accord.yml")
	cfg, _ := os.ReadFile(cfgPath)
	os.WriteFile(cfgPath, []byte(strings.Replace(string(cfg), "policies: {dir: "+pol+"}",
		fmt.Sprintf("policies: {repo: %s:%s, ref: main, path: accord}", forge, governanceRepo(forge)), 1)), 0o600)
}

// gateRepo puts the governance repo's commits on the fake forge: the
// config's policy files, and changes of them.
func gateRepo(r *rig) {
	base := map[string]string{}
	for _, name := range policies.FileNames() {
		data, _ := os.ReadFile(filepath.Join(r.dir, "policies", name))
		base["accord/"+name] = string(data)
	}
	changed := func(from, to string) map[string]string {
		out := map[string]string{}
		for k, v := range base {
			out[k] = v
		}
		out["accord/coops.yml"] = strings.Replace(base["accord/coops.yml"], from, to, 1)
		return out
	}
	r.fake.tree = map[string]map[string]string{
		sha0: base, sha1: changed("name: A}", "name: A Ltd}"), sha1m: changed("name: A}", "name: A Ltd}"),
		sha2: changed("name: A}", "name: A Co}"),
	}
	r.fake.head = sha0
}

func runPolicyGate(t *testing.T, forge string) {
	r := newRig(t, forge, gateConfig, gateRepo)
	fake, sh, s, st := r.fake, r.sh, r.s, r.st
	ctx := context.Background()
	source := fmt.Sprintf("%s:%s@main:accord", forge, governanceRepo(forge))
	inForce := func() string {
		v, err := st.LastGoodPolicyVersion(ctx, source)
		if err != nil {
			t.Fatal(err)
		}
		return v.Version
	}
	if _, err := st.LastGoodPolicyVersion(ctx, source); err != nil {
		t.Fatalf("bootstrap: %v\n%s", err, s.logs.String())
	}
	if v := inForce(); v != sha0 {
		t.Fatalf("bootstrap: %s in force", v)
	}
	if e := policyEntryOf(t, st, sha0); !e.Bootstrap {
		t.Errorf("the first version's entry does not say bootstrap: %+v", e)
	}

	// A direct push of changed files: refused.
	sh.push(s, "main", sha1)
	waitFor(t, "the refusal's status", func() bool { return hasStatus(fake, sha1, "accord/policy=failure") })
	if v := inForce(); v != sha0 {
		t.Errorf("a direct push took effect: %s", v)
	}
	if v, _ := st.PolicyVersionOf(ctx, source, sha1); v == nil || !v.Refused {
		t.Errorf("sha1 recorded as %+v, want refused", v)
	}

	// The same change by pull request: its vote opens by itself and passes.
	sh.pull(s, "opened", 31, "carol", sha1)
	waitFor(t, "the policy vote", func() bool {
		p, _ := st.OpenProposalOn(ctx, forge, governanceRepo(forge), 31)
		return p != nil
	})
	p, _ := st.OpenProposalOn(ctx, forge, governanceRepo(forge), 31)
	if p.Kind != store.ProposalPolicy || p.Profile != "policy" || p.HeadSHA != sha1 {
		t.Fatalf("policy vote %+v", p)
	}
	c := 300000
	for _, m := range []string{"alice", "bob", "carol", "dave", "erin"} {
		c++
		sh.comment(s, "created", 31, c, m, "/vote yes")
	}
	waitFor(t, "the vote to pass", func() bool {
		got, _ := st.GetProposal(ctx, p.ID)
		return got.State == "passed"
	})
	sh.push(s, "main", sha1m) // the merge: the same files
	waitFor(t, "the merge to take effect", func() bool { return inForce() == sha1m })
	if e := policyEntryOf(t, st, sha1m); e.ApprovedBy != p.ID || e.ApprovedHead != sha1 {
		t.Errorf("the merge's entry does not cite the vote: %+v", e)
	}
	waitFor(t, "a green accord/policy status on the merge", func() bool { return hasStatus(fake, sha1m, "accord/policy=success") })

	// A push to the pull request after its vote: a new vote; merged first,
	// refused.
	sh.pull(s, "synchronized", 31, "carol", sha2)
	waitFor(t, "a new vote on the new head", func() bool {
		p2, _ := st.OpenProposalOn(ctx, forge, governanceRepo(forge), 31)
		return p2 != nil && p2.HeadSHA == sha2 && p2.Kind == store.ProposalPolicy
	})
	sh.push(s, "main", sha2)
	waitFor(t, "the refusal of an unapproved head", func() bool { return hasStatus(fake, sha2, "accord/policy=failure") })
	if v := inForce(); v != sha1m {
		t.Errorf("an unapproved merge took effect: %s", v)
	}
	_, _, result, _ := fake.issueResult(31)
	if !strings.Contains(result, "The policy files at `"+short(sha1)+"` are approved") {
		t.Errorf("result comment:\n%s", result)
	}
}

func hasStatus(f *forgeState, sha, want string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.statuses[sha] {
		if s == want {
			return true
		}
	}
	return false
}

func policyEntryOf(t *testing.T, st *store.Store, version string) bot.PolicyEntry {
	t.Helper()
	e, err := st.LedgerEntry(context.Background(), "policy:"+version)
	if err != nil {
		t.Fatal(err)
	}
	var pe bot.PolicyEntry
	if err := json.Unmarshal(e.Body, &pe); err != nil {
		t.Fatal(err)
	}
	return pe
}
