package platform

import (
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"strings"
	"testing"
)

// TestRedactorHidesEveryForm: each form a request or an echo of it can
// carry a credential in is hidden, for a Basic pair and for each secret
// alone, and nothing of the secret is left to decode.
func TestRedactorHidesEveryForm(t *testing.T) {
	t.Parallel()
	api := API{Token: "shpat_0123456789", BaseURL: "https://user:p%40ss@shop.example/"}
	// A Basic auth key and secret, as WooCommerce's REST API takes them.
	consumerKey, consumerSecret := "ck_abc", "cs_s3cr+t/?&=% x~"
	r := NewRedactor(append(api.Credentials(), BasicCredentials(consumerKey, consumerSecret)...)...)
	pair := consumerKey + ":" + consumerSecret
	var forms []string
	for _, s := range []string{pair, consumerKey, consumerSecret, api.Token, "p@ss", "user:p@ss"} {
		b := []byte(s)
		forms = append(forms, s,
			base64.StdEncoding.EncodeToString(b), base64.URLEncoding.EncodeToString(b),
			base64.RawStdEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b),
			hex.EncodeToString(b), strings.ToUpper(hex.EncodeToString(b)),
			url.QueryEscape(s), url.PathEscape(s), strings.ToLower(url.QueryEscape(s)))
	}
	forms = append(forms, "Basic "+base64.StdEncoding.EncodeToString([]byte(pair)))
	for _, f := range forms {
		msg := "HTTP 400: echo <" + f + "> end"
		got := r.Redact(msg)
		if !strings.Contains(got, Redacted) || !strings.HasPrefix(got, "HTTP 400: echo <") || !strings.HasSuffix(got, "> end") {
			t.Errorf("%q → %q", msg, got)
		}
		for _, s := range []string{consumerSecret, api.Token, "p@ss", base64.StdEncoding.EncodeToString([]byte(pair))} {
			if strings.Contains(got, s) {
				t.Errorf("%q → %q still shows a secret", msg, got)
			}
		}
		// What is left decodes to nothing of the secret.
		rest := strings.TrimSuffix(strings.TrimPrefix(got, "HTTP 400: echo <"), "> end")
		rest = strings.ReplaceAll(rest, Redacted, "")
		if len(rest) >= 4 {
			if dec, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(rest, "=")); err == nil && strings.Contains(string(dec), "cs_") {
				t.Errorf("%q → %q: the rest decodes to %q", msg, got, dec)
			}
		}
	}
	if got := r.Redact("HTTP 503: Service Unavailable"); got != "HTTP 503: Service Unavailable" {
		t.Errorf("a message without secrets changed: %q", got)
	}
	if got := (Redactor{}).Redact("ck_abc"); got != "ck_abc" {
		t.Errorf("the zero Redactor changed %q", got)
	}
}

func TestRedactorDropCut(t *testing.T) {
	t.Parallel()
	r := NewRedactor("s3cret-token")
	if got := r.DropCut("HTTP 400: token s3cr"); got != "HTTP 400: token " {
		t.Errorf("got %q", got)
	}
	if got := r.DropCut("HTTP 400: nothing"); got != "HTTP 400: nothing" {
		t.Errorf("got %q", got)
	}
	if r.Longest() < len("s3cret-token") {
		t.Errorf("Longest %d", r.Longest())
	}
}
