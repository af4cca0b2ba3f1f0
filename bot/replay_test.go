package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accord-coop/accord/forges"
	"github.com/accord-coop/accord/forges/gitea"
	"github.com/accord-coop/accord/forges/github"
	"github.com/accord-coop/accord/ledger"
	"github.com/accord-coop/accord/policies"
	"github.com/accord-coop/accord/scoring"
	"github.com/accord-coop/accord/store"
)

// fixtureDeliveries are every real fixture as the intake would store it:
// GitHub's payloads and Gitea's captured deliveries.
func fixtureDeliveries(t *testing.T) []forges.Delivery {
	t.Helper()
	var out []forges.Delivery
	gh := github.NewWebhooks("github")
	files, _ := filepath.Glob("../forges/github/testdata/payloads/*.json")
	for i, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		h := http.Header{}
		h.Set("X-GitHub-Event", strings.SplitN(filepath.Base(f), ".", 2)[0])
		m := gh.Describe(h)
		if m.Ping {
			continue
		}
		out = append(out, forges.Delivery{Forge: "github", ID: fmt.Sprint("gh-", i), Event: m.Event, Headers: m.Headers,
			Body: body, ReceivedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)})
	}
	gt := gitea.NewWebhooks("gitea", gitea.Gitea)
	files, _ = filepath.Glob("../forges/gitea/testdata/deliveries/*.json")
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var fx struct {
			Headers map[string]string `json:"headers"`
			Body    string            `json:"body"`
		}
		if err := json.Unmarshal(raw, &fx); err != nil {
			t.Fatal(err)
		}
		h := http.Header{}
		for k, v := range fx.Headers {
			h.Set(k, v)
		}
		m := gt.Describe(h)
		out = append(out, forges.Delivery{Forge: "gitea", ID: m.DeliveryID, Event: m.Event, Headers: m.Headers,
			Body: []byte(fx.Body), ReceivedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)})
	}
	return out
}

// replay stores deliveries (with fresh IDs after the first pass, as a
// redelivery has) and runs the worker over them; it returns the ledger's
// facts.
func replay(t *testing.T, passes ...[]forges.Delivery) []ledger.Fact {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "accord.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rt := NewRouter()
	// root is the account the recorded Gitea's bot posted with (008, 009).
	rt.Self = NewSelf(map[string]forges.Client{"gitea": &identityClient{id: forges.Identity{Login: "root", Author: "root"}}})
	rt.On(&Facts{}, forges.KindPullRequest, forges.KindReview, forges.KindIssue, forges.KindComment, forges.KindPush, forges.KindRelease)
	parsers := map[string]forges.Webhooks{"github": github.NewWebhooks("github"), "gitea": gitea.NewWebhooks("gitea", gitea.Gitea)}
	w := NewWorker(st, parsers, rt, NewMetrics(nil), slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()
	for i, pass := range passes {
		for _, d := range pass {
			d.ID = fmt.Sprintf("pass%d-%s", i, d.ID)
			if _, err := st.InsertDelivery(ctx, d); err != nil {
				t.Fatal(err)
			}
		}
		for {
			n, err := w.ProcessBatch(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
		}
	}
	if _, _, err := st.VerifyLedger(ctx); err != nil {
		t.Fatal(err)
	}
	facts, err := st.Facts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return facts
}

// TestReplayCreditsOnce: every fixture replayed twice, or in reverse order,
// gives the same facts in the ledger and the same scores as once in order.
func TestReplayCreditsOnce(t *testing.T) {
	ds := fixtureDeliveries(t)
	reversed := slices.Clone(ds)
	slices.Reverse(reversed)
	once := replay(t, ds)
	twice := replay(t, ds, ds)
	backwards := replay(t, reversed)
	// testdata/facts.golden: 25 facts, of which GitHub's examples repeat the
	// same comment, issue, commit and release: 15 distinct.
	if len(once) != 15 {
		t.Fatalf("%d facts from the fixtures, want 15", len(once))
	}
	ids := func(fs []ledger.Fact) []string {
		var out []string
		for _, f := range fs {
			out = append(out, f.ID)
		}
		slices.Sort(out)
		return out
	}
	if !reflect.DeepEqual(ids(once), ids(twice)) || !reflect.DeepEqual(ids(once), ids(backwards)) {
		t.Errorf("facts differ: once %d, twice %d, reversed %d", len(once), len(twice), len(backwards))
	}
	// The example federation, with a co-op that lists the fixtures' repos:
	// otherwise none of their facts would count.
	files := map[string][]byte{}
	for _, n := range policies.FileNames() {
		files[n], _ = os.ReadFile(filepath.Join("../policies/examples", n))
	}
	files[policies.CoopsFile] = []byte(strings.Replace(string(files[policies.CoopsFile]), "\ncoops:\n",
		"\ncoops:\n  - id: fixtures\n    repos: [github:Codertocat/Hello-World, gitea:federation/commons]\n", 1))
	set, errs := policies.Parse(files, nil)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	a, b, c := scoring.Score(once, set), scoring.Score(twice, set), scoring.Score(backwards, set)
	if !reflect.DeepEqual(a, b) || !reflect.DeepEqual(a, c) {
		t.Errorf("scores differ between replays")
	}
	if len(a.Periods) == 0 {
		t.Error("no period scored")
	}
	for _, p := range a.Periods {
		if len(p.Outside) != 0 {
			t.Errorf("%s: facts outside the federation: %+v", p.Period.Name, p.Outside)
		}
	}
}
