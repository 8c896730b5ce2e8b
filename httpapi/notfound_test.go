package httpapi

import (
	"net/http"
	"strings"
	"testing"
)

// A near miss of a webhook URL answers 404 problem+json whose detail names
// the adapter's real endpoints; an unknown adapter's near miss names the
// pattern, never the id sent.
func TestNotFoundSuggestsTheAdaptersEndpoints(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tests := []struct {
		path    string
		want    []string
		notWant []string
	}{
		{"/webhooks/acme-posh/order", []string{"POST /webhooks/acme-posh/orders", "POST /webhooks/acme-posh/cancellations"}, nil},
		{"/webhooks/acme-posh/orders/", []string{"POST /webhooks/acme-posh/orders"}, nil},
		{"/webhooks/acme-posh", []string{"POST /webhooks/acme-posh/cancellations"}, nil},
		// An orders-only store: only the endpoint it has.
		{"/webhooks/acme-store/cancellation", []string{"POST /webhooks/acme-store/orders"}, []string{"acme-store/cancellations"}},
		{"/webhooks/nobody-x/order", []string{"/webhooks/{adapter}/orders"}, []string{"nobody-x"}},
		{"/webhook/acme-posh/orders", []string{"no such route"}, []string{"acme-posh"}},
	}
	for _, tt := range tests {
		resp, body := b.post(t, webhook{Path: tt.path, Body: orderBody})
		p := wantProblem(t, resp, body, http.StatusNotFound, "not-found")
		for _, w := range tt.want {
			if !strings.Contains(p.Detail, w) {
				t.Errorf("%s: detail %q does not name %q", tt.path, p.Detail, w)
			}
		}
		for _, w := range tt.notWant {
			if strings.Contains(p.Detail, w) {
				t.Errorf("%s: detail %q names %q", tt.path, p.Detail, w)
			}
		}
	}
}
