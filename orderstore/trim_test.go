package orderstore

import (
	"testing"
	"time"
)

func TestTrimDueOncePerMinutePerSet(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	s := &Store{Now: func() time.Time { return now }}
	if !s.trimDue("a") || s.trimDue("a") {
		t.Fatal("a set is trimmed on its first write, and not again within the minute")
	}
	if !s.trimDue("b") {
		t.Fatal("another set has its own minute")
	}
	now = now.Add(trimEvery - time.Second)
	if s.trimDue("a") {
		t.Fatal("trimmed again before the minute is up")
	}
	now = now.Add(time.Second)
	if !s.trimDue("a") {
		t.Fatal("not trimmed once the minute is up")
	}
	now = now.Add(-time.Hour) // the clock stepped back
	if !s.trimDue("a") {
		t.Fatal("a clock stepped back must not stop the trims")
	}
}
