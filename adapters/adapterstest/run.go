package adapterstest

import (
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/adapters"
)

// RequestCase is one new request and the outcome DecideRequest must give it.
type RequestCase struct {
	Name      string
	Order     adapters.Order
	Request   adapters.Cancellation
	OtherOpen bool              // another request of the order is pending
	Windows   *adapters.Windows // nil: the setup's Defaults
	Now       time.Time         // zero: the request's occurred_at plus the setup's Lag
	Want      adapters.Outcome
}

// RequestSetup is the platform that RunRequestCases decides requests for.
type RequestSetup struct {
	Rules    adapters.Rules
	Defaults adapters.Windows
	// Lag is how long after it was made a case without Now is decided. Zero
	// decides it as it happens; a platform that never waits sets a long lag
	// to show that the time of processing does not matter.
	Lag time.Duration
	// Check, if set, is what every outcome of the platform must hold besides
	// equalling its case's Want.
	Check func(t *testing.T, got adapters.Outcome)
}

// RunRequestCases runs each case as a parallel subtest of t: DecideRequest
// under s must give the case's Want.
func RunRequestCases(t *testing.T, s RequestSetup, cases []RequestCase) {
	t.Helper()
	run(t, cases, func(c RequestCase) string { return c.Name }, func(t *testing.T, c RequestCase) {
		w := s.Defaults
		if c.Windows != nil {
			w = *c.Windows
		}
		now := c.Now
		if now.IsZero() {
			now = c.Request.OccurredAt.Add(s.Lag)
		}
		got := adapters.DecideRequest(s.Rules, w, c.Order, c.Request, c.OtherOpen, now)
		if g, want := Wire(t, got), Wire(t, c.Want); g != want {
			t.Errorf("DecideRequest = %s\nwant %s", g, want)
		}
		if s.Check != nil {
			s.Check(t, got)
		}
	})
}

// ResponseCase is one response to a stored request and what DecideResponse
// must make of it.
type ResponseCase struct {
	Name     string
	Order    adapters.Order // as it stands when the response is decided
	Request  adapters.Request
	Response adapters.Cancellation
	Want     adapters.Outcome
	Ignored  adapters.Ignored // empty: the response applies
}

// RunResponseCases runs each case as a parallel subtest of t: DecideResponse
// under rules must give the case's Want and Ignored.
func RunResponseCases(t *testing.T, rules adapters.Rules, cases []ResponseCase) {
	t.Helper()
	run(t, cases, func(c ResponseCase) string { return c.Name }, func(t *testing.T, c ResponseCase) {
		got, ignored := adapters.DecideResponse(rules, c.Order, c.Request, c.Response)
		expect(t, "DecideResponse", got, ignored, c.Want, c.Ignored)
	})
}

// TimeoutCase is a stored request looked at by the timeout job at Now and
// what DecideTimeout must make of it.
type TimeoutCase struct {
	Name    string
	Order   adapters.Order // as it stands when the timeout is decided
	Request adapters.Request
	Now     time.Time
	Want    adapters.Outcome
	OK      bool // the timeout rule applied
}

// RunTimeoutCases runs each case as a parallel subtest of t: DecideTimeout
// under rules must give the case's Want and OK.
func RunTimeoutCases(t *testing.T, rules adapters.Rules, cases []TimeoutCase) {
	t.Helper()
	run(t, cases, func(c TimeoutCase) string { return c.Name }, func(t *testing.T, c TimeoutCase) {
		got, ok := adapters.DecideTimeout(rules, c.Order, c.Request, c.Now)
		expect(t, "DecideTimeout", got, ok, c.Want, c.OK)
	})
}

// WithdrawalCase is a stored request its requester withdraws and what
// DecideWithdrawal must make of it.
type WithdrawalCase struct {
	Name    string
	Request adapters.Request
	Want    adapters.Outcome
	Ignored adapters.Ignored // empty: the withdrawal applies
}

// RunWithdrawalCases runs each case as a parallel subtest of t:
// DecideWithdrawal must give the case's Want and Ignored. Withdrawal is the
// same on every platform; a platform's table shows it for its own outcomes.
func RunWithdrawalCases(t *testing.T, cases []WithdrawalCase) {
	t.Helper()
	run(t, cases, func(c WithdrawalCase) string { return c.Name }, func(t *testing.T, c WithdrawalCase) {
		got, ignored := adapters.DecideWithdrawal(c.Request)
		expect(t, "DecideWithdrawal", got, ignored, c.Want, c.Ignored)
	})
}

// RunSettledCases is for a platform that decides every request as it
// arrives, so that none of its requests is ever pending. Each outcome of
// settled, as a parallel subtest named by its state, is stored as the
// buyer's request on f's paid order, made at at. A seller's acceptance a
// minute later must be ignored as NotPending, and the timeout job a year
// later must find nothing to do: the outcome stays as it is.
func RunSettledCases(t *testing.T, rules adapters.Rules, f Fixture, at time.Time, settled []adapters.Outcome) {
	t.Helper()
	o := f.Order(adapters.StatusPaid)
	resp := f.Response(adapters.Seller, adapters.Accept, at.Add(time.Minute))
	later := at.Add(365 * 24 * time.Hour)
	run(t, settled, func(out adapters.Outcome) string { return string(out.State) }, func(t *testing.T, out adapters.Outcome) {
		r := f.Stored(adapters.Buyer, at, out)
		got, ignored := adapters.DecideResponse(rules, o, r, resp)
		expect(t, "DecideResponse", got, ignored, out, adapters.NotPending)
		got, ok := adapters.DecideTimeout(rules, o, r, later)
		expect(t, "DecideTimeout", got, ok, out, false)
	})
}

// run runs check on each case as a parallel subtest of t named by name.
func run[C any](t *testing.T, cases []C, name func(C) string, check func(t *testing.T, c C)) {
	t.Helper()
	for _, c := range cases {
		t.Run(name(c), func(t *testing.T) {
			t.Parallel()
			check(t, c)
		})
	}
}
