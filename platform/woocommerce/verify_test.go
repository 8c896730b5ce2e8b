package woocommerce_test

import (
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/woocommerce"
)

// The signature OpenSSL computed over the docs' order (testdata/SOURCE.md)
// verifies, and the id is the webhook's id plus the body's SHA-256.
func TestVerifyOpenSSLVector(t *testing.T) {
	t.Parallel()
	sig, err := os.ReadFile("testdata/order_retrieve_727.sig")
	if err != nil {
		t.Fatal(err)
	}
	body := docOrder(t)
	if got := woocommerce.Sign(secret, body); got != string(sig) {
		t.Fatalf("Sign = %s, OpenSSL says %s", got, sig)
	}
	in := endpoints(t, nil)[platform.KindOrders]
	h := headers("order.updated")
	h.Set("X-WC-Webhook-Signature", string(sig))
	id, err := in.Verify(h, body, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "17:d06a1b6ae26dbbf3f4e95aabd10d65fc0fdddf3d3be0b88c6515903825593a8a"; id != want {
		t.Fatalf("id %s, want %s", id, want)
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	body := docOrder(t)
	other := []byte(strings.Replace(string(body), "processing", "completed", 1))
	rotated, err := woocommerce.Endpoints(platform.Settings{Secrets: []string{"old secret", secret}})
	if err != nil {
		t.Fatal(err)
	}
	in := rotated[platform.KindOrders]
	signed := func(sig, id string) http.Header {
		h := headers("order.updated")
		h.Del("X-WC-Webhook-ID")
		if sig != "" {
			h.Set("X-WC-Webhook-Signature", sig)
		}
		if id != "" {
			h.Set("X-WC-Webhook-ID", id)
		}
		return h
	}
	good := woocommerce.Sign(secret, body)
	for _, c := range []struct {
		name string
		h    http.Header
		body []byte
		ok   bool
	}{
		{"any configured secret", signed(good, "17"), body, true},
		{"the other secret", signed(woocommerce.Sign("old secret", body), "17"), body, true},
		{"no signature", signed("", "17"), body, false},
		{"another secret", signed(woocommerce.Sign("not ours", body), "17"), body, false},
		{"another body", signed(good, "17"), other, false},
		{"hex, not base64", signed(strings.Repeat("ab", 32), "17"), body, false},
		{"unpadded", signed(strings.TrimRight(good, "="), "17"), body, false},
		{"no webhook id", signed(good, ""), body, false},
		{"webhook id not a number", signed(good, "17; drop"), body, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			id, err := in.Verify(c.h, c.body, time.Time{})
			if c.ok != (err == nil) {
				t.Fatalf("err %v, want ok=%v", err, c.ok)
			}
			if err != nil && (!errors.Is(err, platform.ErrSignature) || id != "") {
				t.Fatalf("err %v (id %q): must wrap ErrSignature and give no id", err, id)
			}
		})
	}
	// Dedup: the same body under the same webhook is the same id; a changed
	// body under the same webhook is a new one.
	id1, _ := in.Verify(signed(good, "17"), body, time.Time{})
	id2, _ := in.Verify(signed(good, "17"), body, time.Time{})
	id3, _ := in.Verify(signed(woocommerce.Sign(secret, other), "17"), other, time.Time{})
	if id1 != id2 || id1 == id3 || !strings.HasPrefix(id3, "17:") {
		t.Fatalf("ids %s %s %s", id1, id2, id3)
	}
}

func TestPing(t *testing.T) {
	t.Parallel()
	body, err := os.ReadFile("testdata/ping_body.txt")
	if err != nil {
		t.Fatal(err)
	}
	p, ok := endpoints(t, nil)[platform.KindOrders].(platform.Pinger)
	if !ok {
		t.Fatal("the orders endpoint is no Pinger")
	}
	if id, ok := p.Ping(http.Header{}, body); !ok || id != "17" {
		t.Fatalf("WooCommerce's ping: %q %v", id, ok)
	}
	signed := http.Header{}
	signed.Set("X-WC-Webhook-Signature", "x")
	for name, c := range map[string]struct {
		h    http.Header
		body string
	}{
		"signed":          {signed, "webhook_id=17"},
		"another field":   {http.Header{}, "webhook_id=17&x=1"},
		"twice":           {http.Header{}, "webhook_id=17&webhook_id=18"},
		"not a number":    {http.Header{}, "webhook_id=abc"},
		"empty":           {http.Header{}, ""},
		"another field 2": {http.Header{}, "id=17"},
		"long":            {http.Header{}, "webhook_id=" + strings.Repeat("1", 100)},
		"JSON":            {http.Header{}, `{"webhook_id":17}`},
	} {
		if id, ok := p.Ping(c.h, []byte(c.body)); ok {
			t.Errorf("%s: taken as a ping (%q)", name, id)
		}
	}
}

func TestCheckSecret(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"x", secret, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "ключ с пробелами"} {
		if err := woocommerce.CheckSecret(s); err != nil {
			t.Errorf("%q: %v", s, err)
		}
	}
	for _, s := range []string{"", "tab\there", "nul\x00", "\xff\xfe", strings.Repeat("a", 1025)} {
		err := woocommerce.CheckSecret(s)
		if err == nil {
			t.Errorf("%q accepted", s)
		} else if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("error quotes the secret: %v", err)
		}
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	// api.token is not used on WooCommerce, and a config that carries one
	// (written from the general example) is accepted.
	ok := platform.Settings{Secrets: []string{secret}, API: platform.API{BaseURL: "https://shop.example", Token: "unused"},
		StorefrontSecrets: []string{"sf"}, Windows: platform.Windows{ResponseWindow: time.Hour},
		Block: platform.BlockOf(map[string]any{
			"api.consumer_key": "ck_1", "api.consumer_secret": "cs_1", "relay_secrets": []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
			"policy.status_map": map[string]string{"shipped": "shipped", "ready_2": "paid"},
		})}
	if errs := woocommerce.Check(ok); len(errs) != 0 {
		t.Fatalf("a good config: %+v", errs)
	}
	bad := ok
	bad.API = platform.API{Token: "tok"}
	bad.Windows.CancelWindow = time.Hour
	bad.Block = platform.BlockOf(map[string]any{
		"api.version": "v3", "api.consumer_secret": "cs 1", "shop": "x.myshopify.com", "relay_secrets": []string{"not-whsec"},
		"policy.restock": true, "policy.refund": "store_credit", "policy.status_map": map[string]string{
			"processing": "paid", "wc-shipped": "shipped", "Bad Status": "paid", "ready": "refunded",
		},
	})
	want := map[string]bool{
		"api.consumer_key": true, "api.consumer_secret": true, "api.version": true, "shop": true,
		"relay_secrets[0]": true, "policy.cancel_window": true, "policy.restock": true, "policy.refund": true,
		"policy.status_map.processing": true, "policy.status_map.wc-shipped": true, "policy.status_map.Bad Status": true, "policy.status_map.ready": true,
	}
	got := map[string]bool{}
	for _, fe := range woocommerce.Check(bad) {
		got[fe.Field] = true
		if strings.Contains(fe.Message, "cs 1") || strings.Contains(fe.Message, "tok") {
			t.Errorf("%s quotes a credential: %s", fe.Field, fe.Message)
		}
	}
	for f := range want {
		if !got[f] {
			t.Errorf("no problem reported on %s", f)
		}
	}
	for f := range got {
		if !want[f] {
			t.Errorf("unexpected problem on %s", f)
		}
	}
}

// /cancellations exists only with relay_secrets, and then takes Standard
// Webhooks deliveries signed with them.
func TestRelayEndpoint(t *testing.T) {
	t.Parallel()
	if _, ok := endpoints(t, nil)[platform.KindCancellations]; ok {
		t.Fatal("a /cancellations endpoint without relay_secrets")
	}
	in, err := woocommerce.Endpoints(platform.Settings{Secrets: []string{secret},
		Block: platform.BlockOf(map[string]any{"relay_secrets": []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}})})
	if err != nil || in[platform.KindCancellations] == nil {
		t.Fatalf("relay endpoint: %v", err)
	}
}
