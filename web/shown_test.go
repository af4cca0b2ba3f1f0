package web

import (
	"testing"

	"github.com/accord-coop/accord/scorejson"
)

// TestNoEmailShown: credit of someone known only by an e-mail (a commit's
// author no member claims, an excluded co-author) is shown without it.
func TestNoEmailShown(t *testing.T) {
	p := public(scorejson.Period{
		Unaffiliated: []scorejson.Identity{{Who: "dave@e2e.local", Credits: "1"}, {Who: "gitea:dave", Credits: "1"}},
		Excluded:     []scorejson.Identity{{Who: "175728472+copilot@users.noreply.github.com", Credits: "0"}},
	})
	if p.Unaffiliated[0].Who != Unaffiliated || p.Unaffiliated[1].Who != "gitea:dave" || p.Excluded[0].Who != Unaffiliated {
		t.Errorf("%+v", p)
	}
	if got := shown("someone@example.org"); got != Unaffiliated {
		t.Errorf("shown: %q", got)
	}
}
