package rtcstream

import (
	"context"
	"fmt"
	"net/http"

	"github.com/rtcstream/rtcstream/internal/bind"
	"github.com/rtcstream/rtcstream/internal/peer"
	"github.com/rtcstream/rtcstream/internal/server"
	"github.com/rtcstream/rtcstream/internal/streamlink"
)

// Package livekit's worker runs a Stream's handlers; it reads the Stream's
// engine configuration through streamlink.
func init() {
	streamlink.Config = func(v any) (server.Config, bool) {
		s, ok := v.(*Stream)
		if !ok || s == nil {
			return server.Config{}, false
		}
		return s.eng.Config(), true
	}
}

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
	opts     Options
	bind     *bind.Binding
	eng      *server.Stream
	mux      *http.ServeMux // the page, its assets and signalling
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
// connects and paced at Options.FrameRate. For Audio, handler is an
// AudioStreamFunc, or per mode:
//
//	func(media.AudioFrame) media.AudioFrame           // SendReceive
//	func(media.AudioFrame) (media.AudioFrame, error)  // SendReceive
//	func(media.AudioFrame) error                      // Send
//	func(context.Context) iter.Seq[media.AudioFrame]  // Receive (or without the context)
//
// For AudioVideo, handler is a func() AudioVideoHandler (SendReceive or
// Send), or a func() AudioVideoGenerator (Receive), called once per
// session. Handlers with extra inputs
// and additional outputs are made with WebRTC.Stream on a Blocks page
// (StreamEvent): for audio, a per-frame function with them,
//
//	func(f media.AudioFrame, gain float64) (media.AudioFrame, string)
//
// an audio stream function taking them after its channels (a Live[T]
// for values that change while it runs),
//
//	func(ctx context.Context, in <-chan media.AudioFrame, out chan<- media.AudioFrame, gain Live[float64]) error
//
// or any AudioStreamFunc, which reads and sends them through its Session.
//
// In Receive mode, of any modality, handler may also be an EncodedSource
// (package source's *File): its VP8 frames and Opus packets are sent as
// they are, without an encoder.
//
// opts may be nil for the defaults. An unsupported handler is an error
// here, not at the first frame.
func NewStream(modality Modality, mode Mode, handler any, opts *Options) (*Stream, error) {
	return newStream(modality, mode, bind.Spec{Fn: handler}, opts.withDefaults())
}

// newStream binds the handler, starts the engine and builds the page.
func newStream(modality Modality, mode Mode, spec bind.Spec, o Options) (*Stream, error) {
	if (modality != Video && modality != Audio && modality != AudioVideo) || (mode != SendReceive && mode != Receive && mode != Send) {
		return nil, fmt.Errorf("%w: %v %v", ErrUnsupported, modality, mode)
	}
	o.ConcurrencyLimit = o.sessionCap(modality)
	rec, err := o.Record.engine()
	if err != nil {
		return nil, err
	}
	spec.Modality, spec.Mode, spec.Live = server.Modality(modality), server.Mode(mode), liveHooks
	b, err := bind.New(spec)
	if err != nil {
		return nil, bindError(err)
	}
	cfg := o.engine(modality, mode, b)
	cfg.Record = rec
	if _, ok := spec.Fn.(EncodedSource); ok && mode == Receive && cfg.VideoCodecs == nil {
		cfg.VideoCodecs = []VideoCodec{VP8} // its frames are VP8
	}
	eng, err := server.New(cfg)
	if err != nil {
		return nil, err
	}
	s := &Stream{modality: modality, mode: mode, opts: o, bind: b, eng: eng, mux: http.NewServeMux()}
	if err := s.mountPage(); err != nil {
		_ = eng.Close()
		return nil, err
	}
	return s, nil
}

// The root's enums are the engine's, value for value.
var (
	_ [0]struct{} = [Video - Modality(server.Video)]struct{}{}
	_ [0]struct{} = [AudioVideo - Modality(server.AudioVideo)]struct{}{}
	_ [0]struct{} = [SendReceive - Mode(server.SendReceive)]struct{}{}
	_ [0]struct{} = [Send - Mode(server.Send)]struct{}{}
)

// engine is the engine's configuration for o.
func (o *Options) engine(modality Modality, mode Mode, b *bind.Binding) server.Config {
	c := server.Config{
		Modality:         server.Modality(modality),
		Mode:             server.Mode(mode),
		NewSession:       b.NewSession,
		TimeLimit:        o.TimeLimit,
		FrameRate:        o.FrameRate,
		AudioInputRate:   o.AudioInputRate,
		ConcurrencyLimit: o.ConcurrencyLimit,
		EndOnError:       o.OnHandlerError == EndOnError,
		VideoBitrate:     o.VideoBitrate,
		FixedBitrate:     o.FixedBitrate,
		VideoCodecs:      o.VideoCodecs,
		Net: peer.NetConfig{
			Interfaces:      o.Network.Interfaces,
			IncludeLoopback: o.Network.IncludeLoopback,
			UDPPortMin:      o.Network.UDPPortMin,
			UDPPortMax:      o.Network.UDPPortMax,
			PublicIPs:       o.Network.PublicIPs,
			DisableMDNS:     o.Network.DisableMDNS,
		},
		ReconnectGrace:     o.ReconnectGrace,
		MaxViewers:         o.MaxViewers,
		UDPPort:            o.Network.UDPPort,
		TCPPort:            o.Network.TCPPort,
		MaxBodyBytes:       o.MaxBodyBytes,
		NegotiationTimeout: o.NegotiationTimeout,
		MaxFrameSize:       o.MaxFrameSize,
		FullFrameRate:      o.FullFrameRate,
		IdleTimeout:        o.IdleTimeout,
		AllowedOrigins:     o.AllowedOrigins,
		Authorize:          o.Authorize,
		Logger:             o.Logger,
		AllowedHosts:       o.AllowedHosts,
		Clients:            o.ClientLimits.engine(),
	}
	if o.Observer != nil {
		c.Observer = engineObserver{o.Observer}
	}
	switch {
	case o.RTCConfigurationFunc != nil:
		f := o.RTCConfigurationFunc
		c.ICE = func(ctx context.Context, r *http.Request) (*server.ICEConfig, error) {
			if r != nil {
				ctx = context.WithValue(ctx, configRequestKey{}, r)
			}
			rc, err := f(ctx)
			return rc.engine(), err
		}
	case o.RTCConfiguration != nil:
		ice := o.RTCConfiguration.engine()
		c.ICE = func(context.Context, *http.Request) (*server.ICEConfig, error) { return ice, nil }
	}
	return c
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
func (s *Stream) ActiveSessions() int { return s.eng.ActiveSessions() }

// Waiting returns the number of clients waiting in line for a session.
func (s *Stream) Waiting() int { return s.eng.Waiting() }

// Tick asks every connected page to send its inputs' current values again
// (gradio_webrtc's tick event). Pages send them on connect and whenever an
// input changes; Tick is for a server that lost track, for example after a
// handler reset its state.
func (s *Stream) Tick() { s.eng.Tick() }

// Close ends every session, waits for their resources to be freed, and
// makes further offers fail with 503. It is idempotent.
func (s *Stream) Close() error { return s.eng.Close() }
