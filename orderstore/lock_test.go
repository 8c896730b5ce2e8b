package orderstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/internal/redistest"
)

// TestSyncLockIsRenewedWhileHeld: a held lock outlives lockTTL because its
// holder renews it, while a crashed holder's lock (never unlocked, never
// renewed) expires within lockTTL, well before Asynq re-runs the crashed
// holder's task.
func TestSyncLockIsRenewedWhileHeld(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t, redistest.Options{})
	rdb := srv.Client()
	store := NewStore(rdb)
	ctx := context.Background()
	key := layout{}.syncLockKey("a", "o1")

	lock, _, err := store.LockAndLoad(ctx, "a", "o1", 0)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(lockTTL/3 + time.Second)
	if ttl := rdb.PTTL(ctx, key).Val(); ttl < lockTTL-lockTTL/3 {
		t.Fatalf("held lock not renewed: %v left", ttl)
	}
	if _, _, err := store.LockAndLoad(ctx, "a", "o1", 50*time.Millisecond); !errors.Is(err, ErrSyncBusy) {
		t.Fatalf("second holder: %v", err)
	}
	lock.Unlock()
	if n := rdb.Exists(ctx, key).Val(); n != 0 {
		t.Fatal("unlock left the key")
	}

	// A holder that dies: its lock is simply left with its TTL.
	if err := rdb.Set(ctx, key, "crashed", lockTTL).Err(); err != nil {
		t.Fatal(err)
	}
	if ttl := rdb.PTTL(ctx, key).Val(); ttl > lockTTL || lockTTL > 30*time.Second {
		t.Fatalf("a crashed holder blocks the order for %v; Asynq recovers its task after ~60 s", ttl)
	}
}
