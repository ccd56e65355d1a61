package impair

import (
	"net"
	"testing"
	"time"
)

// echoServer answers every datagram with itself.
func echoServer(t *testing.T) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := c.ReadFromUDP(buf)
			if err != nil {
				return
			}
			_, _ = c.WriteToUDP(buf[:n], from)
		}
	}()
	return c
}

// roundTrips sends n numbered datagrams through r to an echo and returns
// the numbers that came back, in arrival order, and each one's round trip.
func roundTrips(t *testing.T, r *Relay, n int, gap time.Duration) (order []int, rtts []time.Duration) {
	t.Helper()
	c, err := net.DialUDP("udp", nil, r.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sent := make([]time.Time, n)
	go func() {
		for i := range n {
			sent[i] = time.Now()
			_, _ = c.Write([]byte{byte(i >> 8), byte(i)})
			time.Sleep(gap)
		}
	}()
	buf := make([]byte, 16)
	for {
		_ = c.SetReadDeadline(time.Now().Add(time.Second))
		m, err := c.Read(buf)
		if err != nil {
			return order, rtts
		}
		if m == 2 {
			i := int(buf[0])<<8 | int(buf[1])
			order = append(order, i)
			rtts = append(rtts, time.Since(sent[i]))
		}
	}
}

func TestRelayLossIsRandomAndBounded(t *testing.T) {
	srv := echoServer(t)
	r, err := NewRelay(srv.LocalAddr().(*net.UDPAddr), Config{Loss: 0.1, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	const n = 2000
	order, _ := roundTrips(t, r, n, 100*time.Microsecond)
	// Each way drops 10%: about 81% come back. With n = 2000 the count's
	// standard deviation is under 20; the bounds are five of them.
	if got := len(order); got < 1520 || got > 1720 {
		t.Fatalf("%d of %d came back through 10%% loss each way, want about 1620", got, n)
	}
	st := r.Stats()
	if st.Dropped == 0 || st.Forwarded == 0 || st.Forwarded+st.Dropped < n {
		t.Fatalf("stats %+v", st)
	}
}

func TestRelayDelaysAndReorders(t *testing.T) {
	srv := echoServer(t)
	r, err := NewRelay(srv.LocalAddr().(*net.UDPAddr), Config{Delay: 25 * time.Millisecond, Jitter: 10 * time.Millisecond, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	order, rtts := roundTrips(t, r, 200, time.Millisecond)
	if len(order) != 200 {
		t.Fatalf("%d of 200 came back without loss", len(order))
	}
	overtaken := 0
	for i := 1; i < len(order); i++ {
		if order[i] < order[i-1] {
			overtaken++
		}
	}
	if overtaken == 0 {
		t.Fatal("10 ms of jitter on 1 ms spacing reordered nothing")
	}
	for i, d := range rtts {
		if d < 50*time.Millisecond { // twice the delay, the least it can be
			t.Fatalf("datagram %d came back after %v, before the 50 ms the delay adds", order[i], d)
		}
	}
}

// TestRelayDelayKeepsOrder: a delay without jitter reorders nothing, even
// for datagrams sent back to back (a keyframe's packets): a path that only
// delays does not make the receiver see holes and ask for retransmissions.
func TestRelayDelayKeepsOrder(t *testing.T) {
	srv := echoServer(t)
	r, err := NewRelay(srv.LocalAddr().(*net.UDPAddr), Config{Delay: 25 * time.Millisecond, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	const n = 400
	order, _ := roundTrips(t, r, n, 0)
	if len(order) < n/2 {
		t.Fatalf("%d of %d came back without loss", len(order), n)
	}
	for i := 1; i < len(order); i++ {
		if order[i] < order[i-1] {
			t.Fatalf("datagram %d came back after %d: a delay alone reordered them (%v)", order[i], order[i-1], order[max(0, i-5):min(len(order), i+5)])
		}
	}
}

func TestRelayRejectsBadConfig(t *testing.T) {
	for _, c := range []Config{{Loss: -0.1}, {Loss: 1.5}, {Delay: -time.Second}, {Jitter: -1}} {
		if _, err := NewRelay(&net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9}, c); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}
