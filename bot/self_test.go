package bot

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/accord-coop/accord/forges"
)

// identityClient answers Check only: with its errors, one a call, then with
// its identity; it counts the calls.
type identityClient struct {
	forges.Client
	mu    sync.Mutex
	id    forges.Identity
	fail  []error
	calls int
}

func (c *identityClient) Check(context.Context) (*forges.Identity, error) {
	time.Sleep(time.Millisecond) // long enough for concurrent callers to meet
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	if len(c.fail) > 0 {
		err := c.fail[0]
		c.fail = c.fail[1:]
		return nil, err
	}
	id := c.id
	return &id, nil
}

func (c *identityClient) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls
}

// TestSelfAsksEachForgeOnce: however many ask at once, each forge is asked
// once, and its answer kept; the login is the author of the credentials'
// comments (a GitHub App's bot user), not the App's slug.
func TestSelfAsksEachForgeOnce(t *testing.T) {
	gh := &identityClient{id: forges.Identity{Login: "accord-app", Author: "accord-app[bot]", Detail: "GitHub App 1, 1 installation"}}
	gt := &identityClient{id: forges.Identity{Login: "accord-bot", Author: "accord-bot", Detail: "Gitea 1.26.0"}}
	s := NewSelf(map[string]forges.Client{"github": gh, "gitea": gt})
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			forge, want := "github", "accord-app[bot]"
			if i%2 == 1 {
				forge, want = "gitea", "accord-bot"
			}
			got, err := s.Login(context.Background(), forge)
			if err != nil || got != want {
				t.Errorf("%s: %q, %v; want %q", forge, got, err, want)
			}
		}()
	}
	wg.Wait()
	if gh.count() != 1 || gt.count() != 1 {
		t.Errorf("asked github %d times, gitea %d times; want once each", gh.count(), gt.count())
	}
}

// TestSelfFailedLookupIsRetried: a failed lookup is an error that keeps the
// forge's (so a rate limit or an outage is retried as such), never a guess,
// and the forge is asked again next time.
func TestSelfFailedLookupIsRetried(t *testing.T) {
	down := &forges.APIError{Forge: "gitea", Op: "Check", Status: 503, Message: "Service Unavailable"}
	c := &identityClient{id: forges.Identity{Login: "accord-bot", Author: "accord-bot"}, fail: []error{down}}
	s := NewSelf(map[string]forges.Client{"gitea": c})
	ctx := context.Background()
	login, err := s.Login(ctx, "gitea")
	var ae *forges.APIError
	if login != "" || !errors.As(err, &ae) || !ae.Temporary() {
		t.Fatalf("login %q, err %v: want the forge's temporary error", login, err)
	}
	mine := &forges.Comment{Body: Marker("status 1") + "\nVote open", Author: forges.User{Login: "accord-bot"}}
	if own, err := s.Owns(ctx, "gitea", mine); err != nil || !own {
		t.Errorf("after the outage: own %v, err %v", own, err)
	}
	if c.count() != 2 {
		t.Errorf("asked %d times, want 2", c.count())
	}
	// An answer that names no author is an error too.
	blank := NewSelf(map[string]forges.Client{"gitea": &identityClient{id: forges.Identity{Login: "x"}}})
	if login, err := blank.Login(ctx, "gitea"); login != "" || err == nil {
		t.Errorf("no author: %q, %v", login, err)
	}
}

// TestSelfOwns: a comment is the bot's own only if its author is the bot
// and it carries a marker.
func TestSelfOwns(t *testing.T) {
	app := &identityClient{id: forges.Identity{Login: "accord", Author: "accord[bot]"}}
	s := NewSelf(map[string]forges.Client{"github": app})
	ctx := context.Background()
	marked := Marker("status 3") + "\nVote open"
	for _, tc := range []struct {
		forge, author, body string
		own                 bool
	}{
		{"github", "accord[bot]", marked, true},
		{"github", "Accord[bot]", marked, true}, // logins are case-insensitive
		{"github", "accord[bot]", "/vote yes", false},
		{"github", "mallory", marked, false},
		{"github", "accord", marked, false}, // a user named like the App's slug
		{"github", "mallory", "/vote yes\n" + Marker("result 3"), false},
		{"codeberg", "accord[bot]", marked, false}, // no client there: nothing is the bot's
	} {
		own, err := s.Owns(ctx, tc.forge, &forges.Comment{Body: tc.body, Author: forges.User{Login: tc.author}})
		if err != nil || own != tc.own {
			t.Errorf("%s %s %q: own %v, err %v; want %v", tc.forge, tc.author, tc.body, own, err, tc.own)
		}
	}
	if app.count() != 1 {
		t.Errorf("asked %d times, want once", app.count())
	}
	// A comment without a marker needs no lookup, and a nil Self owns nothing.
	fresh := &identityClient{id: forges.Identity{Author: "accord[bot]"}}
	if own, _ := NewSelf(map[string]forges.Client{"github": fresh}).Owns(ctx, "github", &forges.Comment{Body: "hi", Author: forges.User{Login: "accord[bot]"}}); own || fresh.count() != 0 {
		t.Errorf("unmarked comment: own %v, %d lookups", own, fresh.count())
	}
	var none *Self
	if own, err := none.Owns(ctx, "github", &forges.Comment{Body: marked, Author: forges.User{Login: "accord[bot]"}}); own || err != nil {
		t.Errorf("nil Self: own %v, err %v", own, err)
	}
}
