package e2e

import (
	"strings"
	"testing"

	"github.com/cancelsync/cancelsync/internal/redistest"
)

// config check on a real Redis Cluster: a redis-cluster:// URL listing one
// node is ok and every node's settings are checked (one node set to
// evict is named); an option go-redis does not know is a problem on redis_url,
// without the password.
func TestConfigCheckOnACluster(t *testing.T) {
	t.Parallel()
	c := redistest.StartCluster(t, redistest.ClusterOptions{Password: "cluster-SEKRIT"})
	ads := []adapterConf{{id: "acme-self", platform: "selfservice", baseURL: "http://127.0.0.1:9"}}
	url := "redis-cluster://:cluster-SEKRIT@" + c.Nodes[0].Addr

	cfg, _ := writeConfig(t, url, ads, "")
	code, out := runCLI(t, "config", "check", "--config", cfg)
	if code != 0 || !strings.Contains(out, ": ok") || strings.Contains(out, "warning") || strings.Contains(out, "note") {
		t.Errorf("config check on a healthy cluster: %d\n%s", code, out)
	}

	bad := c.Nodes[4]
	if err := bad.Client().ConfigSet(t.Context(), "maxmemory-policy", "allkeys-lru").Err(); err == nil {
		t.Fatal("CONFIG SET without the password worked: the cluster has none")
	}
	if err := c.NodeClient(bad).ConfigSet(t.Context(), "maxmemory-policy", "allkeys-lru").Err(); err != nil {
		t.Fatal(err)
	}
	code, out = runCLI(t, "config", "check", "--config", cfg)
	if code != 0 || !strings.Contains(out, "warning: on node(s) "+bad.Addr+": redis maxmemory-policy is allkeys-lru") {
		t.Errorf("config check with %s evicting: %d\n%s", bad.Addr, code, out)
	}

	cfg, _ = writeConfig(t, url+"?bogus_option=1", ads, "")
	code, out = runCLI(t, "config", "check", "--config", cfg)
	if code != 1 || !strings.Contains(out, "redis_url: ") || !strings.Contains(out, "bogus_option") {
		t.Errorf("config check with an unknown option: %d\n%s", code, out)
	}
	assertNoSecrets(t, out, "cluster-SEKRIT")
}
