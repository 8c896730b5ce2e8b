package jobs

import (
	"context"
	"encoding/base64"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/order"
	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/syncback"
)

// leakyClient is a client that quotes its token, raw and as an echoed
// Authorization header, in its errors: the syncer must hide it whatever
// the client does.
type leakyClient struct {
	token     string
	retryable bool
}

func (c leakyClient) Push(context.Context, string, platform.Update) error {
	return &platform.SyncError{Retryable: c.retryable,
		Msg: "HTTP 401: token " + c.token + " from Authorization: Bearer " + base64.StdEncoding.EncodeToString([]byte(c.token))}
}

// TestSyncFailureRedactedWhateverTheClient: a push error is recorded
// (last_error, the dead letter) and logged with every form of the
// adapter's credentials hidden, even from a client that redacts nothing.
func TestSyncFailureRedactedWhateverTheClient(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{noServer: true})
	const id, token = "t-selfservice", "tok-selfservice" // setup's api.token of the adapter
	logs := &lockedBuffer{}
	retries := map[string]syncback.Retry{}
	for aid := range b.adapters {
		retries[aid] = syncback.Retry{MaxAttempts: 3, BaseDelay: 10 * time.Millisecond, MaxDelay: 50 * time.Millisecond}
	}
	b.worker = NewWorker(b.store, b.queue, WorkerOptions{Adapters: b.adapters, Retries: retries, OrderWait: time.Minute,
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
	forms := []string{token, base64.StdEncoding.EncodeToString([]byte(token))}

	for _, tc := range []struct {
		order     string
		retryable bool
		sync      string
	}{{"o-leak-retry", true, order.SyncPending}, {"o-leak-dead", false, order.SyncFailed}} {
		b.adapters[id].Client = leakyClient{token: token, retryable: tc.retryable}
		b.runEvent(t, id, tc.order+"-w1", snapshot(tc.order, platform.StatusPaid, placed))
		b.runEvent(t, id, tc.order+"-w2", request(tc.order, "cr-"+tc.order, platform.Buyer))
		v := b.view(t, id, tc.order)
		if v.Sync == nil || v.Sync.State != tc.sync || v.Sync.LastError == nil {
			t.Fatalf("%s: sync %+v", tc.order, v.Sync)
		}
		if e := *v.Sync.LastError; !strings.Contains(e, platform.Redacted) || containsAny(e, forms) {
			t.Errorf("%s: last_error %q", tc.order, e)
		}
	}
	letters, err := b.dlq.List(context.Background())
	if err != nil || len(letters) != 1 {
		t.Fatalf("dead letters %+v, %v", letters, err)
	}
	if e := letters[0].LastError; !strings.Contains(e, platform.Redacted) || containsAny(e, forms) {
		t.Errorf("dead letter's error %q", e)
	}
	logs.mu.Lock()
	out := logs.b.String()
	logs.mu.Unlock()
	if strings.Count(out, platform.Redacted) < 2 || containsAny(out, forms) {
		t.Errorf("logs:\n%s", out)
	}
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
