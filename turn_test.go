package rtcstream_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/client"
	"github.com/rtcstream/rtcstream/internal/turntest"
	"github.com/rtcstream/rtcstream/turn"
)

// TURN relaying, end to end: a Stream and a Go client that both may only use
// relayed candidates (ICE transport policy "relay") on a real coturn on
// 127.0.0.1. With no other path allowed, every frame that comes back
// processed went through the relay; coturn's log confirms the allocations
// and the relayed traffic.

func TestTurnRelayStaticCredentials(t *testing.T) {
	checkLeaks(t)
	srv := turntest.Start(t, nil)
	cfg := turn.Static([]string{srv.URL()}, srv.Username, srv.Password)
	cfg.ICETransportPolicy = "relay"
	st := streamThroughRelay(t, srv, &rtcstream.Options{RTCConfiguration: cfg}, cfg)
	if len(st.Usernames) != 1 || st.Usernames[0] != srv.Username {
		t.Fatalf("allocations for %q, want %q", st.Usernames, srv.Username)
	}
}

func TestTurnRelaySharedSecret(t *testing.T) {
	checkLeaks(t)
	srv := turntest.Start(t, &turntest.Options{Secret: "rtcstream-shared-secret"})
	// Each end gets credentials of its own: the server fresh ones for
	// every connection, as for short-lived credentials it should.
	var calls atomic.Int32
	serverCfg := func(context.Context) (*rtcstream.RTCConfiguration, error) {
		calls.Add(1)
		cfg := turn.SharedSecret([]string{srv.URL()}, srv.Secret, "rtcstream-server", 10*time.Minute)
		cfg.ICETransportPolicy = "relay"
		return cfg, nil
	}
	clientCfg := turn.SharedSecret([]string{srv.URL()}, srv.Secret, "browser", 10*time.Minute)
	st := streamThroughRelay(t, srv, &rtcstream.Options{RTCConfigurationFunc: serverCfg}, clientCfg)
	if calls.Load() == 0 {
		t.Fatal("RTCConfigurationFunc was not called")
	}
	var server, browser bool
	for _, u := range st.Usernames {
		server = server || strings.HasSuffix(u, ":rtcstream-server")
		browser = browser || strings.HasSuffix(u, ":browser")
	}
	if !server || !browser || st.Refused != 0 {
		t.Fatalf("allocations for %q with %d refusals, want the server's and the client's credentials accepted", st.Usernames, st.Refused)
	}
}

// streamThroughRelay serves the invert handler with opts (whose
// configuration must hold srv with the relay policy) on loopback, streams
// frames from a relay-only client configured with clientCfg, checks the
// returned pixels, closes both ends, and returns what coturn logged.
func streamThroughRelay(t *testing.T, srv *turntest.Server, opts *rtcstream.Options, clientCfg *rtcstream.RTCConfiguration) turntest.Stats {
	ctx := testContext(t, 30*time.Second)
	opts.Network = loopback
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert, opts)
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, s)
	start := time.Now()
	c, err := client.Dial(ctx, url, &client.Options{Loopback: true, RelayOnly: true, ICEServers: pionICEServers(clientCfg)})
	if err != nil {
		t.Fatalf("dial through the relay: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	t.Logf("connected through coturn in %v (offer, gathering, answer, ICE, DTLS, data channel)", time.Since(start))

	const w, h, n = 640, 480, 60
	sent := sendFrames(t, ctx, c, w, h, n, 30)
	for got := 0; got < 20; got++ {
		f, err := c.ReadFrame(ctx)
		if err != nil {
			t.Fatalf("after %d frames: %v", got, err)
		}
		checkInvertedFrame(t, f, w, h, got)
		if got == 0 {
			t.Logf("first processed frame back %v after dialling", time.Since(start))
		}
	}
	<-sent

	// Both ends allocated on coturn and asked it to relay to the other.
	st, err := srv.Await(ctx, func(st turntest.Stats) bool { return st.Allocations >= 2 && st.Permissions >= 2 })
	if err != nil {
		t.Fatalf("coturn logged %+v: %v", st, err)
	}
	// Once both ends release their allocations, coturn reports what it
	// relayed: at least the frames above, both ways.
	if err := c.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	s.Close()
	st, err = srv.Await(ctx, func(st turntest.Stats) bool { return st.Closed >= st.Allocations })
	if err != nil {
		t.Fatalf("coturn logged %+v: %v", st, err)
	}
	t.Logf("coturn: %d allocations, %d permissions, %d channel binds; relayed %d packets (%d bytes) in, %d (%d bytes) out",
		st.Allocations, st.Permissions, st.ChannelBinds, st.PeerPacketsIn, st.PeerBytesIn, st.PeerPacketsOut, st.PeerBytesOut)
	// Every frame crossed both allocations: the 60 the client sent
	// arrived at the server's from the client's, and the 20 read above the
	// other way.
	if st.PeerPacketsIn < n+20 || st.PeerPacketsOut < n+20 {
		t.Fatalf("coturn relayed %d packets in and %d out, want at least %d each: the media did not go through it",
			st.PeerPacketsIn, st.PeerPacketsOut, n+20)
	}
	return st
}

// pionICEServers converts a configuration for client.Options.
func pionICEServers(cfg *rtcstream.RTCConfiguration) []webrtc.ICEServer {
	var ice []webrtc.ICEServer
	for _, is := range cfg.ICEServers {
		ice = append(ice, webrtc.ICEServer{URLs: is.URLs, Username: is.Username, Credential: is.Credential})
	}
	return ice
}

// A relay-only agent has nothing better to wait for, so it should nominate
// the first relayed pair that works: on loopback, within tens of
// milliseconds. pion/ice v4.4.8 instead waits its 2 s relay acceptance
// delay in the controlling agent (the Go client, which offers): the
// options path (ice.NewAgentWithOptions, which pion/webrtc uses) sets the
// relay-only default of 0 only from AgentConfig.CandidateTypes, never from
// WithCandidateTypes (pion/ice#324, open). The fix belongs in the client's
// SettingEngine: SetRelayAcceptanceMinWait(0) when RelayOnly (measured:
// 2.03 s becomes 11-19 ms). Until then this test skips with the
// measurement. Browsers offer too, but are not pion: the server,
// which answers, never nominates.
func TestTurnRelayOnlyClientConnectsAtOnce(t *testing.T) {
	checkLeaks(t)
	srv := turntest.Start(t, nil)
	cfg := turn.Static([]string{srv.URL()}, srv.Username, srv.Password)
	cfg.ICETransportPolicy = "relay"
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert, &rtcstream.Options{
		Network: loopback, RTCConfiguration: cfg,
	})
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, s)
	ctx := testContext(t, 30*time.Second)
	start := time.Now()
	c, err := client.Dial(ctx, url, &client.Options{Loopback: true, RelayOnly: true, ICEServers: pionICEServers(cfg)})
	if err != nil {
		t.Fatalf("dial through the relay: %v", err)
	}
	took := time.Since(start)
	c.Close()
	if took > time.Second {
		t.Errorf("connecting through the relay took %v: pion's 2 s relay acceptance delay is back (pion/ice#324)", took)
	}
	t.Logf("connected through coturn in %v", took)
}
