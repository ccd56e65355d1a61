package livekit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	lkp "github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/redis/go-redis/v9"
)

// Failover. Open-source LiveKit leaves a dead worker's jobs dead (a killed
// worker's participant lingers for about 15 s, and no new job is sent). So
// with Options.Redis each job keeps a lease in Redis, renewed every
// leaseRenew; every worker looks at the others' jobs every watchInterval,
// and the first to find a lease gone removes the dead worker's participant
// from the room and dispatches the room anew, which LiveKit sends to a
// worker with room to spare. A worker that finds its own lease gone (it
// stalled longer than leaseTTL) leaves the room, so a room is never served
// twice for long. A room with no one left but agents is not dispatched
// again.
const (
	leaseTTL      = 2 * time.Second
	leaseRenew    = 500 * time.Millisecond
	watchInterval = 500 * time.Millisecond
	takeoverTTL   = 30 * time.Second // one worker takes over a job
	redisTimeout  = time.Second
)

// leaseRecord is what Redis holds of a job, for whoever takes it over.
type leaseRecord struct {
	Room      string `json:"room"`
	Agent     string `json:"agent"` // the dead worker's identity in the room
	AgentName string `json:"agent_name"`
	Metadata  string `json:"metadata,omitempty"`
}

// leases keeps the worker's leases and watches the others'.
type leases struct {
	w        *Worker
	rdb      *redis.Client
	prefix   string
	owner    string // this worker process
	rooms    *lksdk.RoomServiceClient
	dispatch *lksdk.AgentDispatchClient
}

func newLeases(w *Worker, addr string) *leases {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return &leases{
		w:        w,
		rdb:      redis.NewClient(&redis.Options{Addr: addr, DialTimeout: redisTimeout, ReadTimeout: redisTimeout, WriteTimeout: redisTimeout}),
		prefix:   "rtcstream:livekit:" + w.opts.AgentName + ":",
		owner:    hex.EncodeToString(b),
		rooms:    lksdk.NewRoomServiceClient(w.apiURL, w.opts.APIKey, w.opts.APISecret),
		dispatch: lksdk.NewAgentDispatchServiceClient(w.apiURL, w.opts.APIKey, w.opts.APISecret),
	}
}

func (l *leases) jobsKey() string           { return l.prefix + "jobs" }
func (l *leases) leaseKey(id string) string { return l.prefix + "lease:" + id }

func (l *leases) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, redisTimeout)
	defer cancel()
	return l.rdb.Ping(ctx).Err()
}

// take records j and its lease.
func (l *leases) take(ctx context.Context, j *job) error {
	rec, err := json.Marshal(leaseRecord{Room: j.room, Agent: j.agent, AgentName: j.dname, Metadata: j.meta})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, redisTimeout)
	defer cancel()
	_, err = l.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, l.leaseKey(j.id), l.owner, leaseTTL)
		p.HSet(ctx, l.jobsKey(), j.id, rec)
		return nil
	})
	return err
}

// renew extends a lease its owner holds: 1 renewed, 0 not this owner's.
var renew = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) else return 0 end`)

// keep renews j's lease until j ends; it ends j if the lease was lost. A
// Redis that does not answer ends nothing: no one can take the job over
// meanwhile either.
func (l *leases) keep(j *job) {
	t := time.NewTicker(leaseRenew)
	defer t.Stop()
	for {
		select {
		case <-j.ctx.Done():
			return
		case <-t.C:
		}
		if j.handedOver.Load() {
			return
		}
		ctx, cancel := context.WithTimeout(j.ctx, redisTimeout)
		n, err := renew.Run(ctx, l.rdb, []string{l.leaseKey(j.id)}, l.owner, leaseTTL.Milliseconds()).Int()
		cancel()
		switch {
		case err != nil:
			if j.ctx.Err() == nil {
				j.log.Warn("livekit: could not renew the job's lease", "err", err)
			}
		case n == 0 && !j.handedOver.Load():
			j.log.Warn("livekit: the job's lease expired (the worker stalled); another worker takes the room")
			j.end("lease lost")
			return
		}
	}
}

// release forgets j: it ended here.
func (l *leases) release(j *job) {
	ctx, cancel := context.WithTimeout(context.Background(), redisTimeout)
	defer cancel()
	if _, err := l.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, l.leaseKey(j.id))
		p.HDel(ctx, l.jobsKey(), j.id)
		return nil
	}); err != nil {
		j.log.Warn("livekit: could not release the job's lease", "err", err)
	}
}

// handOver dispatches j's room anew before this worker leaves it; false
// if it could not.
func (l *leases) handOver(ctx context.Context, j *job) bool {
	j.handedOver.Store(true) // keep stops renewing, and ends nothing
	l.release(j)
	if err := l.redispatch(ctx, leaseRecord{Room: j.room, AgentName: j.dname, Metadata: j.meta}); err != nil {
		j.log.Warn("livekit: could not hand the room over", "err", err)
		return false
	}
	j.log.Info("livekit: room handed over to another worker")
	return true
}

// watch looks for the jobs of dead workers, and for rooms without a
// worker, until ctx is done.
func (l *leases) watch(ctx context.Context) {
	t := time.NewTicker(watchInterval)
	defer t.Stop()
	h := time.NewTicker(healInterval)
	defer h.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			l.check(ctx)
		case <-h.C:
			l.heal(ctx)
		}
	}
}

// parseRecord reads a job's record.
func parseRecord(raw string) (leaseRecord, bool) {
	var rec leaseRecord
	return rec, json.Unmarshal([]byte(raw), &rec) == nil
}

// check takes over every job whose lease is gone.
func (l *leases) check(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	jobs, err := l.rdb.HGetAll(ctx, l.jobsKey()).Result()
	if err != nil {
		return
	}
	for id, raw := range jobs {
		if l.w.job(id) != nil {
			continue // ours, and alive
		}
		n, err := l.rdb.Exists(ctx, l.leaseKey(id)).Result()
		if err != nil || n > 0 {
			continue
		}
		if ok, err := l.rdb.SetNX(ctx, l.prefix+"takeover:"+id, l.owner, takeoverTTL).Result(); err != nil || !ok {
			continue // another worker has it
		}
		rec, ok := parseRecord(raw)
		if !ok {
			l.rdb.HDel(ctx, l.jobsKey(), id)
			continue
		}
		log := l.w.log.With("job", id, "room", rec.Room)
		switch err := l.takeOver(ctx, rec); {
		case errors.Is(err, errRoomEmpty):
			log.Info("livekit: a dead worker's room has no one left: not moved")
		case err != nil:
			log.Warn("livekit: could not move a dead worker's room", "err", err)
		default:
			log.Info("livekit: a dead worker's room dispatched anew")
		}
		l.rdb.HDel(ctx, l.jobsKey(), id)
	}
}

// errRoomEmpty: no one but agents is left; nothing to move.
var errRoomEmpty = errors.New("no participant left but agents")

// takeOver removes the dead worker's participant and dispatches its room.
func (l *leases) takeOver(ctx context.Context, rec leaseRecord) error {
	ps, err := l.rooms.ListParticipants(ctx, &lkp.ListParticipantsRequest{Room: rec.Room})
	if err != nil {
		return err
	}
	people := 0
	for _, p := range ps.Participants {
		if p.Kind != lkp.ParticipantInfo_AGENT {
			people++
		}
	}
	if people == 0 {
		return errRoomEmpty
	}
	_, _ = l.rooms.RemoveParticipant(ctx, &lkp.RoomParticipantIdentity{Room: rec.Room, Identity: rec.Agent})
	return l.redispatch(ctx, rec)
}

// redispatch asks LiveKit for a new job in rec's room.
func (l *leases) redispatch(ctx context.Context, rec leaseRecord) error {
	_, err := l.dispatch.CreateDispatch(ctx, &lkp.CreateAgentDispatchRequest{
		Room: rec.Room, AgentName: rec.AgentName, Metadata: rec.Metadata,
	})
	if err == nil {
		l.markDispatched(ctx, rec.Room)
	}
	return err
}
