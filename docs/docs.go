// Package docs holds the documents the server serves: the OpenAPI
// description of its JSON API (openapi.yaml, at /api/v1/openapi.yaml).
package docs

import _ "embed"

// OpenAPI is openapi.yaml: the OpenAPI 3.1 description of /api/v1.
//
//go:embed openapi.yaml
var OpenAPI []byte
