package console_test

import (
	"strings"
	"testing"
)

// An adapter whose platform cancels whole orders only refuses lines,
// naming them; nothing is queued.
func TestCancelLinesRefused(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	for _, body := range []string{
		`{"reason":"other","lines":[{"line_id":"a","quantity":1}]}`,
		`{"reason":"other","lines":[]}`,
	} {
		code, ans := r.do(t, "POST", "/v1/adapters/shop-a/orders/o1/cancellations", "tok-a", body)
		if code != 400 || !strings.Contains(ans, `"field":"lines"`) {
			t.Errorf("%s: %d %s", body, code, ans)
		}
	}
}
