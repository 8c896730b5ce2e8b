package logthrottle

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// setup returns a throttled logger over a JSON buffer, a clock the test
// moves, and the flush the handler scheduled (nil when none is).
func setup(t *testing.T) (log *slog.Logger, out *bytes.Buffer, clock *time.Time, pending *func()) {
	t.Helper()
	out = &bytes.Buffer{}
	h := New(slog.NewJSONHandler(out, &slog.HandlerOptions{Level: slog.LevelDebug}), 5*time.Second)
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	var f func()
	h.state.now = func() time.Time { return now }
	h.state.after = func(d time.Duration, fn func()) {
		if d <= 0 || d > 5*time.Second {
			t.Errorf("flush scheduled in %v, want within the period", d)
		}
		f = fn
	}
	return slog.New(h), out, &now, &f
}

func lines(t *testing.T, out *bytes.Buffer) []map[string]any {
	t.Helper()
	var ls []map[string]any
	for l := range strings.Lines(out.String()) {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatal(err)
		}
		ls = append(ls, m)
	}
	out.Reset()
	return ls
}

func TestAnOutageIsOneLinePerPeriodWithACount(t *testing.T) {
	t.Parallel()
	log, out, clock, pending := setup(t)
	// 15 s of an outage: 12 errors a second from several servers, each
	// logger derived with its own attributes.
	for i := range 180 {
		*clock = clock.Add(time.Second / 12)
		log.With("server", i%7).Error("dequeue error", "n", i)
		if *pending != nil && i%60 == 59 { // the period's timer fires
			f := *pending
			*pending = nil
			f()
		}
	}
	got := lines(t, out)
	if len(got) != 4 {
		t.Fatalf("%d lines for 180 errors in 15 s, want 4 (the first, then one per 5 s):\n%v", len(got), got)
	}
	if _, ok := got[0]["suppressed"]; ok || got[0]["n"] != 0.0 {
		t.Errorf("first line = %v, want the first error as it was", got[0])
	}
	total := 1
	for _, l := range got[1:] {
		n, _ := l["suppressed"].(float64)
		if n == 0 || l["msg"] != "dequeue error" || l["server"] == nil {
			t.Errorf("line %v: want the last error with its attributes and a suppressed count", l)
		}
		total += int(n)
	}
	if total != 180 {
		t.Errorf("the lines account for %d errors, want 180", total)
	}
}

func TestQuietLinesPassAndTheBudgetRefills(t *testing.T) {
	t.Parallel()
	log, out, clock, pending := setup(t)
	log.Info("started")
	log.Debug("detail")
	log.Warn("first")
	log.Warn("second") // within the period: held
	log.Info("still passes")
	*clock = clock.Add(6 * time.Second)
	log.Error("after the period") // goes out at once, carrying the count
	if *pending == nil {
		t.Fatal("no flush was scheduled for the held line")
	}
	(*pending)() // its timer fires late: nothing left to say
	got := lines(t, out)
	var msgs []string
	for _, l := range got {
		msgs = append(msgs, l["msg"].(string))
	}
	if want := "started detail first still passes after the period"; strings.Join(msgs, " ") != want {
		t.Fatalf("lines %q, want %q", msgs, want)
	}
	if got[4]["suppressed"] != 1.0 {
		t.Errorf("the line after the period = %v, want suppressed 1", got[4])
	}
}
