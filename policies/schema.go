package policies

import (
	"embed"
	"fmt"
	"strings"
)

//go:embed schema/*.schema.json
var schemas embed.FS

// SchemaNames returns the names Schema accepts, in FileNames order.
func SchemaNames() []string { return []string{"coops", "scoring", "governance"} }

// Schema returns the JSON Schema (draft 2020-12) of one policy file: name is
// coops, scoring or governance (a trailing .yml is allowed). Editors use it
// through a first line such as
//
//	# yaml-language-server: $schema=coops.schema.json
//
// The schemas check the shape of each file; Parse also checks what a schema
// cannot express, such as unique ids and references between files.
func Schema(name string) ([]byte, error) {
	name = strings.TrimSuffix(name, ".yml")
	for _, n := range SchemaNames() {
		if n == name {
			return schemas.ReadFile("schema/" + name + ".schema.json")
		}
	}
	return nil, fmt.Errorf("no schema named %q; use one of: %s", name, strings.Join(SchemaNames(), ", "))
}
