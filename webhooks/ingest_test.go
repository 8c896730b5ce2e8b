package webhooks

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/platform"
)

func TestIngestQueued(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		kind, body string
		eventType  platform.EventType
	}{
		{"orders", orderBody, platform.OrderCreated},
		{"cancellations", cancelBody, platform.CancellationRequested},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			resp, body := b.post(t, webhook{Path: "/webhooks/acme-posh/" + tc.kind, ID: "msg_2a", Body: tc.body})
			if resp.StatusCode != http.StatusAccepted {
				t.Fatalf("status = %d, want 202; body %s", resp.StatusCode, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			if got, want := string(body), `{"status":"queued","webhook_id":"msg_2a"}`; got != want {
				t.Errorf("body = %s, want %s", got, want)
			}
			got := b.enq.Accepted()
			if len(got) != 1 {
				t.Fatalf("accepted %d deliveries, want 1", len(got))
			}
			d := got[0]
			if d.AdapterID != testAdapter || d.WebhookID != "msg_2a" || !d.ReceivedAt.Equal(b.now) || d.Event.Type != tc.eventType || d.Event.OrderID() != "PM-10023" {
				t.Errorf("delivery = %+v", d)
			}
			if rid := resp.Header.Get("X-Request-Id"); rid == "" || d.RequestID != rid {
				t.Errorf("delivery request id %q, response X-Request-Id %q", d.RequestID, rid)
			}
			if n := b.received(testAdapter, tc.kind, "202"); n != 1 {
				t.Errorf("received{202} = %v, want 1", n)
			}
			if n := durationCount(t, b, tc.kind); n != 1 {
				t.Errorf("duration count = %d, want 1", n)
			}
		})
	}
}

func TestIngestDuplicate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	w := webhook{ID: "msg_dup", Body: orderBody}
	if resp, body := b.post(t, w); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("first: status = %d; %s", resp.StatusCode, body)
	}
	resp, body := b.post(t, w)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("second: status = %d, want 200; %s", resp.StatusCode, body)
	}
	if got, want := string(body), `{"status":"duplicate","webhook_id":"msg_dup"}`; got != want {
		t.Errorf("body = %s, want %s", got, want)
	}
	if n := len(b.enq.Accepted()); n != 1 {
		t.Errorf("accepted %d deliveries, want 1", n)
	}
	if n := counterValue(b.metrics.duplicates.WithLabelValues(testAdapter)); n != 1 {
		t.Errorf("duplicates = %v, want 1", n)
	}
	if a, d := b.received(testAdapter, "orders", "202"), b.received(testAdapter, "orders", "200"); a != 1 || d != 1 {
		t.Errorf("received 202=%v 200=%v, want 1 and 1", a, d)
	}
}

func TestIngestInvalidPayload(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, path, body string
		want             []platform.FieldError
	}{
		{"malformed JSON", "/webhooks/acme-posh/orders", `{"type":"order.created",`,
			[]platform.FieldError{{Field: "", Message: "malformed JSON"}}},
		{"failed validation", "/webhooks/acme-posh/orders", `{"type":"order.created","data":{}}`,
			[]platform.FieldError{{Field: "data.order_id", Message: "required"}}},
		{"wrong type for endpoint", "/webhooks/acme-posh/orders", cancelBody,
			[]platform.FieldError{{Field: "type", Message: "not an event for /orders"}}},
		{"order on cancellations", "/webhooks/acme-posh/cancellations", orderBody,
			[]platform.FieldError{{Field: "type", Message: "not an event for /cancellations"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			resp, body := b.post(t, webhook{Path: tc.path, Body: tc.body})
			p := wantProblem(t, resp, body, http.StatusBadRequest, "invalid-payload")
			if !equalFieldErrors(p.Errors, tc.want) {
				t.Errorf("errors = %+v, want %+v", p.Errors, tc.want)
			}
			if strings.Contains(string(body), tc.body) {
				t.Errorf("problem echoes the body: %s", body)
			}
			if n := len(b.enq.Accepted()); n != 0 {
				t.Errorf("accepted %d deliveries, want 0", n)
			}
			kind := tc.path[strings.LastIndexByte(tc.path, '/')+1:]
			if n := b.received(testAdapter, kind, "400"); n != 1 {
				t.Errorf("received{400} = %v, want 1", n)
			}
		})
	}
}

func TestIngestDecoderErrorWithoutFields(t *testing.T) {
	t.Parallel()
	got := fieldErrors(&platform.ValidationError{})
	if len(got) != 1 || got[0].Field != "" || got[0].Message == "" {
		t.Errorf("fieldErrors(empty) = %+v, want one entry on the root", got)
	}
}

func TestIngestUnauthorized(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, typ, detail, reason string
		w                         webhook
	}{
		{"wrong signature", "invalid-signature", "invalid signature", "signature",
			webhook{Body: orderBody, BadSig: true}},
		{"missing headers", "invalid-signature", "invalid signature", "signature",
			webhook{Body: orderBody, Unsigned: true}},
		{"stale timestamp", "invalid-timestamp", "invalid timestamp", "timestamp",
			webhook{Body: orderBody, TS: testNow.Add(-6 * time.Minute)}},
		{"future timestamp", "invalid-timestamp", "invalid timestamp", "timestamp",
			webhook{Body: orderBody, TS: testNow.Add(6 * time.Minute)}},
		// Authenticity is decided before the body is looked at.
		{"bad signature on malformed body", "invalid-signature", "invalid signature", "signature",
			webhook{Body: `{"nope`, BadSig: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			resp, body := b.post(t, tc.w)
			p := wantProblem(t, resp, body, http.StatusUnauthorized, tc.typ)
			if got := resp.Header.Get("WWW-Authenticate"); got != `Signature realm="cancelsync"` {
				t.Errorf("WWW-Authenticate = %q, want the Signature challenge", got)
			}
			if p.Detail != tc.detail || p.Errors != nil {
				t.Errorf("problem = %+v, want detail %q only", p, tc.detail)
			}
			if n := len(b.enq.Accepted()); n != 0 {
				t.Errorf("accepted %d deliveries, want 0", n)
			}
			if n := counterValue(b.metrics.authFailures.WithLabelValues(testAdapter, tc.reason)); n != 1 {
				t.Errorf("auth_failures{%s} = %v, want 1", tc.reason, n)
			}
			if n := b.received(testAdapter, "orders", "401"); n != 1 {
				t.Errorf("received{401} = %v, want 1", n)
			}
		})
	}
}

func TestIngestUnknownAdapter(t *testing.T) {
	t.Parallel()
	b := setup(t)
	resp, body := b.post(t, webhook{Path: "/webhooks/scanner-42/cancellations", Body: cancelBody})
	wantProblem(t, resp, body, http.StatusNotFound, "unknown-adapter")
	if n := b.inbound.Verifies(); n != 0 {
		t.Errorf("Verify called %d times", n)
	}
	if n := b.received("unknown", "cancellations", "404"); n != 1 {
		t.Errorf(`received{adapter="unknown"} = %v, want 1`, n)
	}
	if n := seriesCount(b.metrics.received); n != 1 {
		t.Errorf("%d received series, want 1 (no series per unknown id)", n)
	}
}

// An adapter without an inbound for a kind has no such endpoint: 404 before
// anything is read or verified.
func TestIngestNoEndpointForKind(t *testing.T) {
	t.Parallel()
	b := setup(t)
	resp, body := b.post(t, webhook{Path: "/webhooks/" + ordersOnlyAdapter + "/cancellations", Body: cancelBody})
	wantProblem(t, resp, body, http.StatusNotFound, "not-found")
	if n := b.inbound.Verifies(); n != 0 {
		t.Errorf("Verify called %d times", n)
	}
	if got := b.enq.Accepted(); len(got) != 0 {
		t.Errorf("accepted %d deliveries, want 0", len(got))
	}
	resp, body = b.post(t, webhook{Path: "/webhooks/" + ordersOnlyAdapter + "/orders", Body: orderBody})
	if resp.StatusCode != http.StatusAccepted {
		t.Errorf("orders: status = %d, want 202; %s", resp.StatusCode, body)
	}
}

// A verified delivery the decoder ignores is acknowledged 200 "ignored" and
// queues nothing; an unsigned one is still 401.
func TestIngestIgnored(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ignore := http.Header{"X-Test-Ignore": {"products/update"}}
	resp, body := b.post(t, webhook{ID: "msg_ign", Body: orderBody, Header: ignore})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200; %s", resp.StatusCode, body)
	}
	if got, want := string(body), `{"status":"ignored","webhook_id":"msg_ign"}`; got != want {
		t.Errorf("body = %s, want %s", got, want)
	}
	if got := b.enq.Accepted(); len(got) != 0 {
		t.Errorf("accepted %d deliveries, want 0", len(got))
	}
	resp, body = b.post(t, webhook{ID: "msg_ign2", Body: orderBody, Header: ignore, Unsigned: true})
	wantProblem(t, resp, body, http.StatusUnauthorized, "invalid-signature")
}

// A Pinger's unsigned hello is 200 "ignored"; any other non-JSON body to it
// is still 415, and an adapter without a Pinger never reads the body.
func TestIngestPing(t *testing.T) {
	t.Parallel()
	form := "application/x-www-form-urlencoded"
	tests := []struct {
		name, adapter, body string
		want                int
	}{
		{"hello", ordersOnlyAdapter, "webhook_id=17", http.StatusOK},
		{"other form", ordersOnlyAdapter, "webhook_id=17&x=1", http.StatusUnsupportedMediaType},
		{"not a hello", ordersOnlyAdapter, "hello", http.StatusUnsupportedMediaType},
		{"no pinger", testAdapter, "webhook_id=17", http.StatusUnsupportedMediaType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			resp, body := b.post(t, webhook{Path: "/webhooks/" + tt.adapter + "/orders", Body: tt.body, ContentType: form, Unsigned: true})
			if resp.StatusCode != tt.want {
				t.Fatalf("status = %d, want %d; %s", resp.StatusCode, tt.want, body)
			}
			if tt.want == http.StatusOK {
				if got, want := string(body), `{"status":"ignored","webhook_id":"17"}`; got != want {
					t.Errorf("body = %s, want %s", got, want)
				}
			}
			if got := b.enq.Accepted(); len(got) != 0 {
				t.Errorf("accepted %d deliveries, want 0", len(got))
			}
		})
	}
}

func TestIngestTooLarge(t *testing.T) {
	t.Parallel()
	const limit = 1024 // setup's MaxBodyBytes
	over := padded(orderBody, limit+1)
	tests := []struct {
		name string
		w    webhook
	}{
		{"content-length over the limit", webhook{Body: over}},
		{"chunked over the limit", webhook{Body: over, Chunked: true}},
		{"chunked far over the limit", webhook{Body: padded(orderBody, 64*limit), Chunked: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			resp, body := b.post(t, tc.w)
			wantProblem(t, resp, body, http.StatusRequestEntityTooLarge, "payload-too-large")
			if n := b.inbound.Verifies(); n != 0 {
				t.Errorf("Verify called %d times", n)
			}
			if n := b.received(testAdapter, "orders", "413"); n != 1 {
				t.Errorf("received{413} = %v, want 1", n)
			}
		})
	}
	// A body of exactly the limit is fine, sized or not.
	for _, chunked := range []bool{false, true} {
		b := setup(t)
		resp, body := b.post(t, webhook{Body: padded(orderBody, limit), Chunked: chunked})
		if resp.StatusCode != http.StatusAccepted {
			t.Errorf("chunked=%v body at the limit: status = %d; %s", chunked, resp.StatusCode, body)
		}
	}
}

// padded pads a JSON document with trailing spaces to n bytes.
func padded(doc string, n int) string {
	return doc + strings.Repeat(" ", n-len(doc))
}

func TestIngestMediaType(t *testing.T) {
	t.Parallel()
	for _, ct := range []string{"text/plain", "-", "application/x-www-form-urlencoded", "application/jsonx", "application/+json", "text/json"} {
		t.Run("refused "+ct, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			// An oversized body too: the media type is checked first.
			resp, body := b.post(t, webhook{Body: padded(orderBody, 4096), ContentType: ct})
			wantProblem(t, resp, body, http.StatusUnsupportedMediaType, "unsupported-media-type")
			if n := b.inbound.Verifies(); n != 0 {
				t.Errorf("Verify called %d times", n)
			}
			if n := b.received(testAdapter, "orders", "415"); n != 1 {
				t.Errorf("received{415} = %v, want 1", n)
			}
		})
	}
	for _, ct := range []string{"application/json; charset=utf-8", "Application/JSON", "application/cloudevents+json", "application/json ; charset=UTF-8"} {
		t.Run("accepted "+ct, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			resp, body := b.post(t, webhook{Body: orderBody, ContentType: ct})
			if resp.StatusCode != http.StatusAccepted {
				t.Errorf("status = %d, want 202; %s", resp.StatusCode, body)
			}
		})
	}
}

func TestIngestEnqueueFails(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.enq.SetErr(errRedisDown)
	w := webhook{ID: "msg_retry", Body: orderBody}
	resp, body := b.post(t, w)
	wantProblem(t, resp, body, http.StatusServiceUnavailable, "unavailable")
	if ra := resp.Header.Get("Retry-After"); ra != "5" {
		t.Errorf("Retry-After = %q, want 5", ra)
	}
	if strings.Contains(string(body), "6379") {
		t.Errorf("problem leaks the Redis error: %s", body)
	}
	if n := len(b.enq.Accepted()); n != 0 {
		t.Errorf("accepted %d deliveries, want 0", n)
	}
	if n := b.received(testAdapter, "orders", "503"); n != 1 {
		t.Errorf("received{503} = %v, want 1", n)
	}
	if logs := b.logs.String(); !strings.Contains(logs, `"level":"WARN"`) || !strings.Contains(logs, "connection refused") {
		t.Errorf("enqueue failure not logged as a warning with its cause: %s", logs)
	}
	// The sender's retry goes through once Redis is back.
	b.enq.SetErr(nil)
	if resp, body := b.post(t, w); resp.StatusCode != http.StatusAccepted {
		t.Errorf("retry: status = %d, want 202; %s", resp.StatusCode, body)
	}
}

func TestIngestLogLine(t *testing.T) {
	t.Parallel()
	b := setup(t)
	h := http.Header{"X-Request-Id": {"req-log-1"}}
	b.post(t, webhook{ID: "msg_log", Body: orderBody, Header: h})
	b.post(t, webhook{ID: "msg_bad", Body: orderBody, BadSig: true})

	lines := strings.Split(strings.TrimSpace(b.logs.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d log lines, want 2:\n%s", len(lines), b.logs)
	}
	var rec struct {
		Level, Msg, Adapter, Kind string
		Status                    int
		Latency                   *int64
	}
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Level != "INFO" || rec.Msg != "webhook" || rec.Adapter != testAdapter || rec.Kind != "orders" ||
		rec.Status != 202 || rec.Latency == nil {
		t.Errorf("log line = %s", lines[0])
	}
	// slog's JSON keys are snake_case here; check them literally.
	for _, want := range []string{`"webhook_id":"msg_log"`, `"request_id":"req-log-1"`, `"order_id":"PM-10023"`} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("log line lacks %s: %s", want, lines[0])
		}
	}
	if !strings.Contains(lines[1], `"status":401`) {
		t.Errorf("second line = %s", lines[1])
	}
	// The order id of a verified, decoded webhook is logged (an id, as on
	// job lines); nothing of a body that failed verification is.
	for _, leak := range []string{testSecret, "PM-10023", "order.created", "X-Test-Signature"} {
		if strings.Contains(lines[1], leak) {
			t.Errorf("log leaks %q", leak)
		}
	}
	for _, leak := range []string{testSecret, "order.created", "X-Test-Signature"} {
		if strings.Contains(b.logs.String(), leak) {
			t.Errorf("log leaks %q", leak)
		}
	}
}

func TestIsJSON(t *testing.T) {
	t.Parallel()
	for ct, want := range map[string]bool{
		"application/json":               true,
		"application/json;charset=utf-8": true,
		" application/JSON ":             true,
		"application/problem+json":       true,
		"application/vnd.api+JSON; x=1":  true,
		"":                               false,
		"application/":                   false,
		"application/+json":              false,
		"application/json-seq":           false,
		"text/json":                      false,
		"multipart/form-data; a=application/json": false,
	} {
		if got := isJSON(ct); got != want {
			t.Errorf("isJSON(%q) = %v, want %v", ct, got, want)
		}
	}
}

// TestAck checks that any webhook id an adapter returns comes back intact
// in the acknowledgement, escaped as JSON needs.
func TestAck(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"msg_1", `a"b\c`, "tab\there\n\x00\x1f", "héllo ✓", "\u2028\u2029", "bad\xffutf8", "<>&"} {
		got := ack("queued", s)
		var back struct {
			Status    string `json:"status"`
			WebhookID string `json:"webhook_id"`
		}
		if err := json.Unmarshal(got, &back); err != nil {
			t.Errorf("ack(%q) = %s: %v", s, got, err)
			continue
		}
		want := strings.ToValidUTF8(s, "\ufffd")
		if back.WebhookID != want || back.Status != "queued" {
			t.Errorf("round trip of %q = %+v", s, back)
		}
	}
}

func equalFieldErrors(a, b []platform.FieldError) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// durationCount is the sample count of the duration histogram for kind.
func durationCount(t *testing.T, b *bundle, kind string) uint64 {
	t.Helper()
	mfs, err := b.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "cancelsync_webhook_duration_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "kind" && l.GetValue() == kind {
					return m.GetHistogram().GetSampleCount()
				}
			}
		}
	}
	return 0
}

// BenchmarkIngest measures the edge alone: routing, body read, a fake HMAC
// verify and decode, and a no-op enqueue.
func BenchmarkIngest(b *testing.B) {
	in := &fakeInbound{Secret: []byte(testSecret)}
	enq := &countingEnqueuer{}
	h := newRouter(Options{
		Adapters: map[string]*platform.Adapter{testAdapter: {ID: testAdapter, Inbound: map[platform.Kind]platform.Inbound{platform.KindOrders: in}}},
		Enqueuer: enq,
		Metrics:  NewMetrics(nil),
		Now:      func() time.Time { return testNow },
	})
	body := []byte(orderBody)
	ts := "1795172400" // testNow
	sig := sign([]byte(testSecret), "msg_1", ts, body)
	hdr := http.Header{
		"Content-Type":     {"application/json"},
		"X-Test-Id":        {"msg_1"},
		"X-Test-Timestamp": {ts},
		"X-Test-Signature": {hexString(sig)},
	}
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/webhooks/acme-posh/orders", bytes.NewReader(body))
		req.Header = hdr
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusAccepted {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}
