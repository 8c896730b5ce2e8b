package orderstore

import "sync"

// recentDocs remembers the documents this process stored last, by key, so
// that a change that follows one soon in the same process (a buyer's
// request right after the order's snapshot, stored at ingest) starts from
// it instead of reading it: the compare-and-set checks it by its digest
// like any document read, so one changed since by another process costs
// no more round trips than the read it saves (Change's guess). Only the
// encoded bytes are kept, never a decoded document a caller might still
// hold. Bounded by two generations of max entries: when the newer is
// full it becomes the older and the older is dropped, so the last max
// stores are always remembered.
type recentDocs struct {
	mu         sync.Mutex
	max        int
	cur, older map[string][]byte
}

func (r *recentDocs) get(key string) ([]byte, bool) {
	if r == nil {
		return nil, false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if raw, ok := r.cur[key]; ok {
		return raw, true
	}
	raw, ok := r.older[key]
	return raw, ok
}

func (r *recentDocs) put(key string, raw []byte) {
	if r == nil {
		return
	}
	r.mu.Lock()
	if r.cur == nil || len(r.cur) >= r.max {
		r.older, r.cur = r.cur, make(map[string][]byte, r.max)
	}
	r.cur[key] = raw
	r.mu.Unlock()
}

// KeepRecent makes the store remember at least the last n documents it
// stored (at most 2n) for its next changes of them (n ≤ 0: none, the
// default). For a process that both ingests and works (serve): an api
// process's stores are never followed by its own changes.
func (s *Store) KeepRecent(n int) {
	if n > 0 {
		s.recent = &recentDocs{max: n}
	}
}
