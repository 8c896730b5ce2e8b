package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cancelsync/cancelsync/adapters"
	"github.com/cancelsync/cancelsync/order"
)

// Store keeps one JSON document per (adapter, order) in Redis and changes it
// only by compare-and-set, so two events of one order racing each other are
// applied one after the other, never interleaved.
type Store struct {
	rdb redis.UniversalClient
	// Console indexes (index.go): how long they keep an entry (default
	// DefaultRetention) and the clock that retention runs on (default
	// time.Now).
	Retention time.Duration
	Now       func() time.Time

	trimMu  sync.Mutex
	trimmed map[string]int64 // console set key → when this process last trimmed it (trimDue)
}

// NewStore returns a store on rdb.
func NewStore(rdb redis.UniversalClient) *Store { return &Store{rdb: rdb} }

func orderKey(adapterID, orderID string) string {
	return "cancelsync:order:{" + adapterID + ":" + orderID + "}"
}

// maxTxRetries bounds how often a transaction is retried when another one
// changed the same order in between; past it the task fails and Asynq retries.
const maxTxRetries = 100

// casScript replaces the document at KEYS[1] with ARGV[3] only if it still
// is what the caller read: absent when ARGV[1] is "0", else equal to
// ARGV[2]. It returns 1 when it stored, and otherwise what is there now: 0
// for nothing, or the current document, so the caller can decide again
// without another read. One round trip where WATCH, GET and MULTI/SET/EXEC
// took three; the whole document is compared, so no version field is needed
// and no other writer can slip in between.
//
// Having stored, it takes ("take") or releases ("release") the order's sync
// lock KEYS[2] with token ARGV[5] (for ARGV[6] ms) when ARGV[4] says so,
// saving the lock its own round trip; 2 means stored and locked. Both keys
// carry the order's hash tag.
//
// When ARGV[7] is "1" (casLock.guard) it stores nothing and returns -2 if
// the delivery's dedup key KEYS[4] exists, or -1 if its queueing mark
// KEYS[3] does: Intake's checks, in the round trip that stores.
var casScript = redis.NewScript(`
if ARGV[7] == "1" and redis.call("EXISTS", KEYS[3], KEYS[4]) > 0 then
  if redis.call("EXISTS", KEYS[4]) == 1 then return -2 end
  return -1
end
local cur = redis.call("GET", KEYS[1])
if ARGV[1] == "0" then
  if cur then return cur end
elseif cur ~= ARGV[2] then
  if cur then return cur end
  return 0
end
redis.call("SET", KEYS[1], ARGV[3])
` + indexLua(8) + `
if ARGV[4] == "take" then
  if redis.call("SET", KEYS[2], ARGV[5], "NX", "PX", ARGV[6]) then return 2 end
elseif ARGV[4] == "release" then
  if redis.call("GET", KEYS[2]) == ARGV[5] then redis.call("DEL", KEYS[2]) end
end
return 1
`)

// casLock asks change to take or release the order's sync lock in the
// round trip that stores the document, and to remember a delivery's id
// there too (Queue.Enqueue).
type casLock struct {
	// take, asked after each run of fn, says whether to take the lock with
	// token; taken reports that it was.
	take  func() bool
	token string
	taken bool
	// release is a held lock to give back with the store.
	release *syncLock
	// remember, when set, is a delivery's dedup key to set with the store,
	// expiring after rememberFor.
	remember    string
	rememberFor time.Duration
	// guard, when set, makes change store nothing if the remember key
	// exists (errRemembered) or the guard key does (errGuarded).
	guard string
}

var (
	// errGuarded: casLock.guard exists, so nothing was stored.
	errGuarded = errors.New("guarded: stored nothing")
	// errRemembered: casLock.remember exists already (with a guard).
	errRemembered = errors.New("remembered: stored nothing")
)

// update loads the order's document, lets fn change it and stores it if fn
// reports a change, atomically. fn may run more than once and must not have
// side effects outside the document.
func (s *Store) update(ctx context.Context, adapterID, orderID string, fn func(doc *order.Doc) bool) (*order.Doc, error) {
	doc, _, err := s.change(ctx, adapterID, orderID, nil, nil, fn)
	return doc, err
}

// storedDoc is a document as read from (or written to) Redis; present is
// false for an order without one. doc, when set, is raw already decoded:
// change starts from a copy of it instead of decoding raw again, and never
// modifies it.
// guess marks one that was not read but assumed (absentGuess).
type storedDoc struct {
	raw     []byte
	present bool
	doc     *order.Doc
	guess   bool
}

// absentGuess is a document change may start from without reading it: the
// order has none yet, as for the first snapshot of a new order. The
// compare-and-set checks the guess; a wrong one answers with the document
// that is there, so it costs no more round trips than the read it saves
// (one for a right guess, two for a wrong one, as the read and the store).
// When fn changes nothing on the guess, change reads the document after
// all: nothing is concluded from a guess.
var absentGuess = storedDoc{guess: true}

// change is update starting from a document the caller already read (known,
// nil to read it first), which saves that read, and taking or releasing the
// order's sync lock with the store when lk says so (nil: neither). It
// returns the document as it is stored afterwards. A lock to release is
// left alone when fn changes nothing.
func (s *Store) change(ctx context.Context, adapterID, orderID string, known *storedDoc, lk *casLock, fn func(doc *order.Doc) bool) (*order.Doc, storedDoc, error) {
	key := orderKey(adapterID, orderID)
	var cur storedDoc
	if known != nil {
		cur = *known
	} else if err := s.read(ctx, key, &cur); err != nil {
		return nil, storedDoc{}, fmt.Errorf("update order %s/%s: %w", adapterID, orderID, err)
	}
	for range maxTxRetries {
		// fn changes a document of its own: one handed in (cur.doc) is
		// copied, so that a store that fails (Redis down, a reply lost)
		// leaves the caller holding the document as it is stored, and
		// nothing acts on a change that was not.
		var doc *order.Doc
		var err error
		if cur.doc != nil {
			doc = cur.doc.Clone()
		} else {
			doc, err = decodeDoc(key, cur)
		}
		if err != nil {
			return nil, storedDoc{}, fmt.Errorf("update order %s/%s: %w", adapterID, orderID, err)
		}
		before := factsOf(adapterID, orderID, doc) // console indexes (index.go)
		if !fn(doc) {
			if cur.guess { // not what is stored, maybe: look
				if err := s.read(ctx, key, &cur); err != nil {
					return nil, storedDoc{}, fmt.Errorf("update order %s/%s: %w", adapterID, orderID, err)
				}
				continue
			}
			return doc, cur, nil
		}
		next, err := json.Marshal(doc)
		if err != nil {
			return nil, storedDoc{}, fmt.Errorf("update order %s/%s: %w", adapterID, orderID, err)
		}
		expect := "0"
		if cur.present {
			expect = "1"
		}
		op, token := "", ""
		switch {
		case lk == nil:
		case lk.release != nil:
			op, token = "release", lk.release.token
		case lk.take != nil && lk.take():
			op, token = "take", lk.token
		}
		ops := indexOps(adapterID, orderID, before, doc, s.now(), s.retention(), s.trimDue)
		if lk != nil && lk.remember != "" {
			rm := indexOp{op: "sx", key: lk.remember} // no expiry without a window, as SET with 0
			if lk.rememberFor > 0 {
				rm.a = itoa(max(lk.rememberFor.Milliseconds(), 1))
			}
			ops = append(ops, rm)
		}
		guard, remembered, guarded := key, key, "0"
		if lk != nil && lk.guard != "" {
			guard, remembered, guarded = lk.guard, lk.remember, "1"
		}
		// Sized once: the fixed keys and arguments, then at most one key
		// and five arguments per index op.
		keys := append(make([]string, 0, 4+len(ops)), key, syncLockKey(adapterID, orderID), guard, remembered)
		args := append(make([]any, 0, 8+5*len(ops)), expect, cur.raw, next, op, token, lockTTL.Milliseconds(), guarded)
		keys, args = indexArgs(keys, args, ops)
		res, err := casScript.Run(ctx, s.rdb, keys, args...).Result()
		if err != nil {
			return nil, storedDoc{}, fmt.Errorf("update order %s/%s: %w", adapterID, orderID, err)
		}
		switch v := res.(type) {
		case int64:
			switch v {
			case -1:
				return nil, storedDoc{}, errGuarded
			case -2:
				return nil, storedDoc{}, errRemembered
			}
			if v == 1 || v == 2 {
				if lk != nil {
					lk.taken = v == 2
					if lk.release != nil {
						lk.release.released = true
					}
				}
				return doc, storedDoc{raw: next, present: true}, nil
			}
			cur = storedDoc{}
		case string:
			cur = storedDoc{raw: []byte(v), present: true}
		default:
			return nil, storedDoc{}, fmt.Errorf("update order %s/%s: unexpected script reply %T", adapterID, orderID, res)
		}
	}
	return nil, storedDoc{}, fmt.Errorf("update order %s/%s: too much contention", adapterID, orderID)
}

// read sets cur to the document at key as it is stored.
func (s *Store) read(ctx context.Context, key string, cur *storedDoc) error {
	raw, err := s.rdb.Get(ctx, key).Bytes()
	switch {
	case err == nil:
		*cur = storedDoc{raw: raw, present: true}
	case errors.Is(err, redis.Nil):
		*cur = storedDoc{}
	default:
		return err
	}
	return nil
}

// errUnreadable wraps a stored document that does not decode: the
// order's data is at fault, not Redis.
var errUnreadable = errors.New("stored order document does not decode")

func decodeDoc(key string, d storedDoc) (*order.Doc, error) {
	doc := &order.Doc{}
	if !d.present {
		return doc, nil
	}
	if err := json.Unmarshal(d.raw, doc); err != nil {
		return nil, fmt.Errorf("decode %s: %w: %w", key, errUnreadable, err)
	}
	doc.Upgrade()
	return doc, nil
}

func loadDoc(ctx context.Context, c redis.Cmdable, key string) (*order.Doc, error) {
	raw, err := c.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		return &order.Doc{}, nil
	}
	if err != nil {
		return nil, err
	}
	return decodeDoc(key, storedDoc{raw: raw, present: true})
}

// load reads the order's document; a missing one is empty.
func (s *Store) load(ctx context.Context, adapterID, orderID string) (*order.Doc, error) {
	return loadDoc(ctx, s.rdb, orderKey(adapterID, orderID))
}

// OrderView builds the read API's document, or ErrNotFound when neither a
// snapshot nor a request of the order is known.
func (s *Store) OrderView(ctx context.Context, ad *adapters.Adapter, orderID string) (*order.OrderView, error) {
	doc, err := s.load(ctx, ad.ID, orderID)
	if err != nil {
		return nil, fmt.Errorf("view order %s/%s: %w", ad.ID, orderID, err)
	}
	if doc.Order == nil && len(doc.Requests) == 0 {
		return nil, ErrNotFound
	}
	return doc.View(ad, orderID), nil
}

// Views serves order views for a set of adapters.
type Views struct {
	Store    *Store
	Adapters map[string]*adapters.Adapter
	// Lookup, when set, replaces Adapters (a live adapter set's lookup).
	Lookup func(id string) (*adapters.Adapter, bool)
}

// OrderView is Store.OrderView by adapter id; an unknown adapter is
// ErrNotFound.
func (v Views) OrderView(ctx context.Context, adapterID, orderID string) (*order.OrderView, error) {
	ad, ok := v.Adapters[adapterID]
	if v.Lookup != nil {
		ad, ok = v.Lookup(adapterID)
	}
	if !ok {
		return nil, ErrNotFound
	}
	return v.Store.OrderView(ctx, ad, orderID)
}
