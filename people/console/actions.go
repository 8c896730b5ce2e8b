package console

import (
	"errors"

	"github.com/cancelsync/cancelsync/orderstore"
	"github.com/cancelsync/cancelsync/people/merchant"
)

// The merchant's actions and reads are package merchant's, which the pages
// and the JSON twins share; this file holds what the edge checks and maps.

// errStatus sorts an action's error for the edge.
func errStatus(err error) (status int, fe *merchant.FieldError) {
	switch {
	case errors.As(err, &fe):
		return 400, fe
	case errors.Is(err, orderstore.ErrNotFound):
		return 404, nil
	case errors.Is(err, merchant.ErrKeyReused):
		return 422, nil
	default:
		return 503, nil
	}
}
