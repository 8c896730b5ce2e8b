// Package tasks holds cancelsync's Asynq tasks: their types, payloads,
// ids and queues, and the Queue that puts them on Redis, deduplicating
// webhook deliveries through orderstore's dedup keys. It knows no HTTP and
// decides nothing: handlers are jobs', the sync path is syncback's.
package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/cancelsync/cancelsync/config"
	"github.com/cancelsync/cancelsync/order"
	"github.com/cancelsync/cancelsync/orderstore"
	"github.com/cancelsync/cancelsync/platform"
)

// Delivery is one verified, validated webhook on its way to the workers.
type Delivery struct {
	AdapterID  string         `json:"a"`
	WebhookID  string         `json:"w"`
	RequestID  string         `json:"r,omitempty"` // ingest request id, for log correlation
	ReceivedAt time.Time      `json:"t"`
	Event      platform.Event `json:"e"`
}

// Task types.
const (
	TypeEvent = "cancelsync:event"
	TypeTimer = "cancelsync:timer"
	TypeSync  = "cancelsync:sync"
)

// eventMaxRetry is how often a webhook's task is retried before Asynq
// archives it. Its failures are Redis failures, not bad input (input was
// validated at ingest), so it retries for a long time rather than drop an
// accepted event.
const eventMaxRetry = 200

// TimerPayload is a timer task's payload.
type TimerPayload struct {
	AdapterID string `json:"a"`
	OrderID   string `json:"o"`
	order.Timer
}

// SyncPayload is a sync task's payload: push the order's unsent versions,
// oldest first. Version and RequestID name the version the task was queued
// for (the one a dead letter is about); the order's document says what is
// still to send.
type SyncPayload struct {
	AdapterID string `json:"a"`
	OrderID   string `json:"o"`
	RequestID string `json:"q"`
	Version   int64  `json:"v"`
	// Origin is the ingest request id of the webhook that led to Version,
	// for log correlation only; empty after a timer or a replay.
	Origin string `json:"r,omitempty"`
	// Dead is set on a dead letter: what its version's sync record said
	// when it was archived, for asynqmon (and for dlq list, on a dead
	// letter a release before the record left only in the archive).
	Dead *DeadInfo `json:"d,omitempty"`
}

// DeadInfo is the failure a dead letter records.
type DeadInfo struct {
	Attempts int       `json:"n"`
	Error    string    `json:"e"`
	At       time.Time `json:"at"`
}

// EventTaskID is the task id of an adapter's webhook, which makes two
// racing deliveries of one webhook-id collide in Asynq's enqueue.
func EventTaskID(adapterID, webhookID string) string {
	return orderstore.TaskID("event", adapterID, webhookID)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// SyncTaskID names attempt n of round round of version's sync: the retry a
// failure schedules, or the first sync task of a version. Deterministic,
// so that whoever queues it again (a replayed handler, a sync that finds
// the retry not yet due) queues the same task.
func SyncTaskID(adapterID, orderID string, version int64, round, n int) string {
	return orderstore.TaskID("sync", adapterID, orderID, itoa(version), itoa(int64(round)), itoa(int64(n)))
}

// WaitTaskID names the continuation of a sync task of version that found
// its order busy: a new id each time, so it never collides with the task
// it continues.
func WaitTaskID(adapterID, orderID string, version int64) string {
	return orderstore.TaskID("sync", adapterID, orderID, itoa(version), "wait", orderstore.NewToken())
}

// MaxEarlyWait is how early a task may run and still wait out the rest
// itself: Asynq keeps due times in whole seconds, so a timer or a retry may
// come up to a second early. Earlier than this (clock skew between
// machines), a timer is re-armed and a retry left to its own task.
const MaxEarlyWait = 3 * time.Second

// Queue puts tasks on Redis. It is safe for concurrent use.
type Queue struct {
	client *asynq.Client
	rdb    redis.UniversalClient
	layout Layout
	dedup  *orderstore.Dedup
	// DedupWindow is how long an accepted webhook-id is remembered.
	DedupWindow time.Duration
	// SyncAttempts returns the max_attempts of an adapter's sync retries.
	SyncAttempts func(adapterID string) int
	// SyncTimeout returns how long one sync attempt may run.
	SyncTimeout func(adapterID string) time.Duration
}

// NewQueue returns a queue on rdb.
func NewQueue(rdb redis.UniversalClient, dedupWindow time.Duration) *Queue {
	return &Queue{
		client:       asynq.NewClientFromRedisClient(rdb),
		rdb:          rdb,
		layout:       LayoutOf(rdb),
		dedup:        orderstore.NewDedup(rdb),
		DedupWindow:  dedupWindow,
		SyncAttempts: func(string) int { return config.DefaultMaxAttempts },
		SyncTimeout:  func(string) time.Duration { return config.DefaultAPITimeout.D() },
	}
}

// Enqueue durably queues a verified delivery. It reports duplicate when the
// adapter already accepted the webhook-id within the dedup window; then
// nothing is queued. It returns only after Redis has the task, so a nil error
// may be acknowledged with a 2xx.
//
// Two mechanisms cover the window: the task id (derived from the
// webhook-id) makes two racing deliveries collide in Asynq's own atomic
// enqueue while the task exists, and a remembered key covers the rest of the
// window after the task is done and gone. The task's handler sets that key
// (jobs' event handler), in the script that stores the event's change when
// there is one, before the task completes: the two overlap, and ingest
// saves a round trip per webhook. The key then expires
// dedup_window after the event was applied, which is never earlier than
// dedup_window after it was accepted.
func (q *Queue) Enqueue(ctx context.Context, d Delivery) (duplicate bool, err error) {
	if dup, err := q.seen(ctx, d); err != nil || dup {
		return dup, err
	}
	return q.enqueue(ctx, d)
}

// seen reports whether the adapter accepted d's webhook-id within the
// dedup window.
func (q *Queue) seen(ctx context.Context, d Delivery) (bool, error) {
	seen, err := q.dedup.Seen(ctx, d.AdapterID, d.Event.OrderID(), d.WebhookID)
	if err != nil {
		return false, fmt.Errorf("enqueue %s: %w", d.WebhookID, err)
	}
	return seen, nil
}

// enqueue queues d's task; a task of its id that exists makes it a
// duplicate.
func (q *Queue) enqueue(ctx context.Context, d Delivery) (duplicate bool, err error) {
	payload, err := json.Marshal(d)
	if err != nil {
		return false, fmt.Errorf("enqueue %s: %w", d.WebhookID, err)
	}
	task := asynq.NewTask(TypeEvent, payload)
	_, err = q.client.EnqueueContext(ctx, task,
		asynq.Queue(q.layout.Events(d.AdapterID, d.Event.OrderID())), asynq.TaskID(EventTaskID(d.AdapterID, d.WebhookID)),
		asynq.MaxRetry(eventMaxRetry), asynq.Timeout(q.taskTimeout(d.AdapterID)))
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("enqueue %s: %w", d.WebhookID, err)
	}
	return false, nil
}

// Remember sets a delivery's dedup key on its own, for an event whose task
// stores no change. Failing to remember its id only weakens dedup for a
// later re-delivery, which the handlers absorb (idempotent), so it does not
// fail the task.
func (q *Queue) Remember(ctx context.Context, d Delivery) {
	_ = q.dedup.Remember(ctx, d.AdapterID, d.Event.OrderID(), d.WebhookID, q.DedupWindow)
}

// EnqueueMarked is enqueue for a snapshot that jobs' Intake could have stored:
// it first marks the delivery as being queued, then looks for its dedup
// key, in one round trip. Two deliveries of one webhook, one stored by
// ingest (its compare-and-set refuses while the mark exists) and one
// queued, then cannot both be answered 202: either the store saw the mark
// and this delivery's twin is queued too (its task id collides), or the
// store came first and this one finds the key it set. The mark lasts the
// dedup window and is never a claim: a failed enqueue leaves it, and the
// sender's retry is queued again. Only snapshots that a worker must apply
// (a request waits on them) pay the round trip.
func (q *Queue) EnqueueMarked(ctx context.Context, d Delivery) (duplicate bool, err error) {
	remembered, err := q.dedup.MarkQueueing(ctx, d.AdapterID, d.Event.OrderID(), d.WebhookID, max(q.DedupWindow, time.Minute))
	if err != nil {
		return false, fmt.Errorf("enqueue %s: %w", d.WebhookID, err)
	}
	if remembered {
		return true, nil
	}
	return q.enqueue(ctx, d)
}

// RememberNew sets a delivery's dedup key unless it is set, for a
// delivery ingest stored nothing for (jobs' Intake); fresh is false when another
// delivery of the webhook-id set it first.
func (q *Queue) RememberNew(ctx context.Context, d Delivery) (fresh bool, err error) {
	fresh, err = q.dedup.RememberNew(ctx, d.AdapterID, d.Event.OrderID(), d.WebhookID, q.DedupWindow)
	if err != nil {
		return false, fmt.Errorf("remember %s: %w", d.WebhookID, err)
	}
	return fresh, nil
}

// taskTimeout bounds a task of the adapter's orders. Every kind may push to
// the platform (a deciding task makes the first sync attempt itself), so it
// must outlast the adapter's api.timeout.
func (q *Queue) taskTimeout(adapterID string) time.Duration {
	return max(time.Minute, q.SyncTimeout(adapterID)+30*time.Second)
}

// enqueueTimer schedules a re-check of a request at tm.At.
func (q *Queue) enqueueTimer(ctx context.Context, adapterID, orderID string, tm order.Timer) error {
	payload, err := json.Marshal(TimerPayload{AdapterID: adapterID, OrderID: orderID, Timer: tm})
	if err != nil {
		return err
	}
	id := orderstore.TaskID("timer", tm.Kind, adapterID, orderID, tm.RequestID, itoa(tm.At.UnixNano()), itoa(tm.Rearm))
	_, err = q.client.EnqueueContext(ctx, asynq.NewTask(TypeTimer, payload),
		asynq.Queue(q.layout.Events(adapterID, orderID)), asynq.TaskID(id), asynq.ProcessAt(tm.At),
		asynq.MaxRetry(eventMaxRetry), asynq.Timeout(q.taskTimeout(adapterID)))
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return fmt.Errorf("schedule %s timer of %s/%s: %w", tm.Kind, adapterID, orderID, err)
	}
	return nil
}

// EnqueueSync queues a sync task of the order; opts add to its options
// (ProcessIn). A task of that id already queued is left as it is. Its
// failures are Redis failures (push failures are recorded on the order and
// scheduled by syncback's Syncer), so it retries as long as an event's task.
func (q *Queue) EnqueueSync(ctx context.Context, p SyncPayload, taskID string, opts ...asynq.Option) error {
	payload, err := json.Marshal(p)
	if err != nil {
		return err
	}
	opts = append(opts, asynq.Queue(q.layout.Sync(p.AdapterID, p.OrderID)), asynq.TaskID(taskID),
		asynq.MaxRetry(eventMaxRetry), asynq.Timeout(q.taskTimeout(p.AdapterID)))
	_, err = q.client.EnqueueContext(ctx, asynq.NewTask(TypeSync, payload), opts...)
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return fmt.Errorf("queue sync %s: %w", taskID, err)
	}
	return nil
}

// Issue enqueues a transition's effects; origin is the ingest request id
// of the delivery, carried into the sync task so that its log lines
// correlate with the webhook's.
func (q *Queue) Issue(ctx context.Context, adapterID, orderID string, doc *order.Doc, eff order.Effects, origin string) error {
	for _, tm := range eff.Timers {
		if err := q.enqueueTimer(ctx, adapterID, orderID, tm); err != nil {
			return err
		}
	}
	if eff.Sync > 0 {
		return q.QueueNext(ctx, adapterID, orderID, doc, origin)
	}
	return nil
}

// QueueNext queues the sync task that sends doc's oldest unsent version:
// now, or when its retry is due. Its id is deterministic (syncTaskID), so
// queueing it again is a no-op while it waits.
func (q *Queue) QueueNext(ctx context.Context, adapterID, orderID string, doc *order.Doc, origin string) error {
	r := doc.NextUnsent()
	if r == nil {
		return nil
	}
	p := SyncPayload{AdapterID: adapterID, OrderID: orderID, RequestID: r.ID, Version: r.Version, Origin: origin}
	var opts []asynq.Option
	if !r.NextAt.IsZero() {
		opts = append(opts, asynq.ProcessAt(r.NextAt))
	}
	return q.EnqueueSync(ctx, p, SyncTaskID(adapterID, orderID, r.Version, r.Round, r.Attempts+1), opts...)
}

// Layout is where the queue puts tasks.
func (q *Queue) Layout() Layout { return q.layout }

// Inspector reads and changes the queues' tasks (Asynq's Inspector).
func (q *Queue) Inspector() *asynq.Inspector { return asynq.NewInspectorFromRedisClient(q.rdb) }

// Ping reports whether Redis answers.
func (q *Queue) Ping(ctx context.Context) error { return q.rdb.Ping(ctx).Err() }

// DecodeSync reads a sync task's payload.
func DecodeSync(t *asynq.Task) (SyncPayload, error) {
	var p SyncPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return p, fmt.Errorf("decode sync task: %v: %w", err, asynq.SkipRetry)
	}
	return p, nil
}
