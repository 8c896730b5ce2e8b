package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// unlockScript deletes the lock only if this holder still owns it.
var unlockScript = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`)

// lockTTL bounds how long a crashed holder blocks the order's syncs.
const lockTTL = 2 * time.Minute

// lockSync takes the order's sync lock so that two syncs of one order never
// run at once, waiting up to wait for a running one to finish. It returns
// errSyncBusy when the wait runs out.
func (s *Store) lockSync(ctx context.Context, adapterID, orderID string, wait time.Duration) (unlock func(), err error) {
	key := "cancelsync:synclock:{" + adapterID + ":" + orderID + "}"
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	token := hex.EncodeToString(b)
	deadline := time.Now().Add(wait)
	for {
		ok, err := s.rdb.SetNX(ctx, key, token, lockTTL).Result()
		if err != nil {
			return nil, fmt.Errorf("lock sync %s/%s: %w", adapterID, orderID, err)
		}
		if ok {
			return func() {
				// A fresh context: the task's may be cancelled at shutdown,
				// and a lock left behind would stall the order for lockTTL.
				ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
				defer cancel()
				_ = unlockScript.Run(ctx, s.rdb, []string{key}, token).Err()
			}, nil
		}
		if time.Now().After(deadline) {
			return nil, errSyncBusy
		}
		select {
		case <-ctx.Done():
			return nil, errors.Join(errSyncBusy, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}
