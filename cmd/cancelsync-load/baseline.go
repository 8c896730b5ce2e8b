package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"

	"github.com/cancelsync/cancelsync/platform/v1api"
)

// BaselineKey is the list baseline (b) pushes bodies onto.
const BaselineKey = "cancelsync-load:baseline"

// runBaseline serves POST /webhooks/:adapter/:kind as the least a webhook
// receiver can do, so that cancelsync's ingest can be read as a ratio:
//
//	bare:  Gin, read the body, answer 202
//	redis: Gin, read the body, check the Standard Webhooks HMAC-SHA256
//	       signature, LPUSH the body to Redis, answer 202
//
// It runs until interrupted or -lifetime passes.
func runBaseline(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("baseline", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:8090", "loopback address to serve on")
	kind := fs.String("kind", "bare", "bare or redis")
	redisURL := fs.String("redis-url", "redis://127.0.0.1:6379/0", "Redis for -kind redis (loopback only)")
	secret := fs.String("secret", exampleSecret, "whsec_ secret that signs the webhooks")
	lifetime := fs.Duration("lifetime", 30*time.Minute, "stop by itself after this long")
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if err := loopbackAddr(*listen); err != nil {
		return fmt.Errorf("-listen %w", err)
	}
	handler, closeFn, err := baselineHandler(*kind, *redisURL, *secret)
	if err != nil {
		return err
	}
	defer closeFn()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	fmt.Fprintf(stderr, "baseline %s listening on http://%s\n", *kind, ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	ctx, cancel := context.WithTimeout(ctx, *lifetime)
	defer cancel()
	select {
	case <-ctx.Done():
	case err := <-errc:
		return err
	}
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	return srv.Shutdown(sctx)
}

func baselineHandler(kind, redisURL, secret string) (http.Handler, func(), error) {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	switch kind {
	case "bare":
		r.POST("/webhooks/:adapter/:kind", func(c *gin.Context) {
			if _, err := io.ReadAll(c.Request.Body); err != nil {
				c.Status(http.StatusBadRequest)
				return
			}
			c.Data(http.StatusAccepted, "application/json", []byte(`{"status":"queued"}`))
		})
		return r, func() {}, nil
	case "redis":
		opt, err := redis.ParseURL(redisURL)
		if err != nil {
			return nil, nil, fmt.Errorf("-redis-url: %w", err)
		}
		if err := loopbackAddr(opt.Addr); err != nil {
			return nil, nil, fmt.Errorf("-redis-url %w", err)
		}
		rdb := redis.NewClient(opt)
		in, err := v1api.NewInbound([]string{secret})
		if err != nil {
			return nil, nil, fmt.Errorf("-secret: %w", err)
		}
		r.POST("/webhooks/:adapter/:kind", func(c *gin.Context) {
			body, err := io.ReadAll(c.Request.Body)
			if err != nil {
				c.Status(http.StatusBadRequest)
				return
			}
			if _, err := in.Verify(c.Request.Header, body, time.Now()); err != nil {
				c.Status(http.StatusUnauthorized)
				return
			}
			if err := rdb.LPush(c.Request.Context(), BaselineKey, body).Err(); err != nil {
				c.Status(http.StatusServiceUnavailable)
				return
			}
			c.Data(http.StatusAccepted, "application/json", []byte(`{"status":"queued"}`))
		})
		return r, func() { _ = rdb.Close() }, nil
	}
	return nil, nil, errors.New(`-kind must be "bare" or "redis"`)
}
