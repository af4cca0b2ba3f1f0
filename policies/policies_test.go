package policies

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testForges are the forges the tests configure.
var testForges = []string{"github", "gitea", "forgejo", "codeberg"}

// The valid base files the table tests break, one line at a time. Line
// numbers in the expected errors refer to these.
const baseCoops = `version: 1
coops:
  - id: outlandish
    name: Outlandish
    repos: [github:outlandish/website, codeberg:outlandish/infra]
  - id: agile-collective
    repos: [github:agile-collective/site]
members:
  - id: alice
    identities: [github:alice, codeberg:alice]
    emails: [alice@outlandish.example]
    memberships:
      - {coop: outlandish, since: 2024-01-01, until: 2025-06-30}
      - {coop: agile-collective, since: 2025-07-01}
  - id: bob
    identities: [github:bob]
    emails: [bob@agile.example]
    memberships:
      - {coop: agile-collective, since: 2023-05-01}
maintainers: [alice]
`

const baseScoring = `version: 1
period: month
weights:
  pr_merged: 10
  review_approved: 3
  review_changes_requested: 3
  review_commented: 1
  issue_opened: 2
  issue_closed: 1
  comment: 0.5
  commit: 1
  release_published: 5
  manual: 1
multipliers:
  labels: {bug: 1.5}
  repos: {github:outlandish/website: 0.5}
caps: {comment: 20}
exclude: {bots: true, identities: [github:ci-bot]}
co_authors: split
`

const baseGovernance = `version: 1
labels: {open: vote/open, passed: vote/passed, rejected: vote/rejected, cancelled: vote/cancelled}
profiles:
  default:
    duration: 7d
    voters: members
    quorum: 0.5
    threshold: 0.5
    proposers: members
    start_label: proposal
  membership:
    duration: 14d
    voters: coops
    threshold: 0.66
    proposers: maintainers
    start_label: proposal/membership
automation:
  - {patterns: ["accord/*.yml"], profile: default}
`

func baseFiles() map[string][]byte {
	return map[string][]byte{
		CoopsFile:      []byte(baseCoops),
		ScoringFile:    []byte(baseScoring),
		GovernanceFile: []byte(baseGovernance),
	}
}

// edit replaces the one occurrence of from in files[file] by to.
func edit(t testing.TB, files map[string][]byte, file, from, to string) {
	t.Helper()
	s := string(files[file])
	if n := strings.Count(s, from); n != 1 {
		t.Fatalf("%s: %q occurs %d times, want once", file, from, n)
	}
	files[file] = []byte(strings.Replace(s, from, to, 1))
}

func errorLines(errs Errors) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}

func TestBaseFilesAreValid(t *testing.T) {
	set, errs := Parse(baseFiles(), testForges)
	if len(errs) > 0 {
		t.Fatalf("base files: %v", errs)
	}
	if set.Coops == nil || set.Scoring == nil || set.Governance == nil || !strings.HasPrefix(set.Version, "sha256:") {
		t.Fatalf("incomplete set: %+v", set)
	}
}

// edit is one change to a base file; a case may make several.
type change struct{ file, from, to string }

func TestRules(t *testing.T) {
	tests := []struct {
		name    string
		changes []change
		files   map[string]string // whole files, instead of the base ones
		want    []string
	}{
		// ---- coops.yml ----
		{
			name: "the example of the brief",
			files: map[string]string{CoopsFile: `version: 1
coops:
  - id: outlandish
    repos: [github:outlandish/website]
  - id: agile-collective
    repos: [github:agile-collective/site]
members:
  - id: alice
    identities: [github:alice]
    emails: [alice@outlandish.example]
    memberships:
      - coop: outlandsh
        since: 2024-01-01
maintainers: [alice]
`},
			want: []string{`coops.yml:12:15: membership of alice: coop "outlandsh" is not defined in coops; define it under coops or use one of: outlandish, agile-collective`},
		},
		{
			name:    "unknown co-op in a membership",
			changes: []change{{CoopsFile, "{coop: agile-collective, since: 2023-05-01}", "{coop: agile, since: 2023-05-01}"}},
			want:    []string{`coops.yml:19:16: membership of bob: coop "agile" is not defined in coops; define it under coops or use one of: outlandish, agile-collective`},
		},
		{
			name:    "duplicate co-op id",
			changes: []change{{CoopsFile, "- id: agile-collective", "- id: outlandish"}},
			want: []string{
				`coops.yml:6:9: coop id "outlandish" is already used at line 3; give each co-op its own id`,
				`coops.yml:14:16: membership of alice: coop "agile-collective" is not defined in coops; define it under coops or use one of: outlandish`,
				`coops.yml:19:16: membership of bob: coop "agile-collective" is not defined in coops; define it under coops or use one of: outlandish`,
			},
		},
		{
			name:    "duplicate member id",
			changes: []change{{CoopsFile, "- id: bob", "- id: alice"}},
			want:    []string{`coops.yml:15:9: member id "alice" is already used at line 9; give each member their own id`},
		},
		{
			name:    "bad co-op id",
			changes: []change{{CoopsFile, "- id: agile-collective", "- id: Agile Collective"}},
			want: []string{
				`coops.yml:6:9: coop #2: id "Agile Collective" is not a valid id; use lowercase letters, digits, dots, dashes and underscores, starting with a letter or digit, e.g. agile-collective`,
				`coops.yml:14:16: membership of alice: coop "agile-collective" is not defined in coops; define it under coops or use one of: outlandish, Agile Collective`,
				`coops.yml:19:16: membership of bob: coop "agile-collective" is not defined in coops; define it under coops or use one of: outlandish, Agile Collective`,
			},
		},
		{
			name:    "identity claimed by two members",
			changes: []change{{CoopsFile, "identities: [github:bob]", "identities: [github:bob, github:Alice]"}},
			want:    []string{`coops.yml:16:30: member bob: identity github:Alice is already claimed by member alice (line 10); an identity belongs to one member, so remove it from one of them`},
		},
		{
			name:    "identity listed twice by one member",
			changes: []change{{CoopsFile, "identities: [github:bob]", "identities: [github:bob, github:bob]"}},
			want:    []string{`coops.yml:16:30: member bob: identity github:bob is listed twice (first at line 16); remove one`},
		},
		{
			name:    "email claimed by two members",
			changes: []change{{CoopsFile, "emails: [bob@agile.example]", "emails: [bob@agile.example, Alice@Outlandish.example]"}},
			want:    []string{`coops.yml:17:33: member bob: email Alice@Outlandish.example is already claimed by member alice (line 11); an email belongs to one member, so remove it from one of them`},
		},
		{
			name:    "email that is not an address",
			changes: []change{{CoopsFile, "emails: [bob@agile.example]", "emails: [bob.agile.example]"}},
			want:    []string{`coops.yml:17:14: member bob: email "bob.agile.example" is not an address; write it like bob@example.coop`},
		},
		{
			name:    "overlapping memberships",
			changes: []change{{CoopsFile, "{coop: agile-collective, since: 2025-07-01}", "{coop: agile-collective, since: 2025-06-01}"}},
			want:    []string{`coops.yml:14:41: membership of alice: the membership in agile-collective from 2025-06-01 overlaps the one in outlandish from 2024-01-01 to 2025-06-30 (line 13); start this one on 2025-07-01, or end that one earlier`},
		},
		{
			name: "overlap with an open-ended membership",
			changes: []change{
				{CoopsFile, "{coop: outlandish, since: 2024-01-01, until: 2025-06-30}", "{coop: outlandish, since: 2024-01-01}"},
			},
			want: []string{`coops.yml:14:41: membership of alice: the membership in agile-collective from 2025-07-01 overlaps the open-ended one in outlandish from 2024-01-01 (line 13); end that one with until: 2025-06-30, or start this one later`},
		},
		{
			name:    "until before since",
			changes: []change{{CoopsFile, "until: 2025-06-30", "until: 2023-06-30"}},
			want:    []string{`coops.yml:13:54: membership of alice: until 2023-06-30 is before since 2024-01-01; write an until on or after since, or leave until out while the membership lasts`},
		},
		{
			name:    "date that is not YYYY-MM-DD",
			changes: []change{{CoopsFile, "since: 2023-05-01", "since: 1/5/2023"}},
			want:    []string{`coops.yml:19:41: membership of bob: since must be a date as YYYY-MM-DD, not the text "1/5/2023"; write it like 2024-01-31`},
		},
		{
			name:    "date that is not a day",
			changes: []change{{CoopsFile, "since: 2023-05-01", "since: 2023-02-29"}},
			want:    []string{`coops.yml:19:41: membership of bob: since 2023-02-29 is not a day of the calendar; write a real date as YYYY-MM-DD, e.g. 2024-01-31`},
		},
		{
			name:    "maintainer who is not a member",
			changes: []change{{CoopsFile, "maintainers: [alice]", "maintainers: [alice, carol]"}},
			want:    []string{`coops.yml:20:22: maintainers: "carol" is not a member id; add carol under members, or use one of: alice, bob`},
		},
		{
			name:    "maintainer listed twice",
			changes: []change{{CoopsFile, "maintainers: [alice]", "maintainers: [alice, alice]"}},
			want:    []string{`coops.yml:20:22: maintainers: alice is listed twice; remove one`},
		},
		{
			name:    "repo not forge:owner/repo",
			changes: []change{{CoopsFile, "repos: [github:agile-collective/site]", "repos: [agile-collective/site]"}},
			want:    []string{`coops.yml:7:13: coop agile-collective: repo "agile-collective/site" is not forge:owner/repo; write it like github:agile-collective/site`},
		},
		{
			name:    "repo as a URL",
			changes: []change{{CoopsFile, "repos: [github:agile-collective/site]", "repos: [https://github.com/agile-collective/site]"}},
			want:    []string{`coops.yml:7:13: coop agile-collective: repo "https://github.com/agile-collective/site" is not forge:owner/repo; write it like github:agile-collective/site`},
		},
		{
			name:    "repo on an unconfigured forge",
			changes: []change{{CoopsFile, "repos: [github:agile-collective/site]", "repos: [gitlab:agile-collective/site]"}},
			want:    []string{`coops.yml:7:13: coop agile-collective: repo "gitlab:agile-collective/site" names forge gitlab, which is not configured; use one of: github, gitea, forgejo, codeberg (the forges in accord.yml)`},
		},
		{
			name:    "repo under two co-ops",
			changes: []change{{CoopsFile, "repos: [github:agile-collective/site]", "repos: [github:agile-collective/site, github:Outlandish/website]"}},
			want:    []string{`coops.yml:7:43: coop agile-collective: repo github:Outlandish/website is already listed under coop outlandish (line 5); list each repo under one co-op only`},
		},
		{
			name:    "identity not forge:login",
			changes: []change{{CoopsFile, "identities: [github:bob]", "identities: [bob]"}},
			want:    []string{`coops.yml:16:18: member bob: identity "bob" is not forge:login; write it like github:bob`},
		},
		{
			name:    "identity as @login",
			changes: []change{{CoopsFile, "identities: [github:bob]", "identities: [\"@bob\"]"}},
			want:    []string{`coops.yml:16:18: member bob: identity "@bob" is not forge:login; write it like github:bob`},
		},
		{
			name:    "identity on an unconfigured forge",
			changes: []change{{CoopsFile, "identities: [github:bob]", "identities: [gitlab:bob]"}},
			want:    []string{`coops.yml:16:18: member bob: identity "gitlab:bob" names forge gitlab, which is not configured; use one of: github, gitea, forgejo, codeberg (the forges in accord.yml)`},
		},
		{
			name:    "member without identities",
			changes: []change{{CoopsFile, "    identities: [github:bob]\n", ""}},
			want:    []string{`coops.yml:15:5: member bob: identities is missing; add identities: [forge:login, …], e.g. identities: [github:alice]`},
		},
		{
			name:    "membership without since",
			changes: []change{{CoopsFile, "{coop: agile-collective, since: 2023-05-01}", "{coop: agile-collective}"}},
			want:    []string{`coops.yml:19:9: membership of bob: since is missing; add since: followed by the first day as YYYY-MM-DD`},
		},
		{
			name:    "unknown key in coops.yml",
			changes: []change{{CoopsFile, "    name: Outlandish\n", "    nmae: Outlandish\n"}},
			want:    []string{`coops.yml:4:5: coop outlandish: unknown key "nmae"; did you mean name? The keys here are: id, name, repos`},
		},
		{
			name:    "unknown top-level key",
			changes: []change{{CoopsFile, "maintainers: [alice]", "maintainers: [alice]\nadmins: [bob]"}},
			want:    []string{`coops.yml:21:1: unknown key "admins"; remove it, or use one of: version, coops, members, maintainers`},
		},
		{
			name:    "key set twice",
			changes: []change{{CoopsFile, "maintainers: [alice]", "maintainers: [alice]\nmaintainers: [bob]"}},
			want:    []string{`coops.yml:21:1: key "maintainers" is already set at line 20; remove one of the two`},
		},
		{
			name:    "coops.yml version missing",
			changes: []change{{CoopsFile, "version: 1\n", ""}},
			want:    []string{`coops.yml:1:1: version is missing; add the line version: 1 at the top of the file`},
		},
		{
			name:    "coops.yml version 2",
			changes: []change{{CoopsFile, "version: 1\n", "version: 2\n"}},
			want:    []string{`coops.yml:1:10: version must be 1 (the only version of this file format), not 2; write version: 1`},
		},
		{
			name:    "coops.yml version as text",
			changes: []change{{CoopsFile, "version: 1\n", "version: \"1\"\n"}},
			want:    []string{`coops.yml:1:10: version must be 1 (the only version of this file format), not the text "1"; write version: 1`},
		},
		{
			name:    "alias",
			changes: []change{{CoopsFile, "identities: [github:bob]", "identities: *ids"}, {CoopsFile, "identities: [github:alice, codeberg:alice]", "identities: &ids [github:alice, codeberg:alice]"}},
			want:    []string{`coops.yml:16:17: member bob: identities: aliases (*ids) are not supported in policy files; write the value out in full`},
		},
		{
			name:    "YAML syntax error",
			changes: []change{{CoopsFile, "maintainers: [alice]", "maintainers: [alice"}},
			want:    []string{`coops.yml:20:1: YAML syntax error: did not find expected ',' or ']'; check the indentation, and quote values that contain ": " or start with a special character`},
		},
		{
			name:  "empty file",
			files: map[string]string{CoopsFile: "# nothing yet\n"},
			want:  []string{`coops.yml:1:1: the file is empty; start it with the line version: 1`},
		},
		{
			name:  "a list instead of a mapping",
			files: map[string]string{CoopsFile: "- version: 1\n"},
			want:  []string{`coops.yml:1:1: the file must be a mapping of keys (version: 1, …), not a list`},
		},
		{
			name:  "two documents",
			files: map[string]string{CoopsFile: baseCoops + "---\nversion: 1\n"},
			want:  []string{`coops.yml:22:1: a second YAML document starts here; keep the whole file in one document and remove the --- line above`},
		},

		// ---- scoring.yml ----
		{
			name:    "negative weight",
			changes: []change{{ScoringFile, "comment: 0.5", "comment: -0.5"}},
			want:    []string{`scoring.yml:10:12: weight of comment: -0.5 is negative; use 0 to give it no credit`},
		},
		{
			name:    "non-numeric weight",
			changes: []change{{ScoringFile, "commit: 1", "commit: one"}},
			want:    []string{`scoring.yml:11:11: weight of commit: must be a number such as 1 or 0.5, not the text "one"`},
		},
		{
			name:    "quoted weight",
			changes: []change{{ScoringFile, "commit: 1", "commit: \"1\""}},
			want:    []string{`scoring.yml:11:11: weight of commit: must be a number, not the text "1"; remove the quotes`},
		},
		{
			name:    "weight with more than 3 decimals",
			changes: []change{{ScoringFile, "comment: 0.5", "comment: 0.3333"}},
			want:    []string{`scoring.yml:10:12: weight of comment: 0.3333 has more than 3 decimals; use at most 3, e.g. 0.333`},
		},
		{
			name:    "weight with an exponent",
			changes: []change{{ScoringFile, "pr_merged: 10", "pr_merged: 1e1"}},
			want:    []string{`scoring.yml:4:14: weight of pr_merged: 1e1 is not a plain decimal; write it with digits and at most one dot, e.g. 1000 or 0.5`},
		},
		{
			name:    "unknown fact kind in weights",
			changes: []change{{ScoringFile, "  manual: 1\n", "  manual: 1\n  pr_opened: 2\n"}},
			want:    []string{`scoring.yml:14:3: weights: unknown fact kind "pr_opened"; remove it, or use one of: pr_merged, review_approved, review_changes_requested, review_commented, issue_opened, issue_closed, comment, commit, release_published, manual`},
		},
		{
			name:    "missing weight",
			changes: []change{{ScoringFile, "  manual: 1\n", ""}},
			want:    []string{`scoring.yml:3:1: weights: no weight for manual; give every fact kind a credit, e.g. manual: 1 (0 for no credit)`},
		},
		{
			name:    "negative label multiplier",
			changes: []change{{ScoringFile, "{bug: 1.5}", "{bug: -1.5}"}},
			want:    []string{`scoring.yml:15:17: multiplier of label bug: -1.5 is negative; use 0 for no credit, or 1 to leave the credit as it is`},
		},
		{
			name:    "empty label name in multipliers",
			changes: []change{{ScoringFile, "{bug: 1.5}", "{bug: 1.5, \"\": 2}"}},
			want:    []string{`scoring.yml:15:22: multipliers: labels: the label name is empty; write the label, e.g. bug: 1.5`},
		},
		{
			name:    "repo multiplier on a repo no co-op lists",
			changes: []change{{ScoringFile, "{github:outlandish/website: 0.5}", "{github:outlandish/web-site: 0.5}"}},
			want:    []string{`scoring.yml:16:11: multipliers: repo github:outlandish/web-site is not listed under any co-op in coops.yml, so it earns no credit to multiply; list it under a co-op's repos in coops.yml, or correct the name`},
		},
		{
			name:    "repo multiplier not forge:owner/repo",
			changes: []change{{ScoringFile, "{github:outlandish/website: 0.5}", "{outlandish/website: 0.5}"}},
			want:    []string{`scoring.yml:16:11: multipliers: repo "outlandish/website" is not forge:owner/repo; write it like github:outlandish/website`},
		},
		{
			name:    "unknown fact kind in caps",
			changes: []change{{ScoringFile, "caps: {comment: 20}", "caps: {comments: 20}"}},
			want:    []string{`scoring.yml:17:8: caps: unknown fact kind "comments"; did you mean comment? The fact kinds are: pr_merged, review_approved, review_changes_requested, review_commented, issue_opened, issue_closed, comment, commit, release_published, manual`},
		},
		{
			name:    "negative cap",
			changes: []change{{ScoringFile, "caps: {comment: 20}", "caps: {comment: -20}"}},
			want:    []string{`scoring.yml:17:17: cap of comment: -20 is negative; a cap is the most credit one member earns per period; remove the line for no cap`},
		},
		{
			name:    "cap that is not a number",
			changes: []change{{ScoringFile, "caps: {comment: 20}", "caps: {comment: [20]}"}},
			want:    []string{`scoring.yml:17:17: cap of comment: must be a number such as 1 or 0.5, not a list`},
		},
		{
			name:    "bad period",
			changes: []change{{ScoringFile, "period: month", "period: monthly"}},
			want:    []string{`scoring.yml:2:9: period: "monthly" is not known; write week, month or quarter`},
		},
		{
			name:    "bad co_authors",
			changes: []change{{ScoringFile, "co_authors: split", "co_authors: first-author"}},
			want:    []string{`scoring.yml:19:13: co_authors: "first-author" is not known; write split (Co-authored-by trailers share the credit equally; the only way in version 1)`},
		},
		{
			name:    "bots as yes",
			changes: []change{{ScoringFile, "bots: true", "bots: yes"}},
			want:    []string{`scoring.yml:18:17: exclude: bots: must be true or false, not the text "yes"`},
		},
		{
			name:    "excluded identity not forge:login",
			changes: []change{{ScoringFile, "identities: [github:ci-bot]", "identities: [ci-bot]"}},
			want:    []string{`scoring.yml:18:36: exclude: identity "ci-bot" is not forge:login; write it like github:ci-bot`},
		},
		{
			name:    "unknown key in scoring.yml",
			changes: []change{{ScoringFile, "co_authors: split", "coauthors: split"}},
			want:    []string{`scoring.yml:19:1: unknown key "coauthors"; did you mean co_authors? The keys here are: version, period, weights, multipliers, caps, exclude, co_authors`},
		},
		{
			name:    "scoring.yml version missing",
			changes: []change{{ScoringFile, "version: 1\n", ""}},
			want:    []string{`scoring.yml:1:1: version is missing; add the line version: 1 at the top of the file`},
		},
		{
			name:    "scoring.yml version 2",
			changes: []change{{ScoringFile, "version: 1\n", "version: 2\n"}},
			want:    []string{`scoring.yml:1:10: version must be 1 (the only version of this file format), not 2; write version: 1`},
		},

		// ---- governance.yml ----
		{
			name:    "quorum above 1",
			changes: []change{{GovernanceFile, "quorum: 0.5", "quorum: 50"}},
			want:    []string{`governance.yml:7:13: profile default: quorum: 50 is more than 1; quorum is a share from 0 to 1, e.g. 0.5 for half`},
		},
		{
			name:    "negative quorum",
			changes: []change{{GovernanceFile, "quorum: 0.5", "quorum: -0.5"}},
			want:    []string{`governance.yml:7:13: profile default: quorum: -0.5 is negative; use a share from 0 to 1, e.g. 0.5 for half`},
		},
		{
			name:    "threshold above 1",
			changes: []change{{GovernanceFile, "threshold: 0.66", "threshold: 66"}},
			want:    []string{`governance.yml:14:16: profile membership: threshold: 66 is more than 1; threshold is a share from 0 to 1, e.g. 0.5 for half`},
		},
		{
			name:    "threshold 1",
			changes: []change{{GovernanceFile, "threshold: 0.66", "threshold: 1"}},
			want:    []string{`governance.yml:14:16: profile membership: threshold 1 can never be met, since yes/(yes+no) must be greater than the threshold; use a share below 1 (e.g. 0.66), or block: true for decisions by consent`},
		},
		{
			name:    "unknown voters",
			changes: []change{{GovernanceFile, "voters: coops", "voters: co-ops"}},
			want:    []string{`governance.yml:13:13: profile membership: voters: "co-ops" is not known; write members (one member, one vote) or coops (one co-op, one vote)`},
		},
		{
			name:    "unknown proposers",
			changes: []change{{GovernanceFile, "proposers: maintainers", "proposers: admins"}},
			want:    []string{`governance.yml:15:16: profile membership: proposers: "admins" is not known; write members (any member may propose) or maintainers (only maintainers may)`},
		},
		{
			name:    "proposers maintainers with no maintainers",
			changes: []change{{CoopsFile, "maintainers: [alice]\n", ""}},
			want:    []string{`governance.yml:15:16: profile membership: proposers is maintainers, but coops.yml lists no maintainers, so no one could open this vote; add maintainers: [member ids] to coops.yml, or write proposers: members`},
		},
		{
			name:    "duration in weeks",
			changes: []change{{GovernanceFile, "duration: 14d", "duration: 2w"}},
			want:    []string{`governance.yml:12:15: profile membership: duration "2w" is not a number followed by d, h or m; write it like 7d, 36h or 90m`},
		},
		{
			name:    "duration without a unit",
			changes: []change{{GovernanceFile, "duration: 14d", "duration: 14"}},
			want:    []string{`governance.yml:12:15: profile membership: duration 14 has no unit; write 14d for days, 14h for hours or 14m for minutes`},
		},
		{
			name:    "zero duration",
			changes: []change{{GovernanceFile, "duration: 14d", "duration: 0h"}},
			want:    []string{`governance.yml:12:15: profile membership: duration 0h is zero; a vote needs time, e.g. 7d`},
		},
		{
			name:    "duration too long",
			changes: []change{{GovernanceFile, "duration: 14d", "duration: 99999999999999999999m"}},
			want:    []string{`governance.yml:12:15: profile membership: duration 99999999999999999999m is too long; a vote lasts at most 366d`},
		},
		{
			name:    "two profiles with one start_label",
			changes: []change{{GovernanceFile, "start_label: proposal/membership", "start_label: Proposal"}},
			want:    []string{`governance.yml:16:18: profile membership: start_label "Proposal" is already the start label of profile default (line 10); give each profile its own label, e.g. proposal/membership`},
		},
		{
			name:    "start_label that is a state label",
			changes: []change{{GovernanceFile, "start_label: proposal/membership", "start_label: vote/open"}},
			want:    []string{`governance.yml:16:18: profile membership: start_label "vote/open" is also the label of state open, which the bot sets itself; use another label, e.g. proposal/membership`},
		},
		{
			name:    "empty start_label",
			changes: []change{{GovernanceFile, "start_label: proposal/membership", "start_label: \"\""}},
			want:    []string{`governance.yml:16:18: profile membership: start_label: the label name is empty; write a label, e.g. proposal/membership`},
		},
		{
			name:    "empty state label",
			changes: []change{{GovernanceFile, "open: vote/open", "open: \" \""}},
			want:    []string{`governance.yml:2:16: labels: open: the label name is empty; write a label, e.g. vote/open`},
		},
		{
			name:    "two states with one label",
			changes: []change{{GovernanceFile, "rejected: vote/rejected", "rejected: vote/passed"}},
			want:    []string{`governance.yml:2:58: labels: rejected is "vote/passed", the same label as passed; give each state its own label, e.g. vote/rejected`},
		},
		{
			name:    "duplicate profile",
			changes: []change{{GovernanceFile, "  membership:\n", "  default:\n"}},
			want:    []string{`governance.yml:11:3: profiles: key "default" is already set at line 4; remove one of the two`},
		},
		{
			name:    "bad profile name",
			changes: []change{{GovernanceFile, "  membership:\n", "  New Member:\n"}},
			want:    []string{`governance.yml:11:3: profile name "New Member" is not valid (it is typed in /propose New Member); use lowercase letters, digits, dots, dashes and underscores, e.g. new-member`},
		},
		{
			name:    "no default profile",
			changes: []change{{GovernanceFile, "  default:\n", "  everyday:\n"}, {GovernanceFile, "profile: default}", "profile: everyday}"}},
			want:    []string{`governance.yml:3:1: profiles: there is no profile named default, which /propose without a name uses; add one, or rename one of: everyday, membership`},
		},
		{
			name:    "automation naming an unknown profile",
			changes: []change{{GovernanceFile, "profile: default}", "profile: defualt}"}},
			want:    []string{`governance.yml:18:43: automation rule #1: profile "defualt" is not defined under profiles; use one of: default, membership`},
		},
		{
			name:    "policy_changes naming an unknown profile",
			changes: []change{{GovernanceFile, "automation:\n", "policy_changes: {profile: polcy}\nautomation:\n"}},
			want:    []string{`governance.yml:17:27: policy_changes: profile "polcy" is not defined under profiles; use one of: default, membership`},
		},
		{
			name:    "budgets without a profile",
			changes: []change{{GovernanceFile, "automation:\n", "budgets: {}\nautomation:\n"}},
			want:    []string{`governance.yml:17:10: budgets: profile is missing; add profile: followed by the name of a profile under profiles`},
		},
		{
			name:    "automation with a bad pattern",
			changes: []change{{GovernanceFile, `["accord/*.yml"]`, `["accord/[*.yml"]`}},
			want:    []string{`governance.yml:18:17: automation rule #1: pattern "accord/[*.yml" is not a valid path pattern; use * for any name, ? for one character and [abc] for a set, e.g. accord/*.yml`},
		},
		{
			name:    "automation with an absolute pattern",
			changes: []change{{GovernanceFile, `["accord/*.yml"]`, `["/accord/*.yml"]`}},
			want:    []string{`governance.yml:18:17: automation rule #1: pattern "/accord/*.yml" starts with /; patterns are relative to the repo root, so write accord/*.yml`},
		},
		{
			name:    "automation with **",
			changes: []change{{GovernanceFile, `["accord/*.yml"]`, `["accord/**"]`}},
			want:    []string{`governance.yml:18:17: automation rule #1: pattern "accord/**" uses **, which is not supported; * matches within one directory, so list each directory, e.g. accord/*.yml`},
		},
		{
			name:    "automation without patterns",
			changes: []change{{GovernanceFile, `{patterns: ["accord/*.yml"], profile: default}`, `{profile: default}`}},
			want:    []string{`governance.yml:18:5: automation rule #1: patterns is missing; add patterns: [path patterns], e.g. patterns: ["accord/*.yml"]`},
		},
		{
			name:    "unknown key in a profile",
			changes: []change{{GovernanceFile, "    quorum: 0.5\n", "    quorom: 0.5\n"}},
			want:    []string{`governance.yml:7:5: profile default: unknown key "quorom"; did you mean quorum? The keys here are: duration, voters, quorum, threshold, block, close_early, proposers, start_label`},
		},
		{
			name:    "block as text",
			changes: []change{{GovernanceFile, "    quorum: 0.5\n", "    quorum: 0.5\n    block: \"false\"\n"}},
			want:    []string{`governance.yml:8:12: profile default: block: must be true or false, not the text "false"`},
		},
		{
			name:    "governance.yml version missing",
			changes: []change{{GovernanceFile, "version: 1\n", ""}},
			want:    []string{`governance.yml:1:1: version is missing; add the line version: 1 at the top of the file`},
		},
		{
			name:    "governance.yml version 1.0",
			changes: []change{{GovernanceFile, "version: 1\n", "version: 1.0\n"}},
			want:    []string{`governance.yml:1:10: version must be 1 (the only version of this file format), not 1.0; write version: 1`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := baseFiles()
			for name, src := range tt.files {
				files[name] = []byte(src)
			}
			for _, c := range tt.changes {
				edit(t, files, c.file, c.from, c.to)
			}
			set, errs := Parse(files, testForges)
			if set != nil {
				t.Errorf("Parse returned a set along with %d errors", len(errs))
			}
			got := errorLines(errs)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestMissingFile(t *testing.T) {
	files := baseFiles()
	delete(files, ScoringFile)
	_, errs := Parse(files, testForges)
	want := "scoring.yml:1:1: the file is missing; create scoring.yml, starting with the line version: 1"
	if errs.Error() != want {
		t.Errorf("got %q, want %q", errs.Error(), want)
	}
}

func TestAllErrorsAreReported(t *testing.T) {
	files := baseFiles()
	files[CoopsFile] = []byte(`version: 1
coops:
  - id: outlandish
    repos: [github:outlandish/website, outlandish/infra]
members:
  - id: alice
    identities: [github:alice]
    memberships:
      - {coop: outlandsh, since: 2024-01-01}
  - id: alice
    identities: [github:alice]
    memberships:
      - {coop: outlandish, since: 2024-13-01}
maintainers: [carol]
`)
	_, errs := Parse(files, testForges)
	want := []string{
		`coops.yml:4:40: coop outlandish: repo "outlandish/infra" is not forge:owner/repo; write it like github:outlandish/infra`,
		`coops.yml:9:16: membership of alice: coop "outlandsh" is not defined in coops; define it under coops or use one of: outlandish`,
		`coops.yml:10:9: member id "alice" is already used at line 6; give each member their own id`,
		`coops.yml:11:18: member alice: identity github:alice is already claimed by member alice (line 7); an identity belongs to one member, so remove it from one of them`,
		`coops.yml:13:35: membership of alice: since 2024-13-01 is not a day of the calendar; write a real date as YYYY-MM-DD, e.g. 2024-01-31`,
		`coops.yml:14:15: maintainers: "carol" is not a member id; add carol under members, or use one of: alice`,
	}
	got := errorLines(errs)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// Five mistakes across the three files: five errors, in file order.
	files = baseFiles()
	edit(t, files, CoopsFile, "maintainers: [alice]", "maintainers: [alice, dave]")
	edit(t, files, ScoringFile, "comment: 0.5", "comment: lots")
	edit(t, files, ScoringFile, "period: month", "period: year")
	edit(t, files, GovernanceFile, "voters: coops", "voters: everyone")
	edit(t, files, GovernanceFile, "duration: 7d", "duration: 1w")
	_, errs = Parse(files, testForges)
	if len(errs) != 5 {
		t.Fatalf("got %d errors, want 5:\n%v", len(errs), errs)
	}
	for i, f := range []string{CoopsFile, ScoringFile, ScoringFile, GovernanceFile, GovernanceFile} {
		if errs[i].File != f {
			t.Errorf("error %d is in %s, want %s: %v", i, errs[i].File, f, errs[i])
		}
	}
}

var examplesDir = "examples"

func TestExamplesAreValid(t *testing.T) {
	set, errs := LoadDir(examplesDir, testForges)
	if len(errs) > 0 {
		t.Fatalf("examples:\n%v", errs)
	}
	c := set.Coops
	if len(c.Coops) < 3 || len(c.Members) < 6 {
		t.Errorf("examples: %d co-ops and %d members, want at least 3 and 6", len(c.Coops), len(c.Members))
	}
	moved := 0
	for _, m := range c.Members {
		coops := map[string]bool{}
		for _, ms := range m.Memberships {
			coops[ms.Coop] = true
		}
		if len(coops) > 1 {
			moved++
		}
	}
	if moved < 2 {
		t.Errorf("examples: %d members moved between co-ops, want at least 2", moved)
	}
	voters := map[string]bool{}
	for _, p := range set.Governance.Profiles {
		voters[p.Voters] = true
	}
	if !voters[VotersMembers] || !voters[VotersCoops] {
		t.Errorf("examples: profiles vote by %v, want both members and coops", voters)
	}
	if p := set.Governance.ProfileForPaths([]string{"README.md", "accord/scoring.yml"}); p == nil {
		t.Errorf("examples: a change to accord/scoring.yml opens no vote")
	}
	for _, name := range FileNames() {
		data, err := os.ReadFile(filepath.Join(examplesDir, name))
		if err != nil {
			t.Fatal(err)
		}
		first, _, _ := strings.Cut(string(data), "\n")
		want := "# yaml-language-server: $schema=../schema/" + strings.TrimSuffix(name, ".yml") + ".schema.json"
		if first != want {
			t.Errorf("%s starts with %q, want %q", name, first, want)
		}
	}
}

// TestBrokenExamples breaks one rule at a time in a copy of the examples;
// LoadDir must report at least one error, naming the file under the dir.
func TestBrokenExamples(t *testing.T) {
	breaks := []change{
		{CoopsFile, "  - id: hypha\n", "  - id: outlandish\n"},                                                    // duplicate co-op id
		{CoopsFile, "  - id: bilal\n", "  - id: alice\n"},                                                         // duplicate member id
		{CoopsFile, "identities: [github:bilal-k]", "identities: [github:alice-o]"},                               // identity claimed twice
		{CoopsFile, "emails: [bilal@outlandish.example]", "emails: [alice@outlandish.example]"},                   // email claimed twice
		{CoopsFile, "{coop: outlandish, since: 2022-03-01}", "{coop: outlandsh, since: 2022-03-01}"},              // unknown co-op
		{CoopsFile, "{coop: agile-collective, since: 2025-07-01}", "{coop: agile-collective, since: 2025-06-01}"}, // overlap
		{CoopsFile, "until: 2024-12-31}", "until: 2020-12-31}"},                                                   // until before since
		{CoopsFile, "since: 2020-05-01", "since: 2020-5-1"},                                                       // bad date
		{CoopsFile, "maintainers: [alice, bilal, emeka, fran]", "maintainers: [alice, bilal, emeka, frank]"},      // maintainer not a member
		{CoopsFile, "- gitea:webarchitects/hosting-docs", "- webarchitects/hosting-docs"},                         // repo form
		{CoopsFile, "- gitea:webarchitects/hosting-docs", "- gitlab:webarchitects/hosting-docs"},                  // repo forge
		{CoopsFile, "identities: [codeberg:hamza]", "identities: [hamza]"},                                        // identity form
		{CoopsFile, "identities: [codeberg:hamza]", "identities: [sourcehut:hamza]"},                              // identity forge
		{CoopsFile, "version: 1", "version: 2"},                                                                   // version
		{CoopsFile, "    name: Webarchitects\n", "    title: Webarchitects\n"},                                    // unknown key
		{ScoringFile, "pr_merged: 10", "pr_merged: -10"},                                                          // negative weight
		{ScoringFile, "comment: 0.5", "comment: half"},                                                            // non-numeric weight
		{ScoringFile, "bug: 1.5", "bug: -1.5"},                                                                    // negative multiplier
		{ScoringFile, "  comment: 20\n", "  comment: -20\n"},                                                      // negative cap
		{ScoringFile, "  manual: 1 ", "  manuel: 1 "},                                                             // unknown fact kind in weights
		{ScoringFile, "  commit: 40\n", "  commits: 40\n"},                                                        // unknown fact kind in caps
		{ScoringFile, "period: month", "period: fortnight"},                                                       // period
		{ScoringFile, "co_authors: split ", "co_authors: first "},                                                 // co_authors
		{ScoringFile, "version: 1", "version: 0"},                                                                 // version
		{ScoringFile, "comment: 0.5", "comment: 0.0005"},                                                          // precision
		{ScoringFile, "github:cotech/website: 0.5", "github:cotech/websites: 0.5"},                                // repo multiplier on an unlisted repo
		{GovernanceFile, "quorum: 0.75", "quorum: 75"},                                                            // quorum
		{GovernanceFile, "threshold: 0.66", "threshold: 1.66"},                                                    // threshold
		{GovernanceFile, "voters: members", "voters: people"},                                                     // voters
		{GovernanceFile, "proposers: maintainers", "proposers: anyone"},                                           // proposers
		{GovernanceFile, "duration: 14d", "duration: 2 weeks"},                                                    // duration
		{GovernanceFile, "duration: 10d", "duration: 0d"},                                                         // zero duration
		{GovernanceFile, "start_label: proposal/policy", "start_label: proposal/membership"},                      // two profiles, one start_label
		{GovernanceFile, "profile: policy}", "profile: policies}"},                                                // automation profile
		{GovernanceFile, `["accord/*.yml"]`, `["accord/[*.yml"]`},                                                 // automation pattern
		{GovernanceFile, "open: vote/open", "open: \"\""},                                                         // empty label
		{GovernanceFile, "version: 1", "version: one"},                                                            // version
		{GovernanceFile, "  membership:\n", "  policy:\n"},                                                        // duplicate profile
		{GovernanceFile, "    block: true\n", "    blocks: true\n"},                                               // unknown key
	}
	for _, b := range breaks {
		t.Run(b.file+":"+b.to, func(t *testing.T) {
			dir := t.TempDir()
			files := map[string][]byte{}
			for _, name := range FileNames() {
				data, err := os.ReadFile(filepath.Join(examplesDir, name))
				if err != nil {
					t.Fatal(err)
				}
				files[name] = data
			}
			edit(t, files, b.file, b.from, b.to)
			for name, data := range files {
				if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			set, errs := LoadDir(dir, testForges)
			if set != nil || len(errs) == 0 {
				t.Fatalf("no error for %q → %q in %s", b.from, b.to, b.file)
			}
			for _, e := range errs {
				if !strings.HasPrefix(e.File, dir+string(filepath.Separator)) {
					t.Errorf("error names %q, want a path under %s", e.File, dir)
				}
			}
			t.Log(errs)
		})
	}
}

func TestLoadDirMissingFiles(t *testing.T) {
	dir := t.TempDir()
	_, errs := LoadDir(dir, testForges)
	if len(errs) != 3 {
		t.Fatalf("got %v, want 3 errors", errs)
	}
	for i, name := range FileNames() {
		want := filepath.Join(dir, name) + ":1:1: the file is missing; create " + name + ", starting with the line version: 1"
		if errs[i].Error() != want {
			t.Errorf("got %q, want %q", errs[i].Error(), want)
		}
	}
}

func TestVersion(t *testing.T) {
	a, errs := Parse(baseFiles(), testForges)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	b, _ := Parse(baseFiles(), testForges)
	if a.Version != b.Version || a.Version != ContentVersion(baseFiles()) {
		t.Errorf("versions differ for the same files: %s, %s", a.Version, b.Version)
	}
	if len(a.Version) != len("sha256:")+64 {
		t.Errorf("version %q is not sha256:HEX", a.Version)
	}
	files := baseFiles()
	files[CoopsFile] = append(files[CoopsFile], "# a comment\n"...)
	c, _ := Parse(files, testForges)
	if c.Version == a.Version {
		t.Errorf("a changed file keeps the version %s", a.Version)
	}
	// Moving bytes from one file to the next changes the version.
	x := ContentVersion(map[string][]byte{CoopsFile: []byte("ab"), ScoringFile: []byte("c")})
	y := ContentVersion(map[string][]byte{CoopsFile: []byte("a"), ScoringFile: []byte("bc")})
	if x == y {
		t.Errorf("the version ignores file boundaries")
	}
	d, errs := LoadDir(examplesDir, testForges)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	files = map[string][]byte{}
	for _, name := range FileNames() {
		files[name], _ = os.ReadFile(filepath.Join(examplesDir, name))
	}
	if d.Version != ContentVersion(files) {
		t.Errorf("LoadDir version %s, want the content version %s", d.Version, ContentVersion(files))
	}
}

func TestMilli(t *testing.T) {
	good := map[string]Milli{"0": 0, "10": 10000, "0.5": 500, ".5": 500, "5.": 5000, "1.25": 1250, "-1.25": -1250, "+2": 2000,
		"0.001": 1, "007": 7000, "999999999.999": 999999999999}
	for s, want := range good {
		got, err := ParseMilli(s)
		if err != nil || got != want {
			t.Errorf("ParseMilli(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	bad := map[string]error{"": errEmptyDecimal, ".": ErrNotDecimal, "-": ErrNotDecimal, "1e3": ErrNotDecimal, "0x10": ErrNotDecimal, "1_000": ErrNotDecimal,
		"inf": ErrNotDecimal, "1.2.3": ErrNotDecimal, "0.0001": ErrTooPrecise, "1.5000": ErrTooPrecise, "1000000000": ErrTooLarge}
	for s, want := range bad {
		if _, err := ParseMilli(s); err != want {
			t.Errorf("ParseMilli(%q) error %v, want %v", s, err, want)
		}
	}
	for m, want := range map[Milli]string{0: "0", 500: "0.5", 10000: "10", -1250: "-1.25", 1: "0.001", 1010: "1.01"} {
		if m.String() != want {
			t.Errorf("Milli(%d).String() = %q, want %q", int64(m), m.String(), want)
		}
	}
	if One.Float64() != 1 {
		t.Errorf("One.Float64() = %v", One.Float64())
	}
}

func TestLookups(t *testing.T) {
	set, errs := LoadDir(examplesDir, testForges)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	c := set.Coops
	day := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	for _, tt := range []struct {
		identity, at         string
		member, coop         string
		ok                   bool
		hour, nonUTC, absent bool
	}{
		{identity: "github:alice-o", at: "2024-05-01", member: "alice", coop: "outlandish", ok: true},
		{identity: "GitHub:Alice-O", at: "2025-06-30", member: "alice", coop: "outlandish", ok: true}, // until is inclusive
		{identity: "codeberg:alice", at: "2025-07-01", member: "alice", coop: "agile-collective", ok: true},
		{identity: "github:alice-o", at: "2022-12-31", member: "alice", ok: false}, // before any membership
		{identity: "github:gita-s", at: "2023-10-01", member: "gita", ok: false},   // between memberships
		{identity: "forgejo:gita", at: "2024-01-15", member: "gita", coop: "hypha", ok: true},
		{identity: "github:nobody", at: "2024-01-01", absent: true},
	} {
		member, coop, ok := c.MemberOf(tt.identity, day(tt.at).Add(23*time.Hour+59*time.Minute))
		if member != tt.member || coop != tt.coop || ok != tt.ok {
			t.Errorf("MemberOf(%s, %s) = %q, %q, %v; want %q, %q, %v", tt.identity, tt.at, member, coop, ok, tt.member, tt.coop, tt.ok)
		}
	}
	// The last instant of until, in another time zone, is still inside.
	paris := time.FixedZone("CEST", 2*3600)
	if _, coop, _ := c.MemberOf("github:alice-o", time.Date(2025, 7, 1, 1, 59, 0, 0, paris)); coop != "outlandish" {
		t.Errorf("2025-06-30 23:59 UTC counts for %q, want outlandish", coop)
	}
	if _, coop, _ := c.MemberOf("github:alice-o", time.Date(2025, 7, 1, 2, 0, 0, 0, paris)); coop != "agile-collective" {
		t.Errorf("2025-07-01 00:00 UTC counts for %q, want agile-collective", coop)
	}
	if m := c.MemberByEmail("Chen@Hypha.example"); m == nil || m.ID != "chen" {
		t.Errorf("MemberByEmail = %v, want chen", m)
	}
	if co := c.CoopOfRepo("github:Cotech/Governance"); co == nil || co.ID != "outlandish" {
		t.Errorf("CoopOfRepo = %v, want outlandish", co)
	}
	if !c.IsMaintainer("alice") || c.IsMaintainer("chen") || c.IsMaintainer("nobody") {
		t.Errorf("IsMaintainer is wrong")
	}
	if c.Coop("hypha") == nil || c.Coop("nope") != nil || c.Member("dara") == nil || c.Member("nope") != nil {
		t.Errorf("Coop/Member lookups are wrong")
	}
	// A hand-built Coops (no indexes) answers the same.
	hand := &Coops{Coops: c.Coops, Members: c.Members, Maintainers: c.Maintainers}
	if m, co, ok := hand.MemberOf("GITHUB:chenwei", day("2025-02-01")); m != "chen" || co != "hypha" || !ok {
		t.Errorf("hand-built MemberOf = %q %q %v", m, co, ok)
	}
	if !hand.IsMaintainer("emeka") || hand.CoopOfRepo("gitea:webarchitects/ansible-roles") == nil || hand.MemberByEmail("dara@agile.example") == nil || hand.Coop("hypha") == nil || hand.Member("fran") == nil {
		t.Errorf("hand-built lookups are wrong")
	}

	s := set.Scoring
	if s.Weight(FactComment) != 500 || s.Weight(FactPRMerged) != 10*One {
		t.Errorf("weights: %v", s.Weights)
	}
	if cap, ok := s.Cap(FactComment); !ok || cap != 20*One {
		t.Errorf("Cap(comment) = %v, %v", cap, ok)
	}
	if _, ok := s.Cap(FactPRMerged); ok {
		t.Errorf("pr_merged has a cap")
	}
	if s.RepoMultiplier("github:cotech/Website") != 500 || s.RepoMultiplier("github:outlandish/website") != One {
		t.Errorf("repo multipliers: %v", s.Multipliers.Repos)
	}
	if !s.Excludes("GitHub:Cotech-CI") || s.Excludes("github:alice-o") || !s.Exclude.Bots || s.Period != PeriodMonth || s.CoAuthors != CoAuthorsSplit {
		t.Errorf("scoring: %+v", s)
	}

	g := set.Governance
	if p := g.Profile("membership"); p == nil || p.Voters != VotersCoops || p.Duration != 14*24*time.Hour || p.Threshold != 660 || p.Quorum != 750 {
		t.Errorf("Profile(membership) = %+v", p)
	}
	if p := g.ProfileByLabel("Proposal/Membership"); p == nil || p.Name != "membership" {
		t.Errorf("ProfileByLabel = %+v", p)
	}
	if g.ProfileByLabel("bug") != nil || g.ProfileByLabel("") != nil || g.Profile("nope") != nil {
		t.Errorf("lookups of absent profiles return one")
	}
	if d := g.Default(); d == nil || d.Name != DefaultProfile || !d.CloseEarly || d.Block {
		t.Errorf("Default() = %+v", d)
	}
	if p := g.ProfileForPaths([]string{"/accord/coops.yml"}); p == nil || p.Name != "policy" {
		t.Errorf("ProfileForPaths = %+v", p)
	}
	if p := g.ProfileForPaths([]string{"accord/sub/coops.yml", "README.md"}); p != nil {
		t.Errorf("ProfileForPaths matched %+v", p)
	}
}

func TestDefaults(t *testing.T) {
	files := baseFiles()
	files[ScoringFile] = []byte("version: 1\nweights: {pr_merged: 10, review_approved: 3, review_changes_requested: 3, review_commented: 1, issue_opened: 2, issue_closed: 1, comment: 0.5, commit: 1, release_published: 5, manual: 1}\n")
	files[GovernanceFile] = []byte("version: 1\nprofiles:\n  default: {}\n")
	set, errs := Parse(files, testForges)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	s := set.Scoring
	if s.Period != PeriodMonth || s.CoAuthors != CoAuthorsSplit || !s.Exclude.Bots || len(s.Caps) != 0 {
		t.Errorf("scoring defaults: %+v", s)
	}
	g := set.Governance
	if g.Labels != (Labels{Open: "vote/open", Passed: "vote/passed", Rejected: "vote/rejected", Cancelled: "vote/cancelled"}) {
		t.Errorf("label defaults: %+v", g.Labels)
	}
	want := Profile{Name: "default", Duration: 7 * 24 * time.Hour, Voters: VotersMembers, Threshold: 500, Proposers: ProposersMembers}
	if *g.Default() != want {
		t.Errorf("profile defaults: %+v, want %+v", *g.Default(), want)
	}
}

func TestNoForgesAcceptsAnyForge(t *testing.T) {
	files := baseFiles()
	edit(t, files, CoopsFile, "identities: [github:bob]", "identities: [sourcehut:bob]")
	if _, errs := Parse(files, nil); len(errs) > 0 {
		t.Errorf("with no forges configured: %v", errs)
	}
	if _, errs := Parse(files, testForges); len(errs) != 1 {
		t.Errorf("with forges configured: %v, want one error", errs)
	}
}

func TestEmbeddedSchemas(t *testing.T) {
	for _, name := range SchemaNames() {
		for _, n := range []string{name, name + ".yml"} {
			data, err := Schema(n)
			if err != nil || !strings.Contains(string(data), `"$schema": "https://json-schema.org/draft/2020-12/schema"`) {
				t.Errorf("Schema(%q): %v", n, err)
			}
		}
	}
	if _, err := Schema("ledger"); err == nil || err.Error() != `no schema named "ledger"; use one of: coops, scoring, governance` {
		t.Errorf("Schema(ledger) error %v", err)
	}
}

func TestErrorsFormat(t *testing.T) {
	errs := Errors{{File: "coops.yml", Line: 3, Col: 5, Msg: "a"}, {File: "scoring.yml", Line: 1, Col: 1, Msg: "b"}}
	if errs.Error() != "coops.yml:3:5: a\nscoring.yml:1:1: b" {
		t.Errorf("Errors.Error() = %q", errs.Error())
	}
	var err error = errs
	if err.Error() == "" {
		t.Error("Errors is not an error")
	}
}
