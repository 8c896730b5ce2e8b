package console

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/cancelsync/cancelsync/internal/accesslog"
	"github.com/cancelsync/cancelsync/internal/problem"
	"github.com/cancelsync/cancelsync/order"
	"github.com/cancelsync/cancelsync/orderstore"
	"github.com/cancelsync/cancelsync/orderstore/index"
	"github.com/cancelsync/cancelsync/people/merchant"
	"github.com/cancelsync/cancelsync/platform"
)

//go:embed templates/*.html
var templateFS embed.FS

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"time": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			return v.UTC().Format("2006-01-02 15:04 UTC")
		case *time.Time:
			if v == nil {
				return "—"
			}
			return v.UTC().Format("2006-01-02 15:04 UTC")
		}
		return ""
	},
	"pct":   func(f float64) string { return fmt.Sprintf("%.1f %%", f*100) },
	"deref": rawString,
	// word is a value in words, in a span that keeps the raw value;
	// words is the bare words, for option labels.
	"word":  wordHTML,
	"words": word,
	"orderURL": func(adapterID, orderID string) string {
		return "/console/adapters/" + url.PathEscape(adapterID) + "/orders/" + url.PathEscape(orderID)
	},
	"pathEscape":    url.PathEscape,
	"connectWords":  connectWords,
	"platformName":  platformName,
	"publicURLHelp": func() string { return publicURLHelp },
	"boundaryOf": func(adapterID, csrf, platform string, b *merchant.Boundary) any {
		return struct {
			Adapter, CSRF, Platform string
			Boundary                *merchant.Boundary
		}{adapterID, csrf, platform, b}
	},
	"rowsOf": func(adapterID string, rows []index.CancellationRow) any {
		return struct {
			Adapter string
			Rows    []index.CancellationRow
		}{adapterID, rows}
	},
}).ParseFS(templateFS, "templates/*.html"))

// securityHeaders go on every console page: nobody frames it (clickjacking
// on its buttons), nothing loads from elsewhere, nothing is cached.
func securityHeaders(ctx *gin.Context) {
	setSecurityHeaders(ctx.Writer.Header())
	ctx.Next()
}

func setSecurityHeaders(h http.Header) {
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
}

func (c *Console) mountPages(r *gin.Engine) {
	r.GET("/console", securityHeaders, func(ctx *gin.Context) { ctx.Redirect(http.StatusSeeOther, "/console/") })
	g := r.Group("/console", accesslog.Handler(c.o.Logger, "console"), securityHeaders)
	g.GET("/", c.home)
	g.POST("/sign-in", c.signInPost)
	g.POST("/sign-out", c.withSession, c.signOutPost)
	a := g.Group("/adapters/:adapter", c.withSession, c.pageAdapter)
	a.GET("", c.dashboardPage)
	a.GET("/cancellations", c.listPage)
	a.GET("/orders", c.findOrder)
	a.GET("/orders/:order_id", c.orderPage)
	a.POST("/orders/:order_id/responses", c.respondPost)
	a.POST("/orders/:order_id/cancellations", c.cancelPost)
	a.POST("/dead-letters/:id/replay", c.replayPost)
	a.POST("/connect", c.connectPost)
}

// view is what every page template gets.
type view struct {
	Title    string
	CSRF     string
	Scope    Scope
	Adapters []string
	Adapter  *platform.Adapter
	Message  string
	Error    string
	// Back is where a message page's link goes (default the console's
	// home).
	Back string
	Data any
}

func (c *Console) render(ctx *gin.Context, status int, name string, v view) {
	var b bytes.Buffer
	if err := pages.ExecuteTemplate(&b, name, v); err != nil {
		c.o.Logger.LogAttrs(ctx.Request.Context(), slog.LevelError, "console template", slog.String("page", name), slog.String("error", err.Error()))
		ctx.Data(http.StatusInternalServerError, "text/plain; charset=utf-8", []byte("internal error"))
		ctx.Abort()
		return
	}
	ctx.Data(status, "text/html; charset=utf-8", b.Bytes())
	ctx.Abort()
}

const sessionKeyCtx = "console.session"

func sessionOf(ctx *gin.Context) *session {
	s, _ := ctx.Get(sessionKeyCtx)
	return s.(*session)
}

// withSession lets signed-in requests through; every POST must carry the
// session's CSRF token.
func (c *Console) withSession(ctx *gin.Context) {
	s, err := c.current(ctx)
	switch {
	case errors.Is(err, errNoSession):
		accesslog.Refuse(ctx, "no_session")
		if ctx.Request.Method == http.MethodGet {
			ctx.Redirect(http.StatusSeeOther, "/console/")
			ctx.Abort()
			return
		}
		c.render(ctx, http.StatusUnauthorized, "signin.html", view{Title: "Sign in", Error: "Your session has ended. Sign in again."})
		return
	case err != nil:
		c.unavailable(ctx, err)
		return
	}
	if ctx.Request.Method == http.MethodPost && !checkCSRF(ctx, s.CSRF) {
		accesslog.Refuse(ctx, "csrf_failed")
		c.render(ctx, http.StatusForbidden, "message.html", view{Title: "Refused", Scope: s.scope, Error: "This form is stale or did not come from this console (CSRF check failed). Reload the page and try again."})
		return
	}
	ctx.Set(sessionKeyCtx, s)
	ctx.Next()
}

// storeDown is what the pages and the JSON twins do alike when Redis did
// not answer, before their answer: the warn line with the error (the
// request's own line then says store_unavailable) and Retry-After.
func (c *Console) storeDown(ctx *gin.Context, err error) {
	c.o.Logger.LogAttrs(ctx.Request.Context(), slog.LevelWarn, "console", slog.String("path", ctx.FullPath()), slog.String("error", err.Error()),
		slog.String("request_id", accesslog.RequestID(ctx)))
	accesslog.Refuse(ctx, "store_unavailable")
	ctx.Header("Retry-After", "1")
}

func (c *Console) unavailable(ctx *gin.Context, err error) {
	c.storeDown(ctx, err)
	c.render(ctx, http.StatusServiceUnavailable, "message.html", view{Title: "Unavailable", Error: "The store did not answer. Try again in a moment."})
}

// pageAdapter is the page's adapter within the session's scope; any other
// is the same 404 as one that does not exist.
func (c *Console) pageAdapter(ctx *gin.Context) {
	s := sessionOf(ctx)
	ad, ok := c.adapterFor(s.scope, ctx.Param("adapter"))
	if !ok {
		accesslog.Refuse(ctx, c.notVisible(s.scope, ctx.Param("adapter")))
		c.render(ctx, http.StatusNotFound, "message.html", c.base(ctx, "Not found", nil))
		return
	}
	ctx.Set(adapterKey, ad)
	ctx.Next()
}

func (c *Console) base(ctx *gin.Context, title string, ad *platform.Adapter) view {
	s := sessionOf(ctx)
	v := view{Title: title, CSRF: s.CSRF, Scope: s.scope, Adapters: c.visible(s.scope), Adapter: ad, Message: takeFlash(ctx)}
	if ad == nil && title == "Not found" {
		v.Error = "There is nothing here, or it is not yours to see."
	}
	return v
}

func (c *Console) home(ctx *gin.Context) {
	s, err := c.current(ctx)
	switch {
	case errors.Is(err, errNoSession):
		tok := randomToken()
		setCookie(ctx, signinCookie, tok, 3600)
		c.render(ctx, http.StatusOK, "signin.html", view{Title: "Sign in", CSRF: tok})
		return
	case err != nil:
		c.unavailable(ctx, err)
		return
	}
	ids := c.visible(s.scope)
	if !s.scope.Admin && len(ids) == 1 {
		ctx.Redirect(http.StatusSeeOther, "/console/adapters/"+url.PathEscape(ids[0]))
		ctx.Abort()
		return
	}
	ctx.Set(sessionKeyCtx, s)
	v := c.base(ctx, "Adapters", nil)
	d, err := c.m.Summaries(ctx.Request.Context(), ids)
	if err != nil {
		c.unavailable(ctx, err)
		return
	}
	v.Data = d
	c.render(ctx, http.StatusOK, "home.html", v)
}

// signInPost checks the sign-in form's CSRF token (a cookie set with the
// form) and the token, then starts a session. A wrong token is a 401 and
// says no more than that.
func (c *Console) signInPost(ctx *gin.Context) {
	ck, err := ctx.Request.Cookie(signinCookie)
	if err != nil || !checkCSRF(ctx, ck.Value) {
		accesslog.Refuse(ctx, "csrf_failed")
		c.render(ctx, http.StatusForbidden, "signin.html", view{Title: "Sign in", Error: "This form is stale (CSRF check failed). Reload the page and try again."})
		return
	}
	fresh := randomToken()
	setCookie(ctx, signinCookie, fresh, 3600)
	token := ctx.PostForm("token")
	var sum [32]byte
	ok := false
	if token != "" {
		sum = sha256Sum(token)
		_, ok = c.resolve(sum)
	}
	if !ok {
		accesslog.Refuse(ctx, "bad_token")
		if token == "" {
			accesslog.Refuse(ctx, "no_token")
		}
		c.render(ctx, http.StatusUnauthorized, "signin.html", view{Title: "Sign in", CSRF: fresh, Error: "That token is not valid."})
		return
	}
	id, err := c.signIn(ctx.Request.Context(), sum)
	if err != nil {
		c.unavailable(ctx, err)
		return
	}
	setCookie(ctx, signinCookie, "", -1)
	setCookie(ctx, sessionCookie, id, int(c.o.SessionTTL.Seconds()))
	ctx.Redirect(http.StatusSeeOther, "/console/")
	ctx.Abort()
}

func (c *Console) signOutPost(ctx *gin.Context) {
	c.signOut(ctx, sessionOf(ctx))
	ctx.Redirect(http.StatusSeeOther, "/console/")
	ctx.Abort()
}

// dashboardData is the dashboard template's data.
type dashboardData struct {
	*merchant.Dashboard
	Period   merchant.Period
	Since    string
	Until    string
	Charts   []chart
	DeadLost int
}

func (c *Console) dashboardPage(ctx *gin.Context) {
	ad := adapterOf(ctx)
	v := c.base(ctx, ad.ID, ad)
	p, err := merchant.ParsePeriod(c.o.Now(), ctx.Query("since"), ctx.Query("until"), ctx.Query("days"))
	if err != nil {
		// The JSON twins answer 400 to the same query: so does the page,
		// with the message and a way back.
		v.Title, v.Error, v.Back = "Not a period", err.Error(), "/console/adapters/"+url.PathEscape(ad.ID)
		c.render(ctx, http.StatusBadRequest, "message.html", v)
		return
	}
	d, err := c.m.Dashboard(ctx.Request.Context(), ad, p)
	if err != nil {
		c.unavailable(ctx, err)
		return
	}
	st := d.Stats
	states := make([]string, len(platform.States))
	for i, s := range platform.States {
		states[i] = string(s)
	}
	v.Data = dashboardData{
		Dashboard: d, Period: p, Since: st.Since, Until: st.Until,
		Charts: []chart{
			barChart("Requests by state", "state", st.ByState, states),
			barChart("Requests by reason", "reason", st.ByReason, platform.Reasons),
			barChart("Denials by reason", "denial", st.Denials, nil),
		},
	}
	c.render(ctx, http.StatusOK, "dashboard.html", v)
}

// listData is the cancellations list's data.
type listData struct {
	Page                        index.ListPage
	State, Reason, Initiator    string
	Since, Until                string
	States, Reasons, Initiators []string
	NextURL                     string
}

func (c *Console) listPage(ctx *gin.Context) {
	ad := adapterOf(ctx)
	v := c.base(ctx, ad.ID+": cancellations", ad)
	d := listData{State: ctx.Query("state"), Reason: ctx.Query("reason"), Initiator: ctx.Query("initiator"),
		Since: ctx.Query("since"), Until: ctx.Query("until"), Reasons: platform.Reasons, Initiators: []string{"buyer", "seller", "merchant"}}
	for _, s := range platform.States {
		d.States = append(d.States, string(s))
	}
	f, err := c.listFilter(ctx)
	if err == nil {
		d.Page, err = c.o.Indexes.List(ctx.Request.Context(), ad.ID, f)
		if errors.Is(err, index.ErrBadCursor) {
			err = &merchant.FieldError{Field: "cursor", Message: "not a cursor this list handed out"}
		}
	}
	status := http.StatusOK
	var fe *merchant.FieldError
	switch {
	case errors.As(err, &fe):
		v.Error, status = fe.Error(), http.StatusBadRequest
	case err != nil:
		c.unavailable(ctx, err)
		return
	}
	if d.Page.Next != "" {
		q := ctx.Request.URL.Query()
		q.Set("cursor", d.Page.Next)
		d.NextURL = "?" + q.Encode()
	}
	v.Data = d
	c.render(ctx, status, "list.html", v)
}

func (c *Console) findOrder(ctx *gin.Context) {
	ad := adapterOf(ctx)
	id := ctx.Query("id")
	if !platform.ValidID(id) {
		ctx.Redirect(http.StatusSeeOther, "/console/adapters/"+url.PathEscape(ad.ID))
		ctx.Abort()
		return
	}
	ctx.Redirect(http.StatusSeeOther, "/console/adapters/"+url.PathEscape(ad.ID)+"/orders/"+url.PathEscape(id))
	ctx.Abort()
}

// orderData is the order page's data.
type orderData struct {
	View        *order.OrderView
	DeadLetters []orderstore.DeadLetter
	Reasons     []string
	// CanCancel is whether a cancellation by the merchant would be taken
	// now; when not, NoCancel is why (a denial reason).
	CanCancel bool
	NoCancel  platform.DenialReason
	// Lines are the lines of which the merchant could cancel some units
	// now.
	Lines []order.LinePreview
}

func (c *Console) orderPage(ctx *gin.Context) {
	ad := adapterOf(ctx)
	orderID := ctx.Param("order_id")
	v := c.base(ctx, ad.ID+": order "+orderID, ad)
	// One read of the order's document for the view and the cancel preview.
	doc, err := c.o.Store.Load(ctx.Request.Context(), ad.ID, orderID)
	switch {
	case err != nil:
		err = fmt.Errorf("view order %s/%s: %w", ad.ID, orderID, err)
	case doc.Order == nil && len(doc.Requests) == 0:
		err = orderstore.ErrNotFound // as Store.OrderView
	}
	if errors.Is(err, orderstore.ErrNotFound) {
		accesslog.Refuse(ctx, "unknown_order")
		v.Error = "No snapshot or cancellation is known for this order."
		c.render(ctx, http.StatusNotFound, "message.html", v)
		return
	}
	if err != nil {
		c.unavailable(ctx, err)
		return
	}
	d := orderData{View: doc.View(ad, orderID), Reasons: platform.Reasons}
	if ls, err := c.o.DeadLetters.ListAdapter(ctx.Request.Context(), ad.ID); err == nil {
		for _, l := range ls {
			if l.OrderID == orderID {
				d.DeadLetters = append(d.DeadLetters, l)
			}
		}
	}
	d.CanCancel, d.NoCancel, d.Lines = c.m.MayCancelDoc(ad, orderID, doc)
	v.Data = d
	c.render(ctx, http.StatusOK, "order.html", v)
}

// messages are what a page says once after an action, by the flash key
// the action leaves (flash.go).
var messages = map[string]string{
	"responded": "Your answer is queued. The workers decide it within seconds: reload the page to see the outcome.",
	"duplicate": "That action was already taken.",
	"cancelled": "Your cancellation is queued. The workers decide it within seconds: reload the page to see the outcome.",
	"replayed":  "The sync is queued again with its full attempts.",
}

func (c *Console) afterAction(ctx *gin.Context, to string, q merchant.Queued, err error) {
	if err != nil {
		status, fe := errStatus(err)
		if status == http.StatusServiceUnavailable {
			c.unavailable(ctx, err)
			return
		}
		v := c.base(ctx, "Not done", adapterOf(ctx))
		switch {
		case fe != nil:
			v.Error = fe.Error()
			accesslog.Refuse(ctx, "invalid_form")
		case status == http.StatusUnprocessableEntity:
			v.Error = problem.KeyReusedDetail + ". Nothing was done."
			accesslog.Refuse(ctx, "idempotency_key_reused")
		default:
			v.Error = "Not found."
			accesslog.Refuse(ctx, "not_found")
		}
		c.render(ctx, status, "message.html", v)
		return
	}
	msg := "responded"
	switch {
	case q.Status == "duplicate":
		msg = "duplicate"
	case to == "cancel":
		msg = "cancelled"
	}
	ad := adapterOf(ctx)
	setFlash(ctx, msg)
	ctx.Redirect(http.StatusSeeOther, "/console/adapters/"+url.PathEscape(ad.ID)+"/orders/"+url.PathEscape(ctx.Param("order_id")))
	ctx.Abort()
}

func (c *Console) respondPost(ctx *gin.Context) {
	q, err := c.m.Respond(ctx.Request.Context(), adapterOf(ctx), ctx.Param("order_id"), ctx.PostForm("request_id"), ctx.PostForm("decision"), ctx.PostForm("idempotency_key"))
	c.afterAction(ctx, "respond", q, err)
}

func (c *Console) cancelPost(ctx *gin.Context) {
	lines, err := formLines(ctx)
	if err == nil {
		var q merchant.Queued
		q, err = c.m.Cancel(ctx.Request.Context(), adapterOf(ctx), ctx.Param("order_id"), ctx.PostForm("reason"), ctx.PostForm("comments"), lines, ctx.PostForm("idempotency_key"))
		c.afterAction(ctx, "cancel", q, err)
		return
	}
	c.afterAction(ctx, "cancel", merchant.Queued{}, err)
}

// formLines reads the order page's "cancel some lines" form: a line_id
// and a quantity per line, lines left at 0 not asked for. nil: the form
// is the whole order's.
func formLines(ctx *gin.Context) ([]platform.LineRequest, error) {
	ids, qs := ctx.PostFormArray("line_id"), ctx.PostFormArray("quantity")
	if len(ids) == 0 {
		return nil, nil
	}
	if len(qs) != len(ids) {
		return nil, &merchant.FieldError{Field: "lines", Message: "a quantity for each line"}
	}
	lines := []platform.LineRequest{}
	for i, id := range ids {
		q := strings.TrimSpace(qs[i])
		n, err := strconv.Atoi(q)
		if q == "" { // left blank: not asked for
			n, err = 0, nil
		}
		if err != nil || n < 0 {
			return nil, &merchant.FieldError{Field: fmt.Sprintf("lines[%d].quantity", i), Message: "a whole number of units, 0 or more"}
		}
		if n > 0 {
			lines = append(lines, platform.LineRequest{LineID: id, Quantity: n})
		}
	}
	if len(lines) == 0 {
		return nil, &merchant.FieldError{Field: "lines", Message: "choose at least one unit to cancel"}
	}
	return lines, nil
}

func (c *Console) replayPost(ctx *gin.Context) {
	ad := adapterOf(ctx)
	l, err := c.m.Replay(ctx.Request.Context(), ad, ctx.Param("id"))
	if err != nil {
		status, _ := errStatus(err)
		if status == http.StatusServiceUnavailable {
			c.unavailable(ctx, err)
			return
		}
		accesslog.Refuse(ctx, "unknown_dead_letter")
		v := c.base(ctx, "Not found", ad)
		v.Error = "No such dead letter (already replayed?)."
		c.render(ctx, http.StatusNotFound, "message.html", v)
		return
	}
	setFlash(ctx, "replayed")
	ctx.Redirect(http.StatusSeeOther, "/console/adapters/"+url.PathEscape(ad.ID)+"/orders/"+url.PathEscape(l.OrderID))
	ctx.Abort()
}

// chart is a horizontal bar chart, drawn as inline SVG by the template.
type chart struct {
	Title         string
	Width, Height int
	Bars          []bar
}

type bar struct {
	Label       string
	Value       int64
	Y, W, TextY int
	ValueX      int
}

const (
	chartLabelW = 190
	chartBarW   = 300
	chartRowH   = 22
)

// barChart draws m's entries, in order's order (others after, by name);
// zero entries are left out.
func barChart(title, kind string, m map[string]int64, order []string) chart {
	keys := slices.Clone(order)
	var rest []string
	for k := range m {
		if !slices.Contains(order, k) {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	keys = append(keys, rest...)
	var top int64
	for _, k := range keys {
		top = max(top, m[k])
	}
	ch := chart{Title: title, Width: chartLabelW + chartBarW + 60}
	for _, k := range keys {
		n := m[k]
		if n <= 0 {
			continue
		}
		i := len(ch.Bars)
		w := int(float64(chartBarW) * float64(n) / float64(top))
		ch.Bars = append(ch.Bars, bar{Label: word(kind, k), Value: n, Y: i*chartRowH + 4, W: max(w, 1), TextY: i*chartRowH + 17, ValueX: chartLabelW + max(w, 1) + 6})
	}
	ch.Height = max(len(ch.Bars), 1)*chartRowH + 8
	return ch
}

func sha256Sum(s string) [32]byte { return sha256.Sum256([]byte(s)) }
