package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// docs/STOREFRONT.md's "Try it" block, played as printed against serve on
// the shipped cancelsync.yaml: an order placed now is eligible, and the
// buyer's POST is queued. (An order placed on a fixed past date would be
// window_expired by the time anyone reads the page.)
func TestStorefrontRecipe(t *testing.T) {
	t.Parallel()
	doc := string(must(os.ReadFile("../docs/STOREFRONT.md")))
	i := strings.Index(doc, "\n## Try it\n")
	if i < 0 {
		t.Fatal(`docs/STOREFRONT.md has no "## Try it"`)
	}
	sec := doc[i+1:]
	if j := strings.Index(sec[3:], "\n## "); j >= 0 {
		sec = sec[:3+j]
	}
	blocks := shBlocks(sec)
	if len(blocks) != 1 {
		t.Fatalf("want 1 sh block in the recipe, got %d", len(blocks))
	}

	p := newPlatform(t)
	cfg := string(must(os.ReadFile("../cancelsync.yaml")))
	listen := freeAddr(t)
	cfg = strings.Replace(cfg, `listen: "127.0.0.1:8080"`, `listen: "`+listen+`"`, 1)
	cfg = strings.ReplaceAll(cfg, "http://127.0.0.1:9090", p.srv.URL)
	path := filepath.Join(t.TempDir(), "cancelsync.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	s := start(t, "serve", path, listen)

	cmd := exec.Command("bash", "-c", "set -e\n"+strings.ReplaceAll(blocks[0], "http://127.0.0.1:8080", s.url))
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "CANCELSYNC_URL="+s.url, "TMPDIR="+t.TempDir())
	raw, err := cmd.CombinedOutput()
	out := string(raw)
	if err != nil {
		t.Fatalf("the recipe failed: %v\n%s", err, out)
	}
	for _, want := range []string{"HTTP/1.1 202", `"eligible":true`, `"would":"cancelled"`, `"status":"queued"`, `"request_id":"sf-`} {
		if !strings.Contains(out, want) {
			t.Errorf("the recipe's output has no %s:\n%s", want, out)
		}
	}
	s.waitFor(t, "demo-posh", "PM-20001", "cancelled by the buyer", func(v map[string]any) bool {
		return field(v, "cancellation", "state") == "cancelled" && field(v, "cancellation", "initiator") == "buyer"
	})
}
