package orderstore

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cancelsync/cancelsync/order"
	"github.com/cancelsync/cancelsync/orderstore/index"
	"github.com/cancelsync/cancelsync/platform"
)

// ErrNotFound is returned for an order, or a dead letter, the store knows
// nothing about.
var ErrNotFound = errors.New("not found")

// Store keeps one document per (adapter, order) in Redis, in JSON or the
// compact encoding (docs/ARCHITECTURE.md, "Document formats"; it reads
// both), and changes it only by compare-and-set, so two events of one
// order racing each other are applied one after the other, never
// interleaved.
type Store struct {
	rdb redis.UniversalClient
	l   layout // where the keys are (keys.go)
	// Console indexes (indexes.go): how long they keep an entry (default
	// DefaultRetention) and the clock that retention runs on (default
	// time.Now).
	Retention time.Duration
	Now       func() time.Time

	trimMu     sync.Mutex
	trimmed    map[string]int64            // console set key → when this process last trimmed it (trimDue)
	registered map[registeredKind]struct{} // kinds this process registered (knownKind), under trimMu

	// The format documents are written in (format.go): the store's,
	// unless forceFormat is set (ForceFormat).
	fleetFmt    formatState
	forceFormat int

	recent *recentDocs // KeepRecent
}

// NewStore returns a store on rdb.
func NewStore(rdb redis.UniversalClient) *Store { return &Store{rdb: rdb, l: layoutOf(rdb)} }

// maxTxRetries bounds how often a transaction is retried when another one
// changed the same order in between; past it the task fails and Asynq retries.
const maxTxRetries = 100

// casScript replaces the document at KEYS[1] with ARGV[3] only if it still
// is what the caller read: absent when ARGV[1] is "0", else one whose SHA-1
// is ARGV[2] (digest). It returns 1 when it stored, and otherwise what is
// there now: 0 for nothing, or the current document, so the caller can
// decide again without another read. One round trip where WATCH, GET and
// MULTI/SET/EXEC took three; the whole document is compared, by its digest,
// so no version field is needed, no other writer can slip in between, and
// the round trip carries 40 bytes instead of the document it expects.
//
// The order's sync lock (lock.go) may be a header of the same value: the
// digest is the document's alone, and a header lock not expired at
// ARGV[8] is kept. When ARGV[4] says so, having stored, the script takes
// the lock ("take", with token ARGV[5]; 2 means stored and locked) or
// releases it ("release" a header, "releasekey" a lock key), in the mode
// ARGV[9]: "key" takes the lock key KEYS[2] for ARGV[6] ms unless a header
// lock is held; "doc" writes a header expiring at ARGV[10], without a
// command of its own; "doc+key" does so unless the lock key is held. All
// keys carry the order's hash tag.
//
// When ARGV[7] is "1" (Guarded) it stores nothing and returns -2 if
// the delivery's dedup key KEYS[4] exists, or -1 if its queueing mark
// KEYS[3] does (Guarded): ingest's checks, in the round trip that stores.
// ChangeScriptHash is the SHA-1 by which Redis knows the compare-and-set
// script (orderstoretest fails it on purpose).
func ChangeScriptHash() string { return casScript.Hash() }

var casScript = redis.NewScript(lockLua + `
if ARGV[7] == "1" and redis.call("EXISTS", KEYS[3], KEYS[4]) > 0 then
  if redis.call("EXISTS", KEYS[4]) == 1 then return -2 end
  return -1
end
local cur = redis.call("GET", KEYS[1])
local tok, exp, body = lockOf(cur)
if ARGV[1] == "0" then
  if body ~= "" then return cur end
elseif body == "" then
  return 0
elseif redis.sha1hex(body) ~= ARGV[2] then
  return cur
end
if tok and tonumber(exp) <= tonumber(ARGV[8]) then tok = nil end
local locked = false
if ARGV[4] == "take" then
  if ARGV[9] == "key" then
    locked = not tok and redis.call("SET", KEYS[2], ARGV[5], "NX", "PX", ARGV[6]) ~= false
  elseif (not tok or tok == ARGV[5]) and (ARGV[9] ~= "doc+key" or redis.call("EXISTS", KEYS[2]) == 0) then
    tok, exp, locked = ARGV[5], ARGV[10], true
  end
elseif ARGV[4] == "release" then
  if tok == ARGV[5] then tok = nil end
elseif ARGV[4] == "releasekey" then
  if redis.call("GET", KEYS[2]) == ARGV[5] then redis.call("DEL", KEYS[2]) end
end
if tok then
  redis.call("SET", KEYS[1], "~" .. tok .. " " .. exp .. "\n" .. ARGV[3])
else
  redis.call("SET", KEYS[1], ARGV[3])
end
` + index.Lua(11) + `
if locked then return 2 end
return 1
`)

var (
	// ErrGuarded: the delivery named by Remember is being queued
	// (Guarded), so nothing was stored.
	ErrGuarded = errors.New("guarded: stored nothing")
	// ErrRemembered: the delivery named by Remember is remembered already
	// (Guarded), so nothing was stored.
	ErrRemembered = errors.New("remembered: stored nothing")
)

// Update loads the order's document, lets fn change it and stores it if fn
// reports a change, atomically. fn may run more than once and must not have
// side effects outside the document.
func (s *Store) Update(ctx context.Context, adapterID, orderID string, fn func(doc *order.Doc) bool) (*order.Doc, error) {
	doc, _, err := s.Change(ctx, adapterID, orderID, nil, fn)
	return doc, err
}

// Stored is a document as read from (or written to) Redis; present is
// false for an order without one. doc, when set, is raw already decoded:
// Change starts from a copy of it instead of decoding raw again, and never
// modifies it. guess marks one that was not read but assumed (AbsentGuess).
type Stored struct {
	raw     []byte
	present bool
	doc     *order.Doc
	guess   bool
	locked  bool // the change that stored it took the sync lock (TakeLock)
	// lockInDoc: that lock is a header of the document's value, not a
	// key of its own (lock.go); lockToken, the token it was taken with.
	lockInDoc bool
	lockToken string
}

// Locked reports whether the Change that returned s took the order's sync
// lock (TakeLock); the caller then holds it (Store.Held).
func (s Stored) Locked() bool { return s.locked }

// Decoded is the document s holds, decoded once.
func (s *Stored) Decoded(adapterID, orderID string) (*order.Doc, error) {
	if s.doc == nil {
		doc, err := decodeDoc(adapterID+"/"+orderID, *s)
		if err != nil {
			return nil, err
		}
		s.doc = doc
	}
	return s.doc, nil
}

// AbsentGuess is a document Change may start from without reading it: the
// order has none yet, as for the first snapshot of a new order. The
// compare-and-set checks the guess; a wrong one answers with the document
// that is there, so it costs no more round trips than the read it saves
// (one for a right guess, two for a wrong one, as the read and the store).
// When fn changes nothing on the guess, change reads the document after
// all: nothing is concluded from a guess.
var AbsentGuess = Stored{guess: true}

// Change is Update starting from a document the caller already read (known,
// nil to read it first), which saves that read, with what opts add to the
// round trip that stores: the order's sync lock taken or released, a
// delivery remembered, a guard. It returns the document as it is stored
// afterwards, and that document as Stored (holding it decoded). A lock to
// release is left alone when fn changes nothing.
func (s *Store) Change(ctx context.Context, adapterID, orderID string, known *Stored, fn func(doc *order.Doc) bool, opts ...ChangeOption) (*order.Doc, Stored, error) {
	var o changeOptions
	for _, opt := range opts {
		opt(&o)
	}
	key := s.l.orderKey(adapterID, orderID)
	tag := s.l.tag(adapterID, orderID)
	var cur Stored
	if known != nil {
		cur = *known
	} else if raw, ok := s.recent.get(key); ok {
		cur = Stored{raw: raw, present: true, guess: true}
	} else if err := s.read(ctx, key, &cur); err != nil {
		return nil, Stored{}, fmt.Errorf("update order %s/%s: %w", adapterID, orderID, err)
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
			return nil, Stored{}, fmt.Errorf("update order %s/%s: %w", adapterID, orderID, err)
		}
		// The console indexes' facts before the change (indexes.go): of
		// the copied original once fn changed something, or else of the
		// decoded document before fn changes it.
		var before index.Facts
		if cur.doc == nil {
			before = index.FactsOf(s.l, adapterID, orderID, doc)
		}
		if !fn(doc) {
			if cur.guess { // not what is stored, maybe: look
				if err := s.read(ctx, key, &cur); err != nil {
					return nil, Stored{}, fmt.Errorf("update order %s/%s: %w", adapterID, orderID, err)
				}
				continue
			}
			cur.doc = doc
			return doc, cur, nil
		}
		if cur.doc != nil {
			before = index.FactsOf(s.l, adapterID, orderID, cur.doc)
		}
		// The format written decides the scheme of the document's index
		// entries too (index.FactsOf): a change that writes another format
		// than was read moves them, in this change's script.
		var mode string
		doc.Format, mode = s.writing()
		next, err := encodeDoc(doc, len(cur.raw))
		if err != nil {
			return nil, Stored{}, fmt.Errorf("update order %s/%s: %w", adapterID, orderID, err)
		}
		expect, digest := "0", []byte(nil)
		if cur.present {
			expect, digest = "1", digestOf(bodyOf(cur.raw))
		}
		op, token := o.lockOp()
		now, until := lockClock(op == "take" && mode != "key")
		ops := indexOps(s.l, adapterID, orderID, before, doc, s.now(), s.retention(), s.trimDue, s.knownKind)
		var remember string
		if o.remember != "" {
			remember = s.l.deliveryKey(adapterID, orderID, o.remember)
			rm := index.Op{Op: "sx", Key: remember} // no expiry without a window, as SET with 0
			if o.rememberFor > 0 {
				rm.A = itoa(max(o.rememberFor.Milliseconds(), 1))
			}
			ops = append(ops, rm)
		}
		guard, remembered, guarded := key, key, "0"
		if o.guard != "" {
			guard, remembered, guarded = s.l.queuedKey(adapterID, orderID, o.guard), remember, "1"
		}
		// On a cluster, what is not in the order's bucket is written on
		// its own: before the store what must never miss a record (the
		// set of adapters with dead letters), after it the buyer's set.
		ops, first, then := s.l.split(ops, tag)
		if err := s.runOps(ctx, first); err != nil {
			return nil, Stored{}, fmt.Errorf("update order %s/%s: %w", adapterID, orderID, err)
		}
		// Sized once: the fixed keys and arguments, then at most one key
		// and five arguments per index op.
		keys := append(make([]string, 0, 4+len(ops)), key, s.l.syncLockKey(adapterID, orderID), guard, remembered)
		args := append(make([]any, 0, 11+5*len(ops)), expect, digest, next, op, token, lockTTLArg, guarded, now, lockModeArg[mode], until)
		keys, args = index.Args(keys, args, ops)
		res, err := casScript.Run(ctx, s.rdb, keys, args...).Result()
		if err != nil {
			return nil, Stored{}, fmt.Errorf("update order %s/%s: %w", adapterID, orderID, err)
		}
		switch v := res.(type) {
		case int64:
			switch v {
			case -1:
				return nil, Stored{}, ErrGuarded
			case -2:
				return nil, Stored{}, ErrRemembered
			}
			if v == 1 || v == 2 {
				if o.release != nil {
					o.release.released = true
				}
				s.noteRegistered(ops)
				// The document is stored: a buyer's set that fails to
				// follow only undercounts a repeat canceller (console).
				_ = s.runOps(ctx, then)
				s.recent.put(key, next)
				st := Stored{raw: next, present: true, doc: doc}
				if v == 2 {
					st.locked, st.lockInDoc, st.lockToken = true, mode != "key", token
				}
				return doc, st, nil
			}
			cur = Stored{}
		case string:
			cur = stored([]byte(v))
		default:
			return nil, Stored{}, fmt.Errorf("update order %s/%s: unexpected script reply %T", adapterID, orderID, res)
		}
	}
	return nil, Stored{}, fmt.Errorf("update order %s/%s: too much contention", adapterID, orderID)
}

// digestOf is the SHA-1 of a stored document in lower-case hex, as the
// compare-and-set's redis.sha1hex computes it. SHA-1 only tells documents
// apart here: a collision would need both documents chosen by one party,
// and its worst would be one lost update of one order.
func digestOf(raw []byte) []byte {
	sum := sha1.Sum(raw)
	return hex.AppendEncode(make([]byte, 0, 2*sha1.Size), sum[:])
}

// read sets cur to the document at key as it is stored.
func (s *Store) read(ctx context.Context, key string, cur *Stored) error {
	raw, err := s.rdb.Get(ctx, key).Bytes()
	switch {
	case err == nil:
		*cur = stored(raw)
	case errors.Is(err, redis.Nil):
		*cur = Stored{}
	default:
		return err
	}
	return nil
}

// ErrUnreadable wraps a stored document that does not decode: the
// order's data is at fault, not Redis.
var ErrUnreadable = errors.New("stored order document does not decode")

// decodeDoc reads a stored document in either format (order.DecodeDoc),
// without its sync lock's header (lock.go); an absent one is empty.
func decodeDoc(key string, d Stored) (*order.Doc, error) {
	if !d.present {
		return &order.Doc{}, nil
	}
	doc, err := order.DecodeDoc(bodyOf(d.raw))
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w: %w", key, ErrUnreadable, err)
	}
	return doc, nil
}

// encodeDoc is doc in its Format, in a slice of its own (Change keeps it
// as Stored.raw). The compact encoding appends to a buffer sized from the
// document read before (before bytes) with room for what a change adds,
// so that it allocates once; JSON's encoder sizes its own.
func encodeDoc(doc *order.Doc, before int) ([]byte, error) {
	var buf []byte
	if doc.Format == order.FormatCompact {
		buf = make([]byte, 0, min(before, 4096)+64)
	}
	return doc.AppendEncoded(buf, doc.Format)
}

func loadDoc(ctx context.Context, c redis.Cmdable, key string) (*order.Doc, error) {
	raw, err := c.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		return &order.Doc{}, nil
	}
	if err != nil {
		return nil, err
	}
	return decodeDoc(key, stored(raw))
}

// Read reads the order's document as Stored, to hand to Change as known
// (its read saved) after a look at it; a missing one is absent.
func (s *Store) Read(ctx context.Context, adapterID, orderID string) (Stored, error) {
	var cur Stored
	if err := s.read(ctx, s.l.orderKey(adapterID, orderID), &cur); err != nil {
		return Stored{}, fmt.Errorf("read order %s/%s: %w", adapterID, orderID, err)
	}
	return cur, nil
}

// Load reads the order's document; a missing one is empty.
func (s *Store) Load(ctx context.Context, adapterID, orderID string) (*order.Doc, error) {
	return loadDoc(ctx, s.rdb, s.l.orderKey(adapterID, orderID))
}

// OrderView builds the read API's document, or ErrNotFound when neither a
// snapshot nor a request of the order is known.
func (s *Store) OrderView(ctx context.Context, ad *platform.Adapter, orderID string) (*order.OrderView, error) {
	doc, err := s.Load(ctx, ad.ID, orderID)
	if err != nil {
		return nil, fmt.Errorf("view order %s/%s: %w", ad.ID, orderID, err)
	}
	if doc.Order == nil && len(doc.Requests) == 0 {
		return nil, ErrNotFound
	}
	return doc.View(ad, orderID), nil
}

// Views serves order views for a set of platform.
type Views struct {
	Store    *Store
	Adapters map[string]*platform.Adapter
	// Lookup, when set, replaces Adapters (a live adapter set's lookup).
	Lookup func(id string) (*platform.Adapter, bool)
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
