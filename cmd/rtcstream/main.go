// Command rtcstream runs rtcstream's demos.
//
//	rtcstream demo [-addr :7860] [-stats] [-metrics] [NAME]
//
// NAME is one of the demos listed by `rtcstream demo -list`; the default
// is the first.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/metrics"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "rtcstream:", err)
		os.Exit(2)
	}
}

const usage = `usage: rtcstream <command> [flags]

commands:
  demo [-addr :7860] [-stats] [-metrics] [-list] [NAME]
                                      serve a demo stream in the browser
  bench [flags] URL                   measure a stream server's capacity and latency
                                      (rtcstream bench -h lists the flags)
`

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	switch args[0] {
	case "demo":
		return demo(args[1:], stdout, stderr)
	case "bench":
		return benchCmd(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

func demo(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", ":7860", "address to serve on")
	list := fs.Bool("list", false, "list the demos and exit")
	stats := fs.Bool("stats", false, "overlay the page's stream with what the browser measures (getStats)")
	withMetrics := fs.Bool("metrics", false, "serve Prometheus metrics at /metrics")
	if err := fs.Parse(args); err != nil {
		return err
	}
	// Flags may follow the demo's name too: demo invert -addr :7861.
	var name string
	if fs.NArg() > 0 {
		name = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return err
		}
		if fs.NArg() > 0 {
			return fmt.Errorf("demo takes one name, got %q", append([]string{name}, fs.Args()...))
		}
	}
	if *list {
		for _, d := range demos {
			fmt.Fprintf(stdout, "%-10s %s\n", d.name, d.about)
		}
		return nil
	}
	d := demos[0]
	if name != "" {
		var ok bool
		if d, ok = findDemo(name); !ok {
			return fmt.Errorf("no demo named %q (rtcstream demo -list shows them)", name)
		}
	}
	// Loopback candidates let a browser on the same machine connect even
	// with no other network up.
	opts := rtcstream.Options{Network: rtcstream.Network{IncludeLoopback: true}, ShowStats: *stats}
	var m *metrics.Metrics
	if *withMetrics {
		var err error
		if m, err = metrics.New(nil); err != nil {
			return err
		}
		opts.Observer = m
	}
	page, closeDemo, err := d.build(opts)
	if err != nil {
		return err
	}
	defer closeDemo()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: withMetricsRoute(page, m), ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	slog.Info("serving demo", "demo", d.name, "url", pageURL(ln.Addr()))
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
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
func pageURL(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || tcp.IP.IsUnspecified() {
		if ok {
			return fmt.Sprintf("http://localhost:%d/", tcp.Port)
		}
		return "http://" + a.String() + "/"
	}
	return "http://" + tcp.String() + "/"
}
