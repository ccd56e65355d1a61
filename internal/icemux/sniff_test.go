package icemux

import (
	"bytes"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// bindingRequest is a STUN binding request as ICE-TCP frames it (RFC
// 4571): the 2-byte length, the 20-byte header, no attributes.
var bindingRequest = []byte{
	0x00, 0x14, // frame length 20
	0x00, 0x01, 0x00, 0x00, // binding request, no attributes
	0x21, 0x12, 0xa4, 0x42, // magic cookie
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, // transaction id
}

func TestSplitRoutesByFirstBytes(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	web, ice := Split(l)
	defer web.Close()
	webC, iceC := collect(web), collect(ice)
	for _, c := range []struct {
		name  string
		sent  []byte
		toICE bool
	}{
		{"an HTTP request", []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), false},
		{"a TLS ClientHello", []byte{0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03}, false},
		{"a framed STUN binding request", bindingRequest, true},
		{"a frame of something else", []byte{0x00, 0x14, 0x01, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42, 0, 0}, false},
		{"one byte, then the connection closes", []byte{0x00}, false},
	} {
		conn, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Write(c.sent); err != nil {
			t.Fatal(err)
		}
		conn.(*net.TCPConn).CloseWrite()
		want, other := webC, iceC
		if c.toICE {
			want, other = iceC, webC
		}
		got := within(want, 5*time.Second)
		if got == nil {
			t.Fatalf("%s: not routed to its side", c.name)
		}
		b, _ := io.ReadAll(got)
		got.Close()
		conn.Close()
		if !bytes.Equal(b, c.sent) {
			t.Errorf("%s: the side read %x, want what was sent, %x", c.name, b, c.sent)
		}
		if stray := within(other, 50*time.Millisecond); stray != nil {
			t.Errorf("%s: the other side got a connection too", c.name)
			stray.Close()
		}
	}

	// A connection that sends nothing is held until it does; closing it
	// frees its goroutine without reaching either side.
	silent, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	silent.Close()
	if c := within(webC, 100*time.Millisecond); c != nil {
		t.Error("a connection that sent nothing reached the web side")
		c.Close()
	}

	// Closing one side closes the listener and both sides.
	web.Close()
	if _, ok := <-iceC; ok {
		t.Error("the ICE side accepted after Close")
	}
	if _, err := ice.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("the ICE side's Accept after Close: %v, want net.ErrClosed", err)
	}
	if _, err := net.DialTimeout("tcp", l.Addr().String(), time.Second); err == nil {
		t.Error("the listener still accepts after Close")
	}
}

// collect accepts l's connections into a channel, closed when l is.
func collect(l net.Listener) <-chan net.Conn {
	ch := make(chan net.Conn, 8)
	go func() {
		defer close(ch)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			ch <- c
		}
	}()
	return ch
}

// within returns the next connection of ch, or nil after d.
func within(ch <-chan net.Conn, d time.Duration) net.Conn {
	select {
	case c := <-ch:
		return c
	case <-time.After(d):
		return nil
	}
}

// FuzzSniff: any first bytes are routed one way or the other, and replayed
// whole; only a framed binding request goes to ICE.
func FuzzSniff(f *testing.F) {
	f.Add(bindingRequest)
	f.Add([]byte("POST /webrtc/offer HTTP/1.1\r\n"))
	f.Add([]byte{0x16, 0x03, 0x01})
	f.Add([]byte{0x00})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		head, isICE, err := sniff(bytes.NewReader(b))
		if !bytes.HasPrefix(b, head) {
			t.Fatalf("head %x is not a prefix of %x", head, b)
		}
		if err != nil && len(b) >= stunHead && b[0] == 0 {
			t.Fatalf("%x: %v", b, err)
		}
		want := len(b) >= stunHead && b[0] == 0 && b[2] == 0 && b[3] == 1 && bytes.Equal(b[6:10], []byte{0x21, 0x12, 0xa4, 0x42})
		if isICE != want {
			t.Fatalf("%x: ICE %v, want %v", b, isICE, want)
		}
	})
}
