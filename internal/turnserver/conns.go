package turnserver

import (
	"net"
	"sync"
	"time"
)

// maxConnsPerIP bounds one address's TCP and TLS connections: a browser
// makes one or two.
const maxConnsPerIP = 16

// connLimit bounds the TCP and TLS connections pion serves: at most max at
// a time and maxConnsPerIP from one address (more are closed as they
// come), each closed after idle without a byte from its client, and all
// closed by closeAll. Pion keeps a connection, and its goroutine, for as
// long as the client does.
type connLimit struct {
	max  int
	idle time.Duration

	mu     sync.Mutex
	open   map[net.Conn]struct{}
	perIP  map[string]int
	closed bool
}

func newConnLimit(max int, idle time.Duration) *connLimit {
	return &connLimit{max: max, idle: idle, open: map[net.Conn]struct{}{}, perIP: map[string]int{}}
}

func hostOf(c net.Conn) string {
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return a.IP.String()
	}
	return c.RemoteAddr().String()
}

func (c *connLimit) wrap(l net.Listener) net.Listener { return &limitedListener{Listener: l, c: c} }

// add tracks conn, or reports false when it must be closed at once.
func (c *connLimit) add(conn net.Conn) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	ip := hostOf(conn)
	if c.closed || len(c.open) >= c.max || c.perIP[ip] >= maxConnsPerIP {
		return false
	}
	c.open[conn] = struct{}{}
	c.perIP[ip]++
	return true
}

func (c *connLimit) remove(conn net.Conn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.open[conn]; !ok {
		return
	}
	delete(c.open, conn)
	ip := hostOf(conn)
	if c.perIP[ip]--; c.perIP[ip] <= 0 {
		delete(c.perIP, ip)
	}
}

func (c *connLimit) closeAll() {
	c.mu.Lock()
	c.closed = true
	open := c.open
	c.open, c.perIP = map[net.Conn]struct{}{}, map[string]int{}
	c.mu.Unlock()
	for conn := range open {
		_ = conn.Close()
	}
}

type limitedListener struct {
	net.Listener
	c *connLimit
}

func (l *limitedListener) Accept() (net.Conn, error) {
	for {
		conn, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		lc := &limitedConn{Conn: conn, c: l.c}
		if l.c.add(lc) {
			return lc, nil
		}
		_ = conn.Close()
	}
}

// limitedConn is a connection whose every Read must see a byte within the
// idle time. (A *tls.Conn's handshake reads through it too.)
type limitedConn struct {
	net.Conn
	c    *connLimit
	once sync.Once
}

func (lc *limitedConn) Read(b []byte) (int, error) {
	if err := lc.Conn.SetReadDeadline(time.Now().Add(lc.c.idle)); err != nil {
		return 0, err
	}
	return lc.Conn.Read(b)
}

func (lc *limitedConn) Close() error {
	lc.once.Do(func() { lc.c.remove(lc) })
	return lc.Conn.Close()
}
