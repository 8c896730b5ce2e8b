package deadletter

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/cancelsync/cancelsync/order"
	"github.com/cancelsync/cancelsync/orderstore/index"
)

func hasDead(ds []index.DeadFact, d index.DeadFact) bool {
	for _, x := range ds {
		if x.Req == d.Req && x.Version == d.Version && x.Round == d.Round {
			return true
		}
	}
	return false
}

// Ops records the versions that failed in a change of the order and
// forgets those revived in it, as commands of index's script that the
// compare-and-set runs with the indexes' (before and next are the dead
// facts, index.Facts.Dead, of the document before and after). A failed
// version whose request has moved on to a newer state keeps its entry: it
// is still a sync that failed, replayable until replayed (then only
// removed) or past the retention. trim is as for index.Ops.
func Ops(l Layout, adapterID, orderID string, before, next []index.DeadFact, after *order.Doc, now time.Time, retention time.Duration, trim func(key string) bool) []index.Op {
	var ops []index.Op
	tag := l.Tag(adapterID, orderID)
	key := l.Key(tag, ixDead)
	for _, d := range before {
		if hasDead(next, d) {
			continue
		}
		if r := after.AtVersion(d.Version); r != nil && r.ID == d.Req {
			id := l.ID(adapterID, orderID, d.Version, d.Round)
			ops = append(ops, index.Op{Op: "zr", Key: key, A: id}, index.Op{Op: "ul", Key: l.PartKey(tag, ixDeadEntry, id)})
		}
	}
	at := now.UTC().Truncate(time.Millisecond)
	for _, d := range next {
		if hasDead(before, d) {
			continue
		}
		id := l.ID(adapterID, orderID, d.Version, d.Round)
		entry, _ := json.Marshal(Entry{ID: id, Adapter: adapterID, OrderID: orderID, RequestID: d.Req,
			Version: d.Version, Attempts: d.Attempts, FailedAt: at, LastError: d.Err})
		ops = append(ops,
			index.Op{Op: "za", Key: key, A: itoa(ms(at)), B: id},
			index.Op{Op: "sv", Key: l.PartKey(tag, ixDeadEntry, id), A: string(entry), B: itoa(ms(at.Add(retention)))},
			index.Op{Op: "sa", Key: l.AdaptersKey(), A: adapterID})
		if trim == nil || trim(key) {
			ops = append(ops, index.Op{Op: "zt", Key: key, A: itoa(ms(now.Add(-retention)))})
		}
	}
	return ops
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func ms(t time.Time) int64 { return t.UnixMilli() }
