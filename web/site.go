// Package web is the federation's read-only pages and their JSON API,
// served by `accord serve` without a login (config web.public):
//
//	/                 the federation: credits per co-op per period, this period's
//	                  standings, open proposals, payouts, the ledger's head
//	/coops/{id}       a co-op: its members, credits by kind over time, its repositories
//	/members/{id}     a member: credits over time and the facts behind them
//	/proposals/{id}   a proposal: its rules, tally, votes and outcome
//	/ledger           the ledger's size, head, checkpoint and how to verify it
//	/api/v1/…         the same figures as JSON (docs/openapi.yaml)
//
// Pages are html/template on the server; charts are SVG drawn on the
// server; every asset is embedded; no script runs. Every answer carries a
// strict Content-Security-Policy. No e-mail address is ever shown: credit
// of someone known only by an e-mail is shown as an unaffiliated
// committer's.
package web

import (
	"context"
	"embed"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/accord-coop/accord/docs"
	"github.com/accord-coop/accord/policies"
	"github.com/accord-coop/accord/scoring"
	"github.com/accord-coop/accord/store"
)

// Credits gives the credits of the ledger's facts under the policy in
// force. Scored is a simple one; a keeper of pre-computed aggregates has
// the same method.
type Credits interface {
	Credits(ctx context.Context) (scoring.Result, error)
}

// Policy gives the policy version in force (bot.Policies), nil before one
// is loaded.
type Policy interface {
	Current() *policies.Set
}

// CSP is the Content-Security-Policy of every answer: nothing but the
// site's own stylesheet and images; no script, no form, no frame.
const CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"

// Site serves the pages and the API.
type Site struct {
	Store   *store.Store
	Credits Credits
	Policy  Policy
	// Forges maps a forge's name (the prefix of identities and
	// repositories) to its web address, e.g. "https://codeberg.org", for
	// links to repositories, issues and commits. A forge not listed is
	// shown without links.
	Forges map[string]string
	// PublicURL is where members reach this server (config public_url),
	// for the commands the ledger page gives; "" takes the request's host.
	PublicURL string
	// PolicyURL is the governance repository's address, the source of the
	// federation page; "" for policy files in a local directory.
	PolicyURL string
	Now       func() time.Time // the clock; time.Now when nil
	Log       *slog.Logger     // nil: errors are not logged
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

type route struct {
	pattern string
	h       http.HandlerFunc
}

func (s *Site) routes() []route {
	static, _ := fs.Sub(staticFS, "static")
	files := http.StripPrefix("/static/", http.FileServerFS(static))
	return []route{
		{"GET /{$}", s.page(s.federationPage)},
		{"GET /coops/{id}", s.page(s.coopPage)},
		{"GET /members/{id}", s.page(s.memberPage)},
		{"GET /proposals/{id}", s.page(s.proposalPage)},
		{"GET /ledger", s.page(s.ledgerPage)},
		{"GET /static/", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "public, max-age=3600")
			files.ServeHTTP(w, r)
		}},
		{"GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/static/favicon.svg", http.StatusMovedPermanently)
		}},
		{"GET /api/v1/federation", s.api(s.federationAPI)},
		{"GET /api/v1/coops/{id}", s.api(s.coopAPI)},
		{"GET /api/v1/members/{id}", s.api(s.memberAPI)},
		{"GET /api/v1/proposals", s.api(s.proposalsAPI)},
		{"GET /api/v1/proposals/{id}", s.api(s.proposalAPI)},
		{"GET /api/v1/ledger", s.api(s.ledgerAPI)},
		{"GET /api/v1/openapi.yaml", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
			w.Write(docs.OpenAPI)
		}},
	}
}

// Register adds the pages and the API with handle (a ServeMux's Handle);
// each answer carries the CSP.
func (s *Site) Register(handle func(pattern string, h http.Handler)) {
	for _, r := range s.routes() {
		handle(r.pattern, secure(r.h))
	}
}

// secure sets the headers every answer of the site carries.
func secure(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", CSP)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		h.ServeHTTP(w, r)
	})
}

func (s *Site) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// errNotFound is a page or API answer's 404: no such co-op, member or
// proposal.
var errNotFound = errors.New("not found")

// errNoPolicy: no policy version is in force yet.
var errNoPolicy = errors.New("no policy version is in force yet")

func (s *Site) policy() (*policies.Set, error) {
	if s.Policy == nil {
		return nil, errNoPolicy
	}
	set := s.Policy.Current()
	if set == nil {
		return nil, errNoPolicy
	}
	return set, nil
}

// fail is the status and message of err, logged when it is the server's.
func (s *Site) fail(r *http.Request, err error) (status int, msg string) {
	switch {
	case errors.Is(err, errNotFound):
		return http.StatusNotFound, "Not found: " + r.URL.Path
	case errors.Is(err, errNoPolicy):
		return http.StatusServiceUnavailable, "No policy version is in force yet."
	default:
		if s.Log != nil {
			s.Log.Warn("web", "path", r.URL.Path, "err", err)
		}
		return http.StatusServiceUnavailable, "The ledger cannot be read now."
	}
}

// forgeURL is the web address of path ("owner/repo/issues/3") on forge,
// or "" for a forge without a known address.
func (s *Site) forgeURL(forge string, path ...string) string {
	base := strings.TrimSuffix(s.Forges[forge], "/")
	if base == "" {
		return ""
	}
	return base + "/" + strings.Join(path, "/")
}

// repoURL is the web address of "forge:owner/repo".
func (s *Site) repoURL(repo string) string {
	forge, name, ok := strings.Cut(repo, ":")
	if !ok {
		return ""
	}
	return s.forgeURL(forge, name)
}
