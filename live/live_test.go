package live

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/cancelsync/cancelsync/config"
	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/registry"
)

const (
	secretA = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	secretB = "whsec_c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24="
)

// file is a config with the given top-level lines and platform.
func file(top string, ads ...string) string {
	return "redis_url: redis://127.0.0.1:6379/0\nadmin_token: t\n" + top + "adapters:\n" + strings.Join(ads, "")
}

func adapter(id, secrets, extra string) string {
	return fmt.Sprintf("  - id: %s\n    platform: poshmark\n    secrets: [%s]\n    api: {base_url: \"https://api.example.test\", token: tok-%s}\n%s", id, secrets, id, extra)
}

type rig struct {
	mu   sync.Mutex
	text string
	set  *Set
	reg  *prometheus.Registry
	logs *bytes.Buffer
}

func (r *rig) write(s string) {
	r.mu.Lock()
	r.text = s
	r.mu.Unlock()
}

func newRig(t *testing.T, platforms platform.Registry, first string) *rig {
	t.Helper()
	r := &rig{text: first, reg: prometheus.NewRegistry(), logs: &bytes.Buffer{}}
	load := func() (*config.Config, error) {
		r.mu.Lock()
		defer r.mu.Unlock()
		return config.Parse([]byte(r.text), platforms, func(string) (string, bool) { return "", false })
	}
	cfg, err := load()
	if err != nil {
		t.Fatal(err)
	}
	snap, err := Build(cfg, platforms)
	if err != nil {
		t.Fatal(err)
	}
	r.set = New(snap, Options{Load: load, Platforms: platforms, Registerer: r.reg,
		Logger: slog.New(slog.NewJSONHandler(r.logs, nil))})
	return r
}

func (r *rig) reloads(result string) float64 {
	return testutil.ToFloat64(r.set.reloads.WithLabelValues(result))
}

func TestReloadAddsRemovesAndChanges(t *testing.T) {
	r := newRig(t, registry.Default(), file("", adapter("keep", `"`+secretA+`"`, ""), adapter("drop", `"`+secretA+`"`, "")))
	before, _ := r.set.Adapter("keep")
	held := r.set.Current() // what a request in flight holds

	r.write(file("", adapter("keep", `"`+secretA+`", "`+secretB+`"`, "    policy: {cancel_window: 2h}\n    retry: {max_attempts: 3}\n"),
		adapter("new", `"`+secretB+`"`, "")))
	ch, err := r.set.Reload()
	if err != nil {
		t.Fatal(err)
	}
	want := Change{Added: []string{"new"}, Removed: []string{"drop"}, Changed: []string{"keep"}}
	if fmt.Sprint(ch) != fmt.Sprint(want) {
		t.Fatalf("change %+v, want %+v", ch, want)
	}
	if _, ok := r.set.Adapter("drop"); ok {
		t.Fatal("a removed adapter is still served")
	}
	if _, ok := r.set.Adapter("new"); !ok {
		t.Fatal("the added adapter is not served")
	}
	after, _ := r.set.Adapter("keep")
	if after == before || after.Windows.CancelWindow.String() != "2h0m0s" {
		t.Fatalf("keep not rebuilt with its new window: %v", after.Windows)
	}
	if got := r.set.SyncAttempts("keep"); got != 3 {
		t.Fatalf("max_attempts %d, want 3", got)
	}
	// The snapshot a request took before the reload is unchanged.
	if ad, ok := held.Adapter("drop"); !ok || ad == nil {
		t.Fatal("the held snapshot lost an adapter")
	}
	if ad, _ := held.Adapter("keep"); ad != before {
		t.Fatal("the held snapshot changed")
	}
	if r.reloads(ResultOK) != 1 || r.reloads(ResultRejected) != 0 {
		t.Fatalf("reloads ok=%v rejected=%v", r.reloads(ResultOK), r.reloads(ResultRejected))
	}
}

// A file with any problem is refused whole: nothing of it serves, not even
// the adapters it gets right, and every problem is logged with its key.
func TestReloadRefusesABrokenFileWhole(t *testing.T) {
	r := newRig(t, registry.Default(), file("", adapter("keep", `"`+secretA+`"`, "")))
	before := r.set.Current()
	r.write(file("", adapter("keep", `"`+secretA+`"`, "    policy: {cancel_window: 2h}\n"),
		adapter("good", `"`+secretB+`"`, ""), adapter("bad", `"not-a-secret"`, "    retry: {max_attempts: 0}\n")))
	_, err := r.set.Reload()
	var ce *config.Error
	if !errors.As(err, &ce) {
		t.Fatalf("err %v, want a *config.Error", err)
	}
	if r.set.Current() != before {
		t.Fatal("the running config was replaced")
	}
	if _, ok := r.set.Adapter("good"); ok {
		t.Fatal("part of a refused file serves")
	}
	logs := r.logs.String()
	for _, key := range []string{`"key":"adapters[2].secrets[0]"`, `"key":"adapters[2].retry.max_attempts"`} {
		if !strings.Contains(logs, key) {
			t.Fatalf("no refusal logged for %s:\n%s", key, logs)
		}
	}
	if strings.Contains(logs, "not-a-secret") || strings.Contains(logs, secretB) {
		t.Fatal("a secret reached the log")
	}
	if r.reloads(ResultRejected) != 1 || r.reloads(ResultOK) != 0 {
		t.Fatalf("reloads ok=%v rejected=%v", r.reloads(ResultOK), r.reloads(ResultRejected))
	}
	// Fixed, the next reload goes through.
	r.write(file("", adapter("keep", `"`+secretA+`"`, ""), adapter("good", `"`+secretB+`"`, "")))
	if _, err := r.set.Reload(); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.set.Adapter("good"); !ok || r.reloads(ResultOK) != 1 {
		t.Fatal("the mended file does not serve")
	}
}

// An adapter that passes validation but that its platform cannot build
// refuses the reload too, by its key.
func TestReloadRefusesAnAdapterThatDoesNotBuild(t *testing.T) {
	platforms := registry.Default()
	broken := platforms["poshmark"]
	broken.Name = "brittle"
	broken.NewInbound = func(s platform.Settings) (map[platform.Kind]platform.Inbound, error) {
		return nil, errors.New("no inbound today")
	}
	platforms["brittle"] = broken
	r := newRig(t, platforms, file("", adapter("keep", `"`+secretA+`"`, "")))
	r.write(file("", adapter("keep", `"`+secretA+`"`, ""),
		strings.Replace(adapter("odd", `"`+secretA+`"`, ""), "platform: poshmark", "platform: brittle", 1)))
	if _, err := r.set.Reload(); err == nil {
		t.Fatal("reload accepted an adapter that does not build")
	}
	if _, ok := r.set.Adapter("odd"); ok {
		t.Fatal("the unbuilt adapter serves")
	}
	if !strings.Contains(r.logs.String(), `"key":"adapters[1]"`) {
		t.Fatalf("refusal not logged by key:\n%s", r.logs.String())
	}
}

// Top-level settings keep their running values; each changed one is named
// as needing a restart, on every reload until the process restarts.
func TestReloadNamesSettingsThatNeedARestart(t *testing.T) {
	r := newRig(t, registry.Default(), file("listen: 127.0.0.1:8080\nworker_concurrency: 50\n", adapter("a", `"`+secretA+`"`, "")))
	r.write(file("listen: 127.0.0.1:9090\nworker_concurrency: 8\nadmin_token2: x\n", adapter("a", `"`+secretA+`"`, "")))
	if _, err := r.set.Reload(); err == nil {
		t.Fatal("an unknown key was accepted")
	}
	r.write(file("listen: 127.0.0.1:9090\nworker_concurrency: 8\n", adapter("a", `"`+secretA+`"`, "")))
	for range 2 {
		ch, err := r.set.Reload()
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(ch.Restart) != "[listen worker_concurrency]" || len(ch.Changed)+len(ch.Added)+len(ch.Removed) != 0 {
			t.Fatalf("change %+v", ch)
		}
	}
	if n := strings.Count(r.logs.String(), `"msg":"config reload: setting needs a restart; the running value stays","key":"listen"`); n != 2 {
		t.Fatalf("listen named %d times:\n%s", n, r.logs.String())
	}
}

// public_url applies live (the console and each poll read the current
// config): a reload that changes only it names nothing as needing a restart,
// and the new value is the current one.
func TestReloadAppliesPublicURLLive(t *testing.T) {
	r := newRig(t, registry.Default(), file("public_url: https://old.example.test\n", adapter("a", `"`+secretA+`"`, "")))
	r.write(file("public_url: https://new.example.test\n", adapter("a", `"`+secretA+`"`, "")))
	ch, err := r.set.Reload()
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Restart) != 0 {
		t.Fatalf("public_url named as needing a restart: %+v", ch)
	}
	if got := r.set.Current().Config().PublicURL; got != "https://new.example.test" {
		t.Fatalf("current public_url = %q", got)
	}
	if strings.Contains(r.logs.String(), "needs a restart") {
		t.Fatalf("a restart warning was logged:\n%s", r.logs.String())
	}
}

// Lookups run while reloads swap the set (go test -race): every lookup
// sees one whole snapshot, the old or the new.
func TestLookupsDuringReloads(t *testing.T) {
	one := file("", adapter("a", `"`+secretA+`"`, ""))
	two := file("", adapter("a", `"`+secretA+`"`, "    retry: {max_attempts: 5}\n"), adapter("b", `"`+secretB+`"`, "    retry: {max_attempts: 5}\n"))
	r := newRig(t, registry.Default(), one)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var bad sync.Once
	var badMsg string
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				snap := r.set.Current()
				_, hasB := snap.Adapter("b")
				ra, _ := snap.Retry("a")
				if hasB != (ra.MaxAttempts == 5) {
					bad.Do(func() { badMsg = fmt.Sprintf("torn snapshot: b=%v attempts(a)=%d", hasB, ra.MaxAttempts) })
				}
			}
		})
	}
	for i := range 50 {
		if i%2 == 0 {
			r.write(two)
		} else {
			r.write(one)
		}
		if _, err := r.set.Reload(); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	if badMsg != "" {
		t.Fatal(badMsg)
	}
	if r.reloads(ResultOK) != 50 {
		t.Fatalf("%v reloads counted", r.reloads(ResultOK))
	}
}
