package woocommerce_test

import (
	"encoding/json"
	"testing"
)

func adapterstestJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
