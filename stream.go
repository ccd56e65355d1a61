package rtcstream

import (
	"context"
	"fmt"
	"net/http"
	"sync"

	"github.com/pion/webrtc/v4"

	"github.com/rtcstream/rtcstream/internal/peer"
	"github.com/rtcstream/rtcstream/internal/pipeline"
)

// Stream turns a handler into a real-time stream served to browsers. It is
// an http.Handler that serves its page at "/", its assets under "/assets/"
// and its signalling under "/webrtc/"; mount it anywhere, with
// http.StripPrefix for a sub-path. A Stream is safe for concurrent use.
type Stream struct {
	modality Modality
	mode     Mode
	video    pipeline.VideoHandler
	opts     Options
	api      *webrtc.API
	mux      *http.ServeMux

	ctx    context.Context // the lifetime of every session
	cancel context.CancelFunc

	mu       sync.Mutex
	byToken  map[string]*session
	byID     map[string]*session
	closed   bool
	sessions sync.WaitGroup
}

// NewStream returns a Stream that runs handler on every frame.
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
// under the contract described at VideoHandlerFunc. opts may be nil for the
// defaults. An unsupported handler type is an error here, not at the first
// frame.
func NewStream(modality Modality, mode Mode, handler any, opts *Options) (*Stream, error) {
	if modality != Video || mode != SendReceive {
		return nil, fmt.Errorf("%w: %v %v (this version streams video in send-receive mode)", ErrUnsupported, modality, mode)
	}
	h, err := adaptVideo(handler)
	if err != nil {
		return nil, err
	}
	o := opts.withDefaults()
	api, err := peer.NewAPI(peer.NetConfig{
		Interfaces:      o.Network.Interfaces,
		IncludeLoopback: o.Network.IncludeLoopback,
		UDPPortMin:      o.Network.UDPPortMin,
		UDPPortMax:      o.Network.UDPPortMax,
		PublicIPs:       o.Network.PublicIPs,
		DisableMDNS:     o.Network.DisableMDNS,
	})
	if err != nil {
		return nil, fmt.Errorf("rtcstream: webrtc set-up: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Stream{
		modality: modality,
		mode:     mode,
		video:    h,
		opts:     o,
		api:      api,
		ctx:      ctx,
		cancel:   cancel,
		byToken:  map[string]*session{},
		byID:     map[string]*session{},
	}
	s.routes()
	return s, nil
}

func (s *Stream) routes() {
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("POST /webrtc/offer", s.handleOffer)
	s.mux.HandleFunc("POST /webrtc/stop", s.handleStop)
	s.mux.HandleFunc("/webrtc/", s.handleUnknownRoute)
	s.mux.Handle("GET /assets/", http.StripPrefix("/assets/", assetHandler()))
	s.mux.HandleFunc("GET /{$}", s.handlePage)
	s.mux.HandleFunc("GET /favicon.ico", handleFavicon)
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

// Close ends every session, waits for their resources to be freed, and
// makes further offers fail with 503. It is idempotent.
func (s *Stream) Close() error {
	s.mu.Lock()
	s.closed = true
	all := make([]*session, 0, len(s.byToken))
	for _, ss := range s.byToken {
		all = append(all, ss)
	}
	s.mu.Unlock()
	s.cancel()
	for _, ss := range all {
		ss.end(endServerClosed, nil)
	}
	s.sessions.Wait()
	return nil
}
