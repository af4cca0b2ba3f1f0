package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/accord-coop/accord/forges"
	"github.com/accord-coop/accord/store"
)

// fakeDelivery is one attempt at a webhook delivery as GitHub records it,
// with the request it made (to make it again).
type fakeDelivery struct {
	id         int64
	guid       string
	event      string
	at         time.Time
	status     int
	redelivery bool
	header     http.Header
	body       []byte
}

var (
	reRepoIssues   = regexp.MustCompile(`^/repos/([^/]+)/([^/]+)/issues$`)
	reRepoComments = regexp.MustCompile(`^/repos/([^/]+)/([^/]+)/issues/comments$`)
	reReleases     = regexp.MustCompile(`^/repos/[^/]+/[^/]+/releases$`)
	reHooks        = regexp.MustCompile(`^/repos/[^/]+/[^/]+/hooks$`)
	reDeliveries   = regexp.MustCompile(`^/repos/[^/]+/[^/]+/hooks/1/deliveries$`)
	reRedeliver    = regexp.MustCompile(`^/repos/[^/]+/[^/]+/hooks/1/deliveries/(\d+)/attempts$`)
)

// record notes an attempt at a delivery; status 0: Accord did not answer.
func (f *forgeState) record(h http.Header, body []byte, status int, redelivery bool) *fakeDelivery {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.recordLocked(h, body, status, redelivery)
}

func (f *forgeState) recordLocked(h http.Header, body []byte, status int, redelivery bool) *fakeDelivery {
	d := &fakeDelivery{id: int64(len(f.deliveries) + 1), guid: h.Get("X-GitHub-Delivery"), event: h.Get("X-GitHub-Event"),
		at: time.Now().UTC(), status: status, redelivery: redelivery, header: h, body: body}
	f.deliveries = append(f.deliveries, d)
	return d
}

func (f *forgeState) setHookURL(u string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hookURL = u
}

// serveCatchUp answers what catching up asks (f.mu is held): Gitea's
// issues and comments changed since a time and its releases; GitHub's
// repository webhook, its deliveries, and redeliveries, which it makes
// to hookURL as GitHub would.
func (f *forgeState) serveCatchUp(m, path string, r *http.Request, reply func(int, any)) bool {
	since, _ := time.Parse(time.RFC3339, r.URL.Query().Get("since"))
	first := r.URL.Query().Get("page") <= "1"
	switch {
	case m == "GET" && reRepoComments.MatchString(path) && !f.github:
		sm := reRepoComments.FindStringSubmatch(path)
		out := []any{}
		for _, c := range f.comments {
			up, _ := time.Parse(time.RFC3339, fmt.Sprint(c["updated_at"]))
			if first && !up.Before(since) {
				cc := map[string]any{}
				for k, v := range c {
					cc[k] = v
				}
				cc["issue_url"] = fmt.Sprintf("http://%s/%s/%s/issues/%v", r.Host, sm[1], sm[2], c["issue"])
				cc["pull_request_url"] = ""
				out = append(out, cc)
			}
		}
		reply(200, out)
	case m == "GET" && reRepoIssues.MatchString(path) && !f.github:
		updated := map[int64]time.Time{}
		for _, c := range f.comments {
			up, _ := time.Parse(time.RFC3339, fmt.Sprint(c["updated_at"]))
			n, _ := c["issue"].(int64)
			if up.After(updated[n]) {
				updated[n] = up
			}
		}
		out := []any{}
		var ns []int64
		for n := range updated {
			ns = append(ns, n)
		}
		slices.Sort(ns)
		for _, n := range ns {
			if !first || updated[n].Before(since) {
				continue
			}
			labels := []any{}
			for _, l := range f.issue[n] {
				labels = append(labels, map[string]any{"id": f.labels[l], "name": l})
			}
			out = append(out, map[string]any{"id": 100 + n, "number": n, "title": fmt.Sprint("Scenario ", n), "state": "open",
				"user": map[string]any{"id": 2, "login": "alice"}, "labels": labels, "pull_request": nil,
				"created_at": "2020-01-01T00:00:00Z", "updated_at": updated[n].Format(time.RFC3339)})
		}
		reply(200, out)
	case m == "GET" && reReleases.MatchString(path):
		reply(200, []any{})
	case m == "GET" && reHooks.MatchString(path) && f.github:
		reply(200, []any{map[string]any{"id": 1, "name": "web", "active": true, "events": []string{"issue_comment"},
			"config": map[string]any{"url": "https://accord.example.coop/hooks/github", "content_type": "json"}}})
	case m == "GET" && reDeliveries.MatchString(path) && f.github:
		out := []any{}
		for i := len(f.deliveries) - 1; i >= 0; i-- { // newest first
			d := f.deliveries[i]
			status := "OK"
			if d.status == 0 {
				status = "failed to connect"
			}
			out = append(out, map[string]any{"id": d.id, "guid": d.guid, "delivered_at": d.at.Format(time.RFC3339), "redelivery": d.redelivery,
				"duration": 0.01, "status": status, "status_code": d.status, "event": d.event, "action": "created", "repository_id": 1296269})
		}
		reply(200, out)
	case m == "POST" && reRedeliver.MatchString(path) && f.github:
		id, _ := strconv.ParseInt(reRedeliver.FindStringSubmatch(path)[1], 10, 64)
		if id < 1 || int(id) > len(f.deliveries) {
			reply(404, map[string]string{"message": "Not Found"})
			return true
		}
		orig := f.deliveries[id-1]
		d := f.recordLocked(orig.header, orig.body, 0, true)
		go f.redeliver(d)
		reply(202, map[string]any{})
	default:
		return false
	}
	return true
}

// redeliver makes a redelivery's request to Accord, once it listens.
func (f *forgeState) redeliver(d *fakeDelivery) {
	deadline := time.Now().Add(20 * time.Second)
	for {
		f.mu.Lock()
		u := f.hookURL
		f.mu.Unlock()
		if u != "" || time.Now().After(deadline) {
			req, err := http.NewRequest("POST", u, bytes.NewReader(d.body))
			if err != nil {
				return
			}
			req.Header = d.header.Clone()
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				resp.Body.Close()
				f.mu.Lock()
				d.status = resp.StatusCode
				f.mu.Unlock()
			}
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestCatchUpAfterDowntime: Accord records a /propose and a vote, and is
// stopped; meanwhile a member votes, another changes a vote and a third
// votes. Gitea marks its deliveries failed, GitHub keeps them in its
// deliveries API. Accord starts: every one of those events is recorded
// exactly once and counts in the vote; a further start finds nothing new.
func TestCatchUpAfterDowntime(t *testing.T) {
	bothShapes(t, func(t *testing.T, forge string) {
		r := newRig(t, forge, func(t *testing.T, dir, forge, url string) { voteConfig(t, dir, forge, url) })
		gh := forge == "github"
		r.sh.down = func(h http.Header, body []byte) {
			code := r.s.post(forge, h, body)
			if code != 202 {
				t.Fatalf("delivery: %d", code)
			}
			if gh {
				r.fake.record(h, body, code, false)
			}
		}
		r.sh.comment(r.s, "created", 1, 1, "alice", "/propose")
		waitFor(t, "the vote to open", func() bool {
			_, status, _ := r.fake.snapshot()
			return status != ""
		})
		r.clk.add(time.Minute)
		r.sh.comment(r.s, "created", 1, 2, "bob", "/vote yes")
		waitProcessed(t, r.st)

		r.s.kill()
		r.sh.down = func(h http.Header, body []byte) {
			if gh {
				r.fake.record(h, body, 0, false) // GitHub keeps the failed attempt; Gitea moves on
			}
		}
		r.clk.add(time.Minute)
		r.sh.comment(r.s, "created", 1, 3, "carol", "/vote no")
		r.clk.add(time.Minute)
		r.sh.comment(r.s, "edited", 1, 2, "bob", "/vote no")
		r.sh.comment(r.s, "created", 1, 4, "alice", "/vote yes")

		ctx := context.Background()
		cursorBefore := catchUpCursor(t, r.st, forge)
		r.s = startInProcess(t, r.dir, r.clk)
		r.fake.setHookURL(r.s.url + "/hooks/" + forge)
		repo := ""
		waitFor(t, "the votes cast while Accord was down", func() bool {
			evs, _ := r.st.Events(ctx)
			if len(evs) > 0 {
				repo = evs[0].Event.Repo.FullName()
			}
			p, _ := r.st.OpenProposalOn(ctx, forge, repo, 1)
			if p == nil {
				return false
			}
			vs, _ := r.st.Votes(ctx, p.ID)
			got := map[int64]string{}
			for _, v := range vs {
				got[v.CommentID] = v.Choice
			}
			return got[2] == "no" && got[3] == "no" && got[4] == "yes"
		})
		waitProcessed(t, r.st)
		want := map[string]int{"1 created": 1, "2 created": 1, "3 created": 1, "2 edited": 1, "4 created": 1}
		if got := commentEvents(t, r.st); !mapsEqual(got, want) {
			t.Errorf("comment events recorded %v, want %v", got, want)
		}

		// Again: nothing new is found.
		cursor := catchUpCursor(t, r.st, forge)
		if cursor.Equal(cursorBefore) {
			t.Errorf("the catch-up cursor did not move (%v)", cursor)
		}
		r.s.kill()
		r.clk.add(time.Minute)
		r.s = startInProcess(t, r.dir, r.clk)
		r.fake.setHookURL(r.s.url + "/hooks/" + forge)
		waitFor(t, "catching up again", func() bool { return !catchUpCursor(t, r.st, forge).Equal(cursor) })
		time.Sleep(200 * time.Millisecond) // a redelivery, were one asked for, would arrive
		waitProcessed(t, r.st)
		if got := commentEvents(t, r.st); !mapsEqual(got, want) {
			t.Errorf("after another start: comment events recorded %v, want %v", got, want)
		}
		if gh {
			r.fake.mu.Lock()
			redelivered := 0
			for _, d := range r.fake.deliveries {
				if d.redelivery {
					redelivered++
				}
			}
			r.fake.mu.Unlock()
			if redelivered != 3 {
				t.Errorf("%d redeliveries, want 3 (the deliveries that failed, once each)", redelivered)
			}
		}
	})
}

// catchUpCursor is where catching up stands on forge: GitHub's deliveries,
// or the one repository's scan.
func catchUpCursor(t *testing.T, st *store.Store, forge string) time.Time {
	t.Helper()
	repo := ""
	if forge != "github" {
		repo = "federation/commons"
	}
	c, err := st.GetCatchUp(context.Background(), forge, repo)
	if err != nil {
		t.Fatal(err)
	}
	if c == nil {
		return time.Time{}
	}
	return c.Since
}

// commentEvents counts the recorded comment events by "comment action".
func commentEvents(t *testing.T, st *store.Store) map[string]int {
	t.Helper()
	evs, err := st.Events(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, e := range evs {
		if e.Event.Kind == forges.KindComment && !strings.Contains(e.Event.Comment.Body, "<!--") && e.Event.Actor.Login != "accord-bot" {
			out[fmt.Sprintf("%d %s", e.Event.Comment.ID, e.Event.Action)]++
		}
	}
	return out
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
