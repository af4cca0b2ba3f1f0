package scoring

import (
	"github.com/accord-coop/accord/ledger"
	"github.com/accord-coop/accord/policies"
)

// People tells which members a fact names as the people it credits, by
// the rules Score applies (the identity decides, else the email; co-authors
// of a merged PR under co_authors: split; excluded accounts never count).
// It does not say whether the fact earned them anything: a fact from a
// repository outside the federation, or past a cap, still names them.
type People struct{ r *resolver }

// NewPeople resolves people under set, which must be valid.
func NewPeople(set *policies.Set) *People { return &People{r: newResolver(set)} }

// Members are the ids of the members f credits, without repeats, in the
// order of the fact's parties (the author first).
func (p *People) Members(f *ledger.Fact) []string {
	parties, _ := p.r.parties(f)
	var out []string
	for _, pt := range parties {
		if pt.member == nil || pt.excluded != "" {
			continue
		}
		dup := false
		for _, id := range out {
			dup = dup || id == pt.member.ID
		}
		if !dup {
			out = append(out, pt.member.ID)
		}
	}
	return out
}
