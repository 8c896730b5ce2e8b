package index

import (
	"strconv"
	"time"

	"github.com/cancelsync/cancelsync/order/ordertest"
)

// retention is orderstore's DefaultRetention.
const retention = 90 * 24 * time.Hour

// oneRedis is orderstore's layout on one Redis: every index of an adapter
// in the adapter's tag.
type oneRedis struct{}

func (oneRedis) Tag(adapterID, _ string) string { return adapterID }
func (oneRedis) Tags(adapterID string) []string { return []string{adapterID} }
func (oneRedis) Cluster() bool                  { return false }
func (oneRedis) Key(tag, name string) string    { return "cancelsync:ix:{" + tag + "}:" + name }
func (l oneRedis) PartKey(tag, name, part string) string {
	return l.Key(tag, name) + ":" + strconv.Itoa(len(part)) + ":" + part
}

// The events the tests apply, as the adapters decode them.
var (
	placed     = ordertest.Placed
	snapshot   = ordertest.Snapshot
	oldRequest = ordertest.OldRequest
)
