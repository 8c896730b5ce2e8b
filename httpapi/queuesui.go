package httpapi

import (
	"net/http"

	"github.com/hibiken/asynq"
	"github.com/hibiken/asynqmon"
)

// QueuesUIPath is where asynqmon's web UI and its JSON API are mounted.
const QueuesUIPath = "/admin/queues"

// NewQueuesUI returns asynqmon, Asynq's web UI, for Options.QueuesUI
// (served at QueuesUIPath, behind the admin token like everything under
// /admin), and a close func that releases its Redis connections. conn is
// how asynqmon reaches the Redis the queues live in; it makes its own
// clients from it. readOnly hides every button that changes a task or a
// queue.
func NewQueuesUI(conn asynq.RedisConnOpt, readOnly bool) (ui http.Handler, close func() error) {
	h := asynqmon.New(asynqmon.Options{RootPath: QueuesUIPath, RedisConnOpt: conn, ReadOnly: readOnly})
	return h, h.Close
}

// noStore keeps browsers and proxies from caching what the admin token
// guards.
func noStore(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}
