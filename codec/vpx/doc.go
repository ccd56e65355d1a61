// Package vpx encodes and decodes VP8 video (RFC 6386) with the system
// libvpx, for real-time streaming. Encoder and Decoder implement
// codec.VideoEncoder and codec.VideoDecoder.
//
// # Building
//
// The package links libvpx through cgo and pkg-config (Debian and Ubuntu:
// apt-get install libvpx-dev pkg-config). Built with CGO_ENABLED=0 it still
// compiles, with the same API, but NewEncoder and NewDecoder return an error
// wrapping codec.ErrUnavailable.
//
// # Encoding
//
// The encoder is set up the way WebRTC senders use VP8: libvpx's real-time
// deadline, one-pass CBR, no look-ahead, error-resilient mode, no frame
// dropping and a quantizer range and buffer model taken from libwebrtc (see
// EncoderConfig). Keyframes come at the start, after a size change, on
// RequestKeyFrame (wire it to RTCP PLI and FIR) and at most
// EncoderConfig.KeyFrameInterval frames apart. SetBitrate retunes rate
// control in place, without a keyframe, so it can follow a congestion
// controller's estimate. Presentation timestamps drive rate control through
// a smoothed clock, so jitter, repeated timestamps and long pauses do not
// upset it.
//
// # Decoding
//
// Decode copies every picture out of libvpx into a Go image that the
// caller owns: libvpx's output buffer doubles as its reference frame, and
// writing to it would corrupt the frames that follow. Pass the previous
// result back as dst and Decode reuses it, allocating only when the size
// changes. Damaged input yields an error, and so may the inter frames after
// it until the next keyframe, which libvpx then marks corrupt; libvpx cannot
// see a frame that never arrived, though, so a caller receiving RTP must
// watch sequence numbers itself and ask for a keyframe on a gap. A
// decoder takes its picture size from the stream, up to VP8's 16383x16383
// (several 400 MB frame buffers); SetMaxFrameSize bounds it for input
// from strangers, refusing a keyframe over the bound from its header,
// before libvpx allocates anything.
//
// # Memory and concurrency
//
// No Go pointer is kept in C memory: every libvpx context lives in C
// memory, and image planes and compressed frames are handed to libvpx for
// the duration of one call. In steady state Encode and Decode allocate
// nothing beyond growing the caller's buffers. Encoders and decoders hold
// native memory; Close them. An unreachable one that was not closed is freed
// by a runtime cleanup, a safety net only. Each Encoder and Decoder is meant
// for one goroutine, except Encoder.RequestKeyFrame and Encoder.SetBitrate,
// which any goroutine may call.
package vpx
