package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestIngestAgainstBareBaseline drives the bare baseline for a fixed count
// and reads the RESULT line scripts/bench parses.
func TestIngestAgainstBareBaseline(t *testing.T) {
	t.Parallel()
	h, closeFn, err := baselineHandler("bare", "", exampleSecret)
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	srv := httptest.NewServer(h)
	defer srv.Close()
	var out, errOut bytes.Buffer
	prof := filepath.Join(t.TempDir(), "load.pprof")
	err = runIngest(context.Background(), []string{"-url", srv.URL, "-count", "40", "-connections", "4", "-label", "t", "-cpuprofile", prof}, &out, &errOut)
	if err != nil {
		t.Fatalf("%v: %s", err, errOut.String())
	}
	// A CPU profile is a gzipped protocol buffer, written when the run ends.
	if b, err := os.ReadFile(prof); err != nil || len(b) < 20 || b[0] != 0x1f || b[1] != 0x8b {
		t.Errorf("-cpuprofile wrote no CPU profile (%d bytes): %v", len(b), err)
	}
	line := out.String()
	for _, want := range []string{"RESULT mode=ingest label=t ", " n=40 ", " s202=40", " errors=0 "} {
		if !strings.Contains(line, want) {
			t.Errorf("RESULT line %q lacks %q", line, want)
		}
	}
}

func TestTargetsMustBeLoopback(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"http://example.com:8080", "http://10.0.0.1:8080", "https://127.0.0.1:8080", "127.0.0.1:8080"} {
		if loopbackURL(u) == nil {
			t.Errorf("%s accepted", u)
		}
	}
	for _, u := range []string{"http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:80"} {
		if err := loopbackURL(u); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	if loopbackAddr("0.0.0.0:9090") == nil {
		t.Error("0.0.0.0 accepted as a sink address")
	}
}
