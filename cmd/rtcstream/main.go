// Command rtcstream runs rtcstream's demos, as web pages or as LiveKit
// agent workers, and measures stream servers.
//
//	rtcstream demo [-addr :7860] [-stats] [-metrics] [-unlimited] [NAME]
//	rtcstream worker [-agent NAME] [-max-jobs N] [-redis ADDR] [NAME]
//	rtcstream bench [flags] URL
//
// NAME is one of the demos listed by `rtcstream demo -list`; the default
// is the first.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/livekit"
	"github.com/rtcstream/rtcstream/metrics"
	"github.com/rtcstream/rtcstream/turn"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "rtcstream:", err)
		os.Exit(2)
	}
}

const usage = `usage: rtcstream <command> [flags]

commands:
  demo [-addr :7860] [-stats] [-metrics] [-unlimited] [-list] [NAME]
       [-tls-cert F -tls-key F | -self-signed | -acme DOMAIN] [-http :80]
       [-turn :3478] [-turn-tls :5349] [-public-ip IP] [-livekit URL -agent NAME]
                                      serve a demo stream in the browser
                                      (rtcstream demo -h lists the flags)
  bench [flags] URL                   measure a stream server's capacity and latency
                                      (rtcstream bench -h lists the flags)
  worker [-agent NAME] [-max-jobs N] [-redis ADDR] [NAME]
                                      run a demo as a LiveKit agent worker
                                      (LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET)
`

// run runs the command args name; a demo serves until ctx ends.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	switch args[0] {
	case "demo":
		return demo(ctx, args[1:], stdout, stderr)
	case "worker":
		return workerCmd(ctx, args[1:], stderr)
	case "bench":
		return benchCmd(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

func demo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", ":7860", "address to serve on")
	list := fs.Bool("list", false, "list the demos and exit")
	stats := fs.Bool("stats", false, "overlay the page's stream with what the browser measures (getStats)")
	withMetrics := fs.Bool("metrics", false, "serve Prometheus metrics at /metrics")
	unlimited := fs.Bool("unlimited", false, "no session cap and no per-client limits: for load tests (rtcstream bench) on a trusted network")
	turnAddr := fs.String("turn", "", "also serve TURN (UDP and TCP) here, e.g. :3478, and hand browsers credentials for it: for clients behind firewalls")
	turnTLS := fs.String("turn-tls", "", "also serve TURN over TLS here, e.g. :5349, with the HTTPS certificate")
	relayOnly := fs.Bool("turn-relay-only", false, "make browsers relay all media through -turn (testing, or hiding their addresses)")
	publicIP := fs.String("public-ip", "", "the server's public address(es), comma-separated, for a server behind 1:1 NAT (a cloud VM): its ICE candidates name them")
	lkURL := fs.String("livekit", "", "the page joins rooms of this LiveKit server (ws://host:7880) instead of streaming here; run the demo's `rtcstream worker` beside it (key pair: LIVEKIT_API_KEY, LIVEKIT_API_SECRET)")
	lkAgent := fs.String("agent", "", "with -livekit, the agent name the rooms dispatch (the worker's -agent)")
	var sf serveFlags
	sf.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	d, err := demoArg(fs, "demo")
	if *list {
		for _, d := range demos {
			fmt.Fprintf(stdout, "%-10s %s\n", d.name, d.about)
		}
		return nil
	}
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	cfg, redirect, err := sf.tls(ln)
	if err != nil {
		return err
	}
	// Loopback candidates let a browser on the same machine connect even
	// with no other network up.
	opts := rtcstream.Options{Network: rtcstream.Network{IncludeLoopback: true}, ShowStats: *stats}
	if *publicIP != "" {
		opts.Network.PublicIPs = strings.Split(*publicIP, ",")
	}
	if *turnAddr != "" || *turnTLS != "" {
		ts, err := startTURN(*turnAddr, *turnTLS, *relayOnly, cfg, opts.Network.PublicIPs)
		if err != nil {
			return err
		}
		defer ts.Close()
		opts.RTCConfigurationFunc = ts.RTCConfiguration
	} else if *relayOnly {
		return errors.New("-turn-relay-only needs -turn or -turn-tls")
	}
	if *unlimited {
		opts.ConcurrencyLimit = -1
		opts.ClientLimits = rtcstream.ClientLimits{OffersPerMinute: -1, Tickets: -1}
	}
	var tokens http.Handler
	if *lkURL != "" {
		// The page's element joins a room per session; the worker runs
		// the handler there. This server carries no media.
		if tokens, err = livekit.TokenHandler(livekit.TokenHandlerOptions{URL: *lkURL, APIKey: os.Getenv("LIVEKIT_API_KEY"),
			APISecret: os.Getenv("LIVEKIT_API_SECRET"), AgentName: *lkAgent}); err != nil {
			return fmt.Errorf("demo -livekit: %w (set LIVEKIT_API_KEY and LIVEKIT_API_SECRET)", err)
		}
		opts.LiveKit = rtcstream.LiveKitPage{TokenURL: "livekit/token", ServerURL: *lkURL}
	} else if *lkAgent != "" {
		return errors.New("-agent needs -livekit")
	}
	var m *metrics.Metrics
	if *withMetrics {
		var err error
		if m, err = metrics.New(nil); err != nil {
			return err
		}
		opts.Observer = m
	}
	built, err := d.build(opts)
	if err != nil {
		return err
	}
	defer built.close()
	page := built.page
	if tokens != nil {
		mux := http.NewServeMux()
		mux.Handle("/", page)
		mux.Handle("/livekit/token", tokens)
		page = mux
	}
	srv := rtcstream.NewHTTPServer(*addr, withMetricsRoute(page, m))
	slog.Info("serving demo", "demo", d.name, "url", pageURL(ln.Addr(), cfg != nil))
	return sf.serve(ctx, srv, ln, cfg, redirect)
}

// startTURN serves the built-in TURN server on addr (UDP and TCP) and
// tlsAddr (TLS, with the HTTPS configuration), relaying to this machine
// and its public addresses.
func startTURN(addr, tlsAddr string, relayOnly bool, cfg *tls.Config, public []string) (*turn.Server, error) {
	opts := turn.ServerOptions{Addr: addr, TLSAddr: tlsAddr, RelayOnly: relayOnly, PeerIPs: public}
	if addr == "" {
		opts.Addr = "off"
	}
	if tlsAddr != "" {
		if cfg == nil {
			return nil, errors.New("-turn-tls serves TURN with the HTTPS certificate: add -tls-cert/-tls-key, -self-signed or -acme")
		}
		opts.TLSConfig = cfg
	}
	ts, err := turn.NewServer(opts)
	if err != nil {
		return nil, err
	}
	slog.Info("serving TURN", "udp", ts.UDPAddr(), "tcp", ts.TCPAddr(), "tls", ts.TLSAddr(), "relay_only", relayOnly)
	return ts, nil
}

// withMetricsRoute serves m at /metrics beside page, when m is not nil.
func withMetricsRoute(page http.Handler, m *metrics.Metrics) http.Handler {
	if m == nil {
		return page
	}
	mux := http.NewServeMux()
	mux.Handle("/", page)
	mux.Handle("GET /metrics", m)
	return mux
}

// pageURL is the URL to open for a listener's address.
func pageURL(a net.Addr, secure bool) string {
	scheme := "http://"
	if secure {
		scheme = "https://"
	}
	tcp, ok := a.(*net.TCPAddr)
	if !ok || tcp.IP.IsUnspecified() {
		if ok {
			return fmt.Sprintf("%slocalhost:%d/", scheme, tcp.Port)
		}
		return scheme + a.String() + "/"
	}
	return scheme + tcp.String() + "/"
}
