package config

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestSentinelURL(t *testing.T) {
	t.Parallel()
	good := []string{
		"redis-sentinel://s1:26379,s2:26379,s3:26379/0?master=mymaster",
		"redis-sentinel://:pw@s1:26379/2?master=mymaster",
		"redis-sentinel://user:pw@s1,s2?master=mymaster",
		"redis-sentinel://[::1]:26379?master=mymaster",
	}
	for _, u := range good {
		cfg, err := Parse([]byte("redis_url: \""+u+"\"\n"+minimal), testPlatforms, noEnv)
		if err != nil {
			t.Errorf("redis_url %q: %v", u, err)
			continue
		}
		if !cfg.Sentinel() || cfg.Embedded() {
			t.Errorf("redis_url %q: Sentinel() = %v, Embedded() = %v", u, cfg.Sentinel(), cfg.Embedded())
		}
	}

	bad := []struct{ url, msg string }{
		{"redis-sentinel://s1:26379/0", "?master=NAME"},
		{"redis-sentinel:///0?master=m", "must list the Sentinels"},
		{"redis-sentinel://s1:26379,:26379?master=m", "each Sentinel must be host or host:port"},
		{"redis-sentinel://s1:0?master=m", "each Sentinel must be host or host:port"},
		{"redis-sentinel://s1:26379/zero?master=m", "database"},
		{"redis-sentinel://s1:26379?master=m&password=x", `unknown query parameter "password"`},
		{"redis-clusters://s1:7000", "redis-cluster://"},
	}
	for _, tt := range bad {
		e := parseErr(t, "redis_url: \""+tt.url+"\"\n"+minimal, noEnv)
		if !hasProblem(e, "redis_url", tt.msg) {
			t.Errorf("redis_url %q: problems %v, want one on redis_url saying %q", tt.url, e.Problems, tt.msg)
		}
	}
}

func TestClusterURL(t *testing.T) {
	t.Parallel()
	good := []struct {
		url   string
		addrs []string
		tls   bool
	}{
		{"redis-cluster://10.0.0.1:7000,10.0.0.2:7000,10.0.0.3:7000", []string{"10.0.0.1:7000", "10.0.0.2:7000", "10.0.0.3:7000"}, false},
		{"rediss-cluster://:pw@r1.example,r2.example:7001/0?dial_timeout=2s", []string{"r1.example:6379", "r2.example:7001"}, true},
		{"redis-cluster://u:pw@[::1]:7000", []string{"[::1]:7000"}, false},
	}
	for _, tt := range good {
		cfg, err := Parse([]byte("redis_url: \""+tt.url+"\"\n"+minimal), testPlatforms, noEnv)
		if err != nil {
			t.Errorf("redis_url %q: %v", tt.url, err)
			continue
		}
		if !cfg.Cluster() || cfg.Sentinel() || cfg.Embedded() {
			t.Errorf("redis_url %q: Cluster() = %v, Sentinel() = %v, Embedded() = %v", tt.url, cfg.Cluster(), cfg.Sentinel(), cfg.Embedded())
		}
		cu, err := ParseClusterURL(tt.url)
		if err != nil || strings.Join(cu.Addrs, " ") != strings.Join(tt.addrs, " ") || cu.TLS != tt.tls {
			t.Errorf("ParseClusterURL(%q) = %+v, %v; want addrs %v, TLS %v", tt.url, cu, err, tt.addrs, tt.tls)
		}
	}

	bad := []struct{ url, msg string }{
		{"redis-cluster:///0", "at least one node"},
		{"redis-cluster://:SEKRIT@r1:7000,r2", "each node must be host:port"},
		{"redis-cluster://:SEKRIT@r1:7000,:7001", "each node must be host or host:port"},
		{"redis-cluster://:SEKRIT@r1:0", "each node must be host or host:port"},
		{"redis-cluster://:SEKRIT@r1:7000/1", "database 0 only"},
		{"redis-cluster://:SEKRIT@r1:7000/zero", "database 0 only"},
		{"redis-cluster://:SEKRIT@r1:7000?addr=r2:7000", "not with ?addr="},
	}
	for _, tt := range bad {
		e := parseErr(t, "redis_url: \""+tt.url+"\"\n"+minimal, noEnv)
		if !hasProblem(e, "redis_url", tt.msg) {
			t.Errorf("redis_url %q: problems %v, want one on redis_url saying %q", tt.url, e.Problems, tt.msg)
		}
		if strings.Contains(e.Error(), "SEKRIT") {
			t.Errorf("redis_url %q: the error quotes the password: %v", tt.url, e)
		}
	}
	if r := RedactURL("redis-cluster://u:SEKRIT@r1:7000,r2:7000"); strings.Contains(r, "SEKRIT") || !strings.Contains(r, "r1:7000,r2:7000") {
		t.Errorf("RedactURL = %q, want the nodes without the password", r)
	}
}

func TestSentinelPassword(t *testing.T) {
	t.Parallel()
	env := envOf(map[string]string{"SENTINEL_PASS": "sentinel-SEKRIT"})
	e := parseErr(t, "redis_url: \"redis://r:6379/0\"\nredis_sentinel_password: \"${SENTINEL_PASS}\"\n"+minimal, env)
	if !hasProblem(e, "redis_sentinel_password", "redis-sentinel://") {
		t.Errorf("problems %v, want redis_sentinel_password refused without a Sentinel URL", e.Problems)
	}
	if strings.Contains(e.Error(), "SEKRIT") {
		t.Errorf("error quotes the password: %v", e)
	}

	src := "redis_url: \"redis-sentinel://:master-SEKRIT@s1,s2/0?master=m\"\nredis_sentinel_password: \"${SENTINEL_PASS}\"\n" + minimal
	cfg, err := Parse([]byte(src), testPlatforms, env)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RedisSentinelPassword != "sentinel-SEKRIT" {
		t.Errorf("RedisSentinelPassword = %q", cfg.RedisSentinelPassword)
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("config", "config", cfg)
	r := cfg.Redacted()
	for what, out := range map[string]string{"log": buf.String(), "Redacted": r.RedisURL + " " + r.RedisSentinelPassword} {
		if strings.Contains(out, "SEKRIT") {
			t.Errorf("%s shows a password: %s", what, out)
		}
	}
	if !strings.Contains(buf.String(), `"redis_sentinel_password":"[redacted]"`) {
		t.Errorf("log lacks the masked sentinel password: %s", buf.String())
	}
}

func TestMetricsListen(t *testing.T) {
	t.Parallel()
	cfg, err := Parse([]byte("metrics_listen: \":9100\"\n"+minimal), testPlatforms, noEnv)
	if err != nil || cfg.MetricsListen != ":9100" {
		t.Fatalf("metrics_listen :9100: %v %+v", err, cfg)
	}
	for src, msg := range map[string]string{
		"metrics_listen: \"9100\"\n":                                       "host:port",
		"listen: \"127.0.0.1:8080\"\nmetrics_listen: \"127.0.0.1:8080\"\n": "must differ from listen",
	} {
		if e := parseErr(t, src+minimal, noEnv); !hasProblem(e, "metrics_listen", msg) {
			t.Errorf("%q: problems %v, want metrics_listen %q", src, e.Problems, msg)
		}
	}
}
