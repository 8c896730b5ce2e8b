// Package docs holds cancelsync's OpenAPI document (openapi.yaml), built
// into the binary so `serve` and `api` can serve it at GET /openapi.yaml and
// tests can check responses against the same bytes. The prose reference is
// API.md beside it.
package docs

import _ "embed"

// OpenAPI is docs/openapi.yaml: every HTTP endpoint, OpenAPI 3.1.
//
//go:embed openapi.yaml
var OpenAPI []byte
