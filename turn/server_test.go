package turn_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"image"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pion/logging"
	pturn "github.com/pion/turn/v5"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/https"
	"github.com/rtcstream/rtcstream/turn"
)

// turnServer starts a Server on loopback, closed when t ends.
func turnServer(t *testing.T, opts turn.ServerOptions) *turn.Server {
	t.Helper()
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	ts, err := turn.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ts.Close() })
	return ts
}

// pageConfig serves a Stream whose connections get ts's credentials, and
// returns what its page is given for one connection (GET /webrtc/config).
func pageConfig(t *testing.T, ts *turn.Server) rtcstream.RTCConfiguration {
	t.Helper()
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive,
		func(img image.Image) image.Image { return img }, &rtcstream.Options{RTCConfigurationFunc: ts.RTCConfiguration})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(func() { srv.Close(); s.Close() })
	resp, err := http.Get(srv.URL + "/webrtc/config")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var reply struct {
		RTC rtcstream.RTCConfiguration `json:"rtc_configuration"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&reply); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /webrtc/config: %d %v", resp.StatusCode, err)
	}
	return reply.RTC
}

// turnClient is pion's TURN client on conn (UDP, or a STUN-framed TCP or
// TLS connection), closed when t ends.
func turnClient(t *testing.T, conn net.PacketConn, server string, ice rtcstream.ICEServer) *pturn.Client {
	t.Helper()
	lf := logging.NewDefaultLoggerFactory()
	lf.DefaultLogLevel = logging.LogLevelDisabled
	c, err := pturn.NewClient(&pturn.ClientConfig{
		TURNServerAddr: server, Username: ice.Username, Password: ice.Credential,
		Conn: conn, LoggerFactory: lf, RTO: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	if err := c.Listen(); err != nil {
		t.Fatal(err)
	}
	return c
}

// allocateUDP makes an allocation over UDP with ice's credential.
func allocateUDP(t *testing.T, server string, ice rtcstream.ICEServer) (net.PacketConn, error) {
	t.Helper()
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return allocate(t, turnClient(t, conn, server, ice))
}

func allocate(t *testing.T, c *pturn.Client) (net.PacketConn, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	relay, err := c.AllocateWithContext(ctx)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { relay.Close() })
	return relay, nil
}

// relays checks that datagrams sent through relay reach peer and that
// its replies come back: the traffic of a browser's relayed ICE pair. It
// sends again until a reply comes (pion's client drops data that comes as
// its channel binding completes).
func relays(relay, peer net.PacketConn) error {
	heard := make(chan struct{}, 1)
	go func() {
		buf := make([]byte, 1500)
		_ = peer.SetReadDeadline(time.Now().Add(3 * time.Second))
		for {
			n, from, err := peer.ReadFrom(buf)
			if err != nil {
				return
			}
			if string(buf[:n]) == "ping" {
				select {
				case heard <- struct{}{}:
				default:
				}
				_, _ = peer.WriteTo([]byte("pong"), from)
			}
		}
	}()
	got := make(chan error, 1)
	go func() {
		buf := make([]byte, 1500)
		_ = relay.SetReadDeadline(time.Now().Add(3 * time.Second))
		n, _, err := relay.ReadFrom(buf)
		if err == nil && string(buf[:n]) != "pong" {
			err = fmt.Errorf("got %q", buf[:n])
		}
		got <- err
	}()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		if _, err := relay.WriteTo([]byte("ping"), peer.LocalAddr()); err != nil {
			return fmt.Errorf("sending through the relay: %w", err)
		}
		select {
		case err := <-got:
			if err != nil {
				select {
				case <-heard:
					return fmt.Errorf("the peer heard the relay, but its reply did not come back: %w", err)
				default:
					return fmt.Errorf("the peer heard nothing: %w", err)
				}
			}
			return nil
		case <-tick.C:
		}
	}
}

func listenUDP(t *testing.T, addr string) net.PacketConn {
	t.Helper()
	c, err := net.ListenPacket("udp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// The page's configuration carries one fresh credential and the server's
// URLs on the page's own host; the server's own side gets none.
func TestServerHandsOutCredentials(t *testing.T) {
	ts := turnServer(t, turn.ServerOptions{RelayOnly: true})
	a, b := pageConfig(t, ts), pageConfig(t, ts)
	if len(a.ICEServers) != 1 || len(a.ICEServers[0].URLs) != 2 {
		t.Fatalf("configuration %+v, want one server with a UDP and a TCP URL", a)
	}
	port := ts.UDPAddr().(*net.UDPAddr).Port
	for i, want := range []string{
		fmt.Sprintf("turn:127.0.0.1:%d?transport=udp", port),
		fmt.Sprintf("turn:127.0.0.1:%d?transport=tcp", port),
	} {
		if a.ICEServers[0].URLs[i] != want {
			t.Errorf("URL %q, want %q", a.ICEServers[0].URLs[i], want)
		}
	}
	if a.ICEServers[0].Username == b.ICEServers[0].Username || a.ICEServers[0].Credential == b.ICEServers[0].Credential {
		t.Error("two connections were given the same credential")
	}
	if a.ICETransportPolicy != "relay" {
		t.Errorf("policy %q with RelayOnly, want relay", a.ICETransportPolicy)
	}
	if cfg, err := ts.RTCConfiguration(context.Background()); cfg != nil || err != nil {
		t.Errorf("the server's own side got %+v, %v; want nothing", cfg, err)
	}
}

// A credential relays over UDP and TCP to the rtcstream server's
// addresses, and nowhere else.
func TestServerRelaysToThisMachineOnly(t *testing.T) {
	ts := turnServer(t, turn.ServerOptions{})
	ice := pageConfig(t, ts).ICEServers[0]
	relay, err := allocateUDP(t, ts.UDPAddr().String(), ice)
	if err != nil {
		t.Fatal(err)
	}
	if err := relays(relay, listenUDP(t, "127.0.0.1:0")); err != nil {
		t.Errorf("over UDP: %v", err)
	}
	// Over TCP, with the same credential.
	tc, err := net.Dial("tcp", ts.TCPAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tc.Close() })
	relayTCP, err := allocate(t, turnClient(t, pturn.NewSTUNConn(tc), ts.TCPAddr().String(), ice))
	if err != nil {
		t.Fatalf("allocating over TCP: %v", err)
	}
	if err := relays(relayTCP, listenUDP(t, "127.0.0.1:0")); err != nil {
		t.Errorf("over TCP: %v", err)
	}
	// 127.0.0.2 answers on loopback but is none of the machine's
	// addresses: the permission is refused.
	if err := relays(relay, listenUDP(t, "127.0.0.2:0")); err == nil {
		t.Error("relayed to an address that is not the server's")
	}
	if n := ts.Allocations(); n != 2 {
		t.Errorf("%d allocations, want 2", n)
	}
}

// Credentials are checked: a wrong password, another realm's or a made-up
// username makes no relay; an expired credential makes no new relay, but
// the relay it made in time lives on (new permissions included); one
// credential makes MaxPerCredential relays at a time.
func TestServerCredentials(t *testing.T) {
	ts := turnServer(t, turn.ServerOptions{TTL: time.Second, MaxPerCredential: 2, PeerIPs: []string{"127.0.0.2"}})
	addr := ts.UDPAddr().String()
	ice := pageConfig(t, ts).ICEServers[0]
	for name, bad := range map[string]rtcstream.ICEServer{
		"a wrong password": {Username: ice.Username, Credential: ice.Credential + "x"},
		"a made-up user":   {Username: "rtcstream", Credential: ice.Credential},
		"no expiry":        {Username: "x:" + strings.SplitN(ice.Username, ":", 2)[1], Credential: ice.Credential},
	} {
		if _, err := allocateUDP(t, addr, bad); err == nil {
			t.Errorf("%s made a relay", name)
		}
	}
	first, err := allocateUDP(t, addr, ice)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := allocateUDP(t, addr, ice); err != nil {
		t.Fatalf("the second relay of a credential: %v", err)
	}
	if _, err := allocateUDP(t, addr, ice); err == nil {
		t.Error("a third relay for one credential, over MaxPerCredential 2")
	}
	if _, err := allocateUDP(t, addr, pageConfig(t, ts).ICEServers[0]); err != nil {
		t.Errorf("another credential at the first's limit: %v", err)
	}
	time.Sleep(2100 * time.Millisecond) // past the TTL, in whole seconds
	if _, err := allocateUDP(t, addr, pageConfig(t, ts).ICEServers[0]); err != nil {
		t.Errorf("a fresh credential after the first expired: %v", err)
	}
	// The first credential is spent for new relays (one of its two is
	// closed, so the quota would not refuse it).
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := allocateUDP(t, addr, ice); err == nil {
		t.Error("an expired credential made a new relay")
	}
}

// A relay made in time lives on after its credential expires: it asks
// for new permissions with it (a new peer address), as a long session's
// browser does.
func TestServerRelayOutlivesItsCredential(t *testing.T) {
	ts := turnServer(t, turn.ServerOptions{TTL: time.Second, PeerIPs: []string{"127.0.0.2"}})
	relay, err := allocateUDP(t, ts.UDPAddr().String(), pageConfig(t, ts).ICEServers[0])
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(2100 * time.Millisecond)
	if err := relays(relay, listenUDP(t, "127.0.0.2:0")); err != nil {
		t.Errorf("after its credential expired: %v", err)
	}
}

// TURN over TLS: the URL is handed out, and a relay is made over it.
func TestServerOverTLS(t *testing.T) {
	cfg, _, err := https.SelfSigned("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	ts := turnServer(t, turn.ServerOptions{Addr: "off", TLSAddr: "127.0.0.1:0", TLSConfig: cfg})
	ice := pageConfig(t, ts).ICEServers[0]
	want := fmt.Sprintf("turns:127.0.0.1:%d?transport=tcp", ts.TLSAddr().(*net.TCPAddr).Port)
	if len(ice.URLs) != 1 || ice.URLs[0] != want {
		t.Errorf("URLs %q, want [%s]", ice.URLs, want)
	}
	tc, err := tls.Dial("tcp", ts.TLSAddr().String(), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tc.Close() })
	relay, err := allocate(t, turnClient(t, pturn.NewSTUNConn(tc), ts.TLSAddr().String(), ice))
	if err != nil {
		t.Fatalf("allocating over TLS: %v", err)
	}
	if err := relays(relay, listenUDP(t, "127.0.0.1:0")); err != nil {
		t.Error(err)
	}
}

// Garbage on the UDP and TCP ports costs nothing: the server still relays.
func TestServerShrugsOffGarbage(t *testing.T) {
	ts := turnServer(t, turn.ServerOptions{})
	u, err := net.Dial("udp", ts.UDPAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	for i := range 200 {
		_, _ = u.Write([]byte(strings.Repeat(string(rune('a'+i%26)), i*7)))
		_, _ = u.Write([]byte{0, 1, 0, byte(i), 0x21, 0x12, 0xa4, 0x42})
	}
	var conns []net.Conn
	for i := range 20 {
		c, err := net.Dial("tcp", ts.TCPAddr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, _ = c.Write([]byte{0, 3, 0xff, 0xff, 0x21, 0x12, 0xa4, 0x42, byte(i)})
		conns = append(conns, c)
	}
	if _, err := net.Dial("tcp", ts.TCPAddr().String()); err != nil {
		t.Fatal(err)
	}
	relay, err := allocateUDP(t, ts.UDPAddr().String(), pageConfig(t, ts).ICEServers[0])
	if err != nil {
		t.Fatalf("after garbage: %v", err)
	}
	if err := relays(relay, listenUDP(t, "127.0.0.1:0")); err != nil {
		t.Error(err)
	}
}

func TestServerOptionsErrors(t *testing.T) {
	for name, opts := range map[string]turn.ServerOptions{
		"TLS without a certificate": {TLSAddr: "127.0.0.1:0"},
		"nothing to serve":          {Addr: "off"},
		"a bad peer":                {Addr: "127.0.0.1:0", PeerIPs: []string{"server"}},
		"a bad relay IP":            {Addr: "127.0.0.1:0", RelayIP: "x"},
		"no relay IP":               {Addr: ":0"}, // the test's namespace has only loopback
	} {
		if ts, err := turn.NewServer(opts); err == nil {
			ts.Close()
			t.Errorf("%s: no error", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

// A relay that carries nothing for RelayIdle is closed (its browser left
// without releasing it); one that carries traffic lives on.
func TestServerClosesIdleRelays(t *testing.T) {
	const idle = time.Second
	ts := turnServer(t, turn.ServerOptions{RelayIdle: idle, PeerIPs: []string{"127.0.0.2"}})
	ice := pageConfig(t, ts).ICEServers[0]
	busy, err := allocateUDP(t, ts.UDPAddr().String(), ice)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := allocateUDP(t, ts.UDPAddr().String(), ice); err != nil {
		t.Fatal(err)
	}
	if n := ts.Allocations(); n != 2 {
		t.Fatalf("%d relays after two allocations", n)
	}
	peer := listenUDP(t, "127.0.0.2:0")
	for end := time.Now().Add(3 * idle); time.Now().Before(end); time.Sleep(idle / 5) {
		if err := relays(busy, peer); err != nil {
			t.Fatalf("the busy relay: %v", err)
		}
	}
	if n := ts.Allocations(); n != 1 {
		t.Errorf("%d relays open after %v, one of them idle all along: want 1", n, 3*idle)
	}
	deadline := time.Now().Add(3 * idle)
	for ts.Allocations() > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := ts.Allocations(); n != 0 {
		t.Errorf("%d relays open %v after the last packet: want the idle one closed", n, 3*idle)
	}
}
