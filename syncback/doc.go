// Package syncback is the one path by which a decided state reaches its
// platform: the order's sync lock, the push of every unsent version oldest
// first, its acknowledgement, the failure record, the retry policy
// (RetryPolicy, Backoff), the dead letter (DeadLetters: list and replay)
// and the sweeper that queues again a decided version left without a task.
// It knows no platform's wire format: the adapter's Client pushes.
package syncback
