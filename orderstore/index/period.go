package index

import "time"

// The console's reads take a period from the query string. Each one goes
// through Period, so no period makes a read cover more than the indexes can
// hold (docs/API.md, "The JSON twins"): a day counter is one HGETALL per
// day, and since=2000-01-01&until=9999-12-31 would otherwise be millions.

const oneDay = 24 * time.Hour

// Period is what the indexes can hold as of Now, when they keep an entry
// for Retention.
type Period struct {
	Now       time.Time
	Retention time.Duration
}

// span is from the UTC day of now-retention (older entries are trimmed,
// older day counters expired) to the end of tomorrow, UTC (a day of slack
// for platforms' clocks; a later entry is no period anyone asks about).
func (p Period) span() (first, end time.Time) {
	now := p.Now.UTC()
	return now.Add(-p.Retention).Truncate(oneDay), now.Truncate(oneDay).Add(2 * oneDay)
}

// Range bounds [since, until) to span; a zero bound is open and
// becomes span's. The result is empty (since == until) when the period
// lies wholly outside.
func (p Period) Range(since, until time.Time) (time.Time, time.Time) {
	first, end := p.span()
	if since.IsZero() {
		since = first
	}
	if until.IsZero() {
		until = end
	}
	since, until = clampTime(since.UTC(), first, end), clampTime(until.UTC(), first, end)
	if until.Before(since) {
		until = since
	}
	return since, until
}

// Days bounds the whole UTC days from firstDay's to lastDay's
// (inclusive, either order) to span's days: at least one day, at most
// retention's days and two (today and tomorrow).
func (p Period) Days(firstDay, lastDay time.Time) (time.Time, time.Time) {
	first, end := p.span()
	a, b := firstDay.UTC().Truncate(oneDay), lastDay.UTC().Truncate(oneDay)
	if b.Before(a) {
		a, b = b, a
	}
	return clampTime(a, first, end.Add(-oneDay)), clampTime(b, first, end.Add(-oneDay))
}

func clampTime(t, lo, hi time.Time) time.Time {
	switch {
	case t.Before(lo):
		return lo
	case t.After(hi):
		return hi
	}
	return t
}
