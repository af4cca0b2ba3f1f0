package bot

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/accord-coop/accord/forges"
	"github.com/accord-coop/accord/ledger"
)

func TestCoAuthorTrailers(t *testing.T) {
	tests := []struct {
		name    string
		message string
		want    []string // "Name <email>"
	}{
		{"one trailer", "Add hello\n\nCo-authored-by: Carol <carol@e2e.local>\n",
			[]string{"Carol <carol@e2e.local>"}},
		{"a comma in the name (issue 10)", "Fix\n\nCo-authored-by: Smith, John <john@example.coop>",
			[]string{"Smith, John <john@example.coop>"}},
		{"quotes and other characters are kept as written", "Fix\n\nCo-authored-by: \"Smith, John\" <j@x.coop>\nCo-authored-by: O'Brien (Dev) <o@x.coop>\nCo-authored-by: Zoë 山田 <zoe@x.coop>",
			[]string{`"Smith, John" <j@x.coop>`, "O'Brien (Dev) <o@x.coop>", "Zoë 山田 <zoe@x.coop>"}},
		{"bots' addresses parse (their brackets defeated net/mail)", "Bump\n\nCo-authored-by: dependabot[bot] <49699333+dependabot[bot]@users.noreply.github.com>\nCo-authored-by: Copilot <175728472+Copilot@users.noreply.github.com>",
			[]string{"dependabot[bot] <49699333+dependabot[bot]@users.noreply.github.com>", "Copilot <175728472+copilot@users.noreply.github.com>"}},
		{"the key is case-insensitive, the email lower-cased, blanks trimmed", "Fix\n\nco-authored-by:Bob <BOB@E2E.local>  \nCO-AUTHORED-BY :   Dave   <dave@e2e.local>\r\n",
			[]string{"Bob <bob@e2e.local>", "Dave <dave@e2e.local>"}},
		{"repeats are all returned (coAuthors merges them)", "Fix\n\nCo-authored-by: A <a@x.coop>\nCo-authored-by: A again <A@x.coop>",
			[]string{"A <a@x.coop>", "A again <a@x.coop>"}},
		{"a bare address, or one without a name", "Fix\n\nCo-authored-by: bob@x.coop\nCo-authored-by: <carol@x.coop>",
			[]string{" <bob@x.coop>", " <carol@x.coop>"}},
		{"a folded value continues on the next line", "Fix\n\nCo-authored-by: Jean-Baptiste\n  de la Fontaine <jb@x.coop>\nSigned-off-by: A <a@x.coop>",
			[]string{"Jean-Baptiste de la Fontaine <jb@x.coop>"}},
		{"among other trailers and comments", "Fix\n\nReviewed-by: R <r@x.coop>\n# a comment\nCo-authored-by: C <c@x.coop>\nChange-Id: I123",
			[]string{"C <c@x.coop>"}},
		{"a body line above the trailers, when a known trailer is there", "Fix\n\nThis took two of us.\nCo-authored-by: C <c@x.coop>",
			[]string{"C <c@x.coop>"}},
		{"a '<' in the name: the last one opens the address", "Fix\n\nCo-authored-by: I <3 Go <go@x.coop>",
			[]string{"I <3 Go <go@x.coop>"}},
		{"not a trailer: the title", "Co-authored-by: C <c@x.coop>", nil},
		{"not a trailer: not in the last paragraph", "Fix\n\nCo-authored-by: C <c@x.coop>\n\nMore text after it.", nil},
		{"a known trailer and three lines of text: still a block (git's quarter)", "Fix\n\nWe did this.\nIt was hard.\nIt took weeks.\nCo-authored-by: C <c@x.coop>",
			[]string{"C <c@x.coop>"}},
		{"not a trailer: mostly prose", "Fix\n\nWe did this.\nIt was hard.\nIt took weeks.\nNow it works.\nCo-authored-by: C <c@x.coop>", nil},
		{"not a trailer: indented", "Fix\n\n    Co-authored-by: C <c@x.coop>", nil},
		{"not a trailer: another key", "Fix\n\nCo-authored: C <c@x.coop>\nAuthored-by: D <d@x.coop>", nil},
		{"skipped: no address, or a broken one", "Fix\n\nCo-authored-by: Carol\nCo-authored-by: C <c@x.coop> trailing\nCo-authored-by: C <c x@x.coop>\nCo-authored-by: C <@x.coop>\nCo-authored-by: C <c@>\nCo-authored-by: C <c@x.coop\nCo-authored-by: D <d@x.coop>",
			[]string{"D <d@x.coop>"}},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, c := range coAuthorTrailers(tt.message) {
				got = append(got, c.Name+" <"+c.Email+">")
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("coAuthorTrailers(%q)\n got %q\nwant %q", tt.message, got, tt.want)
			}
		})
	}
}

// FuzzCoAuthorTrailers: whatever the message, every co-author has a
// plausible lower-case address and a one-line name; written back as
// trailers they read the same; and coAuthors lists each address once and
// never the author's.
func FuzzCoAuthorTrailers(f *testing.F) {
	for _, s := range []string{
		"Fix\n\nCo-authored-by: Smith, John <john@example.coop>",
		"Fix\n\nCo-authored-by: A\n B <a@b>\nSigned-off-by: x",
		"Fix\r\n\r\nco-authored-by : \"Q\" <Q@X>\r\n",
		"t\n\nx\n(cherry picked from commit abc)\n Co-authored-by: c <c@d>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, message string) {
		got := coAuthorTrailers(message)
		var again strings.Builder
		again.WriteString("Title\n\n")
		for _, c := range got {
			if c.Email != strings.ToLower(c.Email) || !validAddress(c.Email) {
				t.Fatalf("%q: address %q", message, c.Email)
			}
			if !utf8.ValidString(c.Name) || strings.ContainsAny(c.Name, "\n") || strings.TrimSpace(c.Name) != c.Name {
				t.Fatalf("%q: name %q", message, c.Name)
			}
			fmt.Fprintf(&again, "Co-authored-by: %s <%s>\n", c.Name, c.Email)
		}
		if back := coAuthorTrailers(again.String()); len(got) > 0 && !reflect.DeepEqual(back, got) {
			t.Fatalf("%q: read %q, written back and read again %q", message, got, back)
		}
		author := ledger.Person{Identity: "github:me"}
		if len(got) > 0 {
			author.Email = strings.ToUpper(got[0].Email)
		}
		commits := []forges.Commit{{Message: message}, {Message: message, AuthorLogin: "ME", AuthorEmail: "me@x.coop"}}
		seen := map[string]bool{}
		for _, p := range coAuthors("github", commits, author) {
			if seen[p.Email] || strings.EqualFold(p.Email, author.Email) || p.Email == "me@x.coop" {
				t.Fatalf("%q: co-author %q twice, or the author", message, p.Email)
			}
			seen[p.Email] = true
		}
	})
}
