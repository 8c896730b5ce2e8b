// Package index holds the merchant console's indexes: what an order's
// document contributes to them (its facts), the commands that bring them
// in step with a change (Ops, run by Lua inside orderstore's
// compare-and-set, so they never disagree with the document) and the
// console's reads (Console: lists, counters, periods). Where the keys are
// is orderstore's layout (its keys.go), handed in as a Layout; the dead
// letter's record, which the same script keeps, is package deadletter's.
package index
