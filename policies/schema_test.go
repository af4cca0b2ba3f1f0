package policies

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

// compileSchemas compiles the three embedded schemas.
func compileSchemas(t *testing.T) map[string]*jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	urls := map[string]string{}
	for _, name := range SchemaNames() {
		data, err := Schema(name)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s schema: %v", name, err)
		}
		id, _ := doc.(map[string]any)["$id"].(string)
		if !strings.HasSuffix(id, "/policies/schema/"+name+".schema.json") {
			t.Fatalf("%s schema: $id %q", name, id)
		}
		if err := c.AddResource(id, doc); err != nil {
			t.Fatalf("%s schema: %v", name, err)
		}
		urls[name] = id
	}
	out := map[string]*jsonschema.Schema{}
	for name, url := range urls {
		sch, err := c.Compile(url)
		if err != nil {
			t.Fatalf("%s schema does not compile: %v", name, err)
		}
		out[name+".yml"] = sch
	}
	return out
}

// yamlToJSON converts a YAML document to the value a JSON parser would
// give for the same data, as an editor's YAML language server does: dates
// stay strings, and numbers keep their exact text.
func yamlToJSON(t *testing.T, data []byte) any {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	v, err := json.Marshal(nodeValue(&doc))
	if err != nil {
		t.Fatal(err)
	}
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(v))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func nodeValue(n *yaml.Node) any {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil
		}
		return nodeValue(n.Content[0])
	case yaml.AliasNode:
		return nodeValue(n.Alias)
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = nodeValue(n.Content[i+1])
		}
		return m
	case yaml.SequenceNode:
		l := []any{}
		for _, c := range n.Content {
			l = append(l, nodeValue(c))
		}
		return l
	}
	switch n.Tag {
	case "!!null":
		return nil
	case "!!bool":
		return n.Value == "true"
	case "!!int", "!!float":
		if _, err := strconv.ParseFloat(n.Value, 64); err == nil {
			return json.Number(strings.TrimPrefix(n.Value, "+"))
		}
	}
	return n.Value // !!str, !!timestamp (a date stays a string) and the rest
}

func readExamples(t *testing.T) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for _, name := range FileNames() {
		data, err := os.ReadFile(filepath.Join(examplesDir, name))
		if err != nil {
			t.Fatal(err)
		}
		files[name] = data
	}
	return files
}

func TestSchemasAcceptValidFiles(t *testing.T) {
	schemas := compileSchemas(t)
	for label, files := range map[string]map[string][]byte{"examples": readExamples(t), "base": baseFiles()} {
		for name, data := range files {
			if err := schemas[name].Validate(yamlToJSON(t, data)); err != nil {
				t.Errorf("%s/%s does not match its schema: %v", label, name, err)
			}
		}
	}
}

// TestSchemasRejectBrokenFiles breaks the examples in ways a schema can
// express: the schema rejects each, and so does Parse.
func TestSchemasRejectBrokenFiles(t *testing.T) {
	schemas := compileSchemas(t)
	breaks := []struct {
		name string
		change
	}{
		{"unknown key in coops", change{CoopsFile, "    name: Webarchitects\n", "    title: Webarchitects\n"}},
		{"unknown top-level key", change{CoopsFile, "maintainers: [alice, bilal, emeka, fran]", "admins: [alice]"}},
		{"version 2", change{CoopsFile, "version: 1", "version: 2"}},
		{"bad identity", change{CoopsFile, "identities: [codeberg:hamza]", "identities: [hamza]"}},
		{"identity with spaces", change{CoopsFile, "identities: [codeberg:hamza]", "identities: [\"codeberg:hamza ali\"]"}},
		{"bad repo", change{CoopsFile, "- gitea:webarchitects/hosting-docs", "- webarchitects/hosting-docs"}},
		{"bad date", change{CoopsFile, "since: 2020-05-01", "since: 2020-5-1"}},
		{"bad email", change{CoopsFile, "emails: [dara@agile.example]", "emails: [dara]"}},
		{"bad member id", change{CoopsFile, "  - id: hamza\n", "  - id: Hamza Ali\n"}},
		{"no identities", change{CoopsFile, "    identities: [codeberg:hamza]\n", ""}},
		{"unknown key in scoring", change{ScoringFile, "co_authors: split ", "coauthors: split "}},
		{"negative weight", change{ScoringFile, "pr_merged: 10", "pr_merged: -10"}},
		{"weight as text", change{ScoringFile, "comment: 0.5", "comment: half"}},
		{"missing weight", change{ScoringFile, "  manual: 1 ", "  # manual: 1 "}},
		{"unknown fact kind in caps", change{ScoringFile, "  commit: 40\n", "  commits: 40\n"}},
		{"bad period", change{ScoringFile, "period: month", "period: year"}},
		{"bad co_authors", change{ScoringFile, "co_authors: split ", "co_authors: first "}},
		{"bots as text", change{ScoringFile, "bots: true ", "bots: \"yes\" "}},
		{"bad excluded identity", change{ScoringFile, "identities: [github:cotech-ci, forgejo:renovate]", "identities: [cotech-ci]"}},
		{"bad repo multiplier key", change{ScoringFile, "github:cotech/website: 0.5", "cotech/website: 0.5"}},
		{"quorum above 1", change{GovernanceFile, "quorum: 0.75", "quorum: 75"}},
		{"negative quorum", change{GovernanceFile, "quorum: 0.75", "quorum: -0.75"}},
		{"threshold 1", change{GovernanceFile, "threshold: 0.66", "threshold: 1"}},
		{"bad voters", change{GovernanceFile, "voters: members", "voters: people"}},
		{"bad proposers", change{GovernanceFile, "proposers: maintainers", "proposers: anyone"}},
		{"bad duration", change{GovernanceFile, "duration: 14d", "duration: 2w"}},
		{"zero duration", change{GovernanceFile, "duration: 14d", "duration: 0d"}},
		{"empty label", change{GovernanceFile, "open: vote/open", "open: \"\""}},
		{"unknown key in a profile", change{GovernanceFile, "    block: true\n", "    blocks: true\n"}},
		{"no default profile", change{GovernanceFile, "  default:\n", "  everyday:\n"}},
		{"bad profile name", change{GovernanceFile, "  membership:\n", "  Membership Vote:\n"}},
		{"pattern with **", change{GovernanceFile, `["accord/*.yml"]`, `["accord/**"]`}},
		{"absolute pattern", change{GovernanceFile, `["accord/*.yml"]`, `["/accord/*.yml"]`}},
		{"rule without patterns", change{GovernanceFile, `{patterns: ["accord/*.yml"], profile: policy}`, `{profile: policy}`}},
	}
	for _, b := range breaks {
		t.Run(b.name, func(t *testing.T) {
			files := readExamples(t)
			edit(t, files, b.file, b.from, b.to)
			if err := schemas[b.file].Validate(yamlToJSON(t, files[b.file])); err == nil {
				t.Errorf("the schema of %s accepts %q", b.file, b.to)
			}
			if _, errs := Parse(files, testForges); len(errs) == 0 {
				t.Errorf("Parse accepts %q in %s", b.to, b.file)
			}
		})
	}
}
