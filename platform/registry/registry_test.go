package registry_test

import (
	"slices"
	"testing"

	"github.com/cancelsync/cancelsync/platform/examplemarket"
	"github.com/cancelsync/cancelsync/platform/registry"
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

// With adds a platform the build does not register, and leaves Default as
// it was.
func TestWith(t *testing.T) {
	t.Parallel()
	r := registry.With(examplemarket.Platform)
	if _, ok := r[examplemarket.Name]; !ok || len(r) != len(registry.Default())+1 {
		t.Errorf("With: %v", r.Names())
	}
	if _, ok := registry.Default()[examplemarket.Name]; ok {
		t.Error("With changed Default")
	}
}
