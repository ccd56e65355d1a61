package livekit_test

import (
	"context"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	lkp "github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/internal/lktest"
	"github.com/rtcstream/rtcstream/livekit"
)

// logRecorder keeps a worker's log messages.
type logRecorder struct {
	mu   sync.Mutex
	msgs []string
}

func (r *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *logRecorder) WithGroup(string) slog.Handler            { return r }
func (r *logRecorder) Handle(_ context.Context, rec slog.Record) error {
	if rec.Level < slog.LevelInfo {
		return nil
	}
	var b strings.Builder
	b.WriteString(rec.Message)
	rec.Attrs(func(a slog.Attr) bool {
		b.WriteString(" " + a.String())
		return true
	})
	r.mu.Lock()
	r.msgs = append(r.msgs, b.String())
	r.mu.Unlock()
	return nil
}

// count returns how many messages contain s.
func (r *logRecorder) count(s string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, m := range r.msgs {
		if strings.Contains(m, s) {
			n++
		}
	}
	return n
}

func (r *logRecorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.msgs, "\n")
}

// agents lists the agent participants in a room.
func agents(t *testing.T, node *lktest.Node, room string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := lksdk.NewRoomServiceClient(node.HTTP, lktest.APIKey, lktest.APISecret).
		ListParticipants(ctx, &lkp.ListParticipantsRequest{Room: room})
	if err != nil {
		t.Fatalf("listing %s: %v", room, err)
	}
	var out []string
	for _, p := range res.Participants {
		if p.Kind == lkp.ParticipantInfo_AGENT {
			out = append(out, p.Identity)
		}
	}
	return out
}

// TestWorkerRefusedCredentials: a worker with a key pair the server does
// not know stops with an error that says so, and takes no jobs.
func TestWorkerRefusedCredentials(t *testing.T) {
	node := lktest.StartNode(t, lktest.NodeOptions{})
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	logs := &logRecorder{}
	w, err := livekit.NewWorker(s, livekit.Options{URL: node.URL, APIKey: lktest.APIKey, APISecret: "not-the-secret-not-the-secret-not-it",
		Logger: slog.New(logs)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err = w.Run(ctx)
	if err == nil || ctx.Err() != nil {
		t.Fatalf("Run = %v after %v; want an error at once", err, ctx.Err())
	}
	if !strings.Contains(err.Error(), "credentials") || !strings.Contains(err.Error(), "APISecret") {
		t.Errorf("Run's error %q does not tell the user to check the key pair", err)
	}
	if logs.count("refused") == 0 {
		t.Errorf("the worker did not log the refusal:\n%s", logs)
	}
}

// TestNewWorkerRefusesBadOptions: a clear error for each.
func TestNewWorkerRefusesBadOptions(t *testing.T) {
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, c := range []struct {
		name string
		s    *rtcstream.Stream
		o    livekit.Options
		want string
	}{
		{"no stream", nil, livekit.Options{URL: "ws://x", APIKey: "k", APISecret: "s"}, "Stream"},
		{"no key", s, livekit.Options{URL: "ws://x"}, "APIKey"},
		{"no URL", s, livekit.Options{APIKey: "k", APISecret: "s"}, "URL"},
		{"bad scheme", s, livekit.Options{URL: "ftp://x", APIKey: "k", APISecret: "s"}, "ws, wss"},
	} {
		if _, err := livekit.NewWorker(c.s, c.o); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: NewWorker error %v, want one naming %q", c.name, err, c.want)
		}
	}
}

// TestWorkerSurvivesALostConnection: the network drops the worker's
// connections to LiveKit (its registration and its room's signalling); it
// registers again, its room keeps one agent (the job is not duplicated),
// and the participant's processed video goes on.
func TestWorkerSurvivesALostConnection(t *testing.T) {
	node := lktest.StartNode(t, lktest.NodeOptions{})
	u, _ := url.Parse(node.URL)
	proxy := lktest.NewProxy(t, u.Host)
	logs := &logRecorder{}
	w := startWorker(t, "ws://"+proxy.Addr, livekit.Options{AgentName: "invert", Logger: slog.New(logs)})
	waitFor(t, 10*time.Second, "registered", func() bool { return logs.count("worker registered") == 1 })

	p, start := publishing(t, node.URL, "room-a", "alice", "invert")
	processed(t, p, start, 30, 20*time.Second)

	cut := time.Now()
	proxy.Cut()
	waitFor(t, 10*time.Second, "registered again", func() bool { return logs.count("worker registered") == 2 })
	took := processed(t, p, cut, 30, 15*time.Second)
	t.Logf("30 inverted frames %v after the cut", took.Round(time.Millisecond))
	time.Sleep(time.Second)
	if got := agents(t, node, "room-a"); len(got) != 1 {
		t.Errorf("room-a holds agents %v after the cut, want one", got)
	}
	if n := w.Jobs(); n != 1 {
		t.Errorf("the worker holds %d jobs after the cut, want 1", n)
	}
}

// TestWorkerAfterANodeRestart: the LiveKit node restarts under the
// worker; its room is gone. The worker's connection rejoins the room
// (made anew, as a participant's would be); with no one back, LiveKit
// closes it after its empty timeout and the job ends. The worker registers
// again and serves the next room.
func TestWorkerAfterANodeRestart(t *testing.T) {
	node := lktest.StartNode(t, lktest.NodeOptions{})
	logs := &logRecorder{}
	w := startWorker(t, node.URL, livekit.Options{AgentName: "invert", Logger: slog.New(logs)})
	waitFor(t, 10*time.Second, "registered", func() bool { return logs.count("worker registered") == 1 })
	p, start := publishing(t, node.URL, "room-a", "alice", "invert")
	processed(t, p, start, 30, 20*time.Second)

	node.Restart(t)
	p.Leave()
	waitFor(t, 30*time.Second, "the old room's job ends", func() bool { return w.Jobs() == 0 })
	waitFor(t, 20*time.Second, "registered again", func() bool { return logs.count("worker registered") == 2 })

	q, start := publishing(t, node.URL, "room-b", "bob", "invert")
	processed(t, q, start, 30, 20*time.Second)
}

// TestWorkerWhenTheParticipantLeaves: the participant leaves mid-stream;
// its stream stops at once, and the job ends when LiveKit closes the room.
func TestWorkerWhenTheParticipantLeaves(t *testing.T) {
	node := lktest.StartNode(t, lktest.NodeOptions{})
	logs := &logRecorder{}
	w := startWorker(t, node.URL, livekit.Options{AgentName: "invert", Logger: slog.New(logs)})
	waitFor(t, 10*time.Second, "registered", func() bool { return logs.count("worker registered") == 1 })
	p, start := publishing(t, node.URL, "room-a", "alice", "invert")
	processed(t, p, start, 10, 20*time.Second)
	p.Leave()
	waitFor(t, 5*time.Second, "the stream stops", func() bool { return logs.count("stream stopped") == 1 })
	took := waitFor(t, 30*time.Second, "the job ends", func() bool { return w.Jobs() == 0 })
	t.Logf("the job ended %v after the participant left", took.Round(100*time.Millisecond))
}

// TestWorkerJobForAVanishedRoom: a room deleted as its job is dispatched
// (the worker's join makes it again, empty): the job ends after
// EmptyRoomTimeout with a log line saying why, and the worker serves the
// next room.
func TestWorkerJobForAVanishedRoom(t *testing.T) {
	node := lktest.StartNode(t, lktest.NodeOptions{})
	logs := &logRecorder{}
	w := startWorker(t, node.URL, livekit.Options{AgentName: "invert", Logger: slog.New(logs), EmptyRoomTimeout: 3 * time.Second})
	waitFor(t, 10*time.Second, "registered", func() bool { return logs.count("worker registered") == 1 })
	rooms := lksdk.NewRoomServiceClient(node.HTTP, lktest.APIKey, lktest.APISecret)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := rooms.CreateRoom(ctx, &lkp.CreateRoomRequest{Name: "gone", Agents: []*lkp.RoomAgentDispatch{{AgentName: "invert"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := rooms.DeleteRoom(ctx, &lkp.DeleteRoomRequest{Room: "gone"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the vanished room's job", func() bool { return logs.count("job started") > 0 || logs.count("could not join") > 0 })
	took := waitFor(t, 10*time.Second, "no job left for the vanished room", func() bool { return w.Jobs() == 0 })
	if logs.count("could not join") == 0 && logs.count("no one but agents") == 0 {
		t.Errorf("no log line says why the job ended:\n%s", logs)
	}
	t.Logf("the vanished room's job was gone %v later", took.Round(100*time.Millisecond))

	p, start := publishing(t, node.URL, "room-b", "bob", "invert")
	processed(t, p, start, 30, 20*time.Second)
}
