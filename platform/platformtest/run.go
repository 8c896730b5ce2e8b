package platformtest

import (
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/platform"
)

// RequestCase is one new request and the outcome DecideRequest must give it.
type RequestCase struct {
	Name      string
	Order     platform.Order
	Request   platform.Cancellation
	OtherOpen bool              // another request of the order is pending
	Windows   *platform.Windows // nil: the setup's Defaults
	Now       time.Time         // zero: the request's occurred_at plus the setup's Lag
	Want      platform.Outcome
}

// RequestSetup is the platform that RunRequestCases decides requests for.
type RequestSetup struct {
	Rules    platform.Rules
	Defaults platform.Windows
	// Lag is how long after it was made a case without Now is decided. Zero
	// decides it as it happens; a platform that never waits sets a long lag
	// to show that the time of processing does not matter.
	Lag time.Duration
	// Check, if set, is what every outcome of the platform must hold besides
	// equalling its case's Want.
	Check func(t *testing.T, got platform.Outcome)
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
		got := platform.DecideRequest(s.Rules, w, c.Order, c.Request, c.OtherOpen, now)
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
	Order    platform.Order // as it stands when the response is decided
	Request  platform.Request
	Response platform.Cancellation
	Want     platform.Outcome
	Ignored  platform.Ignored // empty: the response applies
}

// RunResponseCases runs each case as a parallel subtest of t: DecideResponse
// under rules must give the case's Want and Ignored.
func RunResponseCases(t *testing.T, rules platform.Rules, cases []ResponseCase) {
	t.Helper()
	run(t, cases, func(c ResponseCase) string { return c.Name }, func(t *testing.T, c ResponseCase) {
		got, ignored := platform.DecideResponse(rules, c.Order, c.Request, c.Response)
		expect(t, "DecideResponse", got, ignored, c.Want, c.Ignored)
	})
}

// TimeoutCase is a stored request looked at by the timeout job at Now and
// what DecideTimeout must make of it.
type TimeoutCase struct {
	Name    string
	Order   platform.Order // as it stands when the timeout is decided
	Request platform.Request
	Now     time.Time
	Want    platform.Outcome
	OK      bool // the timeout rule applied
}

// RunTimeoutCases runs each case as a parallel subtest of t: DecideTimeout
// under rules must give the case's Want and OK.
func RunTimeoutCases(t *testing.T, rules platform.Rules, cases []TimeoutCase) {
	t.Helper()
	run(t, cases, func(c TimeoutCase) string { return c.Name }, func(t *testing.T, c TimeoutCase) {
		got, ok := platform.DecideTimeout(rules, c.Order, c.Request, c.Now)
		expect(t, "DecideTimeout", got, ok, c.Want, c.OK)
	})
}

// WithdrawalCase is a stored request its requester withdraws and what
// DecideWithdrawal must make of it.
type WithdrawalCase struct {
	Name    string
	Request platform.Request
	Want    platform.Outcome
	Ignored platform.Ignored // empty: the withdrawal applies
}

// RunWithdrawalCases runs each case as a parallel subtest of t:
// DecideWithdrawal must give the case's Want and Ignored. Withdrawal is the
// same on every platform; a platform's table shows it for its own outcomes.
func RunWithdrawalCases(t *testing.T, cases []WithdrawalCase) {
	t.Helper()
	run(t, cases, func(c WithdrawalCase) string { return c.Name }, func(t *testing.T, c WithdrawalCase) {
		got, ignored := platform.DecideWithdrawal(c.Request)
		expect(t, "DecideWithdrawal", got, ignored, c.Want, c.Ignored)
	})
}

// RunSettledCases is for a platform that decides every request as it
// arrives, so that none of its requests is ever pending. Each outcome of
// settled, as a parallel subtest named by its state, is stored as the
// buyer's request on f's paid order, made at at. A seller's acceptance a
// minute later must be ignored as NotPending, and the timeout job a year
// later must find nothing to do: the outcome stays as it is.
func RunSettledCases(t *testing.T, rules platform.Rules, f Fixture, at time.Time, settled []platform.Outcome) {
	t.Helper()
	o := f.Order(platform.StatusPaid)
	resp := f.Response(platform.Seller, platform.Accept, at.Add(time.Minute))
	later := at.Add(365 * 24 * time.Hour)
	run(t, settled, func(out platform.Outcome) string { return string(out.State) }, func(t *testing.T, out platform.Outcome) {
		r := f.Stored(platform.Buyer, at, out)
		got, ignored := platform.DecideResponse(rules, o, r, resp)
		expect(t, "DecideResponse", got, ignored, out, platform.NotPending)
		got, ok := platform.DecideTimeout(rules, o, r, later)
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
