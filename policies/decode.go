package policies

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/accord-coop/accord/internal/typo"
)

// Error is one mistake in a policy file, at a 1-based line and column, with
// a message that says what to write instead.
type Error struct {
	File      string
	Line, Col int
	Msg       string
}

// Error formats the error as "file:line:col: msg", the form editors and CI
// annotations understand.
func (e Error) Error() string { return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg) }

// Errors is every mistake found in a set of policy files, sorted by file
// (in FileNames order), line and column.
type Errors []Error

// Error joins the errors, one per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// LoadDir reads coops.yml, scoring.yml and governance.yml from dir and
// parses them as Parse does. The errors name each file by its path under dir
// (filepath.Join(dir, name)), so that CI output points at the file in the
// repo.
func LoadDir(dir string, forges []string) (*Set, Errors) {
	files := map[string][]byte{}
	var errs Errors
	for _, name := range FileNames() {
		data, err := os.ReadFile(filepath.Join(dir, name))
		switch {
		case err == nil:
			files[name] = data
		case !errors.Is(err, os.ErrNotExist): // a missing file is Parse's to report
			errs = append(errs, Error{File: name, Line: 1, Col: 1, Msg: fmt.Sprintf("cannot read the file: %v", err)})
		}
	}
	var set *Set
	if len(errs) == 0 {
		set, errs = Parse(files, forges)
	}
	if len(errs) == 0 {
		return set, nil
	}
	for i := range errs {
		errs[i].File = filepath.Join(dir, errs[i].File)
	}
	return nil, errs
}

// Parse decodes and validates the three policy files, keyed by their names
// ("coops.yml", "scoring.yml", "governance.yml"; other keys are ignored).
// forges are the forge names configured in accord.yml: identities and repos
// must name one of them (when forges is empty, any well-formed forge name is
// accepted). It returns either a valid Set and no errors, or a nil Set and
// every error found, each with its file, line and column. A missing file is
// an error at file:1:1. The Set's Version is the content hash of the files.
func Parse(files map[string][]byte, forges []string) (*Set, Errors) {
	var errs Errors
	var roots [3]*yaml.Node
	for i, name := range FileNames() {
		data, ok := files[name]
		if !ok {
			errs = append(errs, Error{File: name, Line: 1, Col: 1, Msg: fmt.Sprintf("the file is missing; create %s, starting with the line version: 1", name)})
			continue
		}
		d := &decoder{file: name, forges: forges, errs: &errs}
		roots[i] = d.root(data)
	}

	coops, coopsSrc := (&decoder{file: CoopsFile, forges: forges, errs: &errs}).coops(roots[0])
	scoring, scoringSrc := (&decoder{file: ScoringFile, forges: forges, errs: &errs}).scoring(roots[1])
	gov, govSrc := (&decoder{file: GovernanceFile, forges: forges, errs: &errs}).governance(roots[2])

	v := &validator{errs: &errs}
	v.coops(coops, coopsSrc)
	v.scoring(scoring, scoringSrc, coops)
	v.governance(gov, govSrc, coops)

	if len(errs) > 0 {
		for i := range errs { // yaml.v3 may place an empty value just past the end
			if last := bytes.Count(files[errs[i].File], []byte("\n")) + 1; errs[i].Line > last {
				errs[i].Line, errs[i].Col = last, 1
			}
		}
		sortErrors(errs)
		return nil, errs
	}
	return &Set{Coops: coops, Scoring: scoring, Governance: gov, Version: ContentVersion(files)}, nil
}

func sortErrors(errs Errors) {
	order := map[string]int{}
	for i, n := range FileNames() {
		order[n] = i
	}
	sort.SliceStable(errs, func(i, j int) bool {
		a, b := errs[i], errs[j]
		if a.File != b.File {
			return order[a.File] < order[b.File]
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
}

// decoder walks one file's yaml.Node tree, checking each value's type and
// form and recording an Error, with the node's position, for each mistake.
type decoder struct {
	file   string
	forges []string
	errs   *Errors
}

func (d *decoder) errorf(n *yaml.Node, format string, args ...any) {
	line, col := 1, 1
	if n != nil && n.Line > 0 {
		line = n.Line
		if n.Column > 0 {
			col = n.Column
		}
	}
	*d.errs = append(*d.errs, Error{File: d.file, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)})
}

var yamlLine = regexp.MustCompile(`^line (\d+): `)

// root parses data and returns its top-level mapping, or nil after
// reporting why there is none.
func (d *decoder) root(data []byte) (root *yaml.Node) {
	defer func() {
		if r := recover(); r != nil { // the YAML parser must not take the bot down
			d.errorf(nil, "the YAML parser failed on this file (%v); simplify the YAML", r)
			root = nil
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			d.errorf(nil, "the file is empty; start it with the line version: 1")
		} else {
			d.syntaxError(data, err)
		}
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		if len(extra.Content) > 0 && !isNull(extra.Content[0]) {
			d.errorf(extra.Content[0], "a second YAML document starts here; keep the whole file in one document and remove the --- line above")
		}
	} else if !errors.Is(err, io.EOF) {
		d.syntaxError(data, err)
	}
	if len(doc.Content) == 0 {
		d.errorf(nil, "the file is empty; start it with the line version: 1")
		return nil
	}
	n := doc.Content[0]
	if n.Kind != yaml.MappingNode {
		if isNull(n) {
			d.errorf(n, "the file has no keys; start it with the line version: 1")
		} else {
			d.errorf(n, "the file must be a mapping of keys (version: 1, …), not %s", describe(n))
		}
		return nil
	}
	return n
}

// parserProblems are the messages of yaml.v3's parser (as opposed to its
// scanner). For these, the line in the error is 0-based, and points at
// the start of the construct being parsed (such as an unclosed [).
var parserProblems = []string{
	"did not find expected ',' or ']'", "did not find expected ',' or '}'", "did not find expected '-' indicator",
	"did not find expected <document start>", "did not find expected <stream-start>", "did not find expected key",
	"did not find expected node content", "found duplicate %TAG directive", "found duplicate %YAML directive",
	"found incompatible YAML document", "found undefined tag handle",
}

// syntaxError reports a YAML parse error. yaml.v3 gives a line but no
// column; the column is 1.
func (d *decoder) syntaxError(data []byte, err error) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if name, ok := strings.CutPrefix(msg, "unknown anchor '"); ok {
		name = strings.TrimSuffix(name, "' referenced")
		line, col := 1, 1
		if i := bytes.Index(data, []byte("*"+name)); i >= 0 {
			line = bytes.Count(data[:i], []byte("\n")) + 1
			col = i - bytes.LastIndexByte(data[:i], '\n')
		}
		*d.errs = append(*d.errs, Error{File: d.file, Line: line, Col: col,
			Msg: fmt.Sprintf("alias *%s names no anchor, and aliases are not supported in policy files anyway; write the value out in full", name)})
		return
	}
	line := 1
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		msg = msg[len(m[0]):]
		if n, err := strconv.Atoi(m[1]); err == nil && n > 0 {
			if slices.Contains(parserProblems, msg) {
				n++
			}
			line = min(n, bytes.Count(data, []byte("\n"))+1)
		}
	}
	*d.errs = append(*d.errs, Error{File: d.file, Line: line, Col: 1,
		Msg: "YAML syntax error: " + msg + "; check the indentation, and quote values that contain \": \" or start with a special character"})
}

// field is one key: value pair of a mapping.
type field struct{ key, val *yaml.Node }

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// describe names a node's kind for messages.
func describe(n *yaml.Node) string {
	switch {
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Kind == yaml.AliasNode:
		return "an alias"
	case isNull(n):
		return "empty"
	case n.Tag == "!!str":
		return fmt.Sprintf("the text %q", n.Value)
	default:
		return n.Value
	}
}

func prefix(what string) string {
	if what == "" {
		return ""
	}
	return what + ": "
}

// kind checks that n is of kind k (which is "a mapping" or "a list" in
// messages). Aliases are refused: policy files are read by people, so every
// value is written out.
func (d *decoder) kind(n *yaml.Node, k yaml.Kind, what, example string) bool {
	if n.Kind == yaml.AliasNode {
		d.errorf(n, "%saliases (*%s) are not supported in policy files; write the value out in full", prefix(what), n.Value)
		return false
	}
	if n.Kind == k {
		return true
	}
	name := "a list"
	if k == yaml.MappingNode {
		name = "a mapping"
	}
	d.errorf(n, "%smust be %s, not %s; write it like %s", prefix(what), name, describe(n), example)
	return false
}

// pairs returns a mapping's key: value pairs in order, reporting keys that
// are not plain scalars and keys that appear twice (the later is dropped).
// A null n is an empty mapping.
func (d *decoder) pairs(n *yaml.Node, what, example string) []field {
	if isNull(n) || !d.kind(n, yaml.MappingNode, what, example) {
		return nil
	}
	var out []field
	first := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Tag == "!!merge" {
			d.errorf(k, "%smerge keys (<<) are not supported in policy files; write the keys out in full", prefix(what))
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, "%skeys must be plain names, not %s", prefix(what), describe(k))
			continue
		}
		if f, dup := first[k.Value]; dup {
			d.errorf(k, "%skey %q is already set at line %d; remove one of the two", prefix(what), k.Value, f.Line)
			continue
		}
		first[k.Value] = k
		out = append(out, field{k, v})
	}
	return out
}

// fields are the known keys of a mapping, by name.
type fields map[string]field

// get returns the field with this key unless it is absent or empty (null):
// an optional key left empty means the default.
func (fs fields) get(key string) (field, bool) {
	f, ok := fs[key]
	if !ok || isNull(f.val) {
		return field{}, false
	}
	return f, true
}

// mapping is pairs for a mapping with a fixed set of keys: it reports
// unknown keys and returns the known ones by name.
func (d *decoder) mapping(n *yaml.Node, what, example string, allowed ...string) fields {
	out := fields{}
	for _, f := range d.pairs(n, what, example) {
		if !slices.Contains(allowed, f.key.Value) {
			d.errorf(f.key, "%s%s", prefix(what), unknown("key", f.key.Value, allowed, "keys here"))
			continue
		}
		out[f.key.Value] = f
	}
	return out
}

// unknown words an unknown name: `unknown key "nmae"; did you mean name?
// The keys here are: id, name, repos`.
func unknown(noun, got string, allowed []string, listName string) string {
	if s := closest(got, allowed); s != "" {
		return fmt.Sprintf("unknown %s %q; did you mean %s? The %s are: %s", noun, got, s, listName, strings.Join(allowed, ", "))
	}
	return fmt.Sprintf("unknown %s %q; remove it, or use one of: %s", noun, got, strings.Join(allowed, ", "))
}

// require reports each of the keys missing from m, at the mapping n.
func (d *decoder) require(n *yaml.Node, m fields, what string, keys ...string) {
	for _, k := range keys {
		f, ok := m[k]
		switch {
		case !ok:
			d.errorf(n, "%s%s is missing; add %s", prefix(what), k, requiredHint[k])
		case isNull(f.val):
			d.errorf(f.key, "%s%s is empty; write %s", prefix(what), k, requiredHint[k])
		}
	}
}

// requiredHint shows what to add for a missing required key.
var requiredHint = map[string]string{
	"version":     "the line version: 1",
	"coops":       "coops: with at least one co-op, e.g. - {id: outlandish, name: Outlandish, repos: [github:outlandish/website]}",
	"members":     "members: with at least one member, e.g. - {id: alice, identities: [github:alice], memberships: [{coop: outlandish, since: 2024-01-01}]}",
	"id":          "id: followed by a short name of lowercase letters, digits and dashes",
	"identities":  "identities: [forge:login, …], e.g. identities: [github:alice]",
	"memberships": "memberships: with at least one {coop: …, since: YYYY-MM-DD}",
	"coop":        "coop: followed by the id of a co-op defined under coops",
	"since":       "since: followed by the first day as YYYY-MM-DD",
	"weights":     "weights: with a credit for each fact kind (" + strings.Join(FactKinds(), ", ") + ")",
	"profiles":    "profiles: with at least a default profile, e.g. default: {duration: 7d, voters: members, quorum: 0.5, threshold: 0.5}",
	"patterns":    "patterns: [path patterns], e.g. patterns: [\"accord/*.yml\"]",
	"profile":     "profile: followed by the name of a profile under profiles",
}

// list returns a sequence's items; a null n is an empty list.
func (d *decoder) list(n *yaml.Node, what, example string) []*yaml.Node {
	if isNull(n) || !d.kind(n, yaml.SequenceNode, what, example) {
		return nil
	}
	return n.Content
}

// text returns the value of a scalar that must be a string.
func (d *decoder) text(n *yaml.Node, what string) (string, bool) {
	if n.Kind == yaml.AliasNode {
		d.kind(n, yaml.ScalarNode, what, "")
		return "", false
	}
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, "%smust be text, not %s", prefix(what), describe(n))
		return "", false
	}
	if n.Tag != "!!str" {
		d.errorf(n, "%smust be text, not %s; if you mean the text, quote it: \"%s\"", prefix(what), describe(n), n.Value)
		return "", false
	}
	return n.Value, true
}

// version checks the version key of a file's top mapping.
func (d *decoder) version(top *yaml.Node, m fields) {
	f, ok := m.get("version")
	if !ok {
		d.errorf(top, "version is missing; add the line version: 1 at the top of the file")
		return
	}
	if f.val.Kind != yaml.ScalarNode || f.val.Tag != "!!int" || f.val.Value != "1" {
		d.errorf(f.val, "version must be 1 (the only version of this file format), not %s; write version: 1", describe(f.val))
	}
}

var (
	idPattern       = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]*$`)
	identityPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*:[^\s/]+$`)
	repoPattern     = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*:[^\s/]+/[^\s/]+$`)
	emailPattern    = regexp.MustCompile(`^[^\s@]+@[^\s@]+$`)
	datePattern     = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
	durationPattern = regexp.MustCompile(`^([0-9]+)([dhm])$`)
)

// id returns a co-op, member or profile id, checking its form.
func (d *decoder) id(n *yaml.Node, what string) (string, bool) {
	s, ok := d.text(n, prefix(what)+"id")
	if !ok {
		return "", false
	}
	if !idPattern.MatchString(s) {
		d.errorf(n, "%sid %q is not a valid id; use lowercase letters, digits, dots, dashes and underscores, starting with a letter or digit, e.g. %s", prefix(what), s, suggestID(s, "outlandish"))
		return s, false
	}
	return s, true
}

var notID = regexp.MustCompile(`[^a-z0-9_.-]+`)

func suggestID(s, fallback string) string {
	t := strings.Trim(notID.ReplaceAllString(strings.ToLower(s), "-"), "-_.")
	if t == "" {
		return fallback
	}
	return t
}

// forgeKnown checks the forge part of an identity or repo.
func (d *decoder) forgeKnown(n *yaml.Node, what, noun, value string) bool {
	forge, _, _ := strings.Cut(value, ":")
	if len(d.forges) == 0 || slices.Contains(d.forges, forge) {
		return true
	}
	d.errorf(n, "%s%s %q names forge %s, which is not configured; use one of: %s (the forges in accord.yml)", prefix(what), noun, value, forge, strings.Join(d.forges, ", "))
	return false
}

func (d *decoder) exampleForge() string {
	if len(d.forges) > 0 {
		return d.forges[0]
	}
	return "github"
}

// identity returns a forge:login identity, checking its form and forge.
func (d *decoder) identity(n *yaml.Node, what string) (string, bool) {
	s, ok := d.text(n, prefix(what)+"identity")
	if !ok {
		return "", false
	}
	if !identityPattern.MatchString(s) {
		login := s
		if i := strings.LastIndexAny(login, ":/"); i >= 0 {
			login = login[i+1:]
		}
		login = strings.TrimPrefix(strings.Join(strings.Fields(login), ""), "@")
		if login == "" {
			login = "login"
		}
		d.errorf(n, "%sidentity %q is not forge:login; write it like %s:%s", prefix(what), s, d.exampleForge(), login)
		return s, false
	}
	return s, d.forgeKnown(n, what, "identity", s)
}

// repo returns a forge:owner/repo, checking its form and forge.
func (d *decoder) repo(n *yaml.Node, what string) (string, bool) {
	s, ok := d.text(n, prefix(what)+"repo")
	if !ok {
		return "", false
	}
	if !repoPattern.MatchString(s) {
		parts := strings.Split(strings.TrimSuffix(strings.TrimSuffix(s, "/"), ".git"), "/")
		ex := "owner/repo"
		if len(parts) >= 2 && parts[len(parts)-2] != "" && parts[len(parts)-1] != "" {
			owner := parts[len(parts)-2]
			if i := strings.LastIndex(owner, ":"); i >= 0 {
				owner = owner[i+1:]
			}
			ex = owner + "/" + parts[len(parts)-1]
		}
		d.errorf(n, "%srepo %q is not forge:owner/repo; write it like %s:%s", prefix(what), s, d.exampleForge(), strings.Join(strings.Fields(ex), ""))
		return s, false
	}
	return s, d.forgeKnown(n, what, "repo", s)
}

// date returns a YYYY-MM-DD date as UTC midnight.
func (d *decoder) date(n *yaml.Node, what, key string) (time.Time, bool) {
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!timestamp" && n.Tag != "!!str") || !datePattern.MatchString(n.Value) {
		d.errorf(n, "%s%s must be a date as YYYY-MM-DD, not %s; write it like 2024-01-31", prefix(what), key, describe(n))
		return time.Time{}, false
	}
	t, err := time.Parse(time.DateOnly, n.Value)
	if err != nil {
		d.errorf(n, "%s%s %s is not a day of the calendar; write a real date as YYYY-MM-DD, e.g. 2024-01-31", prefix(what), key, n.Value)
		return time.Time{}, false
	}
	return t, true
}

// boolean returns true or false.
func (d *decoder) boolean(n *yaml.Node, what string) (bool, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		d.errorf(n, "%smust be true or false, not %s", prefix(what), describe(n))
		return false, false
	}
	return n.Value == "true" || n.Value == "True" || n.Value == "TRUE", true
}

// number returns a non-negative exact decimal; hint says what 0 means.
func (d *decoder) number(n *yaml.Node, what, hint string) (Milli, bool) {
	if n.Kind != yaml.ScalarNode || isNull(n) || n.Tag == "!!bool" {
		d.errorf(n, "%smust be a number such as 1 or 0.5, not %s", prefix(what), describe(n))
		return 0, false
	}
	m, err := ParseMilli(n.Value)
	switch {
	case n.Tag == "!!str" && err == nil:
		d.errorf(n, "%smust be a number, not the text %q; remove the quotes", prefix(what), n.Value)
		return 0, false
	case n.Tag != "!!int" && n.Tag != "!!float" && n.Tag != "!!str":
		d.errorf(n, "%smust be a plain number such as 1 or 0.5, not %s", prefix(what), describe(n))
		return 0, false
	case errors.Is(err, ErrTooPrecise):
		d.errorf(n, "%s%s has more than 3 decimals; use at most 3, e.g. %s", prefix(what), n.Value, cutTo3(n.Value))
		return 0, false
	case errors.Is(err, ErrTooLarge):
		d.errorf(n, "%s%s is too large; use at most 999999999.999", prefix(what), n.Value)
		return 0, false
	case err != nil && n.Tag == "!!str":
		d.errorf(n, "%smust be a number such as 1 or 0.5, not %s", prefix(what), describe(n))
		return 0, false
	case err != nil:
		d.errorf(n, "%s%s is not a plain decimal; write it with digits and at most one dot, e.g. 1000 or 0.5", prefix(what), n.Value)
		return 0, false
	case m < 0:
		d.errorf(n, "%s%s is negative; %s", prefix(what), n.Value, hint)
		return 0, false
	}
	return m, true
}

// cutTo3 cuts a plain decimal with more than 3 decimals to 3, for the
// suggestion in the error.
func cutTo3(s string) string {
	if i := strings.IndexByte(s, '.'); i >= 0 && len(s) > i+4 {
		return s[:i+4]
	}
	return s
}

// share returns a number from 0 to 1.
func (d *decoder) share(n *yaml.Node, what, meaning string) (Milli, bool) {
	m, ok := d.number(n, what, "use a share from 0 to 1, e.g. 0.5 for half")
	if ok && m > One {
		d.errorf(n, "%s%s is more than 1; %s is a share from 0 to 1, e.g. 0.5 for half", prefix(what), n.Value, meaning)
		return 0, false
	}
	return m, ok
}

// maxDuration is the longest vote a profile may set.
const maxDuration = 366 * 24 * time.Hour

// duration returns a positive duration written as days, hours or minutes.
func (d *decoder) duration(n *yaml.Node, what string) (time.Duration, bool) {
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, "%smust be a duration such as 7d, 36h or 90m, not %s", prefix(what), describe(n))
		return 0, false
	}
	m := durationPattern.FindStringSubmatch(n.Value)
	if m == nil || n.Tag != "!!str" {
		if _, err := strconv.Atoi(n.Value); err == nil {
			d.errorf(n, "%sduration %s has no unit; write %sd for days, %sh for hours or %sm for minutes", prefix(what), n.Value, n.Value, n.Value, n.Value)
		} else {
			d.errorf(n, "%sduration %q is not a number followed by d, h or m; write it like 7d, 36h or 90m", prefix(what), n.Value)
		}
		return 0, false
	}
	unit := map[string]time.Duration{"d": 24 * time.Hour, "h": time.Hour, "m": time.Minute}[m[2]]
	v, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil || v > int64(maxDuration/unit) {
		d.errorf(n, "%sduration %s is too long; a vote lasts at most 366d", prefix(what), n.Value)
		return 0, false
	}
	if v == 0 {
		d.errorf(n, "%sduration %s is zero; a vote needs time, e.g. 7d", prefix(what), n.Value)
		return 0, false
	}
	return time.Duration(v) * unit, true
}

// label returns a non-empty label name.
func (d *decoder) label(n *yaml.Node, what, example string) (string, bool) {
	s, ok := d.text(n, what)
	if !ok {
		return "", false
	}
	if strings.TrimSpace(s) == "" {
		d.errorf(n, "%sthe label name is empty; write a label, e.g. %s", prefix(what), example)
		return "", false
	}
	if strings.ContainsAny(s, "\n\r") || strings.TrimSpace(s) != s {
		d.errorf(n, "%slabel %q has spaces at the ends or a line break; write it on one line without them, e.g. %q", prefix(what), s, strings.Join(strings.Fields(s), " "))
		return "", false
	}
	return s, true
}

// choice returns a value from a fixed set, with a description of each.
func (d *decoder) choice(n *yaml.Node, what string, options ...string) (string, bool) {
	s, ok := d.text(n, what)
	if !ok {
		return "", false
	}
	var names, words []string
	for i := 0; i+1 < len(options); i += 2 {
		names = append(names, options[i])
		words = append(words, options[i]+options[i+1])
	}
	if slices.Contains(names, s) {
		return s, true
	}
	var list string
	switch len(words) {
	case 1:
		list = words[0]
	default:
		list = strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
	}
	d.errorf(n, "%s%q is not known; write %s", prefix(what), s, list)
	return "", false
}

// ---- coops.yml ----

// coopsSrc keeps the nodes of coops.yml that validation points at; its
// slices are parallel to those of Coops.
type coopsSrc struct {
	coops       []coopSrc
	members     []memberSrc
	maintainers []*yaml.Node
}

type coopSrc struct {
	id    *yaml.Node
	repos []*yaml.Node
}

type memberSrc struct {
	node, id    *yaml.Node
	identities  []*yaml.Node
	emails      []*yaml.Node
	memberships []membershipSrc
}

type membershipSrc struct{ node, coop, since, until *yaml.Node }

func (d *decoder) coops(top *yaml.Node) (*Coops, *coopsSrc) {
	if top == nil {
		return nil, nil
	}
	c, src := &Coops{}, &coopsSrc{}
	m := d.mapping(top, "", "", "version", "coops", "members", "maintainers")
	d.version(top, m)
	d.require(top, m, "", "coops", "members")

	if f, ok := m.get("coops"); ok {
		items := d.list(f.val, "coops", "- {id: outlandish, name: Outlandish, repos: [github:outlandish/website]}")
		if len(items) == 0 && f.val.Kind == yaml.SequenceNode {
			d.errorf(f.val, "coops is empty; define at least one co-op, e.g. - {id: outlandish, name: Outlandish}")
		}
		for i, n := range items {
			what := fmt.Sprintf("coop #%d", i+1)
			if id := peekID(n); id != "" {
				what = "coop " + id
			}
			cm := d.mapping(n, what, "{id: outlandish, name: Outlandish, repos: [github:outlandish/website]}", "id", "name", "repos")
			if n.Kind != yaml.MappingNode {
				continue
			}
			coop, cs := Coop{}, coopSrc{}
			d.require(n, cm, what, "id")
			if f, ok := cm.get("id"); ok {
				coop.ID, _ = d.id(f.val, what)
				cs.id = f.val
			}
			if f, ok := cm.get("name"); ok {
				coop.Name, _ = d.text(f.val, what+": name")
			}
			if coop.Name == "" {
				coop.Name = coop.ID
			}
			if f, ok := cm.get("repos"); ok {
				for _, r := range d.list(f.val, what+": repos", "[github:outlandish/website, codeberg:outlandish/infra]") {
					if s, ok := d.repo(r, what); ok {
						coop.Repos = append(coop.Repos, s)
						cs.repos = append(cs.repos, r)
					}
				}
			}
			c.Coops = append(c.Coops, coop)
			src.coops = append(src.coops, cs)
		}
	}

	if f, ok := m.get("members"); ok {
		items := d.list(f.val, "members", "- {id: alice, identities: [github:alice], memberships: [{coop: outlandish, since: 2024-01-01}]}")
		if len(items) == 0 && f.val.Kind == yaml.SequenceNode {
			d.errorf(f.val, "members is empty; list at least one member, e.g. - {id: alice, identities: [github:alice], memberships: [{coop: outlandish, since: 2024-01-01}]}")
		}
		for i, n := range items {
			if mem, ms, ok := d.member(n, i); ok {
				c.Members = append(c.Members, mem)
				src.members = append(src.members, ms)
			}
		}
	}

	if f, ok := m.get("maintainers"); ok {
		for _, n := range d.list(f.val, "maintainers", "[alice, bob]") {
			if s, ok := d.text(n, "maintainers"); ok {
				c.Maintainers = append(c.Maintainers, s)
				src.maintainers = append(src.maintainers, n)
			}
		}
	}
	return c, src
}

func (d *decoder) member(n *yaml.Node, i int) (Member, memberSrc, bool) {
	what, example := fmt.Sprintf("member #%d", i+1), "alice"
	if id := peekID(n); id != "" {
		what, example = "member "+id, id
	}
	mm := d.mapping(n, what, "{id: alice, identities: [github:alice], memberships: [{coop: outlandish, since: 2024-01-01}]}",
		"id", "name", "identities", "emails", "memberships")
	if n.Kind != yaml.MappingNode {
		return Member{}, memberSrc{}, false
	}
	mem, ms := Member{}, memberSrc{node: n}
	if f, ok := mm.get("id"); ok {
		mem.ID, _ = d.id(f.val, what)
		ms.id = f.val
	}
	d.require(n, mm, what, "id", "identities", "memberships")
	if f, ok := mm.get("name"); ok {
		mem.Name, _ = d.text(f.val, what+": name")
	}
	if f, ok := mm.get("identities"); ok {
		items := d.list(f.val, what+": identities", "[github:alice, codeberg:alice]")
		if len(items) == 0 && f.val.Kind == yaml.SequenceNode {
			d.errorf(f.val, "%s: identities is empty; give at least one forge:login, e.g. [github:%s]", what, example)
		}
		for _, x := range items {
			if s, ok := d.identity(x, what); ok {
				mem.Identities = append(mem.Identities, s)
				ms.identities = append(ms.identities, x)
			}
		}
	}
	if f, ok := mm.get("emails"); ok {
		for _, x := range d.list(f.val, what+": emails", "[alice@outlandish.example]") {
			s, ok := d.text(x, what+": emails")
			if !ok {
				continue
			}
			if !emailPattern.MatchString(s) {
				d.errorf(x, "%s: email %q is not an address; write it like %s@example.coop", what, s, example)
				continue
			}
			mem.Emails = append(mem.Emails, s)
			ms.emails = append(ms.emails, x)
		}
	}
	if f, ok := mm.get("memberships"); ok {
		items := d.list(f.val, what+": memberships", "- {coop: outlandish, since: 2024-01-01}")
		if len(items) == 0 && f.val.Kind == yaml.SequenceNode {
			d.errorf(f.val, "%s: memberships is empty; give at least one, e.g. - {coop: outlandish, since: 2024-01-01}", what)
		}
		mwhat := "membership of " + example
		if example != mem.ID {
			mwhat = "membership of " + what
		}
		for _, x := range items {
			xm := d.mapping(x, mwhat, "{coop: outlandish, since: 2024-01-01, until: 2025-06-30}", "coop", "since", "until")
			if x.Kind != yaml.MappingNode {
				continue
			}
			d.require(x, xm, mwhat, "coop", "since")
			ship, src, ok := Membership{}, membershipSrc{node: x}, true
			if f, found := xm.get("coop"); found {
				ship.Coop, ok = d.text(f.val, mwhat+": coop")
				src.coop = f.val
			} else {
				ok = false
			}
			if f, found := xm.get("since"); found {
				var good bool
				ship.Since, good = d.date(f.val, mwhat, "since")
				ok = ok && good
				src.since = f.val
			} else {
				ok = false
			}
			if f, found := xm.get("until"); found {
				var good bool
				ship.Until, good = d.date(f.val, mwhat, "until")
				ok = ok && good
				src.until = f.val
			}
			if ok {
				mem.Memberships = append(mem.Memberships, ship)
				ms.memberships = append(ms.memberships, src)
			}
		}
	}
	return mem, ms, true
}

// peekID returns the id an item of a list declares, for messages about
// the item's other keys; "" if it has no plain text id.
func peekID(n *yaml.Node) string {
	if n.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k, v := n.Content[i], n.Content[i+1]; k.Value == "id" && v.Kind == yaml.ScalarNode && v.Tag == "!!str" && idPattern.MatchString(v.Value) {
			return v.Value
		}
	}
	return ""
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// ---- scoring.yml ----

type scoringSrc struct {
	repoMults []*yaml.Node // keys of multipliers.repos, parallel to repoKeys
	repoKeys  []string     // the repos as written
}

func (d *decoder) scoring(top *yaml.Node) (*Scoring, *scoringSrc) {
	if top == nil {
		return nil, nil
	}
	s, src := &Scoring{Period: PeriodMonth, CoAuthors: CoAuthorsSplit, Exclude: Exclude{Bots: true}}, &scoringSrc{}
	m := d.mapping(top, "", "", "version", "period", "weights", "multipliers", "caps", "exclude", "co_authors")
	d.version(top, m)
	d.require(top, m, "", "weights")
	kinds := FactKinds()

	if f, ok := m.get("period"); ok {
		s.Period, _ = d.choice(f.val, "period", PeriodWeek, "", PeriodMonth, "", PeriodQuarter, "")
	}
	if f, ok := m.get("co_authors"); ok {
		s.CoAuthors, _ = d.choice(f.val, "co_authors", CoAuthorsSplit, " (Co-authored-by trailers share the credit equally; the only way in version 1)")
	}
	if f, ok := m.get("weights"); ok {
		s.Weights = map[string]Milli{}
		seen := map[string]bool{}
		for _, p := range d.pairs(f.val, "weights", "{pr_merged: 10, comment: 0.5, …}") {
			seen[p.key.Value] = true
			if !slices.Contains(kinds, p.key.Value) {
				d.errorf(p.key, "weights: %s", unknown("fact kind", p.key.Value, kinds, "fact kinds"))
				continue
			}
			if w, ok := d.number(p.val, "weight of "+p.key.Value, "use 0 to give it no credit"); ok {
				s.Weights[p.key.Value] = w
			}
		}
		var missing []string
		for _, k := range kinds {
			if !seen[k] {
				missing = append(missing, k)
			}
		}
		if len(missing) > 0 && f.val.Kind == yaml.MappingNode {
			d.errorf(f.key, "weights: no weight for %s; give every fact kind a credit, e.g. %s: 1 (0 for no credit)", strings.Join(missing, ", "), missing[0])
		}
	}
	if f, ok := m.get("multipliers"); ok {
		mm := d.mapping(f.val, "multipliers", "{labels: {bug: 1.5}, repos: {github:cotech/website: 0.5}}", "labels", "repos")
		if g, ok := mm.get("labels"); ok {
			s.Multipliers.Labels = map[string]Milli{}
			for _, p := range d.pairs(g.val, "multipliers: labels", "{bug: 1.5, documentation: 0.8}") {
				name := p.key.Value
				if strings.TrimSpace(name) == "" {
					d.errorf(p.key, "multipliers: labels: the label name is empty; write the label, e.g. bug: 1.5")
					continue
				}
				if v, ok := d.number(p.val, "multiplier of label "+name, "use 0 for no credit, or 1 to leave the credit as it is"); ok {
					s.Multipliers.Labels[name] = v
				}
			}
		}
		if g, ok := mm.get("repos"); ok {
			s.Multipliers.Repos = map[string]Milli{}
			for _, p := range d.pairs(g.val, "multipliers: repos", "{github:cotech/website: 0.5}") {
				k := *p.key
				k.Tag = "!!str" // a key is text whatever it looks like
				r, ok := d.repo(&k, "multipliers")
				if !ok {
					continue
				}
				if v, ok := d.number(p.val, "multiplier of repo "+r, "use 0 for no credit, or 1 to leave the credit as it is"); ok {
					s.Multipliers.Repos[strings.ToLower(r)] = v
					src.repoMults = append(src.repoMults, p.key)
					src.repoKeys = append(src.repoKeys, r)
				}
			}
		}
	}
	if f, ok := m.get("caps"); ok {
		s.Caps = map[string]Milli{}
		for _, p := range d.pairs(f.val, "caps", "{comment: 20}") {
			if !slices.Contains(kinds, p.key.Value) {
				d.errorf(p.key, "caps: %s", unknown("fact kind", p.key.Value, kinds, "fact kinds"))
				continue
			}
			if v, ok := d.number(p.val, "cap of "+p.key.Value, "a cap is the most credit one member earns per period; remove the line for no cap"); ok {
				s.Caps[p.key.Value] = v
			}
		}
	}
	if f, ok := m.get("exclude"); ok {
		em := d.mapping(f.val, "exclude", "{bots: true, identities: [github:some-ci-user]}", "bots", "identities")
		if g, ok := em.get("bots"); ok {
			s.Exclude.Bots, _ = d.boolean(g.val, "exclude: bots")
		}
		if g, ok := em.get("identities"); ok {
			for _, x := range d.list(g.val, "exclude: identities", "[github:some-ci-user]") {
				if id, ok := d.identity(x, "exclude"); ok {
					s.Exclude.Identities = append(s.Exclude.Identities, id)
				}
			}
		}
	}
	return s, src
}

// ---- governance.yml ----

type governanceSrc struct {
	profiles   *yaml.Node   // the profiles key
	allNames   []string     // every profile name in the file, valid or not
	startLabel []*yaml.Node // start_label values (nil when none), parallel to Governance.Profiles
	proposers  []*yaml.Node // proposers values (nil when none), parallel to Governance.Profiles
	labels     map[string]*yaml.Node
	rules      []*yaml.Node          // profile values of the rules, parallel to Automation
	ruleNums   []int                 // 1-based numbers of the rules in the file, parallel too
	uses       map[string]*yaml.Node // policy_changes, budgets → their profile values
}

func (d *decoder) governance(top *yaml.Node) (*Governance, *governanceSrc) {
	if top == nil {
		return nil, nil
	}
	g := &Governance{Labels: Labels{Open: "vote/open", Passed: "vote/passed", Rejected: "vote/rejected", Cancelled: "vote/cancelled"},
		PolicyChanges: "default", Budgets: "default"}
	src := &governanceSrc{labels: map[string]*yaml.Node{}, uses: map[string]*yaml.Node{}}
	m := d.mapping(top, "", "", "version", "labels", "profiles", "automation", "policy_changes", "budgets")
	for key, dst := range map[string]*string{"policy_changes": &g.PolicyChanges, "budgets": &g.Budgets} {
		f, ok := m.get(key)
		if !ok {
			continue
		}
		um := d.mapping(f.val, key, "{profile: default}", "profile")
		d.require(f.val, um, key, "profile")
		if pf, found := um.get("profile"); found {
			if name, good := d.text(pf.val, key+": profile"); good {
				*dst, src.uses[key] = name, pf.val
			}
		}
	}
	d.version(top, m)
	d.require(top, m, "", "profiles")

	if f, ok := m.get("labels"); ok {
		lm := d.mapping(f.val, "labels", "{open: vote/open, passed: vote/passed, rejected: vote/rejected, cancelled: vote/cancelled}",
			"open", "passed", "rejected", "cancelled")
		for key, dst := range map[string]*string{"open": &g.Labels.Open, "passed": &g.Labels.Passed, "rejected": &g.Labels.Rejected, "cancelled": &g.Labels.Cancelled} {
			if f, ok := lm.get(key); ok {
				if s, ok := d.label(f.val, "labels: "+key, "vote/"+key); ok {
					*dst = s
					src.labels[key] = f.val
				}
			}
		}
	}

	if f, ok := m.get("profiles"); ok {
		src.profiles = f.key
		ps := d.pairs(f.val, "profiles", "{default: {duration: 7d, voters: members, threshold: 0.5}}")
		if len(ps) == 0 && f.val.Kind == yaml.MappingNode {
			d.errorf(f.val, "profiles is empty; define at least a default profile, e.g. default: {duration: 7d, voters: members, quorum: 0.5, threshold: 0.5}")
		}
		for _, p := range ps {
			src.allNames = append(src.allNames, p.key.Value)
			if pr, startNode, propNode, ok := d.profile(p); ok {
				g.Profiles = append(g.Profiles, pr)
				src.startLabel = append(src.startLabel, startNode)
				src.proposers = append(src.proposers, propNode)
			}
		}
	}

	if f, ok := m.get("automation"); ok {
		for i, n := range d.list(f.val, "automation", "- {patterns: [\"accord/*.yml\"], profile: default}") {
			what := fmt.Sprintf("automation rule #%d", i+1)
			rm := d.mapping(n, what, "{patterns: [\"accord/*.yml\"], profile: default}", "patterns", "profile")
			if n.Kind != yaml.MappingNode {
				continue
			}
			d.require(n, rm, what, "patterns", "profile")
			var r Rule
			var profNode *yaml.Node
			if f, found := rm.get("patterns"); found {
				items := d.list(f.val, what+": patterns", "[\"accord/*.yml\"]")
				if len(items) == 0 && f.val.Kind == yaml.SequenceNode {
					d.errorf(f.val, "%s: patterns is empty; give at least one path pattern, e.g. [\"accord/*.yml\"]", what)
				}
				for _, x := range items {
					if p, good := d.pattern(x, what); good {
						r.Patterns = append(r.Patterns, p)
					}
				}
			}
			if f, found := rm.get("profile"); found {
				if name, good := d.text(f.val, what+": profile"); good {
					r.Profile, profNode = name, f.val
				}
			}
			g.Automation = append(g.Automation, r)
			src.rules = append(src.rules, profNode)
			src.ruleNums = append(src.ruleNums, i+1)
		}
	}
	return g, src
}

// profile decodes one profile. ok is false when it is not a mapping; a
// profile with mistakes is still returned, so that the checks across
// profiles see it.
func (d *decoder) profile(p field) (pr Profile, startNode, propNode *yaml.Node, ok bool) {
	name := p.key.Value
	what := "profile " + name
	if !idPattern.MatchString(name) {
		d.errorf(p.key, "profile name %q is not valid (it is typed in /propose %s); use lowercase letters, digits, dots, dashes and underscores, e.g. %s", name, name, suggestID(name, "membership"))
	}
	pr = Profile{Name: name, Duration: 7 * 24 * time.Hour, Voters: VotersMembers, Threshold: 500, Proposers: ProposersMembers}
	example := "{duration: 7d, voters: members, quorum: 0.5, threshold: 0.5}"
	if isNull(p.val) {
		d.errorf(p.key, "%s is empty; give its settings, e.g. %s: %s", what, name, example)
		return pr, nil, nil, false
	}
	pm := d.mapping(p.val, what, example,
		"duration", "voters", "quorum", "threshold", "block", "close_early", "proposers", "start_label")
	if p.val.Kind != yaml.MappingNode {
		return pr, nil, nil, false
	}
	set := func(key string, fn func(n *yaml.Node) bool) {
		if f, found := pm.get(key); found {
			fn(f.val)
		}
	}
	set("duration", func(n *yaml.Node) (good bool) { pr.Duration, good = d.duration(n, what); return })
	set("voters", func(n *yaml.Node) (good bool) {
		pr.Voters, good = d.choice(n, what+": voters", VotersMembers, " (one member, one vote)", VotersCoops, " (one co-op, one vote)")
		return
	})
	set("quorum", func(n *yaml.Node) (good bool) {
		pr.Quorum, good = d.share(n, what+": quorum", "quorum")
		return
	})
	set("threshold", func(n *yaml.Node) (good bool) {
		pr.Threshold, good = d.share(n, what+": threshold", "threshold")
		if good && pr.Threshold == One {
			d.errorf(n, "%s: threshold 1 can never be met, since yes/(yes+no) must be greater than the threshold; use a share below 1 (e.g. 0.66), or block: true for decisions by consent", what)
			good = false
		}
		return
	})
	set("block", func(n *yaml.Node) (good bool) { pr.Block, good = d.boolean(n, what+": block"); return })
	set("close_early", func(n *yaml.Node) (good bool) { pr.CloseEarly, good = d.boolean(n, what+": close_early"); return })
	set("proposers", func(n *yaml.Node) (good bool) {
		pr.Proposers, good = d.choice(n, what+": proposers", ProposersMembers, " (any member may propose)", ProposersMaintainers, " (only maintainers may)")
		propNode = n
		return
	})
	set("start_label", func(n *yaml.Node) (good bool) {
		pr.StartLabel, good = d.label(n, what+": start_label", "proposal/"+name)
		startNode = n
		return
	})
	return pr, startNode, propNode, true
}

// pattern checks one automation path pattern.
func (d *decoder) pattern(n *yaml.Node, what string) (string, bool) {
	s, ok := d.text(n, what+": patterns")
	if !ok {
		return "", false
	}
	switch {
	case strings.TrimSpace(s) == "":
		d.errorf(n, "%s: the pattern is empty; write a path pattern, e.g. accord/*.yml", what)
		return "", false
	case strings.HasPrefix(s, "/"):
		d.errorf(n, "%s: pattern %q starts with /; patterns are relative to the repo root, so write %s", what, s, strings.TrimLeft(s, "/"))
		return "", false
	case strings.Contains(s, "**"):
		d.errorf(n, "%s: pattern %q uses **, which is not supported; * matches within one directory, so list each directory, e.g. accord/*.yml", what, s)
		return "", false
	}
	if _, err := path.Match(s, ""); err != nil {
		d.errorf(n, "%s: pattern %q is not a valid path pattern; use * for any name, ? for one character and [abc] for a set, e.g. accord/*.yml", what, s)
		return "", false
	}
	return s, true
}

// closest returns the name in list nearest to s, if it is near enough to be
// a typo.
func closest(s string, list []string) string {
	best, bestD := "", 3
	for _, x := range list {
		if dd := typo.Distance(s, x); dd < bestD && dd < max(len(x), 2) {
			best, bestD = x, dd
		}
	}
	return best
}
