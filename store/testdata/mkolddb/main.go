// Command mkolddb makes store/testdata/release-9a817a8.db: a small database
// written by the store package of commit 9a817a8, the last release whose
// database had no schema version. Run it in a checkout of that commit:
//
//	git archive 9a817a8 | tar -x -C /tmp/old && cp -r store/testdata/mkolddb /tmp/old/cmd/
//	cd /tmp/old && go run ./cmd/mkolddb /tmp/release-9a817a8.db
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/accord-coop/accord/forges"
	"github.com/accord-coop/accord/ledger"
	"github.com/accord-coop/accord/store"
)

func main() {
	path := os.Args[1]
	ctx := context.Background()
	st, err := store.Open(path, store.Options{})
	if err != nil {
		log.Fatal(err)
	}
	t0 := time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)

	// The policy version in force: the example files, recorded and entered
	// in the ledger.
	files := map[string][]byte{}
	for _, n := range []string{"coops.yml", "scoring.yml", "governance.yml"} {
		b, err := os.ReadFile(filepath.Join("policies/examples", n))
		if err != nil {
			log.Fatal(err)
		}
		files[n] = b
	}
	pv := store.PolicyVersion{Version: "sha256:0a1b2c", Source: "dir:policies/examples", Content: "sha256:0a1b2c", Valid: true, Files: files, LoadedAt: t0}
	if _, err := st.RecordPolicyVersion(ctx, pv); err != nil {
		log.Fatal(err)
	}
	if _, err := st.AppendEntries(ctx, t0, []store.NewEntry{{Kind: ledger.KindPolicy, Key: "policy:" + pv.Version,
		Body: map[string]any{"version": pv.Version, "source": pv.Source, "content": pv.Content}}}); err != nil {
		log.Fatal(err)
	}

	// Deliveries: twelve comments, each made a fact; one left dead, one queued.
	for i := 1; i <= 12; i++ {
		at := t0.Add(time.Duration(i) * time.Hour)
		body, _ := json.Marshal(map[string]any{"action": "created", "comment": map[string]any{"id": 100 + i, "body": fmt.Sprintf("comment %d", i)},
			"repository": map[string]any{"full_name": "outlandish/website"}, "sender": map[string]any{"login": "alice"}})
		d := forges.Delivery{Forge: "gitea", ID: fmt.Sprintf("d-%02d", i), Event: "issue_comment",
			Headers: map[string]string{"X-Gitea-Event": "issue_comment", "X-Gitea-Delivery": fmt.Sprintf("d-%02d", i)}, Body: body, ReceivedAt: at}
		if _, err := st.InsertDelivery(ctx, d); err != nil {
			log.Fatal(err)
		}
	}
	claimed, err := st.ClaimDeliveries(ctx, t0.Add(24*time.Hour), 11)
	if err != nil {
		log.Fatal(err)
	}
	var outs []store.Outcome
	for i, d := range claimed {
		if i == 10 {
			outs = append(outs, store.Outcome{Seq: d.Seq, State: store.StateDead, Error: "forge said no"})
			continue
		}
		ev := &forges.Event{Forge: "gitea", DeliveryID: d.ID, Name: "issue_comment", Kind: forges.KindComment, Action: "created",
			Repo: forges.Repo{Owner: "outlandish", Name: "website"}, Actor: forges.User{Login: "alice"}, Time: d.ReceivedAt}
		f := ledger.Fact{ID: ledger.FactID("comment", "gitea", d.ID), Kind: "comment", Forge: "gitea", Repo: "outlandish/website",
			Number: 3, Ref: d.ID, Who: ledger.Person{Identity: "gitea:alice"}, At: d.ReceivedAt, Delivery: "gitea/" + d.ID}
		outs = append(outs, store.Outcome{Seq: d.Seq, State: store.StateDone, Event: ev,
			Entries: []store.NewEntry{{Kind: ledger.KindFact, Key: f.ID, Body: f}},
			Effects: []store.NewEffect{{Key: "react:" + d.ID, Forge: "gitea", Op: "react", Payload: []byte(`{"repo":"outlandish/website"}`)}}})
	}
	if err := st.FinishDeliveries(ctx, t0.Add(24*time.Hour), outs); err != nil {
		log.Fatal(err)
	}

	// Two proposals: one closed with its votes and outcome, one open.
	for n, state := range []string{"passed", "open"} {
		opened := t0.Add(time.Duration(30+n) * time.Hour)
		p := store.Proposal{Forge: "gitea", Repo: "outlandish/website", Number: int64(40 + n), IsPull: n == 0, Title: fmt.Sprintf("Proposal %d", n+1),
			Profile: "default", Policy: pv.Version, Proposer: "gitea:alice", Origin: fmt.Sprintf("comment:%d", 900+n), OpenedAt: opened, Deadline: opened.Add(7 * 24 * time.Hour)}
		id, err := st.OpenProposal(ctx, opened, p, []store.NewEntry{{Kind: ledger.KindOutcome, Key: fmt.Sprintf("open:%d", n),
			Body: map[string]any{"proposal": n + 1, "opened_at": opened}}}, nil)
		if err != nil {
			log.Fatal(err)
		}
		for j, who := range []string{"alice", "bob"} {
			v := store.VoteRow{CommentID: int64(1000 + 10*n + j), Member: who, Identity: "gitea:" + who, Choice: "yes", Reason: "", At: opened.Add(time.Duration(j+1) * time.Hour)}
			if _, err := st.PutVote(ctx, v.At, id, v, []store.NewEntry{{Kind: ledger.KindVote, Key: fmt.Sprintf("vote:%d:%d", id, v.CommentID),
				Body: map[string]any{"proposal": id, "member": who, "choice": "yes"}}}, nil); err != nil {
				log.Fatal(err)
			}
		}
		if state == "passed" {
			closed := opened.Add(3 * time.Hour)
			if _, err := st.CloseProposal(ctx, closed, id, "passed", []store.NewEntry{{Kind: ledger.KindOutcome, Key: fmt.Sprintf("outcome:%d", id),
				Body: map[string]any{"proposal": id, "outcome": "passed", "yes": 2}}}, nil); err != nil {
				log.Fatal(err)
			}
		}
	}
	if n, head, err := st.VerifyLedger(ctx); err != nil {
		log.Fatal(err)
	} else {
		fmt.Println(n, "entries, head", head)
	}
	if err := st.Close(); err != nil {
		log.Fatal(err)
	}
}
