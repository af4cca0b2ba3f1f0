package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/accord-coop/accord/scorejson"
)

// The browser tests drive Chromium (Debian's /usr/bin/chromium, never a
// downloaded one) through the DevTools protocol against the real `accord
// serve`, on a ledger built through its intake. They are slow and need the
// browser, so they run only when asked:
//
//	ACCORD_BROWSER_TESTS=1 ACCORD_SCREENSHOT_DIR=/tmp/shots go test ./cmd/accord -run TestBrowser -v

const chromium = "/usr/bin/chromium"

func browserTests(t *testing.T) {
	t.Helper()
	if os.Getenv("ACCORD_BROWSER_TESTS") != "1" {
		t.Skip("browser tests: run with ACCORD_BROWSER_TESTS=1 (needs " + chromium + "; screenshots go to ACCORD_SCREENSHOT_DIR)")
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("ACCORD_BROWSER_TESTS=1 but no browser: %v (apt-get install -y chromium)", err)
	}
}

// browser starts a headless Chromium with a fresh profile and returns a
// tab.
func browser(t *testing.T) context.Context {
	t.Helper()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
	)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // start the browser now, to fail here if it cannot
		t.Fatalf("start %s: %v", chromium, err)
	}
	return ctx
}

// webFederation runs accord serve on a Gitea-shaped federation: every
// captured Gitea delivery (an issue with a /propose and votes, a pull
// request reviewed and merged, pushes, a release) signed and POSTed to
// /hooks/gitea, and worked through.
func webFederation(t *testing.T) (s *server, cfg string) {
	t.Helper()
	_, forge := newForgeState(t, false)
	dir := t.TempDir()
	cfg = voteConfig(t, dir, "gitea", forge.URL)
	// The fixtures' repository is co-op a's, so their facts earn credit;
	// dave, no member, stays unaffiliated.
	os.WriteFile(filepath.Join(dir, "policies", "coops.yml"), []byte(`version: 1
coops:
  - {id: a, name: Co-op A, repos: [gitea:federation/commons]}
  - {id: b, name: Co-op B, repos: [gitea:b/website]}
members:
  - {id: alice, name: Alice, identities: [gitea:alice], emails: [alice@e2e.local], memberships: [{coop: a, since: 2000-01-01}]}
  - {id: bob, identities: [gitea:bob], emails: [bob@e2e.local], memberships: [{coop: a, since: 2000-01-01}]}
  - {id: carol, identities: [gitea:carol], memberships: [{coop: b, since: 2000-01-01}]}
maintainers: [alice]
`), 0o644)
	t.Setenv("TEST_GITEA_TOKEN", giteaToken)
	s = startServer(t, dir)
	for _, fx := range loadGiteaFixtures(t) {
		if code := s.post("gitea", fx.headers, fx.body); code != 202 {
			t.Fatalf("%s: %d", fx.name, code)
		}
	}
	st := s.openStore()
	waitProcessed(t, st)
	waitFor(t, "the proposal", func() bool {
		p, err := st.GetProposal(context.Background(), 1)
		return err == nil && p != nil
	})
	return s, cfg
}

// TestBrowserPages loads every page in Chromium at a desktop's and a
// phone's width: no console error, the figures `accord score` and `accord
// proposals show` give on the same database, charts with bars of some
// size, every link resolving, and a screenshot of each.
func TestBrowserPages(t *testing.T) {
	browserTests(t)
	s, cfg := webFederation(t)
	shots := os.Getenv("ACCORD_SCREENSHOT_DIR")
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx := browser(t)

	var mu sync.Mutex
	var console []string
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleWarning || m.IsException() {
				mu.Lock()
				console = append(console, fmt.Sprintf("%s %s:%d %s", m.Type, m.URL, m.Line+1, m.Text))
				mu.Unlock()
			}
		}
	}()

	byMember := scoreOf(t, cfg, "member")
	byCoop := scoreOf(t, cfg, "coop")
	if len(byMember.Periods) == 0 {
		t.Fatal("accord score found no credits: the federation has no facts")
	}
	out, errOut, code := accord(t, s.dir, nil, "proposals", "show", "1", "--format", "json", "--config", cfg)
	if code != 0 {
		t.Fatalf("proposals show 1: %s", errOut)
	}
	var prop proposalView
	if err := json.Unmarshal([]byte(out), &prop); err != nil || prop.Tally == nil {
		t.Fatalf("proposals show 1: %v\n%s", err, out)
	}

	for _, pg := range []struct {
		name, path string
		chart      bool
		check      func(t *testing.T, table func(id string) [][]string)
	}{
		{"federation", "/", true, func(t *testing.T, table func(string) [][]string) {
			last := byMember.Periods[len(byMember.Periods)-1]
			var want [][]string
			for _, m := range last.Members {
				want = append(want, []string{m.Member, m.Coop, string(m.Credits)})
			}
			sameRows(t, "standings (members)", table("standings-members-table"), want)
			var wantCoops [][]string
			for _, p := range byCoop.Periods {
				row := []string{p.Period}
				for _, id := range []string{"a", "b"} {
					for _, c := range p.Coops {
						if c.Coop == id {
							row = append(row, string(c.Credits))
						}
					}
				}
				wantCoops = append(wantCoops, row)
			}
			sameRows(t, "credits per co-op per period", table("credits-table"), wantCoops)
		}},
		{"coop-a", "/coops/a", true, func(t *testing.T, table func(string) [][]string) {
			got := table("kinds-table")
			if len(got) != len(byCoop.Periods) {
				t.Errorf("%d periods in the table, %d in accord score", len(got), len(byCoop.Periods))
			}
			for i, p := range byCoop.Periods {
				for _, c := range p.Coops {
					if c.Coop == "a" && i < len(got) && (got[i][0] != p.Period || got[i][len(got[i])-1] != string(c.Credits)) {
						t.Errorf("co-op a in %s: page %v, accord score %s", p.Period, got[i], c.Credits)
					}
				}
			}
		}},
		{"coop-b", "/coops/b", false, nil},
		{"member-alice", "/members/alice", true, func(t *testing.T, table func(string) [][]string) {
			var want [][]string
			for _, p := range byMember.Periods {
				for _, m := range p.Members {
					if m.Member == "alice" {
						want = append(want, []string{p.Period, m.Coop, string(m.Credits)})
					}
				}
			}
			got := table("member-credits-table")
			for i := range got {
				got[i] = got[i][:3]
			}
			sameRows(t, "alice's credits", got, want)
			if len(table("facts-table")) == 0 {
				t.Error("no facts behind alice's credits")
			}
		}},
		{"member-bob", "/members/bob", true, nil},
		{"proposal-1", "/proposals/1", false, func(t *testing.T, table func(string) [][]string) {
			tl := prop.Tally
			want := [][]string{{"yes", fmt.Sprint(tl.Yes)}, {"no", fmt.Sprint(tl.No)}, {"abstain", fmt.Sprint(tl.Abstain)}, {"block", fmt.Sprint(tl.Block)}}
			sameRows(t, "votes per option", table("options-table"), want)
			var wantCoops [][]string
			for _, c := range tl.ByCoop {
				wantCoops = append(wantCoops, []string{c.Coop, fmt.Sprintf("%d of %d", c.Voted, c.Eligible), fmt.Sprint(c.Yes), fmt.Sprint(c.No),
					fmt.Sprint(c.Abstain), fmt.Sprint(c.Block)})
			}
			sameRows(t, "votes per co-op", table("coop-votes-table"), wantCoops)
			var votes [][]string
			for _, v := range prop.Votes {
				votes = append(votes, []string{v.Member, v.Choice})
			}
			got := table("votes-table")
			for i := range got {
				got[i] = got[i][:2]
			}
			sameRows(t, "votes", got, votes)
		}},
		{"ledger", "/ledger", false, nil},
	} {
		t.Run(pg.name, func(t *testing.T) {
			for _, size := range []struct {
				name string
				w, h int64
				opts []chromedp.EmulateViewportOption
			}{{"desktop", 1280, 800, nil}, {"phone", 390, 844, []chromedp.EmulateViewportOption{chromedp.EmulateMobile, chromedp.EmulateTouch}}} {
				if err := chromedp.Do(ctx, chromedp.EmulateViewport(size.w, size.h, size.opts...), chromedp.Navigate(s.url+pg.path)); err != nil {
					t.Fatalf("%s: %v", pg.path, err)
				}
				png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(shots, pg.name+"-"+size.name+".png"), png, 0o644); err != nil {
					t.Fatal(err)
				}
				// The page fits the phone's width: nothing but the tables'
				// own scrolling regions is wider than the viewport.
				if size.name == "phone" {
					wide, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
					if err != nil || wide > int(size.w) {
						t.Errorf("on a phone the page is %d px wide (%v)", wide, err)
					}
				}
			}
			table := func(id string) [][]string {
				rows, err := chromedp.Run(ctx, chromedp.Evaluate[[][]string](fmt.Sprintf(
					`Array.from(document.querySelectorAll('#%s tbody tr')).map(tr => Array.from(tr.cells).map(c => c.innerText.trim()))`, id)))
				if err != nil {
					t.Fatalf("table %s: %v", id, err)
				}
				return rows
			}
			if pg.check != nil {
				pg.check(t, table)
			}
			// From the keyboard: the first Tab reaches the skip link, and
			// Enter on it moves the focus to the content.
			if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Tab)); err != nil {
				t.Fatal(err)
			}
			if f, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.className`)); f != "skip" {
				t.Errorf("the first Tab reaches %q, not the skip link", f)
			}
			if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Enter)); err != nil {
				t.Fatal(err)
			}
			if f, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.id`)); f != "main" {
				t.Errorf("the skip link leads to %q, not the content", f)
			}
			if pg.chart {
				bars, err := chromedp.Run(ctx, chromedp.Evaluate[[][]float64](
					`Array.from(document.querySelectorAll('svg.bars rect')).map(r => { const b = r.getBoundingClientRect(); return [b.width, b.height] })`))
				if err != nil || len(bars) == 0 {
					t.Errorf("no bars drawn: %v", err)
				}
				for _, b := range bars {
					if b[0] <= 0 || b[1] <= 0 {
						t.Errorf("a bar of size %v", b)
					}
				}
			}
			html, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`))
			if err != nil {
				t.Fatal(err)
			}
			if m := anEmail.FindString(html); m != "" {
				t.Errorf("the page shows the e-mail address %s", m)
			}
			links, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.links).map(a => a.href)`))
			if err != nil || len(links) == 0 {
				t.Fatalf("links: %v %v", links, err)
			}
			for _, l := range links {
				checkLink(t, s.url, l)
			}
			mu.Lock()
			if len(console) > 0 {
				t.Errorf("console:\n%s", strings.Join(console, "\n"))
				console = nil
			}
			mu.Unlock()
		})
	}
	t.Logf("screenshots in %s", shots)
}

// anEmail is what an e-mail address looks like: no page shows one (the
// federation's members have some, in coops.yml).
var anEmail = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`)

// forgeLink is a link to a forge: a profile, a repository, an issue or pull
// request, a commit or a release.
var forgeLink = regexp.MustCompile(`^/[^/]+(/[^/]+(/(issues/[0-9]+|commit/[0-9a-f]{7,40}|releases/tag/[^/]+))?)?$`)

// checkLink: a link of the site answers 200; a link to a forge is well
// formed.
func checkLink(t *testing.T, site, link string) {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		t.Errorf("link %q is not an http(s) URL", link)
		return
	}
	if strings.HasPrefix(link, site+"/") {
		u.Fragment = ""
		resp, err := http.Get(u.String())
		if err != nil {
			t.Errorf("link %s: %v", link, err)
			return
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("link %s: %d", link, resp.StatusCode)
		}
		return
	}
	if !forgeLink.MatchString(u.Path) || u.RawQuery != "" {
		t.Errorf("forge link %s is not a profile, repository, issue, commit or release", link)
	}
}

// sameRows compares a table's rows with what the CLI says.
func sameRows(t *testing.T, what string, got, want [][]string) {
	t.Helper()
	if len(want) == 0 {
		t.Errorf("%s: the CLI gives nothing to compare the page with", what)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s: the page shows\n%v\nthe CLI says\n%v", what, got, want)
	}
}

// scoreOf runs accord score --format json --by by on cfg's database.
func scoreOf(t *testing.T, cfg, by string) scorejson.Score {
	t.Helper()
	out, errOut, code := accord(t, filepath.Dir(cfg), nil, "score", "--config", cfg, "--format", "json", "--by", by)
	if code != 0 {
		t.Fatalf("score --by %s: %s", by, errOut)
	}
	var res scorejson.Score
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	return res
}
