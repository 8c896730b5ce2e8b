// Package jobs owns the asynchronous half of cancelsync: the Asynq task
// types and their handlers, the Redis order store with its atomic
// transitions, deadline timers, the sync-back retry policy and the dead
// letter. It knows no platform's wire format: adapters decode at the edge
// and jobs works on adapters' domain types.
package jobs
