package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"

	"github.com/cancelsync/cancelsync/adapters"
	"github.com/cancelsync/cancelsync/config"
	"github.com/cancelsync/cancelsync/jobs"
	"github.com/cancelsync/cancelsync/webhooks"
)

// connect opens the configured Redis, or starts the embedded one.
func connect(cfg *config.Config, log *slog.Logger) (redis.UniversalClient, func(), error) {
	if cfg.Embedded() {
		mr := miniredis.NewMiniRedis()
		if err := mr.StartAddr("127.0.0.1:0"); err != nil {
			return nil, nil, fmt.Errorf("start embedded redis: %w", err)
		}
		log.Warn("EMBEDDED REDIS: state and queued events live in this process's memory and are LOST when it stops; for trying cancelsync out only, set redis_url for real use",
			slog.String("addr", mr.Addr()))
		rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
		return rdb, func() { _ = rdb.Close(); mr.Close() }, nil
	}
	opt, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return nil, nil, fmt.Errorf("redis_url: %w", err)
	}
	rdb := redis.NewClient(opt)
	return rdb, func() { _ = rdb.Close() }, nil
}

// buildAdapters configures every adapter of the config.
func buildAdapters(cfg *config.Config, platforms adapters.Registry) (map[string]*adapters.Adapter, map[string]jobs.Retry, error) {
	ads := make(map[string]*adapters.Adapter, len(cfg.Adapters))
	retries := make(map[string]jobs.Retry, len(cfg.Adapters))
	for _, a := range cfg.Adapters {
		p, ok := platforms[a.Platform]
		if !ok {
			return nil, nil, fmt.Errorf("adapter %s: unknown platform %q", a.ID, a.Platform)
		}
		ad, err := p.New(adapters.Settings{
			ID: a.ID, Secrets: a.Secrets,
			API:     adapters.API{BaseURL: a.API.BaseURL, Token: a.API.Token, Timeout: a.API.Timeout.D()},
			Windows: adapters.Windows{CancelWindow: a.Policy.CancelWindow.D(), ResponseWindow: a.Policy.ResponseWindow.D()},
		})
		if err != nil {
			return nil, nil, err
		}
		ads[a.ID] = ad
		retries[a.ID] = jobs.Retry{MaxAttempts: a.Retry.MaxAttempts, BaseDelay: a.Retry.BaseDelay.D(), MaxDelay: a.Retry.MaxDelay.D()}
	}
	return ads, retries, nil
}

func newQueue(rdb redis.UniversalClient, cfg *config.Config, retries map[string]jobs.Retry) *jobs.Queue {
	q := jobs.NewQueue(rdb, cfg.DedupWindow.D())
	timeouts := make(map[string]time.Duration, len(cfg.Adapters))
	for _, a := range cfg.Adapters {
		timeouts[a.ID] = a.API.Timeout.D()
	}
	q.SyncAttempts = func(id string) int { return retries[id].MaxAttempts }
	q.SyncTimeout = func(id string) time.Duration { return timeouts[id] }
	return q
}

// runService runs serve (ingest and workers), api (ingest) or worker until
// ctx is cancelled, then shuts down within shutdown_timeout.
func runService(ctx context.Context, mode string, cfg *config.Config, platforms adapters.Registry, log *slog.Logger, stdout io.Writer) error {
	ingest, work := mode != "worker", mode != "api"
	if cfg.Embedded() && mode != "serve" {
		return fmt.Errorf("%s needs a shared Redis: set redis_url (the embedded one lives inside a single serve process)", mode)
	}
	ads, retries, err := buildAdapters(cfg, platforms)
	if err != nil {
		return err
	}
	rdb, closeRedis, err := connect(cfg, log)
	if err != nil {
		return err
	}
	defer closeRedis()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	store := jobs.NewStore(rdb)
	queue := newQueue(rdb, cfg, retries)
	reg.MustRegister(jobs.NewQueueCollector(jobs.NewDeadLetters(queue, store)))

	announce(log, mode, cfg, ads)
	var wg sync.WaitGroup
	errc := make(chan error, 2)
	var httpSrv *http.Server
	if ingest {
		ln, err := net.Listen("tcp", cfg.Listen)
		if err != nil {
			return fmt.Errorf("listen %s: %w", cfg.Listen, err)
		}
		httpSrv = &http.Server{
			Handler: webhooks.NewRouter(webhooks.Options{
				Adapters: ads, Enqueuer: queue, Views: jobs.Views{Store: store, Adapters: ads}, Ready: queue,
				AdminToken: cfg.AdminToken, MaxBodyBytes: cfg.MaxBodyBytes, Logger: log,
				Metrics: webhooks.NewMetrics(reg), Gatherer: reg,
			}),
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      30 * time.Second,
			IdleTimeout:       2 * time.Minute,
		}
		fmt.Fprintf(stdout, "cancelsync %s listening on http://%s\n", mode, ln.Addr())
		wg.Go(func() {
			if err := httpSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("http: %w", err)
			}
		})
	}
	var stopWorkers func()
	if work {
		worker := jobs.NewWorker(store, queue, jobs.WorkerOptions{
			Adapters: ads, Retries: retries, OrderWait: cfg.OrderWait.D(), Logger: log, Metrics: jobs.NewMetrics(reg),
		})
		srv := jobs.NewServer(rdb, jobs.ServerOptions{
			Concurrency: cfg.WorkerConcurrency, ShutdownTimeout: cfg.ShutdownTimeout.D(),
			TimerResolution: cfg.TimerResolution.D(), Retries: retries, Logger: log,
		})
		if err := srv.Start(worker.Handler()); err != nil {
			return fmt.Errorf("start workers: %w", err)
		}
		stopWorkers = srv.Shutdown
	}

	select {
	case <-ctx.Done():
		log.Info("shutting down", slog.Duration("timeout", cfg.ShutdownTimeout.D()))
	case err = <-errc:
		log.Error("stopping after error", slog.String("error", err.Error()))
	}
	// Ingest and workers drain side by side, each within shutdown_timeout:
	// ingest stops accepting and finishes its requests; workers finish
	// their tasks or hand them back to Redis for the next process.
	var down sync.WaitGroup
	if httpSrv != nil {
		down.Go(func() {
			sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout.D())
			defer cancel()
			if err := httpSrv.Shutdown(sctx); err != nil {
				log.Warn("http shutdown", slog.String("error", err.Error()))
				_ = httpSrv.Close()
			}
		})
	}
	if stopWorkers != nil {
		down.Go(stopWorkers)
	}
	down.Wait()
	wg.Wait()
	log.Info("stopped")
	return err
}

// announce logs what the process runs: address, Redis, adapters, workers.
func announce(log *slog.Logger, mode string, cfg *config.Config, ads map[string]*adapters.Adapter) {
	redisMode := "embedded (in-process, not durable)"
	if !cfg.Embedded() {
		redisMode = config.RedactURL(cfg.RedisURL)
	}
	attrs := []any{slog.String("mode", mode), slog.String("version", buildVersion()), slog.String("redis", redisMode)}
	if mode != "worker" {
		attrs = append(attrs, slog.String("listen", cfg.Listen))
	}
	if mode != "api" {
		attrs = append(attrs, slog.Int("worker_concurrency", cfg.WorkerConcurrency))
	}
	log.Info("cancelsync starting", attrs...)
	for _, a := range cfg.Adapters {
		log.Info("adapter", slog.String("id", a.ID), slog.String("platform", a.Platform),
			slog.String("orders_url", "http://"+cfg.Listen+"/webhooks/"+a.ID+"/orders"),
			slog.String("cancellations_url", "http://"+cfg.Listen+"/webhooks/"+a.ID+"/cancellations"),
			slog.String("sync_to", config.RedactURL(a.API.BaseURL)))
	}
	_ = ads
}
