package netns

import (
	"io"
	"net"
	"os"
	"runtime"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	os.Exit(RunTestsInNetNS(m))
}

func TestInsideOnlyLoopback(t *testing.T) {
	defer goleak.VerifyNone(t)
	if runtime.GOOS != "linux" || os.Geteuid() != 0 {
		t.Skip("network namespaces need root on Linux")
	}
	if !Inside() {
		t.Fatalf("Inside() = false as root on Linux; %s=%q", EnvVar, os.Getenv(EnvVar))
	}
	ifaces, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	if len(ifaces) != 1 || ifaces[0].Name != "lo" {
		t.Fatalf("interfaces in the namespace = %v, want only lo", ifaces)
	}
	if ifaces[0].Flags&net.FlagUp == 0 {
		t.Fatalf("lo is down: flags %v", ifaces[0].Flags)
	}
}

func TestLoopbackWorks(t *testing.T) {
	defer goleak.VerifyNone(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		_, err = c.Write([]byte("ok"))
		done <- err
	}()
	c, err := net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	b, err := io.ReadAll(c)
	if err != nil || string(b) != "ok" {
		t.Fatalf("read %q, %v", b, err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestLoopbackUpIsIdempotent(t *testing.T) {
	if !Inside() {
		t.Skip("not inside a test network namespace")
	}
	if err := loopbackUp(); err != nil {
		t.Fatal(err)
	}
}
