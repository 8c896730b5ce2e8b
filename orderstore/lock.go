package orderstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// unlockScript deletes the lock only if this holder still owns it.
var unlockScript = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`)

// renewScript extends the lock only if this holder still owns it.
var renewScript = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) end return 0`)

// lockTTL bounds how long a crashed holder blocks the order's syncs. It is
// kept well under the ~60 s after which Asynq hands a killed worker's task
// to another, so that the recovered sync finds the lock free instead of
// holding a worker in LockAndLoad's wait until it expires; a live holder
// renews it every lockTTL/3 for as long as it pushes, however long
// api.timeout is.
const lockTTL = 15 * time.Second

// lockTTLArg is lockTTL in milliseconds as the scripts take it, boxed
// once so that passing it allocates nothing.
var lockTTLArg any = strconv.FormatInt(lockTTL.Milliseconds(), 10)

// ErrSyncBusy means another sync of the same order holds its lock.
var ErrSyncBusy = errors.New("another sync of this order is running")

// lockAndLoadScript takes the order's sync lock (KEYS[1]) and, when it got
// it, returns the order's document (KEYS[2]) in the same round trip: {1,
// doc}, {1} without a document, {0} when another holder has the lock. The
// two keys share the order's hash tag, so this works on one shard.
var lockAndLoadScript = redis.NewScript(`
if redis.call("SET", KEYS[1], ARGV[1], "NX", "PX", ARGV[2]) then
  local d = redis.call("GET", KEYS[2])
  if d then return {1, d} end
  return {1}
end
return {0}
`)

// SyncLock is a held sync lock of one order, kept alive by renewLock until
// Unlock. A compare-and-set may release it on the way (ReleaseLock).
type SyncLock struct {
	s        *Store
	ctx      context.Context
	key      string
	token    string
	stop     func() // stops renewing
	released bool
}

// Held wraps a lock just taken with token (TakeLock): it starts renewing it.
func (s *Store) Held(ctx context.Context, adapterID, orderID, token string) *SyncLock {
	key := s.l.syncLockKey(adapterID, orderID)
	return &SyncLock{s: s, ctx: ctx, key: key, token: token, stop: s.renewLock(ctx, key, token)}
}

// Unlock releases the lock unless a store operation already did, with a
// fresh context: the task's may be cancelled at shutdown, and a lock left
// behind would stall the order for lockTTL.
func (l *SyncLock) Unlock() {
	l.stop()
	if l.released {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(l.ctx), 5*time.Second)
	defer cancel()
	_ = unlockScript.Run(ctx, l.s.rdb, []string{l.key}, l.token).Err()
}

// LockAndLoad takes the order's sync lock so that two syncs of one order
// never run at once, waiting up to wait for a running one to finish (0: try
// once), and reads the order's document in the same round trip. It returns
// ErrSyncBusy when the wait runs out.
func (s *Store) LockAndLoad(ctx context.Context, adapterID, orderID string, wait time.Duration) (lock *SyncLock, doc Stored, err error) {
	key := s.l.syncLockKey(adapterID, orderID)
	token := NewToken()
	deadline := time.Now().Add(wait)
	for {
		res, err := lockAndLoadScript.Run(ctx, s.rdb, []string{key, s.l.orderKey(adapterID, orderID)}, token, lockTTLArg).Slice()
		if err != nil {
			return nil, Stored{}, fmt.Errorf("lock sync %s/%s: %w", adapterID, orderID, err)
		}
		if n, _ := res[0].(int64); n == 1 {
			if len(res) > 1 {
				raw, _ := res[1].(string)
				doc = Stored{raw: []byte(raw), present: true}
			}
			return s.Held(ctx, adapterID, orderID, token), doc, nil
		}
		if !time.Now().Before(deadline) {
			return nil, Stored{}, ErrSyncBusy
		}
		select {
		case <-ctx.Done():
			return nil, Stored{}, errors.Join(ErrSyncBusy, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// NewToken is a random token: a lock holder's, or a task id's part that
// must not repeat.
func NewToken() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// renewLock keeps the lock alive until the returned stop is called. A
// renewal that fails (Redis down, lock lost) is not an error here: the push
// it protects is idempotent by its Idempotency-Key, and the lock is only
// there to keep one order's versions in sequence.
func (s *Store) renewLock(ctx context.Context, key, token string) (stop func()) {
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(lockTTL / 3)
		defer tick.Stop()
		for {
			select {
			case <-quit:
				return
			case <-tick.C:
				rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
				_ = renewScript.Run(rctx, s.rdb, []string{key}, token, lockTTLArg).Err()
				cancel()
			}
		}
	}()
	return func() {
		close(quit)
		<-done
	}
}
