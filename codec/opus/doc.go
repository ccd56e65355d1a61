// Package opus encodes and decodes Opus audio (RFC 6716) with the system
// libopus, for real-time streaming. Encoder and Decoder implement
// codec.AudioEncoder and codec.AudioDecoder.
//
// # Building
//
// The package links libopus through cgo and pkg-config (Debian and Ubuntu:
// apt-get install libopus-dev pkg-config). Built with CGO_ENABLED=0 it still
// compiles, with the same API, but NewEncoder and NewDecoder return an error
// wrapping codec.ErrUnavailable.
//
// # Encoding
//
// An Encoder takes frames of interleaved 16-bit PCM of a fixed duration (20
// ms by default, as WebRTC sends) and returns one packet per frame, ready
// for an RTP payload (RFC 7587). The defaults, EncoderConfig{}, are those of
// a WebRTC voice sender: 48 kHz mono at 32 kbit/s, tuned for speech, with
// in-band FEC. SetBitrate and SetPacketLossPercent retune the encoder in
// place from any goroutine, so a congestion controller and RTCP receiver
// reports can steer it. With DTX, silent frames are not sent at all.
//
// WebRTC names Opus "opus/48000/2" in SDP whatever the content: the RTP
// clock is 48 kHz and every packet says whether it is mono or stereo. So an
// Encoder at another rate or channel count still speaks to every browser,
// and a Decoder produces the rate and channel count it was made with,
// resampling and mixing as needed.
//
// # Delay
//
// Opus delays audio by 6.5 ms (2.5 ms with AppLowDelay), encoder and
// decoder together, at every sample rate: Encoder.Lookahead. On the
// project's machine a 20 ms frame at 48 kHz took about 0.07 ms to encode
// in mono at 32 kbit/s (0.12 ms in stereo at 64 kbit/s; 0.25 ms in the
// SILK mode that a voice-like signal and 10% expected loss bring) and
// 0.025 ms to decode, with no allocation.
//
// # Loss
//
// A packet that never arrives is passed to Decode as nil: libopus conceals
// it by extrapolating the signal, fading out over a burst of losses. If the
// next packet is already at hand (a jitter buffer holds one), DecodeFEC
// recovers the lost one from the FEC data it carries instead; see
// EncoderConfig.InbandFEC for when libopus sends such data. Opus packets
// carry no checksum: a packet with broken framing fails to decode with
// libopus's error ("opus: decode: corrupted stream") and leaves the
// decoder as it was, but corrupted bytes in a well-framed packet decode to
// noise without an error. RTP over SRTP authenticates every packet, so in
// WebRTC that cannot happen.
//
// # Memory and concurrency
//
// libopus's state lives in C memory; PCM and packets are handed to libopus
// for the duration of one call. Encode and Decode allocate nothing in steady
// state when the caller reuses its buffers (pass dst[:0]). Encoders and
// decoders hold native memory; Close them. An unreachable one that was not
// closed is freed by a runtime cleanup, a safety net only. Each Encoder and
// Decoder is meant for one goroutine, except Encoder.SetBitrate and
// Encoder.SetPacketLossPercent, which any goroutine may call.
package opus
