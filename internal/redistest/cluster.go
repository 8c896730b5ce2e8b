package redistest

import (
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/internal/keyslot"
	"github.com/redis/go-redis/v9"
)

// Cluster is a real Redis Cluster of three masters, each with one replica:
// six redis-server processes on loopback, formed by redis-cli --cluster
// create, as an operator forms one.
type Cluster struct {
	t        testing.TB
	Nodes    []*Server
	password string
}

// ClusterOptions shape a cluster.
type ClusterOptions struct {
	// NodeTimeout is cluster-node-timeout: how long a master may be
	// unreachable before its replica takes over. The default, 2 s, makes
	// a failover take a few seconds.
	NodeTimeout time.Duration
	// Password, when set, is every node's requirepass and masterauth.
	Password string
	// Args are more redis-server arguments for every node.
	Args []string
}

// clusterReady bounds how long forming a cluster or a failover may take.
const clusterReady = 60 * time.Second

// StartCluster starts six redis-servers in cluster mode (appendonly, fsync
// every write, noeviction), joins them into three masters with a replica
// each and waits until every node says cluster_state:ok and serves all
// 16384 slots. Everything stops at cleanup. Without redis-server or
// redis-cli it skips the test locally and fails it under CI.
func StartCluster(t testing.TB, o ClusterOptions) *Cluster {
	t.Helper()
	cli := lookBin(t, "redis-cli", "redis-tools")
	if o.NodeTimeout <= 0 {
		o.NodeTimeout = 2 * time.Second
	}
	c := &Cluster{t: t, password: o.Password}
	args := []string{"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
		"--cluster-node-timeout", strconv.FormatInt(o.NodeTimeout.Milliseconds(), 10)}
	if o.Password != "" {
		args = append(args, "--requirepass", o.Password, "--masterauth", o.Password)
	}
	for range 6 {
		// The cluster bus defaults to the port plus 10000, which may be
		// taken or above 65535: it gets a free port of its own.
		bus := []string{"--cluster-port", strconv.Itoa(freePort(t))}
		c.Nodes = append(c.Nodes, Start(t, Options{AppendOnly: true, Args: slices.Concat(args, bus, o.Args)}))
	}
	create := []string{"--cluster", "create"}
	for _, n := range c.Nodes {
		create = append(create, n.Addr)
	}
	create = append(create, "--cluster-replicas", "1", "--cluster-yes")
	cmd := exec.Command(cli, create...)
	if o.Password != "" {
		cmd.Env = append(cmd.Environ(), "REDISCLI_AUTH="+o.Password)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	c.waitHealthy(nil)
	return c
}

// URL is a redis-cluster:// URL listing every node, for redis_url.
func (c *Cluster) URL() string {
	addrs := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		addrs[i] = n.Addr
	}
	userinfo := ""
	if c.password != "" {
		userinfo = ":" + c.password + "@"
	}
	return "redis-cluster://" + userinfo + strings.Join(addrs, ",")
}

// Client returns a cluster client that follows failovers within seconds,
// closed at cleanup.
func (c *Cluster) Client() *redis.ClusterClient {
	var addrs []string
	for _, n := range c.Nodes {
		addrs = append(addrs, n.Addr)
	}
	// As internal/redisconn does: go-redis's default, 60 s, keeps a client
	// on a dead master for a minute after the failover.
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs, Password: c.password, ClusterStateReloadInterval: time.Second})
	c.t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// Masters returns the nodes that are masters now, as the running nodes see
// it.
func (c *Cluster) Masters() []*Server {
	c.t.Helper()
	var ms []*Server
	for _, n := range c.nodes() {
		if n.master && !n.failed {
			ms = append(ms, c.node(n.addr))
		}
	}
	return ms
}

// MasterOf returns the master serving key now.
func (c *Cluster) MasterOf(key string) *Server {
	c.t.Helper()
	slot := Slot(key)
	for _, n := range c.nodes() {
		if n.master && !n.failed && n.serves(slot) {
			return c.node(n.addr)
		}
	}
	c.t.Fatalf("no master serves slot %d", slot)
	return nil
}

// KillMaster kills master with SIGKILL, first waiting until its replica
// has every write the master acknowledged (replication is asynchronous, so
// without this a failover may lose the last writes; see
// docs/OPERATIONS.md). It returns the replica, which will take over.
func (c *Cluster) KillMaster(master *Server) (replica *Server) {
	c.t.Helper()
	var id string
	nodes := c.nodes()
	for _, n := range nodes {
		if n.addr == master.Addr {
			id = n.id
		}
	}
	for _, n := range nodes {
		if !n.master && n.masterID == id && !n.failed {
			replica = c.node(n.addr)
		}
	}
	if id == "" || replica == nil {
		c.t.Fatalf("%s is not a master with a live replica", master.Addr)
	}
	ctx := context.Background()
	rdb := c.NodeClient(master)
	if n, err := rdb.Do(ctx, "WAIT", 1, 5000).Int(); err != nil || n < 1 {
		c.t.Fatalf("WAIT for %s's replica: %d %v", master.Addr, n, err)
	}
	master.Stop()
	return replica
}

// WaitFailover waits until replica has taken over from its dead master and
// every running node says the cluster is ok and serves all slots again.
func (c *Cluster) WaitFailover(replica *Server) {
	c.t.Helper()
	c.waitHealthy(replica)
}

// waitHealthy waits until every running node reports cluster_state:ok with
// all slots served by running masters and, when promoted is not nil, sees
// it as a master.
func (c *Cluster) waitHealthy(promoted *Server) {
	c.t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(clusterReady)
	for {
		why := ""
		for _, s := range c.Nodes {
			if s.cmd == nil {
				continue
			}
			rdb := c.plain(s.Addr)
			info, err := rdb.ClusterInfo(ctx).Result()
			_ = rdb.Close()
			switch {
			case err != nil:
				why = fmt.Sprintf("%s: %v", s.Addr, err)
			case !strings.Contains(info, "cluster_state:ok"), !strings.Contains(info, "cluster_slots_ok:16384"):
				why = fmt.Sprintf("%s: %s", s.Addr, info)
			}
			if why != "" {
				break
			}
		}
		if why == "" {
			why = c.servedByRunning(promoted)
		}
		if why == "" {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("the cluster is not healthy after %s: %s", clusterReady, why)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// servedByRunning says what is wrong, if anything, with the running nodes'
// view: each of them must see every slot served by a running master, and
// promoted among the masters.
func (c *Cluster) servedByRunning(promoted *Server) string {
	for _, s := range c.Nodes {
		if s.cmd == nil {
			continue
		}
		nodes, err := c.clusterNodes(s.Addr)
		if err != nil {
			return err.Error()
		}
		covered, seen := 0, 0
		for _, n := range nodes {
			if n.failed {
				continue
			}
			seen++
			if !n.master {
				continue
			}
			if len(n.slots) == 0 { // a replica not yet known as one
				return fmt.Sprintf("%s sees %s as a master without slots", s.Addr, n.addr)
			}
			if srv := c.find(n.addr); srv == nil || srv.cmd == nil {
				return fmt.Sprintf("%s sees stopped %s as a master", s.Addr, n.addr)
			}
			for _, r := range n.slots {
				covered += r[1] - r[0] + 1
			}
		}
		if running := c.running(); seen != running {
			return fmt.Sprintf("%s sees %d nodes up, %d are running", s.Addr, seen, running)
		}
		// CLUSTER SLOTS, where clients learn the nodes, leaves out a
		// replica until its first sync is done.
		if listed, err := c.slotsNodes(s.Addr); err != nil || listed != c.running() {
			return fmt.Sprintf("%s lists %d nodes in CLUSTER SLOTS (%v)", s.Addr, listed, err)
		}
		if covered != 16384 {
			return fmt.Sprintf("%s sees %d slots served", s.Addr, covered)
		}
		if promoted != nil && !slices.ContainsFunc(nodes, func(n clusterNode) bool { return n.addr == promoted.Addr && n.master }) {
			return fmt.Sprintf("%s does not see %s as a master yet", s.Addr, promoted.Addr)
		}
	}
	return ""
}

// slotsNodes counts the nodes that addr's CLUSTER SLOTS names.
func (c *Cluster) slotsNodes(addr string) (int, error) {
	rdb := c.plain(addr)
	defer rdb.Close()
	//lint:ignore SA1019 CLUSTER SLOTS is what go-redis's cluster client reads its map from, which is what this waits for
	slots, err := rdb.ClusterSlots(context.Background()).Result()
	if err != nil {
		return 0, err
	}
	seen := map[string]bool{}
	for _, r := range slots {
		for _, n := range r.Nodes {
			seen[n.Addr] = true
		}
	}
	return len(seen), nil
}

// clusterNode is one line of CLUSTER NODES.
type clusterNode struct {
	id, addr, masterID string
	master, failed     bool
	slots              [][2]int
}

func (n clusterNode) serves(slot int) bool {
	for _, r := range n.slots {
		if slot >= r[0] && slot <= r[1] {
			return true
		}
	}
	return false
}

// nodes is CLUSTER NODES as the first running node answers it.
func (c *Cluster) nodes() []clusterNode {
	c.t.Helper()
	for _, s := range c.Nodes {
		if s.cmd == nil {
			continue
		}
		nodes, err := c.clusterNodes(s.Addr)
		if err != nil {
			c.t.Fatal(err)
		}
		return nodes
	}
	c.t.Fatal("no node of the cluster is running")
	return nil
}

func (c *Cluster) clusterNodes(addr string) ([]clusterNode, error) {
	rdb := c.plain(addr)
	defer rdb.Close()
	out, err := rdb.ClusterNodes(context.Background()).Result()
	if err != nil {
		return nil, fmt.Errorf("CLUSTER NODES on %s: %w", addr, err)
	}
	var nodes []clusterNode
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 8 {
			continue
		}
		flags := strings.Split(f[2], ",")
		n := clusterNode{id: f[0], addr: strings.SplitN(f[1], "@", 2)[0], masterID: f[3],
			master: slices.Contains(flags, "master"),
			failed: slices.Contains(flags, "fail") || slices.Contains(flags, "fail?") || f[7] != "connected"}
		for _, r := range f[8:] {
			if strings.HasPrefix(r, "[") { // a slot being migrated
				continue
			}
			lo, hi, found := strings.Cut(r, "-")
			if !found {
				hi = lo
			}
			a, err1 := strconv.Atoi(lo)
			b, err2 := strconv.Atoi(hi)
			if err1 == nil && err2 == nil {
				n.slots = append(n.slots, [2]int{a, b})
			}
		}
		nodes = append(nodes, n)
	}
	return nodes, nil
}

// NodeClient returns a client of node alone (not following the cluster),
// with the cluster's password, closed at cleanup.
func (c *Cluster) NodeClient(node *Server) *redis.Client {
	rdb := c.plain(node.Addr)
	c.t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// plain is a client of one node; the caller closes it.
func (c *Cluster) plain(addr string) *redis.Client {
	return redis.NewClient(&redis.Options{Addr: addr, Password: c.password})
}

func (c *Cluster) running() int {
	n := 0
	for _, s := range c.Nodes {
		if s.cmd != nil {
			n++
		}
	}
	return n
}

func (c *Cluster) find(addr string) *Server {
	for _, s := range c.Nodes {
		if s.Addr == addr {
			return s
		}
	}
	return nil
}

func (c *Cluster) node(addr string) *Server {
	c.t.Helper()
	s := c.find(addr)
	if s == nil {
		c.t.Fatalf("%s is not a node of this cluster", addr)
	}
	return s
}

// Slot is the cluster hash slot of key (internal/keyslot, the same
// function the service uses).
func Slot(key string) int { return keyslot.Slot(key) }
