package standardwebhooks_test

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/platform"
)

// Svix sends the Standard Webhooks headers as svix-id, svix-timestamp and
// svix-signature by default, and its libraries accept both spellings: so
// does the verifier, with the spec's published vector under each.
func TestVerifySvixSpelling(t *testing.T) {
	t.Parallel()
	spell := func(prefix string, canonical bool) http.Header {
		h := http.Header{}
		add := func(k, v string) {
			if canonical {
				h.Set(prefix+k, v)
			} else {
				h[prefix+k] = []string{v}
			}
		}
		add("id", vectorID)
		add("timestamp", strconv.Itoa(vectorTS))
		add("signature", vectorSig)
		return h
	}
	in := newVerifier(t, vectorSecret)
	for _, tc := range []struct {
		name string
		h    http.Header
	}{
		{"webhook-* canonical", spell("webhook-", true)},
		{"webhook-* lower case", spell("webhook-", false)},
		{"svix-* canonical", spell("svix-", true)},
		{"svix-* lower case", spell("svix-", false)},
	} {
		id, err := in.Verify(tc.h, []byte(vectorBody), vectorTime)
		if err != nil || id != vectorID {
			t.Errorf("%s: Verify = %q, %v; want %q", tc.name, id, err, vectorID)
		}
		// The same delivery tampered with is refused under either spelling.
		if _, err := in.Verify(tc.h, []byte(vectorBody+" "), vectorTime); !errors.Is(err, platform.ErrSignature) {
			t.Errorf("%s: tampered body: err = %v, want ErrSignature", tc.name, err)
		}
		if _, err := in.Verify(tc.h, []byte(vectorBody), vectorTime.Add(time.Hour)); !errors.Is(err, platform.ErrTimestamp) {
			t.Errorf("%s: an hour late: err = %v, want ErrTimestamp", tc.name, err)
		}
	}
	// A svix-id given twice is as ambiguous as a webhook-id given twice.
	h := spell("svix-", true)
	h.Add("svix-id", "msg_2")
	if _, err := in.Verify(h, []byte(vectorBody), vectorTime); !errors.Is(err, platform.ErrSignature) {
		t.Errorf("svix-id twice: err = %v, want ErrSignature", err)
	}
}

// Each refusal says which check failed, for the log.
func TestVerifyReason(t *testing.T) {
	t.Parallel()
	in := newVerifier(t, vectorSecret)
	tests := []struct {
		name   string
		edit   func(http.Header)
		now    time.Time
		reason platform.AuthReason
		header string
	}{
		{"no id", del("webhook-id"), vectorTime, platform.ReasonMissingHeader, "webhook-id"},
		{"no timestamp", del("webhook-timestamp"), vectorTime, platform.ReasonMissingHeader, "webhook-timestamp"},
		{"no signature", del("webhook-signature"), vectorTime, platform.ReasonMissingHeader, "webhook-signature"},
		{"id with a space", set("webhook-id", "msg 1"), vectorTime, platform.ReasonMalformedHeader, "webhook-id"},
		{"timestamp not digits", set("webhook-timestamp", "soon"), vectorTime, platform.ReasonMalformedHeader, "webhook-timestamp"},
		{"no v1 entry", set("webhook-signature", "v2,abc"), vectorTime, platform.ReasonMalformedHeader, "webhook-signature"},
		{"id twice", func(h http.Header) { h.Add("webhook-id", "msg_2") }, vectorTime, platform.ReasonDuplicateHeader, "webhook-id"},
		{"wrong signature", set("webhook-signature", "v1,"+strings.Repeat("A", 43)+"="), vectorTime, platform.ReasonSignatureMismatch, "webhook-signature"},
		{"stale", nil, vectorTime.Add(time.Hour), platform.ReasonStaleTimestamp, "webhook-timestamp"},
		{"future", nil, vectorTime.Add(-time.Hour), platform.ReasonFutureTimestamp, "webhook-timestamp"},
	}
	for _, tc := range tests {
		h := vectorHeader()
		if tc.edit != nil {
			tc.edit(h)
		}
		_, err := in.Verify(h, []byte(vectorBody), tc.now)
		ae, ok := errors.AsType[*platform.AuthError](err)
		if !ok || ae.Reason != tc.reason || ae.Header != tc.header {
			t.Errorf("%s: err = %#v, want reason %s on %s", tc.name, err, tc.reason, tc.header)
		}
	}
}
