package console

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/cancelsync/cancelsync/internal/accesslog"
	"github.com/cancelsync/cancelsync/internal/problem"
	"github.com/cancelsync/cancelsync/orderstore/index"
	"github.com/cancelsync/cancelsync/people/merchant"
	"github.com/cancelsync/cancelsync/platform"
)

// The JSON twins of the pages (docs/API.md §10, "The JSON twins"). V1Auth
// has already resolved the caller's scope; GET /v1/adapters/{a}/orders/{id}
// is the read API's own route, under the same scope.
func (c *Console) mountAPI(r *gin.Engine) {
	logged := accesslog.Handler(c.o.Logger, "console")
	r.GET("/v1/adapters", logged, c.apiAdapters)
	a := r.Group("/v1/adapters/:adapter", logged, c.apiAdapter)
	a.GET("/cancellations", c.apiList)
	a.GET("/stats", c.apiStats)
	a.GET("/dashboard", c.apiDashboard)
	a.POST("/orders/:order_id/responses", c.apiRespond)
	a.POST("/orders/:order_id/cancellations", c.apiCancel)
	a.GET("/dead-letters", c.apiDeadLetters)
	a.POST("/dead-letters/:id/replay", c.apiReplay)
	a.POST("/connect", c.apiConnect)
}

const adapterKey = "console.adapter"

// apiAdapter resolves the path's adapter within the caller's scope: 404
// for one it does not see, whether or not it exists.
func (c *Console) apiAdapter(ctx *gin.Context) {
	ad, ok := c.adapterFor(scopeOf(ctx), ctx.Param("adapter"))
	if !ok {
		accesslog.Refuse(ctx, c.notVisible(scopeOf(ctx), ctx.Param("adapter")))
		problem.Write(ctx, http.StatusNotFound, problem.UnknownAdapter, "no adapter with this id")
		return
	}
	ctx.Set(adapterKey, ad)
	ctx.Next()
}

func adapterOf(ctx *gin.Context) *platform.Adapter {
	v, _ := ctx.Get(adapterKey)
	return v.(*platform.Adapter)
}

func (c *Console) apiAdapters(ctx *gin.Context) {
	type item struct {
		ID       string `json:"id"`
		Platform string `json:"platform"`
	}
	out := []item{}
	for _, id := range c.visible(scopeOf(ctx)) {
		if ad, ok := c.o.Adapter(id); ok {
			out = append(out, item{ad.ID, ad.Platform})
		}
	}
	ctx.JSON(http.StatusOK, gin.H{"adapters": out})
}

func (c *Console) apiFail(ctx *gin.Context, err error) {
	status, fe := errStatus(err)
	switch status {
	case 400:
		accesslog.Refuse(ctx, "invalid_parameter")
		problem.Write(ctx, http.StatusBadRequest, problem.InvalidPayload, fe.Error(),
			platform.FieldError{Field: fe.Field, Message: fe.Message})
	case 404:
		accesslog.Refuse(ctx, "not_found")
		problem.Write(ctx, http.StatusNotFound, problem.NotFound, "not found")
	case 422:
		problem.Write(ctx, http.StatusUnprocessableEntity, problem.KeyReused, problem.KeyReusedDetail)
	default:
		c.storeDown(ctx, err)
		problem.Write(ctx, http.StatusServiceUnavailable, problem.Unavailable, "store unavailable")
	}
}

// listFilter reads the list's query parameters.
func (c *Console) listFilter(ctx *gin.Context) (index.ListFilter, error) {
	f := index.ListFilter{State: ctx.Query("state"), Reason: ctx.Query("reason"), Initiator: ctx.Query("initiator"), Cursor: ctx.Query("cursor")}
	if f.State != "" && !slices.Contains(platform.States, platform.State(f.State)) {
		return f, &merchant.FieldError{Field: "state", Message: "not a known state"}
	}
	if f.Reason != "" && !slices.Contains(platform.Reasons, f.Reason) {
		return f, &merchant.FieldError{Field: "reason", Message: "not a known reason"}
	}
	if f.Initiator != "" && f.Initiator != "buyer" && f.Initiator != "seller" && f.Initiator != "merchant" {
		return f, &merchant.FieldError{Field: "initiator", Message: `one of "buyer", "seller", "merchant"`}
	}
	for _, p := range []struct {
		name string
		to   *index.ListFilter
	}{{"since", &f}, {"until", &f}} {
		v := ctx.Query(p.name)
		if v == "" {
			continue
		}
		t, err := merchant.ParseTime(v)
		if err != nil {
			return f, &merchant.FieldError{Field: p.name, Message: "RFC 3339 time or YYYY-MM-DD"}
		}
		if p.name == "since" {
			f.Since = t
		} else {
			f.Until = t
		}
	}
	if l := ctx.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 200 {
			return f, &merchant.FieldError{Field: "limit", Message: "1 to 200"}
		}
		f.Limit = n
	}
	return f, nil
}

func (c *Console) apiList(ctx *gin.Context) {
	f, err := c.listFilter(ctx)
	if err != nil {
		c.apiFail(ctx, err)
		return
	}
	page, err := c.o.Indexes.List(ctx.Request.Context(), adapterOf(ctx).ID, f)
	if errors.Is(err, index.ErrBadCursor) {
		err = &merchant.FieldError{Field: "cursor", Message: "not a cursor this list handed out"}
	}
	if err != nil {
		c.apiFail(ctx, err)
		return
	}
	ctx.JSON(http.StatusOK, page)
}

func (c *Console) apiStats(ctx *gin.Context) {
	p, err := merchant.ParsePeriod(c.o.Now(), ctx.Query("since"), ctx.Query("until"), ctx.Query("days"))
	if err != nil {
		c.apiFail(ctx, err)
		return
	}
	st, err := c.o.Indexes.Stats(ctx.Request.Context(), adapterOf(ctx).ID, p.Since, p.Until)
	if err != nil {
		c.apiFail(ctx, err)
		return
	}
	ctx.JSON(http.StatusOK, st)
}

func (c *Console) apiDashboard(ctx *gin.Context) {
	p, err := merchant.ParsePeriod(c.o.Now(), ctx.Query("since"), ctx.Query("until"), ctx.Query("days"))
	if err != nil {
		c.apiFail(ctx, err)
		return
	}
	d, err := c.m.Dashboard(ctx.Request.Context(), adapterOf(ctx), p)
	if err != nil {
		c.apiFail(ctx, err)
		return
	}
	ctx.JSON(http.StatusOK, d)
}

// readJSON decodes a small JSON body, one object and nothing else, into
// v. The object check is explicit: encoding/json decodes null into a
// struct as a no-op, and the schema (docs/openapi.yaml) says object.
func readJSON(ctx *gin.Context, v any) error {
	bad := &merchant.FieldError{Field: "body", Message: "a JSON object with the documented fields"}
	raw, err := io.ReadAll(http.MaxBytesReader(ctx.Writer, ctx.Request.Body, 16<<10))
	if err != nil {
		return bad
	}
	if t := bytes.TrimLeft(raw, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return bad
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return bad
	}
	if _, err := dec.Token(); err != io.EOF {
		return bad
	}
	return nil
}

func (c *Console) apiRespond(ctx *gin.Context) {
	var body struct {
		RequestID string `json:"request_id"`
		Decision  string `json:"decision"`
	}
	if err := readJSON(ctx, &body); err != nil {
		c.apiFail(ctx, err)
		return
	}
	q, err := c.m.Respond(ctx.Request.Context(), adapterOf(ctx), ctx.Param("order_id"), body.RequestID, body.Decision, ctx.GetHeader("Idempotency-Key"))
	c.apiQueued(ctx, q, err)
}

func (c *Console) apiCancel(ctx *gin.Context) {
	var body struct {
		Reason   string                 `json:"reason"`
		Comments string                 `json:"comments"`
		Lines    []platform.LineRequest `json:"lines"`
	}
	if err := readJSON(ctx, &body); err != nil {
		c.apiFail(ctx, err)
		return
	}
	if body.Reason == "" {
		body.Reason = "other"
	}
	q, err := c.m.Cancel(ctx.Request.Context(), adapterOf(ctx), ctx.Param("order_id"), body.Reason, body.Comments, body.Lines, ctx.GetHeader("Idempotency-Key"))
	c.apiQueued(ctx, q, err)
}

func (c *Console) apiQueued(ctx *gin.Context, q merchant.Queued, err error) {
	if err != nil {
		c.apiFail(ctx, err)
		return
	}
	status := http.StatusAccepted
	if q.Status == "duplicate" {
		status = http.StatusOK
	}
	ctx.JSON(status, q)
}

func (c *Console) apiDeadLetters(ctx *gin.Context) {
	ls, err := c.o.DeadLetters.ListAdapter(ctx.Request.Context(), adapterOf(ctx).ID)
	if err != nil {
		c.apiFail(ctx, err)
		return
	}
	ctx.JSON(http.StatusOK, gin.H{"items": ls})
}

func (c *Console) apiReplay(ctx *gin.Context) {
	l, err := c.m.Replay(ctx.Request.Context(), adapterOf(ctx), ctx.Param("id"))
	if err != nil {
		c.apiFail(ctx, err)
		return
	}
	ctx.JSON(http.StatusOK, gin.H{"status": "replayed", "dead_letter": l})
}
