package bot

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// render writes commands as the table below expects them: "LINE:name args",
// or "LINE:!" and the error without the usage.
func render(cs []Command) string {
	var out []string
	for _, x := range cs {
		switch {
		case x.Err != "":
			out = append(out, fmt.Sprintf("%d:!%s", x.Line, strings.SplitN(x.Err, ". Commands:", 2)[0]))
		case x.Name == CmdVote:
			out = append(out, fmt.Sprintf("%d:vote %s|%s", x.Line, x.Choice, x.Reason))
		case x.Name == CmdPropose:
			out = append(out, fmt.Sprintf("%d:propose %s", x.Line, x.Profile))
		case x.Name == CmdCredit:
			out = append(out, fmt.Sprintf("%d:credit @%s %d|%s", x.Line, x.User, x.Points, x.Reason))
		default:
			out = append(out, fmt.Sprintf("%d:%s", x.Line, x.Name))
		}
	}
	return strings.Join(out, "; ")
}

func TestParseCommands(t *testing.T) {
	long := strings.Repeat("why ", 300)
	tests := []struct{ body, want string }{
		// One command each.
		{"/vote yes", "1:vote yes|"},
		{"/vote no", "1:vote no|"},
		{"/vote abstain", "1:vote abstain|"},
		{"/vote block", "1:vote block|"},
		{"/vote +1", "1:vote yes|"},
		{"/vote -1", "1:vote no|"},
		{"/vote 0", "1:vote abstain|"},
		{"/vote yes because the docs need it", "1:vote yes|because the docs need it"},
		{"/vote status", "1:vote status"},
		{"/propose", "1:propose "},
		{"/propose membership", "1:propose membership"},
		{"/proposal cancel", "1:proposal cancel"},
		{"/proposal close", "1:proposal close"},
		{"/credit @alice 5 for the release notes", "1:credit @alice 5000|for the release notes"},
		{"/credit @bob 0.5", "1:credit @bob 500|"},
		{"/credit @bob 1.125 tiny", "1:credit @bob 1125|tiny"},
		{"/accord help", "1:help"},
		{"/accord", "1:help"},
		// Case, spacing, line endings.
		{"/VOTE YES", "1:vote yes|"},
		{"/Vote Block Not Like This", "1:vote block|Not Like This"},
		{"/PROPOSE Membership", "1:propose membership"},
		{"   /vote yes", "1:vote yes|"},
		{"/vote\tyes", "1:vote yes|"},
		{"/vote  yes   with   spaces  ", "1:vote yes|with   spaces"},
		{"/vote yes\r\n/vote no\r\n", "1:vote yes|; 2:vote no|"},
		{"/vote\u00a0yes", "1:vote yes|"},
		// Several commands, in order, among text.
		{"I agree.\n/vote yes\nThanks!", "2:vote yes|"},
		{"/propose\n/vote yes", "1:propose ; 2:vote yes|"},
		{"/vote no\n\n/vote status\n/accord help", "1:vote no|; 3:vote status; 4:help"},
		// Never commands: quotes, code, text, paths.
		{"> /vote no\nquoting, not voting\n/vote abstain", "3:vote abstain|"},
		{">/vote no", ""},
		{"  > /vote yes", ""},
		{"```\n/vote yes\n```", ""},
		{"```sh\n/vote yes\n```\n/vote no", "4:vote no|"},
		{"~~~\n/vote yes\n~~~", ""},
		{"````\n```\n/vote yes\n````\n/vote no", "5:vote no|"},
		{"```\n/vote yes", ""}, // an unclosed fence runs to the end
		{"    /vote yes", ""},
		{"\t/vote yes", ""},
		{"Run /vote yes to agree", ""},
		{"/usr/bin is full", ""},
		{"/ vote yes", ""},
		{"/", ""},
		{"//vote yes", ""},
		{"`/vote yes`", ""},
		{"```/vote yes```\n/vote no", "2:vote no|"},
		// Malformed and unknown commands: one error each, with the usage.
		{"/vote", "1:!`/vote` needs a choice"},
		{"/vote maybe", "1:!`maybe` is not a choice: vote yes, no, abstain or block"},
		{"/vote status please", "1:!`/vote status` takes nothing after it"},
		{"/proposal", "1:!`/proposal` takes `cancel` or `close`"},
		{"/proposal delete", "1:!`/proposal` takes `cancel` or `close`"},
		{"/propose default now", "1:!`/propose` takes at most a profile name"},
		{"/credit alice 5", "1:!`/credit` needs a user as `@login`"},
		{"/credit @alice lots", "1:!`lots` is not a number of points: give a positive number with at most 3 decimals"},
		{"/credit @alice -3", "1:!`-3` is not a number of points: give a positive number with at most 3 decimals"},
		{"/credit @alice 0", "1:!`0` is not a number of points: give a positive number with at most 3 decimals"},
		{"/credit @alice 1.2345", "1:!`1.2345` is not a number of points: give a positive number with at most 3 decimals"},
		{"/frobnicate", "1:!`/frobnicate` is not a command"},
		{"/accord dance", "1:!`/accord` takes only `help`"},
		{"/vote yes\n/lgtm\n/vote no", "1:vote yes|; 2:!`/lgtm` is not a command; 3:vote no|"},
		// Unicode in reasons; very long lines are kept, clipped.
		{"/vote yes für alle Genossenschaften 🎉", "1:vote yes|für alle Genossenschaften 🎉"},
		{"/vote no " + long, "1:vote no|" + string([]rune(strings.TrimSpace(long))[:maxReason]) + "…"},
		{"", ""},
	}
	if len(tests) < 40 {
		t.Fatalf("only %d cases", len(tests))
	}
	for _, tt := range tests {
		if got := render(ParseCommands(tt.body)); got != tt.want {
			t.Errorf("ParseCommands(%.60q)\n got: %s\nwant: %s", tt.body, got, tt.want)
		}
	}
}

func TestParseCommandsKeepsErrorsUseful(t *testing.T) {
	for _, x := range ParseCommands("/vote maybe\n/frobnicate") {
		if !strings.Contains(x.Err, Usage) || x.Name != "" {
			t.Errorf("%+v: an error must carry the usage and no name", x)
		}
	}
	if x := ParseCommands("  /Vote Yes  ")[0]; x.Text != "/Vote Yes" {
		t.Errorf("text %q", x.Text)
	}
}

// FuzzParseCommands: no input panics; every command has a line inside the
// comment, and either a name or an error.
func FuzzParseCommands(f *testing.F) {
	for _, s := range []string{"/vote yes", "```\n/vote no\n```", "> /vote yes", "/credit @a 1.5 x", "/vote\r\n/propose x y", "\t/vote", "~~~~\n~~~\n/vote"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		lines := strings.Count(body, "\n") + 1
		for _, x := range ParseCommands(body) {
			if x.Line < 1 || x.Line > lines || (x.Name == "") == (x.Err == "") {
				t.Fatalf("%q: %+v", body, x)
			}
			if x.Name == CmdVote && choices[x.Choice] == "" {
				t.Fatalf("%q: choice %q", body, x.Choice)
			}
			if utf8.RuneCountInString(x.Reason) > maxReason+1 {
				t.Fatalf("reason of %d runes", utf8.RuneCountInString(x.Reason))
			}
		}
	})
}
