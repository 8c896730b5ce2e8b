package docs

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// The document loads, resolves every $ref and validates as OpenAPI 3.1, and
// documents every route the service mounts (docs/API.md).
func TestOpenAPIDocumentIsValid(t *testing.T) {
	t.Parallel()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	if !doc.IsOpenAPI31OrLater() {
		t.Errorf("openapi = %q, want 3.1", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"/webhooks/{adapter}/orders":                                  {"POST"},
		"/webhooks/{adapter}/cancellations":                           {"POST"},
		"/v1/adapters/{adapter}/orders/{order_id}":                    {"GET"},
		"/v1/adapters/{adapter}/orders/{order_id}/responses":          {"POST"},
		"/v1/adapters/{adapter}/cancellations":                        {"GET"},
		"/v1/adapters/{adapter}/stats":                                {"GET"},
		"/v1/adapters":                                                {"GET"},
		"/v1/adapters/{adapter}/dashboard":                            {"GET"},
		"/v1/adapters/{adapter}/orders/{order_id}/cancellations":      {"POST"},
		"/v1/adapters/{adapter}/dead-letters":                         {"GET"},
		"/v1/adapters/{adapter}/dead-letters/{id}/replay":             {"POST"},
		"/v1/adapters/{adapter}/connect":                              {"POST"},
		"/console":                                                    {"GET"},
		"/console/sign-in":                                            {"POST"},
		"/console/sign-out":                                           {"POST"},
		"/console/adapters/{adapter}":                                 {"GET"},
		"/console/adapters/{adapter}/cancellations":                   {"GET"},
		"/console/adapters/{adapter}/orders":                          {"GET"},
		"/console/adapters/{adapter}/orders/{order_id}":               {"GET"},
		"/console/adapters/{adapter}/orders/{order_id}/responses":     {"POST"},
		"/console/adapters/{adapter}/orders/{order_id}/cancellations": {"POST"},
		"/console/adapters/{adapter}/dead-letters/{id}/replay":        {"POST"},
		"/console/adapters/{adapter}/connect":                         {"POST"},
		"/storefront/{adapter}/orders/{order_id}/cancellation":        {"GET", "POST", "OPTIONS"},
		"/console/":     {"GET"},
		"/healthz":      {"GET"},
		"/readyz":       {"GET"},
		"/metrics":      {"GET"},
		"/openapi.yaml": {"GET"},
		"/admin/queues": {"GET"},
	}
	for path, methods := range want {
		item := doc.Paths.Find(path)
		if item == nil {
			t.Errorf("%s is not documented", path)
			continue
		}
		for _, m := range methods {
			op := item.GetOperation(m)
			if op == nil {
				t.Errorf("%s %s is not documented", m, path)
				continue
			}
			if op.Responses.Len() == 0 {
				t.Errorf("%s %s documents no response", m, path)
			}
		}
	}
	// Every operation says how it is authenticated, a public one with
	// "security: []" (Redocly's security-defined rule, which .ci/run also
	// runs), and every scheme it names exists.
	for path, item := range doc.Paths.Map() {
		for m, op := range item.Operations() {
			if op.Security == nil {
				t.Errorf("%s %s declares no security (public: security: [])", m, path)
				continue
			}
			for _, req := range *op.Security {
				for name := range req {
					if doc.Components.SecuritySchemes[name] == nil {
						t.Errorf("%s %s: security scheme %q is not defined", m, path, name)
					}
				}
			}
		}
	}
	if !strings.Contains(string(OpenAPI), `Signature realm="cancelsync"`) {
		t.Error("the webhook 401 challenge is not documented")
	}
}

// The repository stands on its own: no document points outside it.
func TestDocsCiteOnlyTheRepository(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("../*.md")
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob("*.md")
	for _, f := range append(files, more...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, outside := range []string{"../shared", "CONTRACT.md", "CONTRACT §"} {
			if strings.Contains(string(b), outside) {
				t.Errorf("%s cites %q, which is not in the repository (docs/API.md is)", f, outside)
			}
		}
	}
}
