package httpapi

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/cancelsync/cancelsync/internal/problem"
	"github.com/cancelsync/cancelsync/platform"
)

// notFound answers a route that does not exist. A near miss of a webhook
// URL of a configured adapter (/webhooks/demo-posh/order, a trailing slash,
// no endpoint at all) names the adapter's real endpoints in the detail, so
// a sender's typo is fixed from the answer alone. Nothing the client sent
// is echoed: only a configured adapter id, and only when it is one.
func notFound(lookup func(string) (*platform.Adapter, bool)) gin.HandlerFunc {
	return func(c *gin.Context) {
		detail := "no such route"
		if id, ok := webhookAdapter(c.Request.URL.Path); ok {
			if a, known := lookup(id); known {
				detail += "; this adapter's webhooks go to " + strings.Join(endpointsOf(a), " or ")
			} else {
				detail += "; webhooks go to /webhooks/{adapter}/orders or /webhooks/{adapter}/cancellations of a configured adapter"
			}
		}
		problem.Write(c, http.StatusNotFound, problem.NotFound, detail)
	}
}

// webhookAdapter returns the adapter segment of a path under /webhooks/.
func webhookAdapter(path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, "/webhooks/")
	if !ok {
		return "", false
	}
	id, _, _ := strings.Cut(rest, "/")
	return id, id != ""
}

// endpointsOf lists the POST paths adapter a takes, orders first.
func endpointsOf(a *platform.Adapter) []string {
	var paths []string
	for _, k := range []platform.Kind{platform.KindOrders, platform.KindCancellations} {
		if _, ok := a.Inbound[k]; ok {
			paths = append(paths, "POST /webhooks/"+a.ID+"/"+string(k))
		}
	}
	return paths
}
