// Package turnserver is the TURN server behind package turn's Server: pion's
// TURN with the rules of a relay that exists only to reach one rtcstream
// server.
//
//   - Credentials are the TURN REST API's (an expiry and a label, HMAC'd
//     with a secret the process made), one per connection. A new
//     allocation needs an unexpired credential; an allocation made with one
//     lives on (refreshes, permissions, channels) after it expires, so a
//     session outlives its credential's few minutes.
//   - A credential makes at most MaxPerCredential allocations at a time
//     (one per transport and local interface of one browser), and the
//     server at most MaxTotal.
//   - Relays send only to the addresses PeerAllowed accepts (the rtcstream
//     server's own): it is not an open relay into the server's network.
//   - A TCP or TLS connection that says nothing for IdleTimeout is closed,
//     and at most MaxConns are open at a time.
//   - A relay that carries nothing either way for RelayIdle is closed,
//     with its allocation (idleRelays).
package turnserver

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pion/logging"
	"github.com/pion/stun/v4"
	"github.com/pion/turn/v5"
)

// Defaults for Config's zero fields.
const (
	DefaultMaxPerCredential = 8
	DefaultMaxTotal         = 1024
	DefaultMaxConns         = 1024
	DefaultIdleTimeout      = time.Minute
	DefaultRelayIdle        = time.Minute
)

// Config configures New. Secret, RelayIP, PeerAllowed and at least one of
// UDP, TCP and TLS are required.
type Config struct {
	// Realm is the TURN realm. Default "rtcstream".
	Realm string
	// Secret signs the credentials (Credential).
	Secret []byte
	// UDP, TCP and TLS are the sockets to serve on; any may be nil. TLS
	// is a TCP listener, served with TLSConfig. The server closes them.
	UDP       net.PacketConn
	TCP, TLS  net.Listener
	TLSConfig *tls.Config
	// RelayIP is the address relays are made on, and given to clients: it
	// must be one the rtcstream server reaches.
	RelayIP net.IP
	// PeerAllowed reports whether a relay may send to ip.
	PeerAllowed func(ip net.IP) bool
	// MaxPerCredential, MaxTotal, MaxConns, IdleTimeout and RelayIdle:
	// see the package comment. Defaults the Default constants.
	MaxPerCredential int
	MaxTotal         int
	MaxConns         int
	IdleTimeout      time.Duration
	RelayIdle        time.Duration
	// Logger logs refusals at debug level. Default slog.Default().
	Logger *slog.Logger
}

// Server is a running TURN server.
type Server struct {
	cfg    Config
	pion   *turn.Server
	conns  *connLimit
	relays *idleRelays

	mu     sync.Mutex
	byUser map[string]int // live allocations per credential
	total  int
}

// New starts serving cfg's sockets.
func New(cfg Config) (*Server, error) {
	switch {
	case len(cfg.Secret) == 0:
		return nil, errors.New("turnserver: no secret")
	case cfg.RelayIP == nil:
		return nil, errors.New("turnserver: no relay address")
	case cfg.PeerAllowed == nil:
		return nil, errors.New("turnserver: no peer rule")
	case cfg.UDP == nil && cfg.TCP == nil && cfg.TLS == nil:
		return nil, errors.New("turnserver: nothing to serve on")
	case cfg.TLS != nil && cfg.TLSConfig == nil:
		return nil, errors.New("turnserver: a TLS listener without a TLS configuration")
	}
	if cfg.Realm == "" {
		cfg.Realm = "rtcstream"
	}
	if cfg.MaxPerCredential <= 0 {
		cfg.MaxPerCredential = DefaultMaxPerCredential
	}
	if cfg.MaxTotal <= 0 {
		cfg.MaxTotal = DefaultMaxTotal
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = DefaultMaxConns
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.RelayIdle <= 0 {
		cfg.RelayIdle = DefaultRelayIdle
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{cfg: cfg, byUser: map[string]int{}, conns: newConnLimit(cfg.MaxConns, cfg.IdleTimeout)}
	relay := newIdleRelays(turn.RelayAddressGeneratorStatic{RelayAddress: cfg.RelayIP, Address: cfg.RelayIP.String()}, cfg.RelayIdle)
	s.relays = relay
	allow := func(_ net.Addr, ip net.IP) bool {
		ok := cfg.PeerAllowed(ip)
		if !ok {
			cfg.Logger.Debug("turn: permission refused", "peer", ip)
		}
		return ok
	}
	pc := turn.ServerConfig{
		Realm:         cfg.Realm,
		AuthHandler:   s.auth,
		QuotaHandler:  s.quota,
		LoggerFactory: quiet{},
		EventHandler: turn.EventHandler{
			OnAllocationCreated: func(_, _ net.Addr, _, user, _ string, _ net.Addr, _ int) { s.count(user, 1) },
			OnAllocationDeleted: func(_, _ net.Addr, _, user, _ string) { s.count(user, -1) },
		},
	}
	if cfg.UDP != nil {
		pc.PacketConnConfigs = append(pc.PacketConnConfigs, turn.PacketConnConfig{
			PacketConn: cfg.UDP, RelayAddressGenerator: relay, PermissionHandler: allow,
		})
	}
	var listeners []net.Listener
	if cfg.TCP != nil {
		listeners = append(listeners, s.conns.wrap(cfg.TCP))
	}
	if cfg.TLS != nil {
		listeners = append(listeners, tls.NewListener(s.conns.wrap(cfg.TLS), cfg.TLSConfig))
	}
	for _, l := range listeners {
		pc.ListenerConfigs = append(pc.ListenerConfigs, turn.ListenerConfig{
			Listener: l, RelayAddressGenerator: relay, PermissionHandler: allow,
		})
	}
	p, err := turn.NewServer(pc)
	if err != nil {
		relay.stop()
		return nil, fmt.Errorf("turnserver: %w", err)
	}
	s.pion = p
	return s, nil
}

// Credential returns the TURN REST API credential that lets a client
// allocate until expires: the username is the expiry in Unix seconds, ":"
// and label; the password base64(HMAC-SHA1(secret, username)).
func Credential(secret []byte, label string, expires time.Time) (username, password string) {
	username = strconv.FormatInt(expires.Unix(), 10) + ":" + label
	return username, sign(secret, username)
}

func sign(secret []byte, username string) string {
	mac := hmac.New(sha1.New, secret)
	mac.Write([]byte(username))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// auth gives pion the key of a credential this server made; a new
// allocation's must not have expired.
func (s *Server) auth(ra *turn.RequestAttributes) (string, []byte, bool) {
	expiry, _, ok := strings.Cut(ra.Username, ":")
	if !ok || ra.Realm != s.cfg.Realm {
		s.cfg.Logger.Debug("turn: unknown credential", "user", clip(ra.Username), "from", ra.SrcAddr)
		return "", nil, false
	}
	unix, err := strconv.ParseInt(expiry, 10, 64)
	if err != nil {
		return "", nil, false
	}
	if ra.Method == stun.MethodAllocate && time.Now().Unix() > unix {
		s.cfg.Logger.Debug("turn: expired credential", "user", clip(ra.Username), "from", ra.SrcAddr)
		return "", nil, false
	}
	return ra.Username, turn.GenerateAuthKey(ra.Username, ra.Realm, sign(s.cfg.Secret, ra.Username)), true
}

// quota holds a credential to MaxPerCredential live allocations and the
// server to MaxTotal.
func (s *Server) quota(user, _ string, from net.Addr) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	ok := s.byUser[user] < s.cfg.MaxPerCredential && s.total < s.cfg.MaxTotal
	if !ok {
		s.cfg.Logger.Debug("turn: allocation quota reached", "user", clip(user), "from", from,
			"of_credential", s.byUser[user], "total", s.total)
	}
	return ok
}

func (s *Server) count(user string, d int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.total += d
	if n := s.byUser[user] + d; n > 0 {
		s.byUser[user] = n
	} else {
		delete(s.byUser, user)
	}
}

// Allocations is the number of live allocations.
func (s *Server) Allocations() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// Close stops serving: it closes the sockets, the TCP and TLS connections
// and, within a second, every relay.
func (s *Server) Close() error {
	err := s.pion.Close()
	s.conns.closeAll()
	s.relays.stop()
	deadline := time.Now().Add(time.Second)
	for s.pion.AllocationCount() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	return err
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// quiet drops pion's logs: refusals are logged by Server at debug level.
type quiet struct{}

func (quiet) NewLogger(string) logging.LeveledLogger { return quietLogger{} }

type quietLogger struct{}

func (quietLogger) Trace(string)                  {}
func (quietLogger) Tracef(string, ...interface{}) {}
func (quietLogger) Debug(string)                  {}
func (quietLogger) Debugf(string, ...interface{}) {}
func (quietLogger) Info(string)                   {}
func (quietLogger) Infof(string, ...interface{})  {}
func (quietLogger) Warn(string)                   {}
func (quietLogger) Warnf(string, ...interface{})  {}
func (quietLogger) Error(string)                  {}
func (quietLogger) Errorf(string, ...interface{}) {}
