package web

import (
	"context"
	"sync"

	"github.com/accord-coop/accord/scoring"
	"github.com/accord-coop/accord/store"
)

// Scored is the simple Credits: scoring.Score over every fact of the
// ledger under the policy in force, computed again only when the ledger
// has grown or another version is in force.
type Scored struct {
	Store  *store.Store
	Policy Policy

	mu      sync.Mutex
	size    int64
	version string
	res     *scoring.Result
}

// Credits scores the ledger's facts under the policy in force.
func (s *Scored) Credits(ctx context.Context) (scoring.Result, error) {
	set := s.Policy.Current()
	if set == nil {
		return scoring.Result{}, errNoPolicy
	}
	head, err := s.Store.LedgerHead(ctx)
	if err != nil {
		return scoring.Result{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.res != nil && s.size == head.Size && s.version == set.Version {
		return *s.res, nil
	}
	// Facts may hold entries recorded after head: then the next call
	// scores again, which costs time, never correctness.
	facts, err := s.Store.Facts(ctx)
	if err != nil {
		return scoring.Result{}, err
	}
	res := scoring.Score(facts, set)
	s.size, s.version, s.res = head.Size, set.Version, &res
	return res, nil
}
