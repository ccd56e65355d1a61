// Package rtcstream turns a Go function into a real-time video stream in
// the browser over WebRTC: the counterpart of the Python gradio_webrtc and
// fastrtc components.
//
// A user writes a handler such as func(image.Image) image.Image and gets a
// web page where the webcam streams to the server, the handler runs on every
// frame, and the result streams back:
//
//	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert, nil)
//	if err != nil {
//		log.Fatal(err)
//	}
//	// page at /, signalling under /webrtc/
//	log.Fatal(rtcstream.NewHTTPServer(":7860", s).ListenAndServe())
//
// # The frame path
//
// Each browser gets a session: a peer connection, a video decoder and
// encoder (VP8 or H.264, Options.VideoCodecs), and a goroutine that
// runs the handler. Incoming RTP packets are assembled into frames and
// decoded at once; only the newest decoded frame waits for the handler,
// so a handler slower than the camera drops stale frames instead of
// building lag. The input frame's timestamp is carried to the output
// frame. A slow or failing handler in one session never delays another.
//
// Lost packets are asked for again (NACK) every 15 ms; a frame that cannot
// be completed is dropped with every frame after it until a keyframe, which
// the session requests (PLI). Keyframe requests from the browser (PLI, FIR)
// make the encoder send one.
//
// # Handlers
//
// The frame a handler gets is a *image.YCbCr, 4:2:0, BT.601 limited range,
// owned by the call: a handler may draw on it and return it, which costs
// no conversion. Handlers that return other image types (*image.RGBA, ...)
// are converted. See VideoHandlerFunc for the full contract, and package
// media for fast conversions and drawing on YCbCr frames.
//
// A handler that returns an error or panics never takes the process down:
// the browser is shown the error and, by default (ContinueOnError), the
// input frame is sent on unprocessed so the video never freezes; with
// EndOnError the session ends.
//
// # Signalling
//
// The HTTP routes are wire-compatible with fastrtc's: POST /webrtc/offer
// with {"sdp", "type": "offer", "webrtc_id"} answers {"sdp", "type":
// "answer"}, plus a "token" that later requests about the session must
// carry (trickled ICE candidates on the same route, POST /webrtc/stop).
// Every failure is an HTTP status with a JSON body {"error", "message"}:
// 400 for malformed JSON, non-offers, invalid SDP or an offer without any
// of the stream's video codecs,
// 404 for an unknown session, 409 for a duplicate webrtc_id, 413 for a body
// over Options.MaxBodyBytes, 503 with Retry-After when Options.ConcurrencyLimit
// sessions are running. Requests from other sites' pages, without
// Options.Authorize's consent, or faster than Options.ClientLimits allow
// are refused too (403, 401, 429); NewHTTPServer adds the timeouts a
// public server needs.
//
// Beside the page's signalling, a stream that takes media is a WHIP
// endpoint (POST /webrtc/whip with application/sdp, RFC 9725: OBS,
// GStreamer, client.PublishWHIP) and one that sends media a WHEP endpoint
// (POST /webrtc/whep: any WHEP player watches a WHIP publisher's or a
// generator's processed output, Options.MaxViewers of them a session).
// Options.Record records sessions to WebM; package source feeds
// receive-mode streams from files and ffmpeg inputs.
//
// Package client is a Go implementation of the browser side, for tests,
// load generation and automation.
package rtcstream
