// Package turntest runs a real TURN server, coturn's turnserver, for tests:
// on 127.0.0.1 only, on free ports, as a child process of the test that
// stops with it.
//
// Install coturn with `apt-get install coturn` (Debian, Ubuntu) or
// `brew install coturn`. Without it, Start skips the test, or fails it when
// RTCSTREAM_REQUIRE_TURN=1.
//
// Run tests that use it inside a loopback-only network namespace
// (internal/netns), as every networked test here is.
package turntest

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/logging"
	"github.com/pion/turn/v5"
	"github.com/rtcstream/rtcstream/internal/childproc"
)

// RequireEnv is the environment variable that, set to "1", makes Start fail
// rather than skip a test when turnserver is not installed.
const RequireEnv = "RTCSTREAM_REQUIRE_TURN"

// Binary is the coturn server's executable name.
const Binary = "turnserver"

// Defaults for Options.
const (
	DefaultUsername = "rtcstream"
	DefaultPassword = "rtcstream-pass"
	DefaultRealm    = "rtcstream.test"
)

// probeUser labels the credentials Start's readiness probe uses, so its
// allocation is not counted as the test's.
const probeUser = "turntest-probe"

// Options configure Start. The zero value runs coturn with one static user
// (DefaultUsername, DefaultPassword) in DefaultRealm.
type Options struct {
	// Secret, when set, runs coturn with the TURN REST API scheme
	// (--use-auth-secret --static-auth-secret=Secret) in place of the
	// static user: clients authenticate with time-limited credentials
	// derived from Secret.
	Secret string
	// Username and Password are the static user's. Defaults
	// DefaultUsername and DefaultPassword; unused with Secret.
	Username, Password string
	// Realm is the server's realm. Default DefaultRealm.
	Realm string
}

// Server is a running coturn. Its methods are safe for concurrent use.
type Server struct {
	// Host is the address the server listens and relays on: 127.0.0.1.
	Host string
	// Port is its UDP and TCP listening port.
	Port int
	// Realm is the server's realm.
	Realm string
	// Username and Password are the static user's; empty with a Secret.
	Username, Password string
	// Secret is the TURN REST API shared secret, if the server uses one.
	Secret string

	probePass string // the static probe user's password

	proc *childproc.Proc
}

// Addr is the server's address, "127.0.0.1:port".
func (s *Server) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// URL is the server's TURN URL over UDP, as ICE servers list it:
// "turn:127.0.0.1:port?transport=udp".
func (s *Server) URL() string { return "turn:" + s.Addr() + "?transport=udp" }

// Log returns what the server has logged so far.
func (s *Server) Log() string { return s.proc.Log() }

// Start runs coturn for the test t and returns once it grants TURN
// allocations; the server stops when t ends. opts may be nil for the
// defaults. If turnserver is not installed, Start skips t, or fails it when
// RTCSTREAM_REQUIRE_TURN=1. If the server does not start, t fails with the
// server's log.
func Start(t testing.TB, opts *Options) *Server {
	t.Helper()
	bin, err := exec.LookPath(Binary)
	if err != nil {
		msg := "turntest: coturn's " + Binary + " is not installed (apt-get install coturn): " + err.Error()
		if os.Getenv(RequireEnv) == "1" {
			t.Fatal(msg + "; " + RequireEnv + "=1 requires it")
		}
		t.Skip(msg)
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Realm == "" {
		o.Realm = DefaultRealm
	}
	if o.Secret == "" {
		if o.Username == "" {
			o.Username = DefaultUsername
		}
		if o.Password == "" {
			o.Password = DefaultPassword
		}
	} else {
		o.Username, o.Password = "", ""
	}

	// A free port can be taken between looking and coturn binding it:
	// try a few.
	var errs []error
	for range 3 {
		s, err := start(t, bin, o)
		if err == nil {
			return s
		}
		errs = append(errs, err)
	}
	t.Fatalf("turntest: coturn did not start: %v", errors.Join(errs...))
	return nil
}

func start(t testing.TB, bin string, o Options) (*Server, error) {
	t.Helper()
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "turntest-")
	if err != nil {
		return nil, err
	}
	s := &Server{
		Host: "127.0.0.1", Port: port, Realm: o.Realm,
		Username: o.Username, Password: o.Password, Secret: o.Secret,
		probePass: "probe-" + strconv.FormatInt(time.Now().UnixNano(), 36),
	}
	conf := filepath.Join(dir, "turnserver.conf")
	if err := os.WriteFile(conf, []byte(s.config(dir)), 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	cmd := exec.Command(bin, "-c", conf)
	cmd.Dir = dir
	p, err := childproc.Start(cmd)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s.proc = p
	stop := func() {
		s.stop()
		os.RemoveAll(dir)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.probe(ctx); err != nil {
		stop()
		return nil, fmt.Errorf("port %d: %w\n%s", port, err, s.proc.Tail(40))
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("turntest: coturn on %s logged (last lines):\n%s", s.Addr(), s.proc.Tail(80))
		}
	})
	return s, nil
}

// config is coturn's configuration: plain TURN over UDP and TCP on
// 127.0.0.1, relaying on 127.0.0.1 to loopback peers only, no TLS, no CLI,
// logging verbosely to stdout.
func (s *Server) config(dir string) string {
	lines := []string{
		"listening-ip=127.0.0.1",
		"relay-ip=127.0.0.1",
		"listening-port=" + strconv.Itoa(s.Port),
		"realm=" + s.Realm,
		"fingerprint",
		// The peers are rtcstream's server and clients on 127.0.0.1,
		// which coturn refuses to relay to by default.
		"allow-loopback-peers",
		"no-multicast-peers",
		"no-tls",
		"no-dtls",
		"no-tcp-relay",
		"no-cli",
		"no-rfc5780", // needs a second address
		"no-software-attribute",
		"log-file=stdout",
		"simple-log",
		"verbose",
		// Keep coturn's files out of /var.
		"pidfile=" + filepath.Join(dir, "turnserver.pid"),
		"userdb=" + filepath.Join(dir, "turndb"),
	}
	if s.Secret != "" {
		lines = append(lines, "use-auth-secret", "static-auth-secret="+s.Secret)
	} else {
		lines = append(lines, "lt-cred-mech", "user="+s.Username+":"+s.Password,
			"user="+probeUser+":"+s.probePass)
	}
	return strings.Join(lines, "\n") + "\n"
}

// probeCredentials returns a username and password the server accepts
// that mark the readiness probe's allocation.
func (s *Server) probeCredentials() (string, string) {
	if s.Secret == "" {
		return probeUser, s.probePass
	}
	// The TURN REST API scheme, computed here independently of package
	// turn so that tests of that package check it against coturn.
	username := strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10) + ":" + probeUser
	mac := hmac.New(sha1.New, []byte(s.Secret))
	mac.Write([]byte(username))
	return username, base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// probe allocates a relay until one is granted, the server exits, or ctx
// ends.
func (s *Server) probe(ctx context.Context) error {
	user, pass := s.probeCredentials()
	var last error
	for {
		if last = s.allocate(ctx, user, pass); last == nil {
			return nil
		}
		select {
		case <-s.proc.Exited():
			return errors.New("coturn exited")
		case <-ctx.Done():
			return fmt.Errorf("no TURN allocation granted: %w", last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// allocate makes one TURN allocation with pion's client and releases it.
func (s *Server) allocate(ctx context.Context, user, pass string) error {
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer conn.Close()
	c, err := turn.NewClient(&turn.ClientConfig{
		TURNServerAddr: s.Addr(),
		Username:       user,
		Password:       pass,
		Realm:          s.Realm,
		Conn:           conn,
		RTO:            100 * time.Millisecond,
		LoggerFactory:  quietLogger{},
	})
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Listen(); err != nil {
		return err
	}
	actx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	relay, err := c.AllocateWithContext(actx)
	if err != nil {
		return err
	}
	return relay.Close()
}

// stop ends the server: SIGTERM, then SIGKILL if it lingers.
func (s *Server) stop() { s.proc.Stop(3 * time.Second) }

// freePort finds a port free for both UDP and TCP on 127.0.0.1.
func freePort() (int, error) {
	for range 20 {
		u, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := u.LocalAddr().(*net.UDPAddr).Port
		l, err := net.Listen("tcp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		u.Close()
		if err != nil {
			continue
		}
		l.Close()
		return port, nil
	}
	return 0, errors.New("no port free for both UDP and TCP on 127.0.0.1")
}

// quietLogger drops pion's TURN client logs (the probe's failures while
// coturn starts are expected).
type quietLogger struct{}

func (quietLogger) NewLogger(string) logging.LeveledLogger { return quietLeveled{} }

type quietLeveled struct{}

func (quietLeveled) Trace(string)          {}
func (quietLeveled) Tracef(string, ...any) {}
func (quietLeveled) Debug(string)          {}
func (quietLeveled) Debugf(string, ...any) {}
func (quietLeveled) Info(string)           {}
func (quietLeveled) Infof(string, ...any)  {}
func (quietLeveled) Warn(string)           {}
func (quietLeveled) Warnf(string, ...any)  {}
func (quietLeveled) Error(string)          {}
func (quietLeveled) Errorf(string, ...any) {}
