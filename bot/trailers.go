package bot

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// coAuthor is one Co-authored-by trailer: the display name as written (it
// may hold commas, quotes, anything but a line break) and the email address,
// lower-cased.
type coAuthor struct {
	Name  string
	Email string
}

// coAuthorTrailers reads the Co-authored-by trailers of a commit message,
// in order, as git reads trailers (git interpret-trailers --parse):
//
//   - Trailers are the last paragraph of the message, never its first (the
//     title), so a one-paragraph message has none.
//   - A trailer line is "Key: value": a key of ASCII letters, digits and
//     '-', optional blanks, then ':'. Keys compare case-insensitively. A
//     line that starts with a blank continues the trailer above it; lines
//     starting with '#' are comments and skipped.
//   - The paragraph is a trailer block if all its lines are trailers, or if
//     at least a quarter of them are and one is a trailer git or GitHub
//     writes (Signed-off-by, Co-authored-by, "(cherry picked from commit
//     …)"): text that merely contains a colon is not taken for trailers.
//
// A value is "Name <email>" (the email is between the last '<' and the '>'
// that ends the value) or a bare address. A value that is neither, or whose
// address has no '@', holds a blank or is not UTF-8, is skipped. It is pure
// and never fails: at worst it returns nothing.
func coAuthorTrailers(message string) []coAuthor {
	var out []coAuthor
	for _, t := range trailerBlock(message) {
		if !strings.EqualFold(t.key, "co-authored-by") {
			continue
		}
		if name, email, ok := nameAndEmail(t.value); ok {
			out = append(out, coAuthor{Name: name, Email: email})
		}
	}
	return out
}

type trailer struct{ key, value string }

// trailerBlock returns the trailers of the message's trailer block, if it
// has one.
func trailerBlock(message string) []trailer {
	lines := strings.Split(message, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	title := 0 // the first blank line: the title ends there
	for title < len(lines) && !blankLine(lines[title]) {
		title++
	}
	end := len(lines)
	for end > title && blankLine(lines[end-1]) {
		end--
	}
	start := end
	for start > title && !blankLine(lines[start-1]) {
		start--
	}
	if start >= end {
		return nil
	}
	var (
		out              []trailer
		trailers, others int
		known            bool // a trailer git or GitHub writes is among them
		inTrailer        bool // the line above is a trailer (or continues one)
	)
	for _, l := range lines[start:end] {
		switch {
		case strings.HasPrefix(l, "#"):
			continue
		case startsBlank(l):
			if !inTrailer {
				others++ // it continues text (or nothing): text
			} else if len(out) > 0 {
				out[len(out)-1].value += " " + strings.Trim(l, asciiSpace)
			}
			continue
		case strings.HasPrefix(l, "(cherry picked from commit "):
			trailers, known, inTrailer = trailers+1, true, true
			out = append(out, trailer{}) // so that its continuation lines extend no other
			continue
		}
		key, value, ok := trailerLine(l)
		if inTrailer = ok; !ok {
			others++
			continue
		}
		trailers++
		known = known || strings.EqualFold(key, "signed-off-by") || strings.EqualFold(key, "co-authored-by")
		out = append(out, trailer{key: key, value: value})
	}
	if trailers > 0 && others == 0 || known && trailers*3 >= others {
		return out
	}
	return nil
}

// trailerLine splits "Key: value" (git's token: ASCII letters, digits and
// '-'; blanks may come before the colon).
func trailerLine(l string) (key, value string, ok bool) {
	i := 0
	for i < len(l) && (l[i] == '-' || 'a' <= l[i]|0x20 && l[i]|0x20 <= 'z' || '0' <= l[i] && l[i] <= '9') {
		i++
	}
	if i == 0 {
		return "", "", false
	}
	key = l[:i]
	for i < len(l) && strings.IndexByte(asciiSpace, l[i]) >= 0 {
		i++
	}
	if i == len(l) || l[i] != ':' {
		return "", "", false
	}
	return key, strings.Trim(l[i+1:], asciiSpace), true
}

// nameAndEmail reads "Name <email>" or a bare address.
func nameAndEmail(v string) (name, email string, ok bool) {
	if i := strings.LastIndexByte(v, '<'); i >= 0 {
		rest := v[i+1:]
		j := strings.IndexByte(rest, '>')
		if j < 0 || strings.Trim(rest[j+1:], asciiSpace) != "" {
			return "", "", false
		}
		name, email = strings.TrimSpace(v[:i]), strings.TrimSpace(rest[:j])
	} else {
		email = v
	}
	if !utf8.ValidString(name) || !validAddress(email) {
		return "", "", false
	}
	return name, strings.ToLower(email), true
}

// validAddress: something@somewhere, without blanks, control characters or
// angle brackets, in UTF-8. Deliverability is not Accord's concern; an
// address only has to name someone the same way twice.
func validAddress(a string) bool {
	at := strings.LastIndexByte(a, '@')
	if at <= 0 || at == len(a)-1 || !utf8.ValidString(a) {
		return false
	}
	return !strings.ContainsFunc(a, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || r == '<' || r == '>'
	})
}

// asciiSpace are the blanks git's isspace knows.
const asciiSpace = " \t\n\v\f\r"

func blankLine(l string) bool { return strings.Trim(l, asciiSpace) == "" }

func startsBlank(l string) bool { return l != "" && strings.IndexByte(asciiSpace, l[0]) >= 0 }
