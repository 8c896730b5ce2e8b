package docs

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/cancelsync/cancelsync/order"
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

// Every field a schema requires is one it describes: a required name
// without its property is a field documented nowhere (or described under
// another schema).
func TestRequiredFieldsAreDescribed(t *testing.T) {
	t.Parallel()
	doc, err := openapi3.NewLoader().LoadFromData(OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[*openapi3.Schema]bool{}
	var walk func(at string, s *openapi3.Schema)
	walk = func(at string, s *openapi3.Schema) {
		if s == nil || seen[s] {
			return
		}
		seen[s] = true
		if len(s.Properties) > 0 {
			for _, name := range s.Required {
				if s.Properties[name] == nil {
					t.Errorf("%s requires %q but does not describe it", at, name)
				}
			}
		}
		for name, p := range s.Properties {
			walk(at+"."+name, p.Value)
		}
		if s.Items != nil {
			walk(at+"[]", s.Items.Value)
		}
		for _, group := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
			for _, r := range group {
				walk(at, r.Value)
			}
		}
	}
	for name, r := range doc.Components.Schemas {
		walk(name, r.Value)
	}
}

// The read API's bodies have exactly the fields their schemas describe: a
// property the code does not send is a promise nobody keeps.
func TestSchemasDescribeTheBodies(t *testing.T) {
	t.Parallel()
	doc, err := openapi3.NewLoader().LoadFromData(OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	storefrontLines := doc.Components.Schemas["StorefrontEligibility"].Value.Properties["lines"]
	if storefrontLines == nil {
		t.Fatal("StorefrontEligibility has no lines")
	}
	for name, c := range map[string]struct {
		schema *openapi3.Schema
		body   reflect.Type
	}{
		"OrderView":                     {doc.Components.Schemas["OrderView"].Value, reflect.TypeFor[order.OrderView]()},
		"Cancellation":                  {doc.Components.Schemas["Cancellation"].Value, reflect.TypeFor[order.CancellationView]()},
		"StorefrontEligibility.lines[]": {storefrontLines.Value.Items.Value, reflect.TypeFor[order.LinePreview]()},
	} {
		var described, sent []string
		for p := range c.schema.Properties {
			described = append(described, p)
		}
		for f := range c.body.Fields() {
			sent = append(sent, strings.Split(f.Tag.Get("json"), ",")[0])
		}
		slices.Sort(described)
		slices.Sort(sent)
		if !slices.Equal(described, sent) {
			t.Errorf("%s describes %v; %s sends %v", name, described, c.body, sent)
		}
	}
}
