// Package redistest starts a real redis-server on a free loopback port for
// integration tests, or a Sentinel, or a whole Redis Cluster (cluster.go). When redis-server is not installed the test is skipped
// locally and fails under CI (CI=true), where .ci/run installs it.
package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Server is one redis-server child process.
type Server struct {
	t    testing.TB
	Addr string
	dir  string
	args []string
	cmd  *exec.Cmd
}

// Options shape the server.
type Options struct {
	// AppendOnly turns on the append-only file, fsync every write, so a
	// restart keeps everything acknowledged.
	AppendOnly bool
	// Args are more redis-server arguments, given last so they override
	// the defaults ("--maxmemory-policy", "allkeys-lru").
	Args []string
}

// Start runs a redis-server for the test and stops it at cleanup.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	bin := lookRedis(t)
	s := &Server{t: t, dir: t.TempDir(), Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(freePort(t)))}
	_, port, _ := net.SplitHostPort(s.Addr)
	s.args = []string{"--bind", "127.0.0.1", "--port", port, "--dir", s.dir, "--save", "", "--protected-mode", "yes",
		"--maxmemory-policy", "noeviction", "--loglevel", "warning"}
	if o.AppendOnly {
		s.args = append(s.args, "--appendonly", "yes", "--appendfsync", "always")
	} else {
		s.args = append(s.args, "--appendonly", "no")
	}
	s.args = append(s.args, o.Args...)
	s.args = append([]string{bin}, s.args...)
	s.start()
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) start() {
	s.t.Helper()
	s.cmd = exec.Command(s.args[0], s.args[1:]...)
	log, err := os.Create(filepath.Join(s.dir, fmt.Sprintf("redis-%d.log", time.Now().UnixNano())))
	if err == nil {
		s.cmd.Stdout, s.cmd.Stderr = log, log
	}
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("start redis-server: %v", err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr})
	defer rdb.Close()
	deadline := time.Now().Add(10 * time.Second)
	// NOAUTH is an answer too: a server with requirepass is up.
	for err := rdb.Ping(context.Background()).Err(); err != nil && !strings.HasPrefix(err.Error(), "NOAUTH"); err = rdb.Ping(context.Background()).Err() {
		if time.Now().After(deadline) {
			s.t.Fatalf("redis-server on %s did not answer", s.Addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop kills the server (SIGKILL: nothing is flushed beyond what fsync did).
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

// Terminate stops the server as an operator's restart does (SIGTERM): it
// finishes the command in hand, writes what it must and exits; the
// clients' connections are closed under them.
func (s *Server) Terminate() {
	s.t.Helper()
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	_ = s.cmd.Wait()
	s.cmd = nil
}

// Start starts a stopped server again on the same port and data directory.
func (s *Server) Start() {
	s.t.Helper()
	if s.cmd == nil {
		s.start()
	}
}

// Pause stops the server with SIGSTOP: it keeps its connections and its
// port but answers nothing, a stalled Redis. The test's cleanup always
// continues it (SIGCONT), before it is stopped.
func (s *Server) Pause() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		s.t.Fatalf("SIGSTOP redis-server: %v", err)
	}
	s.t.Cleanup(s.Resume)
}

// Resume continues a paused server (SIGCONT); a running one is unaffected.
func (s *Server) Resume() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGCONT)
	}
}

// Restart starts the server again on the same port and data directory.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.start()
}

// URL is the redis:// URL of the server.
func (s *Server) URL() string { return "redis://" + s.Addr + "/0" }

// Client returns a client closed at cleanup.
func (s *Server) Client() *redis.Client {
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr})
	s.t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// lookRedis finds redis-server: missing, it skips the test locally and
// fails it under CI (CI=true), where .ci/run installs it.
func lookRedis(t testing.TB) string {
	t.Helper()
	return lookBin(t, "redis-server", "redis-server")
}

// lookBin finds the program name, which Debian's package pkg installs:
// missing, it skips the test locally and fails it under CI (CI=true),
// where .ci/run installs it.
func lookBin(t testing.TB, name, pkg string) string {
	t.Helper()
	bin, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not found in CI: %v", name, err)
		}
		t.Skipf("%s not installed; apt-get install %s", name, pkg)
	}
	return bin
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Sentinel is one redis-server running in Sentinel mode, watching a master.
type Sentinel struct {
	*Server
	// Master is the name the master is monitored under.
	Master string
}

// URL is a redis-sentinel:// URL for cancelsync's redis_url.
func (s *Sentinel) URL() string {
	return "redis-sentinel://" + s.Addr + "/0?master=" + s.Master
}

// StartSentinel runs a Sentinel that monitors master under the name
// master with a quorum of one, so that it alone can fail over (in about
// downAfter plus a second or two). It stops at cleanup.
func StartSentinel(t testing.TB, master *Server, name string, downAfter time.Duration) *Sentinel {
	t.Helper()
	bin := lookRedis(t)
	s := &Server{t: t, dir: t.TempDir(), Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(freePort(t)))}
	host, port, _ := net.SplitHostPort(s.Addr)
	mhost, mport, _ := net.SplitHostPort(master.Addr)
	// Sentinel rewrites its config file, so it must be its own and writable.
	conf := filepath.Join(s.dir, "sentinel.conf")
	body := fmt.Sprintf("bind %s\nport %s\ndir %s\nsentinel monitor %s %s %s 1\n"+
		"sentinel down-after-milliseconds %s %d\nsentinel failover-timeout %s 10000\n",
		host, port, s.dir, name, mhost, mport, name, downAfter.Milliseconds(), name)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	s.args = []string{bin, conf, "--sentinel", "--loglevel", "warning"}
	s.start()
	t.Cleanup(s.Stop)
	return &Sentinel{Server: s, Master: name}
}

// StartReplica runs a redis-server replicating master and waits until the
// initial sync is done.
func StartReplica(t testing.TB, master *Server) *Server {
	t.Helper()
	r := Start(t, Options{})
	rdb := r.Client()
	mhost, mport, _ := net.SplitHostPort(master.Addr)
	ctx := context.Background()
	if err := rdb.Do(ctx, "REPLICAOF", mhost, mport).Err(); err != nil {
		t.Fatalf("REPLICAOF: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		info, _ := rdb.Info(ctx, "replication").Result()
		if strings.Contains(info, "master_link_status:up") {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica %s did not sync with %s:\n%s", r.Addr, master.Addr, info)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
