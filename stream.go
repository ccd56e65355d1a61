package rtcstream

import (
	"context"
	"fmt"
	"net/http"
	"sync"

	"github.com/pion/webrtc/v4"

	"github.com/rtcstream/rtcstream/internal/peer"
)

// Stream turns a handler into a real-time stream served to browsers. It is
// an http.Handler that serves its page at "/", its assets under "/assets/"
// and its signalling under "/webrtc/"; mount it anywhere, with
// http.StripPrefix for a sub-path. A Stream is safe for concurrent use.
//
// NewStream makes a Stream with a page of its own; on a Blocks page
// (package ui) the WebRTC component makes one with WebRTC.Stream.
type Stream struct {
	modality Modality
	mode     Mode
	bind     *binding                 // video handlers
	audio    *audioBinding            // audio handlers
	av       func() AudioVideoHandler // audio-video handlers, one per session
	opts     Options
	api      *webrtc.API    // shared by sessions without bandwidth adaptation
	net      peer.NetConfig // for sessions that make their own API
	mux      *http.ServeMux

	// ids maps page component ids to the handler's parameters and
	// results; set when the stream is mounted on a Blocks page.
	idsMu     sync.RWMutex
	inputIDs  map[string]int // component id -> parameter index
	outputIDs map[int]string // result index -> component id

	ctx    context.Context // the lifetime of every session
	cancel context.CancelFunc

	mu       sync.Mutex
	byToken  map[string]*session
	byID     map[string]*session
	queue    []*ticket // the waiting line, in order (queue.go)
	reported int       // the waiting count last told to the Observer
	closed   bool
	sessions sync.WaitGroup
}

// NewStream returns a Stream with a page of its own that runs handler on
// every frame.
//
// For Video with SendReceive, handler is one of
//
//	func(image.Image) image.Image
//	func(image.Image) (image.Image, error)
//	func(*image.YCbCr) *image.YCbCr
//	func(*image.YCbCr) (*image.YCbCr, error)
//	func(context.Context, image.Image) (image.Image, error)
//	VideoHandlerFunc
//
// under the contract described at VideoHandlerFunc. For Video with Receive,
// handler is a generator: func() iter.Seq[image.Image] (or with a leading
// context.Context, or returning iter.Seq[*image.YCbCr] or <-chan
// image.Image, optionally with an error), started when the browser
// connects and paced at Options.FrameRate. Handlers with extra inputs and
// additional outputs are made with WebRTC.Stream on a Blocks page.
//
// opts may be nil for the defaults. An unsupported handler is an error
// here, not at the first frame.
func NewStream(modality Modality, mode Mode, handler any, opts *Options) (*Stream, error) {
	if modality == AudioVideo {
		av, err := bindAudioVideo(mode, handler)
		if err != nil {
			return nil, err
		}
		s, err := newStream(modality, mode, &binding{}, opts.withDefaults())
		if err != nil {
			return nil, err
		}
		s.av = av
		return s, nil
	}
	if modality == Audio {
		a, err := bindAudio(mode, handler)
		if err != nil {
			return nil, err
		}
		s, err := newStream(modality, mode, &binding{}, opts.withDefaults())
		if err != nil {
			return nil, err
		}
		s.audio = a
		return s, nil
	}
	b, err := bind(mode, handler, nil, nil, nil)
	if err != nil {
		return nil, err
	}
	return newStream(modality, mode, b, opts.withDefaults())
}

func newStream(modality Modality, mode Mode, b *binding, o Options) (s *Stream, err error) {
	if (modality != Video && modality != Audio && modality != AudioVideo) || (mode != SendReceive && mode != Receive && mode != Send) {
		return nil, fmt.Errorf("%w: %v %v", ErrUnsupported, modality, mode)
	}
	nc := peer.NetConfig{
		Interfaces:      o.Network.Interfaces,
		IncludeLoopback: o.Network.IncludeLoopback,
		UDPPortMin:      o.Network.UDPPortMin,
		UDPPortMax:      o.Network.UDPPortMax,
		PublicIPs:       o.Network.PublicIPs,
		DisableMDNS:     o.Network.DisableMDNS,
	}
	var api *webrtc.API
	api, err = peer.NewAPI(nc)
	if err != nil {
		return nil, fmt.Errorf("rtcstream: webrtc set-up: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s = &Stream{
		modality: modality,
		mode:     mode,
		bind:     b,
		opts:     o,
		api:      api,
		net:      nc,
		ctx:      ctx,
		cancel:   cancel,
		byToken:  map[string]*session{},
		byID:     map[string]*session{},
		mux:      http.NewServeMux(),
	}
	if err := s.mountPage(); err != nil {
		cancel()
		return nil, err
	}
	return s, nil
}

// mountSignalling registers the signalling routes under prefix.
func (s *Stream) mountSignalling(mux *http.ServeMux, prefix string) {
	mux.HandleFunc("POST "+prefix+"/offer", s.handleOffer)
	mux.HandleFunc("POST "+prefix+"/stop", s.handleStop)
	mux.HandleFunc("POST "+prefix+"/queue", s.handleQueue)
	mux.HandleFunc("GET "+prefix+"/config", s.handleConfig)
	mux.HandleFunc(prefix+"/", func(w http.ResponseWriter, r *http.Request) { s.handleUnknownRoute(w, r, prefix) })
}

// ServeHTTP serves the page, its assets and the signalling routes.
func (s *Stream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// Modality returns the Stream's modality.
func (s *Stream) Modality() Modality { return s.modality }

// Mode returns the Stream's mode.
func (s *Stream) Mode() Mode { return s.mode }

// ActiveSessions returns the number of sessions that hold resources (peer
// connection, codecs, handler goroutine) right now.
func (s *Stream) ActiveSessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byToken)
}

// Waiting returns the number of clients waiting in line for a session.
func (s *Stream) Waiting() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.waitingLocked()
}

func (s *Stream) waitingLocked() int {
	n := 0
	for _, t := range s.queue {
		if !t.ready {
			n++
		}
	}
	return n
}

// Tick asks every connected page to send its inputs' current values again
// (gradio_webrtc's tick event). Pages send them on connect and whenever an
// input changes; Tick is for a server that lost track, for example after a
// handler reset its state.
func (s *Stream) Tick() {
	s.mu.Lock()
	all := make([]*session, 0, len(s.byToken))
	for _, ss := range s.byToken {
		all = append(all, ss)
	}
	s.mu.Unlock()
	for _, ss := range all {
		ss.send(map[string]string{"type": "tick"})
	}
}

// Close ends every session, waits for their resources to be freed, and
// makes further offers fail with 503. It is idempotent.
func (s *Stream) Close() error {
	s.mu.Lock()
	s.closed = true
	all := make([]*session, 0, len(s.byToken))
	for _, ss := range s.byToken {
		all = append(all, ss)
	}
	s.queue = nil
	s.reportWaiting()
	s.mu.Unlock()
	// Each session tells its page why it ends; they do so side by side.
	var ending sync.WaitGroup
	for _, ss := range all {
		ending.Go(func() { ss.end(endServerClosed, nil) })
	}
	ending.Wait()
	s.cancel()
	s.sessions.Wait()
	return nil
}

// setIDs records which page components feed the handler's parameters and
// receive its results.
func (s *Stream) setIDs(inputs map[string]int, outputs map[int]string) {
	s.idsMu.Lock()
	defer s.idsMu.Unlock()
	s.inputIDs, s.outputIDs = inputs, outputs
}

func (s *Stream) inputIndex(id string) (int, bool) {
	s.idsMu.RLock()
	defer s.idsMu.RUnlock()
	i, ok := s.inputIDs[id]
	return i, ok
}

func (s *Stream) outputID(i int) string {
	s.idsMu.RLock()
	defer s.idsMu.RUnlock()
	return s.outputIDs[i]
}

// rtcConfiguration returns the configuration for one connection.
func (s *Stream) rtcConfiguration(ctx context.Context) (*RTCConfiguration, error) {
	if s.opts.RTCConfigurationFunc != nil {
		return s.opts.RTCConfigurationFunc(ctx)
	}
	return s.opts.RTCConfiguration, nil
}
