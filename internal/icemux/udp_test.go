package icemux

import (
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/stun/v4"

	"github.com/rtcstream/rtcstream/internal/netns"
)

func TestMain(m *testing.M) { os.Exit(netns.RunTestsInNetNS(m)) }

// ip runs ip(8) in the test's namespace.
func ip(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// acquire acquires the UDP mux on port for the rest of t, as a session
// does.
func acquire(t *testing.T, port int, cfg Config) ice.UDPMux {
	t.Helper()
	mux, release, err := AcquireUDP(port, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(release)
	return mux
}

// listening returns the addresses mux hands a new session, as strings.
func listening(mux interface{ GetListenAddresses() []net.Addr }) []string {
	var out []string
	for _, a := range mux.GetListenAddresses() {
		out = append(out, a.String())
	}
	slices.Sort(out)
	return out
}

// A shared UDP port follows the machine's addresses while sessions hold
// it: a session acquiring it gets an address that came up after the first
// session opened it, not one that went away, and one that came back on
// the socket it kept, which still receives.
func TestUDPFollowsAddresses(t *testing.T) {
	if !netns.Inside() {
		t.Skip("adds addresses: only inside the test's own network namespace")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("ip(8) is not installed")
	}
	ip(t, "link", "add", "name", "m0", "type", "veth", "peer", "name", "m1")
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", "m0").Run() })
	ip(t, "addr", "add", "10.9.0.1/24", "dev", "m0")
	ip(t, "link", "set", "m0", "up")
	ip(t, "link", "set", "m1", "up")
	const port = 45123
	cfg := Config{Interfaces: []string{"m0"}}
	first := acquire(t, port, cfg)
	if got, want := listening(first), []string{"10.9.0.1:45123"}; !slices.Equal(got, want) {
		t.Fatalf("first session's addresses %q, want %q", got, want)
	}

	ip(t, "addr", "add", "10.9.1.2/24", "dev", "m0")
	second := acquire(t, port, cfg)
	if got, want := listening(second), []string{"10.9.0.1:45123", "10.9.1.2:45123"}; !slices.Equal(got, want) {
		t.Errorf("after an address came up: %q, want %q", got, want)
	}

	ip(t, "addr", "del", "10.9.0.1/24", "dev", "m0")
	third := acquire(t, port, cfg)
	if got, want := listening(third), []string{"10.9.1.2:45123"}; !slices.Equal(got, want) {
		t.Errorf("after an address went away: %q, want %q", got, want)
	}

	ip(t, "addr", "add", "10.9.0.1/24", "dev", "m0")
	fourth := acquire(t, port, cfg)
	if got, want := listening(fourth), []string{"10.9.0.1:45123", "10.9.1.2:45123"}; !slices.Equal(got, want) {
		t.Errorf("after it came back: %q, want %q", got, want)
	}
	// Both addresses deliver a session's packets: a STUN binding request
	// naming its ufrag reaches its connection.
	for _, a := range fourth.GetListenAddresses() {
		conn, err := fourth.GetConn("ufragA", a)
		if err != nil {
			t.Fatalf("GetConn on %s: %v", a, err)
		}
		req := stun.MustBuild(stun.TransactionID, stun.BindingRequest, stun.NewUsername("ufragA:remote"), stun.Fingerprint)
		c, err := net.Dial("udp", a.String())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write(req.Raw); err != nil {
			t.Fatal(err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 1500)
		n, _, err := conn.ReadFrom(buf)
		c.Close()
		if err != nil || n != len(req.Raw) {
			t.Errorf("on %s the session read %d bytes (%v), want the %d-byte request", a, n, err, len(req.Raw))
		}
	}
	fourth.RemoveConnByUfrag("ufragA")
}

// The port is closed on every address with its last release, and opened
// afresh by the next session.
func TestUDPClosesWithLastRelease(t *testing.T) {
	if !netns.Inside() {
		t.Skip("binds a fixed port: only inside the test's own network namespace")
	}
	const port = 45124
	cfg := Config{IncludeLoopback: true, Interfaces: []string{"lo"}}
	_, release1, err := AcquireUDP(port, cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, release2, err := AcquireUDP(port, cfg)
	if err != nil {
		t.Fatal(err)
	}
	release1()
	release1() // a second call does nothing
	if c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port}); err == nil {
		c.Close()
		t.Fatal("the port was free while a session held it")
	}
	release2()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		t.Fatalf("the port after the last release: %v", err)
	}
	c.Close()
}
