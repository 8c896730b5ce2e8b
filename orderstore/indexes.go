package orderstore

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cancelsync/cancelsync/order"
	"github.com/cancelsync/cancelsync/orderstore/deadletter"
	"github.com/cancelsync/cancelsync/orderstore/index"
)

// The console's indexes are package index's: what a document contributes
// and the commands that bring them in step, which Change runs in its
// compare-and-set, and the console's reads. This file hands it where they
// are (keys.go), runs the commands that are not in the order's hash slot,
// adds the dead letter's record (package deadletter) and keeps the clock,
// retention and trims the indexes run on.

// DefaultRetention is how long indexes, day counters and the dead letter's
// record keep an entry.
const DefaultRetention = 90 * 24 * time.Hour

// The layout as package index reads it.
func (l layout) Tag(adapterID, id string) string       { return l.tag(adapterID, id) }
func (l layout) Tags(adapterID string) []string        { return l.tags(adapterID) }
func (l layout) Cluster() bool                         { return l.cluster }
func (l layout) Key(tag, name string) string           { return ixKey(tag, name) }
func (l layout) PartKey(tag, name, part string) string { return ixKey(tag, name, part) }

var _ index.Layout = layout{}

// indexOps is index.Ops with the dead letter's record: the commands that
// bring the indexes from the facts before (index.FactsOf) to the document
// after.
func indexOps(l layout, adapterID, orderID string, before index.Facts, after *order.Doc, now time.Time, retention time.Duration, trim func(key string) bool, known func(registry, kind string) bool) []index.Op {
	next := index.FactsOf(l, adapterID, orderID, after)
	ops := index.Ops(l, adapterID, orderID, before, next, after, now, retention, trim, known)
	if len(before.Dead) > 0 || len(next.Dead) > 0 {
		ops = append(ops, deadletter.Ops(l, adapterID, orderID, before.Dead, next.Dead, after, now, retention, trim)...)
	}
	return ops
}

// split parts ops, on a cluster, into those in the order's bucket (tag),
// which its compare-and-set runs, those to run before it (adding the
// adapter to the set of adapters with dead letters, which only grows: a
// store that then fails leaves an adapter with no dead letter listed) and
// those to run after it (a buyer's set, in the buyer's bucket). On one
// Redis the compare-and-set runs them all.
func (l layout) split(ops []index.Op, tag string) (own, before, after []index.Op) {
	if !l.cluster {
		return ops, nil, nil
	}
	own = make([]index.Op, 0, len(ops))
	for _, o := range ops {
		switch {
		case tagOf(o.Key) == tag:
			own = append(own, o)
		case o.Op == "sa":
			before = append(before, o)
		default:
			after = append(after, o)
		}
	}
	return own, before, after
}

// opsScript runs index.Args' commands on their own, all of one tag.
var opsScript = redis.NewScript(index.Lua(1))

// runOps runs ops outside a compare-and-set: one script per tag, in
// order, so each stays in one hash slot.
func (s *Store) runOps(ctx context.Context, ops []index.Op) error {
	for len(ops) > 0 {
		tag := tagOf(ops[0].Key)
		var group, rest []index.Op
		for _, o := range ops {
			if tagOf(o.Key) == tag {
				group = append(group, o)
			} else {
				rest = append(rest, o)
			}
		}
		keys, args := index.Args(nil, nil, group)
		if err := opsScript.Run(ctx, s.rdb, keys, args...).Err(); err != nil && !errors.Is(err, redis.Nil) {
			return err
		}
		ops = rest
	}
	return nil
}

// trimEvery is how often one process trims a console set it writes to:
// entries leave a set at most this long after their retention ends (if it
// is written to at all), and a busy set costs one trim a minute instead of
// one per write.
const trimEvery = time.Minute

// trimDue reports whether the set at key is due for a trim, and if so
// notes that it is trimmed now.
func (s *Store) trimDue(key string) bool {
	at := s.now().UnixNano()
	s.trimMu.Lock()
	defer s.trimMu.Unlock()
	if last, ok := s.trimmed[key]; ok && at-last < int64(trimEvery) && at >= last {
		return false
	}
	if s.trimmed == nil || len(s.trimmed) >= maxTrimKeys {
		s.trimmed = map[string]int64{} // bounded; forgetting only trims again
	}
	s.trimmed[key] = at
	return true
}

// maxTrimKeys bounds trimDue's memory (a set per state, reason, initiator
// and adapter: a few hundred in practice).
const maxTrimKeys = 4096

// registeredKind is a kind in a registry, as knownKind remembers it.
type registeredKind struct{ registry, kind string }

// knownKind reports whether this process registered kind in registry
// (index.Ops' known): then it is there, for nothing removes a registry's
// members.
func (s *Store) knownKind(registry, kind string) bool {
	s.trimMu.Lock()
	defer s.trimMu.Unlock()
	_, ok := s.registered[registeredKind{registry, kind}]
	return ok
}

// noteRegistered notes the kinds ops registered, once the script that ran
// them succeeded (a script that failed, or stored nothing, registered
// nothing).
func (s *Store) noteRegistered(ops []index.Op) {
	index.Registrations(ops, func(registry, kind string) {
		s.trimMu.Lock()
		defer s.trimMu.Unlock()
		if s.registered == nil || len(s.registered) >= maxKnownKinds {
			s.registered = map[registeredKind]struct{}{} // bounded; forgetting only registers again
		}
		s.registered[registeredKind{registry, kind}] = struct{}{}
	})
}

// maxKnownKinds bounds what knownKind remembers: a registry (an adapter's,
// or a bucket's on a cluster) holds a few hundred kinds at most, and a
// process writes few of them in practice.
const maxKnownKinds = 1 << 16

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Store) retention() time.Duration {
	if s.Retention > 0 {
		return s.Retention
	}
	return DefaultRetention
}

// NewConsole reads the indexes that store writes.
func NewConsole(store *Store) *index.Console { return index.NewConsole(source{store.l, store}) }

// source is a Store as the console's reads see it.
type source struct {
	layout
	s *Store
}

func (src source) Redis() redis.UniversalClient { return src.s.rdb }
func (src source) Now() time.Time               { return src.s.now() }
func (src source) Retention() time.Duration     { return src.s.retention() }

// Docs reads the orders' documents in one pipeline; one that does not
// decode is an error (ErrUnreadable).
func (src source) Docs(ctx context.Context, adapterID string, orderIDs []string) ([]*order.Doc, error) {
	cmds, err := src.s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, o := range orderIDs {
			p.Get(ctx, src.orderKey(adapterID, o))
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, err
	}
	docs := make([]*order.Doc, len(orderIDs))
	for i, cmd := range cmds {
		raw, err := cmd.(*redis.StringCmd).Bytes()
		if err != nil {
			continue // none
		}
		if docs[i], err = decodeDoc(adapterID+"/"+orderIDs[i], stored(raw)); err != nil {
			return nil, err
		}
	}
	return docs, nil
}
