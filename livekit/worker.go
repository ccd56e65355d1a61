package livekit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/internal/server"
	"github.com/rtcstream/rtcstream/internal/streamlink"
)

// Topic is the data topic of the control messages between a participant
// and its handler.
const Topic = "rtcstream"

// TrackName is the name of the worker's tracks that carry identity's
// processed video and audio.
func TrackName(identity string) string { return "rtcstream:" + identity }

// Options configure a Worker. URL, APIKey and APISecret are required.
type Options struct {
	// URL is the LiveKit server's: ws://, wss://, http:// or https://.
	URL string
	// APIKey and APISecret are a key pair of the LiveKit server's: the
	// worker signs its registration with them, and (with Redis) its
	// dispatches of a dead worker's rooms.
	APIKey, APISecret string
	// AgentName registers the worker for explicit dispatch under that
	// name (a token's RoomConfiguration, or the AgentDispatch API); empty
	// registers it for automatic dispatch: LiveKit sends it every new
	// room.
	AgentName string
	// MaxJobs is how many rooms the worker serves at once; at MaxJobs it
	// reports itself full and LiveKit sends it no more. 0 means the
	// Stream's ConcurrencyLimit, or 4 without one.
	MaxJobs int
	// DrainTimeout is how long Run, once its context is done, waits for
	// the worker's rooms to end before it leaves them (with Redis, they
	// are dispatched to another worker first). 0 means 10 s.
	DrainTimeout time.Duration
	// EmptyRoomTimeout ends a job whose room has held no one but agents
	// this long (a room deleted while its job was dispatched, and made
	// again by the worker's join; everyone gone): LiveKit's own empty
	// timeout is minutes. 0 means 30 s.
	EmptyRoomTimeout time.Duration
	// Redis, when set, is the address (host:port) of the Redis the
	// LiveKit servers share; the worker keeps leases there so that the
	// rooms of a worker that dies move to another (see the package doc).
	Redis string
	// Logger receives the worker's log; nil means slog.Default().
	Logger *slog.Logger
}

// Worker runs a Stream's handlers for the rooms LiveKit dispatches to it.
// Make one with NewWorker and call Run.
type Worker struct {
	cfg    server.Config
	opts   Options
	wsURL  string // the agent endpoint
	apiURL string // the server API's http(s) URL
	log    *slog.Logger
	lease  *leases // nil without Redis

	mu       sync.Mutex
	jobs     map[string]*job      // by job ID
	promised map[string]time.Time // jobs said yes to, not yet assigned: when
	draining bool
	changed  chan struct{} // a job started or ended; buffered 1
	conn     *agentConn    // the current registration, nil between
}

// NewWorker returns a Worker that runs stream's handlers, of any modality
// and mode: for each participant, it reads the camera and microphone the
// stream takes (Video, Audio, AudioVideo) and publishes what the handler
// gives back; in Receive mode it runs the generator for each participant
// that joins. The first Worker (or Join) routes the LiveKit SDK's package-level logger,
// which otherwise writes pion's chatter to the standard logger, to its
// Logger at Debug.
func NewWorker(stream *rtcstream.Stream, opts Options) (*Worker, error) {
	cfg, ok := streamlink.Config(stream)
	if !ok {
		return nil, errors.New("livekit: NewWorker needs a Stream made by rtcstream")
	}
	if opts.APIKey == "" || opts.APISecret == "" {
		return nil, errors.New("livekit: Options.APIKey and Options.APISecret are required")
	}
	wsURL, apiURL, err := serverURLs(opts.URL)
	if err != nil {
		return nil, err
	}
	if opts.MaxJobs <= 0 {
		opts.MaxJobs = cfg.ConcurrencyLimit
		if opts.MaxJobs <= 0 {
			opts.MaxJobs = 4
		}
	}
	if opts.DrainTimeout <= 0 {
		opts.DrainTimeout = 10 * time.Second
	}
	if opts.EmptyRoomTimeout <= 0 {
		opts.EmptyRoomTimeout = 30 * time.Second
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	setSDKLogger(log)
	w := &Worker{cfg: cfg, opts: opts, wsURL: wsURL, apiURL: apiURL, log: log.With("agent", opts.AgentName),
		jobs: map[string]*job{}, promised: map[string]time.Time{}, changed: make(chan struct{}, 1)}
	if opts.Redis != "" {
		w.lease = newLeases(w, opts.Redis)
	}
	return w, nil
}

// serverURLs returns the agent WebSocket's URL and the API's base URL for
// a LiveKit server's URL.
func serverURLs(raw string) (ws, api string, err error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", "", fmt.Errorf("livekit: Options.URL %q is not a LiveKit server's URL (ws://host:7880)", raw)
	}
	switch u.Scheme {
	case "ws", "http":
		u.Scheme = "http"
	case "wss", "https":
		u.Scheme = "https"
	default:
		return "", "", fmt.Errorf("livekit: Options.URL %q: want ws, wss, http or https", raw)
	}
	u.Path, u.RawQuery, u.Fragment = strings.TrimSuffix(u.Path, "/"), "", ""
	api = u.String()
	u.Scheme = map[string]string{"http": "ws", "https": "wss"}[u.Scheme]
	return u.String() + "/agent", api, nil
}

// Registered says whether the worker is registered with LiveKit now, so
// that LiveKit dispatches rooms to it: a readiness check. Between a lost
// connection and the next registration it is false (the rooms it serves go
// on).
func (w *Worker) Registered() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.conn != nil
}

// Jobs returns the number of rooms the worker serves.
func (w *Worker) Jobs() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.jobs)
}

// Run registers the worker with LiveKit and serves the rooms it is sent
// until ctx is done; it re-registers (with backoff) when the connection
// drops, its rooms going on meanwhile. When ctx is done it tells LiveKit
// it takes no more jobs, waits up to Options.DrainTimeout for its rooms
// to end, hands the rest to other workers (with Redis) and leaves them.
// It returns nil after a drain, or the error that stopped it for good
// (credentials refused).
func (w *Worker) Run(ctx context.Context) error {
	if w.lease != nil {
		if err := w.lease.ping(ctx); err != nil {
			return fmt.Errorf("livekit: Redis at %s: %w", w.opts.Redis, err)
		}
		wctx, stopWatch := context.WithCancel(ctx) // also when Run gives up early
		defer stopWatch()
		go w.lease.watch(wctx)
	}
	backoff := time.Duration(0)
	for ctx.Err() == nil {
		began := time.Now()
		err := w.serve(ctx)
		if ctx.Err() != nil {
			break
		}
		var refused *refusedError
		if errors.As(err, &refused) && refused.permanent() {
			w.log.Error("livekit: the server refused the worker", "err", err)
			w.endAll("worker stopped")
			return err
		}
		if time.Since(began) > 30*time.Second {
			backoff = 0 // it had been registered a while: try again soon
		}
		backoff = min(max(2*backoff, 250*time.Millisecond), 10*time.Second)
		w.log.Warn("livekit: worker connection lost; registering again", "err", err, "in", backoff, "jobs", w.Jobs())
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
	}
	w.drain()
	return nil
}

// handOverWait bounds how long a draining worker stays in a room it
// handed over, for the next worker to join (so the video does not pause).
const handOverWait = 5 * time.Second

// drain waits for the jobs to end, up to DrainTimeout, then hands over and
// leaves the rest.
func (w *Worker) drain() {
	w.mu.Lock()
	w.draining = true
	n := len(w.jobs)
	w.mu.Unlock()
	if n > 0 {
		w.log.Info("livekit: worker draining", "jobs", n, "timeout", w.opts.DrainTimeout)
	}
	deadline := time.After(w.opts.DrainTimeout)
	for w.Jobs() > 0 {
		select {
		case <-w.changed:
		case <-deadline:
			w.mu.Lock()
			jobs := make([]*job, 0, len(w.jobs))
			for _, j := range w.jobs {
				jobs = append(jobs, j)
			}
			w.mu.Unlock()
			var handed sync.WaitGroup
			for _, j := range jobs {
				handed.Go(func() {
					if w.lease != nil && w.lease.handOver(context.Background(), j) {
						j.awaitSuccessor(handOverWait)
					}
					j.end("worker shut down")
				})
			}
			handed.Wait()
			for w.Jobs() > 0 {
				<-w.changed
			}
		}
	}
}

// endAll ends every job.
func (w *Worker) endAll(reason string) {
	w.mu.Lock()
	jobs := make([]*job, 0, len(w.jobs))
	for _, j := range w.jobs {
		jobs = append(jobs, j)
	}
	w.mu.Unlock()
	for _, j := range jobs {
		j.end(reason)
	}
}

// promiseTTL is how long a yes to an availability request holds a place:
// LiveKit assigns the job within its 5 s assignment timeout, or not at
// all.
const promiseTTL = 10 * time.Second

// promise says whether the worker takes the job with id, and if so holds
// a place for it until it is assigned: two requests at once cannot both
// have the last place.
func (w *Worker) promise(id string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := time.Now()
	for p, at := range w.promised {
		if now.Sub(at) > promiseTTL {
			delete(w.promised, p)
		}
	}
	if w.draining || w.taken() >= w.opts.MaxJobs {
		return false
	}
	w.promised[id] = now
	return true
}

// taken counts the places held, by jobs and promises; w.mu held.
func (w *Worker) taken() int { return len(w.jobs) + len(w.promised) }

// load is the worker's load for LiveKit, 0 to 1, its job count, and
// whether it is full.
func (w *Worker) load() (float32, int, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := w.taken()
	return min(1, float32(n)/float32(w.opts.MaxJobs)), len(w.jobs), w.draining || n >= w.opts.MaxJobs
}

// addJob records j in the place promised to it (or a free one); false when
// the worker is full or draining.
func (w *Worker) addJob(j *job) bool {
	w.mu.Lock()
	_, promised := w.promised[j.id]
	delete(w.promised, j.id)
	if w.draining || w.jobs[j.id] != nil || (!promised && w.taken() >= w.opts.MaxJobs) {
		w.mu.Unlock()
		w.notify()
		return false
	}
	w.jobs[j.id] = j
	w.mu.Unlock()
	w.notify()
	return true
}

// removeJob forgets j.
func (w *Worker) removeJob(j *job) {
	w.mu.Lock()
	if w.jobs[j.id] == j {
		delete(w.jobs, j.id)
	}
	w.mu.Unlock()
	w.notify()
}

// job returns the job with id, or nil.
func (w *Worker) job(id string) *job {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.jobs[id]
}

// notify tells the status loop and a drain that the jobs changed.
func (w *Worker) notify() {
	select {
	case w.changed <- struct{}{}:
	default:
	}
	w.mu.Lock()
	c := w.conn
	w.mu.Unlock()
	if c != nil {
		c.statusChanged()
	}
}
