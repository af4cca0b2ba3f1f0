package bot

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/accord-coop/accord/forges"
	"github.com/accord-coop/accord/ledger"
)

func creditEvent(login, body string) *forges.Event {
	return &forges.Event{Forge: "github", DeliveryID: "d-" + login, Kind: forges.KindComment, Action: forges.ActionCreated,
		Repo:    forges.Repo{Owner: "outlandish", Name: "website"},
		Issue:   &forges.Issue{Number: 7},
		Comment: &forges.Comment{ID: 70, Body: body, Author: forges.User{Login: login}}}
}

// TestCredit: a maintainer's /credit is a manual fact (and a thumbs-up); a
// member who is not a maintainer gets one reply and no fact; malformed
// commands and /accord help get the usage.
func TestCredit(t *testing.T) {
	_, st, _ := newTestOutbox(t, newFakeForge())
	p := &Policies{Source: PolicySource{Dir: "../policies/examples"}, Forges: testForges, Store: st, Log: slog.New(slog.DiscardHandler)}
	if err := p.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	maint := p.Current().Coops.Maintainers[0]
	login := strings.TrimPrefix(p.Current().Coops.Member(maint).Identities[0], "github:")
	h := &Commands{Policies: p}

	act := NewActions("github", "d1")
	if err := h.Handle(context.Background(), creditEvent(login, "/credit @chenwei 2.5 for the migration guide"), act); err != nil {
		t.Fatal(err)
	}
	es := act.Entries()
	if len(es) != 1 || len(act.Effects()) != 1 || act.Effects()[0].Op != OpReact {
		t.Fatalf("entries %+v, effects %+v", es, act.Effects())
	}
	f := es[0].Body.(ledger.Fact)
	if f.Kind != ledger.FactManual || f.Who.Identity != "github:chenwei" || f.Points != 2500 || f.Reason != "for the migration guide" || f.By != "github:"+login {
		t.Errorf("fact %+v", f)
	}
	again := NewActions("github", "d1-redelivered")
	h.Handle(context.Background(), creditEvent(login, "/credit @chenwei 2.5 for the migration guide"), again)
	if again.Entries()[0].Key != es[0].Key {
		t.Error("the same /credit seen again is another fact")
	}

	act = NewActions("github", "d2")
	h.Handle(context.Background(), creditEvent("darab", "/credit @darab 100"), act)
	if len(act.Entries()) != 0 || len(act.Effects()) != 1 || !strings.Contains(string(act.Effects()[0].Payload), "only maintainers") {
		t.Errorf("non-maintainer: %+v %+v", act.Entries(), act.Effects())
	}

	act = NewActions("github", "d3")
	h.Handle(context.Background(), creditEvent("darab", "/credit darab x\n/accord help\n/lgtm"), act)
	if len(act.Effects()) != 3 {
		t.Fatalf("%d replies, want 3", len(act.Effects()))
	}
	for _, e := range act.Effects() {
		if !strings.Contains(string(e.Payload), "/accord help") {
			t.Errorf("reply without the usage: %s", e.Payload)
		}
	}
}
