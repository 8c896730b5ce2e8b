// Package orderstore holds every Redis key and every Lua script of
// cancelsync's own: the order document's compare-and-set (Store.Change,
// with its options), which also keeps the console's indexes and day
// counters (package index: their facts, commands and reads) and the dead
// letter's record (package deadletter: its commands, reads and the
// adoption of Asynq's archive), the dedup keys of deliveries, the order's
// sync lock and the sweeper's lease. It decides nothing: what a document
// becomes is package order's; it only stores, indexes and reads it. Every
// key is built in keys.go.
package orderstore
