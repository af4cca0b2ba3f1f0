package scoring

import (
	"slices"
	"testing"

	"github.com/accord-coop/accord/ledger"
)

// TestPeopleMembers: the members a fact names are its author and its
// co-authors as Score resolves them: by identity, else by e-mail, once
// each, excluded accounts and strangers left out.
func TestPeopleMembers(t *testing.T) {
	p := NewPeople(parseSet(t))
	merged := fact("1", ledger.FactPRMerged, "github:alice", t0, func(f *ledger.Fact) {
		f.CoAuthors = []ledger.Person{{Email: "BOB@agile.example"}, {Email: "alice@outlandish.example"}, {Email: "someone@else.example"},
			{Identity: "github:ci-user"}}
	})
	if got := p.Members(&merged); !slices.Equal(got, []string{"alice", "bob"}) {
		t.Errorf("merge: %v, want alice and bob", got)
	}
	if got := p.Members(new(fact("2", ledger.FactComment, "carol@hypha.example", t0))); !slices.Equal(got, []string{"carol"}) {
		t.Errorf("by e-mail: %v", got)
	}
	if got := p.Members(new(fact("3", ledger.FactComment, "github:stranger", t0))); len(got) != 0 {
		t.Errorf("a stranger: %v", got)
	}
}
