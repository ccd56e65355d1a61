package icemux

import (
	"bytes"
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// sniffTimeout bounds how long a new connection may take to send the bytes
// that tell ICE-TCP from HTTP; a connection that sends nothing is closed.
const sniffTimeout = 10 * time.Second

// Split shares one TCP listener between HTTP(S) and ICE-TCP: a connection
// whose first bytes are a STUN binding request framed as RFC 4571 (ICE-TCP,
// RFC 6544) goes to ice, any other (an HTTP request, a TLS handshake) to
// web. The bytes read to decide are replayed to whichever takes it.
// Closing either listener closes l and both.
func Split(l net.Listener) (web, ice net.Listener) {
	s := &split{l: l, web: make(chan net.Conn), ice: make(chan net.Conn), done: make(chan struct{})}
	go s.accept()
	return &side{s: s, conns: s.web}, &side{s: s, conns: s.ice}
}

type split struct {
	l         net.Listener
	web, ice  chan net.Conn
	done      chan struct{}
	closeOnce sync.Once
	errMu     sync.Mutex
	err       error // why accepting stopped
}

func (s *split) accept() {
	for {
		c, err := s.l.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(5 * time.Millisecond)
				continue
			}
			s.errMu.Lock()
			s.err = err
			s.errMu.Unlock()
			s.close()
			return
		}
		go s.route(c)
	}
}

// route reads the first bytes of c and hands it to its side.
func (s *split) route(c net.Conn) {
	_ = c.SetReadDeadline(time.Now().Add(sniffTimeout))
	head, isICE, err := sniff(c)
	_ = c.SetReadDeadline(time.Time{})
	if err != nil && len(head) == 0 {
		_ = c.Close()
		return
	}
	to := s.web
	if isICE {
		to = s.ice
	}
	select {
	case to <- &replayConn{Conn: c, r: io.MultiReader(bytes.NewReader(head), c)}:
	case <-s.done:
		_ = c.Close()
	}
}

// stunHead is how many bytes tell a framed STUN binding request: the
// 2-byte RFC 4571 length, then the STUN type (0x0001), length and magic
// cookie (0x2112A442).
const stunHead = 2 + 8

// sniff reads the first bytes of r: one byte when it cannot start an
// ICE-TCP frame (a STUN binding request is shorter than 256 bytes, so its
// frame length starts with 0x00, which no HTTP request or TLS record
// does), else up to stunHead.
func sniff(r io.Reader) (head []byte, isICE bool, err error) {
	buf := make([]byte, stunHead)
	if _, err := io.ReadFull(r, buf[:1]); err != nil {
		return nil, false, err
	}
	if buf[0] != 0 {
		return buf[:1], false, nil
	}
	n, err := io.ReadFull(r, buf[1:])
	buf = buf[:1+n]
	if err != nil {
		return buf, false, err
	}
	isICE = buf[2] == 0x00 && buf[3] == 0x01 && bytes.Equal(buf[6:10], []byte{0x21, 0x12, 0xa4, 0x42})
	return buf, isICE, nil
}

func (s *split) close() {
	s.closeOnce.Do(func() {
		close(s.done)
		_ = s.l.Close()
	})
}

// side is one of Split's listeners.
type side struct {
	s     *split
	conns chan net.Conn
}

func (l *side) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.s.done:
		l.s.errMu.Lock()
		defer l.s.errMu.Unlock()
		if l.s.err != nil && !errors.Is(l.s.err, net.ErrClosed) {
			return nil, l.s.err
		}
		return nil, net.ErrClosed
	}
}

func (l *side) Close() error   { l.s.close(); return nil }
func (l *side) Addr() net.Addr { return l.s.l.Addr() }

// replayConn reads the sniffed bytes again before the rest.
type replayConn struct {
	net.Conn
	r io.Reader
}

func (c *replayConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// CloseWrite half-closes, as net/http does before closing a connection it
// refused.
func (c *replayConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
