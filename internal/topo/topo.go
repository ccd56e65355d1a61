// Package topo builds a small network for a test, inside the test's own
// network namespace (internal/netns): a client namespace and a router
// namespace, each held open by a child process, joined to the test's
// namespace (the server's) by veth pairs. The router forwards, hides the
// client behind NAT (nftables masquerade) and can drop UDP like a
// corporate firewall; it counts what it forwards to the server.
//
//	client 10.0.2.2 --- 10.0.2.1 router 10.0.1.2 --- 10.0.1.1 server (the test)
//
// Every address is inside namespaces the test made: nothing outside them
// is reached. It needs root, iproute2, nftables and util-linux's nsenter.
package topo

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/rtcstream/rtcstream/internal/netns"
)

// The network's addresses.
const (
	ServerIP = "10.0.1.1"
	RouterIP = "10.0.1.2" // the server's side; what the server sees of a NATed client
	ClientIP = "10.0.2.2"
	// PublicIP is the server's address on the client's side of the router
	// under HideServer: a cloud VM's public address, mapped 1:1 to its
	// private one.
	PublicIP = "10.0.3.1"
)

// Net is a client behind a router, beside the test's own namespace.
type Net struct {
	Router, Client *NS
}

// NS is a network namespace held open by a sleeping child process.
type NS struct {
	name string
	cmd  *exec.Cmd
}

// Build makes the network for t, NATing the client, and tears it down
// when t ends. It skips t outside a test network namespace, where it
// would touch the host's network.
func Build(t testing.TB) *Net {
	t.Helper()
	if !netns.Inside() {
		t.Skip("topo: only inside the test's own network namespace (root, Linux)")
	}
	for _, bin := range []string{"ip", "nft", "nsenter"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("topo: %s is not installed (scripts/install-deps.sh)", bin)
		}
	}
	n := &Net{Router: newNS(t, "router"), Client: newNS(t, "client")}
	pid := func(ns *NS) string { return strconv.Itoa(ns.cmd.Process.Pid) }
	// The network is IPv4 only. An interface coming up with IPv6 gets a
	// link-local address whose duplicate detection ends a second later;
	// Chromium counts that as a network change and fails the requests in
	// flight (net::ERR_NETWORK_CHANGED: a page whose script was loading
	// then never ran, on a busy CI machine). So no namespace of the
	// network has IPv6: set before any interface is made or moved in.
	for _, ns := range []*NS{n.Router, n.Client} {
		ns.Run(t, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
	}
	// The server's side.
	run(t, "ip", "link", "add", "s0", "type", "veth", "peer", "name", "r0")
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", "s0").Run() })
	run(t, "ip", "link", "set", "r0", "netns", pid(n.Router))
	run(t, "sysctl", "-qw", "net.ipv6.conf.s0.disable_ipv6=1")
	run(t, "ip", "addr", "add", ServerIP+"/24", "dev", "s0")
	run(t, "ip", "link", "set", "s0", "up")
	// The client's side.
	run(t, "ip", "link", "add", "c0", "type", "veth", "peer", "name", "r1")
	run(t, "ip", "link", "set", "c0", "netns", pid(n.Client))
	run(t, "ip", "link", "set", "r1", "netns", pid(n.Router))

	n.Router.Run(t, "sysctl", "-qw", "net.ipv6.conf.r0.disable_ipv6=1", "net.ipv6.conf.r1.disable_ipv6=1")
	n.Client.Run(t, "sysctl", "-qw", "net.ipv6.conf.c0.disable_ipv6=1")
	n.Router.Run(t, "ip", "link", "set", "lo", "up")
	n.Router.Run(t, "ip", "addr", "add", RouterIP+"/24", "dev", "r0")
	n.Router.Run(t, "ip", "addr", "add", "10.0.2.1/24", "dev", "r1")
	n.Router.Run(t, "ip", "link", "set", "r0", "up")
	n.Router.Run(t, "ip", "link", "set", "r1", "up")
	n.Router.Run(t, "sysctl", "-qw", "net.ipv4.ip_forward=1")
	n.Client.Run(t, "ip", "link", "set", "lo", "up")
	n.Client.Run(t, "ip", "addr", "add", ClientIP+"/24", "dev", "c0")
	n.Client.Run(t, "ip", "link", "set", "c0", "up")
	n.Client.Run(t, "ip", "route", "add", "default", "via", "10.0.2.1")

	// Count what reaches the server by protocol; masquerade the client.
	n.Router.nft(t, `
table inet topo {
	chain forward {
		type filter hook forward priority 0; policy accept;
		ip daddr `+ServerIP+` meta l4proto udp counter comment "udp"
		ip daddr `+ServerIP+` meta l4proto tcp counter comment "tcp"
	}
}
table ip topo_nat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "r0" masquerade
	}
}`)
	return n
}

// DropUDP makes the router drop all UDP between client and server, as a
// firewall that lets only TCP out does. UDP is still counted.
func (n *Net) DropUDP(t testing.TB) {
	t.Helper()
	n.Router.nft(t, `add rule inet topo forward meta l4proto udp drop comment "firewall"`)
}

// HideServer puts the server behind 1:1 NAT, as a cloud VM is: the client
// reaches it at PublicIP only (the router maps it to ServerIP, and drops
// what the client sends to ServerIP itself), and what the server sends the
// client comes from PublicIP.
func (n *Net) HideServer(t testing.TB) {
	t.Helper()
	n.Router.nft(t, `
table ip topo_public {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		iifname "r1" ip daddr `+PublicIP+` dnat to `+ServerIP+`
	}
	chain post {
		type nat hook postrouting priority srcnat - 1; policy accept;
		oifname "r1" ip saddr `+ServerIP+` snat to `+PublicIP+`
	}
	chain forward {
		type filter hook forward priority -1; policy accept;
		iifname "r1" ip daddr `+ServerIP+` ct status dnat accept
		iifname "r1" ip daddr `+ServerIP+` drop
	}
}`)
}

// AllowOnlyTCP makes the router a stricter firewall: it drops all UDP,
// and all TCP towards the server except to ports, counting what it lets
// through to each (ForwardedTo).
func (n *Net) AllowOnlyTCP(t testing.TB, ports ...int) {
	t.Helper()
	rules := `add rule inet topo forward meta l4proto udp drop comment "firewall"` + "\n"
	set := ""
	for i, p := range ports {
		rules += fmt.Sprintf(`add rule inet topo forward ip daddr %s tcp dport %d counter comment "tcp:%d"`+"\n", ServerIP, p, p)
		if i > 0 {
			set += ", "
		}
		set += strconv.Itoa(p)
	}
	rules += fmt.Sprintf(`add rule inet topo forward ip daddr %s tcp dport != { %s } drop comment "firewall-tcp"`, ServerIP, set)
	n.Router.nft(t, rules)
}

// ForwardedTo returns the TCP packets the router let through to the
// server's port (one of AllowOnlyTCP's).
func (n *Net) ForwardedTo(t testing.TB, port int) int {
	t.Helper()
	out := n.Router.Run(t, "nft", "list", "chain", "inet", "topo", "forward")
	m := regexp.MustCompile(`counter packets (\d+) bytes \d+ comment "tcp:` + strconv.Itoa(port) + `"`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("topo: no counter for TCP port %d", port)
	}
	v, _ := strconv.Atoi(m[1])
	return v
}

// Forwarded returns the packets the router forwarded (or dropped, for
// UDP behind DropUDP) towards the server, by protocol.
func (n *Net) Forwarded(t testing.TB) (udp, tcp int) {
	t.Helper()
	out := n.Router.Run(t, "nft", "list", "chain", "inet", "topo", "forward")
	re := regexp.MustCompile(`counter packets (\d+) bytes \d+ comment "(udp|tcp)"`)
	for _, m := range re.FindAllStringSubmatch(out, -1) {
		v, _ := strconv.Atoi(m[1])
		if m[2] == "udp" {
			udp = v
		} else {
			tcp = v
		}
	}
	return udp, tcp
}

func newNS(t testing.TB, name string) *NS {
	t.Helper()
	cmd := exec.Command("sleep", "infinity")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("topo: a namespace for the %s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return &NS{name: name, cmd: cmd}
}

// Command returns a command that runs in the namespace.
func (ns *NS) Command(name string, args ...string) *exec.Cmd {
	return exec.Command("nsenter", append([]string{"-t", strconv.Itoa(ns.cmd.Process.Pid), "-n", "--", name}, args...)...)
}

// Run runs a command in the namespace and returns its output; t fails if
// it does.
func (ns *NS) Run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := ns.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("topo: in the %s: %s %s: %v\n%s", ns.name, name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (ns *NS) nft(t testing.TB, script string) {
	t.Helper()
	cmd := ns.Command("nft", "-f", "-")
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("topo: nft in the %s: %v\n%s\n%s", ns.name, err, out, script)
	}
}

func run(t testing.TB, name string, args ...string) {
	t.Helper()
	var out bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("topo: %s %s: %v\n%s", name, strings.Join(args, " "), err, out.String())
	}
}

// HelperEnv marks a test binary re-run as a client inside the client's
// namespace (see RunClient); its value is what the helper is to do.
const HelperEnv = "RTCSTREAM_TOPO_HELPER"

// RunClient runs this test binary's test named helper inside the client's
// namespace, with env added and HelperEnv set, and returns its output.
func (n *Net) RunClient(t testing.TB, helper string, env ...string) (string, error) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := n.Client.Command(exe, "-test.run", "^"+helper+"$", "-test.v", "-test.count=1")
	cmd.Env = append(append(os.Environ(), netns.EnvVar+"=1", HelperEnv+"=1"), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("topo: the client %s: %w", helper, err)
	}
	return string(out), nil
}
