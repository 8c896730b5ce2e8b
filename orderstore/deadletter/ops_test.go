package deadletter

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/order"
	"github.com/cancelsync/cancelsync/orderstore/index"
)

// oneRedis is a layout with one tag per adapter and readable keys.
type oneRedis struct{}

func (oneRedis) Tag(adapterID, _ string) string        { return adapterID }
func (oneRedis) Tags(adapterID string) []string        { return []string{adapterID} }
func (oneRedis) Key(tag, name string) string           { return tag + "/" + name }
func (oneRedis) PartKey(tag, name, part string) string { return tag + "/" + name + "/" + part }
func (oneRedis) ID(adapterID, orderID string, version int64, round int) string {
	return adapterID + "." + orderID + "." + itoa(version) + "." + itoa(int64(round))
}
func (oneRedis) TaskOrder(string) (string, string, bool) { return "", "", false }
func (oneRedis) AdaptersKey() string                     { return "adapters" }
func (oneRedis) AdoptedKey() string                      { return "adopted" }
func (oneRedis) ArchivedKey(queue string) string         { return "archived/" + queue }

// A version that fails in a change gets its list entry, its entry and its
// adapter in the set of adapters; one already failed before is not
// written again.
func TestOpsRecordANewFailureOnce(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	failed := index.DeadFact{Req: "cr-1", Version: 3, Round: 1, Attempts: 8, Err: "status 502"}
	ops := Ops(oneRedis{}, "shop", "o-1", nil, []index.DeadFact{failed}, &order.Doc{}, now, time.Hour, func(string) bool { return false })
	got := map[string]index.Op{}
	for _, o := range ops {
		got[o.Op] = o
	}
	if len(ops) != 3 || got["za"].Key != "shop/dead" || got["za"].B != "shop.o-1.3.1" || got["sa"].Key != "adapters" || got["sa"].A != "shop" {
		t.Fatalf("commands: %+v", ops)
	}
	var e Entry
	if err := json.Unmarshal([]byte(got["sv"].A), &e); err != nil || got["sv"].Key != "shop/deadentry/shop.o-1.3.1" {
		t.Fatalf("entry %q at %s: %v", got["sv"].A, got["sv"].Key, err)
	}
	if e.RequestID != "cr-1" || e.Version != 3 || e.Attempts != 8 || e.LastError != "status 502" || !e.FailedAt.Equal(now) {
		t.Fatalf("entry: %+v", e)
	}
	if again := Ops(oneRedis{}, "shop", "o-1", []index.DeadFact{failed}, []index.DeadFact{failed}, &order.Doc{}, now, time.Hour, nil); len(again) != 0 {
		t.Fatalf("a failure already recorded is written again: %+v", again)
	}
}
