package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/accord-coop/accord/policies"
)

// page is what every template gets: its title, its data, and where its
// source is on the forge.
type page struct {
	Title  string
	Source string // the forge address of what the page shows, if there is one
	API    string // the JSON of the page
	Data   any
}

var funcs = template.FuncMap{
	"date": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
	"day":  day,
	"left": func(secs int64) string { return duration(time.Duration(secs) * time.Second) },
	"who":  shown,
	"short": func(h string) string {
		if len(h) > 16 {
			return h[:16] + "…"
		}
		return h
	},
	"kind":     func(k string) string { return strings.ReplaceAll(k, "_", " ") },
	"rules":    rulesInWords,
	"kinds":    sortedKinds,
	"pct":      func(n, of int) string { return fmt.Sprintf("%d%%", n*100/max(of, 1)) },
	"quorumOf": quorumOf,
	"add":      func(a, b float64) float64 { return a + b },
	"sub":      func(a, b float64) float64 { return a - b },
}

// quorumOf is how many of eligible must vote to meet a quorum share such
// as "0.5".
func quorumOf(share string, eligible int) int {
	m, err := policies.ParseMilli(share)
	if err != nil {
		return 0
	}
	n := int64(eligible) * int64(m)
	need := n / int64(policies.One)
	if n%int64(policies.One) != 0 {
		need++
	}
	return int(need)
}

var pages = map[string]*template.Template{}

func init() {
	for _, name := range []string{"federation", "coop", "member", "proposal", "ledger", "error"} {
		pages[name] = template.Must(template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html"))
	}
}

// page makes a handler of a page's builder: it returns the template's
// name and its page.
func (s *Site) page(build func(r *http.Request) (string, page, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name, p, err := build(r)
		status := http.StatusOK
		if err != nil {
			var msg string
			status, msg = s.fail(r, err)
			name, p = "error", page{Title: http.StatusText(status), Data: msg}
		}
		var buf bytes.Buffer
		if err := pages[name].ExecuteTemplate(&buf, "layout", p); err != nil {
			if s.Log != nil {
				s.Log.Error("web: template", "page", name, "err", err)
			}
			http.Error(w, "the page cannot be shown", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.WriteHeader(status)
		w.Write(buf.Bytes())
	}
}

// api makes a handler of an API answer's builder.
func (s *Site) api(build func(r *http.Request) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := build(r)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-cache")
		if err != nil {
			status, msg := s.fail(r, err)
			w.WriteHeader(status)
			json.NewEncoder(w).Encode(map[string]string{"error": msg})
			return
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(v)
	}
}

func (s *Site) federationAPI(r *http.Request) (any, error) { return s.federation(r.Context()) }
func (s *Site) coopAPI(r *http.Request) (any, error)       { return s.coop(r.Context(), r.PathValue("id")) }
func (s *Site) memberAPI(r *http.Request) (any, error) {
	return s.member(r.Context(), r.PathValue("id"))
}
func (s *Site) proposalsAPI(r *http.Request) (any, error) { return s.proposals(r.Context()) }
func (s *Site) proposalAPI(r *http.Request) (any, error) {
	return s.proposal(r.Context(), r.PathValue("id"))
}
func (s *Site) ledgerAPI(r *http.Request) (any, error) { return s.ledger(r.Context()) }

// federationView is the federation page's data.
type federationView struct {
	Federation
	Chart   chart
	Current bool              // Standings is the period of today
	Names   map[string]string // co-op id → name
}

func (s *Site) federationPage(r *http.Request) (string, page, error) {
	f, err := s.federation(r.Context())
	if err != nil {
		return "", page{}, err
	}
	v := federationView{Federation: f, Names: map[string]string{}}
	var bars, series []string
	for _, c := range f.Coops {
		series = append(series, c.Name)
		v.Names[c.ID] = c.Name
	}
	var values [][]int64
	for _, p := range f.Periods {
		bars = append(bars, p.Period)
		row := make([]int64, len(f.Coops))
		for _, pc := range p.Coops {
			for i, c := range f.Coops {
				if c.ID == pc.Coop {
					row[i] = milli(pc.Credits)
				}
			}
		}
		values = append(values, row)
	}
	v.Chart = stacked("credits-chart", "Credits per co-op per period", bars, series, values)
	if f.Standings != nil {
		v.Current = !s.now().Before(f.Standings.Start) && s.now().Before(f.Standings.End)
	}
	return "federation", page{Title: "The federation", Source: s.PolicyURL, API: "/api/v1/federation", Data: v}, nil
}

// coopView is a co-op page's data.
type coopView struct {
	Coop
	Chart chart
	Kinds []string
}

func (s *Site) coopPage(r *http.Request) (string, page, error) {
	c, err := s.coop(r.Context(), r.PathValue("id"))
	if err != nil {
		return "", page{}, err
	}
	v := coopView{Coop: c}
	var all []map[string]json.Number
	for _, p := range c.Periods {
		all = append(all, p.ByKind)
	}
	v.Kinds = sortedKinds(all...)
	var bars []string
	var values [][]int64
	for _, p := range c.Periods {
		bars = append(bars, p.Period)
		row := make([]int64, len(v.Kinds))
		for i, k := range v.Kinds {
			row[i] = milli(p.ByKind[k])
		}
		values = append(values, row)
	}
	var series []string
	for _, k := range v.Kinds {
		series = append(series, strings.ReplaceAll(k, "_", " "))
	}
	v.Chart = stacked("kinds-chart", "Credits of "+c.Name+" by kind of contribution", bars, series, values)
	src := ""
	if len(c.Repos) > 0 {
		src = c.Repos[0].URL
	}
	return "coop", page{Title: c.Name, Source: src, API: "/api/v1/coops/" + c.ID, Data: v}, nil
}

// memberView is a member page's data.
type memberView struct {
	Member
	Chart chart
	Coops []string
}

func (s *Site) memberPage(r *http.Request) (string, page, error) {
	m, err := s.member(r.Context(), r.PathValue("id"))
	if err != nil {
		return "", page{}, err
	}
	v := memberView{Member: m}
	for _, ms := range m.Memberships {
		if !slices.Contains(v.Coops, ms.Coop) {
			v.Coops = append(v.Coops, ms.Coop)
		}
	}
	var bars []string
	var values [][]int64
	for _, p := range m.Periods {
		bars = append(bars, p.Period)
		row := make([]int64, len(v.Coops))
		for _, bc := range p.ByCoop {
			for i, c := range v.Coops {
				if c == bc.Coop {
					row[i] += milli(bc.Credits)
				}
			}
		}
		values = append(values, row)
	}
	title := m.ID
	if m.Name != "" {
		title = m.Name
	}
	v.Chart = stacked("member-chart", "Credits of "+title+" per period, by co-op", bars, v.Coops, values)
	src := ""
	if len(m.Identities) > 0 {
		src = m.Identities[0].URL
	}
	return "member", page{Title: title, Source: src, API: "/api/v1/members/" + m.ID, Data: v}, nil
}

func (s *Site) proposalPage(r *http.Request) (string, page, error) {
	p, err := s.proposal(r.Context(), r.PathValue("id"))
	if err != nil {
		return "", page{}, err
	}
	return "proposal", page{Title: fmt.Sprintf("Proposal %d: %s", p.ID, p.Title), Source: p.IssueURL,
		API: fmt.Sprint("/api/v1/proposals/", p.ID), Data: p}, nil
}

// ledgerView is the ledger page's data.
type ledgerView struct {
	Ledger
	Server string // this server's address, for the commands
}

func (s *Site) ledgerPage(r *http.Request) (string, page, error) {
	l, err := s.ledger(r.Context())
	if err != nil {
		return "", page{}, err
	}
	server := strings.TrimSuffix(s.PublicURL, "/")
	if server == "" {
		scheme := "https"
		if r.TLS == nil {
			scheme = "http"
		}
		server = scheme + "://" + r.Host
	}
	return "ledger", page{Title: "The ledger", Source: s.PolicyURL, API: "/api/v1/ledger", Data: ledgerView{Ledger: l, Server: server}}, nil
}

// milli is a JSON credit back in milli-credits (for charts).
func milli(n json.Number) int64 {
	m, err := policies.ParseMilli(string(n))
	if err != nil {
		return 0
	}
	return int64(m)
}
