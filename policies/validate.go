package policies

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// validator checks what no single value shows: ids and identities used
// twice, references to co-ops, members and profiles that do not exist,
// overlapping memberships, and the links between the three files. It also
// builds the lookup indexes of Coops.
type validator struct{ errs *Errors }

func (v *validator) errorf(file string, n *yaml.Node, format string, args ...any) {
	(&decoder{file: file, errs: v.errs}).errorf(n, format, args...)
}

// oneOf lists names for "use one of: …", cut short when there are many.
func oneOf(names []string) string {
	const most = 10
	if len(names) > most {
		return strings.Join(names[:most], ", ") + fmt.Sprintf(", … (%d more)", len(names)-most)
	}
	return strings.Join(names, ", ")
}

func day(t time.Time) string { return t.Format(time.DateOnly) }

func (v *validator) coops(c *Coops, src *coopsSrc) {
	if c == nil {
		return
	}
	c.coopByID = map[string]int{}
	c.memberByID = map[string]int{}
	c.byIdentity = map[string]int{}
	c.byEmail = map[string]int{}
	c.coopOfRepo = map[string]int{}
	c.maintainers = map[string]bool{}

	var coopIDs []string
	repoAt := map[string]*yaml.Node{}
	for i, coop := range c.Coops {
		cs := src.coops[i]
		if coop.ID != "" {
			if j, dup := c.coopByID[coop.ID]; dup {
				v.errorf(CoopsFile, cs.id, "coop id %q is already used at line %d; give each co-op its own id", coop.ID, src.coops[j].id.Line)
			} else {
				c.coopByID[coop.ID] = i
				coopIDs = append(coopIDs, coop.ID)
			}
		}
		for k, r := range coop.Repos {
			key := strings.ToLower(r)
			if j, dup := c.coopOfRepo[key]; dup {
				if j == i {
					v.errorf(CoopsFile, cs.repos[k], "coop %s: repo %s is listed twice (first at line %d); remove one", coop.ID, r, repoAt[key].Line)
				} else {
					v.errorf(CoopsFile, cs.repos[k], "coop %s: repo %s is already listed under coop %s (line %d); list each repo under one co-op only", coop.ID, r, c.Coops[j].ID, repoAt[key].Line)
				}
				continue
			}
			c.coopOfRepo[key] = i
			repoAt[key] = cs.repos[k]
		}
	}

	var memberIDs []string
	identityAt := map[string]*yaml.Node{}
	emailAt := map[string]*yaml.Node{}
	for i := range c.Members {
		mem, ms := &c.Members[i], src.members[i]
		what := "member " + mem.ID
		if mem.ID == "" {
			what = fmt.Sprintf("member at line %d", ms.node.Line)
		} else if j, dup := c.memberByID[mem.ID]; dup {
			v.errorf(CoopsFile, ms.id, "member id %q is already used at line %d; give each member their own id", mem.ID, src.members[j].id.Line)
		} else {
			c.memberByID[mem.ID] = i
			memberIDs = append(memberIDs, mem.ID)
		}
		for k, id := range mem.Identities {
			key := foldIdentity(id)
			if j, dup := c.byIdentity[key]; dup {
				if j == i {
					v.errorf(CoopsFile, ms.identities[k], "%s: identity %s is listed twice (first at line %d); remove one", what, id, identityAt[key].Line)
				} else {
					v.errorf(CoopsFile, ms.identities[k], "%s: identity %s is already claimed by member %s (line %d); an identity belongs to one member, so remove it from one of them", what, id, c.Members[j].ID, identityAt[key].Line)
				}
				continue
			}
			c.byIdentity[key] = i
			identityAt[key] = ms.identities[k]
		}
		for k, e := range mem.Emails {
			key := strings.ToLower(e)
			if j, dup := c.byEmail[key]; dup {
				if j == i {
					v.errorf(CoopsFile, ms.emails[k], "%s: email %s is listed twice (first at line %d); remove one", what, e, emailAt[key].Line)
				} else {
					v.errorf(CoopsFile, ms.emails[k], "%s: email %s is already claimed by member %s (line %d); an email belongs to one member, so remove it from one of them", what, e, c.Members[j].ID, emailAt[key].Line)
				}
				continue
			}
			c.byEmail[key] = i
			emailAt[key] = ms.emails[k]
		}
		v.memberships(c, mem, ms, coopIDs)
	}

	for k, id := range c.Maintainers {
		n := src.maintainers[k]
		switch {
		case c.maintainers[id]:
			v.errorf(CoopsFile, n, "maintainers: %s is listed twice; remove one", id)
		case c.Member(id) == nil:
			v.errorf(CoopsFile, n, "maintainers: %q is not a member id; add %s under members, or use one of: %s", id, id, oneOf(memberIDs))
		default:
			c.maintainers[id] = true
		}
	}
}

func (v *validator) memberships(c *Coops, mem *Member, ms memberSrc, coopIDs []string) {
	what := "membership of " + mem.ID
	if mem.ID == "" {
		what = fmt.Sprintf("membership of the member at line %d", ms.node.Line)
	}
	var valid []int // memberships with a sensible range, to check for overlaps
	for k, ship := range mem.Memberships {
		s := ms.memberships[k]
		if _, ok := c.coopByID[ship.Coop]; !ok {
			v.errorf(CoopsFile, s.coop, "%s: coop %q is not defined in coops; define it under coops or use one of: %s", what, ship.Coop, oneOf(coopIDs))
		}
		if !ship.Until.IsZero() && ship.Until.Before(ship.Since) {
			v.errorf(CoopsFile, s.until, "%s: until %s is before since %s; write an until on or after since, or leave until out while the membership lasts", what, day(ship.Until), day(ship.Since))
			continue
		}
		valid = append(valid, k)
	}
	sort.SliceStable(valid, func(a, b int) bool {
		return mem.Memberships[valid[a]].Since.Before(mem.Memberships[valid[b]].Since)
	})
	for b := 1; b < len(valid); b++ {
		later := mem.Memberships[valid[b]]
		for a := 0; a < b; a++ {
			earlier := mem.Memberships[valid[a]]
			if !earlier.Until.IsZero() && earlier.Until.Before(later.Since) {
				continue
			}
			at := ms.memberships[valid[a]].node.Line
			if earlier.Until.IsZero() {
				v.errorf(CoopsFile, ms.memberships[valid[b]].since, "%s: the membership in %s from %s overlaps the open-ended one in %s from %s (line %d); end that one with until: %s, or start this one later",
					what, later.Coop, day(later.Since), earlier.Coop, day(earlier.Since), at, day(later.Since.AddDate(0, 0, -1)))
			} else {
				v.errorf(CoopsFile, ms.memberships[valid[b]].since, "%s: the membership in %s from %s overlaps the one in %s from %s to %s (line %d); start this one on %s, or end that one earlier",
					what, later.Coop, day(later.Since), earlier.Coop, day(earlier.Since), day(earlier.Until), at, day(earlier.Until.AddDate(0, 0, 1)))
			}
			break
		}
	}
}

func (v *validator) scoring(s *Scoring, src *scoringSrc, c *Coops) {
	if s == nil {
		return
	}
	seen := map[string]*yaml.Node{}
	for i, r := range src.repoKeys {
		key := strings.ToLower(r)
		if first, dup := seen[key]; dup {
			v.errorf(ScoringFile, src.repoMults[i], "multipliers: repo %s already has a multiplier at line %d; remove one", r, first.Line)
			continue
		}
		seen[key] = src.repoMults[i]
		if c != nil && c.CoopOfRepo(r) == nil {
			v.errorf(ScoringFile, src.repoMults[i], "multipliers: repo %s is not listed under any co-op in coops.yml, so it earns no credit to multiply; list it under a co-op's repos in coops.yml, or correct the name", r)
		}
	}
}

func (v *validator) governance(g *Governance, src *governanceSrc, c *Coops) {
	if g == nil {
		return
	}
	// The state labels must differ from each other.
	type lbl struct{ key, name string }
	states := []lbl{{"open", g.Labels.Open}, {"passed", g.Labels.Passed}, {"rejected", g.Labels.Rejected}, {"cancelled", g.Labels.Cancelled}}
	for b := 1; b < len(states); b++ {
		for a := 0; a < b; a++ {
			if strings.EqualFold(states[a].name, states[b].name) {
				n := src.labels[states[b].key]
				if n == nil {
					n = src.labels[states[a].key]
				}
				v.errorf(GovernanceFile, n, "labels: %s is %q, the same label as %s; give each state its own label, e.g. vote/%s", states[b].key, states[b].name, states[a].key, states[b].key)
				break
			}
		}
	}

	names := src.allNames
	if len(names) > 0 && !slices.Contains(names, DefaultProfile) {
		v.errorf(GovernanceFile, src.profiles, "profiles: there is no profile named default, which /propose without a name uses; add one, or rename one of: %s", oneOf(names))
	}
	startAt := map[string]int{}
	for i, p := range g.Profiles {
		if p.StartLabel != "" {
			key := strings.ToLower(p.StartLabel)
			if j, dup := startAt[key]; dup {
				v.errorf(GovernanceFile, src.startLabel[i], "profile %s: start_label %q is already the start label of profile %s (line %d); give each profile its own label, e.g. proposal/%s",
					p.Name, p.StartLabel, g.Profiles[j].Name, src.startLabel[j].Line, p.Name)
			} else {
				startAt[key] = i
			}
			for _, st := range states {
				if strings.EqualFold(st.name, p.StartLabel) {
					v.errorf(GovernanceFile, src.startLabel[i], "profile %s: start_label %q is also the label of state %s, which the bot sets itself; use another label, e.g. proposal/%s", p.Name, p.StartLabel, st.key, p.Name)
					break
				}
			}
		}
		if p.Proposers == ProposersMaintainers && c != nil && len(c.Maintainers) == 0 {
			v.errorf(GovernanceFile, src.proposers[i], "profile %s: proposers is maintainers, but coops.yml lists no maintainers, so no one could open this vote; add maintainers: [member ids] to coops.yml, or write proposers: members", p.Name)
		}
	}
	for key, name := range map[string]string{"policy_changes": g.PolicyChanges, "budgets": g.Budgets} {
		if n := src.uses[key]; n != nil && !slices.Contains(names, name) {
			v.errorf(GovernanceFile, n, "%s: profile %q is not defined under profiles; use one of: %s", key, name, oneOf(names))
		}
	}
	for i, r := range g.Automation {
		if src.rules[i] != nil && !slices.Contains(names, r.Profile) {
			v.errorf(GovernanceFile, src.rules[i], "automation rule #%d: profile %q is not defined under profiles; use one of: %s", src.ruleNums[i], r.Profile, oneOf(names))
		}
	}
}
