package orderstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// An order's sync lock is in one of two places (format.go): in a key of
// its own beside the document (syncLockKey), while the store is JSON; or,
// once it is compact, in the value of the document itself, as a header
// before the document: "~" token " " expiry "\n", the expiry in Unix
// milliseconds. There, the compare-and-set that stores a decision takes
// it and the one that stores the platform's answer releases it without a
// command of their own (the key cost three per cancellation). A document
// never starts with "~": JSON starts with "{", the compact encoding with
// its version byte. Every process of this release honours both: a lock
// key while it writes JSON and a header it finds; a header while it
// writes compact and, shortly after the switch (keyLockOverlap), a lock
// key.
//
// A header's expiry is the holder's clock compared with the finder's: the
// service's processes must agree on the time to well under lockTTL, as
// Asynq's leases already require.

// lockLua parses a value into its lock's token (nil when it has none) and
// expiry, and the document ("" when there is none).
const lockLua = `
local function lockOf(v)
  if not v then return nil, "0", "" end
  if string.byte(v, 1) ~= 126 then return nil, "0", v end
  local sp = string.find(v, " ", 2, true)
  local nl = string.find(v, "\n", 2, true)
  if not sp or not nl then return nil, "0", "" end
  return string.sub(v, 2, sp - 1), string.sub(v, sp + 1, nl - 1), string.sub(v, nl + 1)
end
`

// leaseUnlockScript deletes a key (a lock key, the sweeper's or a
// reconcile poll's lease) only if this holder still owns it.
var leaseUnlockScript = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`)

// unlockScript drops the header lock of the value at KEYS[1] only if this
// holder (ARGV[1]) still owns it.
var unlockScript = redis.NewScript(lockLua + `
local tok, exp, body = lockOf(redis.call("GET", KEYS[1]))
if tok ~= ARGV[1] then return 0 end
if body == "" then redis.call("DEL", KEYS[1]) else redis.call("SET", KEYS[1], body) end
return 1
`)

// renewScript moves the header lock's expiry to ARGV[2] only if this
// holder (ARGV[1]) still owns it.
var renewScript = redis.NewScript(lockLua + `
local tok, exp, body = lockOf(redis.call("GET", KEYS[1]))
if tok ~= ARGV[1] then return 0 end
redis.call("SET", KEYS[1], "~" .. tok .. " " .. ARGV[2] .. "\n" .. body)
return 1
`)

// renewKeyScript extends a lock key only if this holder still owns it.
var renewKeyScript = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) end return 0`)

// bodyOf is the document of a stored value, without its lock's header.
func bodyOf(raw []byte) []byte {
	if len(raw) == 0 || raw[0] != '~' {
		return raw
	}
	if i := bytes.IndexByte(raw, '\n'); i >= 0 {
		return raw[i+1:]
	}
	return nil
}

// lockedAt reports whether a stored value holds a header lock that has
// not expired at now (Unix milliseconds).
func lockedAt(raw []byte, now int64) bool {
	if len(raw) == 0 || raw[0] != '~' {
		return false
	}
	sp, nl := bytes.IndexByte(raw, ' '), bytes.IndexByte(raw, '\n')
	if sp < 0 || nl < sp {
		return false
	}
	exp, err := strconv.ParseInt(string(raw[sp+1:nl]), 10, 64)
	return err == nil && exp > now
}

// stored is a value as read: present unless it is a lock alone (a header
// with no document after it). A value that is empty otherwise is present,
// and does not decode.
func stored(raw []byte) Stored {
	lockAlone := len(raw) > 0 && raw[0] == '~' && len(bodyOf(raw)) == 0
	return Stored{raw: raw, present: !lockAlone}
}

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

// lockClock is now and, when a header lock is to be written, now +
// lockTTL ("0" otherwise), in Unix milliseconds as the scripts take them.
func lockClock(taking bool) (now, until any) {
	ms := time.Now().UnixMilli()
	if !taking {
		return itoa(ms), zeroArg
	}
	return itoa(ms), itoa(ms + lockTTL.Milliseconds())
}

// zeroArg and lockModeArg are script arguments boxed once, so that
// passing them allocates nothing.
var (
	zeroArg     any = "0"
	lockModeArg     = map[string]any{"key": "key", "doc": "doc", "doc+key": "doc+key"}
)

// ErrSyncBusy means another sync of the same order holds its lock.
var ErrSyncBusy = errors.New("another sync of this order is running")

// lockAndLoadScript takes the sync lock of the order whose document is
// KEYS[1] with token ARGV[1] and returns the document in the same round
// trip: {1, doc}, {1} without a document, {0} when another holder has the
// lock. A header lock of another holder not expired at ARGV[3] is held
// whatever the mode ARGV[4]: "key" takes the lock key KEYS[2] (for ARGV[5]
// ms); "doc" writes a header expiring at ARGV[2] (an order without a
// document gets a value that is the lock alone); "doc+key" does so unless
// the lock key is held. Both keys carry the order's hash tag.
var lockAndLoadScript = redis.NewScript(lockLua + `
local tok, exp, body = lockOf(redis.call("GET", KEYS[1]))
if tok and tok ~= ARGV[1] and tonumber(exp) > tonumber(ARGV[3]) then return {0} end
if ARGV[4] == "key" then
  if not redis.call("SET", KEYS[2], ARGV[1], "NX", "PX", ARGV[5]) then return {0} end
else
  if ARGV[4] == "doc+key" and redis.call("EXISTS", KEYS[2]) == 1 then return {0} end
  redis.call("SET", KEYS[1], "~" .. ARGV[1] .. " " .. ARGV[2] .. "\n" .. body)
end
if body ~= "" then return {1, body} end
return {1}
`)

// SyncLock is a held sync lock of one order, kept alive by renewLock until
// Unlock. A compare-and-set may release it on the way (ReleaseLock).
type SyncLock struct {
	s        *Store
	ctx      context.Context
	key      string // the order's document, or its lock key (!inDoc)
	inDoc    bool
	token    string
	stop     func() // stops renewing
	released bool
}

// Held wraps the lock the Change that returned from just took (TakeLock):
// it starts renewing it.
func (s *Store) Held(ctx context.Context, adapterID, orderID string, from Stored) *SyncLock {
	return s.held(ctx, adapterID, orderID, from.lockToken, from.lockInDoc)
}

func (s *Store) held(ctx context.Context, adapterID, orderID, token string, inDoc bool) *SyncLock {
	key := s.l.syncLockKey(adapterID, orderID)
	if inDoc {
		key = s.l.orderKey(adapterID, orderID)
	}
	l := &SyncLock{s: s, ctx: ctx, key: key, inDoc: inDoc, token: token}
	l.stop = s.renewLock(ctx, l)
	return l
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
	script := leaseUnlockScript
	if l.inDoc {
		script = unlockScript
	}
	_ = script.Run(ctx, l.s.rdb, []string{l.key}, l.token).Err()
}

// LockAndLoad takes the order's sync lock so that two syncs of one order
// never run at once, waiting up to wait for a running one to finish (0: try
// once), and reads the order's document in the same round trip. It returns
// ErrSyncBusy when the wait runs out.
func (s *Store) LockAndLoad(ctx context.Context, adapterID, orderID string, wait time.Duration) (lock *SyncLock, doc Stored, err error) {
	keys := []string{s.l.orderKey(adapterID, orderID), s.l.syncLockKey(adapterID, orderID)}
	token := NewToken()
	deadline := time.Now().Add(wait)
	for {
		mode := s.lockMode()
		now, until := lockClock(true)
		res, err := lockAndLoadScript.Run(ctx, s.rdb, keys, token, until, now, lockModeArg[mode], lockTTLArg).Slice()
		if err != nil {
			return nil, Stored{}, fmt.Errorf("lock sync %s/%s: %w", adapterID, orderID, err)
		}
		if n, _ := res[0].(int64); n == 1 {
			if len(res) > 1 {
				raw, _ := res[1].(string)
				doc = stored([]byte(raw))
			}
			return s.held(ctx, adapterID, orderID, token, mode != "key"), doc, nil
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
func (s *Store) renewLock(ctx context.Context, l *SyncLock) (stop func()) {
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
				if l.inDoc {
					_, until := lockClock(true)
					_ = renewScript.Run(rctx, s.rdb, []string{l.key}, l.token, until).Err()
				} else {
					_ = renewKeyScript.Run(rctx, s.rdb, []string{l.key}, l.token, lockTTLArg).Err()
				}
				cancel()
			}
		}
	}()
	return func() {
		close(quit)
		<-done
	}
}
