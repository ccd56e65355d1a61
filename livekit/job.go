package livekit

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	lkp "github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/pion/webrtc/v4"
	"golang.org/x/time/rate"

	"github.com/rtcstream/rtcstream/codec"
)

// joinTimeout bounds joining a job's room.
const joinTimeout = 15 * time.Second

// job is one room the worker serves: it joins the room as an agent
// participant and runs a stream for every other participant's camera.
type job struct {
	w      *Worker
	id     string
	room   string
	agent  string // the worker's identity in the room
	meta   string // the dispatch's metadata, for a hand-over
	dname  string // the dispatch's agent name
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc

	smu sync.Mutex // orders the starting and stopping of streams

	mu      sync.Mutex
	lk      *lksdk.Room
	streams map[string]*stream // by participant identity
	ended   bool

	handedOver atomic.Bool // its room was dispatched to another worker

	stray *rate.Limiter // warnings to participants with no stream
}

// startJob joins the assigned job's room and serves it until it ends.
func (w *Worker) startJob(ctx context.Context, c *agentConn, lj *lkp.Job, url, token string) {
	jctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	j := &job{w: w, id: lj.Id, room: lj.GetRoom().GetName(), agent: agentIdentity(lj.Id), meta: lj.Metadata,
		dname: lj.AgentName, ctx: jctx, cancel: cancel, streams: map[string]*stream{},
		stray: rate.NewLimiter(1, 1)}
	j.log = w.log.With("job", j.id, "room", j.room)
	if !w.addJob(j) {
		cancel()
		j.log.Warn("livekit: job assigned to a full or draining worker: refused")
		w.updateJob(j.id, lkp.JobStatus_JS_FAILED, errJobDeclined.Error())
		return
	}
	defer w.removeJob(j)
	if err := j.join(url, token); err != nil {
		j.log.Error("livekit: job failed: could not join its room", "err", err)
		w.updateJob(j.id, lkp.JobStatus_JS_FAILED, err.Error())
		cancel()
		return
	}
	if w.lease != nil {
		if err := w.lease.take(jctx, j); err != nil {
			j.log.Warn("livekit: no lease for the job: it will not move if this worker dies", "err", err)
		} else {
			go w.lease.keep(j)
		}
	}
	j.log.Info("livekit: job started")
	w.updateJob(j.id, lkp.JobStatus_JS_RUNNING, "")
	j.watchEmpty(w.opts.EmptyRoomTimeout)
	j.leave()
	if w.lease != nil {
		w.lease.release(j)
	}
	w.updateJob(j.id, lkp.JobStatus_JS_SUCCESS, "")
}

// watchEmpty waits for the job to end, and ends it when its room has held
// no one but agents for timeout.
func (j *job) watchEmpty(timeout time.Duration) {
	t := time.NewTicker(min(time.Second, timeout/4))
	defer t.Stop()
	lastPeople := time.Now()
	for {
		select {
		case <-j.ctx.Done():
			return
		case now := <-t.C:
			if lk := j.conn(); lk != nil && slices.ContainsFunc(lk.GetRemoteParticipants(),
				func(rp *lksdk.RemoteParticipant) bool { return rp.Kind() != lksdk.ParticipantAgent }) {
				lastPeople = now
			} else if now.Sub(lastPeople) >= timeout {
				j.end(fmt.Sprintf("no one but agents in the room for %v", timeout))
				return
			}
		}
	}
}

// join connects to the room and subscribes to the cameras in it.
func (j *job) join(url, token string) error {
	cb := lksdk.NewRoomCallback()
	cb.OnTrackPublished = func(pub *lksdk.RemoteTrackPublication, rp *lksdk.RemoteParticipant) { j.consider(pub, rp) }
	cb.OnTrackSubscribed = func(t *webrtc.TrackRemote, pub *lksdk.RemoteTrackPublication, rp *lksdk.RemoteParticipant) {
		j.subscribed(t, pub, rp)
	}
	cb.OnTrackUnsubscribed = func(t *webrtc.TrackRemote, _ *lksdk.RemoteTrackPublication, rp *lksdk.RemoteParticipant) {
		j.unsubscribed(t, rp)
	}
	// Not on the SDK's goroutine: starting a stream publishes tracks,
	// whose answers that goroutine delivers.
	cb.OnParticipantConnected = func(rp *lksdk.RemoteParticipant) { go j.joined(rp) }
	cb.OnParticipantDisconnected = func(rp *lksdk.RemoteParticipant) { j.stopStream(rp.Identity(), "participant left") }
	cb.OnDataPacket = func(d lksdk.DataPacket, p lksdk.DataReceiveParams) { j.data(d, p) }
	cb.OnDisconnected = func() { go j.end("disconnected from the room") }

	type result struct {
		r   *lksdk.Room
		err error
	}
	ch := make(chan result, 1)
	go func() {
		r, err := lksdk.ConnectToRoomWithToken(url, token, cb, lksdk.WithAutoSubscribe(false), lksdk.WithLogger(sdkLogger(j.log)))
		ch <- result{r, err}
	}()
	var res result
	select {
	case res = <-ch:
	case <-time.After(joinTimeout):
		go func() {
			if r := <-ch; r.r != nil {
				r.r.Disconnect()
			}
		}()
		return fmt.Errorf("no answer from the room in %v", joinTimeout)
	}
	if res.err != nil {
		return res.err
	}
	j.mu.Lock()
	j.lk = res.r
	ended := j.ended
	j.mu.Unlock()
	if ended {
		res.r.Disconnect()
		return fmt.Errorf("the job ended while joining")
	}
	for _, rp := range res.r.GetRemoteParticipants() {
		j.joined(rp)
		for _, p := range rp.TrackPublications() {
			if pub, ok := p.(*lksdk.RemoteTrackPublication); ok {
				j.consider(pub, rp)
			}
		}
	}
	return nil
}

// consider subscribes to a publication the stream processes: a
// participant's camera or microphone (as the stream takes video or audio),
// not another agent's.
func (j *job) consider(pub *lksdk.RemoteTrackPublication, rp *lksdk.RemoteParticipant) {
	cfg := &j.w.cfg
	if rp.Kind() == lksdk.ParticipantAgent ||
		!(pub.Kind() == lksdk.TrackKindVideo && cfg.TakesVideo() || pub.Kind() == lksdk.TrackKindAudio && cfg.TakesAudio()) {
		return
	}
	if err := pub.SetSubscribed(true); err != nil {
		j.log.Warn("livekit: could not subscribe to a participant's track", "participant", rp.Identity(), "kind", pub.Kind(), "err", err)
	}
}

// joined starts a stream for a participant that joined, when the stream
// takes no track (receive mode: the handler generates for whoever joins).
func (j *job) joined(rp *lksdk.RemoteParticipant) {
	cfg := &j.w.cfg
	if rp.Kind() == lksdk.ParticipantAgent || cfg.TakesVideo() || cfg.TakesAudio() {
		return
	}
	j.smu.Lock()
	defer j.smu.Unlock()
	lk := j.conn()
	if lk != nil && lk.GetParticipantByIdentity(rp.Identity()) != nil && j.stream(rp.Identity()) == nil {
		j.start(rp, nil) // still there: the callback runs late
	}
}

// subscribed gives a subscribed track to its participant's stream,
// starting one if need be. A second track of a kind the stream reads
// already (a camera published anew), or a camera in another codec than
// the stream's video (its microphone came first), replaces the stream,
// which keeps the participant's other track.
func (j *job) subscribed(t *webrtc.TrackRemote, pub *lksdk.RemoteTrackPublication, rp *lksdk.RemoteParticipant) {
	if rp.Kind() == lksdk.ParticipantAgent || t.Kind() != webrtc.RTPCodecTypeVideo && t.Kind() != webrtc.RTPCodecTypeAudio {
		return
	}
	if mime := t.Codec().MimeType; !decodes(t.Kind(), mime) {
		want := "VP8 or H264"
		if t.Kind() == webrtc.RTPCodecTypeAudio {
			want = "Opus"
		}
		j.log.Warn("livekit: a participant's track is not in a codec the worker decodes: not processed",
			"participant", rp.Identity(), "codec", mime, "want", want)
		j.sendTo(rp.Identity(), map[string]string{"type": "error",
			"message": fmt.Sprintf("the server processes %s %s; publish that", want, t.Kind())})
		return
	}
	j.smu.Lock()
	defer j.smu.Unlock()
	s := j.stream(rp.Identity())
	otherCodec := s != nil && t.Kind() == webrtc.RTPCodecTypeVideo && wireCodec(t.Codec().MimeType) != s.media.VideoCodec()
	switch {
	case s != nil && !s.takes(t.Kind()):
		return
	case s != nil && !s.reads(t.Kind()) && !otherCodec:
		s.attach(t)
		return
	case s != nil:
		keep := slices.DeleteFunc(s.tracks(), func(o *webrtc.TrackRemote) bool { return o.Kind() == t.Kind() })
		j.forget(s)
		s.stop("replaced by a new track")
		j.start(rp, append(keep, t))
		return
	}
	j.start(rp, []*webrtc.TrackRemote{t})
}

// start starts rp's stream reading tracks. j.smu must be held.
func (j *job) start(rp *lksdk.RemoteParticipant, tracks []*webrtc.TrackRemote) {
	lk := j.conn()
	j.mu.Lock()
	ended := j.ended
	j.mu.Unlock()
	if ended || lk == nil {
		return
	}
	vc := codec.VP8 // the stream's video both ways: its camera's codec
	for _, t := range tracks {
		if t.Kind() == webrtc.RTPCodecTypeVideo {
			vc = wireCodec(t.Codec().MimeType)
		}
	}
	s, err := newStream(j, lk, rp, vc)
	if err != nil {
		j.log.Error("livekit: could not start a participant's stream", "participant", rp.Identity(), "err", err)
		j.sendTo(rp.Identity(), map[string]string{"type": "error", "message": "the server could not start your stream"})
		return
	}
	for _, t := range tracks {
		s.attach(t)
	}
	j.mu.Lock()
	if j.ended {
		j.mu.Unlock()
		s.stop("job ended")
		return
	}
	j.streams[rp.Identity()] = s
	j.mu.Unlock()
}

// unsubscribed stops reading a track; a stream that reads no track any
// more stops.
func (j *job) unsubscribed(t *webrtc.TrackRemote, rp *lksdk.RemoteParticipant) {
	j.smu.Lock()
	defer j.smu.Unlock()
	s := j.stream(rp.Identity())
	if s != nil && s.detach(t) == 0 && (s.takes(webrtc.RTPCodecTypeVideo) || s.takes(webrtc.RTPCodecTypeAudio)) {
		j.forget(s)
		s.stop("track unsubscribed")
	}
}

// stream returns identity's stream, or nil.
func (j *job) stream(identity string) *stream {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.streams[identity]
}

// forget removes s from the job's streams, if it is there.
func (j *job) forget(s *stream) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.streams[s.identity] == s {
		delete(j.streams, s.identity)
	}
}

// finished frees a stream that ended by itself.
func (j *job) finished(s *stream) {
	j.forget(s)
	s.stop("the stream ended")
}

// stopStream stops identity's stream, if any.
func (j *job) stopStream(identity, why string) {
	j.mu.Lock()
	s := j.streams[identity]
	delete(j.streams, identity)
	j.mu.Unlock()
	if s != nil {
		s.stop(why)
	}
}

// data handles a participant's control message.
func (j *job) data(d lksdk.DataPacket, p lksdk.DataReceiveParams) {
	u, ok := d.(*lksdk.UserDataPacket)
	if !ok || u.Topic != Topic {
		return
	}
	j.mu.Lock()
	s := j.streams[p.SenderIdentity]
	j.mu.Unlock()
	if s == nil {
		if j.stray.Allow() { // a reply to every stray message would echo a flood
			j.sendTo(p.SenderIdentity, map[string]string{"type": "warning", "message": "no stream of yours runs: publish a camera first"})
		}
		return
	}
	s.control(u.Payload)
}

// sendTo sends a control message to one participant.
func (j *job) sendTo(identity string, msg any) {
	j.mu.Lock()
	lk := j.lk
	j.mu.Unlock()
	if lk == nil {
		return
	}
	b, err := json.Marshal(msg)
	if err != nil {
		return
	}
	j.sendJSON(identity, b)
}

// sendJSON sends an encoded control message to one participant.
func (j *job) sendJSON(identity string, b []byte) {
	lk := j.conn()
	if lk == nil {
		return
	}
	_ = lk.LocalParticipant.PublishDataPacket(&lksdk.UserDataPacket{Payload: b, Topic: Topic},
		lksdk.WithDataPublishReliable(true), lksdk.WithDataPublishDestination([]string{identity}))
}

// end ends the job: its streams stop and it leaves the room. Safe to call
// more than once, from any goroutine.
func (j *job) end(why string) {
	j.mu.Lock()
	if j.ended {
		j.mu.Unlock()
		return
	}
	j.ended = true
	j.mu.Unlock()
	j.log.Info("livekit: job ended", "why", why)
	j.cancel()
}

// leave stops the streams and disconnects from the room.
func (j *job) leave() {
	j.mu.Lock()
	j.ended = true
	streams := j.streams
	j.streams = map[string]*stream{}
	lk := j.lk
	j.mu.Unlock()
	for _, s := range streams {
		s.stop("job ended")
	}
	if lk != nil {
		lk.Disconnect()
	}
}

// successorOverlap is how long a job stays once its successor publishes:
// the participants subscribe to the new track and get its first keyframe.
const successorOverlap = time.Second

// awaitSuccessor waits, up to d, until another agent publishes a
// processed track for every participant this job serves, and then
// successorOverlap.
func (j *job) awaitSuccessor(d time.Duration) {
	start := time.Now()
	for time.Since(start) < d && j.ctx.Err() == nil {
		if j.succeeded() {
			j.log.Info("livekit: the next worker publishes", "after", time.Since(start).Round(time.Millisecond))
			time.Sleep(successorOverlap)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// succeeded says whether other agents publish the tracks of all of this
// job's streams.
func (j *job) succeeded() bool {
	j.mu.Lock()
	lk := j.lk
	want := make(map[string]bool, len(j.streams))
	for id, s := range j.streams {
		if s.publishes() {
			want[TrackName(id)] = true
		}
	}
	j.mu.Unlock()
	if lk == nil {
		return true
	}
	for _, rp := range lk.GetRemoteParticipants() {
		if rp.Kind() != lksdk.ParticipantAgent {
			continue
		}
		for _, pub := range rp.TrackPublications() {
			delete(want, pub.Name())
		}
	}
	return len(want) == 0
}
