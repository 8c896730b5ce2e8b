package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// environOf is the environment process pid started with, read from
// /proc/PID/environ (Linux), as a lookup for config.Parse. `config check
// --env-from PID` uses it so that ${VAR} expands exactly as it will when
// that running process reloads on SIGHUP: a reload reads the server's
// environment, never the shell's that runs the check (README.md, "Live
// configuration").
func environOf(pid string) (func(string) (string, bool), error) {
	if n, err := strconv.Atoi(pid); err != nil || n <= 0 {
		return nil, fmt.Errorf("--env-from: %q is not a process id", pid)
	}
	raw, err := os.ReadFile("/proc/" + pid + "/environ")
	if err != nil {
		// Another user's process (without root) or none at all; the error
		// says which.
		return nil, fmt.Errorf("--env-from %s: read the process's environment: %w", pid, err)
	}
	env := map[string]string{}
	for _, kv := range bytes.Split(raw, []byte{0}) {
		if k, v, ok := bytes.Cut(kv, []byte("=")); ok && len(k) > 0 {
			env[string(k)] = string(v)
		}
	}
	return func(name string) (string, bool) {
		v, ok := env[name]
		return v, ok
	}, nil
}
