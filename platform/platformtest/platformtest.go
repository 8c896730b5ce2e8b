// Package platformtest holds what a platform's policy test needs besides its
// cases: a Fixture that builds an order and the cancellation events on it,
// table runners that put each case through one of the shared decisions of
// package platform (DecideRequest, DecideResponse, DecideTimeout,
// DecideWithdrawal), and the checks every platform's test makes. A
// platform's policy_test.go then reads as its tables.
//
// Outcomes are compared as the sync payload would carry them (see Wire), so a
// failure shows two JSON documents rather than two pointers.
package platformtest

import (
	"encoding/json"
	"testing"

	"github.com/cancelsync/cancelsync/platform"
)

// Wire shows o as the sync payload would carry it, so a failure reads
// plainly and two outcomes compare by what a platform would receive.
func Wire(t testing.TB, o platform.Outcome) string {
	t.Helper()
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// CheckPlatform fails t unless p is registered as name and has defaults as
// its windows: what an adapter without a policy block in its config gets.
func CheckPlatform(t *testing.T, p platform.Platform, name string, defaults platform.Windows) {
	t.Helper()
	if p.Name != name {
		t.Errorf("Name = %q, want %q", p.Name, name)
	}
	if p.Defaults != defaults {
		t.Errorf("Defaults = %+v, want %+v", p.Defaults, defaults)
	}
}

// NeverWaits is a RequestSetup.Check for a platform that decides every
// request as it arrives and never counts a cancellation against the seller:
// the outcome has no respond_by and does not affect seller stats.
func NeverWaits(t *testing.T, got platform.Outcome) {
	t.Helper()
	if got.RespondBy != nil || got.AffectsSellerStats {
		t.Errorf("respond_by %v, affects_seller_stats %v: want nil and false", got.RespondBy, got.AffectsSellerStats)
	}
}

// expect fails t unless decide, which gave got and the verdict gotV (why it
// ignored an event, or whether a timeout applied), gave want and wantV.
func expect[V comparable](t *testing.T, decide string, got platform.Outcome, gotV V, want platform.Outcome, wantV V) {
	t.Helper()
	if g, w := Wire(t, got), Wire(t, want); g != w || gotV != wantV {
		t.Errorf("%s = %s, %#v\nwant %s, %#v", decide, g, gotV, w, wantV)
	}
}
