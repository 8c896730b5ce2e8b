package jobs

// InitAdapter creates an adapter's series at zero, as NewWorker does for
// the adapters it starts with; a reload that adds an adapter calls it.
func (m *Metrics) InitAdapter(id string) { m.initAdapter(id) }
