package livekit_test

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	lkp "github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/rtcstream/rtcstream"

	"github.com/rtcstream/rtcstream/internal/childproc"
	"github.com/rtcstream/rtcstream/internal/lktest"
	"github.com/rtcstream/rtcstream/livekit"
)

// The multi-node rig: Redis, two livekit-server nodes sharing it, and two
// rtcstream workers, each a process of its own (the test binary run again
// with workerEnv), registered with one node each.

// workerEnv, set to a workerConfig in JSON, makes the test binary run a
// worker until SIGTERM instead of the tests.
const workerEnv = "RTCSTREAM_LIVEKIT_TEST_WORKER"

// rigAgent is the agent name the rig's workers register under.
const rigAgent = "invert"

type workerConfig struct {
	URL, Redis string
	MaxJobs    int
	Echo       bool // the handler returns the frame as it came (for bench's counter)
}

// echo returns the frame as it came.
func echo(img *image.YCbCr) *image.YCbCr { return img }

// runWorker is the worker process's main.
func runWorker(raw string) int {
	var c workerConfig
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	handler := invert
	if c.Echo {
		handler = echo
	}
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, handler, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	w, err := livekit.NewWorker(s, livekit.Options{URL: c.URL, APIKey: lktest.APIKey, APISecret: lktest.APISecret,
		AgentName: rigAgent, MaxJobs: c.MaxJobs, Redis: c.Redis, DrainTimeout: 2 * time.Second,
		Logger: slog.New(slog.NewTextHandler(os.Stdout, nil))})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := w.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

type rig struct {
	t       *testing.T
	redis   string
	nodes   []*lktest.Node
	workers []*workerProc
}

// workerProc is a worker process.
type workerProc struct {
	name string
	p    *childproc.Proc
}

// startRig starts Redis, two nodes and two workers of maxJobs each, and
// waits until both workers are registered.
func startRig(t *testing.T, maxJobs int) *rig {
	t.Helper()
	r := &rig{t: t, redis: lktest.Redis(t)}
	for range 2 {
		r.nodes = append(r.nodes, lktest.StartNode(t, lktest.NodeOptions{Redis: r.redis}))
	}
	for i, n := range r.nodes {
		r.workers = append(r.workers, startWorkerProc(t, fmt.Sprintf("worker%d", i+1), workerConfig{URL: n.URL, Redis: r.redis, MaxJobs: maxJobs}))
	}
	return r
}

// startWorkerProc runs a worker process until t ends, and waits until it
// is registered.
func startWorkerProc(t testing.TB, name string, c workerConfig) *workerProc {
	t.Helper()
	cfg, _ := json.Marshal(c)
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), workerEnv+"="+string(cfg))
	p, err := childproc.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	w := &workerProc{name: name, p: p}
	t.Cleanup(func() {
		p.Stop(10 * time.Second)
		if t.Failed() {
			t.Logf("%s logged (last lines):\n%s", w.name, p.Tail(40))
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(p.Log(), "worker registered") {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not register in 15 s:\n%s", name, p.Tail(20))
		}
		time.Sleep(50 * time.Millisecond)
	}
	return w
}

var (
	jobStarted = regexp.MustCompile(`msg="livekit: job started" .*room=(\S+)`)
	jobEnded   = regexp.MustCompile(`msg="livekit: job ended" .*room=(\S+)`)
)

// rooms returns the rooms the worker serves, from its log.
func (w *workerProc) rooms() map[string]bool {
	rooms := map[string]bool{}
	for _, l := range w.p.Lines() {
		if m := jobStarted.FindStringSubmatch(l); m != nil {
			rooms[m[1]] = true
		} else if m := jobEnded.FindStringSubmatch(l); m != nil {
			delete(rooms, m[1])
		}
	}
	return rooms
}

// room creates a room on node, with the rig's agent dispatched to it,
// and joins a participant publishing the camera there.
func (r *rig) room(name string, node *lktest.Node) *lktest.Participant {
	r.t.Helper()
	rooms := lksdk.NewRoomServiceClient(node.HTTP, lktest.APIKey, lktest.APISecret)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := rooms.CreateRoom(ctx, &lkp.CreateRoomRequest{Name: name, NodeId: node.ID,
		Agents: []*lkp.RoomAgentDispatch{{AgentName: rigAgent}}}); err != nil {
		r.t.Fatalf("creating %s on %s: %v", name, node.ID, err)
	}
	id := "person-in-" + name
	p := lktest.Join(r.t, node.URL, lktest.Token(r.t, name, id, ""))
	p.SetColor(camY, camU, camV)
	p.PublishCamera(image.Pt(320, 240))
	return p
}

// twoRooms makes a room on each node, waits until both are processed, and
// returns their participants by room, a worker serving at least one of
// them, and the other.
func (r *rig) twoRooms() (ps map[string]*lktest.Participant, busy, other *workerProc) {
	r.t.Helper()
	start := time.Now()
	ps = map[string]*lktest.Participant{}
	for i := range 2 {
		name := fmt.Sprintf("room-%d", i)
		ps[name] = r.room(name, r.nodes[i])
	}
	for _, p := range ps {
		processed(r.t, p, start, 30, 30*time.Second)
	}
	busy, other = r.workers[0], r.workers[1]
	if len(busy.rooms()) == 0 {
		busy, other = other, busy
	}
	return ps, busy, other
}

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > d {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return time.Since(start)
}

// processed waits until p has got n inverted frames since from.
func processed(t *testing.T, p *lktest.Participant, from time.Time, n int, within time.Duration) time.Duration {
	t.Helper()
	took, ok := p.WaitFrames(from, n, within, inverted)
	if !ok {
		fs := p.Frames(from)
		t.Fatalf("%s got %d frames in %v, fewer than %d of them the camera inverted (last: %+v)", p.Identity, len(fs), within, n, last(fs))
	}
	return took
}

// TestRigSpreadsRoomsAndFillsWorkers: rooms on both nodes all get their
// cameras processed (one whose dispatch LiveKit dropped, when two rooms
// raced for a worker's last place, is dispatched again); the jobs spread
// evenly over the two workers (at two rooms each they are full); a fifth
// room gets no job while both are full, and gets one once a room ends.
func TestRigSpreadsRoomsAndFillsWorkers(t *testing.T) {
	r := startRig(t, 2)
	start := time.Now()
	var ps []*lktest.Participant
	for i := range 4 {
		ps = append(ps, r.room(fmt.Sprintf("room-%d", i), r.nodes[i%2]))
	}
	for _, p := range ps {
		took := processed(t, p, start, 30, 30*time.Second)
		t.Logf("%s: 30 inverted frames %v after the rooms were made", p.Identity, took.Round(time.Millisecond))
	}
	for _, w := range r.workers {
		if n := len(w.rooms()); n != 2 {
			t.Errorf("%s serves %d rooms (%v), want 2 of the 4", w.name, n, w.rooms())
		}
	}

	// Both full: a fifth room waits.
	fifthAt := time.Now()
	fifth := r.room("room-5", r.nodes[0])
	time.Sleep(5 * time.Second)
	if fs := fifth.Frames(fifthAt); len(fs) > 0 {
		t.Errorf("the fifth room got %d frames back while both workers were full", len(fs))
	}
	for _, w := range r.workers {
		if n := len(w.rooms()); n != 2 {
			t.Errorf("%s serves %d rooms with both full, want 2", w.name, n)
		}
	}
	// A room ends: the fifth gets its place.
	ended := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := lksdk.NewRoomServiceClient(r.nodes[0].HTTP, lktest.APIKey, lktest.APISecret).
		DeleteRoom(ctx, &lkp.DeleteRoomRequest{Room: "room-0"}); err != nil {
		t.Fatal(err)
	}
	took := processed(t, fifth, ended, 10, 20*time.Second)
	t.Logf("the fifth room was served %v after a room ended", took.Round(time.Millisecond))
}

// TestRigMovesADeadWorkersRooms: when a worker process is killed, its rooms
// go to the other worker within 5 s and their participants get processed
// video again.
func TestRigMovesADeadWorkersRooms(t *testing.T) {
	r := startRig(t, 4)
	ps, victim, survivor := r.twoRooms()
	moved := victim.rooms()
	t.Logf("%s serves %v, %s %v: killing %s", victim.name, moved, survivor.name, survivor.rooms(), victim.name)
	killed := time.Now()
	victim.p.Kill()
	for room := range moved {
		took := processed(t, ps[room], killed, 10, 15*time.Second)
		t.Logf("%s: processed video again %v after the kill", room, took.Round(time.Millisecond))
		if took > 5*time.Second {
			t.Errorf("%s: processed video again %v after its worker was killed, want within 5 s", room, took.Round(time.Millisecond))
		}
	}
	if got := survivor.rooms(); len(got) != 2 {
		t.Errorf("%s serves %v after the kill, want both rooms", survivor.name, got)
	}
}

// TestRigHandsOverOnShutdown: a worker told to stop (SIGTERM) drains: once
// its DrainTimeout passes it dispatches its rooms anew and stays until the
// other worker publishes their video, so the participants' processed
// video does not pause.
func TestRigHandsOverOnShutdown(t *testing.T) {
	r := startRig(t, 4)
	ps, leaving, staying := r.twoRooms()
	moved := leaving.rooms()
	stopped := time.Now()
	leaving.p.Stop(30 * time.Second)
	t.Logf("%s drained and stopped in %v", leaving.name, time.Since(stopped).Round(time.Millisecond))
	if !strings.Contains(leaving.p.Log(), "handed over") {
		t.Errorf("%s did not hand its rooms over:\n%s", leaving.name, leaving.p.Tail(20))
	}
	for room := range moved {
		p := ps[room]
		processed(t, p, time.Now(), 10, 10*time.Second)
		fs := p.Frames(stopped)
		var gap time.Duration
		for i := 1; i < len(fs); i++ {
			gap = max(gap, fs[i].At.Sub(fs[i-1].At))
		}
		t.Logf("%s: longest pause in its processed video while its worker stopped: %v", room, gap.Round(time.Millisecond))
		if gap > time.Second {
			t.Errorf("%s: its processed video paused %v while its worker handed it over, want under 1 s", room, gap.Round(time.Millisecond))
		}
	}
	if got := staying.rooms(); len(got) != 2 {
		t.Errorf("%s serves %v after the hand-over, want both rooms", staying.name, got)
	}
}

// TestRigBrowserParticipant: Chromium, on a page whose stream joins
// LiveKit through the second node, gets its camera back from one of the
// rig's worker processes, inverted, beside a Go participant on the first.
func TestRigBrowserParticipant(t *testing.T) {
	r := startRig(t, 4)
	start := time.Now()
	goP := r.room("room-go", r.nodes[0])
	page, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, echo, &rtcstream.Options{
		LiveKit: rtcstream.LiveKitPage{TokenURL: "livekit/token", ServerURL: r.nodes[1].URL}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { page.Close() })
	tokens, err := livekit.TokenHandler(livekit.TokenHandlerOptions{URL: r.nodes[1].URL, APIKey: lktest.APIKey, APISecret: lktest.APISecret, AgentName: rigAgent})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", page)
	mux.Handle("/livekit/token", tokens)
	origin := serveOn(t, mux)
	ctx := startPage(t, origin, flatCamera(t, camY, camU, camV))
	checkInvertedOutput(t, ctx)
	processed(t, goP, start, 30, 30*time.Second)
	served := 0
	for _, w := range r.workers {
		served += len(w.rooms())
	}
	if served != 2 {
		t.Errorf("the workers serve %d rooms, want 2 (the Go participant's and the browser's)", served)
	}
}
