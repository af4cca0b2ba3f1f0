package bot

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/accord-coop/accord/forges"
)

// Self knows who the bot is on each forge: the login the forge shows as the
// author of the bot's comments, as it reports it for the bot's credentials
// (forges.Client.Check, forges.Identity.Author: a token's user, or a GitHub
// App's "slug[bot]"). The bot knows its own comments by their author and
// their marker together; a user's comment carrying a marker is just a
// comment.
//
// Each forge is asked once and the answer kept. A failed lookup is an error
// for the caller to retry (the delivery or the effect), never a guess, and
// the forge is asked again next time. A forge without a client is one the
// bot has no credentials for: it cannot have posted anything there, so
// nothing there is its own. Safe for concurrent use; a nil *Self has no
// clients.
type Self struct {
	clients map[string]forges.Client
	mu      sync.Mutex
	known   map[string]*selfEntry // by forge name
}

type selfEntry struct {
	mu    sync.Mutex // held while the forge is asked, so it is asked once
	login string     // "" until known
}

// NewSelf returns the resolver for the clients (by forge name).
func NewSelf(clients map[string]forges.Client) *Self {
	return &Self{clients: clients, known: map[string]*selfEntry{}}
}

// Login returns the login of the bot's comments on forge, asking the forge
// the first time; "" (and no error) when the bot has no client there.
func (s *Self) Login(ctx context.Context, forge string) (string, error) {
	if s == nil {
		return "", nil
	}
	c, ok := s.clients[forge]
	if !ok || c == nil {
		return "", nil
	}
	s.mu.Lock()
	e := s.known[forge]
	if e == nil {
		e = &selfEntry{}
		s.known[forge] = e
	}
	s.mu.Unlock()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.login != "" {
		return e.login, nil
	}
	id, err := c.Check(ctx)
	if err != nil {
		return "", fmt.Errorf("who the bot is on %s: %w", forge, err)
	}
	if id == nil || id.Author == "" {
		return "", fmt.Errorf("who the bot is on %s: the forge named no author for its credentials", forge)
	}
	e.login = id.Author
	return e.login, nil
}

// Owns reports whether a comment on forge is the bot's own: it carries a
// marker and its author is the bot. Only the bot's own comments are not
// input (commands, votes, credit). The forge is asked only for a comment
// that carries a marker.
func (s *Self) Owns(ctx context.Context, forge string, c *forges.Comment) (bool, error) {
	if c == nil || !HasMarker(c.Body) {
		return false, nil
	}
	login, err := s.Login(ctx, forge)
	if err != nil || login == "" {
		return false, err
	}
	return strings.EqualFold(c.Author.Login, login), nil
}
