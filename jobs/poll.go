package jobs

import "time"

// How long an Asynq server sleeps after finding its queue empty (its
// TaskCheckInterval). A server that finds work never sleeps, so under load
// every dequeue loop runs flat out whatever these are; they only set the
// idle cost and how soon the first task after a quiet spell is picked up.
// Every empty poll is a Lua script in Redis: seven servers at 25 ms cost an
// idle embedded serve about a quarter of a core. So one events server polls
// as briskly as all did and keeps that first latency, the others wake
// rarely (in a burst after a quiet spell they join within a second), and
// the sync queue (retries and busy orders only) sits between.
const (
	firstEventsPoll = 25 * time.Millisecond
	otherEventsPoll = time.Second
	syncPoll        = 500 * time.Millisecond
)

// idlePoll is the TaskCheckInterval of the i-th server of the events
// queues, or of the sync queues' server.
func idlePoll(sync bool, i int) time.Duration {
	switch {
	case sync:
		return syncPoll
	case i == 0:
		return firstEventsPoll
	default:
		return otherEventsPoll
	}
}
