package web_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/accord-coop/accord/bot"
	"github.com/accord-coop/accord/docs"
	"github.com/accord-coop/accord/web"
)

// openAPI is docs/openapi.yaml, decoded.
func openAPI(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal(docs.OpenAPI, &doc); err != nil {
		t.Fatalf("docs/openapi.yaml: %v", err)
	}
	if doc["openapi"] != "3.1.0" {
		t.Errorf("openapi: %v, want 3.1.0", doc["openapi"])
	}
	return doc
}

// TestOpenAPIPaths: the paths of docs/openapi.yaml are the routes the
// server answers under /api/v1, each a GET.
func TestOpenAPIPaths(t *testing.T) {
	doc := openAPI(t)
	var documented []string
	for p, ops := range doc["paths"].(map[string]any) {
		documented = append(documented, p)
		for op := range ops.(map[string]any) {
			if op != "get" {
				t.Errorf("%s: %s, but the API only answers GET", p, op)
			}
		}
	}
	var served []string
	for _, r := range (&bot.Server{Web: &web.Site{}}).Routes() {
		method, path, _ := strings.Cut(r, " ")
		if strings.HasPrefix(path, "/api/v1/") {
			served = append(served, path)
			if method != "GET" {
				t.Errorf("%s is served for %s", path, method)
			}
		}
	}
	slices.Sort(documented)
	slices.Sort(served)
	if !slices.Equal(documented, served) {
		t.Errorf("docs/openapi.yaml documents\n%v\nthe server answers\n%v", documented, served)
	}
}

// TestOpenAPISchemas: every golden answer of the API (testdata/golden)
// holds to its schema in docs/openapi.yaml, whose credits and proposals
// are the schemas of docs/schemas.
func TestOpenAPISchemas(t *testing.T) {
	doc := openAPI(t)
	raw, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	add := func(url string, data []byte) {
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", url, err)
		}
		if err := c.AddResource(url, v); err != nil {
			t.Fatal(err)
		}
	}
	add("https://accord.example/openapi.json", raw)
	for _, name := range []string{"score.schema.json", "proposals.schema.json"} {
		data, err := os.ReadFile(filepath.Join("../docs/schemas", name))
		if err != nil {
			t.Fatal(err)
		}
		add("https://raw.githubusercontent.com/accord-coop/accord/main/docs/schemas/"+name, data)
	}
	schema := func(name string) *jsonschema.Schema {
		s, err := c.Compile("https://accord.example/openapi.json#/components/schemas/" + name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return s
	}
	proposals, err := c.Compile("https://accord.example/openapi.json#/paths/~1api~1v1~1proposals/get/responses/200/content/application~1json/schema")
	if err != nil {
		t.Fatal(err)
	}
	for golden, s := range map[string]*jsonschema.Schema{
		"federation.json": schema("Federation"), "coops_north.json": schema("Coop"), "coops_south.json": schema("Coop"),
		"members_alice.json": schema("Member"), "members_bob.json": schema("Member"), "proposals.json": proposals,
		"proposals_1.json": schema("Proposal"), "proposals_2.json": schema("Proposal"), "ledger.json": schema("Ledger"),
	} {
		data, err := os.ReadFile(filepath.Join("testdata/golden", golden))
		if err != nil {
			t.Fatal(err)
		}
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", golden, err)
		}
		if err := s.Validate(v); err != nil {
			t.Errorf("%s: %v", golden, err)
		}
	}
	// The error answers too.
	v, _ := jsonschema.UnmarshalJSON(strings.NewReader(`{"error": "Not found: /api/v1/coops/x"}`))
	if err := schema("Error").Validate(v); err != nil {
		t.Error(err)
	}
}
