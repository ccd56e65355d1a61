// Package lktest runs a real LiveKit deployment for tests: redis-server
// (Debian's) and livekit-server nodes (built from the Go module proxy by
// scripts/install-deps.sh) as child processes on 127.0.0.1, on free ports,
// stopped when the test ends. Run the tests that use it inside a
// loopback-only network namespace (internal/netns).
//
// WebRTC does not use loopback addresses (LiveKit's Go SDK, like
// browsers, gathers no loopback candidates), so the servers and
// participants talk over Addr, an address on a veth interface the first
// call adds to the test's own network namespace.
//
// Without the binaries, Redis and Node skip the test, or fail it when
// RTCSTREAM_REQUIRE_LIVEKIT=1.
package lktest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rtcstream/rtcstream/internal/childproc"
	"github.com/rtcstream/rtcstream/internal/netns"
)

// RequireEnv set to "1" makes a missing binary fail the test, not skip it.
const RequireEnv = "RTCSTREAM_REQUIRE_LIVEKIT"

// ServerEnv names the livekit-server binary to use, if set.
const ServerEnv = "RTCSTREAM_LIVEKIT_SERVER"

// APIKey and APISecret are the key pair every Node accepts.
const (
	APIKey    = "rtcstream-test"
	APISecret = "rtcstream-test-secret-of-thirty-two-chars-or-more"
)

// Addr is the address the rig's servers and participants use.
const Addr = "10.77.0.1"

var ifaceOnce sync.Once
var ifaceErr error

// Interface adds Addr on a veth interface (the kernel may lack dummy ones), once per process; it fails t
// outside a network namespace of the test's own (internal/netns).
func Interface(t testing.TB) string {
	t.Helper()
	if !netns.Inside() {
		t.Fatal("lktest: run the test in a network namespace of its own (internal/netns): it adds an interface")
	}
	ifaceOnce.Do(func() {
		for _, args := range [][]string{
			{"link", "add", "lk0", "type", "veth", "peer", "name", "lk1"},
			{"addr", "add", Addr + "/24", "dev", "lk0"},
			{"link", "set", "lk0", "up"},
			{"link", "set", "lk1", "up"},
		} {
			if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
				ifaceErr = fmt.Errorf("ip %v: %v: %s", args, err, out)
				return
			}
		}
	})
	if ifaceErr != nil {
		t.Fatal("lktest: ", ifaceErr)
	}
	return Addr
}

// binary finds a server binary, or skips or fails t.
func binary(t testing.TB, name string, candidates ...string) string {
	t.Helper()
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	msg := fmt.Sprintf("lktest: %s is not installed (scripts/install-deps.sh installs it)", name)
	if os.Getenv(RequireEnv) == "1" {
		t.Fatal(msg + "; " + RequireEnv + "=1 requires it")
	}
	t.Skip(msg)
	return ""
}

// LiveKitBinary returns the livekit-server binary, or skips or fails t.
func LiveKitBinary(t testing.TB) string {
	home, _ := os.UserHomeDir()
	return binary(t, "livekit-server", os.Getenv(ServerEnv), "livekit-server",
		filepath.Join(home, ".cache", "rtcstream", "bin", "livekit-server"))
}

// Redis runs a redis-server without persistence and returns its address.
func Redis(t testing.TB) string {
	t.Helper()
	bin := binary(t, "redis-server", "redis-server")
	port := freePort(t)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	p, err := childproc.Start(exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--protected-mode", "no"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Stop(3 * time.Second) })
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := rdb.Ping(ctx).Err()
		cancel()
		if err == nil {
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("lktest: redis-server did not answer on %s: %v\n%s", addr, err, p.Tail(20))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Node is a running livekit-server.
type Node struct {
	ID   string // the node's ID (ND_...); a restart changes it
	URL  string // ws://Addr:port
	HTTP string // http://Addr:port
	bin  string
	conf string // the configuration file
	proc *childproc.Proc
}

// NodeOptions configure a Node.
type NodeOptions struct {
	// Redis is the address of the Redis the nodes share; empty runs a
	// single node on its own.
	Redis string
}

var nodeIDRe = regexp.MustCompile(`"nodeID": "(ND_[A-Za-z0-9]+)"`)

// StartNode runs a livekit-server node for t and returns once it serves.
func StartNode(t testing.TB, o NodeOptions) *Node {
	t.Helper()
	bin := LiveKitBinary(t)
	var errs []error
	for range 3 { // a free port can be taken before the server binds it
		n, err := startNode(t, bin, o)
		if err == nil {
			return n
		}
		errs = append(errs, err)
	}
	t.Fatalf("lktest: livekit-server did not start: %v", errors.Join(errs...))
	return nil
}

func startNode(t testing.TB, bin string, o NodeOptions) (*Node, error) {
	ip := Interface(t)
	port, rtcTCP, rtcUDP := freePort(t), freePort(t), freePort(t)
	conf := fmt.Sprintf(`port: %d
bind_addresses: ["%s"]
rtc:
  tcp_port: %d
  udp_port: %d
  use_external_ip: false
  node_ip: %s
keys:
  %s: %s
room:
  empty_timeout: 10
  departure_timeout: 5
logging:
  level: info
`, port, ip, rtcTCP, rtcUDP, ip, APIKey, APISecret)
	if o.Redis != "" {
		conf += fmt.Sprintf("redis:\n  address: %s\n", o.Redis)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "livekit.yaml")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		return nil, err
	}
	n := &Node{URL: fmt.Sprintf("ws://%s:%d", ip, port), HTTP: fmt.Sprintf("http://%s:%d", ip, port), bin: bin, conf: path}
	if err := n.start(); err != nil {
		return nil, err
	}
	t.Cleanup(func() {
		n.Stop()
		if t.Failed() {
			t.Logf("lktest: livekit-server %s (%s) logged (last lines):\n%s", n.ID, n.URL, n.proc.Tail(60))
		}
	})
	return n, nil
}

// start runs the node's process and waits until it serves.
func (n *Node) start() error {
	cmd := exec.Command(n.bin, "--config", n.conf)
	cmd.Dir = filepath.Dir(n.conf)
	p, err := childproc.Start(cmd)
	if err != nil {
		return err
	}
	n.proc = p
	deadline := time.Now().Add(30 * time.Second)
	for {
		if resp, err := http.Get(n.HTTP); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case <-p.Exited():
			return fmt.Errorf("livekit-server exited:\n%s", p.Tail(30))
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.Kill()
			return fmt.Errorf("livekit-server did not serve on %s:\n%s", n.HTTP, p.Tail(30))
		}
	}
	if m := nodeIDRe.FindStringSubmatch(p.Log()); m != nil {
		n.ID = m[1]
	}
	return nil
}

// Restart stops the node and starts it again on the same ports: its rooms
// are gone.
func (n *Node) Restart(t testing.TB) {
	t.Helper()
	n.Stop()
	if err := n.start(); err != nil {
		t.Fatalf("lktest: restarting %s: %v", n.URL, err)
	}
}

// Log returns the node's log so far.
func (n *Node) Log() string { return n.proc.Log() }

// Stop stops the node.
func (n *Node) Stop() { n.proc.Stop(5 * time.Second) }

// freePort finds a port free for both UDP and TCP on Addr and loopback.
func freePort(t testing.TB) int {
	t.Helper()
	ip := Interface(t)
	for range 20 {
		u, err := net.ListenPacket("udp4", ip+":0")
		if err != nil {
			t.Fatal(err)
		}
		port := strconv.Itoa(u.LocalAddr().(*net.UDPAddr).Port)
		ok := true
		var held []io.Closer
		for _, a := range []string{"127.0.0.1", ip} {
			l, err := net.Listen("tcp4", net.JoinHostPort(a, port))
			if err != nil {
				ok = false
				break
			}
			held = append(held, l)
		}
		u.Close()
		for _, c := range held {
			c.Close()
		}
		if ok {
			n, _ := strconv.Atoi(port)
			return n
		}
	}
	t.Fatal("lktest: no port free for both UDP and TCP")
	return 0
}
