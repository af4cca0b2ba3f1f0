package audit

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/accord-coop/accord/ledger"
)

// FuzzAudit feeds random exports to Run, the audit's whole import path
// (lines, entries, the bodies of policy versions, proposals, votes and
// outcomes): it must not panic or fail on what it reads; it must say of the
// chain what ledger.VerifyJSONL says; and it must say the same thing twice.
// The seed corpus (testdata/fuzz/FuzzAudit) holds exports of the ledgers
// the unit tests write, matching and forged.
func FuzzAudit(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Run(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		n, head, verr := ledger.VerifyJSONL(bytes.NewReader(data))
		switch {
		case verr == nil && (r.Broken != nil || r.Held != n || r.Entries != n || r.Head != head):
			t.Fatalf("the chain holds (%d entries, head %s); the audit: %+v", n, head, r)
		case verr != nil && (r.Broken == nil || r.Held != n || r.Broken.Error() != verr.Error()):
			t.Fatalf("the chain is broken (%v after %d); the audit: %v after %d", verr, n, r.Broken, r.Held)
		}
		again, _ := Run(bytes.NewReader(data))
		if fmt.Sprint(again.Differences, again.Summary(), again.Notes) != fmt.Sprint(r.Differences, r.Summary(), r.Notes) {
			t.Fatalf("two audits of the same export differ:\n%v\n%v", r, again)
		}
		if r.OK() != (r.Broken == nil && len(r.Differences) == 0) {
			t.Fatal("OK disagrees with the report")
		}
	})
}
