package livekit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/livekit/protocol/auth"
	lkp "github.com/livekit/protocol/livekit"
	"google.golang.org/protobuf/proto"
)

// The agent protocol: protobuf messages (livekit.WorkerMessage out,
// livekit.ServerMessage in) in binary WebSocket messages on the server's
// /agent endpoint, authorised by a token with the agent grant. The worker
// registers, answers each job's availability request, is assigned the job
// with a token to join its room, reports the job's status, and reports its
// own load whenever it changes and every statusInterval.
const (
	registerTimeout = 10 * time.Second
	statusInterval  = 5 * time.Second
	pingInterval    = 10 * time.Second
	writeTimeout    = 5 * time.Second
	maxServerMsg    = 1 << 20 // bytes
	protocolVersion = "1"
)

// refusedError is the server refusing the worker's connection.
type refusedError struct {
	status int
	body   string
}

func (e *refusedError) Error() string {
	if e.status == http.StatusUnauthorized || e.status == http.StatusForbidden {
		return fmt.Sprintf("the LiveKit server refused the worker's credentials (HTTP %d: %s): check Options.APIKey and Options.APISecret", e.status, e.body)
	}
	return fmt.Sprintf("the LiveKit server refused the worker's connection (HTTP %d: %s)", e.status, e.body)
}

// permanent says whether trying again cannot help.
func (e *refusedError) permanent() bool {
	return e.status == http.StatusUnauthorized || e.status == http.StatusForbidden
}

// agentConn is one registration: a WebSocket to the server.
type agentConn struct {
	w      *Worker
	ws     *websocket.Conn
	id     string        // the worker ID the server gave
	status chan struct{} // the load changed; buffered 1

	wmu sync.Mutex // serialises writes
}

// serve connects, registers, and handles the server's messages until the
// connection fails or ctx is done.
func (w *Worker) serve(ctx context.Context) error {
	tok, err := auth.NewAccessToken(w.opts.APIKey, w.opts.APISecret).
		SetVideoGrant(&auth.VideoGrant{Agent: true}).SetValidFor(time.Hour).ToJWT()
	if err != nil {
		return err
	}
	dialer := websocket.Dialer{HandshakeTimeout: registerTimeout}
	ws, resp, err := dialer.DialContext(ctx, w.wsURL+"?protocol="+protocolVersion,
		http.Header{"Authorization": {"Bearer " + tok}})
	if err != nil {
		if resp != nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
			resp.Body.Close()
			return &refusedError{status: resp.StatusCode, body: string(body)}
		}
		return err
	}
	ws.SetReadLimit(maxServerMsg)
	c := &agentConn{w: w, ws: ws, status: make(chan struct{}, 1)}
	stop := context.AfterFunc(ctx, func() { ws.Close() })
	defer stop()
	defer ws.Close()

	if err := c.register(); err != nil {
		return err
	}
	w.log.Info("livekit: worker registered", "worker", c.id, "url", w.opts.URL, "jobs", w.Jobs())
	w.mu.Lock()
	w.conn = c
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		if w.conn == c {
			w.conn = nil
		}
		w.mu.Unlock()
	}()

	done := make(chan struct{})
	defer close(done)
	go c.reportStatus(done)
	for {
		msg, err := c.read()
		if err != nil {
			return err
		}
		c.handle(ctx, msg)
	}
}

// register sends the registration and waits for its answer.
func (c *agentConn) register() error {
	w := c.w
	err := c.write(&lkp.WorkerMessage{Message: &lkp.WorkerMessage_Register{Register: &lkp.RegisterWorkerRequest{
		Type:      lkp.JobType_JT_ROOM,
		AgentName: w.opts.AgentName,
		Version:   "rtcstream",
		AllowedPermissions: &lkp.ParticipantPermission{
			CanSubscribe: true, CanPublish: true, CanPublishData: true, Hidden: false, Agent: true,
		},
	}}})
	if err != nil {
		return err
	}
	c.ws.SetReadDeadline(time.Now().Add(registerTimeout))
	for {
		msg, err := c.read()
		if err != nil {
			return fmt.Errorf("registering: %w", err)
		}
		if r := msg.GetRegister(); r != nil {
			c.id = r.WorkerId
			c.ws.SetReadDeadline(time.Time{})
			return nil
		}
	}
}

// read reads one server message.
func (c *agentConn) read() (*lkp.ServerMessage, error) {
	for {
		kind, b, err := c.ws.ReadMessage()
		if err != nil {
			return nil, err
		}
		if kind != websocket.BinaryMessage {
			continue
		}
		msg := &lkp.ServerMessage{}
		if err := proto.Unmarshal(b, msg); err != nil {
			return nil, fmt.Errorf("a server message the worker cannot read: %w", err)
		}
		return msg, nil
	}
}

// write sends one worker message.
func (c *agentConn) write(msg *lkp.WorkerMessage) error {
	b, err := proto.Marshal(msg)
	if err != nil {
		return err
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.ws.SetWriteDeadline(time.Now().Add(writeTimeout))
	return c.ws.WriteMessage(websocket.BinaryMessage, b)
}

// statusChanged asks reportStatus to report now.
func (c *agentConn) statusChanged() {
	select {
	case c.status <- struct{}{}:
	default:
	}
}

// reportStatus reports the worker's load at once, on every change, and
// every statusInterval; and pings the server.
func (c *agentConn) reportStatus(done <-chan struct{}) {
	t := time.NewTicker(statusInterval)
	defer t.Stop()
	ping := time.NewTicker(pingInterval)
	defer ping.Stop()
	for {
		load, n, full := c.w.load()
		st := lkp.WorkerStatus_WS_AVAILABLE
		if full {
			st = lkp.WorkerStatus_WS_FULL
		}
		if c.write(&lkp.WorkerMessage{Message: &lkp.WorkerMessage_UpdateWorker{UpdateWorker: &lkp.UpdateWorkerStatus{
			Status: &st, Load: load, JobCount: uint32(n),
		}}}) != nil {
			c.ws.Close()
			return
		}
		select {
		case <-done:
			return
		case <-c.status:
		case <-t.C:
		case <-ping.C:
			if c.write(&lkp.WorkerMessage{Message: &lkp.WorkerMessage_Ping{Ping: &lkp.WorkerPing{Timestamp: time.Now().UnixMilli()}}}) != nil {
				c.ws.Close()
				return
			}
		}
	}
}

// handle acts on one server message.
func (c *agentConn) handle(ctx context.Context, msg *lkp.ServerMessage) {
	w := c.w
	switch m := msg.Message.(type) {
	case *lkp.ServerMessage_Availability:
		job := m.Availability.GetJob()
		if job == nil {
			return
		}
		ok := w.promise(job.Id)
		if ok {
			c.statusChanged() // the place it holds counts in the load
		} else {
			w.log.Info("livekit: job declined: the worker is full or draining", "job", job.Id, "room", job.GetRoom().GetName())
		}
		_ = c.write(&lkp.WorkerMessage{Message: &lkp.WorkerMessage_Availability{Availability: &lkp.AvailabilityResponse{
			JobId: job.Id, Available: ok, ParticipantIdentity: agentIdentity(job.Id), ParticipantName: "rtcstream",
		}}})
	case *lkp.ServerMessage_Assignment:
		a := m.Assignment
		if a.GetJob() == nil {
			return
		}
		url := w.opts.URL
		if a.Url != nil && *a.Url != "" {
			url = *a.Url
		}
		go w.startJob(ctx, c, a.Job, url, a.Token)
	case *lkp.ServerMessage_Termination:
		if j := w.job(m.Termination.GetJobId()); j != nil {
			go j.end("LiveKit ended the job")
		}
	}
}

// updateJob reports a job's status on the current registration, if any.
func (w *Worker) updateJob(id string, st lkp.JobStatus, errText string) {
	w.mu.Lock()
	c := w.conn
	w.mu.Unlock()
	if c == nil {
		return
	}
	_ = c.write(&lkp.WorkerMessage{Message: &lkp.WorkerMessage_UpdateJob{UpdateJob: &lkp.UpdateJobStatus{
		JobId: id, Status: st, Error: errText,
	}}})
}

// agentIdentity is the identity the worker takes in a job's room.
func agentIdentity(jobID string) string { return "rtcstream-" + jobID }

var errJobDeclined = errors.New("the worker is full or draining")
