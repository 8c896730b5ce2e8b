package e2e

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCommandLine(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.yaml", "adapters:\n  - id: a1\n    platform: poshmark\n    secrets: [\""+secret+"\"]\n    api: {base_url: \"https://api.example.test\", token: \"tok-cli-secret\"}\n")
	bad := write("bad.yaml", strings.Join([]string{
		"listen: \"127.0.0.1:0\"",
		"colour: blue",
		"adapters:",
		"  - id: a1",
		"    platform: myspace",
		"    secrets: [\"whsec_!!notbase64\"]",
		"    api: {base_url: \"/relative\", token: \"tok-cli-secret\", timeout: soon}",
		"  - id: a1",
		"    platform: poshmark",
		"    secrets: []",
		"    api: {base_url: \"https://api.example.test\"}",
		// Each platform checks its own secret format (an unknown one
		// cannot), and the keys it does not use.
		"  - id: a2",
		"    platform: selfservice",
		"    secrets: [\"whsec_!!notbase64\"]",
		"    shop: acme.myshopify.com",
		"    api: {base_url: \"https://api.example.test\"}",
		"  - id: a3",
		"    platform: shopify",
		"    secrets: [\"short\"]",
		"    api: {base_url: \"https://acme.myshopify.com\", token: \"tok-cli-secret\"}",
	}, "\n")+"\n")

	badPort := write("port.yaml", "listen: \"127.0.0.1:99999\"\n"+string(must(os.ReadFile(good))))
	bareVar := write("bare.yaml", "admin_token: \"$CANCELSYNC_ADMIN_TOKEN\"\n"+string(must(os.ReadFile(good))))

	cases := []struct {
		name string
		args []string
		env  []string
		code int
		want []string
	}{
		{name: "version", args: []string{"version"}, code: 0, want: []string{"cancelsync "}},
		{name: "no command", args: nil, code: 2, want: []string{"usage"}},
		{name: "help", args: []string{"--help"}, code: 0, want: []string{"usage: cancelsync", "serve"}},
		{name: "serve --help", args: []string{"serve", "--help"}, code: 0, want: []string{"usage: cancelsync"}},
		{name: "flags after an argument", args: []string{"dlq", "replay", "ID1", "--config", bad}, code: 1, want: []string{"adapters[0].platform"}},
		{name: "port out of range", args: []string{"config", "check", "--config", badPort}, code: 1, want: []string{"listen: ", "65535"}},
		{name: "$VAR without braces", args: []string{"config", "check", "--config", bareVar}, code: 0, want: []string{"warning: admin_token: ", "bare.yaml: ok"}},
		{name: "unknown command", args: []string{"launch"}, code: 2, want: []string{"unknown command"}},
		{name: "unknown flag", args: []string{"serve", "--colour"}, code: 2},
		{name: "replay needs ids or --all", args: []string{"dlq", "replay", "--config", good}, code: 2},
		{name: "config check ok", args: []string{"config", "check", "--config", good}, code: 0, want: []string{"ok"}},
		{name: "config from environment", args: []string{"config", "check"}, env: []string{"CANCELSYNC_CONFIG=" + good}, code: 0, want: []string{"good.yaml: ok"}},
		{name: "missing config", args: []string{"config", "check", "--config", filepath.Join(dir, "none.yaml")}, code: 1},
		{name: "config check names every problem", args: []string{"config", "check", "--config", bad}, code: 1, want: []string{
			"colour", "adapters[0].platform", "adapters[0].api.base_url", "adapters[0].api.timeout",
			"adapters[1].id", "adapters[1].secrets",
			"adapters[2].secrets[0]", "adapters[2].shop: is not used by this platform",
			"adapters[3].secrets[0]: must be the app's client secret", "adapters[3].shop: is required",
		}},
		{name: "serve refuses a bad config", args: []string{"serve", "--config", bad}, code: 1, want: []string{"adapters[0].platform"}},
		{name: "api needs a shared Redis", args: []string{"api", "--config", good}, code: 1, want: []string{"redis_url"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(binary, c.args...)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), c.env...)
			out, _ := cmd.CombinedOutput()
			if got := cmd.ProcessState.ExitCode(); got != c.code {
				t.Fatalf("exit %d, want %d\n%s", got, c.code, out)
			}
			for _, w := range c.want {
				if !strings.Contains(string(out), w) {
					t.Fatalf("output lacks %q:\n%s", w, out)
				}
			}
			assertNoSecrets(t, string(out), "tok-cli-secret", "!!notbase64")
		})
	}
}

// TestServeOnTheShippedExampleConfig runs the README's first command — serve
// on the repository's cancelsync.yaml with its embedded Redis — on a free
// port, posts a signed webhook, and stops it with SIGTERM.
func TestServeOnTheShippedExampleConfig(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../cancelsync.yaml")
	if err != nil {
		t.Fatal(err)
	}
	listen := freeAddr(t)
	cfg := strings.Replace(string(raw), `listen: "127.0.0.1:8080"`, `listen: "`+listen+`"`, 1)
	if cfg == string(raw) {
		t.Fatal("example config has no listen line to rewrite")
	}
	path := filepath.Join(t.TempDir(), "cancelsync.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	s := start(t, "serve", path, listen)
	now := time.Now().UTC().Truncate(time.Second)
	if code, out := s.post(t, "demo-posh", "orders", newID(), orderBody("PM-10023", "paid", now.Add(-time.Hour), now, nil)); code != 202 {
		t.Fatalf("post: %d %v", code, out)
	}
	s.waitFor(t, "demo-posh", "PM-10023", "order stored", func(v map[string]any) bool { return v["order"] != nil })
	if !strings.Contains(s.out.String(), "EMBEDDED REDIS") {
		t.Fatal("serve on embedded Redis did not warn that it is not durable")
	}
	if code := s.stop(); code != 0 {
		t.Fatalf("exit %d after SIGTERM\n%s", code, s.out.String())
	}
	// Log lines are written in batches (internal/groupwrite): every one of
	// them is out before the process exits, the last one included.
	// The example config logs text lines.
	lines := strings.Split(strings.TrimSpace(s.out.String()), "\n")
	if last := lines[len(lines)-1]; !strings.HasSuffix(last, "level=INFO msg=stopped") {
		t.Fatalf("last line %q, want the line \"stopped\"", last)
	}
	if !strings.Contains(s.out.String(), "msg=webhook adapter=demo-posh") {
		t.Fatalf("the webhook's line is missing:\n%s", s.out.String())
	}
}

// TestAFailedStartWritesItsLinesInOrder: a service that cannot listen exits
// 1 after its JSON log lines, the error last as a plain line, even though
// service lines are written in batches.
func TestAFailedStartWritesItsLinesInOrder(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	r := startRedis(t)
	path, listen := writeConfig(t, r.URL(), []adapterConf{{id: "s1", platform: "selfservice", baseURL: "http://127.0.0.1:9"}}, "")
	raw := must(os.ReadFile(path))
	if err := os.WriteFile(path, []byte(strings.Replace(string(raw), listen, ln.Addr().String(), 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out := runCLI(t, "serve", "--config", path)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 1 || len(lines) < 3 {
		t.Fatalf("exit %d, output:\n%s\nwant exit 1 after the log lines and the error", code, out)
	}
	if !strings.Contains(lines[0], `"msg":"cancelsync starting"`) {
		t.Errorf("first line %q, want \"cancelsync starting\"", lines[0])
	}
	failed := lines[len(lines)-2]
	if !strings.Contains(failed, `"level":"ERROR"`) || !strings.Contains(failed, "address already in use") {
		t.Errorf("line before last %q, want the JSON error line", failed)
	}
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "cancelsync: ") || !strings.Contains(last, "address already in use") {
		t.Errorf("last line %q, want the plain error after the JSON lines", last)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
