package orderstore

import (
	"strconv"
	"strings"

	"github.com/cancelsync/cancelsync/orderstore/deadletter"
)

// The dead letter's record is package deadletter's: the commands Change
// runs to keep it (indexOps), its reads and the adoption of Asynq's
// archive. This file hands it where its keys are (keys.go) and how its
// entries are named.

// DeadLetter is a sync that exhausted its attempts or failed permanently:
// an entry of the record, as dlq list and the console show it.
type DeadLetter = deadletter.Entry

// NewDeadLetterRecord reads and changes the dead letter's record that
// store's compare-and-set writes.
func NewDeadLetterRecord(store *Store) *deadletter.Record {
	return deadletter.New(source{store.l, store})
}

// DeadLetterID names the dead letter of round round of version's sync. It
// is also the id of the version's task in Asynq's archive (Syncer.deadLetter),
// so that asynqmon and dlq list show one id, and ids of the previous
// release's dead letters are the same.
func DeadLetterID(adapterID, orderID string, version int64, round int) string {
	return TaskID("dead", adapterID, orderID, itoa(version), itoa(int64(round)))
}

// taskOrder is the adapter and order a task id of TaskID names (its first
// two parts): a dead letter's, or that of a sync task Asynq archived
// itself (deadletter/archive.go).
func taskOrder(id string) (adapterID, orderID string, ok bool) {
	_, rest, ok := strings.Cut(id, ".")
	if !ok {
		return "", "", false
	}
	_, tail, ok := strings.Cut(rest, ".")
	if !ok {
		return "", "", false
	}
	var parts [2]string
	for i := range parts {
		j := strings.IndexByte(tail, ':')
		if j <= 0 {
			return "", "", false
		}
		n, err := strconv.Atoi(tail[:j])
		if err != nil || n < 0 || j+1+n > len(tail) {
			return "", "", false
		}
		parts[i], tail = tail[j+1:j+1+n], tail[j+1+n:]
	}
	return parts[0], parts[1], true
}

// TaskOrder is the adapter and order of a dead letter's or sync task's
// id (DeadLetterID, and the sync ids of package tasks).
func TaskOrder(id string) (adapterID, orderID string, ok bool) { return taskOrder(id) }

// The layout as package deadletter reads it (with Tag, Tags, Key and
// PartKey, which package index reads too).
func (layout) ID(adapterID, orderID string, version int64, round int) string {
	return DeadLetterID(adapterID, orderID, version, round)
}
func (layout) TaskOrder(id string) (adapterID, orderID string, ok bool) { return taskOrder(id) }
func (layout) AdaptersKey() string                                      { return deadAdaptersKey }
func (layout) AdoptedKey() string                                       { return adoptedKey }
func (layout) ArchivedKey(queue string) string                          { return asynqArchivedKey(queue) }

var _ deadletter.Source = source{}
