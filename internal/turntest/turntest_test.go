package turntest_test

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pion/logging"
	"github.com/pion/turn/v5"

	"github.com/rtcstream/rtcstream/internal/turntest"
	rturn "github.com/rtcstream/rtcstream/turn"
)

// allocate makes a TURN allocation on s with pion's client and returns the
// relayed connection; all is released when t ends.
func allocate(t *testing.T, s *turntest.Server, user, pass string) (net.PacketConn, error) {
	t.Helper()
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	lf := logging.NewDefaultLoggerFactory()
	lf.DefaultLogLevel = logging.LogLevelDisabled
	c, err := turn.NewClient(&turn.ClientConfig{
		TURNServerAddr: s.Addr(), Username: user, Password: pass, Realm: s.Realm, Conn: conn, LoggerFactory: lf,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	if err := c.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	relay, err := c.AllocateWithContext(ctx)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { relay.Close() })
	return relay, nil
}

// exchange sends a datagram each way between two relayed addresses until
// both arrive: the traffic a relay-only ICE pair carries.
func exchange(t *testing.T, a, b net.PacketConn) {
	t.Helper()
	got := make(chan string, 2)
	for _, p := range [][2]net.PacketConn{{a, b}, {b, a}} {
		go func() {
			buf := make([]byte, 1500)
			n, from, err := p[0].ReadFrom(buf)
			if err == nil {
				got <- fmt.Sprintf("%q from %v", buf[:n], from)
			}
		}()
	}
	deadline := time.After(5 * time.Second)
	for recv := 0; recv < 2; {
		a.WriteTo([]byte("to b"), b.LocalAddr())
		b.WriteTo([]byte("to a"), a.LocalAddr())
		select {
		case m := <-got:
			t.Logf("relayed %s", m)
			recv++
		case <-time.After(100 * time.Millisecond):
		case <-deadline:
			t.Fatal("no datagram relayed between the allocations")
		}
	}
}

func testContext(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestStaticUserRelays(t *testing.T) {
	s := turntest.Start(t, nil)
	if s.Host != "127.0.0.1" || s.Port == 0 || s.Username != turntest.DefaultUsername || s.Secret != "" {
		t.Fatalf("server %+v", s)
	}
	if want := "turn:127.0.0.1:" + fmt.Sprint(s.Port) + "?transport=udp"; s.URL() != want {
		t.Fatalf("URL %q, want %q", s.URL(), want)
	}
	if st := s.Stats(); st.Allocations != 0 {
		t.Fatalf("the readiness probe was counted: %+v", st)
	}
	a, err := allocate(t, s, s.Username, s.Password)
	if err != nil {
		t.Fatal(err)
	}
	b, err := allocate(t, s, s.Username, s.Password)
	if err != nil {
		t.Fatal(err)
	}
	if ip := a.LocalAddr().(*net.UDPAddr).IP; !ip.Equal(net.IPv4(127, 0, 0, 1)) {
		t.Fatalf("relayed address %v, want one on 127.0.0.1", a.LocalAddr())
	}
	exchange(t, a, b)

	ctx := testContext(t, 10*time.Second)
	st, err := s.Await(ctx, func(st turntest.Stats) bool { return st.Allocations == 2 && st.Permissions >= 2 })
	if err != nil {
		t.Fatalf("coturn logged %+v: %v", st, err)
	}
	if !slices.Equal(st.Usernames, []string{turntest.DefaultUsername}) {
		t.Fatalf("usernames %q", st.Usernames)
	}
	// Released allocations report their relayed traffic.
	a.Close()
	b.Close()
	st, err = s.Await(ctx, func(st turntest.Stats) bool { return st.Closed == 2 })
	if err != nil {
		t.Fatalf("coturn logged %+v: %v", st, err)
	}
	if st.PeerPacketsIn < 2 || st.PeerPacketsOut < 2 {
		t.Fatalf("relayed traffic %+v, want at least a datagram each way for each allocation", st)
	}
}

func TestStaticUserWrongPassword(t *testing.T) {
	s := turntest.Start(t, &turntest.Options{Username: "carol", Password: "right", Realm: "example.test"})
	if _, err := allocate(t, s, "carol", "wrong"); err == nil {
		t.Fatal("allocation granted with a wrong password")
	}
	st, err := s.Await(testContext(t, 5*time.Second), func(st turntest.Stats) bool { return st.Refused >= 1 })
	if err != nil || st.Allocations != 0 {
		t.Fatalf("coturn logged %+v (%v), want a refusal and no allocation", st, err)
	}
	if _, err := allocate(t, s, "carol", "right"); err != nil {
		t.Fatal(err)
	}
}

// The shared-secret server accepts package turn's credentials, and refuses
// a wrong secret and an expired credential.
func TestSharedSecret(t *testing.T) {
	s := turntest.Start(t, &turntest.Options{Secret: "north-sea-secret"})
	if s.Username != "" || s.Password != "" || s.Secret != "north-sea-secret" {
		t.Fatalf("server %+v", s)
	}
	user, pass := rturn.SharedSecretCredential("north-sea-secret", "dave", time.Now().Add(time.Minute))
	a, err := allocate(t, s, user, pass)
	if err != nil {
		t.Fatalf("allocation with a valid credential: %v", err)
	}
	cfg := rturn.SharedSecret([]string{s.URL()}, s.Secret, "erin", time.Minute)
	b, err := allocate(t, s, cfg.ICEServers[0].Username, cfg.ICEServers[0].Credential)
	if err != nil {
		t.Fatalf("allocation with SharedSecret's credential: %v", err)
	}
	exchange(t, a, b)

	for name, cred := range map[string][2]string{
		"wrong secret": func() [2]string {
			u, p := rturn.SharedSecretCredential("another-secret", "frank", time.Now().Add(time.Minute))
			return [2]string{u, p}
		}(),
		"expired": func() [2]string {
			u, p := rturn.SharedSecretCredential("north-sea-secret", "grace", time.Now().Add(-time.Minute))
			return [2]string{u, p}
		}(),
	} {
		if _, err := allocate(t, s, cred[0], cred[1]); err == nil {
			t.Errorf("%s: allocation granted", name)
		}
	}
	st, err := s.Await(testContext(t, 5*time.Second), func(st turntest.Stats) bool { return st.Refused >= 2 })
	if err != nil || st.Allocations != 2 || len(st.Usernames) != 2 ||
		!strings.HasSuffix(st.Usernames[0], ":dave") || !strings.HasSuffix(st.Usernames[1], ":erin") {
		t.Fatalf("coturn logged %+v (%v), want 2 allocations (dave, erin) and 2 refusals", st, err)
	}
}

// Two servers at once get ports of their own.
func TestTwoServers(t *testing.T) {
	a, b := turntest.Start(t, nil), turntest.Start(t, nil)
	if a.Port == b.Port {
		t.Fatalf("both servers on port %d", a.Port)
	}
}

// fakeTB records how Start ends a test without ending this one.
type fakeTB struct {
	testing.TB
	skipped, failed string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Skip(args ...any) {
	f.skipped = fmt.Sprint(args...)
	runtime.Goexit()
}
func (f *fakeTB) Fatal(args ...any) {
	f.failed = fmt.Sprint(args...)
	runtime.Goexit()
}
func (f *fakeTB) Fatalf(format string, args ...any) { f.Fatal(fmt.Sprintf(format, args...)) }

func TestMissingBinary(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	run := func() *fakeTB {
		f := &fakeTB{TB: t}
		done := make(chan struct{})
		go func() {
			defer close(done)
			turntest.Start(f, nil)
		}()
		<-done
		return f
	}
	t.Setenv(turntest.RequireEnv, "")
	if f := run(); !strings.Contains(f.skipped, "apt-get install coturn") || f.failed != "" {
		t.Errorf("without %s: skipped %q, failed %q; want a skip saying how to install coturn", turntest.RequireEnv, f.skipped, f.failed)
	}
	t.Setenv(turntest.RequireEnv, "1")
	if f := run(); !strings.Contains(f.failed, turntest.RequireEnv) || f.skipped != "" {
		t.Errorf("with %s=1: skipped %q, failed %q; want a failure", turntest.RequireEnv, f.skipped, f.failed)
	}
}
