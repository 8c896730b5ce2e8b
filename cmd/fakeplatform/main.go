// Command fakeplatform is a stand-in platform API for trying cancelsync out:
// it answers every PUT /orders/{id}/cancellation with 200 (or the status
// given by -status) and prints what it received, one JSON line per call.
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
)

func main() {
	listen := flag.String("listen", "127.0.0.1:9090", "address to listen on")
	status := flag.Int("status", http.StatusOK, "status to answer every sync with")
	flag.Parse()
	enc := json.NewEncoder(os.Stdout)
	http.HandleFunc("PUT /orders/{order_id}/cancellation", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		_ = enc.Encode(map[string]any{
			"at": time.Now().UTC().Format(time.RFC3339Nano), "order_id": r.PathValue("order_id"),
			"idempotency_key": r.Header.Get("Idempotency-Key"), "answered": *status, "body": json.RawMessage(body),
		})
		w.WriteHeader(*status)
	})
	fmt.Fprintf(os.Stderr, "fakeplatform listening on http://%s, answering %d\n", *listen, *status)
	log.Fatal(http.ListenAndServe(*listen, nil))
}
