package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// runStorefront measures the buyers' "may I cancel?" (GET
// /storefront/{adapter}/orders/{id}/cancellation): it stores -orders
// snapshots of buyer b-17, then asks about them at -rate requests/s with a
// buyer token signed with -storefront-key, and reports the latencies.
func runStorefront(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("storefront", flag.ContinueOnError)
	var f loadFlags
	f.register(fs, 0)
	key := fs.String("storefront-key", "", "one of the adapter's storefront_secrets (HS256 key of buyer tokens)")
	orders := fs.Int("orders", 1000, "orders to store first and ask about in turn")
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil || *key == "" || *orders < 1 {
		return errUsage
	}
	if f.duration <= 0 && f.count <= 0 {
		f.duration = 10 * time.Second
	}
	if err := f.check(); err != nil {
		return err
	}
	client := newClient(f.connections, f.timeout)
	s := &sender{client: client, base: f.url, adapter: f.adapter, secret: f.secret}
	placed := time.Now().Add(-time.Minute)
	ids := make([]string, *orders)
	for i := range ids {
		ids[i] = "S" + f.runID + "-" + strconv.Itoa(i)
		if status, err := s.post(ctx, "orders", "w"+ids[i], snapshotBody(ids[i], placed)); err != nil || status != http.StatusAccepted {
			return fmt.Errorf("store order %s: status %d, %v", ids[i], status, err)
		}
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": "b-17", "exp": time.Now().Add(time.Hour).Unix(),
	}).SignedString([]byte(*key))
	if err != nil {
		return err
	}
	ask := func(ctx context.Context, orderID string) (int, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.url+"/storefront/"+f.adapter+"/orders/"+orderID+"/cancellation", nil)
		if err != nil {
			return 0, err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		return resp.StatusCode, nil
	}
	// The workers store the snapshots asynchronously: wait for the last.
	for deadline := time.Now().Add(time.Minute); ; {
		if status, _ := ask(ctx, ids[len(ids)-1]); status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("the stored orders never became visible on the storefront")
		}
		time.Sleep(50 * time.Millisecond)
	}
	job := func(ctx context.Context, _, i int, due time.Time, r *recorder) {
		status, err := ask(ctx, ids[i%len(ids)])
		r.add(time.Since(due), status, err)
	}
	measure(ctx, &f, "storefront", job, stdout, stderr)
	return ctx.Err()
}
