package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/accord-coop/accord/bot"
	"github.com/accord-coop/accord/ledger"
)

// TestSpoofedMarkers: on a vote, members post comments carrying the hidden
// markers of the bot's comments: the proposal's status, its result, the
// policy check, and a reply of the bot that failed once and is posted
// again. Through the real binary, Gitea- and GitHub-shaped (a token: the
// bot is the token's user, which the forge names): the bot posts its own
// status comment and edits only that, posts the result once, edits none of
// the members' comments, counts a `/vote yes` in a comment that opens with
// a marker and credits those comments as comments; a comment of the bot's
// account carrying a marker is its own, and not input.
func TestSpoofedMarkers(t *testing.T) { bothShapes(t, spoofedMarkers) }

func spoofedMarkers(t *testing.T, forge string) {
	fake, srv := newForgeState(t, forge == "github")
	dir := t.TempDir()
	scenarioConfig(t, dir, forge, srv.URL)
	sh := &shape{forge: forge, t: t}
	s := startServer(t, dir)
	st := s.openStore()
	const issue = 21
	post := func(id int, login, body string) {
		fake.addComment(issue, id, login, body)
		sh.comment(s, "created", issue, id, login, body)
	}
	// The first proposal of a new database is 1: these are its markers.
	status, result := bot.Marker("status 1"), bot.Marker("result 1")
	spoofs := map[int]string{
		2001: status + "\nVote open: 9 yes, 0 no",
		2002: result + "\nThe vote failed.",
		2003: bot.Marker("policy-check") + "\nThe policy files are valid.",
	}
	for _, id := range []int{2001, 2002, 2003} {
		post(id, []string{"bob", "carol", "dave"}[id-2001], spoofs[id])
	}
	post(2005, "alice", "/propose early")
	waitFor(t, "the bot's status comment", func() bool { return len(fake.botComments(issue, status)) == 1 })

	// mallory may not vote: the reply to her is refused once by the forge;
	// before it is posted again, erin posts a comment with its marker.
	reply := bot.Marker("effect " + forge + "/comment/2006/line/1/0") // keyed by the comment and the line
	fake.mu.Lock()
	fake.failPost = reply
	fake.mu.Unlock()
	post(2006, "mallory", "/vote yes")
	spoofs[2004] = reply + "\n@mallory you may vote after all."
	post(2004, "erin", spoofs[2004])
	// The bot's account with a marker: its own, so not a vote (and no reply).
	sh.comment(s, "created", issue, 2010, fake.bot, reply+"\n/vote yes")

	spoofs[2007] = result + "\n/vote yes"
	post(2007, "bob", spoofs[2007]) // counts: bob's vote
	post(2008, "carol", "/vote yes")
	post(2009, "dave", "/vote yes") // 3 of 5: decided, closes early
	waitFor(t, "the result and the reply posted again", func() bool {
		return len(fake.botComments(issue, result)) == 1 && len(fake.botComments(issue, reply)) == 1
	})
	waitProcessed(t, st)

	if o := outcomes(st)[issue]; o == nil || o["outcome"] != "passed" || o["yes"] != float64(3) {
		t.Errorf("outcome %v, want passed with 3 yes (bob's among them)", o)
	}
	statuses := fake.botComments(issue, status)
	if len(statuses) != 1 || !strings.Contains(statuses[0], "**Result: passed**") || !strings.Contains(statuses[0], "Votes: bob yes, carol yes, dave yes.") {
		t.Errorf("the bot's status comments: %q", statuses)
	}
	if r := fake.botComments(issue, result); len(r) != 1 || !strings.Contains(r[0], "**The vote passed.**") {
		t.Errorf("the bot's result comments: %q", r)
	}
	if r := fake.botComments(issue, reply); len(r) != 1 || !strings.Contains(r[0], "only members may vote") {
		t.Errorf("the bot's replies to mallory: %q", r)
	}
	fake.mu.Lock()
	refused, whoami := fake.refused, fake.whoami
	var botComments int
	for _, c := range fake.comments {
		id, _ := c["id"].(int)
		if want, ok := spoofs[id]; ok && c["body"] != want {
			t.Errorf("comment %d of %v was edited: %q", id, c["user"], c["body"])
		}
		if c["user"].(map[string]any)["login"] == fake.bot {
			botComments++
		}
	}
	fake.mu.Unlock()
	if refused != 1 {
		t.Errorf("%d posts refused, want 1 (the reply to mallory)", refused)
	}
	if botComments != 3 { // status, reply, result
		t.Errorf("%d comments by the bot, want 3", botComments)
	}
	if whoami != 1 {
		t.Errorf("the forge was asked who the bot is %d times, want once", whoami)
	}
	facts, err := st.Facts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var credited []string
	for _, f := range facts {
		if f.Kind == ledger.FactComment {
			credited = append(credited, f.Ref+" "+f.Who.Identity)
		}
	}
	slices.Sort(credited)
	want := []string{"2001 " + forge + ":bob", "2002 " + forge + ":carol", "2003 " + forge + ":dave", "2004 " + forge + ":erin", "2007 " + forge + ":bob"}
	if !slices.Equal(credited, want) {
		t.Errorf("comments credited %q, want %q", credited, want)
	}
}

// botComments are the bodies of the comments the bot's account wrote on an
// issue that open with marker.
func (f *forgeState) botComments(issue int64, marker string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.comments {
		b := fmt.Sprint(c["body"])
		if c["issue"] == issue && c["user"].(map[string]any)["login"] == f.bot && strings.HasPrefix(b, marker+"\n") {
			out = append(out, b)
		}
	}
	return out
}
