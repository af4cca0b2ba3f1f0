package web

import (
	"strings"
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

// TestChart: bars stack their positive parts, scaled to an axis that ends
// at a round tick.
func TestChart(t *testing.T) {
	c := stacked("c", "t", []string{"p1", "p2"}, []string{"a", "b"}, [][]int64{{8500, 500}, {3000, -1000}})
	if c.Empty || len(c.Bars) != 2 || len(c.Bars[0].Segments) != 2 || len(c.Bars[1].Segments) != 1 {
		t.Fatalf("%+v", c)
	}
	var labels []string
	for _, tk := range c.Ticks {
		labels = append(labels, tk.Label)
	}
	if got := strings.Join(labels, " "); got != "0 2 4 6 8 10" {
		t.Errorf("ticks %s", got)
	}
	if h := c.Bars[0].Segments[0].H + c.Bars[0].Segments[1].H; h < 0.89*(c.PlotBottom-12) || h > 0.91*(c.PlotBottom-12) {
		t.Errorf("9 of 10 drawn %v high", h)
	}
	if !stacked("c", "t", []string{"p"}, []string{"a"}, [][]int64{{0}}).Empty {
		t.Error("no credit, yet a chart")
	}
	for most, want := range map[int64]int64{1: 1, 5: 1, 6: 2, 999: 200, 1000: 200, 1001: 500, 8500: 2000, 19000: 5000} {
		if got := niceStep(most); got != want {
			t.Errorf("niceStep(%d) = %d, want %d", most, got, want)
		}
	}
}
