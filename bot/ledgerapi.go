package bot

import (
	"net/http"
	"strconv"

	"github.com/accord-coop/accord/transparency"
)

// The ledger's head for witnesses (`accord ledger witness`), read-only:
//
//	GET /api/v1/ledger/checkpoint               the latest signed checkpoint, as published
//	GET /api/v1/ledger/consistency?from=N&to=M  the proof that the tree of N entries is a prefix
//	                                            of the tree of M: one base64 hash a line
//
// A witness that holds a checkpoint of N entries fetches the latest (M
// entries) and the proof between them, and checks both against the
// federation's verifier key: it needs to trust neither the server nor the
// network.

func (s *Server) ledgerCheckpoint(w http.ResponseWriter, r *http.Request) {
	cp, err := s.Store.LatestCheckpoint(r.Context())
	if err != nil {
		http.Error(w, "the ledger cannot be read now", http.StatusServiceUnavailable)
		return
	}
	if cp == nil {
		http.Error(w, "no checkpoint has been signed (the server has no ledger.key_file)", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write([]byte(cp.Signed))
}

func (s *Server) ledgerConsistency(w http.ResponseWriter, r *http.Request) {
	from, err1 := strconv.ParseInt(r.URL.Query().Get("from"), 10, 64)
	to, err2 := strconv.ParseInt(r.URL.Query().Get("to"), 10, 64)
	if err1 != nil || err2 != nil || from < 1 || to < from {
		http.Error(w, "give from and to, tree sizes with 1 <= from <= to", http.StatusBadRequest)
		return
	}
	size, _, err := s.Store.TreeHead(r.Context())
	if err != nil {
		http.Error(w, "the ledger cannot be read now", http.StatusServiceUnavailable)
		return
	}
	if to > size {
		http.Error(w, "the ledger has "+strconv.FormatInt(size, 10)+" entries", http.StatusNotFound)
		return
	}
	proof, err := transparency.ProveConsistency(from, to, s.Store.HashReader(r.Context()))
	if err != nil {
		http.Error(w, "the ledger cannot be read now", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write(transparency.FormatTreeProof(proof))
}
