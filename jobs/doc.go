// Package jobs runs cancelsync's Asynq tasks: the handlers of events,
// timers and syncs (Worker), the intake that takes the webhooks' verified
// deliveries (Intake), the Asynq servers that run the handlers, and their
// Prometheus series. It holds no state logic: a delivery or a timer is
// applied by package order's transition, stored by orderstore, its
// effects queued by tasks, and its sync pushed by syncback.
package jobs
