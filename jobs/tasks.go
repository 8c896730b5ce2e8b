package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// Queues. Events are the webhooks; timers re-check requests when a deadline
// or the order wait runs out; sync pushes states back to the platforms.
const (
	QueueEvents = "cancelsync-events"
	QueueSync   = "cancelsync-sync"
)

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

// timerPayload is a timer task's payload.
type timerPayload struct {
	AdapterID string `json:"a"`
	OrderID   string `json:"o"`
	timer
}

// syncPayload is a sync task's payload: push every unacknowledged state of
// the order up to at least Version.
type syncPayload struct {
	AdapterID string `json:"a"`
	OrderID   string `json:"o"`
	RequestID string `json:"q"`
	Version   int64  `json:"v"`
	// Origin is the ingest request id of the webhook that led to Version,
	// for log correlation only; empty after a timer or a replay.
	Origin string `json:"r,omitempty"`
	// Prior counts the attempts made before this task: the event's task
	// makes the first one itself (Worker.syncInline) and queues this task
	// only when it failed.
	Prior int `json:"n,omitempty"`
	// Dead, when set, is why that first attempt failed for good: on its
	// first run the task pushes nothing and goes straight to the dead
	// letter (run again from there, it syncs like any other).
	Dead string `json:"d,omitempty"`
}

// syncTaskID names the sync of one version; replays add a suffix.
func syncTaskID(adapterID, orderID string, version int64) string {
	return "sync:" + adapterID + ":" + orderID + ":" + strconv.FormatInt(version, 10)
}

// Queue puts tasks on Redis. It is safe for concurrent use.
type Queue struct {
	client *asynq.Client
	rdb    redis.UniversalClient
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
		DedupWindow:  dedupWindow,
		SyncAttempts: func(string) int { return 12 },
		SyncTimeout:  func(string) time.Duration { return 5 * time.Second },
	}
}

func dedupKey(adapterID, webhookID string) string {
	return "cancelsync:delivery:{" + adapterID + "}:" + webhookID
}

// Enqueue durably queues a verified delivery. It reports duplicate when the
// adapter already accepted the webhook-id within the dedup window; then
// nothing is queued. It returns only after Redis has the task, so a nil error
// may be acknowledged with a 2xx.
//
// Two mechanisms cover the window: the task id (derived from the
// webhook-id) makes two racing deliveries collide in Asynq's own atomic
// enqueue while the task exists, and a remembered key covers the rest of the
// window after the task is done and gone.
func (q *Queue) Enqueue(ctx context.Context, d Delivery) (duplicate bool, err error) {
	key := dedupKey(d.AdapterID, d.WebhookID)
	n, err := q.rdb.Exists(ctx, key).Result()
	if err != nil {
		return false, fmt.Errorf("enqueue %s: %w", d.WebhookID, err)
	}
	if n > 0 {
		return true, nil
	}
	payload, err := json.Marshal(d)
	if err != nil {
		return false, fmt.Errorf("enqueue %s: %w", d.WebhookID, err)
	}
	task := asynq.NewTask(TypeEvent, payload)
	_, err = q.client.EnqueueContext(ctx, task,
		asynq.Queue(QueueEvents), asynq.TaskID("event:"+d.AdapterID+":"+d.WebhookID),
		asynq.MaxRetry(eventMaxRetry), asynq.Timeout(q.taskTimeout(d.AdapterID)))
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("enqueue %s: %w", d.WebhookID, err)
	}
	// The event is durable now. Failing to remember its id only weakens
	// dedup for a later re-delivery, which the handlers absorb (idempotent),
	// so it must not turn an accepted event into an error.
	_ = q.rdb.Set(ctx, key, "1", q.DedupWindow).Err()
	return false, nil
}

// taskTimeout bounds a task of the adapter's orders. Every kind may push to
// the platform (a deciding task makes the first sync attempt itself), so it
// must outlast the adapter's api.timeout.
func (q *Queue) taskTimeout(adapterID string) time.Duration {
	return max(time.Minute, q.SyncTimeout(adapterID)+30*time.Second)
}

// enqueueTimer schedules a re-check of a request at tm.At.
func (q *Queue) enqueueTimer(ctx context.Context, adapterID, orderID string, tm timer) error {
	payload, err := json.Marshal(timerPayload{AdapterID: adapterID, OrderID: orderID, timer: tm})
	if err != nil {
		return err
	}
	id := "timer:" + tm.Kind + ":" + adapterID + ":" + orderID + ":" + tm.RequestID + ":" + strconv.FormatInt(tm.At.UnixNano(), 10)
	if tm.Rearm != 0 {
		id += ":rearm:" + strconv.FormatInt(tm.Rearm, 10)
	}
	_, err = q.client.EnqueueContext(ctx, asynq.NewTask(TypeTimer, payload),
		asynq.Queue(QueueEvents), asynq.TaskID(id), asynq.ProcessAt(tm.At),
		asynq.MaxRetry(eventMaxRetry), asynq.Timeout(q.taskTimeout(adapterID)))
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return fmt.Errorf("schedule %s timer of %s/%s: %w", tm.Kind, adapterID, orderID, err)
	}
	return nil
}

// enqueueSync queues the push of an order's states up to version, with the
// attempts left after p.Prior; opts add to the task's options (ProcessIn).
func (q *Queue) enqueueSync(ctx context.Context, p syncPayload, taskID string, opts ...asynq.Option) error {
	payload, err := json.Marshal(p)
	if err != nil {
		return err
	}
	attempts := max(q.SyncAttempts(p.AdapterID), 1)
	opts = append(opts, asynq.Queue(QueueSync), asynq.TaskID(taskID),
		asynq.MaxRetry(max(attempts-1-p.Prior, 0)), asynq.Timeout(q.taskTimeout(p.AdapterID)))
	_, err = q.client.EnqueueContext(ctx, asynq.NewTask(TypeSync, payload), opts...)
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return fmt.Errorf("queue sync %s: %w", taskID, err)
	}
	return nil
}

// issue enqueues a transition's effects.
func (q *Queue) issue(ctx context.Context, adapterID, orderID string, doc *orderDoc, eff effects) error {
	for _, tm := range eff.timers {
		if err := q.enqueueTimer(ctx, adapterID, orderID, tm); err != nil {
			return err
		}
	}
	if eff.sync > 0 {
		p := newSyncPayload(adapterID, orderID, doc, eff)
		return q.enqueueSync(ctx, p, syncTaskID(adapterID, orderID, eff.sync))
	}
	return nil
}

// newSyncPayload is the sync of eff's version of the order.
func newSyncPayload(adapterID, orderID string, doc *orderDoc, eff effects) syncPayload {
	p := syncPayload{AdapterID: adapterID, OrderID: orderID, Version: eff.sync, Origin: eff.requestID}
	if r := doc.atVersion(eff.sync); r != nil {
		p.RequestID = r.ID
	}
	return p
}

// Ping reports whether Redis answers.
func (q *Queue) Ping(ctx context.Context) error { return q.rdb.Ping(ctx).Err() }
