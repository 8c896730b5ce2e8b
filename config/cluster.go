package config

import (
	"errors"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// A Redis Cluster: redis-cluster://[[user]:password@]host1:port,host2:port[?options]
// (rediss-cluster:// over TLS). Any reachable node listed starts the
// discovery of the others; a port left out is 6379 (the last node listed
// must have one: net/url would read the list as its port). The options are
// go-redis's cluster URL options (dial_timeout, read_timeout, pool_size, …),
// read by internal/redisconn.
const (
	clusterScheme    = "redis-cluster"
	clusterTLSScheme = "rediss-cluster"
)

// DefaultRedisPort is the port of a cluster node listed without one.
const DefaultRedisPort = "6379"

// ClusterURL is a parsed redis-cluster:// or rediss-cluster:// redis_url.
// The grammar lives here, beside its validation, so that `config check`
// and the process that connects (internal/redisconn) never disagree.
type ClusterURL struct {
	Addrs    []string // host:port of each node listed
	Username string
	Password string
	TLS      bool
	// Options are the query parameters, left for go-redis to read.
	Options url.Values
}

// IsClusterURL reports whether s has a cluster scheme; it says nothing of
// the rest of s.
func IsClusterURL(s string) bool {
	return strings.HasPrefix(s, clusterScheme+"://") || strings.HasPrefix(s, clusterTLSScheme+"://")
}

// ParseClusterURL reads a redis-cluster:// or rediss-cluster:// URL.
// Errors never quote it: it may hold a password.
func ParseClusterURL(s string) (ClusterURL, error) {
	const example = "redis-cluster://:password@10.0.0.1:7000,10.0.0.2:7000"
	u, err := url.Parse(s)
	if err != nil && IsClusterURL(s) {
		// net/url reads the port after the last colon: a last node
		// without one swallows the list into a bad port.
		return ClusterURL{}, errors.New("each node must be host:port (host alone only for the first), like " + example)
	}
	if err != nil || (u.Scheme != clusterScheme && u.Scheme != clusterTLSScheme) {
		return ClusterURL{}, errors.New("must be a redis-cluster:// or rediss-cluster:// URL, like " + example)
	}
	if u.Host == "" {
		return ClusterURL{}, errors.New("must list at least one node's host:port, like " + example)
	}
	cu := ClusterURL{TLS: u.Scheme == clusterTLSScheme, Options: u.Query()}
	if cu.Addrs, err = splitAddrs(u.Host, DefaultRedisPort); err != nil {
		return ClusterURL{}, errors.New("each node must be host or host:port (IPv6 literals: one node only, or use names), like " + example)
	}
	// A cluster has database 0 only.
	if db, err := parseDB(u.Path); err != nil || db != 0 {
		return ClusterURL{}, errors.New("a Redis Cluster has database 0 only: leave the path out or use /0")
	}
	if _, ok := cu.Options["addr"]; ok {
		return ClusterURL{}, errors.New("list the nodes as host1:port,host2:port, not with ?addr=")
	}
	if u.User != nil {
		cu.Username = u.User.Username()
		cu.Password, _ = u.User.Password()
	}
	return cu, nil
}

// splitAddrs reads a URL's comma-separated host[:port] list, giving
// defaultPort to a host without one.
func splitAddrs(hostList, defaultPort string) ([]string, error) {
	var addrs []string
	for _, hp := range strings.Split(hostList, ",") {
		host, port, err := net.SplitHostPort(hp)
		if err != nil { // no port: the default
			host, port = hp, defaultPort
			if strings.ContainsAny(host, ":[]") {
				host = ""
			}
		}
		if n, err := strconv.Atoi(port); host == "" || err != nil || n < 1 || n > 65535 {
			return nil, errors.New("bad host:port")
		}
		addrs = append(addrs, net.JoinHostPort(host, port))
	}
	return addrs, nil
}
