package policies

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzParse feeds random YAML as each of the three files. Parse must not
// panic, and must return either a complete Set and no errors, or no Set and
// errors that each name one of the files and a position inside it.
func FuzzParse(f *testing.F) {
	f.Add([]byte(baseCoops), []byte(baseScoring), []byte(baseGovernance))
	f.Fuzz(func(t *testing.T, coops, scoring, governance []byte) {
		files := map[string][]byte{CoopsFile: coops, ScoringFile: scoring, GovernanceFile: governance}
		set, errs := Parse(files, testForges)
		if set != nil {
			if len(errs) > 0 {
				t.Fatalf("a set and %d errors", len(errs))
			}
			if set.Coops == nil || set.Scoring == nil || set.Governance == nil || !strings.HasPrefix(set.Version, "sha256:") {
				t.Fatalf("incomplete set %+v", set)
			}
			if set.Governance.Default() == nil {
				t.Fatal("a valid set without a default profile")
			}
			return
		}
		if len(errs) == 0 {
			t.Fatal("neither a set nor errors")
		}
		for _, e := range errs {
			data, ok := files[e.File]
			if !ok {
				t.Fatalf("error in unknown file %q: %v", e.File, e)
			}
			if e.Line < 1 || e.Col < 1 || e.Msg == "" {
				t.Fatalf("error without a position or message: %#v", e)
			}
			if lines := bytes.Count(data, []byte("\n")) + 1; e.Line > lines {
				t.Fatalf("error at line %d of a file of %d lines: %v", e.Line, lines, e)
			}
		}
	})
}
