package bot

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/accord-coop/accord/forges"
	"github.com/accord-coop/accord/ledger"
	"github.com/accord-coop/accord/policies"
	"github.com/accord-coop/accord/store"
)

// StatusPolicy is the commit status context for the policy files' check.
const StatusPolicy = "accord/policy"

// PolicySource says where the policy files are: a local directory, or a
// directory of a git repository on a forge at a branch.
type PolicySource struct {
	Dir   string         // a local directory; or:
	Forge string         // the forge of the governance repo
	Repo  forges.RepoRef // the governance repo
	Ref   string         // the branch whose pushes change the policy in force
	Path  string         // the directory of the files in the repo ("" = top)
}

// String names the source the way versions are recorded.
func (s PolicySource) String() string {
	if s.Dir != "" {
		return "dir:" + s.Dir
	}
	return fmt.Sprintf("%s:%s@%s:%s", s.Forge, s.Repo.FullName(), s.Ref, s.Path)
}

// Policies keeps the version of the policy files in force. It loads them at
// start; from a repo it reloads them on every push to the branch. A version
// that fails validation is never used: the last good one stays in force,
// the errors go on the commit (a failing accord/policy status) and, for a
// pull request that changes the files, into one comment of the bot,
// updated on each push. Every version read is recorded in the store.
type Policies struct {
	Source  PolicySource
	Forges  []string // configured forge names, for validation
	Clients map[string]forges.Client
	Store   *store.Store
	Log     *slog.Logger

	Now func() time.Time // the clock; time.Now when nil
	// Accepted, if set, is called after a version is put in force (a
	// checkpoint of the ledger is signed then).
	Accepted func(ctx context.Context)

	current atomic.Pointer[policies.Set]
	mu      sync.Mutex
	byVer   map[string]*policies.Set // versions read back from the store
}

func (p *Policies) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// ByVersion is the policy version recorded as version: the one in force,
// or one read back from the store (a proposal runs under the version in
// force when it opened). It fails for a version never recorded as valid.
func (p *Policies) ByVersion(ctx context.Context, version string) (*policies.Set, error) {
	if cur := p.Current(); cur != nil && cur.Version == version {
		return cur, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if set, ok := p.byVer[version]; ok {
		return set, nil
	}
	v, err := p.Store.ValidPolicyVersion(ctx, version)
	if err != nil {
		return nil, err
	}
	set, errs := policies.Parse(v.Files, p.Forges)
	if len(errs) > 0 {
		// Valid when it was recorded; a forge since removed from the
		// config does not unmake a vote's rules.
		if set, errs = policies.Parse(v.Files, nil); len(errs) > 0 {
			return nil, fmt.Errorf("policy version %s: %s", version, errs[0].Error())
		}
	}
	set.Version = version
	if p.byVer == nil {
		p.byVer = map[string]*policies.Set{}
	}
	p.byVer[version] = set
	return set, nil
}

// Current is the version in force, or nil before one is loaded.
func (p *Policies) Current() *policies.Set { return p.current.Load() }

// Ready is the readiness check: a valid version is in force.
func (p *Policies) Ready(context.Context) error {
	if p.Current() == nil {
		return errors.New("no valid policy version loaded")
	}
	return nil
}

// Load reads the files at start: from the directory, or from the repo at the
// branch's head. When they are invalid, refused (a change no passed vote
// approved), or the forge cannot be reached, the last version accepted from
// the same source is put in force, if any. The error says what is wrong;
// the bot runs either way.
func (p *Policies) Load(ctx context.Context) error {
	var files map[string][]byte
	var version string
	var err error
	if p.Source.Dir != "" {
		files, err = readDirFiles(p.Source.Dir)
	} else {
		version, files, err = p.fetchHead(ctx)
	}
	if err == nil {
		var r readResult
		r, err = p.take(ctx, version, files)
		switch {
		case err != nil:
		case len(r.errs) > 0:
			err = fmt.Errorf("%d errors in the policy files, first: %s", len(r.errs), r.errs[0].Error())
		case r.refused != "":
			err = errors.New(r.refused)
		}
	}
	if err != nil && p.Current() == nil {
		if last, lerr := p.Store.LastGoodPolicyVersion(ctx, p.Source.String()); lerr == nil {
			if set, errs := policies.Parse(last.Files, p.Forges); len(errs) == 0 {
				set.Version = last.Version
				p.current.Store(set)
				p.Log.Warn("policy files unusable; the last good version stays in force", "version", last.Version, "err", err)
			}
		}
	}
	return err
}

// readResult is what reading a version of the policy files came to: put in
// force (set), invalid (errs), or valid but refused (why).
type readResult struct {
	set     *policies.Set
	errs    policies.Errors
	refused string
}

// take validates files read at version ("" = their content hash), records
// them, and puts them in force when they are valid and, for a governance
// repo, approved: see gate.
func (p *Policies) take(ctx context.Context, version string, files map[string][]byte) (readResult, error) {
	set, errs := policies.Parse(files, p.Forges)
	content := policies.ContentVersion(files)
	if version == "" {
		version = content
	}
	v := store.PolicyVersion{Version: version, Source: p.Source.String(), Content: content, Valid: len(errs) == 0,
		Files: files, LoadedAt: p.now()}
	if len(errs) > 0 {
		for _, e := range errs {
			v.Errors = append(v.Errors, e.Error())
		}
		if _, err := p.Store.RecordPolicyVersion(ctx, v); err != nil {
			return readResult{}, err
		}
		p.Log.Warn("policy files invalid; the version in force stays", "version", version, "errors", len(errs), "first", errs[0].Error())
		return readResult{errs: errs}, nil
	}
	if old, err := p.Store.PolicyVersionOf(ctx, v.Source, version); err != nil {
		return readResult{}, err
	} else if old != nil && old.Valid && !old.Refused {
		set.Version = version // read again (a restart, a redelivered push): in force as before
		p.current.Store(set)
		return readResult{set: set}, nil
	}
	if p.Source.Dir == "" {
		// A commit that leaves the three files as they are is no new
		// version (the bot's own commits of the ledger's checkpoint are
		// such): nothing is recorded, the version in force stays.
		if last, err := p.Store.LastGoodPolicyVersion(ctx, v.Source); err == nil && last.Content == content {
			if p.Current() == nil {
				set.Version = last.Version
				p.current.Store(set)
			}
			return readResult{set: p.Current()}, nil
		}
	}
	entry := PolicyEntry{Version: version, Source: v.Source, Content: content, Files: textFiles(files)}
	approval, refused, err := p.gate(ctx, content, &entry)
	if err != nil {
		return readResult{}, err
	}
	if refused != "" {
		v.Refused = true
		if _, err := p.Store.RecordPolicyVersion(ctx, v); err != nil {
			return readResult{}, err
		}
		p.Log.Warn("policy files changed without a passed vote; the version in force stays", "version", version, "why", refused)
		return readResult{refused: refused}, nil
	}
	if _, err := p.Store.AcceptPolicyVersion(ctx, v.LoadedAt, v, approval,
		[]store.NewEntry{{Kind: ledger.KindPolicy, Key: "policy:" + version, Body: entry}}); err != nil {
		return readResult{}, err
	}
	set.Version = version
	p.current.Store(set)
	p.Log.Info("policy version in force", "version", version, "source", p.Source.String(), "approved_by", entry.ApprovedBy, "bootstrap", entry.Bootstrap)
	if p.Accepted != nil {
		p.Accepted(ctx)
	}
	return readResult{set: set}, nil
}

// gate decides whether a valid version read from the governance repo may
// take effect (PRODUCT.md, "Policy files change only by a passed vote"):
// the first version from the repo (bootstrap), or files identical to the
// head of a pull request whose policy_changes vote passed, each approval
// used once. (Files identical to the version in force are no new version:
// see take.) A directory is not gated. It notes on entry why the
// version is accepted, or says why it is refused.
func (p *Policies) gate(ctx context.Context, content string, entry *PolicyEntry) (*store.PolicyApproval, string, error) {
	if p.Source.Dir != "" {
		return nil, "", nil
	}
	last, err := p.Store.LastGoodPolicyVersion(ctx, p.Source.String())
	if errors.Is(err, store.ErrNotFound) {
		entry.Bootstrap = true
		return nil, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	approval, err := p.Store.UnusedApproval(ctx, content)
	if err != nil || approval != nil {
		if approval != nil {
			entry.ApprovedBy, entry.ApprovedHead = approval.Proposal, approval.HeadSHA
		}
		return approval, "", err
	}
	profile := "default"
	if cur := p.Current(); cur != nil {
		profile = cur.Governance.PolicyChanges
	}
	return nil, fmt.Sprintf("changed without a passed vote: these files are not those of a pull request whose %q vote passed; "+
		"the version in force (%s) stays. Change them by a pull request and its vote.", profile, short(last.Version)), nil
}

// PolicyEntry is a policy version's entry in the ledger: the files
// themselves, so that an export of the ledger is enough to recompute every
// score, and why it took effect: the first version (Bootstrap), or the
// proposal whose passed vote approved these files (ApprovedBy, at the pull
// request's head ApprovedHead); neither for a directory, or for files
// identical to the version before.
type PolicyEntry struct {
	Version      string            `json:"version"`
	Source       string            `json:"source"`
	Content      string            `json:"content"`
	Files        map[string]string `json:"files"`
	Bootstrap    bool              `json:"bootstrap,omitempty"`
	ApprovedBy   int64             `json:"approved_by,omitempty"`
	ApprovedHead string            `json:"approved_head,omitempty"`
}

func textFiles(files map[string][]byte) map[string]string {
	out := map[string]string{}
	for k, v := range files {
		out[k] = string(v)
	}
	return out
}

// Handle reloads the policy on a push to the governance repo's branch, and
// checks the files of pull requests to it. It asks for the statuses and the
// comment; reading the files is the only call it makes itself (a failure
// there retries the delivery).
func (p *Policies) Handle(ctx context.Context, ev *forges.Event, act *Actions) error {
	if p.Source.Dir != "" || ev.Forge != p.Source.Forge || !strings.EqualFold(ev.Repo.FullName(), p.Source.Repo.FullName()) {
		return nil
	}
	switch {
	case ev.Kind == forges.KindPush && ev.Push != nil && ev.Push.Branch() == p.Source.Ref && !deleted(ev.Push.After):
		return p.onPush(ctx, ev, act)
	case ev.Kind == forges.KindPullRequest && ev.PullRequest != nil && ev.PullRequest.BaseRef == p.Source.Ref &&
		(ev.Action == forges.ActionOpened || ev.Action == forges.ActionSynchronized || ev.Action == forges.ActionReopened):
		return p.onPull(ctx, ev, act)
	}
	return nil
}

func deleted(sha string) bool { return strings.Trim(sha, "0") == "" }

func (p *Policies) onPush(ctx context.Context, ev *forges.Event, act *Actions) error {
	sha := ev.Push.After
	files, err := p.fetch(ctx, ev.Ref(), sha)
	if err != nil {
		return err
	}
	r, err := p.take(ctx, sha, files)
	if err != nil {
		return err
	}
	if r.refused != "" {
		act.SetStatus(ev.Ref(), sha, forges.Status{State: forges.StatusFailure, Context: StatusPolicy, Description: clipWords(r.refused, 140)})
		return nil
	}
	act.SetStatus(ev.Ref(), sha, policyStatus(r.errs))
	return nil
}

func (p *Policies) onPull(ctx context.Context, ev *forges.Event, act *Actions) error {
	pr := ev.PullRequest
	files, err := p.fetch(ctx, ev.Ref(), pr.HeadSHA)
	if err != nil {
		return err
	}
	if cur := p.Current(); cur != nil && policies.ContentVersion(files) == p.currentContent(ctx) {
		return nil // the pull request does not change the policy files
	}
	_, errs := policies.Parse(files, p.Forges)
	act.SetStatus(ev.Ref(), pr.HeadSHA, policyStatus(errs))
	if len(errs) == 0 && p.Current() != nil {
		// The preview scores the whole ledger twice: the outbox makes it
		// (CheckBody), off the delivery worker.
		act.PolicyCheck(ev.Ref(), pr.Number, pr.HeadSHA)
		return nil
	}
	act.UpsertComment(ev.Ref(), pr.Number, policyCheckName, policyComment(pr.HeadSHA, errs, ""))
	return nil
}

// policyCheckName names a pull request's policy-check comment (Marker).
const policyCheckName = "policy-check"

// CheckBody is the policy-check comment of the policy files at sha in the
// governance repo: the errors, or, for valid files, what they do to each
// co-op's credits against the version in force (PolicyPreview). The outbox
// makes it when it posts the comment (OpPolicyCheck).
func (p *Policies) CheckBody(ctx context.Context, repo forges.RepoRef, sha string) (string, error) {
	files, err := p.fetch(ctx, repo, sha)
	if err != nil {
		return "", err
	}
	set, errs := policies.Parse(files, p.Forges)
	preview := ""
	if cur := p.Current(); len(errs) == 0 && cur != nil {
		facts, err := p.Store.Facts(ctx)
		if err != nil {
			return "", err
		}
		preview = PolicyPreview(facts, cur, set, p.now())
	}
	return policyComment(sha, errs, preview), nil
}

// IsGovernancePull reports whether ev is about a pull request to the
// governance repo's policy branch (never for a directory source).
func (p *Policies) IsGovernancePull(ev *forges.Event) bool {
	return p.Source.Dir == "" && ev.PullRequest != nil && ev.Forge == p.Source.Forge &&
		strings.EqualFold(ev.Repo.FullName(), p.Source.Repo.FullName()) && ev.PullRequest.BaseRef == p.Source.Ref
}

// PullChange reads the policy files at a pull request's head: their
// content hash, whether they are valid, and whether they differ from the
// version in force.
func (p *Policies) PullChange(ctx context.Context, sha string) (content string, valid, changed bool, err error) {
	files, err := p.fetch(ctx, p.Source.Repo, sha)
	if err != nil {
		return "", false, false, err
	}
	_, errs := policies.Parse(files, p.Forges)
	content = policies.ContentVersion(files)
	return content, len(errs) == 0, content != p.currentContent(ctx), nil
}

// currentContent is the content hash of the version in force.
func (p *Policies) currentContent(ctx context.Context) string {
	cur := p.Current()
	if cur == nil {
		return ""
	}
	if strings.HasPrefix(cur.Version, "sha256:") {
		return cur.Version
	}
	vs, err := p.Store.PolicyVersions(ctx, 50)
	if err == nil {
		for _, v := range vs {
			if v.Version == cur.Version && v.Source == p.Source.String() {
				return v.Content
			}
		}
	}
	return ""
}

// fetchHead reads the files at the branch's head commit.
func (p *Policies) fetchHead(ctx context.Context) (string, map[string][]byte, error) {
	c, ok := p.Clients[p.Source.Forge]
	if !ok {
		return "", nil, fmt.Errorf("policies.repo: forge %q has no API credentials to read the files", p.Source.Forge)
	}
	sha, err := c.ResolveRef(ctx, p.Source.Repo, p.Source.Ref)
	if err != nil {
		return "", nil, fmt.Errorf("policies.repo: %w", err)
	}
	files, err := p.fetch(ctx, p.Source.Repo, sha)
	return sha, files, err
}

// fetch reads the three files at a commit; a missing one is left out (the
// validation reports it).
func (p *Policies) fetch(ctx context.Context, repo forges.RepoRef, sha string) (map[string][]byte, error) {
	c, ok := p.Clients[p.Source.Forge]
	if !ok {
		return nil, fmt.Errorf("policies.repo: forge %q has no API credentials to read the files", p.Source.Forge)
	}
	files := map[string][]byte{}
	for _, name := range policies.FileNames() {
		data, err := c.GetFile(ctx, repo, path.Join(p.Source.Path, name), sha)
		switch {
		case errors.Is(err, forges.ErrNotFound):
		case err != nil:
			return nil, err
		default:
			files[name] = data
		}
	}
	return files, nil
}

// clipWords shortens s to at most n bytes at a word, for a commit
// status's description (GitHub keeps 140 characters).
func clipWords(s string, n int) string {
	if len(s) <= n {
		return s
	}
	if i := strings.LastIndex(s[:n-1], " "); i > 0 {
		return s[:i] + "…"
	}
	return s[:runeCut(s, n-1)] + "…"
}

// policyStatus is the commit status for a check's errors.
func policyStatus(errs policies.Errors) forges.Status {
	if len(errs) == 0 {
		return forges.Status{State: forges.StatusSuccess, Context: StatusPolicy, Description: "The policy files are valid."}
	}
	return forges.Status{State: forges.StatusFailure, Context: StatusPolicy,
		Description: fmt.Sprintf("%d errors; first: %s", len(errs), errs[0].Error())}
}

// policyComment is the bot's comment on a pull request that changes the
// policy files.
func policyComment(sha string, errs policies.Errors, preview string) string {
	var b strings.Builder
	short := sha
	if len(short) > 10 {
		short = short[:10]
	}
	if len(errs) == 0 {
		fmt.Fprintf(&b, "**Policy check: valid** at %s.\n\nThe policy files in this pull request are valid. "+
			"They take effect for scores, new facts and new votes once this pull request's vote (governance.yml `policy_changes`) has passed "+
			"and the files are merged as they are now; a later push needs a vote of its own.\n", short)
		if preview != "" {
			b.WriteString("\nWhat it does to each co-op's credits, against the version in force:\n\n" + preview)
		}
		return b.String()
	}
	fmt.Fprintf(&b, "**Policy check: %d errors** at %s. The version in force stays until they are fixed.\n\n```\n", len(errs), short)
	for _, e := range errs {
		b.WriteString(e.Error() + "\n")
	}
	b.WriteString("```\nRun `accord policy check` on the directory to see them locally.\n")
	return b.String()
}

// readDirFiles reads the three files from a directory; a missing one is
// left out.
func readDirFiles(dir string) (map[string][]byte, error) {
	files := map[string][]byte{}
	for _, name := range policies.FileNames() {
		data, err := os.ReadFile(filepath.Join(dir, name))
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return nil, fmt.Errorf("policies.dir: %w", err)
		default:
			files[name] = data
		}
	}
	return files, nil
}
