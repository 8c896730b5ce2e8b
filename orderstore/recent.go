package orderstore

import "sync"

// recentDocs remembers the documents this process stored last, by key, so
// that a change that follows one soon in the same process (a buyer's
// request right after the order's snapshot, stored at ingest) starts from
// it instead of reading it: the compare-and-set checks it by its digest
// like any document read, so one changed since by another process costs
// no more round trips than the read it saves (Change's guess). Only the
// encoded bytes are kept, never a decoded document a caller might still
// hold. Bounded: past max entries it starts afresh.
type recentDocs struct {
	mu  sync.Mutex
	max int
	m   map[string][]byte
}

func (r *recentDocs) get(key string) ([]byte, bool) {
	if r == nil {
		return nil, false
	}
	r.mu.Lock()
	raw, ok := r.m[key]
	r.mu.Unlock()
	return raw, ok
}

func (r *recentDocs) put(key string, raw []byte) {
	if r == nil {
		return
	}
	r.mu.Lock()
	if r.m == nil || len(r.m) >= r.max {
		r.m = make(map[string][]byte, r.max)
	}
	r.m[key] = raw
	r.mu.Unlock()
}

// KeepRecent makes the store remember the last n documents it stored for
// its next changes of them (n ≤ 0: none, the default). For a process
// that both ingests and works (serve): an api process's stores are never
// followed by its own changes.
func (s *Store) KeepRecent(n int) {
	if n > 0 {
		s.recent = &recentDocs{max: n}
	}
}
