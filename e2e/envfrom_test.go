package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// `config check --env-from PID` expands ${VAR} from that process's
// environment, as its reload will, not from the shell's: a variable set only
// in the server passes, one the server lacks fails naming its key, even when
// the checking shell has it.
func TestConfigCheckEnvFromAProcess(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/proc/self/environ"); err != nil {
		t.Fatalf("needs /proc: %v", err)
	}
	cfg := `redis_url: "embedded"
adapters:
  - id: env-posh
    platform: poshmark
    secrets: ["${ENVFROM_TEST_SECRET}"]
    api: {base_url: "http://127.0.0.1:9", token: "tok"}
`
	path := filepath.Join(t.TempDir(), "cancelsync.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	server := func(env ...string) string {
		t.Helper()
		// Any long-lived process stands for the server: what is read is
		// its /proc/PID/environ.
		p := exec.Command("sleep", "60")
		p.Env = env
		if err := p.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = p.Process.Kill(); _ = p.Wait() })
		return strconv.Itoa(p.Process.Pid)
	}
	with := server("ENVFROM_TEST_SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	without := server("OTHER=1")

	if code, out := runCLI(t, "config", "check", "--config", path); code != 1 || !strings.Contains(out, "adapters[0].secrets[0]") {
		t.Errorf("without --env-from (variable unset here): exit %d\n%s\nwant 1 naming the key", code, out)
	}
	if code, out := runCLI(t, "config", "check", "--config", path, "--env-from", with); code != 0 || !strings.Contains(out, "ok (1 adapter(s))") {
		t.Errorf("--env-from a process that has the variable: exit %d\n%s\nwant 0", code, out)
	}
	// The checking shell has the variable; the server does not.
	check := exec.Command(binary, "config", "check", "--config", path, "--env-from", without)
	check.Env = append(os.Environ(), "ENVFROM_TEST_SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	raw, _ := check.CombinedOutput()
	if code, out := check.ProcessState.ExitCode(), string(raw); code != 1 || !strings.Contains(out, "adapters[0].secrets[0]") || !strings.Contains(out, "ENVFROM_TEST_SECRET") {
		t.Errorf("--env-from a process without the variable (the shell has it): exit %d\n%s\nwant 1 naming the key and the variable", code, out)
	}
	if code, out := runCLI(t, "config", "check", "--config", path, "--env-from", "nope"); code != 1 || !strings.Contains(out, "not a process id") {
		t.Errorf("--env-from nope: exit %d\n%s", code, out)
	}
}
