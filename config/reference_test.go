package config

import (
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The reference tables of docs/API.md §2 ("Top-level keys", "Adapter
// keys") list every key the config takes, and nothing else; the platform
// row and each row's platforms name the registry's platforms, and a key
// that only some platforms read names exactly those (each platform is
// asked for its keys). A key added to Config or to a platform without its
// row fails here, so the table cannot drift from the schema.
func TestReferenceTableListsEveryKey(t *testing.T) {
	t.Parallel()
	doc := string(must(os.ReadFile("../docs/API.md")))
	top, _ := tableKeys(t, doc, "### Top-level keys")
	adapter, adapterRows := tableKeys(t, doc, "### Adapter keys")

	wantTop := yamlKeys(reflect.TypeFor[Config](), "")
	wantAdapter := append(yamlKeys(reflect.TypeFor[Adapter](), ""), testPlatforms.Keys()...)
	readers := map[string][]string{} // a platform's own key → the platforms that read it
	for _, n := range testPlatforms.Names() {
		for _, k := range testPlatforms[n].Keys {
			readers[k.Name] = append(readers[k.Name], n)
		}
	}
	for _, k := range wantTop {
		if !slices.Contains(top, k) {
			t.Errorf("docs/API.md §2 Top-level keys has no row for %q", k)
		}
	}
	for _, k := range top {
		if !slices.Contains(wantTop, k) {
			t.Errorf("docs/API.md §2 Top-level keys lists %q, which Config does not take", k)
		}
	}
	for _, k := range wantAdapter {
		if !slices.Contains(adapter, k) {
			t.Errorf("docs/API.md §2 Adapter keys has no row for %q", k)
		}
	}
	for _, k := range adapter {
		if !slices.Contains(wantAdapter, k) {
			t.Errorf("docs/API.md §2 Adapter keys lists %q, which Adapter does not take", k)
		}
	}

	names := testPlatforms.Names()
	for _, row := range adapterRows {
		cells := strings.Split(strings.Trim(row, "|"), "|")
		if len(cells) < 4 {
			t.Errorf("adapter row without platforms column: %s", row)
			continue
		}
		if strings.HasPrefix(strings.TrimSpace(cells[0]), "`platform`") {
			for _, n := range names {
				if !strings.Contains(cells[3], "`"+n+"`") {
					t.Errorf("the platform row does not name %q: %s", n, row)
				}
			}
		}
		// "all", "all but shopify", or a list of names: each a platform.
		all := strings.HasPrefix(strings.TrimSpace(cells[1]), "all")
		plats := strings.TrimPrefix(strings.TrimSpace(cells[1]), "all")
		plats = strings.TrimPrefix(strings.TrimSpace(plats), "but ")
		var listed []string
		for p := range strings.SplitSeq(plats, ",") {
			if p = strings.TrimSpace(p); p != "" && !slices.Contains(names, p) {
				t.Errorf("row %s names platform %q, not one of %v", strings.TrimSpace(cells[0]), p, names)
			} else if p != "" {
				listed = append(listed, p)
			}
		}
		// A platform's own key: the row lists exactly the platforms that read it.
		code := regexp.MustCompile("`([a-z_.]+)`")
		for _, m := range code.FindAllStringSubmatch(cells[0], -1) {
			if r, own := readers[m[1]]; own {
				slices.Sort(listed)
				if all || !slices.Equal(listed, r) {
					t.Errorf("row %s: platforms %q, but the platforms that read %s are %v", strings.TrimSpace(cells[0]), strings.TrimSpace(cells[1]), m[1], r)
				}
			}
		}
	}
}

// tableKeys returns the backticked keys of the first column of the table
// under heading, and the rows.
func tableKeys(t *testing.T, doc, heading string) (keys, rows []string) {
	t.Helper()
	i := strings.Index(doc, "\n"+heading+"\n")
	if i < 0 {
		t.Fatalf("docs/API.md has no %q", heading)
	}
	sec := doc[i+len(heading)+2:]
	if j := strings.Index(sec, "\n#"); j >= 0 {
		sec = sec[:j]
	}
	code := regexp.MustCompile("`([a-z_.]+)`")
	for line := range strings.Lines(sec) {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		rows = append(rows, line)
		first := strings.Split(strings.Trim(line, "|\n"), "|")[0]
		for _, m := range code.FindAllStringSubmatch(first, -1) {
			keys = append(keys, m[1])
		}
	}
	return keys, rows
}

// yamlKeys lists the dotted yaml keys of struct type typ: nested structs
// (api, policy, retry) by their fields; adapters by its own name only.
func yamlKeys(typ reflect.Type, prefix string) []string {
	var keys []string
	for f := range typ.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		if f.Type.Kind() == reflect.Struct {
			keys = append(keys, yamlKeys(f.Type, prefix+name+".")...)
			continue
		}
		keys = append(keys, prefix+name)
	}
	return keys
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
