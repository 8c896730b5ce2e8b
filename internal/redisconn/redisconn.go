// Package redisconn opens the Redis that cancelsync's redis_url names: one
// server (redis:// or rediss://, with go-redis's URL options), the master
// that Redis Sentinel points at (redis-sentinel://), or a Redis Cluster
// (redis-cluster:// or rediss-cluster://). An Opt is also an
// asynq.RedisConnOpt, so asynq's own tools (asynqmon) connect exactly the
// way cancelsync does.
package redisconn

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/cancelsync/cancelsync/config"
)

// Opt describes how to reach Redis. The zero Opt is not usable; get one
// from Parse or Addr.
type Opt struct {
	single   *redis.Options
	failover *redis.FailoverOptions
	cluster  *redis.ClusterOptions
}

var _ asynq.RedisConnOpt = Opt{}

// Parse reads a redis_url:
//
//	redis://[[user]:password@]host:port[/db][?go-redis options]
//	rediss://...                                   the same over TLS
//	redis-sentinel://[[user]:password@]host1[:port],host2[:port][/db]?master=NAME
//	redis-cluster://[[user]:password@]host1[:port],host2[:port][?go-redis cluster options]
//	rediss-cluster://...                           the same over TLS
//
// In a redis-sentinel:// URL the user and password are the master's (and
// its replicas'); sentinelPassword, when not empty, authenticates to the
// Sentinels themselves. Errors never quote the URL, which may hold a
// password.
func Parse(rawURL, sentinelPassword string) (Opt, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return Opt{}, errors.New("redis_url is not a URL")
	}
	if u.Scheme != "redis-sentinel" {
		if sentinelPassword != "" {
			return Opt{}, errors.New("a Sentinel password needs a redis-sentinel:// URL")
		}
		if config.IsClusterURL(rawURL) {
			return parseCluster(rawURL)
		}
		o, err := redis.ParseURL(rawURL)
		if err != nil {
			return Opt{}, fmt.Errorf("redis_url: %s", redactErr(err, rawURL))
		}
		return Opt{single: o}, nil
	}
	su, err := config.ParseSentinelURL(rawURL)
	if err != nil {
		return Opt{}, fmt.Errorf("redis_url: %w", err)
	}
	f := &redis.FailoverOptions{
		MasterName: su.Master, SentinelAddrs: su.Addrs, SentinelPassword: sentinelPassword,
		Username: su.Username, Password: su.Password, DB: su.DB,
	}
	return Opt{failover: f}, nil
}

// parseCluster maps a redis-cluster:// URL onto go-redis's cluster options:
// the nodes listed are where discovery starts, the query is go-redis's.
func parseCluster(rawURL string) (Opt, error) {
	cu, err := config.ParseClusterURL(rawURL)
	if err != nil {
		return Opt{}, fmt.Errorf("redis_url: %w", err)
	}
	// go-redis's own cluster URL lists the first node as the host and the
	// others as ?addr=, and reads the options.
	q := url.Values{}
	for k, v := range cu.Options {
		q[k] = v
	}
	q["addr"] = cu.Addrs[1:]
	g := url.URL{Scheme: "redis", Host: cu.Addrs[0], RawQuery: q.Encode()}
	if cu.TLS {
		g.Scheme = "rediss"
	}
	o, err := redis.ParseClusterURL(g.String())
	if err != nil {
		return Opt{}, fmt.Errorf("redis_url: %s", redactErr(err, rawURL))
	}
	// The credentials are set here, not in g, so that no URL holding the
	// password is ever built.
	o.Username, o.Password = cu.Username, cu.Password
	return Opt{cluster: o}, nil
}

// Addr reaches a single server without a password, such as the embedded one.
func Addr(addr string) Opt {
	return Opt{single: &redis.Options{Addr: addr}}
}

// ioTimeout is the floor of every client's read and write timeouts: a
// Redis that accepts connections but stops answering fails a command after
// this long rather than hanging its caller (a caller's own deadline, such
// as ingest's, may cut it shorter).
const ioTimeout = 3 * time.Second

// slotMapAge is how old a cluster client's map of slots to masters may get
// before its next command fetches it again (CLUSTER SLOTS, in the
// background). go-redis fetches it on MOVED, but a master that died
// answers nothing, and with go-redis's default (60 s) a client kept
// dialing the dead master for a minute after its replica had taken over.
const slotMapAge = time.Second

// Client returns a new client with its own connection pool; the caller
// closes it. With Sentinel it follows the master across failovers; with a
// cluster it is a *redis.ClusterClient (asynqmon looks for one), which
// discovers the nodes and follows the slots as they move.
func (o Opt) Client() redis.UniversalClient {
	switch {
	case o.cluster != nil:
		c := *o.cluster
		c.Addrs = append([]string(nil), o.cluster.Addrs...)
		c.ReadTimeout, c.WriteTimeout = floorTimeout(c.ReadTimeout), floorTimeout(c.WriteTimeout)
		c.ClusterStateReloadInterval = slotMapAge
		return redis.NewClusterClient(&c)
	case o.failover != nil:
		f := *o.failover
		f.SentinelAddrs = append([]string(nil), o.failover.SentinelAddrs...)
		f.ReadTimeout, f.WriteTimeout = floorTimeout(f.ReadTimeout), floorTimeout(f.WriteTimeout)
		return redis.NewFailoverClient(&f)
	case o.single != nil:
		s := *o.single
		s.ReadTimeout, s.WriteTimeout = floorTimeout(s.ReadTimeout), floorTimeout(s.WriteTimeout)
		return redis.NewClient(&s)
	}
	panic("redisconn: zero Opt")
}

// floorTimeout is d, or ioTimeout when d is unset (0) or "no timeout" (-1).
func floorTimeout(d time.Duration) time.Duration {
	if d <= 0 {
		return ioTimeout
	}
	return d
}

// MakeRedisClient implements asynq.RedisConnOpt: a new client per call.
func (o Opt) MakeRedisClient() any { return o.Client() }

// Sentinel reports whether o finds its master through Sentinel.
func (o Opt) Sentinel() bool { return o.failover != nil }

// Cluster reports whether o reaches a Redis Cluster.
func (o Opt) Cluster() bool { return o.cluster != nil }

// String describes o without any password, for logs: the address and
// database, the master name, Sentinels and database, or the cluster's
// nodes as listed.
func (o Opt) String() string {
	switch {
	case o.cluster != nil:
		scheme := "redis-cluster"
		if o.cluster.TLSConfig != nil {
			scheme = "rediss-cluster"
		}
		return scheme + "://" + strings.Join(o.cluster.Addrs, ",")
	case o.failover != nil:
		return fmt.Sprintf("sentinel master %q via %s db %d", o.failover.MasterName,
			strings.Join(o.failover.SentinelAddrs, ","), o.failover.DB)
	case o.single != nil:
		scheme := "redis"
		if o.single.TLSConfig != nil {
			scheme = "rediss"
		}
		return fmt.Sprintf("%s://%s/%d", scheme, o.single.Addr, o.single.DB)
	}
	return "none"
}

// redactErr drops the URL from a go-redis parse error, in case it quotes it.
func redactErr(err error, rawURL string) string {
	msg := err.Error()
	if rawURL != "" && strings.Contains(msg, rawURL) {
		return "invalid URL"
	}
	if u, perr := url.Parse(rawURL); perr == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" && strings.Contains(msg, pw) {
			return "invalid URL"
		}
	}
	return msg
}
