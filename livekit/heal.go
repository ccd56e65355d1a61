package livekit

import (
	"context"
	"strconv"
	"time"

	lkp "github.com/livekit/protocol/livekit"
)

// Healing: open-source LiveKit sends a dispatch to one worker once; when
// none takes it (every worker full, or two rooms racing for the last
// place) the room never gets its agent. With Redis, one worker at a time
// (whoever takes the heal lock) looks at the rooms every healInterval: a
// room with publishers that asked for this agent (its dispatches name
// Options.AgentName) but has had no job for healGrace is dispatched
// again, so it is served as soon as a worker has room.
const (
	healInterval = 2 * time.Second
	healGrace    = 3 * time.Second
	dispatchMark = 10 * time.Second // a room just dispatched is left alone this long
	unwantedMark = time.Minute      // a room that did not ask for this agent is not asked again this long
)

// markDispatched notes that room was just dispatched.
func (l *leases) markDispatched(ctx context.Context, room string) {
	l.rdb.Set(ctx, l.prefix+"dispatched:"+room, l.owner, dispatchMark)
}

// heal dispatches again the rooms that asked for this agent and have no
// job; one worker does it per healInterval.
func (l *leases) heal(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if ok, err := l.rdb.SetNX(ctx, l.prefix+"heal", l.owner, healInterval-100*time.Millisecond).Result(); err != nil || !ok {
		return
	}
	rooms, err := l.rooms.ListRooms(ctx, &lkp.ListRoomsRequest{})
	if err != nil {
		l.w.log.Warn("livekit: could not list the rooms to find those without a worker", "err", err)
		return
	}
	jobs, err := l.rdb.HGetAll(ctx, l.jobsKey()).Result()
	if err != nil {
		return
	}
	served := map[string]bool{}
	for _, raw := range jobs {
		if rec, ok := parseRecord(raw); ok {
			served[rec.Room] = true
		}
	}
	now := time.Now()
	for _, r := range rooms.Rooms {
		if r.NumPublishers == 0 || served[r.Name] {
			continue
		}
		if n, _ := l.rdb.Exists(ctx, l.prefix+"dispatched:"+r.Name, l.prefix+"unwanted:"+r.Name).Result(); n > 0 {
			continue
		}
		// When was it first seen without a job?
		key := l.prefix + "lacking:" + r.Name
		l.rdb.SetNX(ctx, key, strconv.FormatInt(now.UnixMilli(), 10), 30*time.Second)
		first, err := l.rdb.Get(ctx, key).Int64()
		if err != nil || now.Sub(time.UnixMilli(first)) < healGrace {
			continue
		}
		ds, err := l.dispatch.ListDispatch(ctx, &lkp.ListAgentDispatchRequest{Room: r.Name})
		if err != nil {
			continue
		}
		var wanted *lkp.AgentDispatch
		for _, d := range ds.AgentDispatches {
			if d.AgentName == l.w.opts.AgentName {
				wanted = d
				break
			}
		}
		if wanted == nil {
			l.rdb.Set(ctx, l.prefix+"unwanted:"+r.Name, "1", unwantedMark)
			continue
		}
		log := l.w.log.With("room", r.Name)
		if err := l.redispatch(ctx, leaseRecord{Room: r.Name, AgentName: wanted.AgentName, Metadata: wanted.Metadata}); err != nil {
			log.Warn("livekit: could not dispatch a room that has no worker", "err", err)
			continue
		}
		l.rdb.Del(ctx, key)
		log.Info("livekit: a room without a worker dispatched again", "without", now.Sub(time.UnixMilli(first)).Round(100*time.Millisecond))
	}
}
