package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/accord-coop/accord/forges"
	"github.com/accord-coop/accord/forges/github"
	"github.com/accord-coop/accord/store"
	"github.com/accord-coop/accord/tally"
)

// commentPages answers GitHub's issue comments API over n vote comments,
// 100 a page with Link headers, as GitHub pages them.
func commentPages(b *testing.B, n int, created time.Time) *httptest.Server {
	all := make([]map[string]any, n)
	for i := range all {
		at := created.Add(time.Duration(i) * time.Millisecond).UTC().Format(time.RFC3339)
		all[i] = map[string]any{"id": 1000 + i, "body": "/vote yes", "created_at": at, "updated_at": at,
			"user": map[string]any{"login": fmt.Sprintf("v%05d", i), "type": "User"}}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/issues/5/comments") {
			http.NotFound(w, r)
			return
		}
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		page = max(page, 1)
		lo, hi := min((page-1)*100, n), min(page*100, n)
		if hi < n {
			w.Header().Set("Link", fmt.Sprintf(`<%s%s?page=%d&per_page=100>; rel="next"`, "http://"+r.Host, r.URL.Path, page+1))
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(all[lo:hi])
	}))
	b.Cleanup(srv.Close)
	return srv
}

// BenchmarkClose10000Votes closes a proposal of 10,000 votes at its
// deadline: the forge's comments read back (100 pages of 100, through the
// GitHub client, over loopback HTTP), the tally and the outcome in one
// transaction. "delivered": every vote had arrived, the read finds nothing
// new; "reconciled": none had, and all 10,000 are recorded at the close.
func BenchmarkClose10000Votes(b *testing.B) {
	for _, delivered := range []bool{true, false} {
		name := map[bool]string{true: "delivered", false: "reconciled"}[delivered]
		b.Run(name, func(b *testing.B) { benchClose(b, 10000, delivered) })
	}
}

func benchClose(b *testing.B, n int, delivered bool) {
	dir := b.TempDir()
	var coops strings.Builder
	coops.WriteString("version: 1\ncoops:\n  - {id: a, name: A}\nmembers:\n")
	for i := range n {
		fmt.Fprintf(&coops, "  - {id: v%05[1]d, identities: [github:v%05[1]d], memberships: [{coop: a, since: 2020-01-01}]}\n", i)
	}
	scoring := "version: 1\nweights: {pr_merged: 10, review_approved: 3, review_changes_requested: 3, review_commented: 1, issue_opened: 2, issue_closed: 1, comment: 0.5, commit: 1, release_published: 5, manual: 1}\n"
	gov := "version: 1\nprofiles:\n  default: {duration: 7d, voters: members, quorum: 0.5, threshold: 0.5}\n"
	for name, body := range map[string]string{"coops.yml": coops.String(), "scoring.yml": scoring, "governance.yml": gov} {
		os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644)
	}
	opened := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	srv := commentPages(b, n, opened.Add(time.Minute))
	client, err := github.NewClient(github.ClientConfig{Forge: "github", BaseURL: srv.URL + "/", Token: "t"})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		st, err := store.Open(filepath.Join(b.TempDir(), "accord.db"), store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		clk := &clock{t: opened}
		pols := &Policies{Source: PolicySource{Dir: dir}, Store: st, Log: slog.New(slog.DiscardHandler), Now: clk.now}
		if err := pols.Load(ctx); err != nil {
			b.Fatal(err)
		}
		h := &Proposals{Policies: pols, Store: st, Now: clk.now, Clients: map[string]forges.Client{"github": client}}
		p := store.Proposal{Forge: "github", Repo: "o/r", Number: 5, Title: "t", Profile: "default", Policy: pols.Current().Version,
			Proposer: "github:v00000", Origin: "bench", OpenedAt: opened, Deadline: opened.Add(7 * 24 * time.Hour)}
		id, err := st.OpenProposal(ctx, opened, p, nil, nil)
		if err != nil {
			b.Fatal(err)
		}
		p.ID = id
		if delivered {
			for i := range n {
				at := opened.Add(time.Minute + time.Duration(i)*time.Millisecond).Truncate(time.Second)
				c := Command{Name: CmdVote, Choice: tally.ChoiceYes, Line: 1}
				if _, err := h.putVote(ctx, &p, int64(1000+i), fmt.Sprintf("v%05d", i), fmt.Sprintf("github:v%05d", i), c, at, at, false); err != nil {
					b.Fatal(err)
				}
			}
		}
		clk.t = p.Deadline.Add(2 * time.Minute)
		b.StartTimer()
		if err := h.CloseDue(ctx); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		got, _ := st.GetProposal(ctx, id)
		votes, _ := st.Votes(ctx, id)
		if got.State != tally.OutcomePassed || len(votes) != n {
			b.Fatalf("state %s, %d votes", got.State, len(votes))
		}
		st.Close()
		b.StartTimer()
	}
}

// BenchmarkListComments10000 is the close's baseline: reading the same
// 10,000 comments, 100 a page, through the same client, and nothing else.
func BenchmarkListComments10000(b *testing.B) {
	srv := commentPages(b, 10000, time.Date(2026, 11, 1, 10, 1, 0, 0, time.UTC))
	client, err := github.NewClient(github.ClientConfig{Forge: "github", BaseURL: srv.URL + "/", Token: "t"})
	if err != nil {
		b.Fatal(err)
	}
	for range b.N {
		cs, err := client.ListComments(context.Background(), forges.RepoRef{Owner: "o", Name: "r"}, 5)
		if err != nil || len(cs) != 10000 {
			b.Fatal(len(cs), err)
		}
	}
}
