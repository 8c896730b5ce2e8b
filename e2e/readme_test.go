package e2e

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// readmeSection returns the README's section that starts with heading, up
// to the next heading of the same level.
func readmeSection(t *testing.T, heading string) string {
	t.Helper()
	readme := string(must(os.ReadFile("../README.md")))
	i := strings.Index(readme, "\n"+heading+"\n")
	if i < 0 {
		t.Fatalf("README.md has no %q", heading)
	}
	sec := readme[i+1:]
	if j := strings.Index(sec[len(heading):], "\n## "); j >= 0 {
		sec = sec[:len(heading)+j]
	}
	return sec
}

// shBlocks returns the bodies of the ```sh blocks in text, in order.
func shBlocks(text string) []string {
	var blocks []string
	for _, m := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(text, -1) {
		blocks = append(blocks, m[1])
	}
	return blocks
}

// The README's first screen shows the command that runs every test: it is
// the very command .ci/run runs.
func TestReadmeTestCommandIsCIs(t *testing.T) {
	t.Parallel()
	readme := string(must(os.ReadFile("../README.md")))
	first := shBlocks(readme)[0]
	var testCmd string
	for line := range strings.Lines(first) {
		cmd, _, _ := strings.Cut(line, "#")
		if cmd = strings.TrimSpace(cmd); strings.HasPrefix(cmd, "go test") {
			testCmd = cmd
		}
	}
	ci := string(must(os.ReadFile("../.ci/run")))
	if testCmd == "" || !slices.Contains(strings.Split(ci, "\n"), testCmd) {
		t.Fatalf("README's test command %q is not a line of .ci/run:\n%s", testCmd, ci)
	}
}

// TestReadmeWalkthrough plays "Try it with curl" as the README prints it:
// the fake platform and serve on the shipped cancelsync.yaml (on free ports
// instead of 9090 and 8080), then the posting block, the by-hand block and
// every row of the rejection table, each through bash, checking the status
// the README promises. The repository is left as it was.
func TestReadmeWalkthrough(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"bash", "curl", "openssl", "base64", "od"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the README walkthrough needs %s: %v", tool, err)
		}
	}
	sec := readmeSection(t, "## Try it with curl")
	blocks := shBlocks(sec)
	if len(blocks) != 3 {
		t.Fatalf("want 3 sh blocks in the walkthrough (terminals 1 and 2, posting, by hand), got %d", len(blocks))
	}
	for _, want := range []string{"go run ./cmd/fakeplatform -listen 127.0.0.1:9090\n", "go run ./cmd/cancelsync serve\n"} {
		if !strings.Contains(blocks[0], want) {
			t.Fatalf("terminals 1 and 2 no longer run %q:\n%s", want, blocks[0])
		}
	}
	type row struct{ cmd, status string }
	var rows []row
	rowRE := regexp.MustCompile("^\\| `([^`]+)`.*\\| `(\\d{3})`")
	for line := range strings.Lines(sec) {
		if m := rowRE.FindStringSubmatch(line); m != nil {
			rows = append(rows, row{m[1], m[2]})
		}
	}
	if len(rows) < 7 {
		t.Fatalf("found %d commands in the rejection table, want 7", len(rows))
	}

	// Terminal 1: the fake platform.
	dir := t.TempDir()
	fake := filepath.Join(dir, "fakeplatform")
	if out, err := exec.Command("go", "build", "-o", fake, "../cmd/fakeplatform").CombinedOutput(); err != nil {
		t.Fatalf("build fakeplatform: %v\n%s", err, out)
	}
	fakeAddr := freeAddr(t)
	fp := exec.Command(fake, "-listen", fakeAddr)
	var fpOut syncBuffer
	fp.Stdout, fp.Stderr = &fpOut, &fpOut
	if err := fp.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fp.Process.Kill(); _ = fp.Wait() })
	if !poll(20*time.Second, 20*time.Millisecond, func() bool {
		c, err := net.Dial("tcp", fakeAddr)
		if err == nil {
			c.Close()
		}
		return err == nil
	}) {
		t.Fatalf("fakeplatform not up:\n%s", fpOut.String())
	}

	// Terminal 2: serve on the shipped config.
	cfg := string(must(os.ReadFile("../cancelsync.yaml")))
	listen := freeAddr(t)
	cfg = strings.Replace(cfg, `listen: "127.0.0.1:8080"`, `listen: "`+listen+`"`, 1)
	cfg = strings.ReplaceAll(cfg, "http://127.0.0.1:9090", "http://"+fakeAddr)
	cfgPath := filepath.Join(dir, "cancelsync.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	s := start(t, "serve", cfgPath, listen)
	ported := func(text string) string { return strings.ReplaceAll(text, "http://127.0.0.1:8080", s.url) }

	// Terminal 3: one bash session, as a reader would type it.
	const mark = "\n@@@\n"
	script := "cd ..\n" + ported(blocks[1]) + "\necho; echo '@@@'\n" + ported(blocks[2])
	for _, r := range rows {
		script += "\necho; echo '@@@'\n" + ported(r.cmd) + "\n"
	}
	scratch := t.TempDir()
	bash := func(script string) string {
		t.Helper()
		cmd := exec.Command("bash", "-c", script)
		cmd.Env = append(os.Environ(), "CANCELSYNC_URL="+s.url, "TMPDIR="+scratch)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("bash: %v\n%s", err, out)
		}
		return string(out)
	}
	before := rootFiles(t)
	out := bash(script)
	parts := strings.Split(out, mark)
	if len(parts) != 2+len(rows) {
		t.Fatalf("output in %d parts, want %d:\n%s", len(parts), 2+len(rows), out)
	}
	statusRE := regexp.MustCompile(`(?m)^HTTP/1\.1 (\d{3})`)
	statuses := func(s string) []string {
		var got []string
		for _, m := range statusRE.FindAllStringSubmatch(s, -1) {
			got = append(got, m[1])
		}
		return got
	}
	if got := statuses(parts[0]); !slices.Equal(got, []string{"202", "200", "202"}) || !strings.Contains(parts[0], `"status":"duplicate"`) {
		t.Errorf("posting block: statuses %v, want [202 200 202] with a duplicate:\n%s", got, parts[0])
	}
	if got := statuses(parts[1]); !slices.Equal(got, []string{"202"}) {
		t.Errorf("by hand: statuses %v, want [202]:\n%s", got, parts[1])
	}
	for i, r := range rows {
		if got := statuses(parts[2+i]); !slices.Equal(got, []string{r.status}) {
			t.Errorf("row %q: statuses %v, want [%s]:\n%s", r.cmd, got, r.status, parts[2+i])
		}
	}
	if !strings.Contains(strings.ToLower(parts[2]), `www-authenticate: signature realm="cancelsync"`) {
		t.Errorf("the first 401 row has no WWW-Authenticate challenge:\n%s", parts[2])
	}

	// The posting block's last command reads the view: it shows what the
	// README says once the workers are done.
	curl := blocks[1][strings.LastIndex(blocks[1], "\ncurl ")+1:]
	var view string
	if !poll(30*time.Second, 200*time.Millisecond, func() bool {
		view = bash(ported(curl))
		return strings.Contains(view, `"state":"cancelled"`) && strings.Contains(view, `"sync":{"state":"synced"`)
	}) {
		t.Fatalf("the view never showed cancelled and synced:\n%s\nfakeplatform:\n%s", view, fpOut.String())
	}
	if !strings.Contains(fpOut.String(), `"order_id":"PM-10023"`) {
		t.Errorf("the fake platform printed no sync:\n%s", fpOut.String())
	}
	if after := rootFiles(t); !slices.Equal(before, after) {
		t.Errorf("the walkthrough changed the repository root: %v → %v", before, after)
	}
}

func rootFiles(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir("..")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}
