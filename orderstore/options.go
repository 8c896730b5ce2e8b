package orderstore

import "time"

// ChangeOption adds to the round trip in which Change stores a document:
// the compare-and-set script takes or releases the order's sync lock,
// remembers a delivery, or refuses to store, in the same call, so that
// none of these costs a round trip of its own.
type ChangeOption func(*changeOptions)

type changeOptions struct {
	// take, asked after each run of fn, says whether to take the lock
	// with token.
	take  func() bool
	token string
	// release is a held lock to give back with the store.
	release *SyncLock
	// remember is the webhook-id of a delivery whose dedup key to set
	// with the store, expiring after rememberFor; guard, the webhook-id
	// whose queueing mark (or dedup key) stores nothing.
	remember    string
	rememberFor time.Duration
	guard       string
}

// lockOp is the script's lock operation and token: "take", "release" (a
// header lock), "releasekey" (a lock key) or
// none. A lock to release wins over one to take.
func (o *changeOptions) lockOp() (op, token string) {
	switch {
	case o.release != nil && o.release.inDoc:
		return "release", o.release.token
	case o.release != nil:
		return "releasekey", o.release.token
	case o.take != nil && o.take():
		if o.token == "" {
			o.token = NewToken() // made only for a lock that is taken
		}
		return "take", o.token
	}
	return "", ""
}

// TakeLock takes the order's sync lock with token ("": a fresh one, made
// only if it is taken) when the change stores and when() says so, asked
// after each run of Change's fn (nil: always). Stored.Locked reports that
// it was taken; Store.Held then holds it.
func TakeLock(token string, when func() bool) ChangeOption {
	if when == nil {
		when = func() bool { return true }
	}
	return func(o *changeOptions) { o.take, o.token = when, token }
}

// ReleaseLock gives the held lock back when the change stores.
func ReleaseLock(l *SyncLock) ChangeOption {
	return func(o *changeOptions) { o.release = l }
}

// Remember sets the adapter's delivery key of webhookID (a delivery about
// the order changed) when the change stores, expiring after ttl (0:
// never).
func Remember(webhookID string, ttl time.Duration) ChangeOption {
	return func(o *changeOptions) { o.remember, o.rememberFor = webhookID, ttl }
}

// Guarded, with Remember, makes Change store nothing when that delivery is
// remembered already (ErrRemembered) or being queued for the workers
// (ErrGuarded, MarkQueueing).
func Guarded(webhookID string) ChangeOption {
	return func(o *changeOptions) { o.guard = webhookID }
}
