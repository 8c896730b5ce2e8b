package standardwebhooks_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/platform"
)

// FuzzVerify feeds arbitrary headers and bodies to Verify. Beyond not
// panicking: a delivery passes only if it carries the right signature, a
// refusal wraps exactly one of ErrSignature and ErrTimestamp, and a correct
// signature added to the header is accepted whenever id and timestamp are
// well-formed and fresh.
func FuzzVerify(f *testing.F) {
	f.Add(vectorID, strconv.Itoa(vectorTS), vectorSig, []byte(vectorBody))
	f.Add(vectorID, strconv.Itoa(vectorTS+301), vectorSig, []byte(vectorBody))
	f.Add("msg 1", "1614265330", "v1a,abc v1,=== v2,x", []byte("{}"))
	f.Add("", "", "", []byte(nil))
	f.Add("msg_1", "+1614265330", "v1,"+strings.Repeat("A", 44), []byte(`{"type":"order.created","data":{}}`))

	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(vectorSecret, "whsec_"))
	if err != nil {
		f.Fatal(err)
	}
	in := newVerifier(f, vectorSecret)
	now := vectorTime

	f.Fuzz(func(t *testing.T, id, ts, sig string, body []byte) {
		h := http.Header{"Webhook-Id": {id}, "Webhook-Timestamp": {ts}, "Webhook-Signature": {sig}}
		want := signRaw(key, id, ts, body)

		got, err := in.Verify(h, body, now)
		checkAuthError(t, err)
		if err == nil {
			if got != id {
				t.Fatalf("Verify returned id %q for header %q", got, id)
			}
			if !hasEntry(sig, want) {
				t.Fatalf("Verify accepted %q, which lacks the signature %q", sig, want)
			}
		}

		// Now as a genuine sender would sign it.
		h.Set("Webhook-Signature", sig+" "+want)
		_, err = in.Verify(h, body, now)
		checkAuthError(t, err)
		if shouldPass := wellFormedID(id) && freshTimestamp(ts, now); shouldPass != (err == nil) {
			t.Fatalf("Verify(id %q, ts %q, correctly signed) = %v, want pass=%v", id, ts, err, shouldPass)
		}
	})
}

func signRaw(key []byte, id, ts string, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func hasEntry(header, entry string) bool {
	for _, e := range strings.Split(header, " ") {
		if e == entry {
			return true
		}
	}
	return false
}

func checkAuthError(t *testing.T, err error) {
	t.Helper()
	if err != nil && errors.Is(err, platform.ErrSignature) == errors.Is(err, platform.ErrTimestamp) {
		t.Fatalf("error %v wraps neither or both of ErrSignature and ErrTimestamp", err)
	}
}

// The oracle, written independently of the implementation.
func wellFormedID(id string) bool {
	if id == "" || len(id) > 255 {
		return false
	}
	for _, r := range id {
		if r < '!' || r > '~' {
			return false
		}
	}
	return true
}

func freshTimestamp(ts string, now time.Time) bool {
	if ts == "" || strings.TrimLeft(ts, "0123456789") != "" {
		return false
	}
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(ts) > 18 {
		return false
	}
	d := now.Unix() - n
	return -300 <= d && d <= 300
}
