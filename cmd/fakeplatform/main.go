// Command fakeplatform is a stand-in platform API for trying cancelsync out:
// it answers every PUT /orders/{id}/cancellation with 200 (or the status
// given by -status) and prints what it received, one JSON line per call.
// It also plays Shopify's Admin GraphQL API: every POST
// /admin/api/{version}/graphql.json gets the answer -shopify names (an
// orderCancel job by default), printed the same way.
// And it plays a WooCommerce store's REST API under /wp-json/wc/v3/ (the
// fake of platform/woocommerce/wootest), with Basic auth from
// -wc-consumer-key and -wc-consumer-secret.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/cancelsync/cancelsync/platform/shopify/shopifytest"
	"github.com/cancelsync/cancelsync/platform/woocommerce/wootest"
)

// shopifyAnswers are the -shopify choices.
var shopifyAnswers = map[string]shopifytest.Answer{
	"job":                      shopifytest.JobAnswer,
	"already-canceled":         shopifytest.AlreadyCancelledAnswer,
	"outstanding-fulfillments": shopifytest.OutstandingFulfillmentsAnswer,
	"throttled":                shopifytest.ThrottledAnswer,
}

func main() {
	listen := flag.String("listen", "127.0.0.1:9090", "address to listen on")
	status := flag.Int("status", http.StatusOK, "status to answer every sync with")
	shopifyAnswer := flag.String("shopify", "job", "answer to every orderCancel: job, already-canceled, outstanding-fulfillments or throttled")
	wcKey := flag.String("wc-consumer-key", "ck_fake", "WooCommerce REST API consumer key to accept")
	wcSecret := flag.String("wc-consumer-secret", "cs_fake", "WooCommerce REST API consumer secret to accept")
	flag.Parse()
	answer, ok := shopifyAnswers[*shopifyAnswer]
	if !ok {
		fmt.Fprintf(os.Stderr, "fakeplatform: unknown -shopify %q\n", *shopifyAnswer)
		os.Exit(2)
	}
	enc := json.NewEncoder(os.Stdout)
	woo := wootest.NewHandler(*wcKey, *wcSecret)
	woo.OnCall = func(c wootest.Call) {
		_ = enc.Encode(map[string]any{
			"at": time.Now().UTC().Format(time.RFC3339Nano), "woocommerce": c.Method + " " + c.Path,
			"auth_ok": c.AuthOK, "answered": c.Status, "body": c.Body,
		})
	}
	http.Handle("/wp-json/wc/v3/", woo)
	http.HandleFunc("PUT /orders/{order_id}/cancellation", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		_ = enc.Encode(map[string]any{
			"at": time.Now().UTC().Format(time.RFC3339Nano), "order_id": r.PathValue("order_id"),
			"idempotency_key": r.Header.Get("Idempotency-Key"), "answered": *status, "body": json.RawMessage(body),
		})
		w.WriteHeader(*status)
	})
	shop := shopifytest.NewHandler()
	shop.Default = answer
	shop.OnCall = func(c shopifytest.Call, a shopifytest.Answer) {
		_ = enc.Encode(map[string]any{
			"at": time.Now().UTC().Format(time.RFC3339Nano), "shopify": c.Path,
			"variables": c.Variables, "answered": json.RawMessage(a.Body),
		})
	}
	http.Handle("POST /admin/api/", shop)
	fmt.Fprintf(os.Stderr, "fakeplatform listening on http://%s, answering %d (Shopify: %s)\n", *listen, *status, *shopifyAnswer)
	log.Fatal(http.ListenAndServe(*listen, nil))
}
