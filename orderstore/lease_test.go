package orderstore

import (
	"context"
	"testing"
	"time"
)

// TestSweepLeaseIsOneProcessAtATime: of two sweepers on one Redis, one
// holds the lease; once it gives it back the other takes it.
func TestSweepLeaseIsOneProcessAtATime(t *testing.T) {
	store, _ := newTestStore(t)
	ctx := context.Background()
	lease := func(token string) bool {
		held, err := store.SweepLease(ctx, token, 2*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return held
	}
	if !lease("a") {
		t.Fatal("first lease not taken")
	}
	if !lease("a") {
		t.Fatal("the holder could not keep its lease")
	}
	if lease("c") {
		t.Fatal("two sweepers hold the lease")
	}
	if err := store.ReleaseSweepLease(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if !lease("c") {
		t.Fatal("the lease given back was not taken")
	}
}
