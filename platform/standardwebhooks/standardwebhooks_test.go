package standardwebhooks_test

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/standardwebhooks"
)

// The Standard Webhooks specification's published test vector, as its
// reference libraries test it.
const (
	vectorSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorTS     = 1614265330
	vectorBody   = `{"test": 2432232314}`
	vectorSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

// orderExample is a body of realistic size (docs/API.md §3); what it says
// does not matter to a signature.
const (
	orderExample = `{
  "type": "order.created",
  "data": {
    "order_id": "PM-10023",
    "status": "paid",
    "placed_at": "2026-11-20T10:00:00Z",
    "updated_at": "2026-11-20T10:05:00Z",
    "buyer_id": "b-17",
    "seller_id": "s-4",
    "total": {"amount": "42.50", "currency": "USD"},
    "items": [{"sku": "JKT-M", "quantity": 1, "price": "42.50"}],
    "shipped_at": null,
    "requirements_submitted": false,
    "work_delivered": false
  }
}`
)

// otherSecret is a second, unrelated secret: base64("cancelsync-rotation-test-key-32b").
const otherSecret = "whsec_Y2FuY2Vsc3luYy1yb3RhdGlvbi10ZXN0LWtleS0zMmI="

var vectorTime = time.Unix(vectorTS, 0)

func vectorHeader() http.Header {
	h := http.Header{}
	h.Set("webhook-id", vectorID)
	h.Set("webhook-timestamp", strconv.Itoa(vectorTS))
	h.Set("webhook-signature", vectorSig)
	return h
}

func newVerifier(t testing.TB, secrets ...string) *standardwebhooks.Verifier {
	t.Helper()
	in, err := standardwebhooks.NewVerifier(secrets)
	if err != nil {
		t.Fatalf("NewVerifier: %v", err)
	}
	return in
}

func TestSignMatchesVector(t *testing.T) {
	t.Parallel()
	got, err := standardwebhooks.Sign(vectorSecret, vectorID, vectorTime, []byte(vectorBody))
	if err != nil {
		t.Fatal(err)
	}
	if got != vectorSig {
		t.Fatalf("Sign = %q, want %q", got, vectorSig)
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	otherSig, err := standardwebhooks.Sign(otherSecret, vectorID, vectorTime, []byte(vectorBody))
	if err != nil {
		t.Fatal(err)
	}
	// A well-formed v1 entry that matches nothing.
	const wrongSig = "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

	tests := []struct {
		name    string
		secrets []string
		edit    func(h http.Header)
		body    string
		now     time.Time
		want    error // nil, platform.ErrSignature or platform.ErrTimestamp
	}{
		{name: "vector", secrets: []string{vectorSecret}},
		{name: "wrong secret", secrets: []string{otherSecret}, want: platform.ErrSignature},
		{name: "multiple signatures one valid", edit: set("webhook-signature", wrongSig+" "+vectorSig)},
		{name: "multiple signatures valid first", edit: set("webhook-signature", vectorSig+" "+wrongSig)},
		{name: "extra spaces between entries", edit: set("webhook-signature", "  "+wrongSig+"   "+vectorSig+" ")},
		{name: "rotation second secret matches", secrets: []string{otherSecret, vectorSecret}},
		{name: "rotation first secret matches", secrets: []string{vectorSecret, otherSecret}},
		{name: "rotation signed with the new secret", secrets: []string{vectorSecret, otherSecret}, edit: set("webhook-signature", otherSig)},
		{name: "signature in a second header line", edit: func(h http.Header) {
			h["Webhook-Signature"] = []string{wrongSig, vectorSig}
		}},
		{name: "tampered body", body: `{"test": 2432232315}`, want: platform.ErrSignature},
		{name: "body with trailing newline", body: vectorBody + "\n", want: platform.ErrSignature},
		{name: "tampered id", edit: set("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJeK"), want: platform.ErrSignature},
		{name: "tampered timestamp within tolerance", edit: set("webhook-timestamp", strconv.Itoa(vectorTS+1)), want: platform.ErrSignature},
		{name: "timestamp with leading zero is not what was signed", edit: set("webhook-timestamp", "0"+strconv.Itoa(vectorTS)), want: platform.ErrSignature},
		{name: "exactly 5 minutes old", now: vectorTime.Add(5 * time.Minute)},
		{name: "exactly 5 minutes ahead", now: vectorTime.Add(-5 * time.Minute)},
		{name: "old timestamp", now: vectorTime.Add(5*time.Minute + time.Second), want: platform.ErrTimestamp},
		{name: "future timestamp", now: vectorTime.Add(-5*time.Minute - time.Second), want: platform.ErrTimestamp},
		{name: "stale timestamp is refused before the signature", now: vectorTime.Add(time.Hour), edit: set("webhook-signature", wrongSig), want: platform.ErrTimestamp},
		{name: "missing id", edit: del("webhook-id"), want: platform.ErrSignature},
		{name: "missing timestamp", edit: del("webhook-timestamp"), want: platform.ErrSignature},
		{name: "missing signature", edit: del("webhook-signature"), want: platform.ErrSignature},
		{name: "empty id", edit: set("webhook-id", ""), want: platform.ErrSignature},
		{name: "empty signature", edit: set("webhook-signature", ""), want: platform.ErrSignature},
		{name: "id with a space", edit: set("webhook-id", "msg 1"), want: platform.ErrSignature},
		{name: "id not ASCII", edit: set("webhook-id", "msg_é"), want: platform.ErrSignature},
		{name: "id too long", edit: set("webhook-id", strings.Repeat("a", 256)), want: platform.ErrSignature},
		{name: "id twice", edit: func(h http.Header) { h.Add("webhook-id", "msg_2") }, want: platform.ErrSignature},
		{name: "timestamp not a number", edit: set("webhook-timestamp", "yesterday"), want: platform.ErrSignature},
		{name: "timestamp signed", edit: set("webhook-timestamp", "+"+strconv.Itoa(vectorTS)), want: platform.ErrSignature},
		{name: "timestamp negative", edit: set("webhook-timestamp", "-1"), want: platform.ErrSignature},
		{name: "timestamp fractional", edit: set("webhook-timestamp", strconv.Itoa(vectorTS)+".5"), want: platform.ErrSignature},
		{name: "timestamp in milliseconds", edit: set("webhook-timestamp", strconv.Itoa(vectorTS)+"000"), want: platform.ErrTimestamp},
		{name: "timestamp overflowing", edit: set("webhook-timestamp", "99999999999999999999"), want: platform.ErrSignature},
		{name: "signature without version", edit: set("webhook-signature", strings.TrimPrefix(vectorSig, "v1,")), want: platform.ErrSignature},
		{name: "signature not base64", edit: set("webhook-signature", "v1,"+strings.Repeat("!", 44)), want: platform.ErrSignature},
		{name: "signature empty after version", edit: set("webhook-signature", "v1,"), want: platform.ErrSignature},
		{name: "signature truncated", edit: set("webhook-signature", vectorSig[:len(vectorSig)-4]), want: platform.ErrSignature},
		{name: "signature comma separated", edit: set("webhook-signature", wrongSig+","+vectorSig), want: platform.ErrSignature},
		{name: "non-v1 prefix only", edit: set("webhook-signature", "v2,"+strings.TrimPrefix(vectorSig, "v1,")), want: platform.ErrSignature},
		{name: "asymmetric v1a entry ignored", edit: set("webhook-signature", "v1a,"+strings.Repeat("A", 86)+"== "+vectorSig)},
		{name: "malformed entries ignored beside a valid one", edit: set("webhook-signature", "v1,!!! garbage v1, "+vectorSig)},
		{name: "hand-built lower-case header map", edit: func(h http.Header) {
			for k, v := range h {
				delete(h, k)
				h[strings.ToLower(k)] = v
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			secrets := tt.secrets
			if secrets == nil {
				secrets = []string{vectorSecret}
			}
			h := vectorHeader()
			if tt.edit != nil {
				tt.edit(h)
			}
			body := tt.body
			if body == "" {
				body = vectorBody
			}
			now := tt.now
			if now.IsZero() {
				now = vectorTime
			}
			id, err := newVerifier(t, secrets...).Verify(h, []byte(body), now)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if id != vectorID {
					t.Fatalf("id = %q, want %q", id, vectorID)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify error = %v, want %v", err, tt.want)
			}
			if other := otherAuthError(tt.want); errors.Is(err, other) {
				t.Fatalf("Verify error %v wraps both %v and %v", err, tt.want, other)
			}
			if id != "" {
				t.Fatalf("id = %q on failure, want empty", id)
			}
		})
	}
}

func otherAuthError(err error) error {
	if err == platform.ErrSignature {
		return platform.ErrTimestamp
	}
	return platform.ErrSignature
}

func set(key, value string) func(http.Header) {
	return func(h http.Header) { h.Set(key, value) }
}

func del(key string) func(http.Header) {
	return func(h http.Header) { h.Del(key) }
}

func TestVerifyFreshDelivery(t *testing.T) {
	t.Parallel()
	in := newVerifier(t, otherSecret)
	now := time.Now()
	body := []byte(orderExample)
	sig, err := standardwebhooks.Sign(otherSecret, "evt_1", now.Add(-time.Minute), body)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set("webhook-id", "evt_1")
	h.Set("webhook-timestamp", strconv.FormatInt(now.Add(-time.Minute).Unix(), 10))
	h.Set("webhook-signature", sig)
	if _, err := in.Verify(h, body, now); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}

// Verify is called from every ingest goroutine at once; run it under -race.
func TestVerifyConcurrent(t *testing.T) {
	t.Parallel()
	in := newVerifier(t, otherSecret, vectorSecret)
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				h := vectorHeader()
				body := vectorBody
				if (g+i)%3 == 0 {
					body += " "
				}
				_, err := in.Verify(h, []byte(body), vectorTime)
				if (err == nil) != (body == vectorBody) {
					t.Errorf("goroutine %d, call %d: err = %v", g, i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestNewVerifierRejectsBadSecrets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		secrets []string
	}{
		{"none", nil},
		{"missing prefix", []string{"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}},
		{"wrong prefix", []string{"whsk_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}},
		{"not base64", []string{"whsec_not base64!"}},
		{"empty key", []string{"whsec_"}},
		{"second one bad", []string{vectorSecret, "whsec_%%%%"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in, err := standardwebhooks.NewVerifier(tt.secrets)
			if err == nil {
				t.Fatalf("NewVerifier(%q) = %v, want an error", tt.secrets, in)
			}
			for _, s := range tt.secrets {
				if payload := strings.TrimPrefix(s, "whsec_"); payload != "" && strings.Contains(err.Error(), payload) {
					t.Fatalf("error %q reveals the secret", err)
				}
			}
		})
	}
}

func TestNewVerifierAcceptsUnpaddedSecret(t *testing.T) {
	t.Parallel()
	// A 32-byte key takes one "=" of padding in base64; accept it without.
	unpadded := strings.TrimRight(otherSecret, "=")
	in := newVerifier(t, unpadded)
	h := vectorHeader()
	sig, _ := standardwebhooks.Sign(otherSecret, vectorID, vectorTime, []byte(vectorBody))
	h.Set("webhook-signature", sig)
	if _, err := in.Verify(h, []byte(vectorBody), vectorTime); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}

// benchVerify is a two-secret adapter verifying an order snapshot whose
// header carries one stale signature before the valid one.
func benchVerify(b *testing.B) func() error {
	in := newVerifier(b, otherSecret, vectorSecret)
	body := []byte(orderExample)
	now := time.Now()
	sig, err := standardwebhooks.Sign(vectorSecret, "msg_2Lh9KZ1a0vX4d7", now, body)
	if err != nil {
		b.Fatal(err)
	}
	h := http.Header{}
	h.Set("webhook-id", "msg_2Lh9KZ1a0vX4d7")
	h.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	h.Set("webhook-signature", "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= "+sig)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	return func() error {
		_, err := in.Verify(h, body, now)
		return err
	}
}

func BenchmarkVerify(b *testing.B) {
	verify := benchVerify(b)
	for b.Loop() {
		if err := verify(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyParallel(b *testing.B) {
	verify := benchVerify(b)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := verify(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
