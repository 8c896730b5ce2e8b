package e2e

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The start lines name the process to signal: api's stdout line and the
// worker's "cancelsync starting" record carry its pid, and `kill -HUP`
// with exactly that pid, as README.md prints it, reloads that process.
func TestStartLinesNameThePidToSignal(t *testing.T) {
	t.Parallel()
	rs, p := startRedis(t), newPlatform(t)
	listen := freeAddr(t)
	path := filepath.Join(t.TempDir(), "cancelsync.yaml")
	cfg := liveConfig{listen: listen, redisURL: rs.URL(), baseURL: p.srv.URL,
		adapters: []liveAdapter{{id: "pid-a", secrets: []string{secret}, token: "tok-a"}}}
	writeAtomically(t, path, cfg.yaml())
	api := start(t, "api", path, listen)
	worker := start(t, "worker", path, listen)

	lineRE := regexp.MustCompile(`(?m)^cancelsync api listening on http://\S+ \(pid (\d+)\)$`)
	var apiPID string
	if !poll(20*time.Second, 20*time.Millisecond, func() bool {
		m := lineRE.FindStringSubmatch(api.out.String())
		if m != nil {
			apiPID = m[1]
		}
		return m != nil
	}) {
		t.Fatalf("api printed no listening line with its pid:\n%s", api.out.String())
	}
	var workerPID string
	if !poll(20*time.Second, 20*time.Millisecond, func() bool {
		for line := range strings.Lines(worker.out.String()) {
			var rec map[string]any
			if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == "cancelsync starting" {
				if pid, ok := rec["pid"].(float64); ok {
					workerPID = strconv.Itoa(int(pid))
				}
				return true
			}
		}
		return false
	}) {
		t.Fatalf("worker logged no start line:\n%s", worker.out.String())
	}
	if want := strconv.Itoa(api.cmd.Process.Pid); apiPID != want {
		t.Errorf("api's line names pid %s, the process is %s", apiPID, want)
	}
	if want := strconv.Itoa(worker.cmd.Process.Pid); workerPID != want {
		t.Errorf("worker's start record names pid %q, the process is %s", workerPID, want)
	}

	cfg.adapters = append(cfg.adapters, liveAdapter{id: "pid-n", secrets: []string{secretB}, token: "tok-n"})
	writeAtomically(t, path, cfg.yaml())
	for _, pid := range []string{apiPID, workerPID} {
		if out, err := exec.Command("kill", "-HUP", pid).CombinedOutput(); err != nil {
			t.Fatalf("kill -HUP %s: %v\n%s", pid, err, out)
		}
	}
	if !poll(10*time.Second, 20*time.Millisecond, func() bool {
		return strings.Contains(worker.out.String(), `"msg":"config reloaded"`) &&
			strings.Contains(api.out.String(), `"msg":"config reloaded"`)
	}) {
		t.Fatalf("kill -HUP of the printed pids did not reload both:\napi:\n%s\nworker:\n%s", api.out.String(), worker.out.String())
	}
}
