package turnserver

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// A stranger's connections are bounded: maxConnsPerIP at a time from one
// address, each closed after its idle time, all closed by closeAll.
func TestConnLimit(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	c := newConnLimit(100, 300*time.Millisecond)
	l := c.wrap(raw)
	accepted := make(chan net.Conn, 100)
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			accepted <- conn
			go func() { _, _ = io.Copy(io.Discard, conn); conn.Close() }() // as pion reads
		}
	}()
	var clients []net.Conn
	for range maxConnsPerIP + 4 {
		conn, err := net.Dial("tcp", raw.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		clients = append(clients, conn)
	}
	for range maxConnsPerIP {
		select {
		case <-accepted:
		case <-time.After(2 * time.Second):
			t.Fatal("fewer connections accepted than the per-address cap")
		}
	}
	select {
	case <-accepted:
		t.Fatalf("more than %d connections from one address accepted", maxConnsPerIP)
	case <-time.After(200 * time.Millisecond):
	}
	// The idle ones are closed: every client sees its end.
	for i, conn := range clients {
		_ = conn.SetReadDeadline(time.Now().Add(3 * time.Second))
		if _, err := conn.Read(make([]byte, 1)); !errors.Is(err, io.EOF) && !isReset(err) {
			t.Fatalf("client %d: %v, want its connection closed", i, err)
		}
	}
	// Their slots are free again.
	conn, err := net.Dial("tcp", raw.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	select {
	case <-accepted:
	case <-time.After(2 * time.Second):
		t.Fatal("a new connection was not accepted after the idle ones closed")
	}
	c.closeAll()
	_ = conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, err := conn.Read(make([]byte, 1)); !errors.Is(err, io.EOF) && !isReset(err) {
		t.Fatalf("after closeAll: %v, want the connection closed", err)
	}
}

func isReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && !op.Timeout()
}
