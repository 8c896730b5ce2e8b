package storefront

import (
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/cancelsync/cancelsync/internal/problem"
)

// Error answers are the problem+json documents of internal/problem, the
// same as the rest of the API.

func writeJSON(c *gin.Context, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // plain data types: a bug, answered 500 by the router's recovery
	}
	problem.WriteJSON(c, status, b)
}

// notFound is the one answer for an unknown adapter, an adapter without a
// storefront, an unknown order and another buyer's order: a caller can't
// tell them apart, so nobody learns that an order exists.
func notFound(c *gin.Context) {
	problem.Write(c, http.StatusNotFound, problem.NotFound, "no such order")
}
