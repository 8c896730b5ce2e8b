package storefront

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/gin-gonic/gin"
	"github.com/golang-jwt/jwt/v5"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/cancelsync/cancelsync/internal/redistest"
	"github.com/cancelsync/cancelsync/jobs"
	"github.com/cancelsync/cancelsync/orderstore"
	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/registry"
	"github.com/cancelsync/cancelsync/tasks"
)

const (
	keyA     = "storefront-key-a-0123456789abcdef"
	keyB     = "storefront-key-b-0123456789abcdef"
	shopKey  = "shopify-app-secret-0123456789abcd"
	shopName = "t-store.myshopify.com"
)

// rig is the storefront on a real Redis (redistest) or miniredis, with the
// real jobs store, queue and worker; the worker's handler is called
// directly, so a test applies deliveries when it says so.
type rig struct {
	rdb      redis.UniversalClient
	mr       *miniredis.Miniredis
	rs       *redistest.Server
	store    *orderstore.Store
	queue    *tasks.Queue
	worker   *jobs.Worker
	adapters map[string]*platform.Adapter
	router   *gin.Engine
	now      time.Time
	logs     *lockedBuffer // the storefront's log lines, JSON
}

// lockedBuffer is a log sink safe for concurrent requests.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type rigOpts struct {
	real bool
}

func newRig(t testing.TB, o rigOpts) *rig {
	t.Helper()
	r := &rig{adapters: map[string]*platform.Adapter{}, now: time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC), logs: &lockedBuffer{}}
	if o.real {
		r.rs = redistest.Start(t, redistest.Options{})
		r.rdb = r.rs.Client()
	} else {
		r.mr = miniredis.RunT(t)
		r.rdb = redis.NewClient(&redis.Options{Addr: r.mr.Addr(), MaxRetries: -1})
		t.Cleanup(func() { _ = r.rdb.Close() })
	}
	reg := registry.Default()
	add := func(id, plat string, s platform.Settings) {
		s.ID = id
		if s.Secrets == nil {
			s.Secrets = []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
		}
		s.API = platform.API{BaseURL: "http://127.0.0.1:9", Token: "tok", Timeout: time.Second}
		ad, err := reg[plat].New(s)
		if err != nil {
			t.Fatal(err)
		}
		r.adapters[id] = ad
	}
	add("self", "selfservice", platform.Settings{StorefrontSecrets: []string{keyA, keyB}})
	add("posh", "poshmark", platform.Settings{StorefrontSecrets: []string{keyA}})
	add("ali", "aliexpress", platform.Settings{StorefrontSecrets: []string{keyA}})
	add("nokeys", "selfservice", platform.Settings{})
	// A Shopify store as the people's edge sees it (its platform puts the
	// app secrets in StorefrontSecrets); it decides by the self-service
	// rule here, since this test is about its tokens.
	shop := *r.adapters["self"]
	shop.ID, shop.Platform, shop.StorefrontSecrets = "shop", "shopify", []string{shopKey}
	shop.BuyerClaims = reg["shopify"].NewBuyerClaims(platform.Settings{Block: platform.BlockOf(map[string]any{"shop": shopName})})
	r.adapters["shop"] = &shop

	r.store = orderstore.NewStore(r.rdb)
	r.queue = tasks.NewQueue(r.rdb, time.Hour)
	r.worker = jobs.NewWorker(r.store, r.queue, jobs.WorkerOptions{Adapters: r.adapters, OrderWait: time.Minute, QueueSyncs: true, Logger: slog.New(slog.DiscardHandler),
		Now: func() time.Time { return r.now }})
	gin.SetMode(gin.ReleaseMode)
	r.router = r.mount(t)
	return r
}

// mount is one api process's router on the rig's Redis.
func (r *rig) mount(t testing.TB) *gin.Engine {
	e := gin.New()
	Mount(e, Options{
		Adapters: func(id string) (*platform.Adapter, bool) { a, ok := r.adapters[id]; return a, ok },
		Orders:   r.store, Queue: r.queue, Redis: r.rdb, Timeout: 2 * time.Second,
		Now:    func() time.Time { return r.now },
		Logger: slog.New(slog.NewJSONHandler(r.logs, nil)),
	})
	return e
}

// apply runs a delivery through the workers' handler, as a task would.
func (r *rig) apply(t testing.TB, d tasks.Delivery) {
	t.Helper()
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.worker.Handler().ProcessTask(context.Background(), asynq.NewTask(tasks.TypeEvent, b)); err != nil {
		t.Fatal(err)
	}
}

var seq int

func (r *rig) order(t testing.TB, adapterID, orderID, buyerID string, status platform.OrderStatus, placed time.Time) {
	t.Helper()
	seq++
	r.apply(t, tasks.Delivery{AdapterID: adapterID, WebhookID: "snap-" + orderID + "-" + string(status) + "-" + time.Now().Format("150405.000000000"),
		ReceivedAt: r.now, Event: platform.Event{Type: platform.OrderUpdated, Order: &platform.Order{
			ID: orderID, Status: status, PlacedAt: placed, UpdatedAt: placed.Add(time.Duration(seq) * time.Second), BuyerID: buyerID, SellerID: "s-1",
			Total: platform.Money{Amount: "42.50", Currency: "USD"},
		}}})
}

// pending is the event tasks queued and not yet run.
func (r *rig) pending(t testing.TB) []tasks.Delivery {
	t.Helper()
	ins := asynq.NewInspectorFromRedisClient(r.rdb)
	listed, err := ins.ListPendingTasks(tasks.QueueEvents)
	if err != nil && !strings.Contains(err.Error(), "not found") {
		t.Fatal(err)
	}
	var out []tasks.Delivery
	for _, ti := range listed {
		var d tasks.Delivery
		if err := json.Unmarshal(ti.Payload, &d); err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

// runPending applies every queued event task, as the workers would.
func (r *rig) runPending(t testing.TB) {
	t.Helper()
	ins := asynq.NewInspectorFromRedisClient(r.rdb)
	for _, d := range r.pending(t) {
		r.apply(t, d)
	}
	if _, err := ins.DeleteAllPendingTasks(tasks.QueueEvents); err != nil {
		t.Fatal(err)
	}
}

func token(t testing.TB, key string, c jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// buyerToken is a merchant-minted token for buyer, valid for 10 minutes.
func (r *rig) buyerToken(t testing.TB, buyer string) string {
	return token(t, keyA, jwt.MapClaims{"sub": buyer, "exp": r.now.Add(10 * time.Minute).Unix(), "iat": r.now.Unix()})
}

type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (r *rig) do(t testing.TB, h http.Handler, method, path, tok string, body string, hdr map[string]string) answer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	a := answer{status: w.Code, header: w.Header(), raw: w.Body.String()}
	if w.Body.Len() > 0 {
		_ = json.Unmarshal(bytes.Clone(w.Body.Bytes()), &a.body)
	}
	return a
}

func path(adapterID, orderID string) string {
	return "/storefront/" + adapterID + "/orders/" + orderID + "/cancellation"
}
