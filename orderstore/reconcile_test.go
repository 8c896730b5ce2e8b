package orderstore

import (
	"context"
	"testing"
	"time"
)

// TestLiveFailuresByDay: each failure counts on its UTC day, a period
// counts only its own days, and the latest failure is the last recorded.
func TestLiveFailuresByDay(t *testing.T) {
	store, _ := newTestStore(t)
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	store.Now = func() time.Time { return now }
	ctx := context.Background()
	for _, f := range []LiveFailure{
		{At: now.AddDate(0, 0, -5), OrderID: "o1", Error: "timeout"},
		{At: now.AddDate(0, 0, -1), OrderID: "o2", Error: "status 502"},
		{At: now, OrderID: "o3", Error: "status 503"},
	} {
		if err := store.CountLiveFailure(ctx, "shop", f); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.CountLiveFailure(ctx, "other", LiveFailure{At: now, OrderID: "x"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		since, until time.Time
		want         int64
	}{
		{now, now, 1},
		{now.AddDate(0, 0, -1), now, 2},
		{now.AddDate(0, 0, -6), now, 3},
		{now.AddDate(0, 0, -4), now.AddDate(0, 0, -2), 0},
		{now.AddDate(-5, 0, 0), now.AddDate(5, 0, 0), 3},
	} {
		n, err := store.LiveFailures(ctx, "shop", tc.since, tc.until)
		if err != nil {
			t.Fatal(err)
		}
		if n != tc.want {
			t.Errorf("%s to %s: %d failures, want %d", tc.since.Format(time.DateOnly), tc.until.Format(time.DateOnly), n, tc.want)
		}
	}
	b, err := store.Boundary(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	if b.LiveFailed != 3 || b.LastLiveFailure == nil || b.LastLiveFailure.OrderID != "o3" || b.LastLiveFailure.Error != "status 503" || !b.LastLiveFailure.At.Equal(now) {
		t.Fatalf("boundary: %+v, latest %+v", b, b.LastLiveFailure)
	}
}
