package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"

	"github.com/cancelsync/cancelsync/config"
	"github.com/cancelsync/cancelsync/httpapi"
	"github.com/cancelsync/cancelsync/internal/autopipe"
	"github.com/cancelsync/cancelsync/internal/logthrottle"
	"github.com/cancelsync/cancelsync/internal/redisconn"
	"github.com/cancelsync/cancelsync/jobs"
	"github.com/cancelsync/cancelsync/live"
	"github.com/cancelsync/cancelsync/orderstore"
	"github.com/cancelsync/cancelsync/people/storefront"
	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/syncback"
	"github.com/cancelsync/cancelsync/tasks"
	"github.com/cancelsync/cancelsync/webhooks"
)

// outageLogEvery is the least time between two warnings or errors of the
// libraries that log every failed round trip (Asynq, go-redis): during a
// Redis outage a process writes one line per period, with a count, instead
// of a dozen a second (internal/logthrottle).
const outageLogEvery = 5 * time.Second

// connect opens the configured Redis, or starts the embedded one. The
// returned Opt makes further clients to the same Redis (asynqmon's). libLog
// gets go-redis's own lines.
func connect(cfg *config.Config, log, libLog *slog.Logger) (redisconn.Opt, redis.UniversalClient, func(), error) {
	redisconn.SetLogger(libLog)
	if cfg.Embedded() {
		mr := miniredis.NewMiniRedis()
		if err := mr.StartAddr("127.0.0.1:0"); err != nil {
			return redisconn.Opt{}, nil, nil, fmt.Errorf("start embedded redis: %w", err)
		}
		log.Warn("EMBEDDED REDIS: state and queued events live in this process's memory and are LOST when it stops; for trying cancelsync out only, set redis_url for real use",
			slog.String("addr", mr.Addr()))
		opt := redisconn.Addr(mr.Addr())
		rdb := opt.Client()
		return opt, rdb, func() { _ = rdb.Close(); mr.Close() }, nil
	}
	opt, err := redisconn.Parse(cfg.RedisURL, cfg.RedisSentinelPassword)
	if err != nil {
		return redisconn.Opt{}, nil, nil, err
	}
	rdb, closeRDB := batched(opt)
	return opt, rdb, closeRDB, nil
}

// batched is a client of opt whose concurrent commands share pipelines
// (internal/autopipe): the ingest handlers' and workers' round trips to
// Redis are most of the CPU a webhook costs.
func batched(opt redisconn.Opt) (redis.UniversalClient, func()) {
	rdb, via := opt.Client(), opt.Client()
	rdb.AddHook(autopipe.New(via))
	return rdb, func() { _ = rdb.Close(); _ = via.Close() }
}

// newQueue is a queue whose per-adapter sync attempts and timeouts come
// from the live set, so a reload changes them for the next task.
func newQueue(rdb redis.UniversalClient, cfg *config.Config, set *live.Set) *tasks.Queue {
	q := tasks.NewQueue(rdb, cfg.DedupWindow.D())
	q.SyncAttempts = set.SyncAttempts
	q.SyncTimeout = set.SyncTimeout
	return q
}

// runService runs serve (ingest and workers), api (ingest) or worker until
// ctx is cancelled, then shuts down within shutdown_timeout. On SIGHUP it
// reads the config again with load and swaps in its adapters (package
// live): every edge and worker looks adapters up per request.
func runService(ctx context.Context, mode string, cfg *config.Config, load func() (*config.Config, error), platforms platform.Registry, log *slog.Logger, stdout io.Writer) error {
	// Caught from the start: SIGHUP's default action would end the process.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	ingest, work := mode != "worker", mode != "api"
	if cfg.Embedded() && mode != "serve" {
		return fmt.Errorf("%s needs a shared Redis: set redis_url (the embedded one lives inside a single serve process)", mode)
	}
	// Libraries that log through the standard log package then write the
	// same JSON or text as everything else.
	slog.SetDefault(log)
	first, err := live.Build(cfg, platforms)
	if err != nil {
		return err
	}
	// Asynq and go-redis share one budget: one line per outage period.
	libLog := slog.New(logthrottle.New(log.Handler(), outageLogEvery))
	redisOpt, rdb, closeRedis, err := connect(cfg, log, libLog)
	if err != nil {
		return err
	}
	defer closeRedis()

	// Queue sizes are asynq_* series (asynq's names, as asynqmon's graphs
	// query them, but for two gauges asynq names like counters); the rest
	// are cancelsync_* (docs/OPERATIONS.md).
	reg := prometheus.NewRegistry()
	var ingestMetrics *webhooks.Metrics
	var workMetrics *jobs.Metrics
	if ingest {
		ingestMetrics = webhooks.NewMetrics(reg)
	}
	if work {
		workMetrics = jobs.NewMetrics(reg)
	}
	set := live.New(first, live.Options{
		Load: load, Platforms: platforms, Logger: log, Registerer: reg,
		OnReload: func(ch live.Change) {
			for _, id := range ch.Added {
				ingestMetrics.InitAdapter(id)
				workMetrics.InitAdapter(id)
			}
		},
	})
	ads := first.Adapters()
	store := orderstore.NewStore(rdb)
	if ingest && work {
		// serve: a request's task usually finds its order's snapshot
		// stored by this process's ingest a moment before (a read saved).
		store.KeepRecent(16384) // about 2.5 MB of compact documents at most
	}
	queue := newQueue(rdb, cfg, set)
	var ready httpapi.Pinger = queue
	if !cfg.Embedded() {
		ready = readiness{Queue: queue, rdb: rdb}
		go warnDurability(log, rdb)
	}
	reg.MustRegister(
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		jobs.NewQueueCollector(asynq.NewInspectorFromRedisClient(rdb)),
		jobs.NewDeadLetterCollector(syncback.NewDeadLetters(queue, store)),
	)

	announce(log, mode, cfg, redisOpt)
	// Before anything is stored: an empty store becomes compact here.
	logStoreFormat(ctx, log, rdb)
	var wg sync.WaitGroup
	errc := make(chan error, 3)
	var servers []*http.Server
	serve := func(name string, ln net.Listener, h http.Handler) {
		srv := &http.Server{
			Handler:           h,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      30 * time.Second,
			IdleTimeout:       2 * time.Minute,
		}
		servers = append(servers, srv)
		wg.Go(func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("%s: %w", name, err)
			}
		})
	}
	if cfg.MetricsListen != "" {
		ln, err := net.Listen("tcp", cfg.MetricsListen)
		if err != nil {
			return fmt.Errorf("metrics_listen %s: %w", cfg.MetricsListen, err)
		}
		log.Info("metrics listening", slog.String("url", "http://"+ln.Addr().String()+"/metrics"))
		serve("metrics", ln, httpapi.NewOpsRouter(ready, reg, log))
	}
	// A snapshot that needs no worker is stored by ingest itself
	// (jobs.Intake); everything else is queued. One Intake serves the
	// webhooks (ingest) and the reconciliation poll (work).
	intake := jobs.NewIntake(store, queue, jobs.IntakeOptions{Lookup: set.Adapter, OrderWait: cfg.OrderWait.D(), Logger: log})
	closeUI := func() error { return nil }
	if ingest {
		ln, err := net.Listen("tcp", cfg.Listen)
		if err != nil {
			return fmt.Errorf("listen %s: %w", cfg.Listen, err)
		}
		var ui http.Handler
		ui, closeUI = httpapi.NewQueuesUI(redisOpt, false)
		cons := newConsole(cfg, set, rdb, store, queue, log)
		serve("http", ln, httpapi.NewRouter(httpapi.Options{
			Webhooks: webhooks.Options{
				Adapters: ads, Lookup: set.Adapter, Enqueuer: intake, MaxBodyBytes: cfg.MaxBodyBytes, Logger: log, Metrics: ingestMetrics,
			},
			Views: orderstore.Views{Store: store, Lookup: set.Adapter}, Ready: ready, AdminToken: cfg.AdminToken, Logger: log, Gatherer: reg,
			QueuesUI: ui,
			// The people's edge: buyers' storefront endpoints
			// (docs/STOREFRONT.md) and the merchant console.
			Storefront: &storefront.Options{Adapters: set.Adapter, Orders: store, Queue: queue, Redis: rdb, Logger: log},
			Console:    cons,
		}))
		// The one line on stdout, for people and scripts; everything else
		// is a log record on stderr. It names this process, so a reload is
		// `kill -HUP <pid>` of exactly this one (README.md, "Live
		// configuration"), not whatever else on the machine is called
		// cancelsync.
		fmt.Fprintf(stdout, "cancelsync %s listening on http://%s (pid %d)\n", mode, ln.Addr(), os.Getpid())
	}
	var stopWorkers func()
	if work {
		worker := jobs.NewWorker(store, queue, jobs.WorkerOptions{
			Adapters: ads, Lookup: set.Adapter, RetryOf: set.Retry, OrderWait: cfg.OrderWait.D(), Logger: log, Metrics: workMetrics,
		})
		srv := jobs.NewServer(rdb, jobs.ServerOptions{
			Concurrency: cfg.WorkerConcurrency, ShutdownTimeout: cfg.ShutdownTimeout.D(),
			TimerResolution: cfg.TimerResolution.D(), Logger: libLog,
		})
		if err := srv.Start(worker.Handler()); err != nil {
			return fmt.Errorf("start workers: %w", err)
		}
		stopWorkers = srv.Shutdown
		stopPolling := startReconciler(ctx, store, intake, set, log, reg)
		if every := cfg.SweepEvery.D(); every > 0 {
			sweeper := syncback.NewSweeper(store, queue, syncback.SweeperOptions{
				Adapters: func() []string { return set.Current().IDs() }, Every: every, Logger: log, Registerer: reg,
			})
			sweepCtx, stopSweeping := context.WithCancel(context.WithoutCancel(ctx))
			swept := make(chan struct{})
			go func() { defer close(swept); sweeper.Run(sweepCtx) }()
			stopWorkers = func() {
				stopSweeping()
				<-swept
				srv.Shutdown()
			}
		}
		stopRest := stopWorkers
		stopWorkers = func() {
			stopPolling()
			stopRest()
		}
	}

wait:
	for {
		select {
		case <-hup:
			log.Info("SIGHUP: reading the config again", slog.String("mode", mode))
			// Refused or not, Reload has logged why and counted it.
			_, _ = set.Reload()
		case <-ctx.Done():
			log.Info("shutting down", slog.String("timeout", cfg.ShutdownTimeout.String()))
			break wait
		case err = <-errc:
			log.Error("stopping after error", slog.String("error", err.Error()))
			break wait
		}
	}
	// Ingest and workers drain side by side, each within shutdown_timeout:
	// ingest stops accepting and finishes its requests; workers finish
	// their tasks or hand them back to Redis for the next process.
	var down sync.WaitGroup
	for _, srv := range servers {
		down.Go(func() {
			sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout.D())
			defer cancel()
			if err := srv.Shutdown(sctx); err != nil {
				log.Warn("http shutdown", slog.String("error", err.Error()))
				_ = srv.Close()
			}
		})
	}
	if stopWorkers != nil {
		down.Go(stopWorkers)
	}
	down.Wait()
	wg.Wait()
	_ = closeUI()
	log.Info("stopped")
	return err
}

// announce logs what the process runs: address, Redis, adapters, workers.
// Nothing secret: the Redis URL loses its password, base URLs their
// credentials, and no token or webhook secret is named.
func announce(log *slog.Logger, mode string, cfg *config.Config, redisOpt redisconn.Opt) {
	redisMode, redisAt := "url", config.RedactURL(cfg.RedisURL)
	switch {
	case cfg.Embedded():
		redisMode, redisAt = "embedded", "in-process, not durable"
	case redisOpt.Sentinel():
		redisMode = "sentinel"
	case redisOpt.Cluster():
		redisMode = "cluster"
	}
	attrs := []any{slog.String("mode", mode), slog.Int("pid", os.Getpid()), slog.String("version", buildVersion()),
		slog.String("redis_mode", redisMode), slog.String("redis", redisAt)}
	base := baseURL(cfg.Listen)
	if mode != "worker" {
		attrs = append(attrs, slog.String("listen", cfg.Listen), slog.String("metrics_url", base+"/metrics"),
			slog.String("queues_ui", base+httpapi.QueuesUIPath))
	}
	switch {
	case cfg.MetricsListen != "":
		attrs = append(attrs, slog.String("metrics_listen", cfg.MetricsListen))
	case mode == "worker":
		attrs = append(attrs, slog.String("metrics_listen", "off: set metrics_listen to scrape this worker"))
	}
	if mode != "api" {
		attrs = append(attrs, slog.Int("worker_concurrency", cfg.WorkerConcurrency))
	}
	log.Info("cancelsync starting", attrs...)
	for _, a := range cfg.Adapters {
		attrs := []any{slog.String("id", a.ID), slog.String("platform", a.Platform)}
		if mode != "worker" {
			attrs = append(attrs,
				slog.String("orders_url", base+"/webhooks/"+a.ID+"/orders"),
				slog.String("cancellations_url", base+"/webhooks/"+a.ID+"/cancellations"))
		}
		log.Info("adapter", append(attrs, slog.String("sync_to", config.RedactURL(a.API.BaseURL)))...)
	}
}

// baseURL is how this process's listen address is reached from the same
// machine: an unspecified host (":8080", "0.0.0.0:8080") becomes
// localhost. Platforms need the public URL in front of it.
func baseURL(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "http://" + listen
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// startReconciler runs the reconciliation poll of the adapters that have
// one (docs/API.md §13) in this worker process, until the returned stop,
// which also gives back its leases.
func startReconciler(ctx context.Context, store *orderstore.Store, intake *jobs.Intake, set *live.Set, log *slog.Logger, reg prometheus.Registerer) func() {
	rec := jobs.NewReconciler(store, intake, jobs.ReconcilerOptions{
		Adapters: func() []*platform.Adapter {
			var out []*platform.Adapter
			cur := set.Current()
			for _, id := range cur.IDs() {
				if ad, ok := cur.Adapter(id); ok {
					out = append(out, ad)
				}
			}
			return out
		},
		PublicURL:  func() string { return set.Current().Config().PublicURL },
		Logger:     log,
		Registerer: reg,
	})
	pollCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() { defer close(done); rec.Run(pollCtx) }()
	return func() {
		stop()
		<-done
	}
}
