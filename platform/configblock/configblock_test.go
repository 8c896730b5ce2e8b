package configblock_test

import (
	"slices"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/cancelsync/cancelsync/platform/configblock"
)

func nodes(t *testing.T, src string) map[string]*yaml.Node {
	t.Helper()
	var m map[string]yaml.Node
	if err := yaml.Unmarshal([]byte(src), &m); err != nil {
		t.Fatal(err)
	}
	out := map[string]*yaml.Node{}
	for k, n := range m {
		out[k] = &n
	}
	return out
}

// A platform reads its keys in the shapes it takes, each problem names its
// key, and every key it did not ask for is refused: unused when another
// platform reads it, unknown otherwise.
func TestBlockReader(t *testing.T) {
	t.Parallel()
	b := configblock.NewBlock(nodes(t, `
shop: acme.myshopify.com
policy.restock: false
policy.notify_customer: maybe
relay_secrets: [a, [b]]
policy.status_map: {shipped: shipped, "wc-ready": paid}
api.consumer_key: ck
api.tokn: x
`), []configblock.Key{{Name: "shop"}}, func(k string) bool { return k == "api.consumer_key" })
	r := b.Read()
	if got := r.String("shop"); got != "acme.myshopify.com" {
		t.Errorf("shop = %q", got)
	}
	if got := r.Bool("policy.restock"); got == nil || *got {
		t.Errorf("restock = %v, want false (written, not unset)", got)
	}
	if got := r.Bool("policy.notify_customer"); got != nil {
		t.Errorf("notify_customer = %v", *got)
	}
	if got := r.Strings("relay_secrets"); !slices.Equal(got, []string{"a"}) {
		t.Errorf("relay_secrets = %v", got)
	}
	if got := r.StringMap("policy.status_map"); len(got) != 2 || got["wc-ready"] != "paid" {
		t.Errorf("status_map = %v", got)
	}
	if got := r.Bool("policy.absent"); got != nil {
		t.Errorf("absent = %v", got)
	}
	want := []configblock.FieldError{
		{Field: "api.consumer_key", Message: "is not used by this platform"},
		{Field: "api.tokn", Message: "unknown key"},
		{Field: "policy.notify_customer", Message: "must be true or false"},
		{Field: "relay_secrets[1]", Message: "must be a string"},
	}
	if got := r.Done(); !slices.Equal(got, want) {
		t.Errorf("Done() = %v, want %v", got, want)
	}
}

// A key the platform marks secret, or one it does not read, is masked
// when the block is shown; the values of the secret keys reach the
// adapter's Redactor.
func TestBlockSecrets(t *testing.T) {
	t.Parallel()
	keys := []configblock.Key{{Name: "shop"}, {Name: "api.consumer_key", Secret: true}}
	b := configblock.NewBlock(nodes(t, "shop: acme\napi.consumer_key: ck_SEKRIT\nstray: s_SEKRIT\n"), keys, nil)
	r := b.Redacted(func(string) string { return "[redacted]" }).Read()
	if r.String("shop") != "acme" || r.String("api.consumer_key") != "[redacted]" || r.String("stray") != "[redacted]" {
		t.Errorf("redacted block: shop %q, key %q, stray %q", r.String("shop"), r.String("api.consumer_key"), r.String("stray"))
	}
	if got := b.SecretValues(keys); !slices.Equal(got, []string{"ck_SEKRIT"}) {
		t.Errorf("SecretValues = %v", got)
	}
	if !b.Equal(configblock.NewBlock(nodes(t, "stray: s_SEKRIT\n\nshop: acme\napi.consumer_key: ck_SEKRIT\n"), keys, nil)) {
		t.Error("the same keys written in another order are not Equal")
	}
	if b.Equal(configblock.NewBlock(nodes(t, "shop: other\napi.consumer_key: ck_SEKRIT\nstray: s_SEKRIT\n"), keys, nil)) {
		t.Error("another shop is Equal")
	}
}
