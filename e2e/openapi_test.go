package e2e

// Every response the suite receives from cancelsync on a path that
// docs/openapi.yaml documents is validated against it (status, headers,
// media type, body), so the document cannot drift from the code. Paths it
// does not document (the fake platforms, asynqmon under /admin) pass
// unchecked. A mismatch fails the test that owns the service (checked when
// the service stops), and TestMain fails the run for any left over.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/cancelsync/cancelsync/docs"
)

// apiCheck validates responses against docs/openapi.yaml.
type apiCheck struct {
	router routers.Router

	mu         sync.Mutex
	mismatches map[string][]string // by request host
	checked    int
}

var openAPI *apiCheck

func loadOpenAPI() (*apiCheck, error) {
	doc, err := openapi3.NewLoader().LoadFromData(docs.OpenAPI)
	if err != nil {
		return nil, fmt.Errorf("load docs/openapi.yaml: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("docs/openapi.yaml: %w", err)
	}
	// The services listen on free ports: match paths on any host.
	doc.Servers = nil
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, err
	}
	// The console's pages: documented without a schema, checked for
	// status and media type.
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
	return &apiCheck{router: router, mismatches: map[string][]string{}}, nil
}

// transport wraps next so every documented response is validated.
func (a *apiCheck) transport(next http.RoundTripper) http.RoundTripper {
	return validatingTransport{check: a, next: next}
}

type validatingTransport struct {
	check *apiCheck
	next  http.RoundTripper
}

func (v validatingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := v.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	route, params, ferr := v.check.router.FindRoute(req)
	if ferr != nil {
		return resp, nil // not a documented path or method
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err // the connection broke mid-body: a transport error for the caller too
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	opts := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: req, PathParams: params, Route: route, Options: opts,
		},
		Status:  resp.StatusCode,
		Header:  resp.Header,
		Body:    io.NopCloser(bytes.NewReader(body)),
		Options: opts,
	}
	verr := openapi3filter.ValidateResponse(req.Context(), in)
	v.check.mu.Lock()
	v.check.checked++
	if verr != nil {
		excerpt := string(body)
		if len(excerpt) > 300 {
			excerpt = excerpt[:300] + "…"
		}
		v.check.mismatches[req.URL.Host] = append(v.check.mismatches[req.URL.Host],
			fmt.Sprintf("%s %s → %d %s: %v\n  body: %s", req.Method, req.URL.Path, resp.StatusCode,
				resp.Header.Get("Content-Type"), verr, excerpt))
	}
	v.check.mu.Unlock()
	return resp, nil
}

// take returns and forgets the mismatches of responses from host.
func (a *apiCheck) take(host string) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	m := a.mismatches[host]
	delete(a.mismatches, host)
	return m
}

// leftover returns every mismatch no test has taken, and how many
// responses were checked in all.
func (a *apiCheck) leftover() (out []string, checked int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	hosts := make([]string, 0, len(a.mismatches))
	for h := range a.mismatches {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	for _, h := range hosts {
		out = append(out, a.mismatches[h]...)
	}
	return out, a.checked
}

// checkAgainstOpenAPI fails t for every response from the service at url
// that did not match docs/openapi.yaml.
func checkAgainstOpenAPI(t interface{ Errorf(string, ...any) }, url string) {
	host := strings.TrimPrefix(url, "http://")
	for _, m := range openAPI.take(host) {
		t.Errorf("response does not match docs/openapi.yaml: %s", m)
	}
}
