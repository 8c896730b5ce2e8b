package webhooks

// InitAdapter creates an adapter's series at zero, as Mount does for
// Options.Adapters; a reload that adds an adapter calls it.
func (m *Metrics) InitAdapter(id string) { m.initAdapter(id) }
