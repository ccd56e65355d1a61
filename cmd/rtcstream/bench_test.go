package main

import (
	"bytes"
	"encoding/json"
	"image"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/bench"
	"github.com/rtcstream/rtcstream/internal/netns"
)

// TestMain runs the tests in a network namespace of their own with only a
// loopback interface: the bench tests stream over loopback.
func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	os.Exit(netns.RunTestsInNetNS(m))
}

func TestParseBench(t *testing.T) {
	a, err := parseBench([]string{"http://127.0.0.1:7861/"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	o := a.opts
	if a.url != "http://127.0.0.1:7861/" || o.Streams != 1 || o.Duration != 10*time.Second || o.Width != 640 ||
		o.Height != 480 || o.FPS != 30 || o.Bitrate != 1_000_000 || o.RampUp != 0 || o.Probes != 0 ||
		a.json || a.search || a.searchOpts.Bar.MaxP95 != 50*time.Millisecond || a.searchOpts.Bar.MinReturned != 0.95 ||
		a.searchOpts.MaxStreams != 64 {
		t.Errorf("defaults: %+v", a)
	}

	// Flags before and after the URL, with one or two dashes.
	a, err = parseBench([]string{"--streams", "4", "http://localhost:7860", "--duration", "20s", "-width=320",
		"--height", "240", "--fps", "15", "--bitrate", "2.5M", "--ramp-up", "2s", "--json", "--probes", "1",
		"--search", "--p95", "80ms", "--min-returned", "0.9", "--max-streams", "16", "--pid", "42"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	o = a.opts
	if a.url != "http://localhost:7860" || o.Streams != 4 || o.Duration != 20*time.Second || o.Width != 320 ||
		o.Height != 240 || o.FPS != 15 || o.Bitrate != 2_500_000 || o.RampUp != 2*time.Second || o.Probes != 1 ||
		!a.json || !a.search || a.searchOpts.Bar.MaxP95 != 80*time.Millisecond || a.searchOpts.Bar.MinReturned != 0.9 ||
		a.searchOpts.MaxStreams != 16 || o.ServerPID != 42 {
		t.Errorf("all flags: %+v", a)
	}

	for _, tc := range []struct {
		bitrate string
		want    int
	}{{"800k", 800_000}, {"800K", 800_000}, {"1M", 1_000_000}, {"1500000", 1_500_000}, {"0.5M", 500_000}} {
		a, err := parseBench([]string{"-bitrate", tc.bitrate, "http://127.0.0.1:1"}, io.Discard)
		if err != nil || a.opts.Bitrate != tc.want {
			t.Errorf("-bitrate %s: %v, %v", tc.bitrate, a, err)
		}
	}
	if a, err := parseBench([]string{"-probes", "0", "http://127.0.0.1:1"}, io.Discard); err != nil || a.opts.Probes != -1 {
		t.Errorf("-probes 0 (none): %+v, %v", a, err)
	}

	for _, bad := range [][]string{
		{},                                // no URL
		{"127.0.0.1:7860"},                // no scheme
		{"ftp://127.0.0.1/"},              // not http
		{"http://a/", "http://b/"},        // two URLs
		{"-streams", "0", "http://a/"},    // no streams
		{"-duration", "-1s", "http://a/"}, // negative
		{"-bitrate", "fast", "http://a/"}, // not a number
		{"-bitrate", "-1M", "http://a/"},  // negative
		{"-min-returned", "1.5", "http://a/"},
		{"-p95", "0s", "http://a/"},
		{"-search", "-max-streams", "0", "http://a/"},
		{"-nope", "http://a/"},
	} {
		if _, err := parseBench(bad, io.Discard); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	// -livekit: a LiveKit URL, the key pair from flags or the environment.
	t.Setenv("LIVEKIT_API_KEY", "")
	t.Setenv("LIVEKIT_API_SECRET", "")
	for _, bad := range [][]string{
		{"-livekit", "ws://127.0.0.1:7880"}, // no key pair
		{"-livekit", "-api-key", "k", "-api-secret", "s", "ftp://127.0.0.1:7880"},
		{"-livekit", "-api-key", "k", "-api-secret", "s", "-loss", "0.1", "ws://127.0.0.1:7880"},
	} {
		if _, err := parseBench(bad, io.Discard); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := parseBench([]string{"ws://127.0.0.1:7880"}, io.Discard); err == nil {
		t.Error("a ws:// URL accepted without -livekit")
	}
	t.Setenv("LIVEKIT_API_KEY", "envkey")
	t.Setenv("LIVEKIT_API_SECRET", "envsecret")
	a, err = parseBench([]string{"-livekit", "-agent", "invert", "ws://127.0.0.1:7880"}, io.Discard)
	if err != nil || a.opts.Dial == nil || a.lk.APIKey != "envkey" || a.lk.APISecret != "envsecret" || a.lk.AgentName != "invert" {
		t.Errorf("-livekit with the key pair from the environment: %+v, %v", a, err)
	}

	var help bytes.Buffer
	if err := run(t.Context(), []string{"bench", "-h"}, io.Discard, &help); err != nil || !strings.Contains(help.String(), "-ramp-up") {
		t.Errorf("bench -h: %v\n%s", err, help.String())
	}
}

func TestProgressLine(t *testing.T) {
	var b bytes.Buffer
	p := newProgressLine(&b) // not a terminal: plain lines
	p.show("one")
	p.show("two")
	p.done()
	if b.String() != "one\ntwo\n" {
		t.Errorf("plain: %q", b.String())
	}
	b.Reset()
	p = &progressLine{w: &b, terminal: true}
	p.show("one")
	p.show("two")
	p.done()
	if b.String() != "\rone\x1b[K\rtwo\x1b[K\n" {
		t.Errorf("terminal: %q", b.String())
	}
}

func identityServer(t *testing.T) string {
	t.Helper()
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, func(img image.Image) image.Image { return img },
		&rtcstream.Options{Network: rtcstream.Network{Interfaces: []string{"lo"}, IncludeLoopback: true, DisableMDNS: true}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(func() {
		s.Close()
		srv.Close()
	})
	return srv.URL
}

// The command end to end against an in-process Stream: JSON on stdout,
// progress on stderr.
func TestBenchCommandJSON(t *testing.T) {
	url := identityServer(t)
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), []string{"bench", "-streams", "2", "-duration", "2s", "-width", "320", "-height", "240", "-json",
		"-pid", "999999999", url}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "server process") {
		t.Fatalf("a process that does not exist: %v", err)
	}
	stdout.Reset()
	err = run(t.Context(), []string{"bench", "-streams", "2", "-duration", "2s", "-width", "320", "-height", "240", "-json",
		"-pid", strconv.Itoa(os.Getpid()), url}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	var r struct {
		Setup     struct{ Streams int }
		Connected int
		Returned  uint64
		Latency   bench.Latency
		Server    struct {
			CPU float64 `json:"CPU"`
		}
		Streams []json.RawMessage
	}
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("%v\n%s", err, stdout.String())
	}
	// 120 frames sent; a loaded machine may drop some.
	if r.Setup.Streams != 2 || r.Connected != 2 || r.Returned < 60 || r.Latency.N == 0 || len(r.Streams) != 2 || r.Server.CPU <= 0 {
		t.Errorf("report: %+v\n%s", r, stdout.String())
	}
	if !strings.Contains(stderr.String(), "streams 2/2") {
		t.Errorf("no progress line on stderr:\n%s", stderr.String())
	}
}

// -search in text, with a bar nothing passes: one step, and the answer 0.
func TestBenchCommandSearch(t *testing.T) {
	url := identityServer(t)
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), []string{"bench", url, "-search", "-p95", "1us", "-max-streams", "2", "-duration", "1s",
		"-width", "320", "-height", "240"}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "largest number of streams that passed") || !strings.Contains(stdout.String(), "): 0\n") {
		t.Errorf("stdout:\n%s", stdout.String())
	}
	if !strings.Contains(stderr.String(), "1 streams: FAIL: p95 latency") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
}
