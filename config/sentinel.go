package config

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// sentinelScheme names a master through Redis Sentinel:
// redis-sentinel://[[user]:password@]host1:26379,host2:26379[/db]?master=NAME.
// The user and password are the master's; a port left out is 26379.
const sentinelScheme = "redis-sentinel"

// DefaultSentinelPort is the port of a Sentinel listed without one.
const DefaultSentinelPort = "26379"

// SentinelURL is a parsed redis-sentinel:// redis_url. The grammar lives
// here, beside its validation, so that `config check` and the process that
// connects (internal/redisconn) can never disagree about it.
type SentinelURL struct {
	Addrs    []string // host:port of each Sentinel
	Master   string
	Username string // the master's
	Password string // the master's
	DB       int
}

// ParseSentinelURL reads a redis-sentinel:// URL. Errors never quote it: it
// may hold a password.
func ParseSentinelURL(s string) (SentinelURL, error) {
	const example = "redis-sentinel://host1:26379,host2:26379/0?master=mymaster"
	u, err := url.Parse(s)
	if err != nil || u.Scheme != sentinelScheme {
		return SentinelURL{}, errors.New("must be a redis-sentinel:// URL, like " + example)
	}
	if u.Host == "" {
		return SentinelURL{}, errors.New("must list the Sentinels' host:port, like " + example)
	}
	var su SentinelURL
	if su.Addrs, err = splitAddrs(u.Host, DefaultSentinelPort); err != nil {
		return SentinelURL{}, errors.New("each Sentinel must be host or host:port (IPv6 literals: one Sentinel only, or use names), like " + example)
	}
	q := u.Query()
	if su.Master = q.Get("master"); su.Master == "" {
		return SentinelURL{}, errors.New("must name the master with ?master=NAME, like " + example)
	}
	for k := range q {
		if k != "master" {
			return SentinelURL{}, fmt.Errorf("unknown query parameter %q (only master is supported)", k)
		}
	}
	if u.User != nil {
		su.Username = u.User.Username()
		su.Password, _ = u.User.Password()
	}
	if su.DB, err = parseDB(u.Path); err != nil {
		return SentinelURL{}, err
	}
	return su, nil
}

// parseDB reads the database number in a Redis URL's path ("" or "/" is 0).
func parseDB(path string) (int, error) {
	db := strings.TrimPrefix(path, "/")
	if db == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(db)
	if err != nil || n < 0 {
		return 0, errors.New("the database in the path must be a number, like /0")
	}
	return n, nil
}
