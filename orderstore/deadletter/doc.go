// Package deadletter holds the dead letter's record: which versions'
// syncs failed for good, kept per adapter in Redis rather than only in
// Asynq's archive (docs/GUARANTEES.md: the dead letter has no size cap).
// It owns the commands that orderstore's compare-and-set runs to keep the
// record in step with the order's document (Ops), the record's reads,
// its additions and removals outside a change (Record), and the reads and
// mark that adopting Asynq's archive into the record needs. Where the
// keys are and how entries are named is orderstore's layout (its
// keys.go), handed in as a Layout.
package deadletter
