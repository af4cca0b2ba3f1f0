package bot

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Command is one slash command found in a comment.
//
// The grammar (PRODUCT.md, "Slash commands"), one command per line:
//
//	/propose [PROFILE]
//	/vote (yes | no | abstain | block | +1 | -1 | 0) [REASON…]
//	/vote status
//	/proposal (cancel | close)
//	/credit @USER N [REASON…]        N: a positive number, at most 3 decimals
//	/accord [help]
//
// A command is a line whose first word is "/" and letters; up to three
// spaces may come before it, as Markdown allows. Lines in fenced code blocks
// (``` or ~~~), indented code (four spaces or a tab) and quotes ("> …") are
// never commands. Words are case-insensitive; a reason keeps its case. A
// line such as "/usr/bin is full" is not a command (its first word is a
// path); "/frobnicate" is an unknown command and gets the usage.
type Command struct {
	Name    string // CmdPropose, CmdVote, CmdVoteStatus, CmdProposalCancel, CmdProposalClose, CmdCredit, CmdHelp; "" when Err is set
	Profile string // propose: the profile, "" for the default
	Choice  string // vote: yes, no, abstain or block
	Reason  string // vote, credit: the rest of the line
	User    string // credit: the login, without "@"
	Points  int64  // credit: milli-points (1000 = 1 point)
	Line    int    // where in the comment, from 1
	Text    string // the line as written (trimmed)
	Err     string // a malformed or unknown command: what is wrong and the usage
}

// Command names.
const (
	CmdPropose        = "propose"
	CmdVote           = "vote"
	CmdVoteStatus     = "vote status"
	CmdProposalCancel = "proposal cancel"
	CmdProposalClose  = "proposal close"
	CmdCredit         = "credit"
	CmdHelp           = "help"
)

// Usage is the reply to a malformed or unknown command, and /accord help.
const Usage = "Commands: `/propose [profile]`, `/vote yes|no|abstain|block [reason]` (or `+1`, `-1`, `0`), " +
	"`/vote status`, `/proposal cancel`, `/proposal close`, `/credit @user N [reason]`, `/accord help`."

// maxReason bounds a reason kept from a comment, in runes.
const maxReason = 500

// ParseCommands finds the commands of a comment, in order.
func ParseCommands(body string) []Command {
	var out []Command
	var fence string // the open fence's marker, "" outside
	for i, raw := range strings.Split(body, "\n") {
		line := strings.TrimRight(raw, "\r")
		indent, rest := leadingSpaces(line)
		if fence != "" {
			if indent <= 3 && isFenceClose(rest, fence) {
				fence = ""
			}
			continue
		}
		if indent <= 3 {
			if f := fenceOpen(rest); f != "" {
				fence = f
				continue
			}
		}
		if indent > 3 || !strings.HasPrefix(rest, "/") {
			continue // indented code, a quote, text
		}
		word, args := splitWord(rest)
		if !isCommandWord(word) {
			continue
		}
		c := parseCommand(strings.ToLower(word[1:]), args)
		c.Line, c.Text = i+1, strings.TrimSpace(rest)
		out = append(out, c)
	}
	return out
}

// leadingSpaces counts the indentation (a tab counts as four) and returns
// the rest of the line.
func leadingSpaces(line string) (int, string) {
	n := 0
	for i, r := range line {
		switch r {
		case ' ':
			n++
		case '\t':
			n += 4
		default:
			return n, line[i:]
		}
	}
	return n, ""
}

// fenceOpen returns the marker of a code fence the line opens ("```",
// "~~~~" …), or "".
func fenceOpen(s string) string {
	for _, c := range []string{"`", "~"} {
		n := len(s) - len(strings.TrimLeft(s, c))
		if n >= 3 {
			if c == "`" && strings.Contains(s[n:], "`") {
				return "" // "```x```" is inline code, not a fence
			}
			return s[:n]
		}
	}
	return ""
}

// isFenceClose reports whether the line closes a fence opened by marker:
// the same character, at least as many, nothing after but spaces.
func isFenceClose(s, marker string) bool {
	c := marker[:1]
	n := len(s) - len(strings.TrimLeft(s, c))
	return n >= len(marker) && strings.TrimSpace(s[n:]) == ""
}

func splitWord(s string) (string, string) {
	s = strings.TrimSpace(s)
	if i := strings.IndexFunc(s, isSpace); i >= 0 {
		return s[:i], strings.TrimSpace(s[i:])
	}
	return s, ""
}

func isSpace(r rune) bool { return r == ' ' || r == '\t' || r == '\u00a0' || r == '\u3000' }

// isCommandWord: "/" and ASCII letters (a path such as /usr/bin is not one).
func isCommandWord(w string) bool {
	if len(w) < 2 {
		return false
	}
	for _, r := range w[1:] {
		if (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') {
			return false
		}
	}
	return true
}

func parseCommand(name, args string) Command {
	switch name {
	case "propose":
		return parsePropose(args)
	case "vote":
		return parseVote(args)
	case "proposal":
		return parseProposal(args)
	case "credit":
		return parseCredit(args)
	case "accord":
		if w, rest := splitWord(args); (w == "" || strings.EqualFold(w, "help")) && rest == "" {
			return Command{Name: CmdHelp}
		}
		return bad("`/accord` takes only `help`")
	}
	return bad(fmt.Sprintf("`/%s` is not a command", name))
}

func bad(why string) Command { return Command{Err: why + ". " + Usage} }

func parsePropose(args string) Command {
	profile, rest := splitWord(args)
	if rest != "" {
		return bad("`/propose` takes at most a profile name")
	}
	return Command{Name: CmdPropose, Profile: strings.ToLower(profile)}
}

var choices = map[string]string{"yes": "yes", "+1": "yes", "no": "no", "-1": "no", "abstain": "abstain", "0": "abstain", "block": "block"}

func parseVote(args string) Command {
	w, rest := splitWord(args)
	w = strings.ToLower(w)
	if w == "status" {
		if rest != "" {
			return bad("`/vote status` takes nothing after it")
		}
		return Command{Name: CmdVoteStatus}
	}
	choice, ok := choices[w]
	if !ok {
		if w == "" {
			return bad("`/vote` needs a choice")
		}
		return bad(fmt.Sprintf("`%s` is not a choice: vote yes, no, abstain or block", w))
	}
	return Command{Name: CmdVote, Choice: choice, Reason: clip(rest)}
}

func parseProposal(args string) Command {
	w, rest := splitWord(args)
	switch strings.ToLower(w) {
	case "cancel":
		if rest == "" {
			return Command{Name: CmdProposalCancel}
		}
	case "close":
		if rest == "" {
			return Command{Name: CmdProposalClose}
		}
	}
	return bad("`/proposal` takes `cancel` or `close`")
}

func parseCredit(args string) Command {
	user, rest := splitWord(args)
	amount, reason := splitWord(rest)
	if !strings.HasPrefix(user, "@") || len(user) < 2 {
		return bad("`/credit` needs a user as `@login`")
	}
	points, ok := parsePoints(amount)
	if !ok {
		return bad(fmt.Sprintf("`%s` is not a number of points: give a positive number with at most 3 decimals", amount))
	}
	return Command{Name: CmdCredit, User: user[1:], Points: points, Reason: clip(reason)}
}

// parsePoints reads "2", "0.5", "1.125" as milli-points; at most 3 decimals,
// positive, at most a million.
func parsePoints(s string) (int64, bool) {
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(frac) > 3 || len(whole) > 7 {
		return 0, false
	}
	var n int64
	for _, r := range whole + frac + strings.Repeat("0", 3-len(frac)) {
		if r < '0' || r > '9' {
			return 0, false
		}
		n = n*10 + int64(r-'0')
	}
	return n, n > 0
}

func clip(s string) string {
	if utf8.RuneCountInString(s) <= maxReason {
		return s
	}
	return string([]rune(s)[:maxReason]) + "…"
}
