package registry_test

import (
	"slices"
	"testing"

	"github.com/cancelsync/cancelsync/adapters/registry"
)

func TestDefault(t *testing.T) {
	t.Parallel()

	r := registry.Default()
	want := []string{"aliexpress", "fiverr", "poshmark", "selfservice", "shopify", "woocommerce"}
	if got := r.Names(); !slices.Equal(got, want) {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
	for name, p := range r {
		if p.Name != name {
			t.Errorf("registered as %q but Platform.Name is %q", name, p.Name)
		}
		if p.Rules == nil || p.NewInbound == nil || p.NewClient == nil || p.CheckSecret == nil || p.Check == nil {
			t.Errorf("%s: Rules, NewInbound, NewClient, CheckSecret and Check must all be set", name)
		}
	}
}
