package main

import (
	"context"
	"errors"
	"image"
	"io"
	"net"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream/client"
)

// freeAddr is a free TCP address on loopback.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// demo -turn -turn-relay-only: a client that asks the demo for its
// configuration streams through the demo's own TURN server, and gets its
// frames back processed.
func TestDemoServesTURN(t *testing.T) {
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"demo", "-addr", addr, "-turn", "127.0.0.1:0", "-turn-relay-only", "invert"}, io.Discard, io.Discard)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("demo: %v", err)
		}
	}()
	var c *client.Conn
	var err error
	for deadline := time.Now().Add(10 * time.Second); ; {
		dctx, dcancel := context.WithTimeout(ctx, 10*time.Second)
		c, err = client.Dial(dctx, "http://"+addr+"/", &client.Options{Loopback: true})
		dcancel()
		var oe *net.OpError
		if err == nil || !errors.As(err, &oe) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond) // the demo is not listening yet
	}
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if p, err := c.Path(); err != nil || p.Local != "relay" {
		t.Errorf("path %v (%v), want the client's relay candidate", p, err)
	}
	img := image.NewYCbCr(image.Rect(0, 0, 320, 240), image.YCbCrSubsampleRatio420)
	for i := range img.Y {
		img.Y[i] = 40
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = 128, 128
	}
	got := 0
	for i := 0; i < 90 && got < 5; i++ {
		if err := c.WriteFrame(img, time.Duration(i)*time.Second/30); err != nil {
			t.Fatal(err)
		}
		rctx, rcancel := context.WithTimeout(ctx, 33*time.Millisecond)
		f, err := c.ReadFrame(rctx)
		rcancel()
		if err == nil && f.Image.Y[len(f.Image.Y)/2] > 180 { // 255-40, less the codec's error
			got++
		}
	}
	if got < 5 {
		t.Errorf("%d inverted frames came back through the relay", got)
	}
}

func TestDemoTURNFlagErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-turn-relay-only"},
		{"-turn-tls", "127.0.0.1:0"}, // no HTTPS certificate
		{"-turn", "127.0.0.1:0", "-public-ip", "not-an-ip"},
	} {
		all := append([]string{"demo", "-addr", "127.0.0.1:0"}, append(args, "invert")...)
		if err := run(t.Context(), all, io.Discard, io.Discard); err == nil {
			t.Errorf("%q: no error", args)
		} else {
			t.Logf("%q: %v", args, err)
		}
	}
}
