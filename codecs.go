package rtcstream

import "github.com/rtcstream/rtcstream/codec"

// VideoCodec names a video codec a stream may use (Options.VideoCodecs).
type VideoCodec = codec.VideoCodec

// The video codecs: VP8 through libvpx, H264 through OpenH264
// (constrained baseline, RFC 6184 packetization mode 1). See the README's
// "Codecs" for when to prefer which.
const (
	VP8  = codec.VP8
	H264 = codec.H264
)
